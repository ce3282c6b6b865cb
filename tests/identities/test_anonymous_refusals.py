"""Refusals without an authenticated caller are counted per day, reason and network, never
written one by one into the append-only trail; a failed secret for a real key counts against it."""

import json
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from identities import audit, services
from identities.audit import AnonymousRefusalCount, AuditEvent
from identities.credentials import AccessKey

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 1)


def ask(client: Client, address: str = "203.0.113.7"):
    return client.post("/api/v1/authorize", "{}", content_type="application/json", REMOTE_ADDR=address)


def refusal_counts() -> list[tuple[str, str, int]]:
    today = timezone.now().date()
    rows = AnonymousRefusalCount.objects.filter(day=today).order_by("reason", "network")
    return list(rows.values_list("reason", "network", "count"))


def test_a_flood_of_bad_credentials_writes_no_audit_row_and_is_counted_per_network(db):
    client = Client(HTTP_AUTHORIZATION="Bearer x")
    statuses = {ask(client).status_code for _ in range(60)}
    assert statuses == {401}
    assert AuditEvent.objects.count() == 0
    assert refusal_counts() == [("InvalidCredentials", "203.0.113.7/32", 60)]


def test_ipv6_addresses_are_counted_by_their_64(db):
    client = Client()
    for address in ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:db8:1:3::1"):
        assert ask(client, address).status_code == 401
    assert refusal_counts() == [
        ("InvalidCredentials", "2001:db8:1:2::/64", 2),
        ("InvalidCredentials", "2001:db8:1:3::/64", 1),
    ]


def test_networks_past_the_daily_limit_are_counted_as_other(settings):
    settings.IAM_REFUSAL_NETWORKS_PER_DAY = 2
    client = Client()
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.1", "192.0.2.3", "192.0.2.4"):
        assert ask(client, address).status_code == 401
    assert refusal_counts() == [
        ("InvalidCredentials", "192.0.2.1/32", 2),
        ("InvalidCredentials", "192.0.2.2/32", 1),
        ("InvalidCredentials", "other", 2),
    ]


def test_when_few_places_are_left_the_busiest_networks_of_a_batch_take_them(settings):
    settings.IAM_REFUSAL_NETWORKS_PER_DAY = 2
    audit.count_refusal(reason="RateLimited", network="198.51.100.1/32", day=DAY)
    settings.IAM_DECISION_COUNT_FLUSH_SECONDS = 3600
    audit.batched_counts.flush()
    for network, times in (("198.51.100.2/32", 1), ("198.51.100.3/32", 5)):
        for _ in range(times):
            audit.count_refusal(reason="RateLimited", network=network, day=DAY)
    audit.batched_counts.flush()
    rows = AnonymousRefusalCount.objects.filter(day=DAY).order_by("network")
    assert list(rows.values_list("network", "count")) == [("198.51.100.1/32", 1), ("198.51.100.3/32", 5), ("other", 1)]


def test_a_batch_names_at_most_the_days_networks_in_memory_too(settings):
    settings.IAM_DECISION_COUNT_FLUSH_SECONDS = 3600
    settings.IAM_REFUSAL_NETWORKS_PER_DAY = 3
    audit.batched_counts.flush()
    for index in range(50):
        audit.count_refusal(reason="InvalidCredentials", network=f"198.51.100.{index}/32", day=DAY)
    assert len(audit.batched_counts.pending.refusals) == 4
    audit.batched_counts.flush()
    rows = AnonymousRefusalCount.objects.filter(day=DAY).order_by("network")
    assert list(rows.values_list("network", "count")) == [
        ("198.51.100.0/32", 1),
        ("198.51.100.1/32", 1),
        ("198.51.100.2/32", 1),
        ("other", 47),
    ]


def test_refusal_counts_wait_in_memory_until_the_interval_passes(settings):
    settings.IAM_DECISION_COUNT_FLUSH_SECONDS = 3600
    audit.batched_counts.flush()
    client = Client(HTTP_AUTHORIZATION="Bearer x")
    with CaptureQueriesContext(connection) as captured:
        for _ in range(5):
            assert ask(client).status_code == 401
    assert (len(captured), refusal_counts()) == (0, [])
    audit.batched_counts.flush()
    assert refusal_counts() == [("InvalidCredentials", "203.0.113.7/32", 5)]


def test_a_refused_question_of_a_known_caller_is_still_an_audit_event_and_not_counted(people):
    key, secret = services.create_access_key(user=people["mia"], actor=None)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key.key_id}:{secret}")
    body = {"principal": people["oliver"].arn, "action": "s3:GetObject", "resource": "*"}
    response = client.post("/api/v1/authorize", json.dumps(body), content_type="application/json")
    assert response.status_code == 403
    assert list(AuditEvent.objects.filter(outcome="Denied").values_list("event_name", "actor_arn")) == [
        ("SimulatePrincipalPolicy", people["mia"].arn)
    ]
    assert refusal_counts() == []


@pytest.fixture
def mias_key(mia):
    key, secret = services.create_access_key(user=mia, actor=None)
    return key, secret


def wrong_secret(key_id: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {key_id}:{'w' * 40}")


def failures(key: AccessKey) -> tuple[int, datetime | None]:
    key.refresh_from_db()
    return key.failed_attempts, key.last_failed_at


def test_wrong_secrets_for_a_real_key_are_counted_against_it(mias_key):
    key, _ = mias_key
    before = timezone.now()
    for _ in range(3):
        assert ask(wrong_secret(key.key_id)).status_code == 401
    attempts, last = failures(key)
    assert attempts == 3 and before <= last <= timezone.now()
    assert AuditEvent.objects.filter(outcome="Denied").count() == 0


def test_an_inactive_key_with_its_right_secret_is_counted_as_a_failure(mias_key):
    key, secret = mias_key
    services.update_access_key(key=key, status="Inactive", actor=None)
    assert ask(Client(HTTP_AUTHORIZATION=f"Bearer {key.key_id}:{secret}")).status_code == 401
    assert failures(key)[0] == 1


def test_the_answer_does_not_tell_whether_the_key_id_exists(mias_key):
    key, _ = mias_key
    real = ask(wrong_secret(key.key_id))
    unknown = ask(wrong_secret("AKIA" + "A" * 16))
    assert (real.status_code, real.content, real["WWW-Authenticate"]) == (
        unknown.status_code,
        unknown.content,
        unknown["WWW-Authenticate"],
    )
    assert sorted(real.headers) == sorted(unknown.headers)


def test_a_right_secret_counts_no_failure(mias_key):
    key, secret = mias_key
    assert Client(HTTP_AUTHORIZATION=f"Bearer {key.key_id}:{secret}").get("/api/v1/caller-identity").status_code == 200
    assert failures(key) == (0, None)


def test_key_failures_are_written_with_the_batch(mias_key, settings):
    key, _ = mias_key
    settings.IAM_DECISION_COUNT_FLUSH_SECONDS = 3600
    audit.batched_counts.flush()
    earlier = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    later = datetime(2026, 12, 1, 10, 4, tzinfo=UTC)
    audit.count_key_failure(key_pk=key.pk, at=later)
    audit.count_key_failure(key_pk=key.pk, at=earlier)
    assert failures(key) == (0, None)
    audit.batched_counts.flush()
    assert failures(key) == (2, later)
    audit.count_key_failure(key_pk=key.pk, at=earlier)
    audit.batched_counts.flush()
    assert failures(key) == (3, later)  # a late batch from another process never moves it back
