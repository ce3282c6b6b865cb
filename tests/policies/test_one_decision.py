"""One door: the console, the admin, the decision API and the policy check give the same
decision for the same principal, action and resource, over the article's organisation."""

import json

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from identities import admin as identities_admin
from identities import services as identity_services
from identities.context import Target
from tests.clients import signed_in

pytestmark = pytest.mark.django_db
ACCOUNT = "123456789012"
PEOPLE = ("mia", "oliver", "charles", "lucas", "james", "henry", "dev-admin", "iam-admin")
ACTIONS = (
    "storage:GetObject",
    "storage:PutObject",
    "storage:DeleteBucket",
    "storage:DeleteObject",
    "storage:ListBuckets",
    "iam:ListUsers",
    "iam:GetUser",
    "iam:AddUserToGroup",
    "iam:RemoveUserFromGroup",
    "iam:CreateAccessKey",
    "iam:ChangePassword",
    "iam:DeactivateMFADevice",
    "iam:CreatePolicyVersion",
)
RESOURCES = (
    "*",
    "arn:aws:storage:::dev-tools",
    "arn:aws:storage:::dev-tools/readme",
    "arn:aws:storage:::production-data",
    "arn:aws:storage:::production-data/releases/v1",
    f"arn:aws:iam::{ACCOUNT}:group/Developers",
    f"arn:aws:iam::{ACCOUNT}:group/Operations",
    f"arn:aws:iam::{ACCOUNT}:user/mia",
    f"arn:aws:iam::{ACCOUNT}:user/henry",
    f"arn:aws:iam::{ACCOUNT}:policy/DevelopersStorageAccess",
)


@pytest.fixture
def doors(org):
    """Each person's access key for the API, and the root user's console for the policy check."""
    keys = {}
    for name in PEOPLE:
        key, secret = identity_services.create_access_key(user=org.users[name], actor=None)
        keys[name] = f"Bearer {key.key_id}:{secret}"
    return org, keys, signed_in(org.root)


def _admin_decides(user, action: str, resource: str) -> bool:
    request = RequestFactory().get("/admin/")
    request.user = user
    return identities_admin.allowed(request, action, Target(resource))


def _api_decides(bearer: str, arn: str, action: str, resource: str) -> str:
    body = json.dumps({"principal": arn, "action": action, "resource": resource})
    response = Client(HTTP_AUTHORIZATION=bearer).post("/api/v1/authorize", body, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["decision"]


def _policy_check_decides(root_console, name: str, action: str, resource: str) -> str:
    query = {"kind": "user", "principal": name, "actions": action, "resources": resource}
    response = root_console.get(reverse("policies:policy-check"), query)
    (row,) = response.context["rows"]
    return row.decision.outcome.value


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(PEOPLE), action=st.sampled_from(ACTIONS), resource=st.sampled_from(RESOURCES))
def test_every_door_gives_the_same_decision(doors, name, action, resource):
    org, keys, root_console = doors
    user = org.users[name]
    console = user.has_perm(action, Target(resource))
    admin = _admin_decides(user, action, resource)
    api = _api_decides(keys[name], user.arn, action, resource)
    check = _policy_check_decides(root_console, name, action, resource)
    assert api == check
    assert console is admin is (api == "Allow")


def test_the_doors_do_disagree_with_a_wrong_answer(doors):
    """The comparison can fail: Operations' deny of the production bucket is an explicit deny
    in both the API and the check, and an allow elsewhere."""
    org, keys, root_console = doors
    production, dev = "arn:aws:storage:::production-data", "arn:aws:storage:::dev-tools"
    assert _api_decides(keys["lucas"], org.lucas.arn, "storage:DeleteBucket", production) == "ExplicitDeny"
    assert _policy_check_decides(root_console, "lucas", "storage:DeleteBucket", production) == "ExplicitDeny"
    assert org.lucas.has_perm("storage:DeleteBucket", Target(dev)) is True
    assert org.mia.has_perm("storage:DeleteBucket", Target(production)) is False
