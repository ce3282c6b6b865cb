"""Layers combined as AWS's policy evaluation logic says (docs/policy-evaluation.md)."""

from __future__ import annotations

import pytest

from policies.engine import (
    PolicySet,
    Request,
    StatementRef,
    allowed_actions,
    authorize,
    authorize_assume_role,
    compile_policies,
    condition_keys,
    explain,
    explanation,
)
from tests.documents import allow, deny, document, grant, statement

from .helpers import (
    ACCOUNT,
    ALICE,
    ALLOW,
    BOB_ELSEWHERE,
    BUCKET,
    DENY,
    IMPLICIT,
    OBJECT,
    OTHER_ACCOUNT,
    ROLE,
    ROOT,
    SESSION,
    decide,
    request,
)

EVERYTHING = allow()
READ = allow("s3:GetObject", "*")
ROLE_CONTEXT = {"aws:PrincipalArn": ROLE}


def test_nothing_allows_by_default():
    decision = authorize(request(), identity=[])
    assert decision.outcome is IMPLICIT
    assert decision.blocking_layers == ("identity",)


def test_identity_allow_and_explicit_deny_wins():
    assert decide([READ]) is ALLOW
    assert decide([READ, deny("s3:*", BUCKET + "/*")]) is DENY
    assert decide([document(statement("Allow", "s3:*", "*"), statement("Deny", "s3:GetObject", OBJECT))]) is DENY
    assert decide([deny("s3:PutObject", "*"), READ]) is ALLOW


@pytest.mark.parametrize(
    ("statement", "action", "expected"),
    [
        (statement("Allow", resources="*") | {"NotAction": "iam:*"}, "s3:GetObject", ALLOW),
        (statement("Allow", resources="*") | {"NotAction": "iam:*"}, "iam:CreateUser", IMPLICIT),
        (statement("Allow", resources="*") | {"NotAction": ["iam:*", "s3:Get*"]}, "s3:GetObject", IMPLICIT),
    ],
)
def test_not_action_in_an_allow(statement, action, expected):
    statement = {key: value for key, value in statement.items() if key != "Action"}
    assert decide([document(statement)], action=action) is expected


def test_deny_with_not_action_denies_the_rest_and_grants_nothing():
    deny_rest = {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}
    assert decide([document(deny_rest)], action="s3:GetObject") is IMPLICIT
    assert decide([document(deny_rest), EVERYTHING], action="s3:GetObject") is ALLOW
    assert decide([document(deny_rest), EVERYTHING], action="iam:CreateUser") is DENY


def test_not_resource():
    statement = {"Effect": "Allow", "Action": "s3:*", "NotResource": BUCKET + "/secret/*"}
    assert decide([document(statement)], resource=BUCKET + "/public/a") is ALLOW
    assert decide([document(statement)], resource=BUCKET + "/secret/a") is IMPLICIT


def test_permission_boundary_narrows_identity():
    identity = [allow("s3:*", "*")]
    assert decide(identity, boundary=READ) is ALLOW
    decision = authorize(request("s3:PutObject"), identity=identity, boundary=READ)
    assert decision.outcome is IMPLICIT
    assert decision.blocking_layers == ("boundary",)
    alone = authorize(request(), identity=[], boundary=READ)
    assert (alone.outcome, alone.blocking_layers) == (IMPLICIT, ("identity",))
    assert decide(identity, boundary=document(statement("Allow"), statement("Deny", "s3:GetObject", "*"))) is DENY


def test_session_policy_narrows_the_role():
    identity = [allow("s3:*", "*")]
    common = {"principal": SESSION, "context": ROLE_CONTEXT}
    assert decide(identity, session_policy=READ, **common) is ALLOW
    assert decide(identity, action="s3:PutObject", session_policy=READ, **common) is IMPLICIT
    assert decide([], session_policy=READ, **common) is IMPLICIT
    assert decide(identity, session_policy=deny("s3:GetObject", "*"), **common) is DENY


def test_every_blocking_layer_is_reported():
    decision = authorize(
        request("s3:PutObject"),
        identity=[],
        boundary=READ,
        session_policy=READ,
        guardrails=[[READ], [EVERYTHING]],
    )
    assert decision.outcome is IMPLICIT
    assert decision.blocking_layers == ("guardrails[0]", "identity", "boundary", "session")


