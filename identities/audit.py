"""The audit trail: one append-only model and the one helper that writes it.

Actor and target are kept as ARN and ID text, never as foreign keys, so
deleting a user or a policy never touches its history. Services call
`record()` inside their own transaction: the change and its record commit
together or not at all.
"""

from typing import Any

from django.db import models, transaction
from django.utils import timezone

from identities.context import current_context

# Keys whose values are secrets or derived from one; they never reach the trail.
_SECRET_KEY_PARTS = ("password", "secret", "token", "hash", "otp_key", "private")


class AuditEvent(models.Model):
    class Outcome(models.TextChoices):
        SUCCESS = "Success"
        DENIED = "Denied"
        FAILURE = "Failure"

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    event_name = models.CharField(max_length=64, db_index=True, editable=False)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS, editable=False)
    actor_arn = models.CharField(max_length=2048, blank=True, editable=False)
    actor_id = models.CharField(max_length=64, blank=True, editable=False)
    session_arn = models.CharField(
        max_length=2048, blank=True, editable=False, help_text="The role session the actor acted in, if any."
    )
    source_ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    target_arn = models.CharField(max_length=2048, blank=True, db_index=True, editable=False)
    target_id = models.CharField(max_length=64, blank=True, editable=False)
    before = models.JSONField(null=True, blank=True, editable=False)
    after = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["actor_arn", "-occurred_at"], name="audit_actor_time")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.event_name} by {self.actor_arn or 'system'}"

    @property
    def actor_display(self) -> str:
        return self.actor_arn or "system"


def scrub(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """Drop every key that names a secret, at any depth."""
    if values is None:
        return None
    cleaned: dict[str, Any] = {}
    for key, value in values.items():
        if any(part in key.lower() for part in _SECRET_KEY_PARTS):
            continue
        cleaned[key] = scrub(value) if isinstance(value, dict) else value
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
