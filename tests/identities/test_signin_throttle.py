"""Console sign-in throttles beside django-axes's lockout: per address across names
(password spraying) and per name across addresses (slowed, never locked for long)."""

import re

import pytest
from django.test import Client

from identities.audit import AuditEvent
from tests import factories
from tests.identities.signin_helpers import Clock, CountingHasher, sign_in
from tests.redis_server import REDIS_SERVER, free_port, private_redis

pytestmark = pytest.mark.django_db

ADDRESS_LIMIT = 6
NAME_LIMIT = 3


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture(autouse=True)
def throttle_settings(settings):
    settings.IAM_LOGIN_ADDRESS_FAILURE_LIMIT = ADDRESS_LIMIT
    settings.IAM_LOGIN_ADDRESS_MAX_DELAY = 8
    settings.IAM_LOGIN_NAME_FAILURE_LIMIT = NAME_LIMIT
    settings.IAM_LOGIN_NAME_MAX_DELAY = 60


@pytest.fixture
def hashes(settings):
    """How many passwords were hashed since the test began (or last reset)."""
    settings.PASSWORD_HASHERS = ["tests.identities.signin_helpers.CountingHasher"]
    CountingHasher.count = 0
    return CountingHasher


def spray(count: int, address: str = "127.0.0.1", **extra) -> None:
    """One wrong password for each of `count` different names, from one address."""
    for index in range(count):
        assert sign_in(Client(REMOTE_ADDR=address), f"guess{index}", "wrong-password", **extra).status_code == 200


def from_many_addresses(name: str, count: int) -> None:
    """`count` wrong passwords for one name, each from its own address."""
    for index in range(count):
        assert sign_in(Client(REMOTE_ADDR=f"198.51.100.{index + 1}"), name, "wrong-password").status_code == 200


def comparable(response) -> str:
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return re.sub(r'value="(mia|nobody)"', 'value="NAME"', text)


def last_console_login() -> AuditEvent:
    return AuditEvent.objects.filter(event_name="ConsoleLogin").latest("id")


def test_spraying_names_from_one_address_is_refused_past_the_address_limit_without_checking_passwords(
    client, clock, hashes, mia
):
    spray(ADDRESS_LIMIT)
    hashes.count = 0
    response = sign_in(client, "mia")
    assert (response.status_code, response["Retry-After"], hashes.count) == (429, "1", 0)
    assert "_auth_user_id" not in client.session
    assert b"Too many failed sign-in attempts" in response.content
    assert b"from this address is paused" in response.content
    assert b"Wait 1 second, then try again." in response.content
    event = last_console_login()
    assert (event.outcome, event.actor_arn, event.after) == (
        "Failure",
        mia.arn,
        {"mfa_used": False, "reason": "Throttled: too many failures from this address"},
    )


def test_each_further_failure_from_the_address_doubles_the_wait_up_to_its_maximum(clock, hashes):
    spray(ADDRESS_LIMIT)
    waits = []
    for index in range(6):
        refused = sign_in(Client(), f"another{index}", "wrong-password")
        waits.append(int(refused["Retry-After"]))
        clock.advance(seconds=waits[-1] - 1)
        assert sign_in(Client(), f"another{index}", "wrong-password").status_code == 429
        clock.advance(seconds=1)
        hashes.count = 0
        assert sign_in(Client(), f"another{index}", "wrong-password").status_code == 200
        assert hashes.count == 1
    assert waits == [1, 2, 4, 8, 8, 8]


def test_other_addresses_are_not_slowed_by_one_address_spraying(client, mia):
    spray(ADDRESS_LIMIT)
    assert sign_in(Client(REMOTE_ADDR="192.0.2.7"), "mia").status_code == 302


def test_a_successful_sign_in_does_not_reset_the_address_count_for_other_names(clock, mia):
    spray(ADDRESS_LIMIT)
    clock.advance(seconds=1)
    assert sign_in(Client(), "mia").status_code == 302
    assert sign_in(Client(), "oliver-guess", "wrong-password").status_code == 200
    assert sign_in(Client(), "another-guess", "wrong-password")["Retry-After"] == "2"