GUARDRAIL_CASES = [
    # (levels, expected) with identity allowing everything
    (None, ALLOW),
    ([[EVERYTHING]], ALLOW),
    ([[EVERYTHING, deny("s3:GetObject", "*")]], DENY),
    ([[EVERYTHING], [EVERYTHING, deny("s3:*", "*")]], DENY),
    ([[EVERYTHING], [allow("iam:*", "*")]], IMPLICIT),
    ([[READ], [EVERYTHING]], ALLOW),
    ([[]], IMPLICIT),
    ([], ALLOW),
]


@pytest.mark.parametrize(("levels", "expected"), GUARDRAIL_CASES)
def test_guardrail_levels(levels, expected):
    assert decide([EVERYTHING], guardrails=levels) is expected


def test_guardrails_bind_root_but_identity_policies_do_not_apply_to_it():
    assert decide([], principal=ROOT) is ALLOW
    assert decide([deny()], principal=ROOT) is ALLOW
    assert decide([], principal=ROOT, boundary=deny()) is ALLOW
    assert decide([], principal=ROOT, guardrails=[[EVERYTHING, deny("s3:*", "*")]]) is DENY
    assert decide([], principal=ROOT, guardrails=[[READ]], action="s3:PutObject") is IMPLICIT
    assert decide([], principal=ROOT, resource_policy=document(grant("*", "s3:*", "*", "Deny"))) is DENY


def test_root_across_accounts_needs_the_resource_policy():
    resource = f"arn:aws:sqs:us-east-1:{OTHER_ACCOUNT}:queue"
    assert decide([], principal=ROOT, action="sqs:SendMessage", resource=resource) is IMPLICIT
    rp = document(grant(ACCOUNT, "sqs:SendMessage", resource))
    assert decide([], principal=ROOT, action="sqs:SendMessage", resource=resource, resource_policy=rp) is ALLOW


SAME_ACCOUNT_RESOURCE_CASES = [
    # (principal, named in the resource policy, identity, boundary, session policy, expected)
    (ALICE, ALICE, [], None, None, ALLOW),
    (ALICE, "*", [], None, None, ALLOW),
    (ALICE, ALICE, [], allow("iam:*", "*"), None, ALLOW),  # user grant passes the boundary
    (ALICE, ALICE, [], deny("s3:*", "*"), None, DENY),
    (ALICE, ACCOUNT, [], None, None, IMPLICIT),  # naming the account grants nothing alone
    (ALICE, f"arn:aws:iam::{ACCOUNT}:root", [], None, None, IMPLICIT),
    (ALICE, ACCOUNT, [READ], None, None, ALLOW),
    (ALICE, f"arn:aws:iam::{ACCOUNT}:user/bob", [], None, None, IMPLICIT),
    (SESSION, SESSION, [], allow("iam:*", "*"), allow("iam:*", "*"), ALLOW),
    (SESSION, "*", [], allow("iam:*", "*"), allow("iam:*", "*"), ALLOW),
    (SESSION, ROLE, [], None, None, ALLOW),
    (SESSION, ROLE, [], allow("iam:*", "*"), None, IMPLICIT),  # role grant limited by boundary
    (SESSION, ROLE, [], None, allow("iam:*", "*"), IMPLICIT),  # and by the session policy
    (SESSION, ROLE, [], READ, READ, ALLOW),
    (SESSION, ACCOUNT, [], None, None, IMPLICIT),
    (SESSION, ACCOUNT, [READ], None, None, ALLOW),
    (SESSION, f"arn:aws:iam::{ACCOUNT}:role/reader", [], None, None, IMPLICIT),  # the role's path counts
    (ROLE, ROLE, [], None, None, ALLOW),
    (ROLE, ROLE, [], allow("iam:*", "*"), None, IMPLICIT),
]


@pytest.mark.parametrize(
    ("principal", "named", "identity", "boundary", "session", "expected"), SAME_ACCOUNT_RESOURCE_CASES
)
def test_same_account_resource_policy(principal, named, identity, boundary, session, expected):
    outcome = decide(
        identity,
        principal=principal,
        context=ROLE_CONTEXT if principal == SESSION else None,
        resource_policy=document(grant(named, "s3:GetObject", BUCKET + "/*")),
        boundary=boundary,
        session_policy=session,
    )
    assert outcome is expected


