"""AWS's own managed policies (tests/data/aws-managed-policies/) attached to a user here, decided
through the decision API: the server derives the caller's keys (aws:username) from its records.
Each expectation is reasoned from the document and AWS's rules (docs/policy-evaluation.md);
the engine's own tables of these cases are in tests/engine/test_aws_managed_decisions.py."""

import json
from pathlib import Path

import pytest
from django.test import Client

from identities import services as identity_services
from policies import services

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent.parent / "data" / "aws-managed-policies"
ACCOUNT = "123456789012"


@pytest.fixture(autouse=True)
def _builtins(builtins):
    """The allow-all guardrail, as after migrate."""


def user_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:user/{name}"


def holder_of(*names: str):
    """A user holding AWS's managed policies of these names, imported with AWS's documents."""
    user = identity_services.create_user(username="alice", actor=None)
    identity_services.create_user(username="bob", actor=None)
    for name in names:
        document = json.loads((DATA / f"{name}.json").read_bytes())
        policy = services.import_managed_policy(
            policy_name=name, path="/", versions=[(1, document)], default_number=1, aws_managed=True, actor=None
        )
        assert policy.arn == f"arn:aws:iam::aws:policy/{name}"
        services.attach_policy(policy=policy, identity=user, actor=None)
    key, secret = identity_services.create_access_key(user=user, actor=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {key.key_id}:{secret}")


def decision(client: Client, action: str, resource: str) -> str:
    body = {"principal": user_arn("alice"), "action": action, "resource": resource, "context": {}}
    response = client.post("/api/v1/authorize", json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["decision"]


def test_iam_user_change_password_lets_the_holder_change_only_their_own_password():
    # Resource arn:aws:iam::*:user/${aws:username}: the caller sends no aws:username; the
    # server fills it with alice, so only her own user ARN matches.
    alice = holder_of("IAMUserChangePassword")
    assert decision(alice, "iam:ChangePassword", user_arn("alice")) == "Allow"
    assert decision(alice, "iam:ChangePassword", user_arn("bob")) == "ImplicitDeny"
    assert decision(alice, "iam:GetAccountPasswordPolicy", "*") == "Allow"
    assert decision(alice, "iam:UpdateLoginProfile", user_arn("alice")) == "ImplicitDeny"


def test_power_user_access_allows_all_but_iam_save_what_its_second_statement_names():
    alice = holder_of("PowerUserAccess")
    assert decision(alice, "s3:GetObject", "arn:aws:s3:::example-bucket/report.csv") == "Allow"
    assert decision(alice, "iam:CreateUser", user_arn("carol")) == "ImplicitDeny"
    assert decision(alice, "iam:ListRoles", "*") == "Allow"
    assert decision(alice, "organizations:CreateAccount", "*") == "ImplicitDeny"


def test_the_two_together_grant_the_union():
    # PowerUserAccess leaves iam:ChangePassword out; IAMUserChangePassword gives it back for alice.
    alice = holder_of("PowerUserAccess", "IAMUserChangePassword")
    assert decision(alice, "iam:ChangePassword", user_arn("alice")) == "Allow"
    assert decision(alice, "iam:ChangePassword", user_arn("bob")) == "ImplicitDeny"
    assert decision(alice, "ec2:TerminateInstances", "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc") == "Allow"
