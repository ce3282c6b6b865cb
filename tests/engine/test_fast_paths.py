"""The engine's fast paths agree with its thorough ones (hypothesis).

Four shortcuts are kept for speed: `wellformed` reads a statement with nothing
wrong in it before `parse`'s thorough reading, `authorize` decides a request
against identity policies alone without the general bookkeeping, a statement
whose only test is one Resource pattern is tested by that pattern's matcher
alone, and when every statement for the action is such a one, `authorize`
decides without preparing the request and remembers the answer by action and
resource in the policy set.
Each is kept only because these properties hold on documents and requests
generated broadly: every element, NotAction/NotResource/NotPrincipal,
condition operators with IfExists and the set qualifiers, policy variables,
and, for the parser, malformed statements of every kind. The number of
examples comes from the hypothesis profile (tests/conftest.py).
"""

from __future__ import annotations

import json
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

from policies.engine import (
    PolicyError,
    PolicyKind,
    Request,
    authorize,
    compile_policies,
    match,
    parse_policy,
    wellformed,
)
from policies.engine import evaluate as evaluation
from policies.engine import parse as thorough
from policies.engine.document import OPERATORS, SET_QUALIFIERS
from policies.engine.jsontext import JsonNumber

from .helpers import ACCOUNT, ALICE, BOB_ELSEWHERE, ROLE, ROOT, SESSION

OTHER = "444455556666"
FEDERATED = f"arn:aws:sts::{ACCOUNT}:federated-user/carol"
PRINCIPALS = [ALICE, ROLE, SESSION, ROOT, BOB_ELSEWHERE, FEDERATED, "not-an-arn"]
ACTIONS = ["s3:GetObject", "s3:PutObject", "iam:CreateUser", "iam:PassRole", "sts:AssumeRole"]
ACTION_PATTERNS = [*ACTIONS, "*", "s3:*", "S3:get*", "iam:?reateUser", "*Object", "sts:*"]
RESOURCES = [
    "arn:aws:s3:::bucket/alice/a.txt",
    "arn:aws:s3:::bucket/private/b.txt",
    f"arn:aws:iam::{ACCOUNT}:user/bob",
    f"arn:aws:iam::{OTHER}:role/admin",
    f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue",
]
RESOURCE_PATTERNS = [
    *RESOURCES,
    "*",
    "arn:aws:s3:::bucket/*",
    "arn:aws:s3:::bucket/${aws:username}/*",
    f"arn:aws:iam::{ACCOUNT}:user/${{aws:PrincipalTag/team}}",
    "arn:aws:iam::*:role/*",
    "arn:aws:sqs:*:*:que?e",
]

# per operator family: a key the context may carry, and values (some unfit, which compile with a finding)
FAMILIES = {
    "String": ("aws:PrincipalTag/team", ["dev", "ops", "d*", "${aws:username}", "alice"]),
    "Numeric": ("s3:max-keys", ["10", "5", "2.5", "many", 10, 2.5, JsonNumber("5")]),
    "Date": ("aws:CurrentTime", ["2030-01-01T00:00:00Z", "2020-01-01T00:00:00Z", "1700000000", "soon"]),
    "Bool": ("aws:MultiFactorAuthPresent", ["true", "false", "yes", True, False]),
    "Binary": ("s3:content", ["QUJD", "???"]),
    "Ip": ("aws:SourceIp", ["10.0.0.0/8", "192.0.2.1/32", "2001:db8::/32", "nowhere"]),
    "Arn": ("aws:PrincipalArn", [ROLE, "arn:aws:iam::*:role/*", f"arn:aws:iam::{ACCOUNT}:user/*"]),
    "Null": ("aws:TokenIssueTime", ["true", "false"]),
}
SET_KEY = "aws:TagKeys"
CONTEXT_VALUES = {
    "aws:PrincipalTag/team": ["dev", "ops", "qa"],
    "s3:max-keys": ["3", "10", "50", "x"],
    "aws:CurrentTime": ["2026-11-28T10:00:00Z", "2031-01-01T00:00:00Z"],
    "aws:MultiFactorAuthPresent": ["true", "false"],
    "s3:content": ["QUJD"],
    "aws:SourceIp": ["10.1.2.3", "192.0.2.1", "2001:db8::1"],
    "aws:PrincipalArn": [ROLE, ALICE],
    "aws:TokenIssueTime": ["2026-11-28T09:00:00Z"],
    "aws:username": ["alice", "bob"],
}


