"""The API is rate-limited per client network before authentication and per access key after
it, answering 429 with Retry-After and the API's error body; a failing cache never refuses."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from identities import audit, machine
from identities import services as identity_services
from identities.audit import AnonymousRefusalCount, AuditEvent
from tests import factories
from tests.ratelimit_helpers import FakeClock
from tests.redis_server import free_port

pytestmark = pytest.mark.django_db
IDENTITY = "/api/v1/caller-identity"


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(machine.limits, "clock", fake)
    machine.limits.clear()
    return fake


@pytest.fixture
def address_limit(settings, clock):
    """Two requests from one network, then one a second."""
    settings.IAM_API_RATE_PER_ADDRESS, settings.IAM_API_BURST_PER_ADDRESS = 1, 2
    return clock


@pytest.fixture
def key_limit(settings, clock):
    """Three requests with one key, then one a second."""
    settings.IAM_API_RATE_PER_KEY, settings.IAM_API_BURST_PER_KEY = 1, 3
    return clock


def bearer(user) -> str:
    key, secret = identity_services.create_access_key(user=user, actor=None)
    return f"Bearer {key.key_id}:{secret}"


def statuses(client: Client, count: int, **extra) -> list[int]:
    return [client.get(IDENTITY, **extra).status_code for _ in range(count)]


def test_an_address_past_its_limit_is_refused_with_retry_after_and_the_api_error(address_limit):
    client = Client(REMOTE_ADDR="198.51.100.9")
    assert statuses(client, 2) == [401, 401]
    refused = client.get(IDENTITY)
    assert (refused.status_code, refused["Retry-After"]) == (429, "1")
    assert refused.json()["error"]["code"] == "RateLimited"


def test_another_address_is_unaffected(address_limit):
    assert statuses(Client(REMOTE_ADDR="198.51.100.9"), 3) == [401, 401, 429]
    assert statuses(Client(REMOTE_ADDR="198.51.100.10"), 2) == [401, 401]


def test_behind_a_proxy_each_forwarded_client_has_its_own_limit(address_limit, settings):
    settings.IAM_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.0.0.1")
    assert statuses(proxy, 3, HTTP_X_FORWARDED_FOR="198.51.100.9") == [401, 401, 429]
    assert statuses(proxy, 2, HTTP_X_FORWARDED_FOR="198.51.100.10") == [401, 401]


def test_an_address_is_served_again_once_time_has_passed(address_limit):
    client = Client(REMOTE_ADDR="198.51.100.9")
    assert statuses(client, 3) == [401, 401, 429]
    address_limit.advance(1)
    assert statuses(client, 2) == [401, 429]


def test_a_flood_of_bad_credentials_is_stopped_before_any_query(address_limit, settings):
    settings.IAM_DECISION_COUNT_FLUSH_SECONDS = 3600
    audit.batched_counts.flush()
    client = Client(REMOTE_ADDR="198.51.100.9", HTTP_AUTHORIZATION="Bearer AKIAAAAAAAAAAAAAAAAA:" + "x" * 40)
    statuses(client, 2)
    with CaptureQueriesContext(connection) as captured:
        assert statuses(client, 50) == [429] * 50
    assert len(captured) == 0
    audit.batched_counts.flush()
    counted = AnonymousRefusalCount.objects.filter(day=timezone.now().date()).order_by("reason")
    assert list(counted.values_list("reason", "network", "count")) == [
        ("InvalidCredentials", "198.51.100.9/32", 2),
        ("RateLimited", "198.51.100.9/32", 50),
    ]
    assert AuditEvent.objects.filter(outcome="Denied").count() == 0


def test_a_key_past_its_limit_is_refused_and_another_key_is_not(key_limit, people):
    mia, oliver = people["mia"], people["oliver"]
    client = Client(HTTP_AUTHORIZATION=bearer(mia))
    assert statuses(client, 3) == [200, 200, 200]
    refused = client.get(IDENTITY)
    assert (refused.status_code, refused["Retry-After"], refused.json()["error"]["code"]) == (429, "1", "RateLimited")
    assert statuses(Client(HTTP_AUTHORIZATION=bearer(oliver)), 3) == [200, 200, 200]


def test_a_key_is_served_again_once_time_has_passed(key_limit, people):
    client = Client(HTTP_AUTHORIZATION=bearer(people["mia"]))
    assert statuses(client, 4) == [200, 200, 200, 429]
    key_limit.advance(2)
    assert statuses(client, 3) == [200, 200, 429]


def test_a_keys_limit_follows_the_key_not_the_address(key_limit, people):
    client = Client(HTTP_AUTHORIZATION=bearer(people["mia"]))
    assert statuses(client, 2, REMOTE_ADDR="198.51.100.1") == [200, 200]
    assert statuses(client, 2, REMOTE_ADDR="198.51.100.2") == [200, 429]


def test_a_rate_limited_known_caller_writes_no_audit_event(key_limit, people):
    client = Client(HTTP_AUTHORIZATION=bearer(people["mia"]))
    assert statuses(client, 10)[-1] == 429
    assert AuditEvent.objects.filter(outcome="Denied").count() == 0
    assert AnonymousRefusalCount.objects.count() == 0


def test_a_rate_of_zero_turns_the_limit_off(settings, clock):
    settings.IAM_API_RATE_PER_ADDRESS, settings.IAM_API_BURST_PER_ADDRESS = 0, 1
    assert statuses(Client(), 20) == [401] * 20


def test_with_the_cache_on_a_closed_port_requests_are_served_and_limited(key_limit, people, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "iamconsole.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        }
    }
    client = Client(HTTP_AUTHORIZATION=bearer(factories.UserFactory(username="mia")))
    assert statuses(client, 4) == [200, 200, 200, 429]
    key_limit.advance(1.5)  # past a reconciliation, which fails
    assert statuses(client, 2) == [200, 429]
