"""Console views of policies: switching role and the policy check."""

from dataclasses import replace
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from identities import rules
from identities import services as identity_services
from identities.console import links_to, require
from identities.context import Target, context_of
from identities.exports import CSVWriter
from identities.middleware import ROLE_SESSION_KEY
from identities.models import User
from policies import authorization, queries, reports
from policies.engine import Outcome
from policies.forms import PastedPoliciesForm, PolicyCheckForm, SwitchRoleForm, WhatCanForm, WhoCanForm
from policies.views.explanations import explain_rows, what_can_summaries


@login_required
@require_http_methods(["GET", "POST"])
def role_switch(request):
    """Act with a role's permissions only, for a while, as sts:AssumeRole allows. Each role the
    user may assume has a form of its own (SwitchRoleForm); a POST names its role."""
    roles = queries.assumable_roles(request.user)
    posted = request.POST.get("role", "") if request.method == "POST" else None
    forms = [SwitchRoleForm(request.POST if posted == str(role.pk) else None, role=role) for role in roles]
    chosen = next((form for form in forms if form.is_bound), None)
    if chosen is not None and chosen.is_valid():
        switched = _switch(request, chosen)
        if switched is not None:
            return switched
    # A role that is not among them: gone, or no longer trusting the user.
    refused = posted is not None and chosen is None
    return render(request, "policies/role_switch.html", {"forms": forms, "roles": roles, "refused": refused})


def _switch(request, form: SwitchRoleForm):
    """Start the session and act in it; None, with the refusal on the form, if the service refuses."""
    role = form.role
    try:
        session, _, _ = identity_services.start_role_session(
            role=role,
            user=request.user,
            session_name=request.user.username,
            duration=form.cleaned_data["duration"],
            source="console",
            actor=request.user,
        )
    except ValidationError as error:
        form.add_error(None, error)
        return None
    # The console's own sts:AssumeRole, allowed: the last-accessed data's, as the API's is.
    rules.note_allowed(request.user, [rules.Check("sts:AssumeRole", role)])
    request.session[ROLE_SESSION_KEY] = session.pk
    messages.success(request, f"You now act as {role.role_name} until {session.expires_at:%H:%M} UTC.")
    return redirect("home")


@login_required
@require_POST
def role_switch_back(request):
    context = context_of(request.user)
    session = context.role_session if context is not None else None
    if session is not None:
        identity_services.end_role_session(session=session, actor=request.user)
        messages.info(request, f"You left {session.role.role_name} and act as yourself again.")
    request.session.pop(ROLE_SESSION_KEY, None)
    return redirect("home")


@login_required
@require_http_methods(["GET", "POST"])
def policy_check(request):
    """Would these requests be allowed for this principal, and exactly why?

    The form posts; without pasted documents the answer is a redirect to the
    same check as a GET (a permalink), so documents never enter a URL."""
    posted = request.method == "POST"
    data = request.POST if posted else request.GET
    form = PolicyCheckForm(data if "actions" in data else None)
    pasted = PastedPoliciesForm(request.POST if posted else None)
    page = {"form": form, "pasted": pasted}
    if not (form.is_bound and form.is_valid() and (not posted or pasted.is_valid())):
        return render(request, "policies/policy_check.html", page)
    documents = pasted.cleaned_data if posted else {}
    if posted and not any(documents.values()):
        return redirect(f"{request.path}?{_permalink_query(data)}")
    target = _check_target(request, form, documents.get("custom_policies") or [])
    if target is not None:
        page |= _run_check(target, form.cleaned_data, data, documents)
        if request.GET.get("format") in ("json", "csv"):
            return check_export(page["rows"], request.GET["format"])
    return render(request, "policies/policy_check.html", page)


def _permalink_query(data) -> str:
    fields = ("kind", "principal", "actions", "resources", "context")
    pairs = [(name, data.get(name, "")) for name in fields]
    pairs += [(key, value) for key in data if key.startswith("ctx.") for value in data.getlist(key) if value]
    return urlencode(pairs)


def _check_target(request, form, custom_documents):
    kind, principal = form.cleaned_data["kind"], form.cleaned_data["principal"]
    if kind == "custom":
        require(request, "iam:SimulateCustomPolicy")
        layers = authorization.custom_layers(request.user.arn, custom_documents)
        return queries.CheckTarget(None, request.user.arn, layers)
    return principal_target(request, form, kind, principal)


def principal_target(request, form, kind: str, principal: str):
    """Whom the page asks about. iam:SimulatePrincipalPolicy is decided on the ARN the
    form names before anything is looked up, so without it the answer is 403 whether
    or not the principal exists; with it, a missing one is a form error."""
    arn = queries.check_arn(kind, principal)
    if arn is None:
        form.add_error("principal", "Give a name (with its path, such as /division/mia) or an ARN.")
        return None
    _require_simulate(request, arn)
    try:
        target = queries.check_target(kind, arn)
    except authorization.AmbiguousPrincipal:
        form.add_error("principal", "Several live role sessions have that ARN; check the role or the user instead.")
        return None
    except queries.UnknownPrincipal:
        form.add_error("principal", "No such principal.")
        return None
    if target.arn != arn:  # found without regard to case: ask about the principal's own ARN too
        _require_simulate(request, target.arn)
    return target


