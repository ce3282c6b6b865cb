"""Validation findings, in the manner of IAM Access Analyzer's policy checks."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.engine import (
    CatalogueIndex,
    DocumentKind,
    Level,
    PolicyKind,
    parse_policy,
    policy_size,
    validate_guardrail_levels,
    validate_policy,
)
from tests.documents import allow, deny, document, grant, statement


def codes(document, **options) -> set[tuple[Level, str]]:
    return {(finding.level, finding.code) for finding in validate_policy(document, **options)}


CATALOGUE = {"iam:CreateUser": "Write", "iam:GetUser": "Read", "iam:PassRole": "Write", "s3:GetObject": "Read"}

FINDING_CASES = [
    (
        document({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
        {},
        (Level.SECURITY_WARNING, "ALLOW_WITH_NOT_ACTION"),
    ),
    (
        document({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::b/*"}),
        {},
        (Level.SECURITY_WARNING, "ALLOW_WITH_NOT_RESOURCE"),
    ),
    (allow("*", "*"), {}, (Level.SECURITY_WARNING, "FULL_ADMIN")),
    (allow("*:*", "*"), {}, (Level.SECURITY_WARNING, "FULL_ADMIN")),
    (allow("iam:PassRole", "*"), {}, (Level.SECURITY_WARNING, "PASS_ROLE_ANY_RESOURCE")),
    (allow("iam:*", "*"), {}, (Level.SECURITY_WARNING, "PASS_ROLE_ANY_RESOURCE")),
    (allow("iam:CreateUsr", "*"), {"catalogue": CATALOGUE}, (Level.WARNING, "UNKNOWN_ACTION")),
    (allow("iam:Frob*", "*"), {"catalogue": CATALOGUE}, (Level.WARNING, "NO_MATCHING_ACTION")),
    (allow("ec2:RunInstances", "*"), {"catalogue": set(CATALOGUE)}, (Level.WARNING, "UNKNOWN_SERVICE")),
    (allow("GetObject", "*"), {}, (Level.ERROR, "BAD_ACTION")),
    (allow("s3:GetObject", "bucket/x"), {}, (Level.ERROR, "BAD_ARN")),
    (allow("s3:GetObject", "arn:aws:s3:bucket"), {}, (Level.WARNING, "SHORT_ARN")),
    (allow("s3:GetObject", "arn:aws:*:::b"), {}, (Level.ERROR, "WILDCARD_IN_SERVICE")),
    (document(statement("Allow", Sid="A"), statement("Deny", Sid="A")), {}, (Level.ERROR, "DUPLICATE_SID")),
    (allow(Sid="not ok"), {}, (Level.ERROR, "BAD_SID")),
    (
        document(
            statement("Allow", "s3:GetObject", "arn:aws:s3:::b/*"),
            statement("Allow", "s3:GetObject", "arn:aws:s3:::b/x"),
        ),
        {},
        (Level.SUGGESTION, "REDUNDANT_STATEMENT"),
    ),
    (allow(Condition={"NumericLessThan": {"s3:max-keys": "abc"}}), {}, (Level.ERROR, "BAD_CONDITION_VALUE")),
    (allow(Condition={"IpAddress": {"aws:SourceIp": "300.1.1.1/8"}}), {}, (Level.ERROR, "BAD_CONDITION_VALUE")),
    (allow(Condition={"DateLessThan": {"aws:CurrentTime": "soon"}}), {}, (Level.ERROR, "BAD_CONDITION_VALUE")),
    (
        allow(Condition={"StringEquals": {"aws:TagKeys": "env"}}),
        {},
        (Level.WARNING, "MULTI_VALUED_KEY_PLAIN_OPERATOR"),
    ),
    (
        allow(Condition={"ForAnyValue:StringEquals": {"aws:SourceIp": "x"}}),
        {},
        (Level.WARNING, "SET_OPERATOR_ON_SINGLE_VALUED_KEY"),
    ),
    (
        allow(Condition={"ForAllValues:StringEquals": {"aws:TagKeys": "env"}}),
        {},
        (Level.SECURITY_WARNING, "FOR_ALL_VALUES_WITH_ALLOW"),
    ),
    (
        document(statement("Allow", "s3:*", "arn:aws:s3:::home/${aws:username}"), version="2008-10-17"),
        {},
        (Level.WARNING, "VARIABLE_WITHOUT_VERSION"),
    ),
    (allow(Condition={"NumericEquals": {"k": "${aws:x}"}}), {}, (Level.WARNING, "VARIABLE_NOT_SUPPORTED")),
    ({"Statement": [statement("Allow", "s3:GetObject", "*")]}, {}, (Level.SUGGESTION, "MISSING_VERSION")),
    (allow("s3:GetObject", "*"), {"size_limit": 10}, (Level.ERROR, "SIZE_LIMIT")),
    (
        document(grant("arn:aws:iam::111122223333:user/*", "s3:*", "*")),
        {"kind": PolicyKind.RESOURCE},
        (Level.ERROR, "PRINCIPAL_WILDCARD"),
    ),
    (document(grant("alice", "s3:*", "*")), {"kind": PolicyKind.RESOURCE}, (Level.ERROR, "BAD_PRINCIPAL")),
    (
        document(grant("*", "s3:GetObject", "*")),
        {"kind": PolicyKind.RESOURCE},
        (Level.SECURITY_WARNING, "PUBLIC_ACCESS"),
    ),
]


@pytest.mark.parametrize(("document", "options", "expected"), FINDING_CASES)
def test_findings(document, options, expected):
    assert expected in codes(document, **options)


def test_clean_policy_has_no_findings():
    document = allow("s3:GetObject", "arn:aws:s3:::example-bucket/*", Sid="Read")
    assert validate_policy(document, catalogue=CATALOGUE) == []


def test_unparseable_document_gives_its_parse_errors_without_raising():
    findings = validate_policy("{not json")
    assert [(f.level, f.code) for f in findings] == [(Level.ERROR, "JSON_SYNTAX")]
    assert validate_policy(b"\xff")[0].code == "NOT_UTF8"


def test_findings_on_text_carry_line_and_column():
    text = (
        '{\n  "Version": "2012-10-17",\n  "Statement": [\n'
        '    {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}\n  ]\n}'
    )
    found = [f for f in validate_policy(text) if f.code == "PASS_ROLE_ANY_RESOURCE"]
    assert [(f.path, f.line, f.column) for f in found] == [("Statement[0]", 4, 5)]


def test_duplicate_json_keys_are_reported():
    text = (
        '{"Version": "2012-10-17", "Statement": '
        '{"Effect": "Deny", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}}'
    )
    assert (Level.WARNING, "DUPLICATE_KEY") in codes(text)


def test_policy_size_counts_without_white_space():
    compact = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}'
    spaced = json.dumps(json.loads(compact), indent=4)
    assert policy_size(compact) == policy_size(spaced) == policy_size(json.loads(compact)) == len(compact)


def test_default_size_limit_follows_the_kind():
    big = document(*[statement("Allow", f"s3:GetObject{i:04}", "*", Sid=f"S{i}") for i in range(60)])
    assert policy_size(big) > 2048
    assert (Level.ERROR, "SIZE_LIMIT") not in codes(big)
    trust = document(*[grant("arn:aws:iam::111122223333:root", f"sts:AssumeRole{i}") for i in range(40)])
    trust = {
        "Version": "2012-10-17",
        "Statement": [{k: v for k, v in s.items() if k != "Resource"} for s in trust["Statement"]],
    }
    assert (Level.ERROR, "SIZE_LIMIT") in codes(trust, kind="trust")


def test_guardrail_level_without_allow_is_a_warning():
    deny_only = parse_policy(deny("s3:*", "*"), kind="guardrail")
    allow_all = parse_policy(allow(), kind="guardrail")
    findings = validate_guardrail_levels([[allow_all, deny_only], [deny_only]])
    assert [(f.level, f.code, f.path) for f in findings] == [
        (Level.WARNING, "GUARDRAIL_LEVEL_WITHOUT_ALLOW", "guardrails[1]")
    ]


@settings(max_examples=100, deadline=None)
@given(
    kind=st.sampled_from(list(PolicyKind)),
    statement=st.fixed_dictionaries(
        {"Effect": st.sampled_from(["Allow", "Deny"])},
        optional={
            "Sid": st.sampled_from(["", "A", "A", "b c"]),
            "Action": st.lists(
                st.sampled_from(["*", "s3:*", "iam:PassRole", "x", "${aws:x}", "iam:Frob*"]), min_size=1
            ),
            "NotAction": st.sampled_from(["iam:*"]),
            "Resource": st.lists(
                st.sampled_from(["*", "arn:aws:s3:::b/*", "arn:aws:*:::x", "bad", "arn:aws:s3"]), min_size=1
            ),
            "Principal": st.sampled_from(["*", {"AWS": ["111122223333", "arn:aws:iam::1:user/*", "x"]}]),
            "Condition": st.sampled_from(
                [
                    {"NumericLessThan": {"k": ["x", 1]}},
                    {"ForAllValues:StringEquals": {"aws:TagKeys": "a"}},
                    {"StringEquals": {"aws:TagKeys": "a"}},
                    {"IpAddress": {"aws:SourceIp": "nope"}},
                ]
            ),
        },
    ),
)
def test_validation_never_raises_for_a_users_mistake(kind, statement):
    document = {"Version": "2012-10-17", "Statement": [statement, statement]}
    for source in (document, json.dumps(document, indent=2)):
        findings = validate_policy(source, kind=kind, catalogue=CATALOGUE)
        assert all(isinstance(finding.level, Level) for finding in findings)


def _trusting(actions) -> dict:
    return document({"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": actions})


@pytest.mark.parametrize(
    ("actions", "refused"),
    [
        ("sts:AssumeRole", False),
        (["sts:AssumeRole", "sts:TagSession"], False),
        ("sts:assumerolewithwebidentity", False),
        ("sts:Assume*", False),
        ("*", False),
        ("sts:AssumeRol", True),
        ("s3:GetObject", True),
        ("sts:GetCallerIdentity", True),
        ("sts:Frob*", True),
    ],
)
def test_a_trust_policy_allows_only_the_actions_of_assuming_a_role(actions, refused):
    found = codes(_trusting(actions), kind=PolicyKind.TRUST, catalogue=CATALOGUE)
    assert ((Level.ERROR, "TRUST_ACTION") in found) is refused
    # The catalogue is not asked about them as well: one finding says it.
    assert not {code for _, code in found} & {"UNKNOWN_ACTION", "UNKNOWN_SERVICE", "NO_MATCHING_ACTION"}


@pytest.mark.parametrize("effect", ["Deny", "Allow"])
def test_a_trust_policy_cannot_use_not_principal(effect):
    trusting = {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}
    excepting = {"Effect": effect, "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:user/mia"}}
    trust = document(trusting, {**excepting, "Action": "sts:AssumeRole"})
    found = [f for f in validate_policy(trust, kind=DocumentKind.TRUST) if f.code == "NOT_PRINCIPAL_IN_TRUST"]
    assert [(f.level, f.path) for f in found] == [(Level.ERROR, "Statement[1].NotPrincipal")]
    # A resource policy may deny everyone but the principals it names.
    resource = document({**trusting, "Resource": "*"}, {**excepting, "Action": "s3:GetObject", "Resource": "*"})
    assert "NOT_PRINCIPAL_IN_TRUST" not in {f.code for f in validate_policy(resource, kind=DocumentKind.RESOURCE)}


def test_an_unknown_service_is_one_finding_listing_its_actions():
    policy = document(
        statement("Allow", ["ec2:RunInstances", "ec2:StopInstances", "s3:GetObject"], "*"),
        statement("Allow", ["ec2:RunInstances", "ec2:Describe*", "lambda:InvokeFunction"], "*"),
    )
    found = [f for f in validate_policy(policy, catalogue=CATALOGUE) if f.code == "UNKNOWN_SERVICE"]
    assert [(f.level, f.path) for f in found] == [
        (Level.WARNING, "Statement[0].Action[0]"),
        (Level.WARNING, "Statement[1].Action[2]"),
    ]
    assert found[0].message == (
        "no action of service 'ec2' is in the catalogue "
        "(4 actions named here: ec2:RunInstances, ec2:StopInstances, ec2:Describe*)"
    )
    assert found[1].message == (
        "no action of service 'lambda' is in the catalogue (1 action named here: lambda:InvokeFunction)"
    )


def test_findings_name_actions_and_services_as_the_document_writes_them():
    policy = document(
        statement("Allow", ["IAM:CreateUsr", "S3:Get*Thing", "EC2:RunInstances", "ec2:StopInstances"], "*")
    )
    messages = {f.code: f.message for f in validate_policy(policy, catalogue=CATALOGUE)}
    assert messages == {
        "UNKNOWN_ACTION": "'IAM:CreateUsr' is not in the catalogue",
        "NO_MATCHING_ACTION": "'S3:Get*Thing' matches no catalogued action",
        "UNKNOWN_SERVICE": (
            "no action of service 'EC2' is in the catalogue (2 actions named here: EC2:RunInstances, ec2:StopInstances)"
        ),
    }
    trust = document({"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "STS:AssumeRol"})
    found = [f.message for f in validate_policy(trust, kind=PolicyKind.TRUST) if f.code == "TRUST_ACTION"]
    assert found[0].startswith("'STS:AssumeRol' is not an action a trust policy can allow")


def test_a_kept_index_finds_what_the_plain_catalogue_finds_document_after_document():
    action_keys = {"s3:GetObject": ["s3:ExistingObjectTag/${TagKey}"], "iam:CreateUser": []}
    key_types = {"s3:max-keys": "Numeric"}
    index = CatalogueIndex(CATALOGUE, action_keys, key_types)
    first = document(
        statement("Allow", ["ec2:RunInstances", "s3:GetObjct"], "*"),
        statement("Allow", "s3:GetObject", "*", {"StringEquals": {"s3:max-keys": "10", "s3:prefix": "a"}}),
    )
    second = allow(["lambda:InvokeFunction", "iam:CreateUser"], "*")
    for policy in (first, second, first):
        plain = validate_policy(policy, catalogue=CATALOGUE, action_keys=action_keys, key_types=key_types)
        assert validate_policy(policy, catalogue=index) == plain
    unknown = [f.message for f in validate_policy(second, catalogue=index) if f.code == "UNKNOWN_SERVICE"]
    assert unknown == ["no action of service 'lambda' is in the catalogue (1 action named here: lambda:InvokeFunction)"]


@pytest.mark.parametrize(
    ("pattern", "found"),
    [
        ("iam:Create*", False),
        ("iam:?etUser", False),
        ("IAM:getuser", False),
        ("iam:Get[U]se?", True),  # IAM has no character classes: the brackets are literal
        ("iam:*User", False),
        ("iam:*Group", True),
        ("s?:GetObject", False),
        ("*:GetObject", False),
        ("*:GetBucket", True),
    ],
)
def test_action_patterns_are_matched_with_iam_wildcards_only(pattern, found):
    codes_found = {code for _, code in codes(allow(pattern, "*"), catalogue=CATALOGUE)}
    assert codes_found & {"NO_MATCHING_ACTION", "UNKNOWN_ACTION"} == ({"NO_MATCHING_ACTION"} if found else set())


@pytest.mark.parametrize(
    ("null_check", "warned"),
    [
        (None, True),
        ({"aws:TagKeys": "false"}, False),
        ({"aws:tagkeys": ["false"]}, False),
        ({"aws:TagKeys": False}, False),
        ({"aws:TagKeys": "true"}, True),  # the key absent: the very case the warning is about
        ({"aws:TagKeys": ["false", "true"]}, True),
        # A tag in the request puts its key in aws:TagKeys, so requiring one requires aws:TagKeys.
        ({"aws:RequestTag/env": "false"}, False),
        ({"aws:RequestTag/env": "true"}, True),
        ({"aws:ResourceTag/env": "false"}, True),  # the resource's tags are not the request's
        ({"aws:PrincipalTag/team": "false"}, True),  # another key
    ],
)
def test_for_all_values_with_allow_is_quiet_when_a_null_check_requires_the_key(null_check, warned):
    condition = {"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}
    if null_check is not None:
        condition["Null"] = null_check
    found = codes(allow("s3:PutObjectTagging", "*", condition))
    assert ((Level.SECURITY_WARNING, "FOR_ALL_VALUES_WITH_ALLOW") in found) is warned


def _sized(characters: int) -> dict:
    """An identity policy of exactly this many characters without white space."""
    policy = allow("s3:GetObject", "arn:aws:s3:::b/")
    padding = characters - policy_size(policy)
    policy["Statement"][0]["Resource"] = "arn:aws:s3:::b/" + "x" * padding
    assert policy_size(policy) == characters
    return policy


# AWS's quotas: IAM and STS quotas (managed policy 6,144; inline, per identity, user 2,048,
# group 5,120, role 10,240; role trust policy 2,048; session policy 2,048), Organizations'
# (service control policy 5,120); AWS's own managed policies are bound by none of them.
@pytest.mark.parametrize(
    ("kind", "quota"),
    [
        ("customer-managed", 6144),
        ("identity", 6144),
        (PolicyKind.IDENTITY, 6144),
        ("inline-user", 2048),
        ("inline-group", 5120),
        ("inline-role", 10240),
        ("boundary", 6144),
        ("guardrail", 5120),
        ("session", 2048),
        ("aws-managed", None),
        (DocumentKind.AWS_MANAGED, None),
    ],
)
def test_the_size_quota_follows_the_kind_of_document(kind, quota):
    for characters in (2048, 2049, 5120, 5121, 6144, 6145, 10240, 10241, 120_000):
        refused = (Level.ERROR, "SIZE_LIMIT") in codes(_sized(characters), kind=kind)
        assert refused is (quota is not None and characters > quota), characters


def test_a_size_limit_given_overrides_the_kinds_quota():
    assert (Level.ERROR, "SIZE_LIMIT") in codes(_sized(3000), kind="aws-managed", size_limit=2999)
    assert (Level.ERROR, "SIZE_LIMIT") not in codes(_sized(9000), kind="customer-managed", size_limit=9000)
    message = next(f.message for f in validate_policy(_sized(2049), kind="inline-user") if f.code == "SIZE_LIMIT")
    assert message == "2049 characters without white space; the limit is 2048"


def _key_codes(condition, actions="s3:GetObject", **options) -> set[str]:
    found = codes(allow(actions, "*", condition), **options)
    return {code for _, code in found} & {"UNKNOWN_CONDITION_KEY", "CONDITION_TYPE_MISMATCH"}


# Types from AWS's "AWS global condition context keys": aws:SourceIp is an IP address,
# aws:CurrentTime a date (aws:EpochTime a date also given as seconds), aws:SecureTransport a
# boolean, aws:PrincipalArn an ARN, aws:TagKeys an array of strings.
@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"StringEquals": {"aws:username": "mia"}}, set()),
        ({"StringEquals": {"AWS:UserName": "mia"}}, set()),
        ({"StringEquals": {"aws:usernme": "mia"}}, {"UNKNOWN_CONDITION_KEY"}),
        ({"StringEquals": {"aws:PrincipalTag/team": "dev"}}, set()),
        ({"StringLike": {"aws:RequestTag/cost-centre": "cc-*"}}, set()),
        ({"StringEquals": {"aws:PrincipalTags/team": "dev"}}, {"UNKNOWN_CONDITION_KEY"}),
        ({"StringEquals": {"aws:SourceIp": "10.0.0.1"}}, {"CONDITION_TYPE_MISMATCH"}),
        ({"StringEqualsIfExists": {"aws:SourceIp": "10.0.0.1"}}, {"CONDITION_TYPE_MISMATCH"}),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, set()),
        ({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, set()),
        ({"NumericLessThan": {"aws:CurrentTime": "1700000000"}}, {"CONDITION_TYPE_MISMATCH"}),
        ({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}, set()),
        ({"NumericLessThan": {"aws:EpochTime": "1700000000"}}, set()),
        ({"DateGreaterThan": {"aws:EpochTime": "2020-01-01T00:00:00Z"}}, set()),
        ({"Bool": {"aws:SecureTransport": "true"}}, set()),
        ({"StringEquals": {"aws:SecureTransport": "true"}}, {"CONDITION_TYPE_MISMATCH"}),
        ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ops-*"}}, set()),
        ({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ops-*"}}, set()),
        ({"ForAnyValue:StringEquals": {"aws:TagKeys": "env"}}, set()),
        ({"NumericEquals": {"aws:MultiFactorAuthAge": "3600"}}, set()),
        ({"DateLessThan": {"aws:MultiFactorAuthAge": "2030-01-01T00:00:00Z"}}, {"CONDITION_TYPE_MISMATCH"}),
        ({"Null": {"aws:SourceIp": "true"}}, set()),
        ({"Null": {"aws:usernme": "true"}}, {"UNKNOWN_CONDITION_KEY"}),
        # A service's key is not judged without the catalogue's keys for the statement's actions.
        ({"StringEquals": {"s3:prefix": "home/"}}, set()),
    ],
)
def test_global_condition_keys_are_known_and_typed(condition, expected):
    assert _key_codes(condition) == expected


def test_an_unknown_global_key_is_named_with_the_nearest_one():
    policy = allow("s3:GetObject", "*", {"StringEquals": {"aws:usernme": "mia"}})
    found = [f for f in validate_policy(policy) if f.code == "UNKNOWN_CONDITION_KEY"]
    assert [(f.level, f.message, f.path) for f in found] == [
        (
            Level.WARNING,
            "aws:usernme is not a global condition key (did you mean aws:username?)",
            'Statement[0].Condition.StringEquals["aws:usernme"]',
        )
    ]


def test_an_operator_that_does_not_suit_a_key_says_which_do():
    policy = allow("s3:GetObject", "*", {"StringEquals": {"aws:SourceIp": "10.0.0.1"}})
    found = [f.message for f in validate_policy(policy) if f.code == "CONDITION_TYPE_MISMATCH"]
    assert found == ["StringEquals does not suit aws:SourceIp (of type IPAddress): use IpAddress or NotIpAddress"]


# Keys of IAM's actions as AWS's Service Authorization Reference gives them: AttachUserPolicy
# has iam:PolicyARN and iam:PermissionsBoundary; a user's tags are iam:ResourceTag/${TagKey}.
ACTION_KEYS = {
    "iam:AttachUserPolicy": ["iam:PolicyARN", "iam:PermissionsBoundary"],
    "iam:CreateUser": ["iam:PermissionsBoundary", "aws:RequestTag/${TagKey}", "aws:TagKeys"],
    "iam:GetUser": ["iam:ResourceTag/${TagKey}"],
    "iam:PassRole": ["iam:PassedToService", "iam:AssociatedResourceArn"],
    "s3:GetObject": [],
}
KEY_TYPES = {
    "iam:PolicyARN": "ARN",
    "iam:PermissionsBoundary": "ARN",
    "iam:ResourceTag/${TagKey}": "String",
    "iam:PassedToService": "String",
}


@pytest.mark.parametrize(
    ("actions", "condition", "expected"),
    [
        ("iam:AttachUserPolicy", {"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"}}, set()),
        ("iam:AttachUserPolicy", {"ArnEquals": {"IAM:PolicyArn": "arn:aws:iam::aws:policy/X"}}, set()),
        ("iam:CreateUser", {"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/X"}}, {"UNKNOWN_CONDITION_KEY"}),
        (
            ["iam:Attach*", "iam:CreateUser"],
            {"ArnEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}},
            set(),
        ),
        ("iam:Get*", {"StringEquals": {"iam:ResourceTag/team": "dev"}}, set()),
        ("iam:GetUser", {"StringEquals": {"iam:ResourceTags/team": "dev"}}, {"UNKNOWN_CONDITION_KEY"}),
        ("iam:PassRole", {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}, set()),
        ("iam:PassRole", {"ArnLike": {"iam:PassedToService": "ec2.amazonaws.com"}}, set()),
        ("iam:AttachUserPolicy", {"NumericEquals": {"iam:PolicyARN": "1"}}, {"CONDITION_TYPE_MISMATCH"}),
        ("iam:AttachUserPolicy", {"StringEquals": {"iam:PolicyArnn": "x"}}, {"UNKNOWN_CONDITION_KEY"}),
        # Global keys suit every action.
        ("s3:GetObject", {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}, set()),
        # What the catalogue cannot say about is not reported.
        ("ec2:RunInstances", {"StringEquals": {"ec2:InstanceType": "t3.micro"}}, set()),
        (["ec2:RunInstances", "iam:GetUser"], {"StringEquals": {"ec2:InstanceType": "t3.micro"}}, set()),
        ("*", {"StringEquals": {"iam:PolicyARN": "x"}}, set()),
        ("iam:Frob*", {"StringEquals": {"iam:PolicyARN": "x"}}, set()),
    ],
)
def test_service_keys_are_checked_against_the_keys_of_the_statements_actions(actions, condition, expected):
    options = {"catalogue": ACTION_KEYS, "action_keys": ACTION_KEYS, "key_types": KEY_TYPES}
    assert _key_codes(condition, actions, **options) == expected


def test_without_action_keys_a_service_key_is_not_judged():
    condition = {"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/X"}}
    assert _key_codes(condition, "iam:CreateUser", catalogue=ACTION_KEYS) == set()


def test_not_action_leaves_service_keys_unjudged():
    policy = document(
        {"Effect": "Deny", "NotAction": "iam:GetUser", "Resource": "*", "Condition": {"Bool": {"iam:Nothing": "1"}}}
    )
    found = {code for _, code in codes(policy, catalogue=ACTION_KEYS, action_keys=ACTION_KEYS)}
    assert "UNKNOWN_CONDITION_KEY" not in found


@pytest.mark.parametrize(
    ("first", "second", "redundant_paths"),
    [
        (("s3:*", "arn:aws:s3:::b/*"), ("s3:GetObject", "arn:aws:s3:::b/x"), ["Statement[1]"]),
        (("S3:GET*", "arn:aws:s3:::b/*"), ("s3:getobject", "arn:aws:s3:::b/x"), ["Statement[1]"]),
        (("s3:GetObject", "arn:aws:s3:::b/*"), ("s3:GetObject", "arn:aws:s3:::B/x"), []),  # ARNs keep their case
        (("s3:GetObject", "*"), ("s3:GetObject", "*"), ["Statement[1]"]),  # of two alike, the later one
        (("s3:Get?bject", "*"), (["s3:GetObject", "s3:PutObject"], "*"), []),
        ((["s3:GetObject", "s3:Put*"], "*"), (["s3:PutObject", "s3:GetObject"], "*"), ["Statement[1]"]),
        (("s3:GetObject", "*"), ("s3:*", "*"), ["Statement[0]"]),
    ],
)
def test_a_statement_that_another_covers_is_redundant(first, second, redundant_paths):
    policy = document(statement("Allow", *first), statement("Allow", *second))
    found = [f.path for f in validate_policy(policy) if f.code == "REDUNDANT_STATEMENT"]
    assert found == redundant_paths


def test_redundant_statements_of_a_trust_policy_are_found_without_resources():
    trust = document(
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:*"},
    )
    found = [f.path for f in validate_policy(trust, kind="trust") if f.code == "REDUNDANT_STATEMENT"]
    assert found == ["Statement[0]"]
