"""POST /api/v1/preview-change: the preview through the API (policies.api.preview_change)."""

import json

import pytest
from django.test import Client

from identities import services as identity_services
from policies.models import PolicyAttachment

pytestmark = pytest.mark.django_db

ACCOUNT = "123456789012"
URL = "/api/v1/preview-change"


def caller(user) -> Client:
    key, secret = identity_services.create_access_key(user=user, actor=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {key.key_id}:{secret}")


def post(client, body):
    return client.post(URL, json.dumps(body), content_type="application/json")


def test_attaching_administrator_access_to_developers_names_the_developers(org):
    body = {
        "change": "attach-policy",
        "identity": org.groups["Developers"].arn,
        "policy": org.policies["AdministratorAccess"].arn,
    }
    response = post(caller(org.iam_admin), body)
    assert response.status_code == 200
    answer = response.json()
    assert [p["arn"] for p in answer["principals"]] == [
        f"arn:aws:iam::{ACCOUNT}:user/{name}" for name in ("charles", "mia", "oliver")
    ]
    oliver = answer["principals"][2]
    assert {"action": "iam:CreateUser", "resource": "*", "before": None, "after": []} in oliver["gains"]
    assert answer["hidden_principals"] == 0
    assert answer["seconds"] > 0
    assert (
        not PolicyAttachment.objects.filter(group=org.groups["Developers"])
        .filter(policy=org.policies["AdministratorAccess"])
        .exists()
    )


def test_principals_the_caller_may_not_simulate_are_counted_not_shown(org):
    body = {"change": "add-members", "group": org.groups["Developers"].arn, "users": [org.henry.arn]}
    response = post(caller(org.dev_admin), body)
    assert response.status_code == 200
    assert response.json()["principals"] == []
    assert response.json()["hidden_principals"] == 1


def test_a_caller_who_may_not_make_the_change_is_refused(org):
    body = {"change": "add-members", "group": org.groups["Operations"].arn, "users": [org.henry.arn]}
    response = post(caller(org.dev_admin), body)
    assert response.status_code == 403
    assert "iam:AddUserToGroup" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"change": "rename-everyone"}, "InvalidChange"),
        ({"change": "attach-policy", "identity": "arn:aws:iam::123456789012:group/Nobody"}, "InvalidChange"),
        (
            {"change": "add-members", "group": "arn:aws:iam::123456789012:group/Developers", "users": []},
            "InvalidChange",
        ),
        ({"change": "set-default-version", "policy": "x", "version": 10**40}, "InvalidChange"),
    ],
)
def test_bad_input_gets_a_clear_400(org, body, code):
    response = post(caller(org.iam_admin), body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_a_change_the_service_refuses_answers_its_reason(org):
    body = {"change": "add-members", "group": org.groups["Developers"].arn, "users": [org.mia.arn]}
    response = post(caller(org.iam_admin), body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ValidationError"


def test_typed_resources_are_asked_about(org):
    policy = org.policies["DevelopersStorageAccess"]
    body = {"change": "attach-policy", "identity": org.henry.arn, "policy": policy.arn}
    body["resources"] = ["arn:aws:storage:::dev-app/build.log"]
    answer = post(caller(org.iam_admin), body).json()
    (henry,) = answer["principals"]
    assert {
        "action": "storage:DeleteObject",
        "resource": "arn:aws:storage:::dev-app/build.log",
        "before": None,
        "after": [],
    } in henry["gains"]
    assert not any(change["resource"] == "arn:aws:storage:::dev-app/build.log" for change in henry["loses"])