def test_session_role_arn_without_principal_arn_context_has_no_path():
    rp = document(grant(f"arn:aws:iam::{ACCOUNT}:role/reader", "s3:GetObject", "*"))
    assert decide([], principal=SESSION, resource_policy=rp) is ALLOW


def test_resource_policy_statement_must_name_the_caller_to_deny():
    rp = document(grant(f"arn:aws:iam::{ACCOUNT}:user/bob", "s3:*", "*", "Deny"))
    assert decide([READ], resource_policy=rp) is ALLOW
    rp = document(grant(ACCOUNT, "s3:*", "*", "Deny"))
    assert decide([READ], resource_policy=rp) is DENY


NOT_PRINCIPAL_CASES = [
    # (listed in NotPrincipal, caller, expected): AWS checks the account, then the role, then the caller
    ([ALICE, ACCOUNT], ALICE, ALLOW),
    ([ALICE, f"arn:aws:iam::{ACCOUNT}:root"], ALICE, ALLOW),
    ([ALICE], ALICE, DENY),  # the account is not listed, so the deny reaches alice through it
    ([ACCOUNT], ALICE, DENY),
    ([ALICE, ACCOUNT], f"arn:aws:iam::{ACCOUNT}:user/bob", DENY),
    ([SESSION, ROLE, ACCOUNT], SESSION, ALLOW),
    ([SESSION, ACCOUNT], SESSION, DENY),
    ([ACCOUNT], ROOT, ALLOW),
]


@pytest.mark.parametrize(("listed", "caller", "expected"), NOT_PRINCIPAL_CASES)
def test_not_principal_in_a_deny(listed, caller, expected):
    rp = document({"Effect": "Deny", "NotPrincipal": {"AWS": listed}, "Action": "s3:*", "Resource": "*"})
    context = ROLE_CONTEXT if caller == SESSION else None
    assert decide([READ], principal=caller, context=context, resource_policy=rp) is expected


def test_not_principal_deny_always_reaches_a_caller_with_a_boundary():
    rp = document({"Effect": "Deny", "NotPrincipal": {"AWS": [ALICE, ACCOUNT]}, "Action": "s3:*", "Resource": "*"})
    assert decide([READ], resource_policy=rp) is ALLOW
    assert decide([READ], resource_policy=rp, boundary=READ) is DENY


ALLOW_NOT_PRINCIPAL_CASES = [
    # (listed in NotPrincipal, caller, context, expected) for an Allow in the resource's policy,
    # with no identity policy: AWS's NotPrincipal page says such an Allow grants every
    # principal except the ones it names, so a named caller, or a session of a named
    # role, is never granted by it, whatever account entries are listed beside it.
    ([ALICE], ALICE, None, IMPLICIT),
    ([ALICE, ACCOUNT], ALICE, None, IMPLICIT),
    ([f"arn:aws:iam::{ACCOUNT}:root"], ALICE, None, IMPLICIT),
    ([ALICE], f"arn:aws:iam::{ACCOUNT}:user/bob", None, ALLOW),
    ([SESSION], SESSION, ROLE_CONTEXT, IMPLICIT),
    ([ROLE], SESSION, ROLE_CONTEXT, IMPLICIT),
    ([ROLE], SESSION, None, IMPLICIT),  # the session's ARN carries the role's name, not its path
    ([ROLE], ROLE, None, IMPLICIT),
    ([ROLE], f"arn:aws:sts::{ACCOUNT}:assumed-role/writer/alice-session", None, ALLOW),
    ([BOB_ELSEWHERE], ALICE, None, ALLOW),
]


@pytest.mark.parametrize(("listed", "caller", "context", "expected"), ALLOW_NOT_PRINCIPAL_CASES)
def test_allow_with_not_principal_never_grants_a_principal_it_names(listed, caller, context, expected):
    rp = document({"Effect": "Allow", "NotPrincipal": {"AWS": listed}, "Action": "s3:GetObject", "Resource": "*"})
    assert decide([], principal=caller, context=context, resource_policy=rp) is expected


