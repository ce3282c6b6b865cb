"""The guardrails pages: every level with its guardrails, and one guardrail with what it denies.

Read-only, like AWS's console for service control policies outside the management
account: guardrails are changed in the admin, by the same services and rules."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from identities import rules
from identities.console import history, mark_openable, page_of, readable, require
from identities.context import Target
from policies import queries, services
from policies.models import Guardrail


@login_required
@require_GET
def guardrail_list(request):
    """The account's guardrails by level: a request needs an Allow at every level, and any Deny wins."""
    require(request, "iam:ListGuardrails", Target("*"))
    page = page_of(request, Guardrail.objects.order_by("level", "guardrail_name"))
    mark_openable(request, page.object_list, "iam:GetGuardrail")
    context = {"page": page, "levels": queries.guardrail_levels(page.object_list)}
    return render(request, "policies/guardrail_list.html", context)


@login_required
@require_GET
def guardrail_detail(request, pk: int):
    """A guardrail: its level, what its Deny statements deny, its document and its history."""
    guardrail = readable(request, Guardrail, pk, "iam:GetGuardrail")
    may_change = rules.allows(request.user, services.save_guardrail, guardrail=guardrail)
    context = {
        "reading": queries.read_guardrail(guardrail),
        "guardrail": guardrail,
        "change_url": reverse("admin:policies_guardrail_change", args=[pk]) if may_change else "",
        **history(request, guardrail),
    }
    return render(request, "policies/guardrail_detail.html", context)
