"""The stored expectations, their latest state, and the guard that every change passes.

The guard (registered in policies' AppConfig.ready through identities.guards) runs around
each change the rule table performs, in the change's transaction, whenever expectations
are stored:

1. before the change: take the permissions generation's row lock (changes that run
   expectations are serialised, so two cannot each pass and together break one), and
   know the state each expectation was in (its stored state when it was checked at this
   generation, else checked now), and which of them the actor may override;
   Only the expectations the change can affect take part (policies.expectations.scope:
   those about a principal it touches, by name or by group, and every one about "anyone");
   the others are not checked: a state they were found in at the generation before the
   change is theirs at the generation after it;
2. after it, if the generation moved (the change could alter a decision): check those
   again. An expectation the change breaks (a failure it did not have before) refuses the
   change (`ChangeRefused`, which rolls it back) unless the actor holds
   iamconsole:OverrideAccessExpectation on it: then the change goes through and one
   OverrideAccessExpectation audit event names what it broke. Either way the state found
   is stored with the change. A change preview (identities.guards.kept) is shown what
   would be refused or overridden, each expectation marked with whether the actor may
   override it, and the change stands inside the preview's savepoint, rolled back after.
"""

from collections.abc import Callable
from contextlib import contextmanager

from django.db import transaction
from django.utils import timezone

from identities import generation, guards
from identities.audit import record
from identities.guards import ChangeRefused
from policies.expectations.definition import Definition, read_definition
from policies.expectations.evaluation import Failure, Result, check_all
from policies.expectations.scope import scope_of
from policies.models import AccessExpectation

OVERRIDE_ACTION = "iamconsole:OverrideAccessExpectation"
# Failures kept with an expectation's state (all are counted); a page shows the first few.
FAILURES_KEPT = 100
SHOWN_IN_A_REFUSAL = 3


def definition_of(row: AccessExpectation) -> Definition:
    return read_definition({"name": row.name, "description": row.description, **row.definition})


def check_rows(rows: list[AccessExpectation]) -> dict[int, Result]:
    """Each stored expectation's result now, by primary key."""
    results = check_all([definition_of(row) for row in rows])
    return {row.pk: result for row, result in zip(rows, results, strict=True)}


def store(rows: list[AccessExpectation], results: dict[int, Result], at=None) -> None:
    """Keep each result as its expectation's state, at the current generation."""
    at, value = at or timezone.now(), generation.current()
    for row in rows:
        result = results[row.pk]
        row.held, row.failure_count = result.held, len(result.failures)
        row.failures = [failure.as_json() for failure in result.failures[:FAILURES_KEPT]]
        row.checked_at, row.checked_generation = at, value
        if result.held:
            row.last_held_at = at
    fields = ["held", "failures", "failure_count", "checked_at", "checked_generation", "last_held_at"]
    AccessExpectation.objects.bulk_update(rows, fields)


def _failures_of(row: AccessExpectation) -> tuple[set[Failure], bool]:
    """The stored failures, and whether they are all of them."""
    return {Failure(**failure) for failure in row.failures}, row.failure_count <= len(row.failures)


def broken_by_change(before: dict[int, tuple[set[Failure], bool, int]], after: Result, pk: int) -> list[Failure]:
    """The failures a change added to one expectation (all of them when the list before was cut short
    and the count grew)."""
    failures, complete, count = before[pk]
    if complete:
        return [failure for failure in after.failures if failure not in failures]
    return list(after.failures) if len(after.failures) > count else []


def _before(rows: list[AccessExpectation], locked: int) -> dict[int, tuple[set[Failure], bool, int]]:
    stale = [row for row in rows if row.checked_generation != locked]
    fresh = check_rows(stale) if stale else {}
    if stale:
        store(stale, fresh)  # the state at this generation: the next change need not check again
    found = {}
    for row in rows:
        if row.pk in fresh:
            failures = fresh[row.pk].failures
            found[row.pk] = (set(failures), True, len(failures))
        else:
            failures, complete = _failures_of(row)
            found[row.pk] = (failures, complete, row.failure_count)
    return found


@contextmanager
def _guarding(actor, change: Callable, arguments: dict):
    locked = generation.lock(transaction.get_connection().alias)
    scope = scope_of(arguments)
    stored = list(AccessExpectation.objects.all())
    rows = [row for row in stored if scope.affects(definition_of(row))]
    # Untouched by the change: a state found at this generation holds at the next one too.
    carried = [row.pk for row in stored if row not in rows and row.checked_generation == locked]
    before = _before(rows, locked) if rows else {}
    overridable = {row.pk for row in rows if actor is not None and actor.has_perm(OVERRIDE_ACTION, row)}
    yield
    after = generation.current()
    if after == locked:
        return
    if carried:
        AccessExpectation.objects.filter(pk__in=carried).update(checked_generation=after)
    if not rows:
        return
    results = check_rows(rows)
    store(rows, results)
    broken = [(row, failures) for row in rows if (failures := broken_by_change(before, results[row.pk], row.pk))]
    if not broken:
        return
    overridden = all(row.pk in overridable for row, _ in broken)
    if overridden:
        record(
            "OverrideAccessExpectation",
            actor=actor,
            target_arn=broken[0][0].arn if len(broken) == 1 else "",
            after={"change": change.__name__, "broken": [_broken_json(row, failures) for row, failures in broken]},
        )
    details = [_broken_json(row, failures) | {"overridable": row.pk in overridable} for row, failures in broken]
    refusal = ChangeRefused([_refusal(row, failures) for row, failures in broken], details)
    # A preview keeps what would be refused (or overridden) and shows it beside what the change does.
    if guards.keep(refusal) or overridden:
        return
    raise refusal


def guard(actor, change: Callable, arguments: dict):
    """identities.guards' hook: nothing to do while no expectation is stored."""
    if not AccessExpectation.objects.exists():
        return None
    return _guarding(actor, change, arguments)


def _broken_json(row: AccessExpectation, failures: list[Failure]) -> dict:
    return {
        "name": row.name,
        "arn": row.arn,
        "expectation": definition_of(row).in_words(),
        "failures": [failure.as_json() for failure in failures[:FAILURES_KEPT]],
        "failure_count": len(failures),
    }


def _refusal(row: AccessExpectation, failures: list[Failure]) -> str:
    shown = "; ".join(failure.in_words() for failure in failures[:SHOWN_IN_A_REFUSAL])
    more = f"; and {len(failures) - SHOWN_IN_A_REFUSAL} more" if len(failures) > SHOWN_IN_A_REFUSAL else ""
    return (
        f'Nothing was changed: it would break the access expectation {row.name} ("{definition_of(row).in_words()}"). '
        f"{shown}{more}."
    )
