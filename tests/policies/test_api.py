"""The /api/v1/ home: bearer keys, JSON errors, caller identity and assume-role."""

import json
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from identities import services as identity_services
from identities.audit import AnonymousRefusalCount, AuditEvent
from identities.credentials import RoleSession
from identities.models import Role
from policies import services
from tests import factories
from tests.documents import allow, deny

pytestmark = pytest.mark.django_db

ACCOUNT = "123456789012"


def trusting(*principals: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"}],
    }


@pytest.fixture
def api(mia):
    key, secret = identity_services.create_access_key(user=mia, actor=None)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key.key_id}:{secret}")
    client.key = key
    return client


def post(client, url, body, **extra):
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


def error_code(response) -> str:
    return response.json()["error"]["code"]


def test_caller_identity_names_the_keys_user(api, mia):
    response = api.get("/api/v1/caller-identity")
    assert response.status_code == 200
    assert response.json() == {"UserId": mia.iam_id, "Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/mia"}
    api.key.refresh_from_db()
    assert api.key.last_used_service == "sts"


def test_caller_identity_answers_under_an_explicit_deny_and_the_engine_agrees(api, mia):
    # AWS's GetCallerIdentity reference: no permission is needed, and a Deny does not stop it
    services.put_inline_policy(identity=mia, policy_name="NoThing", document=deny(), actor=None)
    services.save_guardrail(guardrail_name="NoSts", document=deny("sts:*"), actor=None)
    response = api.get("/api/v1/caller-identity")
    assert (response.status_code, response.json()["Arn"]) == (200, f"arn:aws:iam::{ACCOUNT}:user/mia")
    asked = {"principal": mia.arn, "resource": "*"}
    who_am_i = post(api, "/api/v1/authorize", {**asked, "action": "sts:GetCallerIdentity"}).json()
    assert (who_am_i["decision"], who_am_i["deciding"], who_am_i["errors"]) == ("Allow", [], [])
    other = post(api, "/api/v1/authorize", {**asked, "action": "sts:GetAccessKeyInfo"}).json()
    assert (other["decision"], {ref["layer"] for ref in other["deciding"]}) == (
        "ExplicitDeny",
        {"identity", "guardrails[0]"},
    )


def test_a_role_session_learns_who_it_is_under_an_explicit_deny(api, mia):
    role = identity_services.create_role(role_name="Deployer", trust_policy={}, actor=None)
    identity_services.assign_role(role=role, user=mia, actor=None)
    services.put_inline_policy(identity=role, policy_name="NoSts", document=deny("sts:*"), actor=None)
    body = post(api, "/api/v1/assume-role", {"RoleArn": role.arn, "RoleSessionName": "s1"}).json()
    response = Client(HTTP_AUTHORIZATION=body["Authorization"]).get("/api/v1/caller-identity")
    assert (response.status_code, response.json()["Arn"]) == (200, f"arn:aws:sts::{ACCOUNT}:assumed-role/Deployer/s1")


@pytest.mark.parametrize(
    "header", [None, "Bearer nope", "Bearer AKIAAAAAAAAAAAAAAAAA:" + "s" * 40, "Basic abc", "Bearer AKIA\x00:x"]
)
def test_missing_or_bad_credentials_get_401_json(header):
    client = Client(HTTP_AUTHORIZATION=header) if header else Client()
    response = client.get("/api/v1/caller-identity")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json() == {
        "error": {
            "code": "InvalidCredentials",
            "message": "The credentials are missing, malformed, unknown or not active.",
        }
    }


def test_wrong_method_is_405_json(api):
    response = api.post("/api/v1/caller-identity")
    assert (response.status_code, error_code(response)) == (405, "MethodNotAllowed")


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        ("{not json", "application/json", 400, "MalformedJSON"),
        ("[1, 2]", "application/json", 400, "MalformedRequest"),
        ("RoleArn=x", "application/x-www-form-urlencoded", 415, "UnsupportedMediaType"),
        ("\xff\xfe", "application/json", 400, "MalformedJSON"),
        (
            json.dumps({"RoleArn": "arn:aws:iam::123456789012:role/Deployer"}),
            "application/json",
            400,
            "MissingParameter",
        ),
        (json.dumps({"RoleSessionName": "s1"}), "application/json", 400, "MissingParameter"),
    ],
)
def test_bad_input_is_4xx_json(api, body, content_type, status, code):
    factories.RoleFactory(role_name="Deployer")
    response = api.post("/api/v1/assume-role", body, content_type=content_type)
    assert (response.status_code, error_code(response)) == (status, code)


