"""Every write to identities: atomic, validated, and recorded in the audit trail.

Each function is keyword-only and takes the acting user (`actor`, None for
the system itself, such as a management command). A refused change raises
ValidationError with a message for a person and leaves the database as it was.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from identities.audit import record
from identities.context import current_context
from identities.models import Group, Membership, PermissionsGeneration, Role, RoleAssignment, User


def bump_permissions_generation() -> None:
    """Invalidate every cached policy set; call inside the changing transaction."""
    context = current_context()
    if context is not None:
        context.decisions.clear()
    if not PermissionsGeneration.objects.filter(pk=1).update(value=F("value") + 1):
        PermissionsGeneration.objects.create(pk=1, value=1)


def permissions_generation() -> int:
    return PermissionsGeneration.objects.filter(pk=1).values_list("value", flat=True).first() or 0


def _user_state(user: User) -> dict[str, Any]:
    return {"username": user.username, "path": user.path, "tags": user.tags, "enabled": user.is_active}


def _group_state(group: Group) -> dict[str, Any]:
    return {"group_name": group.group_name, "path": group.path, "description": group.description}


def _role_state(role: Role) -> dict[str, Any]:
    return {
        "role_name": role.role_name,
        "path": role.path,
        "description": role.description,
        "max_session_duration": role.max_session_duration,
        "tags": role.tags,
    }


def _clean(instance) -> None:
    instance.full_clean(exclude=["password"] if isinstance(instance, User) else None)


def _apply(instance, changes: dict[str, Any]) -> None:
    for field, value in changes.items():
        if value is not None:
            setattr(instance, field, value)


def _set_password(user: User, password: str | None) -> None:
    if password is None:
        user.set_unusable_password()
        return
    password_validation.validate_password(password, user)
    user.set_password(password)


# Users


@transaction.atomic
def create_user(
    *,
    username: str,
    actor: User | None,
    path: str = "/",
    tags: dict[str, str] | None = None,
    password: str | None = None,
    is_active: bool = True,
) -> User:
    user = User(username=username, path=path, tags=tags or {}, is_active=is_active)
    _clean(user)
    _set_password(user, password)
    user.save()
    record("CreateUser", actor=actor, target=user, after=_user_state(user))
    return user


@transaction.atomic
def create_root_user(*, username: str, password: str | None, actor: User | None) -> User:
    existing = User.objects.filter(is_superuser=True).first()
    if existing is not None:
        raise ValidationError(
            f"The account already has its root user ({existing.username}); there is only one. "
            "Create an IAM administrator for daily work instead."
        )
    user = User(username=username, is_superuser=True)
    _clean(user)
    _set_password(user, password)
    user.save()
    record("CreateAccountRootUser", actor=actor, target=user, after=_user_state(user))
    return user


@transaction.atomic
def update_user(
    *,
    user: User,
    actor: User | None,
    username: str | None = None,
    path: str | None = None,
    is_active: bool | None = None,
) -> User:
    before = _user_state(user)
    _apply(user, {"username": username, "path": path, "is_active": is_active})
    _clean(user)
    user.save()
    bump_permissions_generation()
    record("UpdateUser", actor=actor, target=user, before=before, after=_user_state(user))
    return user


@transaction.atomic
def set_user_tags(*, user: User, tags: dict[str, str], actor: User | None) -> User:
    before = {"tags": user.tags}
    user.tags = tags
    _clean(user)
    user.save(update_fields=["tags"])
    bump_permissions_generation()
    record("TagUser", actor=actor, target=user, before=before, after={"tags": user.tags})
    return user


@transaction.atomic
def set_password(*, user: User, password: str | None, actor: User | None) -> User:
    had_password = user.has_usable_password()
    _set_password(user, password)
    user.save(update_fields=["password"])
    event = "ChangePassword" if actor is not None and actor.pk == user.pk else "UpdateLoginProfile"
    record(
        event,
        actor=actor,
        target=user,
        before={"console_access": had_password},
        after={"console_access": password is not None},
    )
    return user


@transaction.atomic
def delete_user(*, user: User, actor: User | None) -> None:
    if user.is_superuser:
        raise ValidationError("The account root user cannot be deleted.")
    before = _user_state(user) | {
        "groups": sorted(user.iam_groups.values_list("group_name", flat=True)),
        "roles": sorted(user.assigned_roles.values_list("role_name", flat=True)),
    }
    bump_permissions_generation()
    record("DeleteUser", actor=actor, target=user, before=before)
    user.delete()


# Groups


@transaction.atomic
def create_group(*, group_name: str, actor: User | None, path: str = "/", description: str = "") -> Group:
    group = Group(group_name=group_name, path=path, description=description)
    _clean(group)
    group.save()
    record("CreateGroup", actor=actor, target=group, after=_group_state(group))
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
    before = _group_state(group)
    _apply(group, {"group_name": group_name, "path": path, "description": description})
    _clean(group)
    group.save()
    bump_permissions_generation()
    record("UpdateGroup", actor=actor, target=group, before=before, after=_group_state(group))
    return group


@transaction.atomic
def delete_group(*, group: Group, actor: User | None, with_members: bool = False) -> None:
    members = list(group.members.order_by("username"))
    if members and not with_members:
        names = ", ".join(member.username for member in members[:10])
        raise ValidationError(
            f"Group {group.group_name} still has {len(members)} member(s) ({names}); "
            "remove them before deleting the group."
        )
    if members:
        remove_members(group=group, users=members, actor=actor)
    bump_permissions_generation()
    record("DeleteGroup", actor=actor, target=group, before=_group_state(group))
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
    bump_permissions_generation()
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
    bump_permissions_generation()
    for membership in memberships:
        record(
            "RemoveUserFromGroup",
            actor=actor,
            target=group,
            before={"user": membership.user.arn, "group": group.group_name},
        )
    memberships.delete()


# Roles


@transaction.atomic
def create_role(
    *,
    role_name: str,
    actor: User | None,
    path: str = "/",
    description: str = "",
    trust_policy: dict | None = None,
    max_session_duration: int = 3600,
    tags: dict[str, str] | None = None,
) -> Role:
    role = Role(
        role_name=role_name,
        path=path,
        description=description,
        trust_policy=trust_policy or {},
        max_session_duration=max_session_duration,
        tags=tags or {},
    )
    _clean(role)
    role.save()
    record("CreateRole", actor=actor, target=role, after=_role_state(role) | {"trust_policy": role.trust_policy})
    return role


@transaction.atomic
def update_role(
    *,
    role: Role,
    actor: User | None,
    role_name: str | None = None,
    path: str | None = None,
    description: str | None = None,
    max_session_duration: int | None = None,
    tags: dict[str, str] | None = None,
) -> Role:
    before = _role_state(role)
    changes = {
        "role_name": role_name,
        "path": path,
        "description": description,
        "max_session_duration": max_session_duration,
        "tags": tags,
    }
    _apply(role, changes)
    _clean(role)
    role.save()
    bump_permissions_generation()
    record("UpdateRole", actor=actor, target=role, before=before, after=_role_state(role))
    return role


@transaction.atomic
def update_trust_policy(*, role: Role, trust_policy: dict, actor: User | None) -> Role:
    before = {"trust_policy": role.trust_policy}
    role.trust_policy = trust_policy
    _clean(role)
    role.save(update_fields=["trust_policy"])
    bump_permissions_generation()
    record("UpdateAssumeRolePolicy", actor=actor, target=role, before=before, after={"trust_policy": trust_policy})
    return role


@transaction.atomic
def delete_role(*, role: Role, actor: User | None) -> None:
    before = _role_state(role) | {
        "assignees": sorted(role.assignees.values_list("username", flat=True)),
    }
    bump_permissions_generation()
    record("DeleteRole", actor=actor, target=role, before=before)
    role.delete()


@transaction.atomic
def assign_role(*, role: Role, user: User, actor: User | None, expires_at: datetime | None = None) -> RoleAssignment:
    if user.is_superuser:
        raise ValidationError("The account root user takes no role assignment.")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError("The expiry must be in the future.")
    if RoleAssignment.objects.filter(role=role, user=user).exists():
        raise ValidationError(f"{user.username} is already assigned {role.role_name}.")
    assignment = RoleAssignment.objects.create(role=role, user=user, granted_by=actor, expires_at=expires_at)
    bump_permissions_generation()
    record(
        "AssignRole",
        actor=actor,
        target=role,
        after={"user": user.arn, "role": role.role_name, "expires_at": _iso(expires_at)},
    )
    return assignment


@transaction.atomic
def unassign_role(*, role: Role, user: User, actor: User | None) -> None:
    assignment = RoleAssignment.objects.filter(role=role, user=user).first()
    if assignment is None:
        raise ValidationError(f"{user.username} is not assigned {role.role_name}.")
    bump_permissions_generation()
    record(
        "UnassignRole",
        actor=actor,
        target=role,
        before={"user": user.arn, "role": role.role_name, "expires_at": _iso(assignment.expires_at)},
    )
    assignment.delete()


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
