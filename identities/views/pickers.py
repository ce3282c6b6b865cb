"""Search-as-you-type for the user page's "Add to group" and "Assign role" pickers, as the
group page has for adding members: the names that match, offered in the input's datalist."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from identities import queries, rules, services
from identities.console import readable, require
from identities.models import User

TEMPLATE = "identities/_picker_choices.html"


@login_required
@require_GET
def user_group_candidates(request, pk: int):
    """Up to 20 groups the user is not in whose name contains the text, those the viewer may add them to."""
    subject = readable(request, User, pk, "iam:GetUser")
    rules.require(request.user, rules.required(services.add_members))
    require(request, "iam:ListGroups")
    find = request.GET.get("name", "").strip()
    groups = [] if subject.is_superuser else queries.group_candidates(subject, find)
    names = [group.group_name for group in groups if rules.allows(request.user, services.add_members, group=group)]
    context = {"list_id": "group-choices", "kind": "group", "subject": subject, "find": find, "names": names}
    return render(request, TEMPLATE, context)


@login_required
@require_GET
def user_role_candidates(request, pk: int):
    """Up to 20 roles not yet assigned to the user whose name contains the text, those the viewer may assign."""
    subject = readable(request, User, pk, "iam:GetUser")
    rules.require(request.user, rules.required(services.assign_role))
    require(request, "iam:ListRoles")
    find = request.GET.get("name", "").strip()
    roles = [] if subject.is_superuser else queries.role_candidates(subject, find)
    names = [role.role_name for role in roles if rules.allows(request.user, services.assign_role, role=role)]
    context = {"list_id": "role-choices", "kind": "role", "subject": subject, "find": find, "names": names}
    return render(request, TEMPLATE, context)
