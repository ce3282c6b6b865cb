"""Writes to guardrails; none may lock the root user out of them."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from identities import staleness
from identities.audit import record
from identities.models import User
from policies.authorization import root_decision
from policies.engine import DocumentKind, Finding
from policies.models import (
    Guardrail,
)
from policies.services._common import (
    check_document,
)

# Guardrails


def _guardrail_state(guardrail: Guardrail) -> dict[str, Any]:
    return {"name": guardrail.guardrail_name, "level": guardrail.level, "document": guardrail.document}


def guardrail_token(guardrail: Guardrail) -> str:
    """The token of a guardrail as its form shows it (identities.staleness)."""
    return staleness.token(_guardrail_state(guardrail) | {"description": guardrail.description})


def refuse_stale_guardrail(guardrail: Guardrail, based_on: str | None) -> None:
    """Read the guardrail again, its row locked until the transaction ends; StaleEdit if it
    is no longer the one whose token is `based_on`."""
    guardrail.refresh_from_db(from_queryset=Guardrail.objects.select_for_update())
    staleness.refuse_if_stale(based_on, guardrail_token(guardrail), what="this guardrail")


@transaction.atomic
def save_guardrail(
    *,
    guardrail_name: str,
    document: str | dict,
    actor: User | None,
    level: int = 1,
    description: str = "",
    guardrail: Guardrail | None = None,
    based_on: str | None = None,
) -> tuple[Guardrail, list[Finding]]:
    """Create a guardrail, or change `guardrail`; refused if it would lock the root user out,
    or if it is no longer as the form showed it (`based_on`: its `guardrail_token`)."""
    if guardrail is not None:
        refuse_stale_guardrail(guardrail, based_on)
    parsed, findings = check_document(document, kind=DocumentKind.GUARDRAIL, size_limit=settings.IAM_GUARDRAIL_MAX_SIZE)
    before = _guardrail_state(guardrail) if guardrail else None
    guardrail = guardrail or Guardrail()
    guardrail.guardrail_name, guardrail.document, guardrail.level = guardrail_name, parsed, level
    guardrail.description, guardrail.updated_at = description, timezone.now()
    guardrail.full_clean()
    guardrail.save()
    _refuse_root_lockout()
    event = "UpdateGuardrail" if before else "CreateGuardrail"
    record(event, actor=actor, target=guardrail, before=before, after=_guardrail_state(guardrail))
    return guardrail, findings


@transaction.atomic
def delete_guardrail(*, guardrail: Guardrail, actor: User | None) -> None:
    record("DeleteGuardrail", actor=actor, target=guardrail, before=_guardrail_state(guardrail))
    guardrail.delete()
    _refuse_root_lockout()


GUARDRAIL_MANAGEMENT_ACTIONS = ("iam:CreateGuardrail", "iam:UpdateGuardrail", "iam:DeleteGuardrail")


def _refuse_root_lockout() -> None:
    """The root user must always be able to manage guardrails, or no one could undo one."""
    for action in GUARDRAIL_MANAGEMENT_ACTIONS:
        for guardrail in Guardrail.objects.all() or [Guardrail(guardrail_name="any")]:
            decision = root_decision(action, guardrail.arn)
            if not decision.allowed:
                raise ValidationError(
                    f"This change would stop the account root user from {action} on {guardrail.arn}, "
                    "leaving no one able to change guardrails. Allow the root user those actions."
                )


def highest_guardrail_level() -> int:
    return Guardrail.objects.aggregate(level=Max("level"))["level"] or 0