def test_allow_with_not_principal_never_grants_a_named_caller_of_another_account():
    rp = document({"Effect": "Allow", "NotPrincipal": {"AWS": BOB_ELSEWHERE}, "Action": "sqs:*", "Resource": "*"})
    layers = {"action": "sqs:SendMessage", "resource": f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue", "resource_policy": rp}
    assert decide([allow("sqs:*", "*")], principal=BOB_ELSEWHERE, **layers) is IMPLICIT
    elsewhere = f"arn:aws:iam::{OTHER_ACCOUNT}:user/carol"
    assert decide([allow("sqs:*", "*")], principal=elsewhere, **layers) is ALLOW


CROSS_ACCOUNT_RESOURCE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue"
CROSS_CASES = [
    # (named, identity, expected) for bob of the other account
    (BOB_ELSEWHERE, [allow("sqs:*", "*")], ALLOW),
    (OTHER_ACCOUNT, [allow("sqs:*", "*")], ALLOW),
    (f"arn:aws:iam::{OTHER_ACCOUNT}:root", [allow("sqs:*", "*")], ALLOW),
    ("*", [allow("sqs:*", "*")], ALLOW),
    (BOB_ELSEWHERE, [], IMPLICIT),  # both sides must allow
    (ACCOUNT, [allow("sqs:*", "*")], IMPLICIT),  # names the wrong account
]


@pytest.mark.parametrize(("named", "identity", "expected"), CROSS_CASES)
def test_cross_account(named, identity, expected):
    rp = document(grant(named, "sqs:SendMessage", CROSS_ACCOUNT_RESOURCE))
    outcome = decide(
        identity, principal=BOB_ELSEWHERE, action="sqs:SendMessage", resource=CROSS_ACCOUNT_RESOURCE, resource_policy=rp
    )
    assert outcome is expected


@pytest.mark.parametrize("compiled", [False, True])
def test_cross_account_without_resource_policy_blocks_on_the_resource_side(compiled):
    identity = [allow("sqs:*", "*")]
    decision = authorize(
        Request(BOB_ELSEWHERE, "sqs:SendMessage", CROSS_ACCOUNT_RESOURCE),
        identity=compile_policies(identity) if compiled else identity,
    )
    assert (decision.outcome, decision.blocking_layers) == (IMPLICIT, ("resource",))


def test_cross_account_boundary_still_applies_and_resource_account_can_be_given():
    rp = document(grant(BOB_ELSEWHERE, "s3:GetObject", "*"))
    identity = [EVERYTHING]
    common = {"principal": BOB_ELSEWHERE, "resource_policy": rp, "resource_account": ACCOUNT}
    assert decide(identity, **common) is ALLOW
    assert decide(identity, boundary=allow("iam:*", "*"), **common) is IMPLICIT
    assert decide(identity, resource_policy=rp, principal=BOB_ELSEWHERE) is ALLOW  # S3 ARNs carry no account


def test_cross_account_deny_on_either_side_wins():
    rp = document(grant(BOB_ELSEWHERE, "sqs:*", "*"), grant(OTHER_ACCOUNT, "sqs:SendMessage", "*", "Deny"))
    outcome = decide(
        [EVERYTHING],
        principal=BOB_ELSEWHERE,
        action="sqs:SendMessage",
        resource=CROSS_ACCOUNT_RESOURCE,
        resource_policy=rp,
    )
    assert outcome is DENY


TRUST_CASES = [
    # (trust principal, caller, identity, expected) for sts:AssumeRole on ROLE
    ({"AWS": ALICE}, ALICE, [], ALLOW),
    ({"AWS": ACCOUNT}, ALICE, [], IMPLICIT),
    ({"AWS": ACCOUNT}, ALICE, [allow("sts:AssumeRole", ROLE)], ALLOW),
    ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, ALICE, [allow("sts:AssumeRole", "*")], ALLOW),
    ({"AWS": f"arn:aws:iam::{ACCOUNT}:user/bob"}, ALICE, [allow("sts:AssumeRole", ROLE)], IMPLICIT),
    ({"AWS": BOB_ELSEWHERE}, BOB_ELSEWHERE, [], IMPLICIT),
    ({"AWS": BOB_ELSEWHERE}, BOB_ELSEWHERE, [allow("sts:AssumeRole", ROLE)], ALLOW),
    ({"AWS": OTHER_ACCOUNT}, BOB_ELSEWHERE, [allow("sts:AssumeRole", ROLE)], ALLOW),
    ("*", ALICE, [], ALLOW),
]


@pytest.mark.parametrize(("named", "caller", "identity", "expected"), TRUST_CASES)
def test_trust_policy_decides_assume_role(named, caller, identity, expected):
    trust = document({"Effect": "Allow", "Principal": named, "Action": "sts:AssumeRole"})
    decision = authorize_assume_role(caller, ROLE, trust_policy=trust, identity=identity)
    assert decision.outcome is expected


