"""The console's access requests: one's own (and asking), those one may decide, and one request."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access import proposals, queries, services
from access.forms import AccessRequestForm, DecisionForm
from access.models import AccessRequest
from access.rules import may_decide
from identities import rules


@login_required
@require_http_methods(["GET", "POST"])
def request_list(request):
    """One's own requests, and the form to ask (prefilled from ?action=&resource=&group=&role=)."""
    form = AccessRequestForm(request.POST or None, initial=_prefilled(request.GET))
    if request.method == "POST" and form.is_valid():
        try:
            created = rules.perform(request.user, services.create_request, **form.arguments())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Asked for {created.in_words()} (request {created.pk}).")
            return redirect("access:request-detail", pk=created.pk)
    context = {"form": form, "rows": queries.own_requests(request.user)}
    return render(request, "access/request_list.html", context)


def _prefilled(query) -> dict:
    kind = "group" if query.get("group") else "role" if query.get("role") else "permission"
    return {
        "kind": kind,
        "group": query.get("group", ""),
        "role": query.get("role", ""),
        "actions": "\n".join(query.getlist("action")),
        "resources": "\n".join(query.getlist("resource")),
        "minutes": 60,
    }


@login_required
@require_GET
def decide_list(request):
    """Open requests of others that one's policies let one decide."""
    return render(request, "access/decide_list.html", {"rows": queries.decidable_requests(request.user)})


def _visible(request, pk: int) -> AccessRequest:
    row = queries.request_for(pk)
    if row is None or (row.requester_id != request.user.pk and not may_decide(request.user, row)):
        raise Http404("No such access request.")
    return row


@login_required
@require_GET
def request_detail(request, pk: int):
    row = _visible(request, pk)
    own = row.requester_id == request.user.pk
    context = {
        "row": row,
        "own": own,
        "may_decide": not own and row.is_open and may_decide(request.user, row),
        "may_revoke": not own
        and row.state == "approved"
        and rules.allows(request.user, services.revoke_grant, request=row),
        "proposals": proposals.proposals(row) if row.is_open else [],
        "gains": proposals.gains_beyond_request(row) if row.is_open else [],
        "decision_form": DecisionForm(),
        # An approver sees what the requester asked for before.
        "earlier": [] if own else [other for other in queries.own_requests(row.requester) if other.pk != row.pk],
    }
    return render(request, "access/request_detail.html", context)


@login_required
@require_POST
def request_change(request, pk: int, change: str):
    """Cancel or end one's own; decide or revoke another's: one service each, through the rule table."""
    row = _visible(request, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid() or (change == "decide" and not form.cleaned_data["decision"]):
        messages.error(request, "Choose to approve or deny, and a whole number of minutes.")
        return redirect("access:request-detail", pk=pk)
    service, arguments = _change_of(change, form.cleaned_data)
    try:
        rules.perform(request.user, service, request=row, **arguments)
    except (ValidationError, PermissionDenied) as error:
        for problem in getattr(error, "messages", [str(error)]):
            messages.error(request, problem)
    else:
        messages.success(request, f"Request {pk}: {change} done.")
    return redirect("access:request-detail", pk=pk)


def _change_of(change: str, data: dict):
    if change == "decide" and data["decision"] == "approve":
        minutes = data.get("minutes")
        return services.approve_request, {"duration": minutes * 60 if minutes else None}
    if change == "decide":
        return services.deny_request, {"reason": data.get("reason", "")}
    if change == "revoke":
        return services.revoke_grant, {"reason": data.get("reason", "")}
    return {"cancel": services.cancel_request, "end": services.end_grant}[change], {}