@st.composite
def operators(draw) -> str:
    name = draw(st.sampled_from(sorted(OPERATORS)))
    if name == "Null":
        return name
    qualifier = draw(st.sampled_from([None, *SET_QUALIFIERS]))
    return (f"{qualifier}:" if qualifier else "") + name + ("IfExists" if draw(st.booleans()) else "")


@st.composite
def condition_blocks(draw) -> dict:
    block: dict = {}
    for _ in range(draw(st.integers(1, 3))):
        operator = draw(operators())
        family = OPERATORS[operator.split(":")[-1].removesuffix("IfExists")][0]
        key, values = FAMILIES[family]
        if family == "String" and draw(st.booleans()):
            key = SET_KEY  # a key with several values, for the set qualifiers
            values = ["env", "team", "cost", "e*"]
        listed = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3))
        block.setdefault(operator, {})[key] = listed[0] if len(listed) == 1 and draw(st.booleans()) else listed
    return block


def listed(patterns):
    return st.lists(st.sampled_from(patterns), min_size=1, max_size=3) | st.sampled_from(patterns)


@st.composite
def valid_statements(draw, kind: PolicyKind = PolicyKind.IDENTITY) -> dict:
    statement: dict = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
    if draw(st.booleans()):
        statement["Sid"] = draw(st.sampled_from(["S1", "Read", ""]))
    statement["NotAction" if draw(st.integers(0, 4)) == 0 else "Action"] = draw(listed(ACTION_PATTERNS))
    if kind is not PolicyKind.TRUST:
        statement["NotResource" if draw(st.integers(0, 4)) == 0 else "Resource"] = draw(listed(RESOURCE_PATTERNS))
    if kind in (PolicyKind.RESOURCE, PolicyKind.TRUST):
        principal = draw(
            st.sampled_from(["*", {"AWS": "*"}, {"AWS": ACCOUNT}, {"AWS": [ALICE, ROLE]}, {"Service": "x.example"}])
        )
        statement["NotPrincipal" if draw(st.integers(0, 4)) == 0 else "Principal"] = principal
    if draw(st.integers(0, 2)):
        statement["Condition"] = draw(condition_blocks())
    return statement


# pieces that are wrong somewhere, for the parser's properties
ODD_VALUES = st.sampled_from(
    [None, 1, 2.5, True, [], [1], ["s3:GetObject", 2], {}, {"a": "b"}, "", JsonNumber("7"), ["*"]]
)
ODD_PRINCIPALS = st.sampled_from(["*", "someone", ["*"], {}, {"AWS": []}, {"Bogus": "x"}, {"AWS": [1]}, {"AWS": "*"}])
ODD_CONDITIONS = st.sampled_from(
    [
        None,
        [],
        "Bool",
        {"StringEqualz": {"k": "v"}},
        {"NullIfExists": {"k": "true"}},
        {"ForAnyValue:Null": {"k": "true"}},
        {"Sometimes:StringEquals": {"k": "v"}},
        {"IfExists": {"k": "v"}},
        {"StringEquals": "v"},
        {"StringEquals": {"": "v"}},
        {"StringEquals": {"k": []}},
        {"StringEquals": {"k": [{"x": 1}]}},
        {"StringEquals": {"k": None}},
        {"NumericEquals": {"k": [1, 2.5, JsonNumber("3")]}},
        {"Bool": {"k": [True, False]}},
        {"StringEquals": {"k": float("inf")}},
        {"StringEquals": {}},
        {},
    ]
)


@st.composite
def any_statements(draw, kind: PolicyKind):
    """A statement as the kind wants it, then perhaps broken in one or more places."""
    statement = draw(valid_statements(kind))
    for _ in range(draw(st.integers(0, 3))):
        element = draw(
            st.sampled_from(
                ["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal"]
                + ["Condition", "Actions", "Conditon", 7]
            )
        )
        if draw(st.booleans()) and element in statement:
            del statement[element]
        elif element in ("Principal", "NotPrincipal"):
            statement[element] = draw(ODD_PRINCIPALS)
        elif element == "Condition":
            statement[element] = draw(ODD_CONDITIONS | condition_blocks())
        elif element == "Effect":
            statement[element] = draw(st.sampled_from(["allow", "Allow", "Deny", "DENY", 1, None]))
        else:
            statement[element] = draw(ODD_VALUES | listed(ACTION_PATTERNS + RESOURCE_PATTERNS))
    return draw(st.sampled_from([statement, statement, [statement], "statement", None]))


KINDS = st.sampled_from(list(PolicyKind))


