"""Console pages of users: the list, a user's page with their groups, roles and
tags changed in place, and create, edit and delete."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from identities import forms, passwords, queries, rules, services, staleness
from identities.console import (
    adds_self,
    answer,
    ask,
    confirmed,
    delete_page,
    history,
    mark_openable,
    page_of,
    problems_of,
    question,
    readable,
    require,
)
from identities.context import PENDING
from identities.models import Group, Role, User
from identities.templatetags.console_tags import when
from identities.views.groups import SELF_ADDED, self_addition
from identities.views.passwords import show_once


@login_required
@require_GET
def user_list(request):
    require(request, "iam:ListUsers")
    form = forms.UserFilterForm(request.GET or None)
    valid = form.is_valid() or not form.is_bound
    filters = form.filters() if form.is_bound and valid else queries.UserFilters()
    page = page_of(request, queries.users_matching(filters) if valid else User.objects.none())
    queries.annotate_user_rows(page.object_list)
    mark_openable(request, page.object_list, "iam:GetUser")
    context = {
        "form": form,
        "page": page,
        "sort": filters.sort,
        "may_create": rules.allows(request.user, services.create_console_user),
    }
    return render(request, "identities/user_list.html", context)


def _may(request, action: str, obj=PENDING) -> bool:
    return request.user.has_perm(action, obj)


def _user_context(request, subject: User) -> dict:
    summary, actor = queries.user_summary(subject), request.user
    mark_openable(request, summary.memberships, "iam:GetGroup", of=lambda membership: membership.group)
    mark_openable(request, summary.assignments, "iam:GetRole", of=lambda assignment: assignment.role)
    for membership in summary.memberships:
        membership.may_remove = rules.allows(actor, services.remove_members, group=membership.group, users=[subject])
    for assignment in summary.assignments:
        assignment.may_remove = rules.allows(actor, services.unassign_role, role=assignment.role, user=subject)
    allowed = {
        "UpdateUser": rules.allows(actor, services.update_user, user=subject),
        "DeleteUser": rules.allows(actor, services.delete_user, user=subject),
        "TagUser": rules.allows(actor, services.set_user_tags, user=subject),
        "ListAccessKeys": _may(request, "iam:ListAccessKeys", subject),
        "ListUsers": _may(request, "iam:ListUsers", None),
    }
    allowed["SetPassword"] = not subject.is_superuser and rules.allows(actor, services.set_password, user=subject)
    allowed["AddUserToGroup"] = not subject.is_superuser and rules.allows(actor, services.add_members)
    allowed["AssignRole"] = not subject.is_superuser and rules.allows(actor, services.assign_role)
    # The pickers search as one types only for a viewer who may list what they offer.
    allowed["search_groups"] = allowed["AddUserToGroup"] and _may(request, "iam:ListGroups", None)
    allowed["search_roles"] = allowed["AssignRole"] and _may(request, "iam:ListRoles", None)
    return {
        "subject": subject,
        "summary": summary,
        "allowed": allowed,
        "group_form": forms.GroupForUserForm(model=Group, label="Group name"),
        "role_form": forms.RoleForUserForm(model=Role, label="Role name"),
        "tags_form": forms.TagsForm(initial={"tags": subject.tags, "based_on": staleness.token(subject.tags)}),
        "group_limit": settings.IAM_MAX_GROUPS_PER_USER,
    }


_PAGE = "identities/user_detail.html"


@login_required
@require_GET
def user_detail(request, pk: int):
    subject = readable(request, User, pk, "iam:GetUser")
    context = _user_context(request, subject) | history(request, subject)
    return render(request, _PAGE, context)


def _section(request, subject: User, template: str, **outcome):
    context = _user_context(request, subject)
    return answer(
        request,
        template=template,
        context=context,
        url=reverse("identities:user-detail", args=[subject.pk]),
        about=subject,
        **outcome,
    )


@login_required
@require_POST
def user_group_add(request, pk: int):
    subject = readable(request, User, pk, "iam:GetUser")
    form = forms.GroupForUserForm(request.POST, model=Group, label="Group name")
    if not form.is_valid():
        problems = [message for field_messages in form.errors.values() for message in field_messages]
        return _section(request, subject, "identities/_user_groups.html", problems=problems)
    group, expires_at = form.cleaned_data["name"], form.cleaned_data["expires_at"]
    yourself = adds_self(request, [subject])
    if yourself and not confirmed(request):
        rules.require(request.user, rules.required(services.add_members, group=group, users=[subject]))
        page = reverse("identities:user-detail", args=[subject.pk])
        asked = question(request, **self_addition(group), section="user-groups", cancel=page)
        context = _user_context(request, subject) | {"question": asked}
        return ask(request, template="identities/_user_groups.html", page=_PAGE, context=context, obj=subject)
    try:
        rules.perform(request.user, services.add_members, group=group, users=[subject], expires_at=expires_at)
    except ValidationError as error:
        return _section(request, subject, "identities/_user_groups.html", problems=problems_of(error))
    done = f"{subject.username} was added to {group.group_name}"
    done += f", until {when(expires_at)}." if expires_at else "."
    done += f" {SELF_ADDED.format(group=group.group_name)}" if yourself else ""
    return _section(request, subject, "identities/_user_groups.html", done=done)


@login_required
@require_POST
def user_group_remove(request, pk: int, group_pk: int):
    subject = readable(request, User, pk, "iam:GetUser")
    group = readable(request, Group, group_pk, "iam:GetGroup")
    try:
        rules.perform(request.user, services.remove_members, group=group, users=[subject])
    except ValidationError as error:
        return _section(request, subject, "identities/_user_groups.html", problems=problems_of(error))
    done = f"{subject.username} was removed from {group.group_name}."
    return _section(request, subject, "identities/_user_groups.html", done=done)


@login_required
@require_POST
def user_role_add(request, pk: int):
    subject = readable(request, User, pk, "iam:GetUser")
    form = forms.RoleForUserForm(request.POST, model=Role, label="Role name")
    if not form.is_valid():
        problems = [message for messages_ in form.errors.values() for message in messages_]
        return _section(request, subject, "identities/_user_roles.html", problems=problems)
    role = form.cleaned_data["name"]
    expires_at = form.cleaned_data["expires_at"]
    try:
        rules.perform(request.user, services.assign_role, role=role, user=subject, expires_at=expires_at)
    except ValidationError as error:
        return _section(request, subject, "identities/_user_roles.html", problems=problems_of(error))
    return _section(request, subject, "identities/_user_roles.html", done=f"{subject.username} may now assume {role}.")


@login_required
@require_POST
def user_role_remove(request, pk: int, role_pk: int):
    subject = readable(request, User, pk, "iam:GetUser")
    role = readable(request, Role, role_pk, "iam:GetRole")
    try:
        rules.perform(request.user, services.unassign_role, role=role, user=subject)
    except ValidationError as error:
        return _section(request, subject, "identities/_user_roles.html", problems=problems_of(error))
    return _section(request, subject, "identities/_user_roles.html", done=f"{subject.username} no longer has {role}.")


@login_required
@require_POST
def user_tags(request, pk: int):
    subject = readable(request, User, pk, "iam:GetUser")
    rules.require(request.user, rules.required(services.set_user_tags, user=subject))
    form = forms.TagsForm(request.POST)
    if not form.is_valid():
        return _section(request, subject, "identities/_user_tags.html", problems=form.errors["tags"])
    change = {"user": subject, "tags": form.cleaned_data["tags"], "based_on": form.cleaned_data["based_on"]}
    try:
        rules.perform(request.user, services.set_user_tags, **change)
    except ValidationError as error:
        return _section(request, subject, "identities/_user_tags.html", problems=problems_of(error))
    return _section(request, subject, "identities/_user_tags.html", done="Tags saved.")


@login_required
@require_http_methods(["GET", "POST"])
def user_create(request):
    """One step, one transaction: the user with its password, groups, boundary and tags, every
    action of it asked before anything is created; a generated password is then shown once."""
    rules.require(request.user, rules.required(services.create_console_user))
    form = forms.UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        generated = passwords.generate_password() if form.wants_generated() else None
        fields = (
            *("username", "path", "tags", "is_active"),
            *("password_reset_required", "mfa_required", "groups", "boundary"),
        )
        change = {name: data[name] for name in fields} | {"password": generated or data["console_password"] or None}
        try:
            user = rules.perform(request.user, services.create_console_user, **change)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _created(user, data["groups"], data["boundary"]))
            return show_once(request, user, generated) if generated else redirect("identities:user-detail", pk=user.pk)
    return render(request, "identities/user_form.html", {"form": form})


def _created(user: User, groups: list[Group], boundary) -> str:
    told = [f"User {user.username} was created"]
    if groups:
        told.append(f"in {', '.join(group.group_name for group in groups)}")
    if boundary is not None:
        told.append(f"under the boundary {boundary}")
    return " ".join(told) + "."


@login_required
@require_http_methods(["GET", "POST"])
def user_edit(request, pk: int):
    subject = readable(request, User, pk, "iam:GetUser")
    rules.require(request.user, rules.required(services.update_user, user=subject))
    initial = {
        "username": subject.username,
        "path": subject.path,
        "is_active": subject.is_active,
        "mfa_required": subject.mfa_required,
        "contact_email": subject.contact_email,
    }
    form = forms.UserEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            _save_user(request, subject, form)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"User {subject.username} was saved.")
            return redirect("identities:user-detail", pk=subject.pk)
    return render(request, "identities/user_form.html", {"form": form, "subject": User.objects.get(pk=pk)})


@transaction.atomic
def _save_user(request, subject: User, form) -> None:
    """The name, path, status and contact address, and whether MFA is required (iam:UpdateUser
    both), saved together."""
    data = dict(form.cleaned_data)
    mfa_required = data.pop("mfa_required")
    rules.perform(request.user, services.update_user, user=subject, **data)
    if mfa_required != subject.mfa_required:
        rules.perform(request.user, services.set_mfa_required, user=subject, required=mfa_required)


@login_required
@require_http_methods(["GET", "POST"])
def user_delete(request, pk: int):
    subject = readable(request, User, pk, "iam:GetUser")
    return delete_page(
        request,
        services.delete_user,
        subject="user",
        arguments={"user": subject, "with_credentials_and_memberships": True, "with_policies": True},
        template="identities/user_delete.html",
        context={"subject": subject},
        listed_by=("identities:user-list", "iam:ListUsers"),
    )
