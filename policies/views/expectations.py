"""Access expectations: each one's stored state and when it last held, checking them now; putting and
deleting them."""

import json
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from identities import generation, jsoninput, rules
from identities.console import require
from identities.context import Target
from policies import expectations, services
from policies.expectations.state import FAILURES_KEPT
from policies.models import AccessExpectation
from policies.preview import jobs

LIST_ACTION = "iamconsole:ListAccessExpectations"
FAILURES_SHOWN = 5
TOO_LARGE = (
    "This account is too large to check every expectation while the page waits: "
    "python manage.py check_expectations does it (run it from cron)."
)
EXAMPLE = {
    "name": "lucas-keeps-production-data",
    "description": "Operations run the buckets, but never delete production.",
    "principals": {"users": ["lucas"]},
    "may": False,
    "actions": ["storage:DeleteBucket"],
    "resources": ["arn:aws:storage:::production-data"],
}


@login_required
@require_GET
def expectation_list(request):
    """Every expectation's stored state and when it last held: checking them all live would read
    the whole account on each visit (benchmarks/.../bench_expectation_page measures it), so the
    page shows what the changes they are about, check_expectations and "Check now" recorded."""
    require(request, LIST_ACTION, Target("*"))
    rows = list(AccessExpectation.objects.all())
    now = generation.current()
    context = {
        "rows": [_row(request, row, now) for row in rows],
        "may_put": rules.allows(request.user, services.put_access_expectation),
        "may_check": rules.allows(request.user, services.record_expectation_checks),
        # Past the size a page waits for a preview, checking them all takes minutes: the command's.
        "too_large": jobs.is_large(),
        "example": json.dumps(EXAMPLE, indent=2),
    }
    return render(request, "policies/expectation_list.html", context)


def _row(request, row: AccessExpectation, now: int) -> dict:
    definition = expectations.definition_of(row)
    failures = [expectations.Failure(**failure) for failure in row.failures[:FAILURES_SHOWN]]
    return {
        "expectation": row,
        "words": definition.in_words(),
        "held": row.held,
        "failures": failures,
        "more": max(0, row.failure_count - len(failures)),
        # The account changed since by a change that was not checked (made outside the rule table).
        "stale": row.checked_at is not None and row.checked_generation != now,
        "file_json": json.dumps(definition.file_json(), indent=2),
        "may_put": rules.allows(request.user, services.put_access_expectation, definition=definition),
        "may_delete": rules.allows(request.user, services.delete_access_expectation, expectation=row),
    }


@login_required
@require_POST
def expectation_check(request):
    """Check every expectation now and keep what was found (past IAM_PREVIEW_INLINE_MAX
    principals that outlasts a request: check_expectations does it there)."""
    rules.require(request.user, rules.required(services.record_expectation_checks))
    if jobs.is_large():
        messages.error(request, TOO_LARGE)
        return redirect("policies:expectation-list")
    started = time.perf_counter()
    results = rules.perform(request.user, services.record_expectation_checks)
    seconds = time.perf_counter() - started
    failing = sum(1 for result in results.values() if not result.held)
    messages.success(
        request,
        f"Checked {len(results)} access expectation{'' if len(results) == 1 else 's'} in {seconds:.2f} s: "
        f"{len(results) - failing} hold, {failing} fail.",
    )
    return redirect("policies:expectation-list")


@login_required
@require_POST
def expectation_put(request):
    """Create or replace an expectation from its JSON (the form a file writes)."""
    rules.require(request.user, rules.required(services.put_access_expectation))
    try:
        definition = expectations.read_definition(_json(request.POST.get("definition", "")))
        row = rules.perform(request.user, services.put_access_expectation, definition=definition)
    except ValidationError as error:
        for problem in error.messages:
            messages.error(request, problem)
    else:
        state = "holds" if row.held else f"fails ({row.failure_count} decisions, the first {FAILURES_KEPT} kept)"
        messages.success(request, f"Saved the access expectation {row.name}; it {state} now.")
    return redirect("policies:expectation-list")


def _json(text: str):
    try:
        return jsoninput.loads(text)
    except jsoninput.TooDeep as error:
        raise ValidationError(f"The expectation is {error}.") from None
    except ValueError as error:
        raise ValidationError(f"The expectation is not JSON: {error}.") from None


@login_required
@require_POST
def expectation_delete(request, pk: int):
    expectation = get_object_or_404(AccessExpectation, pk=pk)
    if not request.user.has_perm(LIST_ACTION, Target("*")):
        raise Http404("No such page.")
    rules.perform(request.user, services.delete_access_expectation, expectation=expectation)
    messages.success(request, f"Deleted the access expectation {expectation.name}.")
    return redirect("policies:expectation-list")
