"""Properties of the decision that must hold for any policies (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from policies.engine import Outcome, Request, authorize, compile_policies, may_allow

from .helpers import ACCOUNT, ALICE, BOB_ELSEWHERE, ROOT, SESSION

ACTIONS = ["s3:GetObject", "s3:PutObject", "iam:CreateUser", "iam:PassRole", "sqs:SendMessage"]
ACTION_PATTERNS = [*ACTIONS, "s3:*", "*", "iam:*", "s3:Get*", "*Object", "s3:?utObject"]
RESOURCES = ["arn:aws:s3:::bucket/a.txt", "arn:aws:s3:::bucket/private/b.txt", f"arn:aws:iam::{ACCOUNT}:user/bob"]
RESOURCE_PATTERNS = [*RESOURCES, "*", "arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/private/*", "arn:aws:iam::*"]
CONDITIONS = [
    {},
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    {"StringEquals": {"aws:PrincipalTag/team": "dev"}},
    {"StringNotEquals": {"aws:PrincipalTag/team": "ops"}},
    {"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}},
    {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
]
CONTEXTS = st.fixed_dictionaries(
    {},
    optional={
        "aws:MultiFactorAuthPresent": st.sampled_from(["true", "false"]),
        "aws:PrincipalTag/team": st.sampled_from(["dev", "ops"]),
        "aws:TagKeys": st.lists(st.sampled_from(["env", "team", "cost"]), max_size=3),
        "aws:SourceIp": st.sampled_from(["10.1.2.3", "192.0.2.1"]),
    },
)


@st.composite
def statements(draw, effect=None):
    statement = {"Effect": effect or draw(st.sampled_from(["Allow", "Deny"]))}
    actions = draw(st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=3))
    statement["NotAction" if draw(st.integers(0, 5)) == 0 else "Action"] = actions
    resources = draw(st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=2))
    statement["NotResource" if draw(st.integers(0, 5)) == 0 else "Resource"] = resources
    condition = draw(st.sampled_from(CONDITIONS))
    if condition:
        statement["Condition"] = condition
    return statement


def documents(effect=None, max_size=3):
    return st.lists(statements(effect), min_size=1, max_size=max_size).map(
        lambda found: {"Version": "2012-10-17", "Statement": found}
    )


def requests_from(principals):
    return st.builds(
        Request,
        principal=st.sampled_from(principals),
        action=st.sampled_from(ACTIONS),
        resource=st.sampled_from(RESOURCES),
        context=CONTEXTS,
        resource_account=st.none(),  # the resource's account is its ARN's, or the caller's
    )


requests = requests_from([ALICE, SESSION, ROOT, BOB_ELSEWHERE])
# where identity policies alone decide: same account, not the root user
same_account_requests = requests_from([ALICE, SESSION])
identity_sets = st.lists(documents(), max_size=3)
optional_document = st.none() | documents()


def outcome(request, identity, **layers) -> Outcome:
    decision = authorize(request, identity=identity, **layers)
    assert not decision.errors, decision.errors
    compiled = authorize(request, identity=compile_policies(identity), **layers)
    assert compiled.outcome is decision.outcome
    return decision.outcome


@settings(max_examples=100, deadline=None)
@given(request=requests, identity=identity_sets, boundary=optional_document, session=optional_document)
def test_explicit_deny_always_wins(request, identity, boundary, session):
    deny_all = {"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}
    assert authorize(request, identity=identity, guardrails=[[deny_all]]).outcome is Outcome.EXPLICIT_DENY
    if request.principal == ROOT:
        return  # no identity policy, boundary or session policy applies to the root user
    for layers in (
        {"identity": [*identity, deny_all], "boundary": boundary},
        {"identity": identity, "boundary": deny_all},
        {"identity": identity, "guardrails": [[deny_all]]},
        {"identity": identity, "session_policy": deny_all},
    ):
        assert authorize(request, **layers).outcome is Outcome.EXPLICIT_DENY


@settings(max_examples=100, deadline=None)
@given(request=requests, identity=identity_sets, extra=documents(effect="Deny"), boundary=optional_document)
def test_adding_a_deny_never_grants(request, identity, extra, boundary):
    before = outcome(request, identity, boundary=boundary)
    after = outcome(request, [*identity, extra], boundary=boundary)
    if before is not Outcome.ALLOW:
        assert after is not Outcome.ALLOW
    if before is Outcome.EXPLICIT_DENY:
        assert after is Outcome.EXPLICIT_DENY


@settings(max_examples=100, deadline=None)
@given(request=requests, identity=identity_sets, data=st.data())
def test_statement_and_policy_order_do_not_matter(request, identity, data):
    shuffled = [
        {"Version": "2012-10-17", "Statement": data.draw(st.permutations(document["Statement"]))}
        for document in data.draw(st.permutations(identity))
    ]
    first = authorize(request, identity=identity)
    second = authorize(request, identity=shuffled)
    assert first.outcome is second.outcome
    assert first.blocking_layers == second.blocking_layers
    assert sorted(first.missing_context_keys) == sorted(second.missing_context_keys)


@settings(max_examples=100, deadline=None)
@given(request=requests, identity=identity_sets, boundary=documents(), guardrail=documents())
def test_a_boundary_or_guardrail_only_narrows(request, identity, boundary, guardrail):
    base = outcome(request, identity)
    with_boundary = outcome(request, identity, boundary=boundary)
    with_guardrail = outcome(request, identity, guardrails=[[guardrail]])
    for narrowed in (with_boundary, with_guardrail):
        if narrowed is Outcome.ALLOW:
            assert base is Outcome.ALLOW
        if base is Outcome.EXPLICIT_DENY:
            assert narrowed is Outcome.EXPLICIT_DENY


@settings(max_examples=100, deadline=None)
@given(request=same_account_requests, actions=st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=4))
def test_not_action_is_the_complement_of_action(request, actions):
    listed = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": actions, "Resource": "*"}}
    others = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "NotAction": actions, "Resource": "*"}}
    by_action = outcome(request, [listed]) is Outcome.ALLOW
    by_not_action = outcome(request, [others]) is Outcome.ALLOW
    assert by_action != by_not_action


@settings(max_examples=100, deadline=None)
@given(request=same_account_requests, resources=st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=3))
def test_not_resource_is_the_complement_of_resource(request, resources):
    listed = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": resources}}
    others = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "NotResource": resources}}
    assert (outcome(request, [listed]) is Outcome.ALLOW) != (outcome(request, [others]) is Outcome.ALLOW)


@settings(max_examples=100, deadline=None)
@given(
    documents=st.lists(documents(max_size=6), min_size=4, max_size=8),
    action=st.sampled_from([*ACTIONS, "S3:GETOBJECT", "s3:", "other"]),
)
def test_the_action_index_finds_exactly_the_statements_that_match(documents, action):
    policy_set = compile_policies(documents)
    everything = [statement for statement in policy_set.statements if statement.matches_action(action.lower())]
    assert list(policy_set.candidates(action.lower())) == everything


@settings(max_examples=100, deadline=None)
@given(request=same_account_requests, identity=identity_sets)
def test_an_action_no_statement_may_allow_is_never_allowed(request, identity):
    if not may_allow(compile_policies(identity), request.action):
        assert outcome(request, identity) is not Outcome.ALLOW
