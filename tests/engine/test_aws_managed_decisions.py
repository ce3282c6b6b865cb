"""Decisions on AWS's own managed policies (tests/data/aws-managed-policies/), each expectation
reasoned from the document and AWS's rules (docs/policy-evaluation.md), not from the engine.

Each test first checks the part of the document its reasoning rests on, so that a different
copy of the policy fails there and not with a puzzling outcome."""

from __future__ import annotations

import fnmatch
import json
import pathlib

import pytest

from .helpers import ACCOUNT, ALICE, ALLOW, IMPLICIT, OBJECT, OTHER_ACCOUNT, SESSION, decide

DATA = pathlib.Path(__file__).resolve().parents[1] / "data" / "aws-managed-policies"


def policy(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_bytes())


def statements(name: str) -> list[dict]:
    found = policy(name)["Statement"]
    return found if isinstance(found, list) else [found]


def iam(kind_and_name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:{kind_and_name}"


# PowerUserAccess: Allow NotAction [iam:*, organizations:*, account:*] on *, and a second
# statement allowing seven named actions of those three services. NotAction with Allow grants
# every action the list does not match; action names match without regard to case.


def test_power_user_access_is_what_the_reasoning_below_rests_on():
    first, second = statements("PowerUserAccess")
    assert (first["Effect"], first["NotAction"], first["Resource"]) == (
        "Allow",
        ["iam:*", "organizations:*", "account:*"],
        "*",
    )
    assert second["Effect"] == "Allow" and second["Resource"] == "*"
    assert {"iam:CreateServiceLinkedRole", "iam:ListRoles", "organizations:DescribeOrganization"} <= set(
        second["Action"]
    )
    assert "iam:CreateUser" not in second["Action"] and "iam:PassRole" not in second["Action"]


@pytest.mark.parametrize(
    ("action", "resource", "expected"),
    [
        # Not matched by the NotAction list: granted by the first statement.
        ("s3:GetObject", OBJECT, ALLOW),
        ("s3:DeleteBucket", "arn:aws:s3:::example-bucket", ALLOW),
        ("ec2:TerminateInstances", "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc", ALLOW),
        # Matched by iam:*, organizations:* or account:*, and not named in the second statement.
        ("iam:CreateUser", iam("user/bob"), IMPLICIT),
        ("iam:PassRole", iam("role/app/reader"), IMPLICIT),
        ("iam:AttachUserPolicy", iam("user/alice"), IMPLICIT),
        ("organizations:CreateAccount", "*", IMPLICIT),
        ("account:PutAlternateContact", "*", IMPLICIT),
        # Case does not let an action slip past NotAction.
        ("IAM:CreateUser", iam("user/bob"), IMPLICIT),
        # The second statement names these.
        ("iam:ListRoles", "*", ALLOW),
        ("iam:CreateServiceLinkedRole", iam("role/aws-service-role/example.amazonaws.com/Link"), ALLOW),
        ("iam:DeleteServiceLinkedRole", iam("role/aws-service-role/example.amazonaws.com/Link"), ALLOW),
        ("organizations:DescribeOrganization", "*", ALLOW),
        ("account:ListRegions", "*", ALLOW),
        # Named there with a different action name only.
        ("iam:ListUsers", "*", IMPLICIT),
        ("organizations:DescribeAccount", "*", IMPLICIT),
    ],
)
def test_power_user_access(action, resource, expected):
    assert decide([policy("PowerUserAccess")], action=action, resource=resource) is expected


# IAMUserChangePassword: iam:ChangePassword on arn:aws:iam::*:user/${aws:username}, and
# iam:GetAccountPasswordPolicy on *. The variable is the caller's user name; it has no value for
# a role session, and then the resource entry matches nothing. The resource part is compared
# whole and case-sensitively, so a user with a path (user/division/alice) is not matched.


def test_iam_user_change_password_is_what_the_reasoning_below_rests_on():
    change, read = statements("IAMUserChangePassword")
    assert (change["Effect"], change["Action"], change["Resource"]) == (
        "Allow",
        ["iam:ChangePassword"],
        ["arn:aws:iam::*:user/${aws:username}"],
    )
    assert policy("IAMUserChangePassword")["Version"] == "2012-10-17"  # so ${...} is a variable
    assert (read["Effect"], read["Action"], read["Resource"]) == ("Allow", ["iam:GetAccountPasswordPolicy"], "*")


@pytest.mark.parametrize(
    ("principal", "username", "resource", "expected"),
    [
        (ALICE, "alice", iam("user/alice"), ALLOW),
        (ALICE, "alice", iam("user/bob"), IMPLICIT),
        (ALICE, "alice", iam("user/Alice"), IMPLICIT),
        (ALICE, "alice", iam("user/division/alice"), IMPLICIT),
        (ALICE, "alice", iam("group/alice"), IMPLICIT),
        # A role session has no aws:username.
        (SESSION, None, iam("user/alice"), IMPLICIT),
    ],
)
def test_iam_user_change_password_lets_a_user_change_only_their_own(principal, username, resource, expected):
    context = {"aws:username": username} if username else {}
    outcome = decide(
        [policy("IAMUserChangePassword")],
        action="iam:ChangePassword",
        resource=resource,
        principal=principal,
        context=context,
    )
    assert outcome is expected


def test_iam_user_change_password_reads_the_password_policy_and_nothing_else():
    document = [policy("IAMUserChangePassword")]
    context = {"aws:username": "alice"}
    assert decide(document, action="iam:GetAccountPasswordPolicy", resource="*", context=context) is ALLOW
    assert decide(document, action="iam:UpdateAccountPasswordPolicy", resource="*", context=context) is IMPLICIT
    assert decide(document, action="iam:UpdateLoginProfile", resource=iam("user/alice"), context=context) is IMPLICIT


def test_a_user_of_another_account_is_not_granted_by_the_account_wildcard():
    """The policy's account part is *, but a resource of another account needs that account's
    own resource policy too (cross-account evaluation): the identity policy alone is not enough."""
    other = f"arn:aws:iam::{OTHER_ACCOUNT}:user/alice"
    context = {"aws:username": "alice"}
    outcome = decide([policy("IAMUserChangePassword")], action="iam:ChangePassword", resource=other, context=context)
    assert outcome is IMPLICIT


# ReadOnlyAccess: one Allow statement on * listing read actions by prefix (s3:Get*, s3:List*,
# ec2:Describe*, iam:Get*, ...). An action matches a pattern's * with any run of characters.


def read_only_actions() -> list[str]:
    (only,) = statements("ReadOnlyAccess")
    assert (only["Effect"], only["Resource"]) == ("Allow", "*")
    assert "Condition" not in only
    return only["Action"]


def test_read_only_access_is_what_the_reasoning_below_rests_on():
    actions = read_only_actions()
    assert {"s3:Get*", "s3:List*", "ec2:Describe*", "iam:Get*", "iam:List*", "dynamodb:Query"} <= set(actions)
    # No entry names or, as a wildcard, covers the writes below (read with the standard library).
    for write in ("s3:PutObject", "s3:DeleteObject", "ec2:TerminateInstances", "iam:CreateUser", "dynamodb:PutItem"):
        assert [entry for entry in actions if fnmatch.fnmatchcase(write.lower(), entry.lower())] == [], write


@pytest.mark.parametrize(
    ("action", "resource", "expected"),
    [
        ("s3:GetObject", OBJECT, ALLOW),
        ("s3:ListBucket", "arn:aws:s3:::example-bucket", ALLOW),
        ("ec2:DescribeInstances", "*", ALLOW),
        ("iam:GetUser", iam("user/bob"), ALLOW),
        ("iam:ListAttachedUserPolicies", iam("user/bob"), ALLOW),
        ("dynamodb:Query", "arn:aws:dynamodb:us-east-1:111122223333:table/orders", ALLOW),
        ("s3:PutObject", OBJECT, IMPLICIT),
        ("s3:DeleteObject", OBJECT, IMPLICIT),
        ("ec2:TerminateInstances", "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc", IMPLICIT),
        ("iam:CreateUser", iam("user/bob"), IMPLICIT),
        ("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:111122223333:table/orders", IMPLICIT),
    ],
)
def test_read_only_access_reads_and_does_not_write(action, resource, expected):
    assert decide([policy("ReadOnlyAccess")], action=action, resource=resource) is expected


# AWSMarketplaceManageSubscriptions: aws-marketplace:UpdatePurchaseOrders is allowed only with
# Null {AgreementType: false} (the key is present) and ForAllValues:StringEquals {AgreementType:
# [PurchaseAgreement]} (every value is PurchaseAgreement). ForAllValues alone would also hold
# for a request without the key; the Null check is what refuses that.


def test_marketplace_subscriptions_condition_is_what_the_reasoning_below_rests_on():
    guarded = [s for s in statements("AWSMarketplaceManageSubscriptions") if "Condition" in s]
    assert len(guarded) == 1
    assert guarded[0]["Action"] == ["aws-marketplace:UpdatePurchaseOrders", "aws-marketplace:ListAgreementCharges"]
    assert guarded[0]["Condition"] == {
        "Null": {"aws-marketplace:AgreementType": "false"},
        "ForAllValues:StringEquals": {"aws-marketplace:AgreementType": ["PurchaseAgreement"]},
    }


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"aws-marketplace:AgreementType": ["PurchaseAgreement"]}, ALLOW),
        ({"aws-marketplace:AgreementType": "PurchaseAgreement"}, ALLOW),
        ({"aws-marketplace:agreementtype": ["PurchaseAgreement"]}, ALLOW),  # key names ignore case
        ({}, IMPLICIT),
        ({"aws-marketplace:AgreementType": ["PurchaseAgreement", "SoftwareAgreement"]}, IMPLICIT),
        ({"aws-marketplace:AgreementType": ["SoftwareAgreement"]}, IMPLICIT),
        ({"aws-marketplace:AgreementType": ["purchaseagreement"]}, IMPLICIT),  # StringEquals keeps case
    ],
)
def test_marketplace_purchase_orders_need_purchase_agreements_only(context, expected):
    document = [policy("AWSMarketplaceManageSubscriptions")]
    outcome = decide(document, action="aws-marketplace:UpdatePurchaseOrders", resource="*", context=context)
    assert outcome is expected