@given(kind=KINDS, data=st.data())
def test_the_quick_reading_of_a_statement_is_the_thorough_one_whenever_it_answers(kind, data):
    value = data.draw(any_statements(kind))
    quick = wellformed.statement(value, 0, "Statement[0]", kind)
    problems = thorough.Problems()
    careful = thorough._statement(value, 0, "Statement[0]", kind, problems)
    if quick is not None:
        assert problems.items == []
        assert quick == careful


def _parsed(source, kind):
    try:
        return parse_policy(source, kind=kind)
    except PolicyError as error:
        return error.findings


@given(kind=KINDS, as_text=st.booleans(), data=st.data())
def test_a_document_parses_the_same_with_and_without_the_quick_reading(kind, as_text, data):
    statements = data.draw(st.lists(any_statements(kind), min_size=1, max_size=3))
    document = {"Version": "2012-10-17", "Statement": statements[0] if len(statements) == 1 else statements}
    if as_text:
        try:
            source = json.dumps(document, allow_nan=False)
        except (TypeError, ValueError):
            source = json.dumps(document, default=str)  # keys or values JSON cannot hold as they are
    else:
        source = document
    quick = _parsed(source, kind)
    with mock.patch.object(wellformed, "statement", return_value=None):
        careful = _parsed(source, kind)
    assert quick == careful


@st.composite
def identity_sets(draw):
    documents = draw(
        st.lists(st.lists(valid_statements(), min_size=1, max_size=4), min_size=0, max_size=4).map(
            lambda found: [{"Version": "2012-10-17", "Statement": statements} for statements in found]
        )
    )
    # broad grants, so that several allows often apply together, some under conditions
    broad = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    for condition in draw(st.lists(st.none() | condition_blocks(), max_size=3)):
        documents.append(
            {"Version": "2012-10-17", "Statement": dict(broad, **({"Condition": condition} if condition else {}))}
        )
    # enough statements, sometimes, for the set's action index to be built
    if draw(st.booleans()):
        documents += [{"Version": "2012-10-17", "Statement": [draw(valid_statements())] * 20}]
    return compile_policies(documents)


CONTEXTS = st.fixed_dictionaries(
    {},
    optional={
        **{key: st.sampled_from(values) for key, values in CONTEXT_VALUES.items()},
        SET_KEY: st.lists(st.sampled_from(["env", "team", "cost"]), max_size=3),
    },
)
REQUESTS = st.builds(
    Request,
    principal=st.sampled_from(PRINCIPALS),
    action=st.sampled_from(ACTIONS + ["S3:GETOBJECT"]),
    resource=st.sampled_from(RESOURCES + ["*"]),
    context=CONTEXTS,
    resource_account=st.sampled_from([None, None, ACCOUNT, OTHER]),
)


@given(request=REQUESTS, identity=identity_sets())
def test_the_identity_only_shortcut_decides_as_the_general_path(request, identity):
    quick = authorize(request, identity=identity)
    general = authorize(request, identity=[identity])  # a list of sets takes the general path
    assert quick == general  # outcome, deciding, blocking layers, missing keys, conditional, errors, findings
    assert quick.trace == general.trace
    again = authorize(request, identity=identity)  # from the set's memo, when the shortest path took it
    assert again == general and again.trace == general.trace


@given(request=REQUESTS, identity=identity_sets())
def test_a_statement_with_one_plain_resource_test_applies_as_the_general_test_says(request, identity):
    prepared = evaluation.prepare(request)
    for statement in identity.candidates(prepared.action):
        if statement.plain is not None:
            general = evaluation.applies(statement, prepared, set()) is not None
            assert statement.plain(prepared.resource) is general


ARN_TEXT = st.text(alphabet="ab:/*?-", max_size=24)


@given(
    st.lists(st.sampled_from(["arn", "aws", "s3", "", "us-east-1", ACCOUNT, "b/k", "a:b"]), min_size=3, max_size=6),
    ARN_TEXT,
    st.lists(ARN_TEXT, max_size=4),
)
def test_a_pattern_with_only_a_trailing_star_matches_as_the_tokenizer_reads_it(parts, tail, subjects):
    """compile_arn's prefix shortcut for `prefix*` agrees with the character-by-character
    reading on every pattern it takes, for subjects that extend the prefix and others."""
    pattern = ":".join(parts) + tail.replace("*", "").replace("?", "") + "*"
    shortcut, thorough_match = match.compile_arn(pattern), match.compile_arn_tokens(pattern)
    for subject in [*subjects, pattern[:-1], pattern[:-1] + "x:y/z", *RESOURCES]:
        assert shortcut(subject) == thorough_match(subject), (pattern, subject)
    if pattern.count(":", 0, -1) >= 3:
        assert match._only_a_trailing_star(pattern)