def _require_simulate(request, arn: str) -> None:
    require(request, "iam:SimulatePrincipalPolicy", Target(arn))


def _run_check(target, cleaned, data, documents) -> dict:
    keys = queries.used_condition_keys(target.layers)
    context = dict(cleaned["context"])
    for key in keys:
        values = [value for value in data.getlist(f"ctx.{key}") if value]
        if values:
            context[key] = values if len(values) > 1 else values[0]
    layers = target.layers
    if documents.get("permission_boundary"):
        layers = authorization.with_boundary(layers, documents["permission_boundary"])
    resource_policy = documents.get("resource_policy")
    if resource_policy:
        layers = replace(layers, documents=layers.documents | {"resource_policy": resource_policy})
    target = target._replace(layers=layers)
    rows = queries.policy_check(
        target,
        cleaned["actions"],
        cleaned["resources"],
        context,
        resource_policy=[("resource_policy", resource_policy)] if resource_policy else None,
    )
    checked = list(zip(rows, explain_rows(target, rows), strict=True))
    return {"target": target, "rows": rows, "checked": checked, "context_keys": keys, "context_values": context}


def check_export(rows, export: str) -> HttpResponse:
    records = [
        {
            "action": row.action,
            "resource": row.resource,
            "decision": row.decision.outcome.value,
            "deciding": [
                f"{ref.source} statement {ref.statement_index} ({ref.sid or 'no Sid'}, {ref.effect})"
                for ref in row.decision.deciding
            ],
            "blocking_layers": list(row.decision.blocking_layers),
            "missing_context_keys": list(row.decision.missing_context_keys),
            "near_misses": [
                f"{miss.ref.source} statement {miss.ref.statement_index} ({miss.ref.sid or 'no Sid'}) "
                f"missed {', '.join(miss.missed)}"
                for miss in row.decision.near_misses
            ],
        }
        for row in rows
    ]
    if export == "json":
        response = JsonResponse(records, safe=False, json_dumps_params={"indent": 2})
    else:
        response = HttpResponse(content_type="text/csv")
        writer = CSVWriter(response)
        writer.writerow(
            ["action", "resource", "decision", "deciding", "blocking_layers", "missing_context_keys", "near_misses"]
        )
        for record in records:
            writer.writerow(
                [
                    record["action"],
                    record["resource"],
                    record["decision"],
                    "; ".join(record["deciding"]),
                    " ".join(record["blocking_layers"]),
                    " ".join(record["missing_context_keys"]),
                    "; ".join(record["near_misses"]),
                ]
            )
    response["Content-Disposition"] = f'attachment; filename="policy-check.{export}"'
    return response


@login_required
@require_GET
def what_can(request):
    """The catalogue actions with a feature behind them that a principal may perform, summarised
    per service and access level, each with the policies that allow it; and after assuming a role."""
    form = WhatCanForm(request.GET if "principal" in request.GET else None)
    page = {"form": form}
    if form.is_valid():
        target = principal_target(request, form, form.cleaned_data["kind"], form.cleaned_data["principal"])
        if target is None:
            return render(request, "policies/what_can.html", page)
        actions = reports.featured_actions()
        roles = queries.assumable_roles(target.subject) if isinstance(target.subject, User) else []
        sections = [(None, reports.what_can(target.layers, actions=actions))]
        sections += [(role, reports.what_can(authorization.layers_of(role), role.role_name, actions)) for role in roles]
        search = form.cleaned_data["q"].strip()
        summaries = what_can_summaries(target.subject, sections, actions, search)
        page |= {"target": target, "summary": summaries[0][1], "via_roles": summaries[1:], "search": search}
    return render(request, "policies/what_can.html", page)


@login_required
@require_GET
def who_can(request):
    """Every user and role allowed an action on a resource, and the path that grants it."""
    form = WhoCanForm(request.GET if "action" in request.GET else None)
    page = {"form": form}
    # The refusal does not depend on the question, so it comes before the form is checked.
    if form.is_bound:
        require(request, "iam:SimulatePrincipalPolicy", Target("*"))
    if form.is_valid():
        action, resource = form.cleaned_data["action"], form.cleaned_data["resource"]
        page["entries"] = reports.who_can(action, resource)
        links = links_to(request, [entry.arn for entry in page["entries"]])
        page["rows"] = [(entry, links.get(entry.arn, "")) for entry in page["entries"]]
        page["root"] = _root_standing(action, resource)
    return render(request, "policies/who_can.html", page)


def _root_standing(action: str, resource: str) -> dict:
    """How the root user stands: beyond every IAM policy, bound only by the guardrails."""
    decision = authorization.root_decision(action, resource)
    sources = {ref.source for ref in decision.deciding if ref.effect == "Deny"}
    sources |= set(decision.blocking_layers) if decision.outcome is not Outcome.ALLOW else set()
    return {"arn": decision.request.principal, "allowed": decision.allowed, "by": sorted(sources)}
