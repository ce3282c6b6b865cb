"""The decision API runs on its own short middleware chain (iamconsole.handlers): no session,
CSRF, messages, lockout or htmx middleware, yet the same headers, audit and freshness."""

import json

import pytest
from django.conf import settings
from django.test import Client

from iamconsole import wsgi
from iamconsole.handlers import Handler
from identities import services as identity_services
from identities.audit import AuditEvent
from policies import services
from tests import factories
from tests.documents import allow

pytestmark = pytest.mark.django_db
ACCOUNT = "123456789012"


@pytest.fixture
def caller(db):
    """A service user allowed to read storage, with one access key."""
    user = factories.UserFactory(username="service")
    services.put_inline_policy(identity=user, policy_name="Read", document=allow("storage:GetObject"), actor=None)
    key, secret = identity_services.create_access_key(user=user, actor=None)
    return user, key, f"Bearer {key.key_id}:{secret}"


def _authorize(client, authorization):
    body = json.dumps(
        {"principal": f"arn:aws:iam::{ACCOUNT}:user/service", "action": "storage:GetObject", "resource": "*"}
    )
    return client.post("/api/v1/authorize", body, content_type="application/json", HTTP_AUTHORIZATION=authorization)


def test_the_wsgi_entry_routes_the_api(settings):
    assert isinstance(wsgi.application, Handler)
    assert settings.WSGI_APPLICATION == "iamconsole.wsgi.application"


def test_the_api_chain_keeps_the_order_of_the_full_one():
    positions = [settings.MIDDLEWARE.index(name) for name in settings.API_MIDDLEWARE]
    assert positions == sorted(positions)


def test_a_warm_decision_reads_no_session_and_sets_no_cookie(caller, django_assert_num_queries, settings):
    """One query: the key with its user and the permissions generation (decision counts are
    written in a later batch, as in production)."""
    settings.IAM_DECISION_COUNT_FLUSH_SECONDS = 60
    _, _, authorization = caller
    client = Client()
    client.cookies["sessionid"] = "not-a-session"
    assert _authorize(client, authorization).json()["decision"] == "Allow"
    with django_assert_num_queries(1):
        response = _authorize(client, authorization)
    assert (response.status_code, response.json()["decision"]) == (200, "Allow")
    assert response.cookies == {}
    assert not hasattr(response.wsgi_request, "session")
    assert not hasattr(response.wsgi_request, "htmx")


def test_api_answers_carry_the_security_headers(caller):
    response = _authorize(Client(), caller[2])
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_a_deactivated_key_is_refused_on_its_next_request(caller):
    _, key, authorization = caller
    client = Client()
    assert _authorize(client, authorization).status_code == 200
    identity_services.update_access_key(key=key, status="Inactive", actor=None)
    assert _authorize(client, authorization).status_code == 401


def test_a_disabled_users_key_is_refused_on_its_next_request(caller):
    user, _, authorization = caller
    client = Client()
    assert _authorize(client, authorization).status_code == 200
    identity_services.update_user(user=user, is_active=False, actor=None)
    assert _authorize(client, authorization).status_code == 401


def test_an_unknown_api_path_is_a_json_404_and_reaches_no_console_view(mia):
    client = Client()
    client.force_login(mia)
    for path in ("/api/v1/no-such-endpoint", "/api/v1/../"):
        response = client.get(path)
        assert (response.status_code, response.json()["error"]["code"]) == (404, "NotFound")


def test_a_refused_api_call_is_still_audited(caller):
    user, _, authorization = caller
    body = json.dumps({"principal": f"arn:aws:iam::{ACCOUNT}:user/other", "action": "s3:Get", "resource": "*"})
    response = Client().post(
        "/api/v1/authorize", body, content_type="application/json", HTTP_AUTHORIZATION=authorization
    )
    assert response.status_code == 403
    event = AuditEvent.objects.get(outcome=AuditEvent.Outcome.DENIED)
    assert (event.actor_id, event.after["path"]) == (user.iam_id, "/api/v1/authorize")
