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
from identities.models import Group, Membership, User
from identities.services._common import (
    apply_changes,
    blocking_attached,
    clean,
    dated,
    group_state,
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
    limit = settings.IAM_MAX_GROUPS_PER_USER
    counts = dict(
        User.objects.filter(pk__in=[user.pk for user in users])
        .annotate(group_count=Count("memberships"))
        .values_list("pk", "group_count")
    )
    already = set(Membership.objects.filter(group=group, user__in=users).values_list("user_id", flat=True))
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


@transaction.atomic
def add_members(*, group: Group, users: Iterable[User], actor: User | None) -> list[Membership]:
    users = list(users)
    if any(not isinstance(user, User) for user in users):
        raise ValidationError("Groups contain users only, never groups.")
    users = list(User.objects.select_for_update().filter(pk__in=[user.pk for user in users]).order_by("username"))
    if not users:
        raise ValidationError("Choose at least one user to add.")
    problems = membership_problems(group, users)
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    memberships = Membership.objects.bulk_create(
        [Membership(user=user, group=group, added_by=actor, added_at=now) for user in users]
    )
    for user in users:
        record("AddUserToGroup", actor=actor, target=group, after={"user": user.arn, "group": group.group_name})
    return memberships


@transaction.atomic
def remove_members(*, group: Group, users: Iterable[User], actor: User | None) -> None:
    users = list(users)
    memberships = Membership.objects.filter(group=group, user__in=users).select_related("user")
    found = {membership.user_id for membership in memberships}
    missing = [user.username for user in users if user.pk not in found]
    if not users:
        raise ValidationError("Choose at least one member to remove.")
    if missing:
        raise ValidationError(f"Not a member of {group.group_name}: {', '.join(missing)}.")
    for membership in memberships:
        record(
            "RemoveUserFromGroup",
            actor=actor,
            target=group,
            before={"user": membership.user.arn, "group": group.group_name},
        )
    memberships.delete()
