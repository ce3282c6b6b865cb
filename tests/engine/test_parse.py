"""The grammar: what parses, and every problem reported with its place."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.engine import Level, PolicyError, PolicyKind, parse_policy, validate_policy, wellformed
from policies.engine.parse import STATEMENT_ELEMENTS, Problems
from policies.engine.parse import _statement as thorough_statement
from tests.documents import allow, document, grant, statement


def codes_and_places(source, kind=PolicyKind.IDENTITY) -> list[tuple[str, str, int | None, int | None]]:
    with pytest.raises(PolicyError) as raised:
        parse_policy(source, kind=kind)
    return [(f.code, f.path, f.line, f.column) for f in raised.value.findings]


def test_minimal_policy_parses_with_statement_object_or_list():
    single = parse_policy({"Version": "2012-10-17", "Statement": statement("Allow", "s3:GetObject", "*")})
    listed = parse_policy(allow("s3:GetObject", "*"))
    assert single.statements[0].actions == ("s3:GetObject",) == listed.statements[0].actions
    assert single.statements[0].path == "Statement"
    assert listed.statements[0].path == "Statement[0]"


def test_every_problem_is_reported_with_line_and_column():
    text = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "NotAction": "s3:Put*", "Resource": "*"},
    {"Action": "s3:GetObject", "Resource": "*", "Resorce": "*"},
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
     "Condition": {"StringEqualz": {"aws:username": "alice"}}}
  ]
}"""
    found = codes_and_places(text)
    assert ("BOTH_ACTION", "Statement[0].NotAction", 4, 51) in found
    assert ("UNKNOWN_ELEMENT", "Statement[1].Resorce", 5, 49) in found
    assert ("MISSING_EFFECT", "Statement[1]", 5, 5) in found
    assert ("UNKNOWN_OPERATOR", "Statement[2].Condition.StringEqualz", 7, 20) in found
    assert len(found) == 4


def test_unknown_element_suggests_the_right_name():
    with pytest.raises(PolicyError) as raised:
        parse_policy(document({"Effect": "Allow", "Actions": "s3:*", "Resource": "*"}))
    messages = [f.message for f in raised.value.findings]
    assert any("did you mean 'Action'" in message for message in messages)


GRAMMAR_ERRORS = [
    # (document, kind, expected code)
    ("not json", PolicyKind.IDENTITY, "JSON_SYNTAX"),
    ("[1, 2]", PolicyKind.IDENTITY, "NOT_AN_OBJECT"),
    ({"Version": "2012-10-17"}, PolicyKind.IDENTITY, "MISSING_ELEMENT"),
    ({"Version": "2012-10-17", "Statement": []}, PolicyKind.IDENTITY, "BAD_TYPE"),
    ({"Version": "2013-01-01", "Statement": statement("Allow")}, PolicyKind.IDENTITY, "BAD_VERSION"),
    (document({"Effect": "allow", "Action": "*", "Resource": "*"}), PolicyKind.IDENTITY, "BAD_EFFECT"),
    (document({"Effect": "Allow", "Resource": "*"}), PolicyKind.IDENTITY, "MISSING_ACTION"),
    (document({"Effect": "Allow", "Action": "*"}), PolicyKind.IDENTITY, "MISSING_RESOURCE"),
    (document({"Effect": "Allow", "Action": [], "Resource": "*"}), PolicyKind.IDENTITY, "EMPTY_LIST"),
    (
        document({"Effect": "Allow", "Action": "*", "Resource": "*", "NotResource": "x"}),
        PolicyKind.IDENTITY,
        "BOTH_RESOURCE",
    ),
    (document({"Effect": "Allow", "Action": 42, "Resource": "*"}), PolicyKind.IDENTITY, "BAD_TYPE"),
    (document(grant("*")), PolicyKind.IDENTITY, "PRINCIPAL_NOT_ALLOWED"),
    (allow(), PolicyKind.RESOURCE, "PRINCIPAL_REQUIRED"),
    (document(grant("*", resources="*")), PolicyKind.TRUST, "RESOURCE_IN_TRUST_POLICY"),
    (document(grant("*") | {"Principal": {"Group": "x"}}), PolicyKind.RESOURCE, "BAD_PRINCIPAL_TYPE"),
    (allow(Condition={"Null": {"aws:x": []}}), PolicyKind.IDENTITY, "EMPTY_LIST"),
    (allow(Condition={"NullIfExists": {"aws:x": "true"}}), PolicyKind.IDENTITY, "UNKNOWN_OPERATOR"),
    (allow(Condition={"ForSomeValues:StringEquals": {"k": "v"}}), PolicyKind.IDENTITY, "UNKNOWN_OPERATOR"),
    (allow(Condition={"StringEquals": {"k": {"nested": 1}}}), PolicyKind.IDENTITY, "BAD_CONDITION_VALUE"),
    (allow(Condition={"StringEquals": {"k": None}}), PolicyKind.IDENTITY, "BAD_CONDITION_VALUE"),
    (allow(Condition=["StringEquals"]), PolicyKind.IDENTITY, "BAD_TYPE"),
    (allow(Sid=7), PolicyKind.IDENTITY, "BAD_TYPE"),
    ('{"Statement": NaN}', PolicyKind.IDENTITY, "JSON_SYNTAX"),
    (b"\xff\xfe\x00", PolicyKind.IDENTITY, "NOT_UTF8"),
    (12, PolicyKind.IDENTITY, "NOT_A_DOCUMENT"),
]


