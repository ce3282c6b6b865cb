"""Access expectations (policies.expectations): put and delete, audited; each put is checked
at once, under the generation's lock, so its state is the state it was stored in."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from identities import generation, guards
from identities.audit import record
from identities.models import User
from policies.expectations.definition import Definition, read_definition
from policies.expectations.state import check_rows, store
from policies.models import AccessExpectation


@transaction.atomic
def put_access_expectation(*, definition: Definition | dict, actor: User | None) -> AccessExpectation:
    """Create the expectation, or replace the one of that name (without regard to case)."""
    if not isinstance(definition, Definition):
        definition = read_definition(definition)
    generation.lock(transaction.get_connection().alias)
    earlier = AccessExpectation.objects.select_for_update().filter(name__lower=definition.name.lower()).first()
    before = _state(earlier) if earlier is not None else None
    row = earlier or AccessExpectation(created_at=timezone.now())
    row.name, row.description, row.definition = definition.name, definition.description, definition.as_json()
    row.updated_at, row.updated_by_arn = timezone.now(), getattr(actor, "arn", "") if actor is not None else ""
    try:
        row.full_clean(exclude=["definition"], validate_constraints=False)
    except ValidationError as error:
        raise ValidationError(error.messages) from None
    row.save()
    store([row], check_rows([row]))
    record("PutAccessExpectation", actor=actor, target_arn=row.arn, before=before, after=_state(row))
    return row


@transaction.atomic
def delete_access_expectation(*, expectation: AccessExpectation, actor: User | None) -> None:
    before = _state(expectation)
    arn = expectation.arn
    AccessExpectation.objects.filter(pk=expectation.pk).delete()
    record("DeleteAccessExpectation", actor=actor, target_arn=arn, before=before)


@guards.unguarded
@transaction.atomic
def record_expectation_checks(*, rows: list[AccessExpectation] | None = None, actor: User | None = None) -> dict:
    """Check the stored expectations now and keep what was found as their state (no audit
    event: a check changes no expectation and no access; `actor` asked for it, from the
    expectations page, or None for check_expectations). Returns the results by pk."""
    generation.lock(transaction.get_connection().alias)
    rows = list(AccessExpectation.objects.all()) if rows is None else rows
    results = check_rows(rows)
    store(rows, results)
    return results


def _state(row: AccessExpectation) -> dict:
    return {"name": row.name, "description": row.description, "definition": row.definition}
