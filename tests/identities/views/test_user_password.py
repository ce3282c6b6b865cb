"""The console page of another user's password (identities/views/passwords.py): set or reset,
typed or generated (shown once), the reset requirement, and the sessions a reset ends."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from identities import rules, services
from identities.audit import AuditEvent
from identities.views.passwords import NEW_PASSWORD_SESSION_KEY
from tests import factories
from tests.clients import client_for
from tests.identities.signin_helpers import sign_in
from tests.identities.views.helpers import url, user

pytestmark = pytest.mark.django_db

NEW = "a-fresh-start-2026"


def console_session(name: str) -> Client:
    """A browser signed in with the user's password, as a person signs in (not force_login)."""
    browser = Client()
    assert sign_in(browser, name, factories.TEST_PASSWORD).url == reverse("home")
    assert browser.get(reverse("home")).status_code == 200
    return browser


def password_state(name: str) -> tuple:
    person = user(name)
    changes = AuditEvent.objects.filter(event_name__endswith="LoginProfile", outcome=AuditEvent.Outcome.SUCCESS)
    events = changes.count()
    return person.password, person.password_reset_required, events


def test_the_administrator_resets_a_password_and_the_user_must_choose_another(org):
    data = {"password_choice": "typed", "console_password": NEW, "password_reset_required": "on"}
    response = client_for("iam-admin").post(url("user-password", org.mia.pk), data)
    mia = user("mia")
    assert response.status_code == 302 and response["Location"] == url("user-detail", mia.pk)
    assert mia.check_password(NEW) and mia.password_reset_required is True
    event = AuditEvent.objects.get(event_name="UpdateLoginProfile")
    assert event.after == {"console_access": True, "reset_required": True}
    assert NEW not in str(event.before) + str(event.after)


def test_a_reset_ends_the_console_sessions_the_user_has(org):
    browser = console_session("mia")
    data = {"password_choice": "typed", "console_password": NEW}
    client_for("iam-admin").post(url("user-password", org.mia.pk), data)
    assert browser.get(reverse("home")).url == reverse("login") + "?next=/"
    assert "_auth_user_id" not in browser.session


def test_a_reset_keeps_the_sessions_of_everyone_else(org):
    browser = console_session("oliver")
    client_for("iam-admin").post(
        url("user-password", org.mia.pk), {"password_choice": "typed", "console_password": NEW}
    )
    assert browser.get(reverse("home")).status_code == 200


def test_a_generated_password_is_shown_once_by_the_get_after_the_post(org):
    client = client_for("iam-admin")
    response = client.post(url("user-password", org.mia.pk), {"password_choice": "generated"})
    assert response.status_code == 303 and response["Location"] == url("user-password", org.mia.pk)
    held = client.session[NEW_PASSWORD_SESSION_KEY]["password"]
    assert user("mia").check_password(held)
    shown = client.get(url("user-password", org.mia.pk))
    assert escape(held) in shown.content.decode() and "no-store" in shown["Cache-Control"]
    assert NEW_PASSWORD_SESSION_KEY not in client.session
    again = client.get(url("user-password", org.mia.pk))
    assert escape(held) not in again.content.decode()
    assert not any(held in str(event.after) for event in AuditEvent.objects.all())


def test_a_user_without_a_password_is_given_one_by_create_login_profile(org):
    nopass = services.create_user(username="robot", actor=None)
    assert [check.action for check in rules.required(services.set_password, user=nopass)] == ["iam:CreateLoginProfile"]
    client_for("iam-admin").post(url("user-password", nopass.pk), {"password_choice": "typed", "console_password": NEW})
    assert user("robot").check_password(NEW)
    assert AuditEvent.objects.filter(event_name="CreateLoginProfile", target_arn=nopass.arn).count() == 1


def test_a_reader_gets_403_and_an_outsider_404_and_nothing_changes(org):
    before = password_state("mia")
    data = {"password_choice": "typed", "console_password": NEW}
    reader = client_for("charles")  # reads everything (AuditTeam), changes nothing
    assert reader.get(url("user-password", org.mia.pk)).status_code == 403
    refused = reader.post(url("user-password", org.mia.pk), data)
    assert refused.status_code == 403 and "iam:UpdateLoginProfile" in refused.content.decode()
    assert client_for("henry").post(url("user-password", org.mia.pk), data).status_code == 404
    assert password_state("mia") == before


def test_root_is_refused_even_to_root(org):
    before = password_state("root")
    data = {"password_choice": "typed", "console_password": NEW}
    for name in ("iam-admin", "root"):
        assert client_for(name).post(url("user-password", org.root.pk), data).status_code == 403
        assert client_for(name).get(url("user-password", org.root.pk)).status_code == 403
    assert password_state("root") == before


def test_bad_input_is_explained_and_changes_nothing(org):
    before = password_state("mia")
    client = client_for("iam-admin")
    empty = client.post(url("user-password", org.mia.pk), {"password_choice": "typed", "console_password": ""})
    assert empty.status_code == 200 and "Type the password" in empty.content.decode()
    short = client.post(url("user-password", org.mia.pk), {"password_choice": "typed", "console_password": "abc"})
    assert short.status_code == 200 and "at least" in short.content.decode()
    nonsense = client.post(url("user-password", org.mia.pk), {"password_choice": "whatever"})
    assert nonsense.status_code == 200
    assert password_state("mia") == before


def test_other_methods_are_refused(org):
    assert client_for("iam-admin").put(url("user-password", org.mia.pk)).status_code == 405


def test_the_user_page_links_the_password_page_to_those_who_may_set_it(org):
    link = url("user-password", org.mia.pk)
    assert link in client_for("iam-admin").get(url("user-detail", org.mia.pk)).content.decode()
    assert link not in client_for("charles").get(url("user-detail", org.mia.pk)).content.decode()
    root_page = client_for("iam-admin").get(url("user-detail", org.root.pk)).content.decode()
    assert url("user-password", org.root.pk) not in root_page


def _page_queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_the_password_page_costs_the_same_queries_as_users_are_added(org):
    client = client_for("iam-admin")
    client.get(url("user-password", org.mia.pk))
    counts = []
    for batch in range(2):
        for number in range(10 * batch, 10 * batch + 10):
            services.create_user(username=f"extra{number}", password=NEW, actor=None)
        counts.append(_page_queries(client, url("user-password", org.mia.pk)))
    assert counts[0] == counts[1]
