"""Console sessions as rows (identities.credentials.ConsoleSession): made at sign-in, noted
while in use, ended by sign-out, a password change or revocation, and a revoked browser is
signed out at its next request. A session without a row (force_login) is untracked, not revoked."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from identities import services, signin
from identities.audit import AuditEvent
from identities.credentials import ConsoleSession
from tests.clients import signed_in
from tests.factories import TEST_PASSWORD
from tests.identities.signin_helpers import Clock, sign_in

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-fresh-pass-phrase-93"


def browser(username: str, agent: str = "Firefox") -> Client:
    client = Client(HTTP_USER_AGENT=agent)
    assert sign_in(client, username).status_code == 302
    return client


def tracked(client: Client) -> ConsoleSession:
    return ConsoleSession.objects.get(pk=client.session[signin.CONSOLE_SESSION])


def test_signing_in_makes_the_row_with_its_sign_in_record(org):
    client = browser("mia", agent="Chromium 140")
    session = tracked(client)
    assert (session.user.username, session.user_agent, session.source_ip) == ("mia", "Chromium 140", "127.0.0.1")
    assert (session.ended_at, session.mfa_used) == (None, False)
    assert AuditEvent.objects.filter(event_name="ConsoleLogin", actor_arn=session.user.arn).count() == 1


def test_a_revoked_browser_is_signed_out_at_its_next_request(org):
    laptop, phone = browser("mia", "laptop"), browser("mia", "phone")
    assert laptop.get(reverse("home")).status_code == 200
    url = reverse("identities:console-session-revoke", args=["mia", tracked(laptop).pk])
    assert phone.post(url).status_code == 302
    response = laptop.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert laptop.get(reverse("home")).url.startswith(reverse("login"))  # signed out for good
    assert phone.get(reverse("home")).status_code == 200


def test_the_browser_sees_its_own_session_marked_and_cannot_end_it_from_the_page(org):
    client = browser("mia")
    body = client.get(reverse("identities:security-credentials", args=["mia"])).content.decode()
    assert "this session" in body and "End session" not in body


def test_an_untracked_session_is_not_signed_out(org):
    client = signed_in(org.mia)
    assert signin.CONSOLE_SESSION not in client.session
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("identities:account")).status_code == 200


def test_a_signed_in_request_asks_one_query_of_its_session_row(org):
    client = browser("mia")
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("identities:account")).status_code == 200
    asked = [query["sql"] for query in captured if "identities_consolesession" in query["sql"]]
    assert len(asked) == 1 and '"identities_consolesession"."id" = ' in asked[0]


def test_use_is_noted_at_most_once_a_minute(org, monkeypatch):
    clock = Clock(monkeypatch)
    client = browser("mia")
    started = tracked(client).last_seen_at
    clock.advance(seconds=30)
    client.get(reverse("home"))
    assert tracked(client).last_seen_at == started
    clock.advance(seconds=40)
    client.get(reverse("home"))
    assert tracked(client).last_seen_at == clock.now


def test_signing_out_ends_the_row(org):
    client = browser("mia")
    session = tracked(client)
    assert client.post(reverse("logout")).status_code == 302
    session.refresh_from_db()
    assert session.ended_at is not None
    assert AuditEvent.objects.get(event_name="EndConsoleSession").after == {"reason": "signed out"}


def test_changing_ones_password_ends_the_other_sessions_and_keeps_this_one(org):
    here, elsewhere = browser("mia", "here"), browser("mia", "elsewhere")
    data = {"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    assert here.post(reverse("identities:password-change"), data).status_code == 302
    assert tracked(here).ended_at is None
    assert ConsoleSession.objects.get(user_agent="elsewhere").ended_at is not None
    assert here.get(reverse("home")).status_code == 200
    assert elsewhere.get(reverse("home")).url.startswith(reverse("login"))


# The services


def test_ending_a_session_twice_is_refused_and_recorded_once(org):
    session = services.start_console_session(user=org.mia, mfa_used=False)
    services.end_console_session(session=session, actor=org.mia)
    with pytest.raises(ValidationError, match="already ended"):
        services.end_console_session(session=session, actor=org.mia)
    assert AuditEvent.objects.filter(event_name="EndConsoleSession").count() == 1


def test_only_root_ends_roots_sessions(org):
    session = services.start_console_session(user=org.root, mfa_used=False)
    with pytest.raises(PermissionDenied):
        services.end_console_session(session=session, actor=org.iam_admin)
    with pytest.raises(PermissionDenied):
        services.end_console_sessions(user=org.root, actor=org.iam_admin)
    assert ConsoleSession.objects.get(pk=session.pk).ended_at is None


def test_ending_all_but_one(org):
    kept, other = (services.start_console_session(user=org.mia, mfa_used=False) for _ in range(2))
    assert services.end_console_sessions(user=org.mia, actor=org.mia, keep=kept.pk) == 1
    assert list(ConsoleSession.objects.filter(ended_at__isnull=True).values_list("pk", flat=True)) == [kept.pk]
    assert AuditEvent.objects.get(event_name="EndConsoleSessions").after == {"ended": 1}
    assert ConsoleSession.objects.get(pk=other.pk).ended_at is not None


def test_a_reset_by_an_administrator_or_disabling_the_user_ends_its_session_rows(org):
    """Django signs those browsers out (the session auth hash, the session generation); the rows
    must end with them, or the credentials page keeps listing sessions that are gone."""
    laptop, phone = browser("mia", "laptop"), browser("mia", "phone")
    services.set_password(user=org.mia, password=NEW_PASSWORD, actor=org.iam_admin)
    assert [tracked(client).ended_at is not None for client in (laptop, phone)] == [True, True]
    ended = AuditEvent.objects.get(event_name="EndConsoleSessions", target_arn=org.mia.arn)
    assert (ended.actor_arn, ended.after) == (org.iam_admin.arn, {"ended": 2})
    tablet = Client(HTTP_USER_AGENT="tablet")
    assert sign_in(tablet, "mia", NEW_PASSWORD).status_code == 302
    services.update_user(user=org.mia, is_active=False, actor=org.iam_admin)
    assert tracked(tablet).ended_at is not None