def test_marketplace_subscribing_needs_no_agreement_type():
    document = [policy("AWSMarketplaceManageSubscriptions")]
    assert decide(document, action="aws-marketplace:Subscribe", resource="*") is ALLOW
    assert decide(document, action="aws-marketplace:DeleteAgreement", resource="*") is IMPLICIT


# AWSCodeBuildAdminAccess: ssm:StartSession only on arn:aws:ecs:*:*:task/*/*. In the resource
# part a * spans any characters, slashes included, but the two literal slashes must be there.


def test_codebuild_admin_start_session_is_what_the_reasoning_below_rests_on():
    sessions = [s for s in statements("AWSCodeBuildAdminAccess") if s.get("Sid") == "SSMStartSessionAccess"]
    assert [(s["Effect"], s["Action"], s["Resource"]) for s in sessions] == [
        ("Allow", ["ssm:StartSession"], "arn:aws:ecs:*:*:task/*/*")
    ]
    others = [s for s in statements("AWSCodeBuildAdminAccess") if s.get("Sid") != "SSMStartSessionAccess"]
    assert not any("ssm:*" in s.get("Action", []) or "ssm:StartSession" in s.get("Action", []) for s in others)
    assert all(s["Effect"] == "Allow" for s in statements("AWSCodeBuildAdminAccess"))


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("arn:aws:ecs:us-east-1:111122223333:task/build-cluster/0a1b2c3d4e", ALLOW),
        ("arn:aws:ecs:eu-west-1:111122223333:task/a/b/c", ALLOW),
        ("arn:aws:ecs:us-east-1:111122223333:task/0a1b2c3d4e", IMPLICIT),
        ("arn:aws:ecs:us-east-1:111122223333:cluster/build-cluster", IMPLICIT),
        ("arn:aws:ec2:us-east-1:111122223333:instance/i-0abc", IMPLICIT),
    ],
)
def test_codebuild_admin_starts_sessions_on_ecs_tasks_only(resource, expected):
    assert decide([policy("AWSCodeBuildAdminAccess")], action="ssm:StartSession", resource=resource) is expected
