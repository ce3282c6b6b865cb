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
        ({"change": "delete-guardrail", "guardrail_name": "NoSuchGuardrail"}, "InvalidChange"),
        ({"change": "delete-policy", "policy": "arn:aws:iam::123456789012:policy/Nothing"}, "InvalidChange"),
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


def test_deleting_a_policy_in_use_without_detaching_it_answers_the_refusal(org):
    body = {"change": "delete-policy", "policy": org.policies["OperationsStorageAccess"].arn}
    response = post(caller(org.iam_admin), body)
    assert response.status_code == 400
    assert "detach it everywhere before deleting it" in response.json()["error"]["message"]


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


def _kinds(org):
    """Each kind of change, described as a program would, with a principal and something it loses or gains."""
    from policies import services

    developers, operations = org.groups["Developers"], org.groups["Operations"]
    release, reviewer = org.roles["ReleaseManager"], org.roles["AuditReviewer"]
    storage = org.policies["DevelopersStorageAccess"]
    reader = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "storage:Get*", "Resource": "*"}]}
    services.create_policy_version(policy=storage, document=reader, actor=None)
    services.set_permissions_boundary(identity=org.henry, policy=org.policies["ReadOnlyAccess"], actor=None)
    services.save_guardrail(guardrail_name="KeepObjects", document=_denying("storage:DeleteObject"), actor=None)
    operations_storage = org.policies["OperationsStorageAccess"].arn
    return [
        ({"change": "delete-guardrail", "guardrail_name": "KeepObjects"}, "oliver", "gains"),
        (
            {
                "change": "replace-policies",
                "identity": org.mia.arn,
                "policy_name": "Drafted",
                "document": reader,
                "replaced": [org.policies["SelfService"].arn],
            },
            "mia",
            "loses",
        ),
        ({"change": "delete-policy", "policy": operations_storage, "detach_everywhere": True}, "james", "loses"),
        ({"change": "detach-policy", "identity": developers.arn, "policy": storage.arn}, "oliver", "loses"),
        ({"change": "set-default-version", "policy": storage.arn, "version": 2}, "oliver", "loses"),
        (
            {"change": "delete-inline-policy", "identity": org.dev_admin.arn, "policy_name": "ManageDevelopers"},
            "dev-admin",
            "loses",
        ),
        ({"change": "delete-permissions-boundary", "identity": org.henry.arn}, "henry", "gains"),
        ({"change": "unassign-role", "role": release.arn, "user": org.mia.arn}, "mia", "loses"),
        ({"change": "assign-role-to-users", "role": release.arn, "users": [org.james.arn]}, "james", "gains"),
        ({"change": "delete-group", "group": operations.arn}, "james", "loses"),
        ({"change": "delete-role", "role": reviewer.arn}, "AuditReviewer", "loses"),
        (
            {"change": "put-inline-policy", "identity": org.henry.arn, "policy_name": "More", "document": reader},
            "henry",
            "gains",
        ),
        ({"change": "set-permissions-boundary", "identity": org.james.arn, "policy": storage.arn}, "james", "loses"),
        (
            {
                "change": "update-trust-policy",
                "role": release.arn,
                "trust_policy": json.dumps(_trusting(org.oliver.arn)),
            },
            "oliver",
            "gains",
        ),
        (
            {"change": "save-guardrail", "guardrail_name": "Fence", "document": _denying("storage:PutObject")},
            "james",
            "loses",
        ),
    ]


def _trusting(arn: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": arn}, "Action": "sts:AssumeRole"}],
    }


def _denying(action: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": action, "Resource": "*"}]}


def test_every_kind_of_change_is_previewed(org):
    client = caller(org.root)
    for body, name, kind in _kinds(org):
        response = post(client, body)
        assert response.status_code == 200, (body["change"], response.json())
        found = {principal["arn"].rsplit("/", 1)[-1]: principal for principal in response.json()["principals"]}
        assert found[name][kind], (body["change"], name, kind)


def test_a_change_breaking_an_expectation_is_previewed_with_what_it_breaks(org):
    from policies import services
    from tests.policies.views.test_expectations import OPERATIONS_READ, PRODUCTION

    services.put_access_expectation(definition=OPERATIONS_READ, actor=None)
    body = {
        "change": "detach-policy",
        "identity": org.groups["Operations"].arn,
        "policy": org.policies["OperationsStorageAccess"].arn,
    }
    response = post(caller(org.iam_admin), body)
    assert response.status_code == 200
    answer = response.json()
    assert {principal["arn"] for principal in answer["principals"]} == {org.james.arn, org.lucas.arn}
    [broken] = answer["broken_expectations"]
    assert (broken["name"], broken["overridable"], broken["other_failures"]) == ("operations-read-production", True, 0)
    assert broken["failures"] == [
        {
            "principal": org.james.arn,
            "action": "storage:GetObject",
            "resource": f"{PRODUCTION}/*",
            "decision": "ImplicitDeny",
        }
    ]
