"""POST /api/v1/authorize on the article's organisation (`org`); expected outcomes reasoned from its policies."""

import json

import pytest
from django.db import OperationalError
from django.test import Client

from identities import services as identity_services
from identities.models import User
from policies import services
from policies.authorization import principals
from tests.documents import allow

pytestmark = pytest.mark.django_db

ACCOUNT = "123456789012"
PRODUCTION = "arn:aws:storage:::production-data"


def user_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:user/{name}"


def key_client(user: User) -> Client:
    key, secret = identity_services.create_access_key(user=user, actor=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {key.key_id}:{secret}")


@pytest.fixture
def portal(org):
    """An internal service allowed to ask about every user."""
    service = identity_services.create_user(username="portal", actor=None)
    services.put_inline_policy(
        identity=service,
        policy_name="AskAboutUsers",
        document=allow("iam:SimulatePrincipalPolicy", f"arn:aws:iam::{ACCOUNT}:user/*"),
        actor=None,
    )
    return key_client(service)


def ask(client, body):
    return client.post("/api/v1/authorize", json.dumps(body), content_type="application/json")


def decision_of(client, principal, action, resource, context=None):
    response = ask(client, {"principal": principal, "action": action, "resource": resource, "context": context or {}})
    assert response.status_code == 200, response.content
    return response.json()


def test_lucas_may_not_delete_the_production_bucket_and_the_answer_says_why(portal):
    result = decision_of(portal, user_arn("lucas"), "storage:DeleteBucket", PRODUCTION)
    assert result["decision"] == "ExplicitDeny"
    assert [(d["sid"], d["effect"], d["statement_index"]) for d in result["deciding"]] == [
        ("KeepProduction", "Deny", 1)
    ]
    assert result["deciding"][0]["policy"].startswith(f"arn:aws:iam::{ACCOUNT}:policy/OperationsStorageAccess v1")


def test_lucas_may_delete_other_buckets(portal):
    assert decision_of(portal, user_arn("lucas"), "storage:DeleteBucket", "arn:aws:storage:::scratch")["decision"] == (
        "Allow"
    )


@pytest.mark.parametrize(
    ("name", "action", "resource", "expected"),
    [
        ("mia", "storage:PutObject", "arn:aws:storage:::dev-app/build.tar", "Allow"),
        ("mia", "storage:PutObject", f"{PRODUCTION}/x", "ImplicitDeny"),
        ("mia", "storage:GetObject", f"{PRODUCTION}/x", "Allow"),
        ("charles", "iam:ListAuditEvents", "*", "Allow"),
        ("oliver", "iam:ListAuditEvents", "*", "ImplicitDeny"),
        ("henry", "storage:GetObject", "arn:aws:storage:::dev-app/x", "ImplicitDeny"),
        ("henry", "iam:GetUser", user_arn("henry"), "Allow"),
        ("henry", "iam:GetUser", user_arn("mia"), "ImplicitDeny"),
        ("james", "storage:DeleteObject", f"{PRODUCTION}/old.log", "ExplicitDeny"),
    ],
)
def test_decisions_reasoned_from_the_organisations_policies(portal, name, action, resource, expected):
    assert decision_of(portal, user_arn(name), action, resource)["decision"] == expected


def test_a_batch_answers_each_request_in_order(portal):
    body = {
        "requests": [
            {"principal": user_arn("lucas"), "action": "storage:DeleteBucket", "resource": PRODUCTION},
            {"principal": user_arn("mia"), "action": "storage:ListBuckets", "resource": "*"},
        ]
    }
    response = ask(portal, body)
    assert [result["decision"] for result in response.json()["results"]] == ["ExplicitDeny", "Allow"]


def test_a_caller_may_ask_about_itself_without_simulate_rights(org):
    mia = User.objects.get(username="mia")
    result = decision_of(key_client(mia), user_arn("mia"), "storage:ListBuckets", "*")
    assert result["decision"] == "Allow"


def test_a_caller_may_not_speak_for_a_user_it_may_not(org):
    mia = User.objects.get(username="mia")
    response = ask(key_client(mia), {"principal": user_arn("lucas"), "action": "s:A", "resource": "*"})
    assert (response.status_code, response.json()["error"]["code"]) == (403, "AccessDenied")
    unknown = ask(
        key_client(User.objects.get(username="oliver")),
        {"principal": user_arn("nobody"), "action": "s:A", "resource": "*"},
    )
    assert unknown.status_code == 403


def test_an_unknown_principal_is_404_for_those_allowed_to_ask(portal):
    response = ask(portal, {"principal": user_arn("nobody"), "action": "s:A", "resource": "*"})
    assert (response.status_code, response.json()["error"]["code"]) == (404, "NoSuchPrincipal")


@pytest.mark.parametrize(
    "key",
    ["aws:username", "aws:PrincipalArn", "AWS:PRINCIPALTAG/team", "aws:CurrentTime", "aws:userid", "aws:PrincipalType"],
)
def test_principal_keys_sent_by_a_caller_are_refused(portal, key):
    response = ask(portal, {"principal": user_arn("mia"), "action": "s:A", "resource": "*", "context": {key: "x"}})
    assert (response.status_code, response.json()["error"]["code"]) == (400, "ServerDerivedKey")


def test_request_keys_from_the_caller_reach_conditions(portal):
    mia = User.objects.get(username="mia")
    condition = {"IpAddress": {"aws:SourceIp": "10.1.0.0/16"}}
    services.put_inline_policy(
        identity=mia, policy_name="Office", document=allow("billing:Get*", "*", condition), actor=None
    )
    inside = decision_of(portal, user_arn("mia"), "billing:GetInvoice", "*", {"aws:SourceIp": "10.1.2.3"})
    outside = decision_of(portal, user_arn("mia"), "billing:GetInvoice", "*", {"aws:SourceIp": "192.0.2.1"})
    missing = decision_of(portal, user_arn("mia"), "billing:GetInvoice", "*")
    assert (inside["decision"], outside["decision"], missing["decision"]) == ("Allow", "ImplicitDeny", "ImplicitDeny")
    assert missing["missing_context_keys"] == ["aws:SourceIp"]


def test_the_server_derives_principal_tags(portal):
    mia = User.objects.get(username="mia")
    identity_services.set_user_tags(user=mia, tags={"team": "web"}, actor=None)
    condition = {"StringEquals": {"aws:PrincipalTag/team": "web"}}
    services.put_inline_policy(
        identity=mia, policy_name="Team", document=allow("web:Deploy", "*", condition), actor=None
    )
    assert decision_of(portal, user_arn("mia"), "web:Deploy", "*")["decision"] == "Allow"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"requests": []}, 400, "MalformedRequest"),
        ({"requests": "x"}, 400, "MalformedRequest"),
        ({"requests": [1]}, 400, "MalformedRequest"),
        ({"principal": 5, "action": "a:b", "resource": "*"}, 400, "MissingParameter"),
        ({"principal": "x", "action": "a:b"}, 400, "MissingParameter"),
        ({"principal": user_arn("mia"), "action": "a:b", "resource": "*", "context": []}, 400, "MalformedRequest"),
        (
            {"principal": user_arn("mia"), "action": "a:b", "resource": "*", "context": {"k:v": 5}},
            400,
            "MalformedRequest",
        ),
        ({"principal": "not-an-arn", "action": "a:b", "resource": "*"}, 403, "AccessDenied"),
    ],
)
def test_malformed_requests_are_4xx_json(portal, body, status, code):
    response = ask(portal, body)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


