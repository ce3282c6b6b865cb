"""The audit page: governed, filtered, keyset-paginated, exported; and each target's recent history."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from identities import queries, services
from identities.audit import AnonymousRefusalCount, AuditEvent
from policies import services as policy_services
from tests.documents import allow

pytestmark = pytest.mark.django_db

URL = reverse("identities:audit-list")
ACCOUNT = "123456789012"
MIA = f"arn:aws:iam::{ACCOUNT}:user/mia"
OLIVER = f"arn:aws:iam::{ACCOUNT}:user/oliver"
DEVELOPERS = f"arn:aws:iam::{ACCOUNT}:group/Developers"
START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def event(name="AddUserToGroup", *, actor=MIA, target=DEVELOPERS, outcome="Success", minutes=0) -> AuditEvent:
    return AuditEvent(
        event_name=name,
        actor_arn=actor,
        target_arn=target,
        outcome=outcome,
        occurred_at=START + timedelta(minutes=minutes),
    )


def client_allowed(*actions: str) -> Client:
    user = services.create_user(username="auditor", actor=None)
    if actions:
        policy_services.put_inline_policy(identity=user, policy_name="Audit", document=allow(list(actions)), actor=None)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def reader():
    return client_allowed("iam:ListAuditEvents")


@pytest.fixture
def exporter():
    return client_allowed("iam:ListAuditEvents", "iam:ExportAuditEvents")


def shown(response) -> list[tuple[str, str]]:
    return [(e.event_name, e.target_arn) for e in response.context["page"].events]


def test_outsider_gets_404(people):
    client = Client()
    client.force_login(people["mia"])
    assert client.get(URL).status_code == 404
    assert client.get(URL, {"format": "csv"}).status_code == 404


def test_reader_sees_newest_first_but_may_not_export(reader):
    AuditEvent.objects.bulk_create([event("CreateGroup", minutes=1), event("DeleteGroup", minutes=2)])
    response = reader.get(URL, {"target": DEVELOPERS})
    assert response.status_code == 200
    assert shown(response) == [("DeleteGroup", DEVELOPERS), ("CreateGroup", DEVELOPERS)]
    assert "Export CSV" not in response.content.decode()
    assert reader.get(URL, {"format": "csv"}).status_code == 403


def test_wrong_method_is_refused(reader):
    assert reader.post(URL).status_code == 405


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "oliver"}, ["RemoveUserFromGroup"]),
        ({"actor": OLIVER}, ["RemoveUserFromGroup"]),
        ({"target": MIA}, ["UpdateUser"]),
        ({"event": "CreateGroup"}, ["CreateGroup"]),
        ({"outcome": "Denied"}, ["DeleteGroup"]),
        ({"since": "2026-01-01T12:02", "until": "2026-01-01T12:04"}, ["RemoveUserFromGroup", "DeleteGroup"]),
        ({"event": "CreateGroup", "outcome": "Denied"}, []),
    ],
)
def test_filters(reader, query, expected):
    services.create_user(username="oliver", actor=None)
    AuditEvent.objects.bulk_create(
        [
            event("CreateGroup", minutes=1),
            event("DeleteGroup", outcome="Denied", minutes=2),
            event("RemoveUserFromGroup", actor=OLIVER, minutes=3),
            event("UpdateUser", target=MIA, minutes=5),
        ]
    )
    response = reader.get(URL, query | {"until": query.get("until", "2026-01-02T00:00")})
    assert [name for name, _ in shown(response)] == expected


def test_a_range_that_ends_before_it_starts_is_explained(reader):
    response = reader.get(URL, {"since": "2026-01-02T00:00", "until": "2026-01-01T00:00"})
    assert response.status_code == 200
    assert response.context["page"] is None
    assert "Choose a time after the start" in response.content.decode()


def test_pages_follow_the_keyset_through_equal_times(reader):
    # 120 events, every three at the same instant: no event is skipped or shown twice.
    AuditEvent.objects.bulk_create([event(f"Event{n:03d}", minutes=n // 3) for n in range(120)])
    seen, cursor = [], ""
    while True:
        page = reader.get(URL, {"event": "", "cursor": cursor}).context["page"]
        seen += [e.pk for e in page.events]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    expected = list(AuditEvent.objects.order_by("-occurred_at", "-id").values_list("pk", flat=True))
    assert seen == expected and len(seen) >= 120


def test_a_malformed_cursor_shows_the_first_page(reader):
    AuditEvent.objects.bulk_create([event(minutes=1)])
    assert len(reader.get(URL, {"cursor": "yesterday~x"}).context["page"].events) >= 1


def queries_for(client, params) -> int:
    client.get(URL, params)  # warm per-process caches before counting
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("params", [{}, {"actor": "mia"}, {"target": DEVELOPERS, "outcome": "Success"}])
def test_the_page_costs_the_same_queries_at_10_and_1000_rows(reader, params):
    services.create_user(username="mia", actor=None)
    AuditEvent.objects.bulk_create([event(minutes=n) for n in range(10)])
    at_10 = queries_for(reader, params)
    AuditEvent.objects.bulk_create([event(minutes=n) for n in range(10, 1000)])
    at_1000 = queries_for(reader, params)
    assert at_10 == at_1000


def test_export_csv_streams_the_filtered_set_and_is_recorded(exporter):
    AuditEvent.objects.bulk_create([event("CreateGroup", minutes=1), event("DeleteUser", target=MIA, minutes=2)])
    AuditEvent.objects.bulk_create([event("TagUser", target=MIA, minutes=n) for n in range(3, 1203)])
    response = exporter.get(URL, {"target": MIA, "format": "csv"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1201
    assert rows[-1]["event_name"] == "DeleteUser" and rows[0]["event_name"] == "TagUser"
    assert {row["target_arn"] for row in rows} == {MIA}
    export = AuditEvent.objects.get(event_name="ExportAuditEvents")
    assert export.after == {"format": "csv", "target_arn": MIA}
    assert export.actor_arn.endswith(":user/auditor")


def test_export_jsonl_has_one_event_per_line(exporter):
    AuditEvent.objects.bulk_create([event("CreateGroup", minutes=1)])
    response = exporter.get(URL, {"event": "CreateGroup", "format": "jsonl"})
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert [json.loads(line)["event_name"] for line in lines] == ["CreateGroup"]
    assert json.loads(lines[0])["occurred_at"] == START.replace(minute=1).isoformat()


def test_csv_cells_never_start_a_formula(exporter):
    AuditEvent.objects.bulk_create([event("=HYPERLINK", minutes=1)])
    body = b"".join(exporter.get(URL, {"format": "csv"}).streaming_content).decode()
    assert "'=HYPERLINK" in body


def test_recent_events_are_the_targets_newest(db):
    AuditEvent.objects.bulk_create([event(f"E{n}", minutes=n) for n in range(15)] + [event("Other", target=MIA)])
    recent = queries.recent_events(DEVELOPERS, limit=3)
    assert [e.event_name for e in recent] == ["E14", "E13", "E12"]
    html = render_to_string("console/_recent_events.html", {"events": recent})
    assert "E14" in html and "Other" not in html
    assert "No events recorded yet." in render_to_string("console/_recent_events.html", {"events": []})


def refusal(day, reason="InvalidCredentials", network="203.0.113.7/32", count=1) -> AnonymousRefusalCount:
    return AnonymousRefusalCount(day=day, reason=reason, network=network, count=count)


def test_the_page_shows_the_last_weeks_refusals_without_credentials(reader):
    today = timezone.now().date()
    AnonymousRefusalCount.objects.bulk_create(
        [
            refusal(today, count=60),
            refusal(today, network="other", count=4),
            refusal(today - timedelta(days=1), reason="RateLimited", network="2001:db8::/64", count=9),
            refusal(today - timedelta(days=1), reason="RateLimited", network="203.0.113.7/32", count=2),
            refusal(today - timedelta(days=7), network="192.0.2.1/32", count=500),
        ]
    )
    response = reader.get(URL)
    refusals = response.context["refusals"]
    assert refusals.rows == [
        {"day": today, "reason": "InvalidCredentials", "total": 64, "networks": 1, "other": 4},
        {"day": today - timedelta(days=1), "reason": "RateLimited", "total": 11, "networks": 2, "other": 0},
    ]
    assert refusals.busiest == [{"network": "203.0.113.7/32", "total": 62}, {"network": "2001:db8::/64", "total": 9}]
    html = response.content.decode()
    assert "Refused without credentials" in html and "2001:db8::/64" in html
    assert "192.0.2.1/32" not in html  # eight days ago


def test_no_refusals_without_credentials_are_said_so(reader):
    assert "No requests were refused without credentials." in reader.get(URL).content.decode()


def test_the_refusals_cost_the_same_queries_at_2_and_200_networks(reader):
    today = timezone.now().date()
    AnonymousRefusalCount.objects.bulk_create([refusal(today, network=f"198.51.100.{n}/32") for n in range(2)])
    at_2 = queries_for(reader, {})
    AnonymousRefusalCount.objects.bulk_create(
        [refusal(today - timedelta(days=n % 7), reason=f"R{n % 3}", network=f"192.0.2.{n}/32") for n in range(200)]
    )
    assert queries_for(reader, {}) == at_2


FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_no_exported_audit_cell_starts_a_formula(exporter, start):
    attack = f'{start}HYPERLINK("http://attacker.invalid")'
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                event_name=attack,
                actor_arn=attack,
                target_arn=attack,
                outcome="Success",
                after=-1 if start == "-" else attack,
                occurred_at=START,
            )
        ]
    )
    before = AuditEvent.objects.exclude(event_name="ExportAuditEvents").count()
    until = (START + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")
    body = b"".join(exporter.get(URL, {"format": "csv", "until": until}).streaming_content).decode()
    (row,) = csv.DictReader(io.StringIO(body, newline=""))
    for column in ("event_name", "actor_arn", "target_arn"):
        assert row[column] == f"'{attack}"
    assert row["after"] == ("'-1" if start == "-" else json.dumps(attack))
    assert AuditEvent.objects.exclude(event_name="ExportAuditEvents").count() == before


def test_a_tag_that_starts_like_a_formula_is_exported_inside_its_json(exporter, mia):
    services.set_user_tags(user=mia, tags={"team": "=1+2", "cost": "@SUM"}, actor=None)
    body = b"".join(exporter.get(URL, {"format": "csv", "event": "TagUser"}).streaming_content).decode()
    (row,) = csv.DictReader(io.StringIO(body, newline=""))
    assert json.loads(row["after"]) == {"tags": {"team": "=1+2", "cost": "@SUM"}}