def test_failures_older_than_the_cool_off_window_no_longer_count(clock, settings, mia):
    spray(ADDRESS_LIMIT)
    clock.advance(seconds=settings.AXES_COOLOFF_TIME.total_seconds())
    spray(ADDRESS_LIMIT - 1)
    assert sign_in(Client(), "mia").status_code == 302


def test_behind_a_trusted_proxy_the_forwarded_client_address_is_counted(settings, mia):
    settings.IAM_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    spray(ADDRESS_LIMIT, address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.5")
    sprayer = sign_in(Client(REMOTE_ADDR=proxy), "mia", HTTP_X_FORWARDED_FOR="203.0.113.5")
    neighbour = sign_in(Client(REMOTE_ADDR=proxy), "mia", HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert (sprayer.status_code, neighbour.status_code) == (429, 302)


def test_many_addresses_against_one_name_are_slowed_and_the_right_password_works_after_the_wait(
    client, clock, hashes, mia
):
    from_many_addresses("mia", NAME_LIMIT)
    hashes.count = 0
    refused = sign_in(Client(REMOTE_ADDR="192.0.2.7"), "mia")
    assert (refused.status_code, refused["Retry-After"], hashes.count) == (429, "1", 0)
    assert b"with this user name is paused" in refused.content
    assert last_console_login().after["reason"] == "Throttled: too many failures for this user name"
    clock.advance(seconds=1)
    response = sign_in(client, "mia", REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(mia.pk)


def test_the_wait_for_a_name_stops_growing_at_its_short_maximum(clock, settings, mia):
    from_many_addresses("mia", NAME_LIMIT)
    waits = []
    for index in range(9):
        address = f"192.0.2.{index + 1}"
        waits.append(int(sign_in(Client(REMOTE_ADDR=address), "mia", "wrong-password")["Retry-After"]))
        clock.advance(seconds=waits[-1])
        assert sign_in(Client(REMOTE_ADDR=address), "mia", "wrong-password").status_code == 200
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    clock.advance(seconds=settings.IAM_LOGIN_NAME_MAX_DELAY)
    assert sign_in(Client(REMOTE_ADDR="192.0.2.200"), "mia").status_code == 302


def test_a_name_is_counted_without_regard_to_case_and_alike_whether_or_not_it_exists(mia):
    answers = {}
    for name, typed in (("mia", ["mia", "MIA", "Mia"]), ("nobody", ["nobody", "NOBODY", "NoBody"])):
        for index, variant in enumerate(typed):
            sign_in(Client(REMOTE_ADDR=f"198.51.100.{index + 1}"), variant, "wrong-password")
        answers[name] = sign_in(Client(REMOTE_ADDR="192.0.2.7"), name)
    known, unknown = answers["mia"], answers["nobody"]
    assert (known.status_code, known["Retry-After"]) == (unknown.status_code, unknown["Retry-After"]) == (429, "1")
    assert comparable(known) == comparable(unknown)
    refusal = last_console_login()
    assert (refusal.actor_arn, refusal.after["user_name"]) == ("", "HIDDEN_DUE_TO_SECURITY_REASONS")


def test_sign_in_works_with_the_cache_down(client, settings, mia):
    settings.CACHES = {
        "default": {
            "BACKEND": "iamconsole.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        }
    }
    spray(ADDRESS_LIMIT + 1)
    assert sign_in(client, "mia").status_code == 302
    assert client.session["_auth_user_id"] == str(mia.pk)


@pytest.mark.skipif(REDIS_SERVER is None, reason="needs redis-server")
def test_counts_kept_in_redis_are_shared_and_refuse_alike(settings, mia):
    with private_redis() as (url, _):
        settings.CACHES = {"default": {"BACKEND": "iamconsole.cache.ResilientRedisCache", "LOCATION": url}}
        spray(ADDRESS_LIMIT)
        response = sign_in(Client(), "mia", password=factories.TEST_PASSWORD)
        assert (response.status_code, response["Retry-After"]) == (429, "1")