def test_a_batch_over_the_limit_is_refused(portal, settings):
    settings.IAM_AUTHORIZE_BATCH_MAX = 2
    item = {"principal": user_arn("mia"), "action": "a:b", "resource": "*"}
    response = ask(portal, {"requests": [item] * 3})
    assert (response.status_code, response.json()["error"]["code"]) == (400, "BatchTooLarge")


def test_without_the_database_the_answer_is_503_never_an_allow(portal, monkeypatch):
    def database_down(arn):
        raise OperationalError("connection refused")

    monkeypatch.setattr(principals, "principal_at", database_down)
    response = ask(portal, {"principal": user_arn("lucas"), "action": "storage:ListBuckets", "resource": "*"})
    assert (response.status_code, response.json()["error"]["code"]) == (503, "ServiceUnavailable")


def test_a_role_session_principal_carries_the_roles_permissions(portal, org):
    from identities.models import Role

    role = Role.objects.get(role_name="ReleaseManager")
    mia = User.objects.get(username="mia")
    session, _, _ = identity_services.start_role_session(
        role=role, user=mia, session_name="release-7", duration=900, source="api", actor=mia
    )
    services.put_inline_policy(
        identity=User.objects.get(username="portal"),
        policy_name="AskAboutSessions",
        document=allow("iam:SimulatePrincipalPolicy", f"arn:aws:sts::{ACCOUNT}:assumed-role/*"),
        actor=None,
    )
    arn = session.arn
    assert decision_of(portal, arn, "storage:PutObject", f"{PRODUCTION}/releases/v7.tar")["decision"] == "Allow"
    assert decision_of(portal, arn, "storage:ListBuckets", "*")["decision"] == "ImplicitDeny"


