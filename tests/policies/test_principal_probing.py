"""Whether a principal exists is never told to someone who may not simulate it: what-can, the
policy check and the decision API decide iam:SimulatePrincipalPolicy on the ARN asked about
before any look-up. And a role-session ARN that several users' sessions share names no one."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from identities import services as identity_services
from tests.clients import signed_in
from tests.documents import document, statement

pytestmark = pytest.mark.django_db
ACCOUNT = "123456789012"


@pytest.fixture
def team_simulator(org):
    """May simulate users under /team/ only."""
    user = identity_services.create_user(username="simulator", actor=None)
    from policies import services

    rights = statement("Allow", "iam:SimulatePrincipalPolicy", f"arn:aws:iam::{ACCOUNT}:user/team/*")
    services.put_inline_policy(identity=user, policy_name="Simulate", document=document(rights), actor=None)
    identity_services.create_user(username="ana", path="/team/", actor=None)
    return user


@pytest.mark.parametrize("principal", ["mia", "nobody", f"arn:aws:iam::{ACCOUNT}:user/mia", "/ops/nobody"])
def test_without_the_right_the_answer_is_403_whether_or_not_the_principal_exists(team_simulator, principal):
    client = signed_in(team_simulator)
    what_can = client.get(reverse("policies:what-can"), {"kind": "user", "principal": principal})
    check = client.get(
        reverse("policies:policy-check"),
        {"kind": "user", "principal": principal, "actions": "iam:GetUser", "resources": "*"},
    )
    assert (what_can.status_code, check.status_code) == (403, 403)


def test_with_the_right_a_missing_principal_is_a_form_error(team_simulator):
    client = signed_in(team_simulator)
    missing = client.get(reverse("policies:what-can"), {"kind": "user", "principal": "/team/nobody"})
    assert missing.status_code == 200
    assert missing.context["form"].errors["principal"] == ["No such principal."]
    found = client.get(reverse("policies:what-can"), {"kind": "user", "principal": "/team/ana"})
    assert (found.status_code, found.context["target"].arn) == (200, f"arn:aws:iam::{ACCOUNT}:user/team/ana")


def test_a_name_found_without_regard_to_case_is_also_decided_on_its_own_arn(team_simulator):
    """`/team/ANA` is allowed by user/team/*, and so is the ARN of ana, the user it finds."""
    client = signed_in(team_simulator)
    response = client.get(reverse("policies:what-can"), {"kind": "user", "principal": "/team/ANA"})
    assert response.context["target"].subject.username == "ana"


def _key(user) -> str:
    key, secret = identity_services.create_access_key(user=user, actor=None)
    return f"Bearer {key.key_id}:{secret}"


def test_the_decision_api_refuses_probing_alike(team_simulator):
    client = Client(HTTP_AUTHORIZATION=_key(team_simulator))
    codes = []
    for principal in (f"arn:aws:iam::{ACCOUNT}:user/mia", f"arn:aws:iam::{ACCOUNT}:user/nobody"):
        body = json.dumps({"principal": principal, "action": "s:A", "resource": "*"})
        response = client.post("/api/v1/authorize", body, content_type="application/json")
        codes.append((response.status_code, response.json()["error"]["code"]))
    assert codes == [(403, "AccessDenied"), (403, "AccessDenied")]


def test_a_session_arn_that_several_users_share_is_refused_as_ambiguous(org):
    role = org.roles["AuditReviewer"]
    for user in (org.charles, org.lucas):
        identity_services.start_role_session(
            role=role, user=user, session_name="audit", duration=900, source="api", actor=None
        )
    arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/AuditReviewer/audit"
    body = json.dumps({"principal": arn, "action": "iam:GetUser", "resource": "*"})
    api = Client(HTTP_AUTHORIZATION=_key(org.iam_admin))
    response = api.post("/api/v1/authorize", body, content_type="application/json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "AmbiguousPrincipal")
    page = signed_in(org.iam_admin).get(reverse("policies:what-can"), {"kind": "session", "principal": arn})
    assert "Several live role sessions" in page.context["form"].errors["principal"][0]
