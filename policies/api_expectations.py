"""The API's access expectations (/api/v1/access-expectations): list them with their state now,
put one, delete one. The same rule table and services as the console's page."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse

from identities import naming, rules
from identities.context import Target
from policies import expectations, services
from policies.api import APIError, api_view, json_body
from policies.models import AccessExpectation

LIST_ACTION = "iamconsole:ListAccessExpectations"


def expectation_json(row: AccessExpectation, result: expectations.Result | None = None) -> dict:
    """An expectation as the API answers it: its definition, and its state (`result`: checked now)."""
    definition = expectations.definition_of(row)
    held = result.held if result is not None else row.held
    failures = [failure.as_json() for failure in result.failures] if result is not None else row.failures
    return {
        **definition.file_json(),
        "arn": row.arn,
        "expectation": definition.in_words(),
        "held": held,
        "failures": failures[: expectations.state.FAILURES_KEPT],
        "failure_count": len(result.failures) if result is not None else row.failure_count,
        "last_held_at": _time(row.last_held_at),
        "checked_at": _time(row.checked_at),
    }


def _time(value) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


@api_view("GET", "POST")
def access_expectations(request):
    """GET: every expectation, checked now. POST: create or replace one (its JSON form)."""
    if request.method == "POST":
        return _put(request)
    if not request.user.has_perm(LIST_ACTION, Target("*")):
        raise APIError(403, "AccessDenied", f"{request.api_caller.arn} is not authorized to perform {LIST_ACTION}.")
    rows = list(AccessExpectation.objects.all())
    results = expectations.check_rows(rows)
    return JsonResponse({"expectations": [expectation_json(row, results[row.pk]) for row in rows]})


def _put(request):
    data = json_body(request)
    try:
        definition = expectations.read_definition(data)
    except ValidationError as error:
        raise APIError(400, "ValidationError", " ".join(error.messages)) from None
    try:
        row = rules.perform(request.user, services.put_access_expectation, definition=definition)
    except PermissionDenied as refusal:
        raise APIError(403, "AccessDenied", str(refusal)) from None
    except ValidationError as error:
        raise APIError(400, "ValidationError", " ".join(error.messages)) from None
    return JsonResponse(expectation_json(row))


@api_view("DELETE")
def access_expectation(request, name: str):
    """Delete the expectation of that name (without regard to case)."""
    row = AccessExpectation.objects.filter(name__lower=name.lower()).first()
    named = row if row is not None else Target(naming.build_arn("access-expectation", "/", name))
    try:
        rules.require(request.user, rules.required(services.delete_access_expectation, expectation=named))
    except PermissionDenied as refusal:
        raise APIError(403, "AccessDenied", str(refusal)) from None
    if row is None:
        raise APIError(404, "NoSuchExpectation", f"No access expectation is named {name}.")
    rules.perform(request.user, services.delete_access_expectation, expectation=row)
    return JsonResponse({"deleted": row.name, "arn": row.arn})