def test_a_warm_decision_reads_the_callers_key_and_the_generation_in_one_query(
    portal, settings, django_assert_num_queries
):
    settings.IAM_DECISION_COUNT_FLUSH_SECONDS = 3600  # as in production: counts are written in batches
    body = {"principal": user_arn("lucas"), "action": "storage:ListBuckets", "resource": "*"}
    assert ask(portal, body).status_code == 200
    with django_assert_num_queries(1):
        assert ask(portal, body).json()["decision"] == "Allow"


def test_a_disabled_renamed_or_revoked_principal_is_seen_on_the_next_decision(portal, org):
    lucas = User.objects.get(username="lucas")
    assert decision_of(portal, user_arn("lucas"), "storage:ListBuckets", "*")["decision"] == "Allow"
    identity_services.update_user(user=lucas, username="lucas2", actor=None)
    missing = ask(portal, {"principal": user_arn("lucas"), "action": "storage:ListBuckets", "resource": "*"})
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "NoSuchPrincipal")
    assert decision_of(portal, user_arn("lucas2"), "storage:ListBuckets", "*")["decision"] == "Allow"
    identity_services.update_user(user=lucas, is_active=False, actor=None)
    assert ask(portal, {"principal": user_arn("lucas2"), "action": "s3:X", "resource": "*"}).status_code == 404

    from identities.models import Role

    session, _, _ = identity_services.start_role_session(
        role=Role.objects.get(role_name="ReleaseManager"),
        user=User.objects.get(username="mia"),
        session_name="release-8",
        duration=900,
        source="api",
        actor=None,
    )
    services.put_inline_policy(
        identity=User.objects.get(username="portal"),
        policy_name="AskAboutSessions",
        document=allow("iam:SimulatePrincipalPolicy", f"arn:aws:sts::{ACCOUNT}:assumed-role/*"),
        actor=None,
    )
    assert decision_of(portal, session.arn, "storage:ListBuckets", "*")["decision"] == "ImplicitDeny"
    # Revoking a session changes no permissions, so nothing about it may be remembered.
    identity_services.revoke_role_sessions(user=session.user, actor=None)
    gone = ask(portal, {"principal": session.arn, "action": "storage:ListBuckets", "resource": "*"})
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "NoSuchPrincipal")


def test_explain_adds_the_near_misses_of_an_implicit_deny(portal):
    body = {"principal": user_arn("charles"), "action": "storage:PutObject", "resource": f"{PRODUCTION}/x"}
    result = ask(portal, body | {"explain": True}).json()
    assert result["decision"] == "ImplicitDeny"
    devbuckets = [miss for miss in result["near_misses"] if miss["sid"] == "DevBuckets"]
    assert devbuckets == [
        {
            "layer": "identity",
            "policy": devbuckets[0]["policy"],
            "statement_index": 0,
            "sid": "DevBuckets",
            "missed": ["resource"],
            "resources": ["arn:aws:storage:::dev-*", "arn:aws:storage:::dev-*/*"],
            "not_resource": False,
            "principal": False,
            "conditions": [],
        }
    ]
    assert devbuckets[0]["policy"].startswith(f"arn:aws:iam::{ACCOUNT}:policy/DevelopersStorageAccess v")
    assert "near_misses" not in ask(portal, body).json()


def test_explain_once_for_a_batch_and_a_non_boolean_explain_is_refused(portal):
    one = {"principal": user_arn("charles"), "action": "storage:PutObject", "resource": f"{PRODUCTION}/x"}
    results = ask(portal, {"requests": [one, one], "explain": True}).json()["results"]
    assert [bool(result["near_misses"]) for result in results] == [True, True]
    refused = ask(portal, one | {"explain": "yes"})
    assert refused.status_code == 400
    assert refused.json()["error"] == {"code": "MalformedRequest", "message": "the request: explain is true or false."}
