"""The audit trail: one append-only model and the one helper that writes it.

Actor and target are kept as ARN and ID text, never as foreign keys, so
deleting a user or a policy never touches its history. Services call
`record()` inside their own transaction: the change and its record commit
together or not at all.

The database itself keeps the trail append-only (migration 0005): triggers
refuse every UPDATE, and every DELETE or TRUNCATE unless the transaction has
switched on audit maintenance (`maintenance()`, used only by the
`audit_maintenance` command and by the test suite's flush between tests).
On PostgreSQL the switch is `SET LOCAL iamconsole.audit_maintenance = 'on'`;
SQLite has no session settings, so it is a one-row control table that the
transaction sets and clears again before it commits.
"""

import atexit
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connections, models, transaction
from django.db.models import F
from django.utils import timezone

from identities.context import current_context

# Keys whose values are secrets or derived from one; they never reach the trail.
_SECRET_KEY_PARTS = ("password", "secret", "token", "hash", "otp_key", "private")


class AuditEvent(models.Model):
    class Outcome(models.TextChoices):
        SUCCESS = "Success"
        DENIED = "Denied"
        FAILURE = "Failure"

    # Searched through the composite indexes below, which all end in (occurred_at, id) for keyset pages.
    occurred_at = models.DateTimeField(default=timezone.now, editable=False)
    event_name = models.CharField(max_length=64, editable=False)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS, editable=False)
    actor_arn = models.CharField(max_length=2048, blank=True, editable=False)
    actor_id = models.CharField(max_length=64, blank=True, editable=False)
    session_arn = models.CharField(
        max_length=2048, blank=True, editable=False, help_text="The role session the actor acted in, if any."
    )
    source_ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    target_arn = models.CharField(max_length=2048, blank=True, editable=False)
    target_id = models.CharField(max_length=64, blank=True, editable=False)
    before = models.JSONField(null=True, blank=True, editable=False)
    after = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["-occurred_at", "-id"], name="audit_time"),
            models.Index(fields=["actor_arn", "-occurred_at", "-id"], name="audit_actor_time"),
            models.Index(fields=["target_arn", "-occurred_at", "-id"], name="audit_target_time"),
            models.Index(fields=["event_name", "-occurred_at", "-id"], name="audit_event_time"),
            models.Index(fields=["outcome", "-occurred_at", "-id"], name="audit_outcome_time"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.event_name} by {self.actor_arn or 'system'}"

    @property
    def actor_display(self) -> str:
        return self.actor_arn or "system"

    @property
    def changes_json(self) -> str:
        """Before and after, as indented JSON for a page to show ("" when there are neither)."""
        changes = {name: value for name, value in (("before", self.before), ("after", self.after)) if value is not None}
        return json.dumps(changes, indent=2, sort_keys=True) if changes else ""


