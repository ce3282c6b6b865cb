"""Every condition operator family, from AWS's Condition operators page."""

from __future__ import annotations

import pytest

from policies.engine import Level, authorize
from tests.documents import allow, document, statement

from .helpers import ALLOW, DENY, IMPLICIT, condition_holds, decide, request

U = "aws:username"
TAGS = "aws:TagKeys"

CASES = [
    # String
    ({"StringEquals": {U: "alice"}}, {U: "alice"}, True),
    ({"StringEquals": {U: "alice"}}, {U: "Alice"}, False),
    ({"StringEquals": {U: "alice"}}, {}, False),
    ({"StringEquals": {U: "a*"}}, {U: "alice"}, False),
    ({"StringEquals": {U: "a*"}}, {U: "a*"}, True),
    ({"StringEquals": {U: ["alice", "bob"]}}, {U: "bob"}, True),
    ({"StringNotEquals": {U: "alice"}}, {U: "bob"}, True),
    ({"StringNotEquals": {U: "alice"}}, {U: "alice"}, False),
    ({"StringNotEquals": {U: "alice"}}, {}, True),
    ({"StringNotEquals": {U: ["alice", "bob"]}}, {U: "bob"}, False),
    ({"StringNotEquals": {U: ["alice", "bob"]}}, {U: "carol"}, True),
    ({"StringEqualsIgnoreCase": {U: "ALICE"}}, {U: "alice"}, True),
    ({"StringEqualsIgnoreCase": {U: "ALICE"}}, {}, False),
    ({"StringNotEqualsIgnoreCase": {U: "ALICE"}}, {U: "alice"}, False),
    ({"StringNotEqualsIgnoreCase": {U: "ALICE"}}, {U: "bob"}, True),
    ({"StringNotEqualsIgnoreCase": {U: "ALICE"}}, {}, True),
    ({"StringLike": {U: "a*"}}, {U: "alice"}, True),
    ({"StringLike": {U: "a?ice"}}, {U: "alice"}, True),
    ({"StringLike": {U: "a?ice"}}, {U: "aalice"}, False),
    ({"StringLike": {U: "a*"}}, {U: "Alice"}, False),
    ({"StringLike": {U: "a*"}}, {}, False),
    ({"StringNotLike": {U: "a*"}}, {U: "alice"}, False),
    ({"StringNotLike": {U: "a*"}}, {U: "bob"}, True),
    ({"StringNotLike": {U: "a*"}}, {}, True),
    ({"StringNotLike": {U: ["a*", "b*"]}}, {U: "bob"}, False),
    # IfExists: absent keys pass, present ones are compared
    ({"StringEqualsIfExists": {U: "alice"}}, {}, True),
    ({"StringEqualsIfExists": {U: "alice"}}, {U: "bob"}, False),
    ({"StringEqualsIfExists": {U: "alice"}}, {U: "alice"}, True),
    ({"StringNotEqualsIfExists": {U: "alice"}}, {}, True),
    ({"StringNotEqualsIfExists": {U: "alice"}}, {U: "alice"}, False),
    ({"NumericLessThanIfExists": {"s3:max-keys": "10"}}, {}, True),
    ({"NumericLessThanIfExists": {"s3:max-keys": "10"}}, {"s3:max-keys": "11"}, False),
    ({"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}, {}, True),
    ({"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}, {"aws:MultiFactorAuthPresent": "false"}, False),
    ({"IpAddressIfExists": {"aws:SourceIp": "10.0.0.0/8"}}, {}, True),
    ({"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:sns:*"}}, {}, True),
    ({"DateLessThanIfExists": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, {}, True),
    # condition key names ignore case, also the tag part; values keep it
    ({"StringEquals": {"AWS:UserName": "alice"}}, {"aws:username": "alice"}, True),
    ({"StringEquals": {"aws:PrincipalTag/Team": "dev"}}, {"aws:principaltag/team": "dev"}, True),
    ({"StringEquals": {"aws:PrincipalTag/team": "Dev"}}, {"aws:PrincipalTag/team": "dev"}, False),
    # keys ANDed, operators ANDed
    ({"StringEquals": {U: "alice", "aws:PrincipalTag/team": "dev"}}, {U: "alice"}, False),
    (
        {"StringEquals": {U: "alice", "aws:PrincipalTag/team": "dev"}},
        {U: "alice", "aws:PrincipalTag/team": "dev"},
        True,
    ),
    ({"StringEquals": {U: "alice"}, "Bool": {"aws:SecureTransport": "true"}}, {U: "alice"}, False),
    (
        {"StringEquals": {U: "alice"}, "Bool": {"aws:SecureTransport": "true"}},
        {U: "alice", "aws:SecureTransport": "true"},
        True,
    ),
    # a multi-valued request key under a plain operator does not match
    ({"StringEquals": {TAGS: "env"}}, {TAGS: ["env", "team"]}, False),
    ({"StringEquals": {TAGS: "env"}}, {TAGS: ["env"]}, True),
    # Numeric
    ({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "5"}, True),
    ({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "10"}, False),
    ({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "10"}, True),
    ({"NumericGreaterThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "10.5"}, True),
    ({"NumericGreaterThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "9"}, False),
    ({"NumericEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "10.0"}, True),
    ({"NumericEquals": {"s3:max-keys": 10}}, {"s3:max-keys": "10"}, True),
    ({"NumericEquals": {"s3:max-keys": ["1", "2"]}}, {"s3:max-keys": "2"}, True),
    ({"NumericNotEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "11"}, True),
    ({"NumericNotEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "10"}, False),
    ({"NumericNotEquals": {"s3:max-keys": "10"}}, {}, True),
    ({"NumericLessThan": {"s3:max-keys": "10"}}, {}, False),
    ({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "ten"}, False),
    ({"NumericLessThan": {"s3:max-keys": "abc"}}, {"s3:max-keys": "1"}, False),
    ({"NumericNotEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "ten"}, False),
    # Date: ISO 8601 or epoch seconds, compared as instants
    (
        {"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}},
        {"aws:CurrentTime": "2026-11-28T10:00:00Z"},
        True,
    ),
    ({"DateLessThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}, {"aws:CurrentTime": "2026-11-28T10:00:00Z"}, False),
    ({"DateLessThan": {"aws:CurrentTime": "1700000000"}}, {"aws:CurrentTime": "2023-01-01T00:00:00Z"}, True),
    ({"DateEquals": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, {"aws:CurrentTime": "1577836800"}, True),
    (
        {"DateEquals": {"aws:CurrentTime": "2020-01-01T01:00:00+01:00"}},
        {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
        True,
    ),
    ({"DateEquals": {"aws:CurrentTime": "2020-01-01"}}, {"aws:CurrentTime": "2020-01-01T00:00:00Z"}, True),
    ({"DateLessThanEquals": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, {"aws:CurrentTime": "1577836800"}, True),
    ({"DateGreaterThanEquals": {"aws:EpochTime": 1577836800}}, {"aws:EpochTime": "1577836801"}, True),
    ({"DateNotEquals": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, {}, True),
    ({"DateNotEquals": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, {"aws:CurrentTime": "2021-01-01T00:00:00Z"}, True),
    ({"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}, {}, False),
    ({"DateGreaterThan": {"aws:CurrentTime": "not a date"}}, {"aws:CurrentTime": "2026-11-28T10:00:00Z"}, False),
    ({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, {"aws:CurrentTime": "yesterday"}, False),
    # Bool, with unquoted JSON booleans comparing as their text
    ({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "true"}, True),
    ({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "false"}, False),
    ({"Bool": {"aws:SecureTransport": True}}, {"aws:SecureTransport": "true"}, True),
    ({"Bool": {"aws:SecureTransport": False}}, {"aws:SecureTransport": "false"}, True),
    ({"Bool": {"aws:SecureTransport": "true"}}, {}, False),
    ({"Bool": {"aws:SecureTransport": "yes"}}, {"aws:SecureTransport": "true"}, False),
    # Binary (base64)
    ({"BinaryEquals": {"k": "QmluYXJ5VmFsdWU="}}, {"k": "QmluYXJ5VmFsdWU="}, True),
    ({"BinaryEquals": {"k": "QmluYXJ5VmFsdWU="}}, {"k": "T3RoZXI="}, False),
    ({"BinaryEquals": {"k": "QmluYXJ5VmFsdWU="}}, {}, False),
    # IP addresses, v4 and v6; a bare address is one host
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.7"}, True),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.1"}, False),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.7"}}, {"aws:SourceIp": "203.0.113.7"}, True),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.7"}}, {"aws:SourceIp": "203.0.113.8"}, False),
    ({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "203.0.113.0/24"]}}, {"aws:SourceIp": "203.0.113.9"}, True),
    ({"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}, {"aws:SourceIp": "2001:db8::1"}, True),
    ({"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}, {"aws:SourceIp": "203.0.113.7"}, False),
    ({"IpAddress": {"aws:SourceIp": "2001:db8::1"}}, {"aws:SourceIp": "2001:db8::2"}, False),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "nope"}, False),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/33"}}, {"aws:SourceIp": "203.0.113.1"}, False),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {}, False),
    ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.1"}, True),
    ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.1"}, False),
    ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {}, True),
    ({"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "203.0.113.0/24"]}}, {"aws:SourceIp": "10.1.1.1"}, False),
    # ARN operators: case-sensitive, part by part, ArnEquals like ArnLike
    (
        {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:topic"}},
        {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:topic"},
        True,
    ),
    (
        {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:topic"}},
        {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:Topic"},
        False,
    ),
    (
        {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:*:123456789012:topic"}},
        {"aws:SourceArn": "arn:aws:sns:eu-west-1:123456789012:topic"},
        True,
    ),
    ({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::bucket/*"}}, {"aws:SourceArn": "arn:aws:s3:::bucket/x/y"}, True),
    ({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::bucket/*"}}, {"aws:SourceArn": "arn:aws:s3:::other/x"}, False),
    ({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::bucket/*"}}, {}, False),
    ({"ArnNotEquals": {"aws:SourceArn": "arn:aws:s3:::bucket"}}, {}, True),
    ({"ArnNotEquals": {"aws:SourceArn": "arn:aws:s3:::bucket"}}, {"aws:SourceArn": "arn:aws:s3:::bucket"}, False),
    ({"ArnNotLike": {"aws:SourceArn": "arn:aws:s3:::bucket/*"}}, {"aws:SourceArn": "arn:aws:s3:::other/x"}, True),
    ({"ArnNotLike": {"aws:SourceArn": "arn:aws:s3:::bucket/*"}}, {}, True),
    # Null: "true" asks for an absent key, "false" for a present one
    ({"Null": {"aws:TokenIssueTime": "true"}}, {}, True),
    ({"Null": {"aws:TokenIssueTime": "true"}}, {"aws:TokenIssueTime": "2026-11-28T10:00:00Z"}, False),
    ({"Null": {"aws:TokenIssueTime": "false"}}, {"aws:TokenIssueTime": "2026-11-28T10:00:00Z"}, True),
    ({"Null": {"aws:TokenIssueTime": "false"}}, {}, False),
    ({"Null": {"aws:TokenIssueTime": True}}, {}, True),
    ({"Null": {TAGS: "false"}}, {TAGS: ["a", "b"]}, True),
    # ForAnyValue / ForAllValues on multi-valued, single, empty and missing keys
    ({"ForAnyValue:StringEquals": {TAGS: ["env", "team"]}}, {TAGS: ["team", "cost"]}, True),
    ({"ForAnyValue:StringEquals": {TAGS: ["env", "team"]}}, {TAGS: ["cost"]}, False),
    ({"ForAnyValue:StringEquals": {TAGS: ["env", "team"]}}, {TAGS: "env"}, True),
    ({"ForAnyValue:StringEquals": {TAGS: ["env", "team"]}}, {}, False),
    ({"ForAnyValue:StringEquals": {TAGS: ["env", "team"]}}, {TAGS: []}, False),
    ({"ForAllValues:StringEquals": {TAGS: ["env", "team"]}}, {TAGS: ["env"]}, True),
    ({"ForAllValues:StringEquals": {TAGS: ["env", "team"]}}, {TAGS: ["env", "team"]}, True),
    ({"ForAllValues:StringEquals": {TAGS: ["env", "team"]}}, {TAGS: ["env", "cost"]}, False),
    ({"ForAllValues:StringEquals": {TAGS: ["env", "team"]}}, {}, True),
    ({"ForAllValues:StringEquals": {TAGS: ["env", "team"]}}, {TAGS: []}, True),
    ({"ForAllValues:StringNotEquals": {TAGS: "secret"}}, {TAGS: ["a", "b"]}, True),
    ({"ForAllValues:StringNotEquals": {TAGS: "secret"}}, {TAGS: ["a", "secret"]}, False),
    ({"ForAllValues:StringNotEquals": {TAGS: "secret"}}, {}, True),
    ({"ForAnyValue:StringNotEquals": {TAGS: "secret"}}, {TAGS: ["secret"]}, False),
    ({"ForAnyValue:StringNotEquals": {TAGS: "secret"}}, {TAGS: ["secret", "a"]}, True),
    ({"ForAnyValue:StringNotEquals": {TAGS: "secret"}}, {}, False),
    ({"ForAnyValue:StringLike": {TAGS: "team*"}}, {TAGS: ["teamA", "x"]}, True),
    ({"ForAllValues:StringLike": {TAGS: "team*"}}, {TAGS: ["teamA", "x"]}, False),
    ({"ForAllValues:StringEqualsIgnoreCase": {TAGS: ["ENV"]}}, {TAGS: ["env", "Env"]}, True),
    ({"ForAnyValue:StringEqualsIfExists": {TAGS: ["env"]}}, {}, True),
    ({"ForAllValues:StringEqualsIfExists": {TAGS: ["env"]}}, {TAGS: ["x"]}, False),
    ({"ForAnyValue:NumericLessThan": {"k": "5"}}, {"k": ["9", "3"]}, True),
    ({"ForAllValues:NumericLessThan": {"k": "5"}}, {"k": ["9", "3"]}, False),
    ({"ForAnyValue:IpAddress": {"k": "10.0.0.0/8"}}, {"k": ["192.0.2.1", "10.2.3.4"]}, True),
    ({"ForAllValues:ArnLike": {"k": "arn:aws:s3:::b/*"}}, {"k": ["arn:aws:s3:::b/1", "arn:aws:s3:::b/2"]}, True),
]


@pytest.mark.parametrize(("block", "context", "expected"), CASES)
def test_condition_operator_table(block, context, expected):
    assert condition_holds(block, context) is expected


def test_deny_on_unquoted_false_applies():
    identity = [
        document(
            statement("Allow", "s3:*", "*"),
            statement("Deny", "*", "*", Condition={"Bool": {"aws:SecureTransport": False}}),
        )
    ]
    assert decide(identity, context={"aws:SecureTransport": "false"}) is DENY
    assert decide(identity, context={"aws:SecureTransport": "true"}) is ALLOW
    assert decide(identity) is ALLOW


def test_unquoted_number_compares_as_text_under_string_operators():
    identity = [allow(Condition={"StringEquals": {"s3:max-keys": 42}})]
    assert decide(identity, context={"s3:max-keys": "42"}) is ALLOW
    assert decide(identity, context={"s3:max-keys": "42.0"}) is IMPLICIT


def test_unfit_policy_value_is_a_finding_on_the_decision():
    identity = [allow(Condition={"NumericLessThan": {"s3:max-keys": "abc"}})]
    decision = authorize(request(context={"s3:max-keys": "1"}), identity=identity)
    assert decision.outcome is IMPLICIT
    assert [(f.level, f.code) for f in decision.findings] == [(Level.ERROR, "BAD_CONDITION_VALUE")]


def test_missing_context_keys_are_reported_for_a_page_to_ask_for():
    identity = [allow(Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})]
    decision = authorize(request(), identity=identity)
    assert decision.outcome is IMPLICIT
    assert decision.missing_context_keys == ("aws:MultiFactorAuthPresent",)


def test_an_allow_under_conditions_is_flagged_conditional():
    conditional = [allow(Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})]
    decision = authorize(request(context={"aws:MultiFactorAuthPresent": "true"}), identity=conditional)
    assert (decision.outcome, decision.conditional) == (ALLOW, True)
    plain = authorize(request(), identity=[allow()])
    assert (plain.outcome, plain.conditional) == (ALLOW, False)
