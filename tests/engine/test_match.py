"""Wildcard matching of actions and ARNs, checked against a slow reference."""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.engine import PolicyKind, compile_policies
from policies.engine.match import compile_action, compile_arn, compile_glob
from tests.documents import allow

from .helpers import ALLOW, IMPLICIT, decide


def reference_glob(pattern: str, subject: str) -> bool:
    """Plain * and ? matching by the definition, with memoised recursion."""

    @functools.cache
    def match(i: int, j: int) -> bool:
        if i == len(pattern):
            return j == len(subject)
        if pattern[i] == "*":
            return match(i + 1, j) or (j < len(subject) and match(i, j + 1))
        if j == len(subject):
            return False
        return (pattern[i] == "?" or pattern[i] == subject[j]) and match(i + 1, j + 1)

    return match(0, 0)


def reference_arn(pattern: str, subject: str) -> bool:
    """The ARN rule of docs/policy-evaluation.md ("Resources"), spelt out: parts split at
    the first five colons.

    No wildcards in the service part; `?` and a `*` inside a part never
    cross the colons between parts; a `*` that ends a part (or sits in the
    resource part) runs on past them.
    """
    if pattern == "*":
        return True
    pattern_colons = [i for i, c in enumerate(pattern) if c == ":"][:5]
    subject_colons = set([i for i, c in enumerate(subject) if c == ":"][:5])

    def part_of(i: int) -> int:
        return sum(1 for colon in pattern_colons if colon < i)

    def kind(i: int) -> str:
        char, part = pattern[i], part_of(i)
        if char not in "*?" or part == 2:
            return "literal"
        if char == "?":
            return "one"
        if part >= 5 or i + 1 == len(pattern) or i + 1 in pattern_colons:
            return "run"
        return "within"

    @functools.cache
    def match(i: int, j: int) -> bool:
        if i == len(pattern):
            return j == len(subject)
        what = kind(i)
        if what in ("run", "within"):
            if match(i + 1, j):
                return True
            can_take = j < len(subject) and (what == "run" or j not in subject_colons)
            return can_take and match(i, j + 1)
        if j == len(subject):
            return False
        if what == "one":
            return j not in subject_colons and match(i + 1, j + 1)
        return pattern[i] == subject[j] and match(i + 1, j + 1)

    return match(0, 0)


ARN_CASES = [
    # (pattern, resource, matches) from AWS's Resource element page (docs/policy-evaluation.md, "Resources")
    ("*", "arn:aws:s3:::anything/at:all", True),
    ("*", "not-even-an-arn", True),
    ("arn:aws:s3:::example-bucket/*", "arn:aws:s3:::example-bucket/a/b/c.txt", True),
    ("arn:aws:s3:::example-bucket/*", "arn:aws:s3:::example-bucket", False),
    ("arn:aws:s3:::example-bucket*", "arn:aws:s3:::example-bucket", True),
    ("arn:aws:s3:::example-bucket/*", "arn:aws:s3:::example-bucket/a:b", True),
    ("arn:aws:iam::123456789012:user/accounting/*", "arn:aws:iam::123456789012:user/accounting/bob", True),
    ("arn:aws:iam::123456789012:user/accounting/*", "arn:aws:iam::123456789012:user/bob", False),
    ("arn:aws:iam::123456789012:user/Bob", "arn:aws:iam::123456789012:user/bob", False),
    ("arn:aws:s3:::Example-Bucket/*", "arn:aws:s3:::example-bucket/x", False),
    ("arn:aws:ec2:*:123456789012:instance/*", "arn:aws:ec2:us-east-1:123456789012:instance/i-1", True),
    ("arn:aws:ec2:*:123456789012:instance/*", "arn:aws:ec2:us-east-1:999999999999:instance/i-1", False),
    # a * that ends a part runs on past the colons that follow
    ("arn:aws:ec2:*", "arn:aws:ec2:us-east-1:123456789012:instance/i-1", True),
    ("arn:aws:iam::*", "arn:aws:iam::123456789012:user/alice", True),
    ("arn:aws:ec2:us-east-1:*", "arn:aws:ec2:us-east-1:123456789012:volume/v-1", True),
    ("arn:aws:ec2:us-*", "arn:aws:ec2:us-west-2:123456789012:volume/v-1", True),
    # a * inside a part stays inside it
    ("arn:aws:ec2:us-*-1:123456789012:instance/i", "arn:aws:ec2:us-east-1:123456789012:instance/i", True),
    ("arn:aws:ec2:u*1:123456789012:instance/i", "arn:aws:ec2:us:east:1:123456789012:instance/i", False),
    ("arn:aws:ec2:*-1:123456789012:instance/i", "arn:aws:ec2:us-east-1:123456789012:instance/i", True),
    # ? is exactly one character and never a colon between parts
    ("arn:aws:s3:::bucket-?", "arn:aws:s3:::bucket-1", True),
    ("arn:aws:s3:::bucket-?", "arn:aws:s3:::bucket-10", False),
    ("arn:aws:s3:::bucket-?", "arn:aws:s3:::bucket-", False),
    ("arn:aws:ec2:us-east-?:123456789012:x", "arn:aws:ec2:us-east-2:123456789012:x", True),
    ("arn:aws:ec2:us-east?123456789012:x", "arn:aws:ec2:us-east:123456789012:x", False),
    # no wildcards in the service part
    ("arn:aws:*:us-east-1:123456789012:x", "arn:aws:ec2:us-east-1:123456789012:x", False),
    ("arn:aws:s?:::b", "arn:aws:s3:::b", False),
    # the resource part holds / and :, and * spans both
    ("arn:aws:logs:us-east-1:123456789012:log-group:*", "arn:aws:logs:us-east-1:123456789012:log-group:a:b/c", True),
    ("arn:aws:s3:::a*z", "arn:aws:s3:::a/b:c/z", True),
    ("arn:aws:s3:::a*z", "arn:aws:s3:::a/b:c/zz/y", False),
]


