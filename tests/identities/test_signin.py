"""Console sign-in: lockout without revealing names, audit, session key and session limits."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from identities import services
from identities.audit import AuditEvent
from tests import factories
from tests.identities.signin_helpers import Clock, CountingHasher, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture(autouse=True)
def lockout_settings(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.IAM_SESSION_IDLE_TIMEOUT = 600
    settings.IAM_SESSION_ABSOLUTE_TIMEOUT = 3600


def comparable(response) -> str:
    """The page without what differs on every response (the CSRF token) or echoes the name typed."""
    text = response.content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    return re.sub(r'value="(mia|nobody)"', 'value="NAME"', text)


def test_signing_in_cycles_the_session_key_and_records_the_sign_in(client, mia):
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    response = sign_in(client, "mia")
    assert response.url == reverse("home")
    assert client.session.session_key != before
    assert client.session["_auth_user_id"] == str(mia.pk)
    event = AuditEvent.objects.get(event_name="ConsoleLogin")
    assert (event.outcome, event.actor_arn, event.after) == ("Success", mia.arn, {"mfa_used": False})


def test_a_failure_is_recorded_with_the_user_when_known_and_no_name_otherwise(client, mia):
    sign_in(client, "mia", "wrong-password")
    sign_in(client, "nobody", "wrong-password")
    known, unknown = AuditEvent.objects.filter(event_name="ConsoleLogin").order_by("id")
    assert (known.outcome, known.actor_arn, known.after) == (
        "Failure",
        mia.arn,
        {"mfa_used": False, "reason": "Failed authentication"},
    )
    assert (unknown.outcome, unknown.actor_arn) == ("Failure", "")
    assert unknown.after["user_name"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    trail = str(list(AuditEvent.objects.values_list("before", "after")))
    assert "wrong-password" not in trail and "nobody" not in trail


def test_unknown_and_known_names_get_identical_answers_before_and_during_lockout(client, mia):
    answers = {}
    for name in ("mia", "nobody"):
        answers[name] = [sign_in(Client(), name, "wrong-password") for _ in range(3)]
    for known, unknown in zip(answers["mia"], answers["nobody"], strict=True):
        assert known.status_code == unknown.status_code
        assert comparable(known) == comparable(unknown)
    assert [answer.status_code for answer in answers["mia"]] == [200, 200, 429]
    locked_known, locked_unknown = sign_in(client, "mia"), sign_in(client, "nobody")
    assert locked_known.status_code == locked_unknown.status_code == 429
    assert comparable(locked_known) == comparable(locked_unknown)
    assert b"Too many failed sign-in attempts" in locked_known.content


def test_a_locked_name_stays_locked_with_the_right_password_until_the_cool_off_ends(client, clock, settings, mia):
    for _ in range(3):
        sign_in(client, "mia", "wrong-password")
    clock.advance(seconds=settings.AXES_COOLOFF_TIME.total_seconds() - 1)
    assert sign_in(client, "mia").status_code == 429
    assert "_auth_user_id" not in client.session
    clock.advance(seconds=settings.AXES_COOLOFF_TIME.total_seconds() + 1)
    response = sign_in(client, "mia")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(mia.pk)


def test_failures_count_without_regard_to_the_case_of_the_name(client, mia):
    for name in ("mia", "MIA", "Mia"):
        sign_in(client, name, "wrong-password")
    assert sign_in(client, "mIa").status_code == 429


def test_a_lockout_is_per_name_and_address(mia, people):
    for _ in range(3):
        sign_in(Client(), "mia", "wrong-password")
    assert sign_in(Client(), "oliver").status_code == 302
    assert sign_in(Client(REMOTE_ADDR="192.0.2.7"), "mia").status_code == 302


def test_changing_the_password_signs_out_the_users_other_sessions(client, mia):
    other = Client()
    sign_in(other, "mia")
    sign_in(client, "mia")
    assert other.get(reverse("home")).status_code == 200
    response = client.post(
        reverse("identities:password-change"),
        {
            "current_password": factories.TEST_PASSWORD,
            "new_password": "a-new-password-1",
            "new_password_again": "a-new-password-1",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert other.get(reverse("home")).url == reverse("login") + "?next=/"


def test_an_administrator_setting_a_password_signs_the_user_out(client, mia, root):
    sign_in(client, "mia")
    services.set_password(user=mia, password="set-by-root-1", actor=root)
    assert client.get(reverse("home")).status_code == 302


def test_a_session_ends_after_the_idle_timeout(client, clock, mia):
    sign_in(client, "mia")
    clock.advance(seconds=599)
    assert client.get(reverse("home")).status_code == 200
    clock.advance(seconds=599)
    assert client.get(reverse("home")).status_code == 200
    clock.advance(seconds=601)
    response = client.get(reverse("home"))
    assert response.url == reverse("login") + "?next=/"
    assert "_auth_user_id" not in client.session


def test_a_busy_session_still_ends_at_the_absolute_timeout(client, clock, mia):
    sign_in(client, "mia")
    for _ in range(6):
        clock.advance(seconds=590)
        assert client.get(reverse("home")).status_code == 200
    clock.advance(seconds=590)  # 4130 s after sign-in
    assert client.get(reverse("home")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_disabled_user_gets_the_same_answer_as_a_wrong_password(client, mia):
    wrong = sign_in(Client(), "mia", "wrong-password")
    services.update_user(user=mia, is_active=False, actor=None)
    disabled = sign_in(client, "mia")
    assert disabled.status_code == wrong.status_code == 200
    assert comparable(disabled) == comparable(wrong)


@pytest.fixture
def hashes(settings):
    """How many passwords were hashed since the test began (or last reset)."""
    settings.PASSWORD_HASHERS = ["tests.identities.signin_helpers.CountingHasher"]
    CountingHasher.count = 0
    return CountingHasher


def test_every_name_costs_the_same_hashing_enabled_disabled_unknown_or_without_password(hashes, people):
    services.update_user(user=people["oliver"], is_active=False, actor=None)
    services.create_user(username="portal", actor=None)  # programmatic access only: no console password
    attempts = {
        "enabled, wrong password": ("mia", "wrong-password"),
        "disabled, right password": ("oliver", factories.TEST_PASSWORD),
        "disabled, wrong password": ("oliver", "wrong-password"),
        "no console password": ("portal", "wrong-password"),
        "unknown name": ("nobody", "wrong-password"),
    }
    counts = {}
    for case, (name, password) in attempts.items():
        hashes.count = 0
        assert sign_in(Client(), name, password).status_code == 200
        counts[case] = hashes.count
    assert counts == dict.fromkeys(attempts, 1)


def test_an_outside_next_address_is_not_followed(client, mia):
    response = client.post(
        reverse("login") + "?next=https://evil.example/",
        {"username": "mia", "password": factories.TEST_PASSWORD, "next": "https://evil.example/"},
    )
    assert response.url == reverse("home")
