"""The parts of identities' pages that federation serves (identities never imports it): on
a group's page its group claim rules, on a user's page its binding to the provider. Each
change goes through the rule table (federation.rules) and its service."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from federation import forms, provider, queries, services
from federation.models import GroupClaimRule
from identities import rules
from identities.console import readable
from identities.models import Group, User


def _group_context(request, group: Group, form=None) -> dict:
    claim_rules = queries.group_rules(group)
    configured = provider.configured()
    return {
        "group": group,
        "claim_rules": claim_rules,
        "managed_by_scim": services.managed_by_scim(group),
        "may_add": rules.allows(request.user, services.create_group_rule, group=group),
        "may_delete": bool(claim_rules) and rules.allows(request.user, services.delete_group_rule, rule=claim_rules[0]),
        "form": form or forms.ClaimRuleForm(),
        "groups_claim": configured.groups_claim if configured is not None else settings.IAM_OIDC_GROUPS_CLAIM,
    }


@login_required
@require_GET
def group_fragment(request, pk: int):
    group = readable(request, Group, pk, "iam:GetGroup")
    return render(request, "federation/_group_rules.html", _group_context(request, group))


def _back_to(request, url: str, text: str, *, error: bool = False):
    (messages.error if error else messages.success)(request, text)
    return redirect(url)


def _problem(error: Exception) -> str:
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)


@login_required
@require_POST
def group_rule_create(request, pk: int):
    group = readable(request, Group, pk, "iam:GetGroup")
    rules.require(request.user, rules.required(services.create_group_rule, group=group))
    url = reverse("identities:group-detail", args=[group.pk])
    form = forms.ClaimRuleForm(request.POST)
    if not form.is_valid():
        return _back_to(request, url, " ".join(form.errors["claim_value"]), error=True)
    claim_value = form.cleaned_data["claim_value"]
    try:
        rules.perform(request.user, services.create_group_rule, claim_value=claim_value, group=group)
    except ValidationError as error:
        return _back_to(request, url, _problem(error), error=True)
    return _back_to(request, url, f"Sign-ins with {claim_value} in the group claim now join {group.group_name}.")


@login_required
@require_POST
def group_rule_delete(request, pk: int, rule_pk: int):
    group = readable(request, Group, pk, "iam:GetGroup")
    rule = get_object_or_404(GroupClaimRule.objects.select_related("group"), pk=rule_pk, group=group)
    rules.perform(request.user, services.delete_group_rule, rule=rule)
    url = reverse("identities:group-detail", args=[group.pk])
    return _back_to(request, url, f"The rule for {rule.claim_value} is deleted, with the memberships it made.")


def _user_context(request, user: User, form=None) -> dict:
    return {
        "subject": user,
        "binding": queries.binding_of(user),
        "may_bind": not user.is_superuser and rules.allows(request.user, services.bind_federated_identity, user=user),
        "may_unbind": rules.allows(request.user, services.unbind_federated_identity, user=user),
        "form": form or forms.BindForm(),
        "provider": provider.configured(),
    }


@login_required
@require_GET
def user_fragment(request, pk: int):
    user = readable(request, User, pk, "iam:GetUser")
    return render(request, "federation/_user_binding.html", _user_context(request, user))


@login_required
@require_POST
def user_bind(request, pk: int):
    user = readable(request, User, pk, "iam:GetUser")
    rules.require(request.user, rules.required(services.bind_federated_identity, user=user))
    url = reverse("identities:user-detail", args=[user.pk])
    configured = provider.configured()
    if configured is None:
        return _back_to(request, url, "No identity provider is set up, so nobody can be bound to one.", error=True)
    form = forms.BindForm(request.POST)
    if not form.is_valid():
        return _back_to(request, url, " ".join(form.errors["value"]), error=True)
    arguments = {"issuer": configured.issuer, "claim": configured.bind_claim, "value": form.cleaned_data["value"]}
    try:
        rules.perform(request.user, services.bind_federated_identity, user=user, **arguments)
    except (ValidationError, PermissionDenied) as error:  # the service's refusal (root is never bound)
        return _back_to(request, url, _problem(error), error=True)
    return _back_to(request, url, f"{user.username} now signs in through {configured.name} as {arguments['value']}.")


@login_required
@require_POST
def user_unbind(request, pk: int):
    user = readable(request, User, pk, "iam:GetUser")
    url = reverse("identities:user-detail", args=[user.pk])
    try:
        rules.perform(request.user, services.unbind_federated_identity, user=user)
    except ValidationError as error:
        return _back_to(request, url, _problem(error), error=True)
    return _back_to(request, url, f"{user.username} is no longer bound to an identity at the provider.")
