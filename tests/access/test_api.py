"""/api/v1/access-requests: the console's story through the API, persons behind keys and role
sessions, refusals and bad input as JSON."""

import json

import pytest
from django.test import Client

from access.models import AccessRequest
from identities import services as identity_services
from policies import services as policy_services
from tests.documents import document, statement

pytestmark = pytest.mark.django_db
URL = "/api/v1/access-requests"
OBJECT = "arn:aws:storage:::public-site/index.html"
ASK = {
    "kind": "permission",
    "actions": ["storage:PutObject"],
    "resources": [OBJECT],
    "justification": "The front page has a typo.",
    "duration_seconds": 3600,
}


def key_client(user) -> Client:
    key, secret = identity_services.create_access_key(user=user, actor=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {key.key_id}:{secret}")


def post(client, path, body=None):
    return client.post(path, json.dumps(body or {}), content_type="application/json")


def decision_of(client, principal) -> str:
    body = {"principal": principal, "action": "storage:PutObject", "resource": OBJECT}
    return post(client, "/api/v1/authorize", body).json()["decision"]


def may_approve(user) -> None:
    policy_services.put_inline_policy(
        identity=user,
        policy_name="ApproveRequests",
        document=document(statement("Allow", "iamconsole:ApproveAccessRequest", "*")),
        actor=None,
    )


def test_the_story_matches_the_consoles(org):
    henry, admin = key_client(org.henry), key_client(org.iam_admin)
    assert decision_of(henry, org.henry.arn) == "ImplicitDeny"
    response = post(henry, URL, ASK)
    assert response.status_code == 201
    asked = response.json()
    assert (asked["state"], asked["requester"], asked["requested_as"]) == ("pending", org.henry.arn, org.henry.arn)
    assert [row["id"] for row in henry.get(URL).json()["requests"]] == [asked["id"]]
    assert [row["id"] for row in admin.get(f"{URL}/to-decide").json()["requests"]] == [asked["id"]]
    assert henry.get(f"{URL}/to-decide").json()["requests"] == []
    proposed = admin.get(f"{URL}/{asked['id']}/proposals").json()
    assert [item["name"] for item in proposed["proposals"]][0] == "IAMPublishers"
    assert proposed["proposals"][-1]["kind"] == "statement" and proposed["gains_beyond_request"] == []
    decided = post(admin, f"{URL}/{asked['id']}/decision", {"decision": "approve", "duration_seconds": 1800})
    assert decided.status_code == 200
    answer = decided.json()
    assert (answer["state"], answer["duration_seconds"]) == ("approved", 1800)
    assert answer["granted"].endswith(f":policy/access-requests/AccessRequest{asked['id']}")
    assert [approval["approver"] for approval in answer["approvals"]] == [org.iam_admin.arn]
    assert decision_of(henry, org.henry.arn) == "Allow"
    ended = post(henry, f"{URL}/{asked['id']}/end")
    assert ended.json()["state"] == "ended" and ended.json()["granted"] is None
    assert decision_of(henry, org.henry.arn) == "ImplicitDeny"


def test_a_request_is_shown_only_to_its_requester_and_those_who_may_decide_it(org):
    asked = post(key_client(org.henry), URL, ASK).json()
    assert key_client(org.iam_admin).get(f"{URL}/{asked['id']}").status_code == 200
    refused = key_client(org.oliver).get(f"{URL}/{asked['id']}")
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "NoSuchAccessRequest"
    assert post(key_client(org.oliver), f"{URL}/{asked['id']}/decision", {"decision": "approve"}).status_code == 404


def test_no_one_approves_their_own_request_through_a_role_session(org):
    approvers = identity_services.create_role(
        role_name="RequestApprovers",
        trust_policy=document({"Effect": "Allow", "Principal": {"AWS": org.henry.arn}, "Action": "sts:AssumeRole"}),
        actor=None,
    )
    may_approve(approvers)
    henry = key_client(org.henry)
    asked = post(henry, URL, ASK).json()
    session = post(henry, "/api/v1/assume-role", {"RoleArn": approvers.arn, "RoleSessionName": "approve"}).json()
    as_role = Client(HTTP_AUTHORIZATION=session["Authorization"])
    refused = post(as_role, f"{URL}/{asked['id']}/decision", {"decision": "approve"})
    assert refused.status_code == 403
    assert refused.json()["error"] == {"code": "AccessDenied", "message": "No one decides their own access request."}
    assert AccessRequest.objects.get(pk=asked["id"]).state == "pending"


def test_a_request_asked_in_a_role_session_is_the_persons(org):
    mia = key_client(org.mia)
    role = org.roles["ReleaseManager"]
    session = post(mia, "/api/v1/assume-role", {"RoleArn": role.arn, "RoleSessionName": "ship"}).json()
    asked = post(Client(HTTP_AUTHORIZATION=session["Authorization"]), URL, ASK).json()
    assert asked["requester"] == org.mia.arn
    assert asked["requested_as"] == session["AssumedRoleUser"]["Arn"]
    assert post(mia, f"{URL}/{asked['id']}/decision", {"decision": "approve"}).status_code == 403


def test_no_one_approves_their_own_request_through_a_service_users_key(org):
    bot = identity_services.create_user(username="deploy-bot", actor=None)
    may_approve(bot)
    client = key_client(bot)  # whoever holds the bot's key acts as the bot
    asked = post(client, URL, ASK).json()
    assert asked["requester"] == bot.arn
    refused = post(client, f"{URL}/{asked['id']}/decision", {"decision": "approve"})
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "No one decides their own access request."
    other_key = key_client(bot)  # another key of the same user is the same person
    assert post(other_key, f"{URL}/{asked['id']}/decision", {"decision": "approve"}).status_code == 403
    assert AccessRequest.objects.get(pk=asked["id"]).state == "pending"


def test_deny_and_cancel(org):
    henry, admin = key_client(org.henry), key_client(org.iam_admin)
    first = post(henry, URL, ASK).json()
    no_reason = post(admin, f"{URL}/{first['id']}/decision", {"decision": "deny"})
    assert no_reason.status_code == 400 and no_reason.json()["error"]["code"] == "ValidationError"
    denied = post(admin, f"{URL}/{first['id']}/decision", {"decision": "deny", "reason": "Ask the web team."})
    assert (denied.json()["state"], denied.json()["reason"]) == ("denied", "Ask the web team.")
    second = post(henry, URL, ASK).json()
    assert post(admin, f"{URL}/{second['id']}/cancel").status_code == 403
    assert post(henry, f"{URL}/{second['id']}/cancel").json()["state"] == "cancelled"


def test_a_role_by_name_and_a_revocation(org):
    henry, admin = key_client(org.henry), key_client(org.iam_admin)
    body = {"kind": "role", "role": "AuditReviewer", "justification": "Quarterly audit.", "duration_seconds": 3600}
    asked = post(henry, URL, body).json()
    assert asked["role"] == org.roles["AuditReviewer"].arn
    post(admin, f"{URL}/{asked['id']}/decision", {"decision": "approve"})
    revoked = post(admin, f"{URL}/{asked['id']}/revoke", {"reason": "Audit done."})
    assert (revoked.json()["state"], revoked.json()["reason"]) == ("revoked", "Audit done.")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({**ASK, "kind": "everything"}, 400, "MalformedRequest"),
        ({**ASK, "colour": "blue"}, 400, "MalformedRequest"),
        ({key: value for key, value in ASK.items() if key != "duration_seconds"}, 400, "MissingParameter"),
        ({**ASK, "duration_seconds": "an hour"}, 400, "MalformedRequest"),
        ({**ASK, "actions": [1]}, 400, "MalformedRequest"),
        ({**ASK, "actions": ["storage:*"]}, 400, "ValidationError"),
        # found by schemathesis: a context that is no object was a TypeError, a 500
        ({**ASK, "context": 5}, 400, "MalformedRequest"),
        ({**ASK, "context": ["aws:SourceIp"]}, 400, "MalformedRequest"),
        ({**ASK, "context": {"aws:SourceIp": 5}}, 400, "ValidationError"),
        ({"kind": "role", "role": "NoSuchRole", "justification": "x", "duration_seconds": 60}, 404, "NoSuchEntity"),
    ],
)
def test_bad_input_is_a_clear_4xx_and_changes_nothing(org, body, status, code):
    response = post(key_client(org.henry), URL, body)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert not AccessRequest.objects.exists()


def test_without_credentials_nothing_is_answered(org):
    response = Client().get(URL)
    assert response.status_code == 401 and response.json()["error"]["code"] == "InvalidCredentials"


def test_a_membership_by_group_name(org):
    henry, admin = key_client(org.henry), key_client(org.iam_admin)
    body = {"kind": "group", "group": "IAMPublishers", "justification": "Publishing week.", "duration_seconds": 3600}
    asked = post(henry, URL, body).json()
    assert asked["group"] == org.groups["IAMPublishers"].arn
    approved = post(admin, f"{URL}/{asked['id']}/decision", {"decision": "approve"}).json()
    assert (approved["state"], approved["granted"]) == ("approved", org.groups["IAMPublishers"].arn)
    assert decision_of(henry, org.henry.arn) == "Allow"