def scrub(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """Drop every key that names a secret, at any depth (walked without recursion: the values
    may hold documents a client sent)."""
    if values is None:
        return None
    cleaned: dict[str, Any] = {}
    pending = [(values, cleaned)]
    while pending:
        source, target = pending.pop()
        for key, value in source.items():
            if any(part in key.lower() for part in _SECRET_KEY_PARTS):
                continue
            if isinstance(value, dict):
                target[key] = {}
                pending.append((value, target[key]))
            else:
                target[key] = value
    return cleaned


def record(
    event_name: str,
    *,
    actor: Any,
    target: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    outcome: str = AuditEvent.Outcome.SUCCESS,
    target_arn: str = "",
) -> AuditEvent:
    """Write one audit event; must run inside the transaction of the change it records."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record() must run inside the transaction of the change it records.")
    context = current_context()
    return AuditEvent.objects.create(
        event_name=event_name,
        outcome=outcome,
        actor_arn=getattr(actor, "arn", "") if actor is not None else "",
        actor_id=getattr(actor, "iam_id", "") if actor is not None else "",
        session_arn=context.session_arn if context else "",
        source_ip=context.source_ip if context else None,
        target_arn=target_arn or (getattr(target, "arn", "") if target is not None else ""),
        target_id=getattr(target, "iam_id", "") if target is not None else "",
        before=scrub(before),
        after=scrub(after),
    )


class AuditDecisionCount(models.Model):
    """Decision API answers per UTC day and outcome: counted always, recorded in full only
    when IAM_AUDIT_ALLOWED_DECISIONS asks for it (a row per decision would dwarf the trail)."""

    day = models.DateField(editable=False)
    outcome = models.CharField(max_length=32, editable=False)
    count = models.BigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-day", "outcome"]
        constraints = [models.UniqueConstraint(fields=["day", "outcome"], name="audit_decision_count_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.outcome}: {self.count}"


class _DecisionCounts:
    """Counts kept in memory and written at most every IAM_DECISION_COUNT_FLUSH_SECONDS, so
    counting costs the decision API's hot path no write. Counts are statistics, not the
    trail: a crash loses at most that many seconds of them, never an audit event."""

    def __init__(self):
        self.pending: Counter = Counter()
        self.flushed_at = time.monotonic()
        self.lock = threading.Lock()

    def add(self, day: date, outcomes: list[str]) -> None:
        with self.lock:
            self.pending.update((day, outcome) for outcome in outcomes)
            due = time.monotonic() - self.flushed_at >= settings.IAM_DECISION_COUNT_FLUSH_SECONDS
        if due:
            self.flush()

    def flush(self) -> None:
        with self.lock:
            pending, self.pending = self.pending, Counter()
            self.flushed_at = time.monotonic()
        if pending:
            _write_counts(pending)


def _write_counts(pending: Counter) -> None:
    with transaction.atomic():
        for (day, outcome), added in sorted(pending.items()):
            row = AuditDecisionCount.objects.filter(day=day, outcome=outcome)
            if row.update(count=F("count") + added):
                continue
            try:
                with transaction.atomic():
                    AuditDecisionCount.objects.create(day=day, outcome=outcome, count=added)
            except IntegrityError:  # another process created the day's row first
                row.update(count=F("count") + added)


decision_counts = _DecisionCounts()
atexit.register(lambda: _flush_quietly())


def _flush_quietly() -> None:
    try:
        decision_counts.flush()
    except Exception:  # noqa: BLE001 - at exit the database may already be gone
        logging.getLogger(__name__).warning("decision counts could not be written at exit", exc_info=True)


def count_decisions(outcomes: list[str], *, day: date | None = None) -> None:
    """Add one to the day's count of each outcome (written in batches; see _DecisionCounts)."""
    decision_counts.add(day or timezone.now().date(), outcomes)


def note_decisions(decisions: list[dict[str, Any]], *, actor: Any) -> None:
    """The decision API's answers of one allowed call: counted always, recorded in full when
    IAM_AUDIT_ALLOWED_DECISIONS asks for it (one Authorize event per decision, about its principal)."""
    count_decisions([decision["decision"] for decision in decisions])
    if not settings.IAM_AUDIT_ALLOWED_DECISIONS:
        return
    with transaction.atomic():
        for decision in decisions:
            after = {key: decision[key] for key in ("action", "resource", "decision") if key in decision}
            record("Authorize", actor=actor, target_arn=decision.get("principal", ""), after=after)


def record_request(
    event_name: str,
    *,
    actor: Any,
    after: dict[str, Any],
    outcome: str = AuditEvent.Outcome.SUCCESS,
    target_arn: str = "",
) -> AuditEvent:
    """A request that changed nothing but is worth a record (a refusal, an export), in its own transaction."""
    with transaction.atomic():
        return record(event_name, actor=actor, outcome=outcome, after=after, target_arn=target_arn)


# Audit maintenance: the one way past the append-only triggers (migration 0005).

SQLITE_CONTROL_TABLE = "identities_auditmaintenance"
_MAINTENANCE_SQL = {
    "postgresql": (
        ["SET LOCAL iamconsole.audit_maintenance = 'on'"],
        ["SET LOCAL iamconsole.audit_maintenance = 'off'"],
    ),
    "sqlite": (
        [f"UPDATE {SQLITE_CONTROL_TABLE} SET enabled = 1 WHERE id = 1"],
        [f"UPDATE {SQLITE_CONTROL_TABLE} SET enabled = 0 WHERE id = 1"],
    ),
}


def maintenance_sql(vendor: str) -> tuple[list[str], list[str]]:
    """The statements that open and close audit maintenance, to run inside one transaction."""
    return _MAINTENANCE_SQL.get(vendor, ([], []))


@contextmanager
def maintenance(using: str = "default") -> Iterator[None]:
    """A transaction in which the trail's rows may be deleted (never updated)."""
    connection = connections[using]
    opening, closing = maintenance_sql(connection.vendor)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for statement in opening:
            cursor.execute(statement)
        yield
        for statement in closing:
            cursor.execute(statement)
