"""Access expectations: each one's state now and when it last held; putting and deleting them."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from identities import jsoninput, rules
from identities.console import require
from identities.context import Target
from policies import expectations, services
from policies.expectations.state import FAILURES_KEPT
from policies.models import AccessExpectation

LIST_ACTION = "iamconsole:ListAccessExpectations"
FAILURES_SHOWN = 5
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
    """Every expectation, checked now on the account as it stands, with when it last held."""
    require(request, LIST_ACTION, Target("*"))
    rows = list(AccessExpectation.objects.all())
    results = expectations.check_rows(rows)
    context = {
        "rows": [_row(request, row, results[row.pk]) for row in rows],
        "may_put": rules.allows(request.user, services.put_access_expectation),
        "example": json.dumps(EXAMPLE, indent=2),
    }
    return render(request, "policies/expectation_list.html", context)


def _row(request, row: AccessExpectation, result: expectations.Result) -> dict:
    definition = expectations.definition_of(row)
    return {
        "expectation": row,
        "words": definition.in_words(),
        "held": result.held,
        "failures": result.failures[:FAILURES_SHOWN],
        "more": max(0, len(result.failures) - FAILURES_SHOWN),
        "file_json": json.dumps(definition.file_json(), indent=2),
        "may_put": rules.allows(request.user, services.put_access_expectation, definition=definition),
        "may_delete": rules.allows(request.user, services.delete_access_expectation, expectation=row),
    }


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
