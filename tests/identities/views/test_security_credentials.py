"""A user's security credentials page (identities/views/security.py): password, MFA, access keys,
and the console and role sessions, each ended from there by iam:RevokeSession on its user."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from identities import services
from identities.audit import AuditEvent
from identities.credentials import ConsoleSession, RoleSession
from identities.models import Role
from tests.clients import client_for
from tests.identities.views.helpers import user

pytestmark = pytest.mark.django_db


def page_url(name: str) -> str:
    return reverse("identities:security-credentials", args=[name])


def console_revoke_url(name: str, session: ConsoleSession) -> str:
    return reverse("identities:console-session-revoke", args=[name, session.pk])


def role_revoke_url(name: str, session: RoleSession) -> str:
    return reverse("identities:role-session-revoke", args=[name, session.pk])


def console_session(name: str, **fields) -> ConsoleSession:
    fields = {"source_ip": "192.0.2.7", "user_agent": "Firefox on a laptop"} | fields
    return services.start_console_session(user=user(name), mfa_used=False, **fields)


def role_session(name: str, role_name: str = "ReleaseManager") -> tuple[RoleSession, str]:
    session, secret, token = services.start_role_session(
        role=Role.objects.get(role_name=role_name),
        user=user(name),
        session_name=f"{name}-ship",
        duration=900,
        source=RoleSession.Source.API,
        actor=None,
    )
    return session, f"Bearer {session.key_id}:{secret}:{token}"


def sessions_state() -> tuple:
    return (
        sorted(ConsoleSession.objects.values_list("pk", "ended_at")),
        sorted(RoleSession.objects.values_list("pk", "revoked_at")),
        AuditEvent.objects.filter(outcome=AuditEvent.Outcome.SUCCESS).count(),
    )


# The page


def test_a_service_user_sees_her_password_mfa_keys_and_sessions(org):
    key, _ = services.create_access_key(user=user("mia"), actor=None)
    console_session("mia", user_agent="Chromium on a phone")
    role_session("mia")
    response = client_for("mia").get(page_url("mia"))
    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["shows"] == {"password": True, "mfa": True, "keys": True, "sessions": True}
    assert "Your security credentials" in body and key.key_id in body
    assert reverse("identities:access-keys", args=["mia"]) in body
    assert reverse("identities:password-change") in body and reverse("identities:mfa-enrol") in body
    assert "Chromium on a phone" in body and "192.0.2.7" in body
    assert "ReleaseManager" in body and "mia-ship" in body
    assert body.count("End session") == 2


def test_ended_expired_and_idle_sessions_are_not_listed(org, settings):
    ended = console_session("mia")
    services.end_console_session(session=ended, actor=None)
    idle = console_session("mia")
    ConsoleSession.objects.filter(pk=idle.pk).update(
        last_seen_at=idle.last_seen_at.replace(year=idle.last_seen_at.year - 1)
    )
    live = console_session("mia")
    revoked, _ = role_session("mia")
    services.end_role_session(session=revoked, actor=None)
    credentials = client_for("mia").get(page_url("mia")).context["credentials"]
    assert [session.pk for session in credentials.console_sessions] == [live.pk]
    assert credentials.role_sessions == []


def test_another_users_page_is_not_found_to_a_service_user(org):
    session = console_session("oliver")
    before = sessions_state()
    client = client_for("mia")
    assert client.get(page_url("oliver")).status_code == 404
    assert client.post(console_revoke_url("oliver", session)).status_code == 404
    assert sessions_state() == before


def test_a_reader_sees_another_users_sessions_but_may_not_end_them(org):
    session = console_session("oliver")
    before = sessions_state()
    client = client_for("charles")  # ReadOnlyAccess through AuditTeam
    response = client.get(page_url("oliver"))
    assert response.status_code == 200 and "End session" not in response.content.decode()
    assert client.post(console_revoke_url("oliver", session)).status_code == 403
    assert sessions_state() == before


def test_the_administrator_ends_another_users_console_session_on_the_record(org):
    session = console_session("oliver")
    response = client_for("iam-admin").post(console_revoke_url("oliver", session))
    assert response.status_code == 302 and response.url == page_url("oliver")
    assert ConsoleSession.objects.get(pk=session.pk).ended_at is not None
    event = AuditEvent.objects.get(event_name="EndConsoleSession")
    assert (event.actor_arn, event.target_arn) == (user("iam-admin").arn, user("oliver").arn)
    assert event.before["console_session"] == session.pk and event.after == {"reason": "revoked"}


def test_roots_sessions_are_read_but_never_ended_by_anyone_else(org):
    session = console_session("root")
    before = sessions_state()
    assert client_for("iam-admin").get(page_url("root")).status_code == 200
    assert client_for("iam-admin").post(console_revoke_url("root", session)).status_code == 403
    assert client_for("mia").get(page_url("root")).status_code == 404
    assert sessions_state() == before
    assert client_for("root").post(console_revoke_url("root", session)).status_code == 302
    assert ConsoleSession.objects.get(pk=session.pk).ended_at is not None


def test_wrong_methods_are_refused(org):
    session = console_session("mia")
    client = client_for("mia")
    assert client.post(page_url("mia")).status_code == 405
    assert client.get(console_revoke_url("mia", session)).status_code == 405
    assert client.get(role_revoke_url("mia", role_session("mia")[0])).status_code == 405
    assert ConsoleSession.objects.get(pk=session.pk).ended_at is None


def test_a_session_of_someone_else_under_ones_own_name_is_not_found(org):
    olivers = console_session("oliver")
    before = sessions_state()
    assert client_for("mia").post(console_revoke_url("mia", olivers)).status_code == 404
    assert client_for("mia").get(page_url("nobody")).status_code == 404
    assert sessions_state() == before


def test_ending_an_ended_session_says_so_and_changes_nothing(org):
    session = console_session("mia")
    revoked, _ = role_session("mia")
    client = client_for("mia")
    client.post(console_revoke_url("mia", session))
    client.post(role_revoke_url("mia", revoked))
    before = sessions_state()
    again = client.post(console_revoke_url("mia", session), follow=True).content.decode()
    assert "This console session has already ended." in again
    again = client.post(role_revoke_url("mia", revoked), follow=True).content.decode()
    assert "has already ended" in again
    assert sessions_state() == before


def test_ending_a_role_session_makes_the_api_refuse_it(org):
    session, authorization = role_session("mia")
    api = Client(HTTP_AUTHORIZATION=authorization)
    assert api.get("/api/v1/caller-identity").status_code == 200
    response = client_for("mia").post(role_revoke_url("mia", session), follow=True)
    assert "was ended" in response.content.decode()
    assert api.get("/api/v1/caller-identity").status_code == 401
    event = AuditEvent.objects.get(event_name="EndRoleSession")
    assert event.actor_arn == user("mia").arn and event.before == {"session": session.arn}


def _page_queries(client, sessions: int) -> int:
    for _ in range(sessions):
        console_session("mia")
        role_session("mia")
    with CaptureQueriesContext(connection) as captured:
        assert client.get(page_url("mia")).status_code == 200
    return len(captured)


def test_the_page_costs_the_same_queries_at_2_and_40_sessions(org):
    services.create_access_key(user=user("mia"), actor=None)
    client = client_for("iam-admin")
    client.get(page_url("mia"))
    small = _page_queries(client, 2)
    large = _page_queries(client, 38)
    assert len(client.get(page_url("mia")).context["credentials"].console_sessions) == 40
    assert small == large


# Where it is reached from


def test_the_dashboard_and_my_account_link_to_it(org):
    client = client_for("mia")
    for page in (reverse("home"), reverse("identities:account")):
        assert page_url("mia") in client.get(page).content.decode(), page


def test_the_user_page_links_to_it_for_those_who_may_open_it(org):
    detail = reverse("identities:user-detail", args=[user("oliver").pk])
    assert page_url("oliver") in client_for("iam-admin").get(detail).content.decode()
