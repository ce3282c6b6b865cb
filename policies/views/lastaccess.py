"""The Access Advisor of a user, group, role or managed policy: the services and actions its
policies grant, with when each was last used; and a least-privilege policy drafted from that
activity, offered in the create-policy form and, with its change preview before the button,
in place of the grants it narrows (policies.lastaccess).

Both need, as in AWS, iam:GenerateServiceLastAccessedDetails on the entity and
iam:GetServiceLastAccessedDetails; the entity's page must be readable (404 otherwise)."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from identities import rules
from identities.console import perform_previewed, preview_field, readable, require
from identities.context import Target
from identities.models import Group, Membership, Role, User
from policies import services
from policies.forms import AccessAdvisorFilterForm, ActivityWindowForm, PolicyCreateForm, PolicyVersionForm
from policies.lastaccess import advisor, drafting
from policies.models import ManagedPolicy, PolicyAttachment

_KINDS = {
    "user": (User, "iam:GetUser"),
    "group": (Group, "iam:GetGroup"),
    "role": (Role, "iam:GetRole"),
    "policy": (ManagedPolicy, "iam:GetPolicy"),
}
DEFAULT_DAYS = 90


def _entity(request, kind: str, pk: int):
    model, get_action = _KINDS.get(kind, (None, ""))
    if model is None:
        raise Http404("No such page.")
    entity = readable(request, model, pk, get_action, "iam:GenerateServiceLastAccessedDetails")
    if kind == "user" and entity.is_superuser:
        raise Http404("The root user is beyond IAM policies and has no Access Advisor.")
    require(request, "iam:GetServiceLastAccessedDetails", Target("*"))
    return entity


def _page(kind: str, entity) -> dict:
    name = entity.policy_name if kind == "policy" else entity.name
    return {"kind": kind, "entity": entity, "name": name}


@login_required
@require_GET
def access_advisor(request, kind: str, pk: int):
    """Granted services and actions with their last use; filtered to those unused for N days."""
    entity = _entity(request, kind, pk)
    form = AccessAdvisorFilterForm(request.GET or None)
    valid = not form.is_bound or form.is_valid()
    days = form.cleaned_data.get("unused_days") if form.is_bound and valid else None
    found = advisor.access_advisor(entity, unused_days=days) if valid else []
    context = _page(kind, entity) | {"form": form, "services": found, "unused_days": days, "valid": valid}
    return render(request, "policies/access_advisor.html", context, status=200 if valid else 400)


@login_required
@require_GET
def activity_policy(request, kind: str, pk: int):
    """The policy of what the entity used over a window, in a create-policy form to save it."""
    entity = _entity(request, kind, pk)
    form = ActivityWindowForm(request.GET or None)
    valid = not form.is_bound or form.is_valid()
    days = form.cleaned_data["days"] if form.is_bound and valid else DEFAULT_DAYS
    used = drafting.used_resources(entity, days=days) if valid else {}
    document = drafting.draft_policy(used)
    page = _page(kind, entity)
    context = page | {"form": form, "days": days, "document": document, "valid": valid}
    context["document_text"] = json.dumps(document, indent=2) if document is not None else ""
    context["unused"] = sum(len(found.actions) for found in advisor.access_advisor(entity, unused_days=days))
    context["replaced"] = _broader_grants(kind, entity)
    name = f"{page['name']}-from-activity"[:128]
    if document is not None and rules.allows(request.user, services.create_policy):
        context["create_form"] = PolicyCreateForm(
            initial={
                "policy_name": name,
                "description": f"The actions {entity.arn} used in the {days} days to {_today()}.",
                "document": context["document_text"],
            }
        )
    if document is not None:
        context["replacement"] = _offered_replacement(request, kind, entity, name)
    return render(request, "policies/activity_policy.html", context, status=200 if valid else 400)


def _replacement(kind: str, entity, policy_name: str, document) -> tuple:
    """The change that puts the drafted policy in place of the entity's grants, and its arguments:
    a managed policy's new default version, or a new policy attached to the user, group or role
    in place of the managed policies attached to it (a user's groups keep theirs)."""
    if kind == "policy":
        return services.create_policy_version, {"policy": entity, "document": document, "set_as_default": True}
    attached = (
        PolicyAttachment.objects.filter(**{kind: entity}).select_related("policy").order_by("policy__policy_name")
    )
    replaced = [row.policy for row in attached]
    arguments = {"identity": entity, "policy_name": policy_name, "document": document, "replaced": replaced}
    return services.replace_policies, arguments


def _offered_replacement(request, kind: str, entity, policy_name: str) -> dict | None:
    """The replacement the page offers, with its change preview, if the viewer may make it."""
    if kind == "policy" and entity.read_only:
        return None
    change, arguments = _replacement(kind, entity, policy_name, None)
    if not rules.allows(request.user, change, **arguments):
        return None
    if kind == "policy":
        described = {"change": "create-policy-version", "policy": entity.arn, "set_as_default": True}
    else:
        replaced = [policy.arn for policy in arguments["replaced"]]
        described = {"change": "replace-policies", "identity": entity.arn, "policy_name": policy_name}
        described["replaced"] = replaced
    return {"policy_name": policy_name, "replaced": arguments.get("replaced"), "preview": preview_field(described)}


@login_required
@require_POST
def activity_policy_replace(request, kind: str, pk: int):
    """Put the drafted policy in place of the entity's grants, refused after a stale preview."""
    entity = _entity(request, kind, pk)
    back = reverse("policies:activity-policy", args=[kind, pk])
    form = PolicyVersionForm(request.POST) if kind == "policy" else PolicyCreateForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
        return redirect(back)
    change, arguments = _replacement(
        kind, entity, form.cleaned_data.get("policy_name", ""), form.cleaned_data["document"]
    )
    try:
        saved, _ = perform_previewed(request, change, **arguments)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    policy = entity if kind == "policy" else saved
    messages.success(request, f"{policy.policy_name} allows what {entity.arn} used, in place of its broader grants.")
    return redirect("policies:policy-detail", pk=policy.pk)


def _broader_grants(kind: str, entity) -> list[ManagedPolicy]:
    """The managed policies the draft is offered to replace: those attached to the entity, and
    for a user to its groups (one query)."""
    if kind == "policy":
        return [entity]
    attached = Q(**{kind: entity})
    if kind == "user":
        attached |= Q(group__in=Membership.objects.live().filter(user=entity).values("group_id"))
    rows = PolicyAttachment.objects.filter(attached).select_related("policy").order_by("policy__policy_name")
    return list({row.policy_id: row.policy for row in rows}.values())


def _today() -> str:
    return timezone.now().strftime("%Y-%m-%d")
