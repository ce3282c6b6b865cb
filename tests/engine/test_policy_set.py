"""What a compiled set can tell a report without a request: may it allow an action at all,
and under which resource patterns."""

from __future__ import annotations

from policies.engine import allow_resources, allowed_principals, compile_policies, may_allow
from tests.documents import document, statement

from .helpers import ALLOW, DENY, IMPLICIT, decide

OWN_KEYS = "arn:aws:iam::*:user/${aws:username}"


def test_may_allow_is_true_only_when_an_allow_statement_names_the_action():
    policy_set = compile_policies(
        [
            document(
                statement("Allow", "iam:Get*"),
                statement("Allow", "iam:CreateAccessKey", OWN_KEYS),
                statement("Deny", "iam:DeleteUser"),
            )
        ]
    )
    assert may_allow(policy_set, "iam:GetUser") and may_allow(policy_set, "IAM:CreateAccessKey")
    assert not may_allow(policy_set, "iam:DeleteUser")  # denied, never allowed
    assert not may_allow(policy_set, "iam:AddUserToGroup")  # not named at all
    not_action = compile_policies([document({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})])
    assert may_allow(not_action, "storage:GetObject") and not may_allow(not_action, "iam:GetUser")


def test_an_allow_the_set_could_give_is_still_decided_by_the_request():
    mixed = document(statement("Allow", "iam:Get*", "arn:aws:iam::*:user/a*"), statement("Deny", "iam:GetUser"))
    policy_set = compile_policies([mixed])
    # An Allow names both; the Deny and the Resource decide at request time, not the index.
    assert may_allow(policy_set, "iam:GetUser") and may_allow(policy_set, "iam:GetGroup")
    assert decide([mixed], action="iam:GetUser", resource="arn:aws:iam::111122223333:user/alice") is DENY
    assert decide([mixed], action="iam:GetGroup", resource="arn:aws:iam::111122223333:user/alice") is ALLOW
    assert decide([mixed], action="iam:GetGroup", resource="arn:aws:iam::111122223333:user/bob") is IMPLICIT


def test_allow_resources_fills_variables_and_leaves_out_what_cannot_match():
    policy_set = compile_policies(
        [
            document(
                statement("Allow", "iam:CreateAccessKey", [OWN_KEYS, "arn:aws:iam::*:user/*/${aws:username}"]),
                statement("Allow", "iam:CreateAccessKey", "arn:aws:iam::*:user/${aws:PrincipalTag/team}-bot"),
                statement("Deny", "iam:CreateAccessKey", "arn:aws:iam::*:user/root-like"),
            )
        ]
    )
    keys = {"aws:username": "alice"}
    assert allow_resources(policy_set, "iam:CreateAccessKey", keys) == (
        "arn:aws:iam::*:user/alice",
        "arn:aws:iam::*:user/*/alice",
    )
    with_tag = keys | {"aws:PrincipalTag/team": "ops"}
    assert allow_resources(policy_set, "iam:CreateAccessKey", with_tag)[-1] == "arn:aws:iam::*:user/ops-bot"
    assert allow_resources(policy_set, "iam:DeleteAccessKey", keys) == ()


def test_allow_resources_is_none_when_a_statement_allows_by_not_resource():
    policy_set = compile_policies(
        [document({"Effect": "Allow", "Action": "iam:CreateAccessKey", "NotResource": "arn:aws:iam::*:user/root"})]
    )
    assert allow_resources(policy_set, "iam:CreateAccessKey", {}) is None


def test_allowed_principals_reads_accounts_and_arns_as_the_decision_does():
    from policies.engine import PolicyKind

    def trust(*statements):
        return compile_policies([document(*statements)], kind=PolicyKind.TRUST)

    user = "arn:aws:iam::111122223333:user/alice"
    named = trust(
        {"Effect": "Allow", "Principal": {"AWS": [user, "444455556666"]}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"},
        {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"},  # a Deny names no one in
    )
    assert allowed_principals(named) == (frozenset({"444455556666", "111122223333"}), frozenset({user}))
    anyone = trust({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})
    assert allowed_principals(anyone) is None
    all_but = trust({"Effect": "Allow", "NotPrincipal": {"AWS": user}, "Action": "sts:AssumeRole"})
    assert allowed_principals(all_but) is None