def test_trust_policy_must_allow_even_when_identity_does():
    trust = document({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    decision = authorize_assume_role(ALICE, ROLE, trust_policy=trust, identity=[EVERYTHING])
    assert (decision.outcome, decision.blocking_layers) == (IMPLICIT, ("trust",))
    denied = document(
        {"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "sts:AssumeRole"},
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sts:AssumeRole",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}},
        },
    )
    outcome = authorize_assume_role(
        ALICE, ROLE, trust_policy=denied, context={"aws:MultiFactorAuthPresent": "false"}
    ).outcome
    assert outcome is DENY


def test_deciding_statements_carry_label_index_and_sid():
    identity = compile_policies(
        [
            ("arn:aws:iam::111122223333:policy/read v2", allow("s3:GetObject", "*", Sid="Read")),
            (
                "inline:alice/deny",
                document(statement("Allow", "iam:*", "*"), statement("Deny", "s3:GetObject", OBJECT, Sid="NoReport")),
            ),
        ]
    )
    decision = authorize(request(), identity=identity)
    assert decision.outcome is DENY
    assert decision.deciding == (StatementRef("identity", "inline:alice/deny", 1, 1, "NoReport", "Deny", False),)
    allowed = authorize(request(), identity=compile_policies([("p v1", READ)]))
    assert [(r.layer, r.source, r.policy_index, r.statement_index) for r in allowed.deciding] == [
        ("identity", "p v1", 0, 0)
    ]


def test_explanation_is_built_from_the_trace():
    decision = authorize(request("s3:PutObject"), identity=[READ], boundary=READ)
    data = explanation(decision)
    assert data["decision"] == "ImplicitDeny"
    assert data["blocking_layers"] == ["identity", "boundary"]
    assert "no applicable Allow in: identity, boundary" in explain(decision)
    denied = authorize(request(), identity=[deny(Sid="Stop")])
    assert "Explicitly denied by:" in explain(denied)
    assert explanation(denied)["deciding"][0]["sid"] == "Stop"


def test_an_engine_failure_is_a_deny_carrying_the_error():
    decision = authorize(request(), identity=[12])
    assert decision.outcome is IMPLICIT
    assert decision.errors and "PolicyError" in decision.errors[0]
    broken = authorize(Request(ALICE, None, OBJECT), identity=[EVERYTHING])  # type: ignore[arg-type]
    assert broken.outcome is IMPLICIT
    assert broken.errors


def test_a_context_value_the_engine_cannot_read_is_a_deny_when_a_statement_reads_it():
    bad = {"aws:username": [1, 2]}
    conditioned = document(statement("Allow", "s3:GetObject", "*", Condition={"StringEquals": {"aws:username": "a"}}))
    decision = authorize(Request(ALICE, "s3:GetObject", OBJECT, bad), identity=[conditioned])
    assert decision.outcome is IMPLICIT
    assert decision.errors == ("RequestError: context value of 'aws:username' must be a string or a list of strings",)
    home = allow("s3:GetObject", BUCKET + "/${aws:username}/*")
    assert authorize(Request(ALICE, "s3:GetObject", OBJECT, bad), identity=[home]).errors
    # a decision that reads no context is the same whatever the context holds
    plain = authorize(Request(ALICE, "s3:GetObject", OBJECT, bad), identity=[READ])
    assert (plain.outcome, plain.errors) == (ALLOW, ())
    assert authorize(Request(ALICE, "s3:GetObject", OBJECT, ["not", "an", "object"]), identity=[READ]).errors == (
        "RequestError: context must be an object",
    )


def test_policy_set_is_reusable_across_requests():
    identity = compile_policies(
        [("p", document(statement("Allow", "s3:Get*", BUCKET + "/*"), statement("Allow", "iam:GetUser", "*")))]
    )
    assert isinstance(identity, PolicySet)
    results = [authorize(request(action), identity=identity).outcome for action in ["s3:GetObject", "s3:PutObject"] * 3]
    assert results == [ALLOW, IMPLICIT] * 3
    assert authorize(request("iam:GetUser", "*"), identity=identity).outcome is ALLOW


def test_condition_keys_lists_condition_and_variable_keys():
    documents = compile_policies(
        [
            document(
                statement(
                    "Allow",
                    "s3:*",
                    "arn:aws:s3:::home/${aws:username}/*",
                    Condition={"Bool": {"aws:SecureTransport": "true"}},
                ),
                statement("Deny", Condition={"StringNotEquals": {"aws:PrincipalTag/team": "${aws:ResourceTag/team}"}}),
            ),
            allow(Condition={"Bool": {"AWS:SECURETRANSPORT": "true"}}),
        ]
    )
    keys = condition_keys(documents)
    assert {key.lower() for key in keys} == {
        "aws:securetransport",
        "aws:principaltag/team",
        "aws:username",
        "aws:resourcetag/team",
    }


def test_allowed_actions_lists_what_a_principal_may_do():
    identity = [
        document(
            statement("Allow", "s3:Get*", "*"), statement("Allow", "iam:*", "*"), statement("Deny", "iam:Delete*", "*")
        )
    ]
    catalogue = ["s3:GetObject", "s3:PutObject", "iam:CreateUser", "iam:DeleteUser"]
    assert allowed_actions(identity, catalogue, principal=ALICE) == ["s3:GetObject", "iam:CreateUser"]
    narrowed = allowed_actions(identity, catalogue, principal=ALICE, boundary=allow("s3:*", "*"))
    assert narrowed == ["s3:GetObject"]


def test_a_layer_may_be_several_policy_sets_cached_apart():
    own = compile_policies([("inline:alice", allow("s3:GetObject", "*"))])
    group = compile_policies([("group:dev", deny("s3:GetObject", OBJECT, Sid="NoReport"))])
    decision = authorize(request(), identity=[own, group])
    assert decision.outcome is DENY
    assert [(ref.source, ref.sid) for ref in decision.deciding] == [("group:dev", "NoReport")]
    assert authorize(request(), identity=[own], guardrails=[[compile_policies([EVERYTHING])]]).outcome is ALLOW


def test_the_root_user_cannot_assume_a_role():
    # AWS's AssumeRole API reference: root user credentials cannot call it
    trust = document({"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"})
    assert authorize_assume_role(ROOT, ROLE, trust_policy=trust).outcome is IMPLICIT


def test_a_request_is_frozen_and_its_default_context_cannot_be_changed():
    first, second = Request(ALICE, "s3:GetObject", OBJECT), Request(ALICE, "s3:GetObject", OBJECT)
    assert first == second and first.context == {}
    with pytest.raises(AttributeError):
        first.action = "s3:PutObject"
    # requests without a context share one empty context, which nobody can fill for the others
    with pytest.raises(TypeError):
        first.context["aws:SourceIp"] = "10.1.2.3"
    assert second.context == {}
    given = Request(ALICE, "s3:GetObject", OBJECT, {"aws:SourceIp": "10.1.2.3"}, resource_account=ACCOUNT)
    assert (given.context, given.resource_account) == ({"aws:SourceIp": "10.1.2.3"}, ACCOUNT)


@pytest.mark.parametrize(
    "layers",
    [
        {},
        {"identity": [deny()]},
        {"identity": [EVERYTHING], "guardrails": [[deny("sts:*", "*")]]},
        {"identity": [EVERYTHING], "boundary": READ, "session_policy": allow("s3:*", "*")},
        {"identity": [EVERYTHING], "resource_policy": document(grant("*", "sts:*", "*", "Deny"))},
    ],
)
@pytest.mark.parametrize("principal", [ALICE, SESSION, ROOT, BOB_ELSEWHERE])
def test_get_caller_identity_needs_no_permission_and_survives_an_explicit_deny(layers, principal):
    # AWS's GetCallerIdentity reference: no permission is needed, and a Deny does not stop it
    decision = authorize(request("sts:GetCallerIdentity", "*", principal), **layers)
    assert (decision.outcome, decision.deciding, decision.errors) == (ALLOW, (), ())
    assert explain(decision).startswith("Allowed: sts:GetCallerIdentity needs no permission")


def test_only_get_caller_identity_skips_the_policies():
    denied = {"identity": [deny()]}
    assert authorize(request("STS:getcalleridentity", "*"), **denied).outcome is ALLOW
    for action in ("sts:GetCallerIdentityX", "sts:GetAccessKeyInfo", "sts:GetSessionToken"):
        assert authorize(request(action, "*"), **denied).outcome is DENY
