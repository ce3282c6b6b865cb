"""Policy variables, defaults and escapes (AWS's Policy variables page)."""

from __future__ import annotations

import pytest

from tests.documents import allow, document, statement

from .helpers import ALLOW, IMPLICIT, condition_holds, decide

HOME = "arn:aws:s3:::home/${aws:username}/*"


@pytest.mark.parametrize(
    ("resource", "context", "expected"),
    [
        ("arn:aws:s3:::home/alice/notes.txt", {"aws:username": "alice"}, ALLOW),
        ("arn:aws:s3:::home/bob/notes.txt", {"aws:username": "alice"}, IMPLICIT),
        ("arn:aws:s3:::home/alice/notes.txt", {}, IMPLICIT),
        ("arn:aws:s3:::home//notes.txt", {}, IMPLICIT),
        ("arn:aws:s3:::home/alice/notes.txt", {"AWS:USERNAME": "alice"}, ALLOW),
    ],
)
def test_username_variable_in_resource(resource, context, expected):
    assert decide([allow("s3:GetObject", HOME)], resource=resource, context=context) is expected


def test_variable_values_are_literal_text_not_wildcards():
    identity = [allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}")]
    assert decide(identity, resource="arn:aws:s3:::home/abc", context={"aws:username": "a*"}) is IMPLICIT
    assert decide(identity, resource="arn:aws:s3:::home/a*", context={"aws:username": "a*"}) is ALLOW


def test_default_value_applies_when_the_key_is_missing():
    pattern = "arn:aws:s3:::teams/${aws:PrincipalTag/team, 'none'}/*"
    identity = [allow("s3:GetObject", pattern)]
    assert decide(identity, resource="arn:aws:s3:::teams/none/x") is ALLOW
    assert decide(identity, resource="arn:aws:s3:::teams/dev/x", context={"aws:PrincipalTag/team": "dev"}) is ALLOW
    assert decide(identity, resource="arn:aws:s3:::teams/none/x", context={"aws:PrincipalTag/team": "dev"}) is IMPLICIT


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        ("arn:aws:s3:::bucket/${*}", "arn:aws:s3:::bucket/*", ALLOW),
        ("arn:aws:s3:::bucket/${*}", "arn:aws:s3:::bucket/anything", IMPLICIT),
        ("arn:aws:s3:::bucket/${?}", "arn:aws:s3:::bucket/?", ALLOW),
        ("arn:aws:s3:::bucket/${?}", "arn:aws:s3:::bucket/x", IMPLICIT),
        ("arn:aws:s3:::bucket/${$}x", "arn:aws:s3:::bucket/$x", ALLOW),
    ],
)
def test_escapes_are_literal_characters(pattern, resource, expected):
    assert decide([allow("s3:GetObject", pattern)], resource=resource) is expected


@pytest.mark.parametrize("version", ["2008-10-17", None])
def test_old_or_missing_version_keeps_variables_as_text(version):
    identity = [document(statement("Allow", "s3:GetObject", "arn:aws:s3:::home/${aws:username}"), version=version)]
    context = {"aws:username": "alice"}
    assert decide(identity, resource="arn:aws:s3:::home/alice", context=context) is IMPLICIT
    assert decide(identity, resource="arn:aws:s3:::home/${aws:username}", context=context) is ALLOW


def test_variables_only_in_the_resource_part_of_an_arn():
    identity = [allow("iam:GetUser", "arn:aws:iam::${aws:PrincipalAccount}:user/x")]
    context = {"aws:PrincipalAccount": "111122223333"}
    assert (
        decide(identity, action="iam:GetUser", resource="arn:aws:iam::111122223333:user/x", context=context) is IMPLICIT
    )


def test_multi_valued_key_is_no_variable():
    identity = [allow("s3:GetObject", "arn:aws:s3:::tags/${aws:TagKeys}")]
    assert decide(identity, resource="arn:aws:s3:::tags/a", context={"aws:TagKeys": ["a", "b"]}) is IMPLICIT


CONDITION_CASES = [
    (
        {"StringEquals": {"s3:prefix": "home/${aws:username}/"}},
        {"aws:username": "alice", "s3:prefix": "home/alice/"},
        True,
    ),
    (
        {"StringEquals": {"s3:prefix": "home/${aws:username}/"}},
        {"aws:username": "bob", "s3:prefix": "home/alice/"},
        False,
    ),
    (
        {"StringLike": {"s3:prefix": "home/${aws:username}/*"}},
        {"aws:username": "alice", "s3:prefix": "home/alice/a/b"},
        True,
    ),
    (
        {"StringLike": {"s3:prefix": "home/${aws:username}/*"}},
        {"aws:username": "*", "s3:prefix": "home/alice/a"},
        False,
    ),
    # unresolved without a default: positive operators do not match, negated ones do
    ({"StringEquals": {"s3:prefix": "home/${aws:username}/"}}, {"s3:prefix": "home//"}, False),
    ({"StringNotEquals": {"s3:prefix": "home/${aws:username}/"}}, {"s3:prefix": "home/alice/"}, True),
    ({"StringNotLike": {"s3:prefix": "home/${aws:username}/*"}}, {"s3:prefix": "home/alice/x"}, True),
    ({"ArnNotLike": {"aws:SourceArn": "arn:aws:s3:::${aws:username}"}}, {"aws:SourceArn": "arn:aws:s3:::x"}, True),
    ({"StringEquals": {"s3:prefix": "${aws:username, 'guest'}"}}, {"s3:prefix": "guest"}, True),
    (
        {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/${aws:username}"}},
        {"aws:username": "alice", "aws:PrincipalArn": "arn:aws:iam::111122223333:user/alice"},
        True,
    ),
    (
        {"Bool": {"aws:MultiFactorAuthPresent": "${aws:x}"}},
        {"aws:x": "true", "aws:MultiFactorAuthPresent": "true"},
        True,
    ),
    (
        {"StringEquals": {"aws:PrincipalTag/team": "${aws:ResourceTag/team}"}},
        {"aws:PrincipalTag/team": "dev", "aws:ResourceTag/team": "dev"},
        True,
    ),
    (
        {"StringEquals": {"aws:PrincipalTag/team": "${aws:ResourceTag/team}"}},
        {"aws:PrincipalTag/team": "dev", "aws:ResourceTag/team": "ops"},
        False,
    ),
    # no variables under Numeric operators: the text stays, and is no number
    ({"NumericEquals": {"s3:max-keys": "${aws:x}"}}, {"aws:x": "5", "s3:max-keys": "5"}, False),
]


@pytest.mark.parametrize(("block", "context", "expected"), CONDITION_CASES)
def test_variables_in_condition_values(block, context, expected):
    assert condition_holds(block, context) is expected


def test_old_version_keeps_condition_variables_as_text():
    block = {"StringEquals": {"s3:prefix": "${aws:username}"}}
    assert condition_holds(block, {"aws:username": "alice", "s3:prefix": "alice"}, version="2008-10-17") is False
    assert condition_holds(block, {"s3:prefix": "${aws:username}"}, version="2008-10-17") is True
