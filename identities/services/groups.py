"""Writes to groups and their memberships."""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.template.defaultfilters import pluralize
from django.utils import timezone

from identities.audit import record
from identities.models import Group, Membership, User, live_at
from identities.services._common import (
    apply_changes,
    blocking_attached,
    clean,
    dated,
    group_state,
    iso,
    refuse_deletion,
    refuse_unless_past,
    remove_attached,
)

# Groups


@transaction.atomic
def create_group(
    *,
    group_name: str,
    actor: User | None,
    path: str = "/",
    description: str = "",
    iam_id: str | None = None,
    created_at: datetime | None = None,
) -> Group:
    """`created_at`: the creation date another account's records give (an import's), never
    in the future; else now."""
    refuse_unless_past(created_at, what="creation date")
    group = Group(group_name=group_name, path=path, description=description)
    if iam_id:
        group.iam_id = iam_id
    if created_at is not None:
        group.created_at = created_at
    clean(group)
    group.save()
    record("CreateGroup", actor=actor, target=group, after=dated(group_state(group), created_at=created_at))
    return group


@transaction.atomic
def update_group(
    *,
    group: Group,
    actor: User | None,
    group_name: str | None = None,
    path: str | None = None,
    description: str | None = None,
) -> Group:
    before = group_state(group)
    apply_changes(group, {"group_name": group_name, "path": path, "description": description})
    clean(group)
    group.save()
    record("UpdateGroup", actor=actor, target=group, before=before, after=group_state(group))
    return group


@transaction.atomic
def delete_group(*, group: Group, actor: User | None, with_members: bool = False, with_policies: bool = False) -> None:
    """Delete a group. AWS refuses DeleteGroup while the group has members, attached managed
    policies or inline policies (DeleteConflict), and so does this, unless `with_members` and
    `with_policies` ask to remove them first, each with its own audit record, in this one
    transaction."""
    members = list(group.members.order_by("username"))
    in_the_way = []
    if members and not with_members:
        names = ", ".join(member.username for member in members[:10])
        in_the_way.append(f"{len(members)} member{pluralize(len(members))} ({names})")
    if not with_policies:
        in_the_way += blocking_attached(group)
    refuse_deletion(f"Group {group.group_name}", in_the_way)
    if members:
        remove_members(group=group, users=members, actor=actor)
    remove_attached(group, actor)
    record("DeleteGroup", actor=actor, target=group, before=group_state(group))
    group.delete()


def membership_problems(group: Group, users: list[User]) -> list[str]:
    """Why these users cannot join the group; only live memberships count, toward the quota
    as toward "already a member" (add_members removes an expired one first)."""
    limit = settings.IAM_MAX_GROUPS_PER_USER
    counts = dict(
        User.objects.filter(pk__in=[user.pk for user in users])
        .annotate(group_count=Count("memberships", filter=live_at(prefix="memberships__")))
        .values_list("pk", "group_count")
    )
    already = set(Membership.objects.live().filter(group=group, user__in=users).values_list("user_id", flat=True))
    problems = []
    for user in users:
        if user.is_superuser:
            problems.append(f"{user.username} is the account root user, who joins no group.")
        elif user.pk in already:
            problems.append(f"{user.username} is already a member of {group.group_name}.")
        elif counts.get(user.pk, 0) >= limit:
            problems.append(
                f"{user.username} is already in {limit} groups, the most a user may be in; remove them from one first."
            )
    return problems


def membership_state(membership: Membership) -> dict:
    """A membership as its audit records show it."""
    state = {"user": membership.user.arn, "group": membership.group.group_name}
    if membership.expires_at is not None:
        state["expires_at"] = iso(membership.expires_at)
    if membership.source != Membership.Source.MANUAL:
        state |= {"source": membership.source, "source_ref": membership.source_ref}
    return state


@transaction.atomic
def add_members(
    *,
    group: Group,
    users: Iterable[User],
    actor: User | None,
    expires_at: datetime | None = None,
    source: str = Membership.Source.MANUAL,
    source_ref: str = "",
) -> list[Membership]:
    """Add users to a group, until `expires_at` if given (in the future). `source` and
    `source_ref` say what made the memberships (an access request and its ID), so that
    its writer can find and remove them again (remove_members_made_by). A user whose
    earlier membership expired may join again: that row goes first, recorded as expired."""
    users = list(users)
    if any(not isinstance(user, User) for user in users):
        raise ValidationError("Groups contain users only, never groups.")
    users = list(User.objects.select_for_update().filter(pk__in=[user.pk for user in users]).order_by("username"))
    if not users:
        raise ValidationError("Choose at least one user to add.")
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise ValidationError("The expiry must be in the future.")
    if source not in Membership.Source.values:
        raise ValidationError(f"{source!r} is not a source of memberships.")
    problems = membership_problems(group, users)
    if problems:
        raise ValidationError(problems)
    expire_memberships(Membership.objects.expired(now).filter(group=group, user__in=users), actor=actor)
    made = [
        Membership(
            user=user,
            group=group,
            added_by=actor,
            added_at=now,
            expires_at=expires_at,
            source=source,
            source_ref=source_ref,
        )
        for user in users
    ]
    memberships = Membership.objects.bulk_create(made)
    for membership in memberships:
        record("AddUserToGroup", actor=actor, target=group, after=membership_state(membership))
    return memberships


@transaction.atomic
def remove_members(*, group: Group, users: Iterable[User], actor: User | None) -> None:
    users = list(users)
    memberships = Membership.objects.filter(group=group, user__in=users).select_related("user", "group")
    found = {membership.user_id for membership in memberships}
    missing = [user.username for user in users if user.pk not in found]
    if not users:
        raise ValidationError("Choose at least one member to remove.")
    if missing:
        raise ValidationError(f"Not a member of {group.group_name}: {', '.join(missing)}.")
    for membership in memberships:
        record("RemoveUserFromGroup", actor=actor, target=group, before=membership_state(membership))
    memberships.delete()


@transaction.atomic
def remove_members_made_by(
    *, source: str, source_ref: str, actor: User | None, group: Group | None = None, user: User | None = None
) -> list[Membership]:
    """Remove the memberships that `source` made under `source_ref` (of one group, of one
    user, if given), and no other: a writer takes back only what it added. Nothing to remove
    is not an error (the grant may have expired and been removed already)."""
    if source not in Membership.Source.values:
        raise ValidationError(f"{source!r} is not a source of memberships.")
    if not source_ref:
        raise ValidationError("Name what made the memberships (its reference) to remove them.")
    memberships = Membership.objects.filter(source=source, source_ref=source_ref)
    if group is not None:
        memberships = memberships.filter(group=group)
    if user is not None:
        memberships = memberships.filter(user=user)
    memberships = list(memberships.select_related("user", "group").order_by("group__group_name", "user__username"))
    for membership in memberships:
        record("RemoveUserFromGroup", actor=actor, target=membership.group, before=membership_state(membership))
    Membership.objects.filter(pk__in=[membership.pk for membership in memberships]).delete()
    return memberships


def expire_memberships(memberships, *, actor: User | None) -> list[Membership]:
    """Delete these (expired) memberships, each with its own record saying so; inside the
    caller's transaction."""
    memberships = list(memberships.select_related("user", "group").order_by("group__group_name", "user__username"))
    for membership in memberships:
        before = membership_state(membership)
        record("RemoveUserFromGroup", actor=actor, target=membership.group, before=before, after={"reason": "expired"})
    Membership.objects.filter(pk__in=[membership.pk for membership in memberships]).delete()
    return memberships
