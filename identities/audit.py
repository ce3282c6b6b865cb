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
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connections, models, transaction
from django.db.models import Case, Count, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from identities.context import current_context

logger = logging.getLogger(__name__)

# Keys whose values are secrets or derived from one; they never reach the trail.
_SECRET_KEY_PARTS = ("password", "secret", "token", "hash", "otp_key", "private")


# The keys of an event's before and after that name what it changed on its target.
SUBJECT_KEYS = ("policy", "policy_name", "boundary")


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
    access_key_id = models.CharField(
        max_length=32, blank=True, editable=False, help_text="The access key ID the request came with, if any."
    )
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
    def subject(self) -> str:
        """What the event changed on its target, by name: the managed policy attached or detached,
        the inline policy put or deleted, the boundary set or removed ("" for other events)."""
        for values in (self.after, self.before):
            for key in SUBJECT_KEYS:
                value = values.get(key) if isinstance(values, dict) else None
                if isinstance(value, str) and value:
                    return value.rsplit("/", 1)[-1] if value.startswith("arn:") else value
        return ""

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
        access_key_id=context.access_key_id if context else "",
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


class AnonymousRefusalCount(models.Model):
    """Refused requests that named no authenticated caller (bad credentials, rate limits), per
    UTC day, reason and client network: counted, never recorded one by one, so that a flood
    cannot fill a trail only `audit_maintenance` may shorten. Past IAM_REFUSAL_NETWORKS_PER_DAY
    networks in a day, the rest are counted together under OTHER."""

    OTHER = "other"

    day = models.DateField(editable=False)
    reason = models.CharField(max_length=64, editable=False)
    network = models.CharField(max_length=64, editable=False, help_text="IPv4 /32 or IPv6 /64.")
    count = models.BigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-day", "reason", "network"]
        constraints = [
            models.UniqueConstraint(fields=["day", "reason", "network"], name="anonymous_refusal_count_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.reason} from {self.network}: {self.count}"


class _Pending:
    """What waits to be written: decision and refusal counts, and failed attempts per access key
    with the latest failure's time. Refusals name at most IAM_REFUSAL_NETWORKS_PER_DAY networks
    a day here too, so a flood from many addresses cannot grow it without bound."""

    def __init__(self):
        self.clear()

    def clear(self) -> None:
        self.decisions: Counter = Counter()
        self.refusals: Counter = Counter()
        self.networks: defaultdict[date, set[str]] = defaultdict(set)
        self.key_failures: Counter = Counter()
        self.key_failed_at: dict[int, datetime] = {}

    def __bool__(self) -> bool:
        return bool(self.decisions or self.refusals or self.key_failures)

    def add_refusal(self, day: date, reason: str, network: str) -> None:
        seen = self.networks[day]
        if network not in seen:
            if len(seen) >= settings.IAM_REFUSAL_NETWORKS_PER_DAY:
                network = AnonymousRefusalCount.OTHER
            else:
                seen.add(network)
        self.refusals[(day, reason, network)] += 1

    def add_key_failure(self, key_pk: int, at: datetime) -> None:
        self.key_failures[key_pk] += 1
        latest = self.key_failed_at.get(key_pk)
        self.key_failed_at[key_pk] = at if latest is None or at > latest else latest


class _BatchedCounts:
    """Counts kept in memory and written at most every IAM_DECISION_COUNT_FLUSH_SECONDS, so
    counting costs the decision API's hot path, and a flood of refusals, no write. Counts are
    statistics, not the trail: a crash, or a database that cannot be reached when they are due,
    loses at most that many seconds of them, never an audit event."""

    def __init__(self):
        self.pending = _Pending()
        self.flushed_at = time.monotonic()
        self.lock = threading.Lock()

    def add(self, adding: Callable[[_Pending], None]) -> None:
        with self.lock:
            adding(self.pending)
            due = time.monotonic() - self.flushed_at >= settings.IAM_DECISION_COUNT_FLUSH_SECONDS
        if due:
            try:
                self.flush()
            except DatabaseError:
                # Never turn the request that happened to be due into an error.
                seconds = settings.IAM_DECISION_COUNT_FLUSH_SECONDS
                logger.warning("counts could not be written; up to %s seconds of them are lost", seconds, exc_info=True)

    def flush(self) -> None:
        with self.lock:
            pending, self.pending = self.pending, _Pending()
            self.flushed_at = time.monotonic()
        if pending:
            _write_counts(pending)


def _write_counts(pending: _Pending) -> None:
    # Always in this order, each in sorted order, so concurrent flushes never deadlock.
    with transaction.atomic():
        for (day, outcome), added in sorted(pending.decisions.items()):
            _add_count(AuditDecisionCount, {"day": day, "outcome": outcome}, added)
        for (day, reason, network), added in sorted(_within_network_limit(pending.refusals).items()):
            _add_count(AnonymousRefusalCount, {"day": day, "reason": reason, "network": network}, added)
        _write_key_failures(pending)


def _add_count(model, fields: dict[str, Any], added: int) -> None:
    row = model.objects.filter(**fields)
    if row.update(count=F("count") + added):
        return
    try:
        with transaction.atomic():
            model.objects.create(**fields, count=added)
    except IntegrityError:  # another process created the row first
        row.update(count=F("count") + added)


def _within_network_limit(refusals: Counter) -> Counter:
    """The counts with each day's networks past the limit (those already written first, then
    the busiest) counted as OTHER. Processes flushing at once may each take the last places."""
    limit, kept = settings.IAM_REFUSAL_NETWORKS_PER_DAY, Counter()
    by_day: defaultdict[date, Counter] = defaultdict(Counter)
    for (day, reason, network), added in refusals.items():
        by_day[day][(reason, network)] += added
    for day, counts in by_day.items():
        named = AnonymousRefusalCount.objects.filter(day=day).exclude(network=AnonymousRefusalCount.OTHER)
        known = set(named.order_by().values_list("network", flat=True).distinct())
        busiest = Counter()
        for (_, network), added in counts.items():
            busiest[network] += added
        for network, _ in busiest.most_common():
            if network not in known and network != AnonymousRefusalCount.OTHER and len(known) < limit:
                known.add(network)
        for (reason, network), added in counts.items():
            kept[(day, reason, network if network in known else AnonymousRefusalCount.OTHER)] += added
    return kept


def _write_key_failures(pending: _Pending) -> None:
    access_key = apps.get_model("identities", "AccessKey")  # identities.credentials imports this module
    for key_pk, added in sorted(pending.key_failures.items()):
        at = pending.key_failed_at[key_pk]
        access_key.objects.filter(pk=key_pk).update(
            failed_attempts=F("failed_attempts") + added,
            # The latest failure wins, whichever process writes last.
            last_failed_at=Case(When(last_failed_at__gt=at, then=F("last_failed_at")), default=Value(at)),
        )


batched_counts = _BatchedCounts()
atexit.register(lambda: _flush_quietly())


def _flush_quietly() -> None:
    try:
        batched_counts.flush()
    except Exception:  # noqa: BLE001 - at exit the database may already be gone
        logger.warning("counts could not be written at exit", exc_info=True)


def count_decisions(outcomes: list[str], *, day: date | None = None) -> None:
    """Add one to the day's count of each outcome (written in batches; see _BatchedCounts)."""
    moment = day or timezone.now().date()
    batched_counts.add(lambda pending: pending.decisions.update((moment, outcome) for outcome in outcomes))


def count_refusal(*, reason: str, network: str, day: date | None = None) -> None:
    """Count one refused request without an authenticated caller, from `network` (written in batches)."""
    moment = day or timezone.now().date()
    batched_counts.add(lambda pending: pending.add_refusal(moment, reason[:64], network))


def count_key_failure(*, key_pk: int, at: datetime | None = None) -> None:
    """Count one failed attempt with an existing access key's ID (written in batches)."""
    moment = at or timezone.now()
    batched_counts.add(lambda pending: pending.add_key_failure(key_pk, moment))


@dataclass(frozen=True)
class RefusalSummary:
    """The last days' refusals without credentials: per day and reason (`total`, the `networks`
    named and the count of `other` ones), and the busiest networks of those days."""

    days: int
    rows: list[dict[str, Any]]
    busiest: list[dict[str, Any]]


def anonymous_refusals(*, days: int, busiest: int = 5) -> RefusalSummary:
    """The refusals without credentials of the last `days` UTC days, today's included (two queries)."""
    other = Q(network=AnonymousRefusalCount.OTHER)
    since = timezone.now().date() - timedelta(days=days - 1)
    counts = AnonymousRefusalCount.objects.filter(day__gte=since)
    rows = (
        counts.values("day", "reason")
        .annotate(
            total=Sum("count"), networks=Count("id", filter=~other), other=Coalesce(Sum("count", filter=other), 0)
        )
        .order_by("-day", "reason")
    )
    networks = counts.exclude(other).values("network").annotate(total=Sum("count")).order_by("-total", "network")
    return RefusalSummary(days=days, rows=list(rows), busiest=list(networks[:busiest]))


# The decision API's outcomes (the engine's Outcome values), in the order charts stack them.
DECISION_OUTCOMES = ("Allow", "ExplicitDeny", "ImplicitDeny")


@dataclass(frozen=True)
class DecisionDay:
    """One UTC day's decision API answers: `counts` names every outcome of DECISION_OUTCOMES."""

    day: date
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def daily_decisions(*, days: int) -> list[DecisionDay]:
    """The decision API's answers per outcome on each of the last `days` UTC days, oldest first,
    today's included, a day without any with zeros (one query). Counts still waiting in a
    process's memory (up to IAM_DECISION_COUNT_FLUSH_SECONDS of them) are not in it yet."""
    today = timezone.now().date()
    since = today - timedelta(days=days - 1)
    rows = AuditDecisionCount.objects.filter(day__gte=since, day__lte=today, outcome__in=DECISION_OUTCOMES)
    found = {(day, outcome): count for day, outcome, count in rows.values_list("day", "outcome", "count")}
    return [
        DecisionDay(day, {outcome: found.get((day, outcome), 0) for outcome in DECISION_OUTCOMES})
        for day in (since + timedelta(days=offset) for offset in range(days))
    ]


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
