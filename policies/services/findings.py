"""Acknowledging an assessment finding (policies.assessment): a reason and an expiry, audited."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from identities.audit import record
from identities.models import User
from policies.models import FindingAcknowledgement

# An acknowledgement is a decision to look again, not to forget: AWS's own suppressions have no
# limit, but a finding accepted for longer than a year is one nobody reviews.
LONGEST_ACKNOWLEDGEMENT = timedelta(days=366)


@transaction.atomic
def acknowledge_finding(
    *, finding_key: str, target_arn: str, reason: str, expires_at: datetime, actor: User | None
) -> FindingAcknowledgement:
    """Accept a finding until `expires_at`, for `reason`; acknowledging it again replaces the earlier one."""
    reason = (reason or "").strip()
    problems = []
    if not finding_key:
        problems.append("Choose the finding to acknowledge.")
    if not reason:
        problems.append("Say why the finding is accepted.")
    now = timezone.now()
    if expires_at <= now:
        problems.append("The expiry must be in the future.")
    elif expires_at > now + LONGEST_ACKNOWLEDGEMENT:
        problems.append(f"An acknowledgement lasts at most {LONGEST_ACKNOWLEDGEMENT.days} days.")
    if problems:
        raise ValidationError(problems)
    earlier = FindingAcknowledgement.objects.select_for_update().filter(finding_key=finding_key).first()
    before = _state(earlier) if earlier is not None else None
    acknowledgement = earlier or FindingAcknowledgement(finding_key=finding_key)
    acknowledgement.target_arn, acknowledgement.reason, acknowledgement.expires_at = target_arn, reason, expires_at
    acknowledgement.acknowledged_by_arn = getattr(actor, "arn", "") if actor is not None else ""
    acknowledgement.acknowledged_at = now
    acknowledgement.save()
    record("AcknowledgeFinding", actor=actor, target_arn=target_arn, before=before, after=_state(acknowledgement))
    return acknowledgement


def _state(acknowledgement: FindingAcknowledgement) -> dict:
    return {
        "finding": acknowledgement.finding_key,
        "reason": acknowledgement.reason,
        "expires_at": acknowledgement.expires_at.isoformat(),
    }
