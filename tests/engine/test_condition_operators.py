"""`condition_operators`: the operators a tool may offer for a condition key, by the key's type,
as AWS's Condition operators page pairs them (string keys also take ARN operators and ARN keys
string ones, as AWS's own policies do; aws:EpochTime is a date that also compares as a number)."""

from policies.engine import condition_operators


def test_each_family_lists_its_operators_as_the_grammar_names_them():
    by_family = condition_operators(())["by_family"]
    assert by_family["Ip"] == ["IpAddress", "NotIpAddress"]
    assert by_family["Arn"] == ["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"]
    assert by_family["Bool"] == ["Bool"] and by_family["Null"] == ["Null"]
    assert len(by_family["String"]) == 6 and len(by_family["Numeric"]) == 6 and len(by_family["Date"]) == 6
    assert condition_operators(())["qualifiers"] == ["ForAllValues", "ForAnyValue"]


def test_a_key_gets_the_families_of_its_type_and_an_unknown_type_none():
    families = condition_operators(
        [
            ("aws:username", "String"),
            ("aws:PrincipalArn", "ARN"),
            ("aws:TagKeys", "ArrayOfString"),
            ("aws:SourceIp", "IPAddress"),
            ("aws:EpochTime", "Date"),
            ("aws:MultiFactorAuthAge", "Numeric"),
            ("billing:Mystery", "Colour"),
        ]
    )["key_families"]
    assert families == {
        "aws:username": ["Arn", "String"],
        "aws:PrincipalArn": ["Arn", "String"],
        "aws:TagKeys": ["Arn", "String"],
        "aws:SourceIp": ["Ip"],
        "aws:EpochTime": ["Date", "Numeric"],
        "aws:MultiFactorAuthAge": ["Numeric"],
        "billing:Mystery": None,
    }
