"""Time the audit page's queries over a large trail: `bench_audit --rows 1000000`.

Adds synthetic events (only when the trail has fewer than --rows) spread over a year, many
actors and targets, then prints the median time of the first page and of a page deep in
the keyset for the common filters. Run it against a database of its own (DATABASE_URL).
"""

import random
import statistics
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from identities.audit import AuditEvent
from identities.queries import AuditFilter, audit_page

EVENTS = [
    "CreateUser",
    "UpdateUser",
    "DeleteUser",
    "AddUserToGroup",
    "RemoveUserFromGroup",
    "CreateGroup",
    "AttachUserPolicy",
    "DetachUserPolicy",
    "PutUserPolicy",
    "CreatePolicyVersion",
    "AssignRole",
    "SwitchRole",
    "AssumeRole",
    "ConsoleLogin",
    "CreateAccessKey",
    "UpdateAccessKey",
    "DeleteAccessKey",
    "TagUser",
    "NotFound",
    "AccessDenied",
]
ACTORS, TARGETS, BATCH, RUNS = 2_000, 20_000, 5_000, 5


class Command(BaseCommand):
    help = "Fill the audit trail up to --rows synthetic events and time its page queries."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=1_000_000)
        parser.add_argument("--depth", type=int, default=20, help="How many pages past the first to time.")

    def handle(self, *args, rows: int, depth: int, **options):
        existing = AuditEvent.objects.count()
        if existing < rows:
            self._fill(rows - existing)
        self.stdout.write(f"{AuditEvent.objects.count()} events; {settings.DATABASES['default']['ENGINE']}")
        self.stdout.write(f"{'filter':<26} {'first page':>11} {'next pages, each':>17} {'pages':>6}")
        for label, filters in _scenarios().items():
            first = _median(lambda f=filters: audit_page(f))
            pages = _walk(filters, depth)
            deep = _median(lambda f=filters: _walk(f, depth))
            each = f"{deep / pages:>15.1f}ms" if pages else f"{'(one page)':>17}"
            self.stdout.write(f"{label:<26} {first:>9.1f}ms {each} {pages:>6}")

    def _fill(self, count: int) -> None:
        rng = random.Random(8)
        now = timezone.now()
        for start in range(0, count, BATCH):
            size = min(BATCH, count - start)
            AuditEvent.objects.bulk_create(_synthetic(rng, now, size), batch_size=BATCH)
            self.stdout.write(f"\r{start + size}/{count} events added", ending="")
            self.stdout.flush()
        self.stdout.write("")


def _arn(kind: str, number: int) -> str:
    return f"arn:aws:iam::{settings.IAM_ACCOUNT_ID}:{kind}/{kind}{number:05d}"


def _synthetic(rng: random.Random, now, size: int) -> list[AuditEvent]:
    outcomes = rng.choices(("Success", "Denied", "Failure"), weights=(95, 4, 1), k=size)
    return [
        AuditEvent(
            occurred_at=now - timedelta(seconds=rng.randrange(365 * 86400)),
            event_name=rng.choice(EVENTS),
            outcome=outcome,
            actor_arn=_arn("user", rng.randrange(ACTORS)),
            target_arn=_arn("group" if rng.random() < 0.3 else "user", rng.randrange(TARGETS)),
            source_ip=f"10.0.{rng.randrange(256)}.{rng.randrange(256)}",
            after={"synthetic": True},
        )
        for outcome in outcomes
    ]


def _scenarios() -> dict[str, AuditFilter]:
    now = timezone.now()
    return {
        "none (newest)": AuditFilter(),
        "actor": AuditFilter(actor=_arn("user", 42)),
        "target": AuditFilter(target_arn=_arn("user", 4242)),
        "event name": AuditFilter(event_name="AddUserToGroup"),
        "outcome Denied": AuditFilter(outcome="Denied"),
        "last 24 hours": AuditFilter(since=now - timedelta(days=1)),
        "a day 6 months ago": AuditFilter(since=now - timedelta(days=183), until=now - timedelta(days=182)),
        "event + outcome Failure": AuditFilter(event_name="ConsoleLogin", outcome="Failure"),
        "actor + a month": AuditFilter(actor=_arn("user", 7), since=now - timedelta(days=30)),
    }


def _walk(filters: AuditFilter, depth: int) -> int:
    """Follow the keyset from the first page for up to `depth` further pages; how many there were."""
    cursor, pages = audit_page(filters).next_cursor, 0
    while cursor and pages < depth:
        cursor = audit_page(filters, cursor).next_cursor
        pages += 1
    return pages


def _median(run) -> float:
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        run()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)
