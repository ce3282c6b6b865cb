"""Console pages of groups: the list with member counts, a group's page with
its members (search-as-you-type to add many, remove many after confirming),
and create, edit and delete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from identities import forms, queries, rules, services
from identities.console import (
    adds_self,
    answer,
    ask,
    confirmed,
    delete_page,
    history,
    mark_openable,
    page_of,
    perform_previewed,
    preview_field,
    problems_of,
    question,
    readable,
    require,
)
from identities.models import Group
from identities.templatetags.console_tags import when


@login_required
@require_GET
def group_list(request):
    require(request, "iam:ListGroups")
    search, sort = request.GET.get("q", "").strip(), request.GET.get("sort", "name")
    page = page_of(request, queries.groups_matching(search, sort))
    queries.annotate_group_rows(page.object_list)
    mark_openable(request, page.object_list, "iam:GetGroup")
    context = {
        "page": page,
        "search": search,
        "sort": sort,
        "may_create": rules.allows(request.user, services.create_group),
    }
    return render(request, "identities/group_list.html", context)


def _group_context(request, group: Group) -> dict:
    search = request.GET.get("q", "").strip()
    find = request.GET.get("find", "").strip()
    actor = request.user
    allowed = {
        "AddUserToGroup": rules.allows(actor, services.add_members, group=group),
        "RemoveUserFromGroup": rules.allows(actor, services.remove_members, group=group),
        "UpdateGroup": rules.allows(actor, services.update_group, group=group),
        "DeleteGroup": rules.allows(actor, services.delete_group, group=group),
    }
    allowed["search_users"] = allowed["AddUserToGroup"] and request.user.has_perm("iam:ListUsers")
    candidates = queries.member_candidates(group, find) if find and allowed["search_users"] else []
    page = page_of(request, queries.group_members(group, search))
    mark_openable(request, page.object_list, "iam:GetUser", of=lambda membership: membership.user)
    return {
        "group": group,
        "page": page,
        "search": search,
        "find": find,
        "candidates": candidates,
        "candidate_limit": queries.CANDIDATE_LIMIT,
        "allowed": allowed,
    }


@login_required
@require_GET
def group_detail(request, pk: int):
    group = readable(request, Group, pk, "iam:GetGroup")
    context = _group_context(request, group) | history(request, group)
    return render(request, "identities/group_detail.html", context)


@login_required
@require_GET
def group_member_candidates(request, pk: int):
    """Search-as-you-type: at most 20 users not in the group whose name contains the text."""
    group = readable(request, Group, pk, "iam:GetGroup")
    rules.require(request.user, rules.required(services.add_members, group=group))
    require(request, "iam:ListUsers")
    find = request.GET.get("find", "").strip()
    context = {"group": group, "find": find, "candidates": queries.member_candidates(group, find)}
    return render(request, "identities/_member_candidates.html", context | {"candidate_limit": queries.CANDIDATE_LIMIT})


@login_required
@require_POST
def group_members_add(request, pk: int):
    group = readable(request, Group, pk, "iam:GetGroup")
    rules.require(request.user, rules.required(services.add_members, group=group))
    form = forms.AddMembersForm(request.POST)
    url = reverse("identities:group-detail", args=[group.pk])
    template = "identities/_group_members.html"
    if not form.is_valid():
        return answer(
            request,
            template=template,
            context=_group_context(request, group),
            url=url,
            about=group,
            problems=[message for field_messages in form.errors.values() for message in field_messages],
        )
    users, expires_at = form.cleaned_data["users"], form.cleaned_data["expires_at"]
    yourself = adds_self(request, users)
    if yourself and not confirmed(request):
        asked = question(request, **self_addition(group), section="group-members", cancel=url)
        context = _group_context(request, group) | {"question": asked}
        return ask(request, template=template, page="identities/group_detail.html", context=context, obj=group)
    try:
        rules.perform(request.user, services.add_members, group=group, users=users, expires_at=expires_at)
    except ValidationError as error:
        return answer(
            request,
            template=template,
            context=_group_context(request, group),
            url=url,
            about=group,
            problems=problems_of(error),
        )
    done = f"Added to {group.group_name}: {', '.join(user.username for user in users)}"
    done += f", until {when(expires_at)}." if expires_at else "."
    done += f" {SELF_ADDED.format(group=group.group_name)}" if yourself else ""
    return answer(request, template=template, context=_group_context(request, group), url=url, about=group, done=done)


# A delegated administrator who manages a group's members may add themself (as in AWS): told first, and after.
SELF_ADDED = "You added yourself: you now have the permissions of {group}."


def self_addition(group: Group) -> dict:
    """The question asked before the signed-in user adds themself to `group`."""
    return {
        "text": f"You are adding yourself to {group.group_name}. Your policies allow it, but you would then have "
        f"every permission {group.group_name} gives, on top of your own. Confirm to add yourself.",
        "button": f"Add myself to {group.group_name}",
    }


@login_required
@require_POST
def group_members_remove(request, pk: int):
    """The first POST asks for confirmation; the second, with `confirm`, removes."""
    group = readable(request, Group, pk, "iam:GetGroup")
    rules.require(request.user, rules.required(services.remove_members, group=group))
    form = forms.UsersByNameForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["users"]))
        return redirect("identities:group-detail", pk=group.pk)
    users = form.cleaned_data["users"]
    if request.POST.get("confirm") != "yes":
        described = {"change": "remove-members", "group": group.arn, "users": [user.arn for user in users]}
        context = {"group": group, "users": users, "preview_change": preview_field(described)}
        return render(request, "identities/group_members_remove.html", context)
    try:
        perform_previewed(request, services.remove_members, group=group, users=users)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Removed from {group.group_name}: {', '.join(user.username for user in users)}.")
    return redirect("identities:group-detail", pk=group.pk)


@login_required
@require_http_methods(["GET", "POST"])
def group_create(request):
    rules.require(request.user, rules.required(services.create_group))
    form = forms.GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = rules.perform(request.user, services.create_group, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Group {group.group_name} was created.")
            return redirect("identities:group-detail", pk=group.pk)
    return render(request, "identities/group_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def group_edit(request, pk: int):
    group = readable(request, Group, pk, "iam:GetGroup")
    rules.require(request.user, rules.required(services.update_group, group=group))
    initial = {"group_name": group.group_name, "path": group.path, "description": group.description}
    form = forms.GroupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            rules.perform(request.user, services.update_group, group=group, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Group {group.group_name} was saved.")
            return redirect("identities:group-detail", pk=group.pk)
    return render(request, "identities/group_form.html", {"form": form, "group": Group.objects.get(pk=pk)})


@login_required
@require_http_methods(["GET", "POST"])
def group_delete(request, pk: int):
    group = readable(request, Group, pk, "iam:GetGroup")
    return delete_page(
        request,
        services.delete_group,
        subject="group",
        arguments={"group": group, "with_members": True, "with_policies": True},
        template="identities/group_delete.html",
        context={"group": group},
        listed_by=("identities:group-list", "iam:ListGroups"),
    )
