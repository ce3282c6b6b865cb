"""Console pages of roles: the list, a role's page with its trust policy, its
effective trust and its assignments, and create, edit and delete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from identities import forms, queries, rules, services, staleness, trust
from identities.console import (
    answer,
    delete_page,
    history,
    mark_openable,
    page_of,
    page_url,
    perform_previewed,
    preview_field,
    problems_of,
    readable,
    require,
)
from identities.models import Role, User

_FIELDS = ("role_name", "path", "description", "max_session_duration", "tags")
_EDITABLE = ("description", "max_session_duration", "tags")
_SUBMITTED = (*_EDITABLE, "tags_based_on", "trust_policy_based_on")


@login_required
@require_GET
def role_list(request):
    require(request, "iam:ListRoles")
    search = request.GET.get("q", "").strip()
    page = page_of(request, queries.roles_matching(search))
    queries.annotate_role_rows(page.object_list)
    mark_openable(request, page.object_list, "iam:GetRole")
    context = {"page": page, "search": search, "may_create": rules.allows(request.user, services.create_role)}
    return render(request, "identities/role_list.html", context)


def _role_context(request, role: Role) -> dict:
    actor = request.user
    allowed = {
        "UpdateRole": rules.allows(actor, services.update_role, role=role),
        "DeleteRole": rules.allows(actor, services.delete_role, role=role),
        "UpdateAssumeRolePolicy": rules.allows(actor, services.assign_role, role=role),
    }
    page = page_of(request, queries.role_assignments(role))
    queries.mark_expired(page.object_list)
    trust_now = queries.effective_trust(role)
    mark_openable(request, page.object_list, "iam:GetUser", of=lambda assignment: assignment.user)
    return {
        "role": role,
        "trust": trust_now,
        "trusted": [(principal, page_url(request, principal.identity)) for principal in trust_now.principals],
        "page": page,
        "allowed": allowed,
        "assign_form": forms.AssignUsersForm(),
        "assign_preview": preview_field({"change": "assign-role-to-users", "role": role.arn}),
    }


@login_required
@require_GET
def role_detail(request, pk: int):
    role = readable(request, Role, pk, "iam:GetRole")
    context = _role_context(request, role) | history(request, role)
    return render(request, "identities/role_detail.html", context)


def _assignments(request, role: Role, **outcome):
    url = reverse("identities:role-detail", args=[role.pk])
    context = _role_context(request, role)
    return answer(
        request, template="identities/_role_assignments.html", context=context, url=url, about=role, **outcome
    )


@login_required
@require_POST
def role_assign(request, pk: int):
    role = readable(request, Role, pk, "iam:GetRole")
    rules.require(request.user, rules.required(services.assign_role_to_users, role=role))
    form = forms.AssignUsersForm(request.POST)
    if not form.is_valid():
        return _assignments(request, role, problems=[text for errors in form.errors.values() for text in errors])
    users, expires_at = form.cleaned_data["users"], form.cleaned_data["expires_at"]
    try:
        perform_previewed(request, services.assign_role_to_users, role=role, users=users, expires_at=expires_at)
    except ValidationError as error:
        return _assignments(request, role, problems=problems_of(error))
    return _assignments(request, role, done=f"May now assume {role}: {', '.join(str(user) for user in users)}.")


@login_required
@require_POST
def role_unassign(request, pk: int, user_pk: int):
    role = readable(request, Role, pk, "iam:GetRole")
    rules.require(request.user, rules.required(services.unassign_role, role=role))
    user = User.objects.filter(pk=user_pk).first()
    try:
        if user is None:
            raise ValidationError("No such user.")
        rules.perform(request.user, services.unassign_role, role=role, user=user)
    except ValidationError as error:
        return _assignments(request, role, problems=problems_of(error))
    return _assignments(request, role, done=f"{user} may no longer assume {role}.")


@login_required
@require_http_methods(["GET", "POST"])
def role_create(request):
    rules.require(request.user, rules.required(services.create_role))
    form = forms.RoleCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            role = rules.perform(
                request.user,
                services.create_role,
                trust_policy=data["trust_policy"] or None,
                **{name: data[name] for name in _FIELDS},
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Role {role.role_name} was created.")
            return redirect("identities:role-detail", pk=role.pk)
    return render(request, "identities/role_form.html", {"form": form})


def _role_edit_form(role: Role, data=None) -> forms.RoleEditForm:
    """The role as stored, with the tokens of the tags and trust policy shown (identities.staleness)."""
    initial = {name: getattr(role, name) for name in _EDITABLE} | {
        "trust_policy": trust.shown_form(role.trust_policy),
        "tags_based_on": staleness.token(role.tags),
        "trust_policy_based_on": trust.shown_token(role.trust_policy),
    }
    return forms.RoleEditForm(data, initial=initial)


@login_required
@require_http_methods(["GET", "POST"])
def role_edit(request, pk: int):
    role = readable(request, Role, pk, "iam:GetRole")
    rules.require(request.user, rules.required(services.update_role, role=role))
    form = _role_edit_form(role, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        change = {"role": role, "trust_policy": data["trust_policy"] or {}, **{n: data[n] for n in _SUBMITTED}}
        try:
            perform_previewed(request, services.update_role_and_trust_policy, **change)
        except staleness.StaleEdit as error:
            problem = staleness.message(error.what, current_shown=True)
            form = forms.refused_as_stale(_role_edit_form(Role.objects.get(pk=pk)), problem)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Role {role.role_name} was saved.")
            return redirect("identities:role-detail", pk=role.pk)
    trust_preview = preview_field({"change": "update-trust-policy", "role": role.arn})
    context = {"form": form, "role": Role.objects.get(pk=pk), "trust_preview": trust_preview}
    return render(request, "identities/role_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def role_delete(request, pk: int):
    role = readable(request, Role, pk, "iam:GetRole")
    assignments = queries.role_assignments(role)
    return delete_page(
        request,
        services.delete_role,
        subject="role",
        arguments={"role": role, "with_policies": True},
        template="identities/role_delete.html",
        context={"role": role, "assignments": assignments[:10], "assignment_count": assignments.count()},
        listed_by=("identities:role-list", "iam:ListRoles"),
    )
