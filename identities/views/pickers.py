"""Search-as-you-type for the user page's "Add to group" and "Assign role" pickers, as the
group page has for adding members: the names that match, offered in the input's datalist."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from identities import queries, rules, services
from identities.console import readable, require
from identities.models import User

TEMPLATE = "identities/_picker_choices.html"


def _offered(request, pk: int, kind: str, change, list_action: str, candidates, name: str):
    """The `kind`s `candidates` finds for the user, named, those the viewer may `change` it with."""
    subject = readable(request, User, pk, "iam:GetUser")
    rules.require(request.user, rules.required(change))
    require(request, list_action)
    find = request.GET.get("name", "").strip()
    found = [] if subject.is_superuser else candidates(subject, find)
    names = [getattr(item, name) for item in found if rules.allows(request.user, change, **{kind: item})]
    context = {"list_id": f"{kind}-choices", "kind": kind, "subject": subject, "find": find, "names": names}
    return render(request, TEMPLATE, context)


@login_required
@require_GET
def user_group_candidates(request, pk: int):
    """Up to 20 groups the user is not in whose name contains the text, those the viewer may add them to."""
    found = queries.group_candidates
    return _offered(request, pk, "group", services.add_members, "iam:ListGroups", found, "group_name")


@login_required
@require_GET
def user_role_candidates(request, pk: int):
    """Up to 20 roles not yet assigned to the user whose name contains the text, those the viewer may assign."""
    return _offered(request, pk, "role", services.assign_role, "iam:ListRoles", queries.role_candidates, "role_name")
