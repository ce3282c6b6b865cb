"""/api/v1/access-expectations: list with the state now, put, delete; refusals and bad input as JSON."""

import json

import pytest
from django.test import Client

from identities import services as identity_services
from identities.audit import AuditEvent
from policies import services
from policies.models import AccessExpectation
from tests.conftest import PRODUCTION

pytestmark = pytest.mark.django_db
URL = "/api/v1/access-expectations"
LUCAS = {
    "name": "lucas-keeps-production-data",
    "principals": {"users": ["lucas"]},
    "may": False,
    "actions": ["storage:DeleteBucket"],
    "resources": [PRODUCTION],
}


def _client(user) -> Client:
    key, secret = identity_services.create_access_key(user=user, actor=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {key.key_id}:{secret}")


def _post(client, body):
    return client.post(URL, json.dumps(body), content_type="application/json")


def test_the_list_answers_each_expectation_checked_now(org):
    services.put_access_expectation(definition=LUCAS, actor=None)
    services.put_access_expectation(definition={**LUCAS, "name": "lucas-may", "may": True}, actor=None)
    answer = _client(org.iam_admin).get(URL).json()
    assert [(item["name"], item["held"], item["failure_count"]) for item in answer["expectations"]] == [
        ("lucas-keeps-production-data", True, 0),
        ("lucas-may", False, 1),
    ]
    assert answer["expectations"][1]["failures"] == [
        {
            "principal": org.lucas.arn,
            "action": "storage:DeleteBucket",
            "resource": PRODUCTION,
            "decision": "ExplicitDeny",
        }
    ]
    assert answer["expectations"][0]["expectation"] == f"lucas may not storage:DeleteBucket on {PRODUCTION}"


def test_putting_stores_audits_and_answers_the_state(org):
    response = _post(_client(org.iam_admin), LUCAS)
    assert response.status_code == 200
    assert (response.json()["held"], response.json()["arn"]) == (
        True,
        "arn:aws:iam::123456789012:access-expectation/lucas-keeps-production-data",
    )
    assert AccessExpectation.objects.get().definition["actions"] == ["storage:DeleteBucket"]
    assert AuditEvent.objects.filter(event_name="PutAccessExpectation", actor_arn=org.iam_admin.arn).count() == 1


def test_without_the_actions_the_api_refuses_and_changes_nothing(org):
    services.put_access_expectation(definition=LUCAS, actor=None)
    henry = _client(org.henry)
    assert henry.get(URL).status_code == 403
    refused = _post(henry, {**LUCAS, "name": "other"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "AccessDenied")
    assert "iamconsole:PutAccessExpectation" in refused.json()["error"]["message"]
    assert henry.delete(f"{URL}/{LUCAS['name']}").status_code == 403
    assert list(AccessExpectation.objects.values_list("name", flat=True)) == [LUCAS["name"]]


def test_bad_input_is_a_400_with_every_problem(org):
    response = _post(_client(org.iam_admin), {**LUCAS, "may": "no", "resources": ["production"]})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "ValidationError",
        "message": "the expectation.may: true (they may) or false (they may not). "
        "the expectation.resources: 'production' is neither an ARN nor *.",
    }
    assert not AccessExpectation.objects.exists()


def test_deleting_removes_it_and_an_unknown_name_is_404(org):
    services.put_access_expectation(definition=LUCAS, actor=None)
    client = _client(org.iam_admin)
    response = client.delete(f"{URL}/LUCAS-keeps-production-data")
    assert response.json() == {
        "deleted": "lucas-keeps-production-data",
        "arn": "arn:aws:iam::123456789012:access-expectation/lucas-keeps-production-data",
    }
    assert not AccessExpectation.objects.exists()
    missing = client.delete(f"{URL}/lucas-keeps-production-data")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "NoSuchExpectation")