@pytest.mark.parametrize(("pattern", "resource", "expected"), ARN_CASES)
def test_arn_pattern_table(pattern, resource, expected):
    assert compile_arn(pattern)(resource) is expected
    assert reference_arn(pattern, resource) is expected


ACTION_CASES = [
    ("s3:GetObject", "s3:getobject", True),
    ("S3:GETOBJECT", "s3:getobject", True),
    ("s3:Get*", "s3:getobjectacl", True),
    ("s3:Get*", "s3:putobject", False),
    ("s3:*Object", "s3:deleteobject", True),
    ("s3:?etObject", "s3:getobject", True),
    ("s3:?etObject", "s3:gettobject", False),
    ("*", "iam:createuser", True),
    ("iam:*", "s3:getobject", False),
    ("s3:List*Buckets", "s3:listallmybuckets", True),
]


@pytest.mark.parametrize(("pattern", "action", "expected"), ACTION_CASES)
def test_action_patterns_ignore_case(pattern, action, expected):
    assert compile_action(pattern)(action) is expected


def test_action_case_through_a_policy():
    identity = [allow("S3:getobject", "*")]
    assert decide(identity, action="s3:GetObject") is ALLOW
    assert decide(identity, action="S3:GETOBJECT") is ALLOW
    assert decide(identity, action="s3:GetObjectAcl") is IMPLICIT


def test_resource_case_through_a_policy():
    identity = [allow("s3:GetObject", "arn:aws:s3:::Example-Bucket/*")]
    assert decide(identity, resource="arn:aws:s3:::example-bucket/report.csv") is IMPLICIT
    assert decide(identity, resource="arn:aws:s3:::Example-Bucket/report.csv") is ALLOW


def test_adversarial_patterns_finish():
    subject = "arn:aws:s3:::" + "a" * 2048
    assert compile_arn("arn:aws:s3:::*a*a*a*a*a*a*a*a*b")(subject) is False
    assert compile_glob("*a*a*a*a*a*a*a*a*b")("a" * 2048) is False
    region_subject = "arn:aws:ec2:" + "a" * 2048 + ":1:x"
    assert compile_arn("arn:aws:ec2:*a*a*a*a*a*b*:1:x")(region_subject) is False
    assert compile_arn("arn:aws:ec2:*a*a*a*a*a*a*:1:x")(region_subject) is True
    sets = compile_policies([allow("s3:*a*a*a*a*a*a*b", "*")], kind=PolicyKind.IDENTITY)
    assert len(sets) == 1
    assert decide([allow("s3:*a*a*a*a*a*a*b", "*")], action="s3:" + "a" * 2048) is IMPLICIT


_arn_alphabet = st.text(alphabet="ab:/*?", max_size=14)
_subject_alphabet = st.text(alphabet="ab:/", max_size=14)


@settings(max_examples=200, deadline=None)
@given(
    prefix=st.sampled_from(["", "arn:aws:s3:::", "arn:aws:ec2:", "arn:", "arn:aws:s3:a:b:"]),
    pattern=_arn_alphabet,
    subject=_subject_alphabet,
)
def test_arn_matcher_agrees_with_reference(prefix, pattern, subject):
    for full_subject in (prefix + subject, subject):
        assert compile_arn(prefix + pattern)(full_subject) is reference_arn(prefix + pattern, full_subject)


@settings(max_examples=200, deadline=None)
@given(pattern=st.text(alphabet="ab:*?", max_size=12), subject=st.text(alphabet="ab:", max_size=14))
def test_glob_matcher_agrees_with_reference(pattern, subject):
    assert compile_glob(pattern)(subject) is reference_glob(pattern, subject)


@settings(max_examples=100, deadline=None)
@given(pattern=_arn_alphabet, subject=_subject_alphabet)
def test_arn_matcher_agrees_on_resource_part_literals(pattern, subject):
    # patterns whose first five parts are literal take the prefix-and-regex path
    full_pattern, full_subject = "arn:aws:s3:::" + pattern, "arn:aws:s3:::" + subject
    assert compile_arn(full_pattern)(full_subject) is reference_arn(full_pattern, full_subject)