def test_nul_characters_are_refused_before_any_lookup(api):
    response = post(
        api,
        "/api/v1/authorize",
        {"principal": "arn:aws:iam::123456789012:user/a\u0000b", "action": "s:A", "resource": "*"},
    )
    assert (response.status_code, error_code(response)) == (400, "MalformedRequest")


def test_an_oversized_body_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = post(api, "/api/v1/assume-role", {"RoleArn": "x" * 200, "RoleSessionName": "s1"})
    assert (response.status_code, error_code(response)) == (413, "RequestTooLarge")


def test_plain_http_is_refused_without_the_loopback_switch(api, settings):
    settings.PLAIN_HTTP = False
    response = api.get("/api/v1/caller-identity")
    assert (response.status_code, error_code(response)) == (403, "HttpsRequired")
    assert api.get("/api/v1/caller-identity", secure=True).status_code == 200


def test_an_assigned_user_assumes_the_role_and_acts_with_its_permissions(api, mia):
    role = identity_services.create_role(role_name="Deployer", trust_policy={}, actor=None)
    identity_services.assign_role(role=role, user=mia, actor=None)
    services.put_inline_policy(identity=role, policy_name="Ship", document=allow("storage:PutObject"), actor=None)
    response = post(
        api, "/api/v1/assume-role", {"RoleArn": role.arn, "RoleSessionName": "ship-1", "DurationSeconds": 900}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/Deployer/ship-1"
    credentials = body["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    session_client = Client(HTTP_AUTHORIZATION=body["Authorization"])
    identity = session_client.get("/api/v1/caller-identity").json()
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/Deployer/ship-1"
    assert identity["UserId"] == f"{role.iam_id}:ship-1"


def test_a_user_neither_assigned_nor_trusted_cannot_assume_the_role(api):
    role = identity_services.create_role(role_name="Deployer", trust_policy={}, actor=None)
    response = post(api, "/api/v1/assume-role", {"RoleArn": role.arn, "RoleSessionName": "s1"})
    assert (response.status_code, error_code(response)) == (403, "AccessDenied")
    assert RoleSession.objects.count() == 0


def test_an_unknown_role_is_refused_like_a_forbidden_one(api):
    response = post(
        api, "/api/v1/assume-role", {"RoleArn": f"arn:aws:iam::{ACCOUNT}:role/Nope", "RoleSessionName": "s1"}
    )
    assert (response.status_code, error_code(response)) == (403, "AccessDenied")


def test_a_trust_policy_naming_the_user_suffices(api, mia):
    role = identity_services.create_role(role_name="Deployer", trust_policy=trusting(mia.arn), actor=None)
    response = post(api, "/api/v1/assume-role", {"RoleArn": role.arn, "RoleSessionName": "s1"})
    assert response.status_code == 200


def test_a_trust_policy_naming_the_account_needs_the_users_own_allow(api, mia):
    role = identity_services.create_role(
        role_name="Deployer", trust_policy=trusting(f"arn:aws:iam::{ACCOUNT}:root"), actor=None
    )
    body = {"RoleArn": role.arn, "RoleSessionName": "s1"}
    assert post(api, "/api/v1/assume-role", body).status_code == 403
    services.put_inline_policy(
        identity=mia, policy_name="Assume", document=allow("sts:AssumeRole", role.arn), actor=None
    )
    assert post(api, "/api/v1/assume-role", body).status_code == 200


def test_an_expired_assignment_no_longer_lets_one_assume(api, mia, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    role = identity_services.create_role(role_name="Deployer", trust_policy={}, actor=None)
    identity_services.assign_role(role=role, user=mia, actor=None, expires_at=timezone.now() + timedelta(hours=1))
    body = {"RoleArn": role.arn, "RoleSessionName": "s1"}
    assert post(api, "/api/v1/assume-role", body).status_code == 200
    later = timezone.now() + timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert post(api, "/api/v1/assume-role", body).status_code == 403


def test_a_session_policy_narrows_the_session(api, mia):
    role = identity_services.create_role(role_name="Deployer", trust_policy=trusting(mia.arn), actor=None)
    services.put_inline_policy(identity=role, policy_name="All", document=allow("storage:*"), actor=None)
    response = post(
        api,
        "/api/v1/assume-role",
        {"RoleArn": role.arn, "RoleSessionName": "narrow", "Policy": json.dumps(allow("storage:GetObject"))},
    )
    assert response.status_code == 200
    session = RoleSession.objects.get(session_name="narrow")
    from policies import authorization

    layers = authorization.layers_of(session)
    assert authorization.decide(layers, "storage:GetObject").outcome.value == "Allow"
    assert authorization.decide(layers, "storage:PutObject").outcome.value == "ImplicitDeny"


def test_a_malformed_session_policy_is_400(api, mia):
    role = identity_services.create_role(role_name="Deployer", trust_policy=trusting(mia.arn), actor=None)
    response = post(
        api,
        "/api/v1/assume-role",
        {"RoleArn": role.arn, "RoleSessionName": "s1", "Policy": {"Statement": [{"Effect": "Maybe"}]}},
    )
    assert (response.status_code, error_code(response)) == (400, "MalformedPolicyDocument")


def test_durations_outside_the_roles_range_are_400(api, mia):
    role = identity_services.create_role(role_name="Deployer", trust_policy=trusting(mia.arn), actor=None)
    response = post(api, "/api/v1/assume-role", {"RoleArn": role.arn, "RoleSessionName": "s1", "DurationSeconds": 60})
    assert (response.status_code, error_code(response)) == (400, "ValidationError")
    response = post(
        api, "/api/v1/assume-role", {"RoleArn": role.arn, "RoleSessionName": "s1", "DurationSeconds": "long"}
    )
    assert (response.status_code, error_code(response)) == (400, "ValidationError")


def test_roles_are_looked_up_by_their_whole_arn(api, mia):
    role = identity_services.create_role(role_name="Deployer", path="/ops/", trust_policy=trusting(mia.arn), actor=None)
    assert role.arn == f"arn:aws:iam::{ACCOUNT}:role/ops/Deployer"
    wrong_path = f"arn:aws:iam::{ACCOUNT}:role/Deployer"
    assert post(api, "/api/v1/assume-role", {"RoleArn": wrong_path, "RoleSessionName": "s1"}).status_code == 403
    assert post(api, "/api/v1/assume-role", {"RoleArn": role.arn, "RoleSessionName": "s1"}).status_code == 200
    assert Role.objects.count() == 1


# Role-session credentials after their session ends


def _revoke_the_session(session: RoleSession) -> None:
    identity_services.end_role_session(session=session, actor=None)


def _revoke_the_users_sessions(session: RoleSession) -> None:
    identity_services.revoke_role_sessions(user=session.user, actor=None)


def _revoke_the_roles_sessions(session: RoleSession) -> None:
    identity_services.revoke_role_sessions(role=session.role, actor=None)


def _let_it_expire(session: RoleSession) -> None:
    RoleSession.objects.filter(pk=session.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


@pytest.fixture
def assumed(api, mia):
    """A client holding the Authorization header that POST /api/v1/assume-role answered, and its session."""
    role = identity_services.create_role(role_name="Deployer", trust_policy=trusting(mia.arn), actor=None)
    services.put_inline_policy(identity=role, policy_name="Assume", document=allow("sts:AssumeRole"), actor=None)
    response = post(api, "/api/v1/assume-role", {"RoleArn": role.arn, "RoleSessionName": "ship-1"})
    assert response.status_code == 200
    client = Client(HTTP_AUTHORIZATION=response.json()["Authorization"])
    client.session_row = RoleSession.objects.get(key_id=response.json()["Credentials"]["AccessKeyId"])
    client.role = role
    return client


@pytest.mark.parametrize(
    "end", [_revoke_the_session, _revoke_the_users_sessions, _revoke_the_roles_sessions, _let_it_expire]
)
def test_a_session_token_is_refused_once_its_session_has_ended(assumed, end):
    assert assumed.get("/api/v1/caller-identity").status_code == 200
    end(assumed.session_row)
    sessions = list(RoleSession.objects.values_list("pk", "revoked_at", "expires_at"))
    changes = AuditEvent.objects.filter(outcome=AuditEvent.Outcome.SUCCESS).count()
    identity = assumed.get("/api/v1/caller-identity")
    assert (identity.status_code, error_code(identity)) == (401, "InvalidCredentials")
    chained = post(assumed, "/api/v1/assume-role", {"RoleArn": assumed.role.arn, "RoleSessionName": "ship-2"})
    assert (chained.status_code, error_code(chained)) == (401, "InvalidCredentials")
    decision = post(
        assumed, "/api/v1/authorize", {"principal": assumed.session_row.arn, "action": "s:A", "resource": "*"}
    )
    assert decision.status_code == 401
    assert list(RoleSession.objects.values_list("pk", "revoked_at", "expires_at")) == sessions
    assert AuditEvent.objects.filter(outcome=AuditEvent.Outcome.SUCCESS).count() == changes
    # Refusals without a valid credential are counted, not written to the trail.
    assert not AuditEvent.objects.filter(event_name="InvalidCredentials").exists()
    counted = AnonymousRefusalCount.objects.filter(reason="InvalidCredentials").aggregate(total=Sum("count"))
    assert counted["total"] == 3