@pytest.mark.parametrize(("document", "kind", "code"), GRAMMAR_ERRORS)
def test_grammar_errors(document, kind, code):
    assert code in [found[0] for found in codes_and_places(document, kind)]


def test_json_syntax_error_has_its_place():
    assert codes_and_places('{\n  "Version": "2012-10-17",\n  "Statement": [,]\n}') == [("JSON_SYNTAX", "", 3, 17)]


def test_trust_policy_has_no_resource_and_needs_a_principal():
    trust = parse_policy(document(grant("arn:aws:iam::111122223333:root", "sts:AssumeRole") | {}), kind="resource")
    assert trust.statements[0].principal.entries == (("AWS", "arn:aws:iam::111122223333:root"),)
    for_ec2 = document({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    parsed = parse_policy(for_ec2, kind="trust")
    assert parsed.statements[0].resources is None


def test_empty_sid_is_accepted_and_numbers_and_booleans_become_text():
    parsed = parse_policy(
        '{"Version":"2012-10-17","Statement":{"Sid":"","Effect":"Deny","Action":"*","Resource":"*",'
        '"Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"s3:max-keys":[1e3, 42]}}}}'
    )
    conditions = parsed.statements[0].conditions
    assert parsed.statements[0].sid == ""
    assert conditions[0].values == ("false",)
    assert conditions[1].values == ("1e3", "42")


def test_dict_numbers_and_booleans_become_text():
    parsed = parse_policy(allow(Condition={"NumericEquals": {"k": [7, 2.5]}, "Bool": {"b": True}}))
    assert [c.values for c in parsed.statements[0].conditions] == [("7", "2.5"), ("true",)]


def test_bytes_with_byte_order_mark_parse():
    text = json.dumps(allow("s3:*", "*")).encode("utf-8")
    assert parse_policy(b"\xef\xbb\xbf" + text).statements[0].actions == ("s3:*",)


def test_deeply_nested_json_is_refused_not_crashed():
    with pytest.raises(PolicyError):
        parse_policy("[" * 100000 + "]" * 100000)
    with pytest.raises(PolicyError):
        parse_policy('{"Statement": ' + "[" * 5000 + "]" * 5000 + "}")


MAX_DEPTH = 64


@pytest.mark.parametrize(
    ("text", "path", "column"),
    [
        ("[" * 100_000 + "]" * 100_000, "[0]" * MAX_DEPTH, MAX_DEPTH + 1),
        ("[" * 100_000, "[0]" * MAX_DEPTH, MAX_DEPTH + 1),
        ('{"a":' * 100_000 + "1" + "}" * 100_000, ".".join("a" * MAX_DEPTH), 5 * MAX_DEPTH + 1),
        ('{"Statement": ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}", "Statement" + "[0]" * 63, 78),
    ],
    ids=["arrays", "unterminated", "objects", "under-a-statement"],
)
def test_nesting_past_the_limit_is_one_finding_at_its_place(text, path, column):
    assert codes_and_places(text) == [("TOO_DEEP", path, 1, column)]
    (finding,) = validate_policy(text)
    assert (finding.level, finding.message) == (Level.ERROR, f"nested deeper than {MAX_DEPTH} levels")


def test_nesting_to_the_limit_is_read_and_refused_for_what_it_is():
    assert codes_and_places("[" * MAX_DEPTH + "]" * MAX_DEPTH) == [("NOT_AN_OBJECT", "", 1, 1)]
    within = '{"Version": "2012-10-17", "Statement": ' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}"
    assert [code for code, *_ in codes_and_places(within)] == ["NOT_AN_OBJECT"]


@pytest.mark.parametrize(
    ("text", "too_deep"),
    [
        ('{"Sid": "' + "[" * 100_000 + '", "x": 1}', False),
        ('{"Sid": "\\"' + "{" * 100_000 + '"}', False),
        # The string is one backslash: the quote after it closes the string.
        ('{"Sid": "\\\\", "x": ' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}", True),
        ('{"Sid": "\\\\\\"' + "[" * 100_000 + '"}', False),
    ],
    ids=["brackets-in-a-string", "escaped-quote", "escaped-backslash", "escaped-backslash-then-quote"],
)
def test_only_brackets_outside_strings_nest(text, too_deep):
    assert ("TOO_DEEP" in [code for code, *_ in codes_and_places(text)]) is too_deep


def test_the_line_of_deep_nesting_counts_new_lines():
    text = '{\n  "Statement":\n' + "  [\n" * 100 + "]" * 100 + "}"
    assert codes_and_places(text) == [("TOO_DEEP", "Statement" + "[0]" * 63, 66, 3)]


def test_all_findings_of_a_parse_error_are_errors():
    with pytest.raises(PolicyError) as raised:
        parse_policy(document({"Effect": "Maybe"}))
    assert {f.level for f in raised.value.findings} == {Level.ERROR}
    assert len(raised.value.findings) == 3


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["Version", "Statement", "Effect", "Action", "Resource", "Principal", "Condition", "Sid", "x"]
            )
            | st.text(max_size=6),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


def parse_or_refusal(source, kind=PolicyKind.IDENTITY):
    """The parsed policy, or the PolicyError; any other exception fails the test."""
    try:
        return parse_policy(source, kind=kind)
    except PolicyError as error:
        return error


@settings(max_examples=150, deadline=None)
@given(value=json_values)
def test_parser_raises_only_its_own_error_on_arbitrary_json(value):
    for source in (value, json.dumps(value)):
        parse_or_refusal(source if isinstance(source, str | dict) else json.dumps(source))


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=64))
def test_parser_raises_only_its_own_error_on_arbitrary_bytes(data):
    parse_or_refusal(data)


