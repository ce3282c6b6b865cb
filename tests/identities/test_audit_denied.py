"""Refused requests of a known caller become Denied audit events; allowed decision API calls are counted."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from identities import services
from identities.audit import AnonymousRefusalCount, AuditDecisionCount, AuditEvent
from policies import services as policy_services
from tests.documents import allow

pytestmark = pytest.mark.django_db

ACCOUNT = "123456789012"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def denied() -> list[tuple[str, str, str]]:
    return list(
        AuditEvent.objects.filter(outcome=AuditEvent.Outcome.DENIED)
        .order_by("id")
        .values_list("event_name", "actor_arn", "after__view")
    )


def test_a_console_404_is_recorded_with_actor_source_and_path(mia):
    assert signed_in(mia).get(reverse("identities:audit-list"), REMOTE_ADDR="10.1.2.3").status_code == 404
    event = AuditEvent.objects.get(outcome=AuditEvent.Outcome.DENIED)
    assert (event.event_name, event.actor_arn, event.source_ip) == ("NotFound", mia.arn, "10.1.2.3")
    assert event.after == {
        "method": "GET",
        "path": "/audit/",
        "status": 404,
        "view": "identities:audit-list",
        "reason": "No such page.",
    }


def test_a_missing_user_and_a_hidden_one_leave_the_same_reason(mia, henry):
    """Whether the user exists is no one else's business: the trail must not tell the two apart."""
    client = signed_in(mia)
    for username in ("no-such-user", henry.username):
        assert client.get(reverse("identities:security-credentials", args=[username])).status_code == 404
    reasons = AuditEvent.objects.filter(outcome=AuditEvent.Outcome.DENIED).values_list("after__reason", flat=True)
    assert list(reasons) == ["No such page.", "No such page."]


def test_a_console_403_is_named_after_the_action_refused(mia):
    policy_services.put_inline_policy(
        identity=mia, policy_name="Read", document=allow("iam:ListAuditEvents"), actor=None
    )
    assert signed_in(mia).get(reverse("identities:audit-list"), {"format": "csv"}).status_code == 403
    assert denied() == [("ExportAuditEvents", mia.arn, "identities:audit-list")]


def test_anonymous_and_unresolved_404s_are_not_recorded(mia):
    assert Client().get("/wp-login.php").status_code == 404
    assert signed_in(mia).get("/no-such-page/").status_code == 404
    assert denied() == []


def test_allowed_pages_record_nothing(root_client):
    assert root_client.get(reverse("identities:audit-list")).status_code == 200
    assert denied() == []


def ask(client, body):
    return client.post("/api/v1/authorize", json.dumps(body), content_type="application/json")


def key_client(user) -> Client:
    key, secret = services.create_access_key(user=user, actor=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {key.key_id}:{secret}")


def test_an_api_call_with_bad_credentials_is_counted_not_recorded(db):
    client = Client(HTTP_AUTHORIZATION="Bearer AKIANOTAREALKEY00000:nope")
    assert ask(client, {}).status_code == 401
    assert denied() == []
    counted = AnonymousRefusalCount.objects.values_list("reason", "network", "count")
    assert list(counted) == [("InvalidCredentials", "127.0.0.1/32", 1)]


def test_an_api_question_about_someone_else_refused_is_recorded(people):
    mia = people["mia"]
    body = {"principal": people["oliver"].arn, "action": "s3:GetObject", "resource": "*"}
    assert ask(key_client(mia), body).status_code == 403
    assert denied() == [("SimulatePrincipalPolicy", mia.arn, "api:authorize")]


def test_allowed_decisions_are_counted_and_not_recorded_by_default(people):
    mia = people["mia"]
    policy_services.put_inline_policy(identity=mia, policy_name="Read", document=allow("s3:GetObject"), actor=None)
    client = key_client(mia)
    requests = [{"principal": mia.arn, "action": action, "resource": "*"} for action in ("s3:GetObject", "s3:Put")]
    assert ask(client, {"requests": requests}).status_code == 200
    assert ask(client, requests[0]).status_code == 200
    assert dict(AuditDecisionCount.objects.values_list("outcome", "count")) == {"Allow": 2, "ImplicitDeny": 1}
    assert not AuditEvent.objects.filter(event_name="Authorize").exists()


def test_allowed_decisions_are_recorded_in_full_when_asked(people, settings):
    settings.IAM_AUDIT_ALLOWED_DECISIONS = True
    mia = people["mia"]
    assert ask(key_client(mia), {"principal": mia.arn, "action": "s3:GetObject", "resource": "*"}).status_code == 200
    event = AuditEvent.objects.get(event_name="Authorize")
    assert (event.actor_arn, event.target_arn) == (mia.arn, mia.arn)
    assert event.after == {"action": "s3:GetObject", "resource": "*", "decision": "ImplicitDeny"}