odd_statements = st.dictionaries(
    st.sampled_from(list(STATEMENT_ELEMENTS)) | st.text(max_size=5),
    json_values | st.sampled_from(["Allow", "Deny", "*", "s3:*"]),
    max_size=6,
)


@settings(max_examples=100, deadline=None)
@given(kind=st.sampled_from(list(PolicyKind)), statement=odd_statements)
def test_parser_raises_only_its_own_error_on_odd_statements(kind, statement):
    parse_or_refusal({"Version": "2012-10-17", "Statement": [statement]}, kind=kind)


plausible_statements = st.fixed_dictionaries(
    {"Effect": st.sampled_from(["Allow", "Deny", "allow", 1])},
    optional={
        "Sid": st.sampled_from(["", "A1", 5, None]),
        "Action": st.sampled_from(["s3:*", ["s3:Get*", "iam:*"], [], 3]),
        "NotAction": st.sampled_from(["iam:*"]),
        "Resource": st.sampled_from(["*", ["arn:aws:s3:::b/*"], []]),
        "NotResource": st.sampled_from(["arn:aws:s3:::b"]),
        "Principal": st.sampled_from(["*", {"AWS": "111122223333"}, {"Group": "x"}, {}, "x"]),
        "Condition": st.sampled_from(
            [
                {"StringEquals": {"k": "v"}},
                {"Bool": {"k": True}},
                {"NumericLessThan": {"k": [1, "2"]}},
                {"StringEqualz": {"k": "v"}},
                {"StringEquals": {"k": []}},
                {"StringEquals": {"": "v"}},
                [],
            ]
        ),
    },
)


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(list(PolicyKind)), statement=plausible_statements)
def test_quick_reading_accepts_only_what_the_thorough_reading_accepts(kind, statement):
    quick = wellformed.statement(statement, 0, "Statement[0]", kind)
    problems = Problems()
    thorough = thorough_statement(statement, 0, "Statement[0]", kind, problems)
    if quick is not None:
        assert quick == thorough
        assert not problems.items
