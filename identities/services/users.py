"""Writes to users and the account root user."""

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.module_loading import import_string
from django_otp.plugins.otp_totp.models import TOTPDevice

from identities import queries, staleness
from identities.audit import record
from identities.credentials import AccessKey
from identities.models import Group, Membership, RoleAssignment, User
from identities.services._common import (
    apply_changes,
    apply_password,
    blocking_attached,
    clean,
    dated,
    refuse_deletion,
    refuse_unless_past,
    refuse_unless_root_acts,
    remember_password,
    remove_attached,
    user_state,
)
from identities.services.credentials import delete_access_key, revoke_role_sessions
from identities.services.groups import add_members, remove_members
from identities.services.roles import unassign_role
from identities.services.signin import end_console_sessions, remove_mfa_device, set_mfa_required

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
    iam_id: str | None = None,
    password_reset_required: bool = False,
    created_at: datetime | None = None,
) -> User:
    """`password_reset_required`: the new password must be changed at the first sign-in
    (AWS's CreateLoginProfile with PasswordResetRequired). `created_at`: the creation date
    another account's records give (an import's), never in the future; else now."""
    if password_reset_required and not password:
        raise ValidationError("Only a user with a console password can be asked to choose a new one.")
    refuse_unless_past(created_at, what="creation date")
    user = User(username=username, path=path, tags=tags or {}, is_active=is_active)
    if iam_id:  # an imported account keeps AWS's unique IDs
        user.iam_id = iam_id
    if created_at is not None:
        user.created_at = created_at
    clean(user)
    apply_password(user, password)
    user.password_reset_required = password_reset_required
    user.save()
    remember_password(user)
    # "reset_required": the trail drops every key naming a password.
    after = dated(user_state(user), created_at=created_at)
    after |= {"reset_required": True} if password_reset_required else {}
    record("CreateUser", actor=actor, target=user, after=after)
    return user


@transaction.atomic
def create_root_user(*, username: str, password: str | None, actor: User | None, system_user: str = "") -> User:
    """The account's one root user. `system_user`: who ran the command that asked for it, when
    the server's operator did (`createsuperuser`), for the audit record."""
    existing = User.objects.filter(is_superuser=True).first()
    if existing is not None:
        raise ValidationError(
            f"The account already has its root user ({existing.username}); there is only one. "
            "Create an IAM administrator for daily work instead.",
            code="root_exists",
        )
    user = User(username=username, is_superuser=True)
    clean(user)
    apply_password(user, password)
    user.save()
    remember_password(user)
    after = user_state(user) | ({"system_user": system_user} if system_user else {})
    record("CreateAccountRootUser", actor=actor, target=user, after=after)
    return user


@transaction.atomic
def reset_root_user(*, password: str, system_user: str = "") -> User:
    """The server operator's way back into the account (the `reset_root_user` command): the
    root user's new password, to be changed at the next sign-in; its MFA device removed;
    its console sessions ended. No IAM policy reaches this: only the operator does."""
    root = User.objects.select_for_update().filter(is_superuser=True).first()
    if root is None:
        raise ValidationError("The account has no root user yet; create it with createsuperuser.")
    apply_password(root, password)
    root.password_reset_required = True
    root.session_generation = secrets.token_hex(16)
    root.save(update_fields=["password", "password_changed_at", "password_reset_required", "session_generation"])
    remember_password(root)
    removed_device = TOTPDevice.objects.filter(user=root).delete()[0] > 0
    after = {"mfa_device_removed": removed_device, "reset_required": True, "system_user": system_user}
    record("ResetAccountRootUser", actor=None, target=root, after=after)
    return root


@transaction.atomic
def update_user(
    *,
    user: User,
    actor: User | None,
    username: str | None = None,
    path: str | None = None,
    is_active: bool | None = None,
    contact_email: str | None = None,
) -> User:
    """Disabling a user also ends its console sessions (a new session generation) and
    revokes its live role sessions, for good: enabling it again revives none of them.
    `contact_email`: where notices go ("" for none); it identifies no one."""
    refuse_unless_root_acts(user, actor)
    before = user_state(user)
    disabling = user.is_active and is_active is False
    readdressed = contact_email is not None and contact_email != user.contact_email
    if readdressed:
        before["contact_email"] = user.contact_email
    apply_changes(user, {"username": username, "path": path, "is_active": is_active, "contact_email": contact_email})
    clean(user)
    if disabling:
        user.session_generation = secrets.token_hex(16)
    user.save()
    if disabling:
        revoke_role_sessions(user=user, actor=actor)
        end_console_sessions(user=user, actor=actor)
    after = user_state(user) | ({"contact_email": user.contact_email} if readdressed else {})
    record("UpdateUser", actor=actor, target=user, before=before, after=after)
    return user


USER_TAGS = "this user's set of tags"


def refuse_stale_tags(user: User, based_on: str | None) -> None:
    """Read the user again, its row locked until the transaction ends; StaleEdit if its
    tags are no longer those whose token is `based_on` (identities.staleness)."""
    user.refresh_from_db(from_queryset=User.objects.select_for_update())
    staleness.refuse_if_stale(based_on, staleness.token(user.tags), what=USER_TAGS)


@transaction.atomic
def set_user_tags(*, user: User, tags: dict[str, str], actor: User | None, based_on: str | None = None) -> User:
    """`based_on`: the token of the tags the form showed (identities.staleness)."""
    refuse_unless_root_acts(user, actor)
    refuse_stale_tags(user, based_on)
    before = {"tags": user.tags}
    user.tags = tags
    clean(user)
    user.save(update_fields=["tags"])
    record("TagUser", actor=actor, target=user, before=before, after={"tags": user.tags})
    return user


@transaction.atomic
def set_password(*, user: User, password: str | None, actor: User | None, reset_required: bool | None = None) -> User:
    """A new password (None: no console access) ends the user's console sessions: the session
    auth hash is made from the password. `reset_required`: whether they must choose another at
    their next sign-in (None leaves it as it is); their own change never requires one."""
    refuse_unless_root_acts(user, actor)
    had_password = user.has_usable_password()
    if reset_required and password is None:
        raise ValidationError("Only a user with a console password can be asked to choose a new one.")
    apply_password(user, password)
    own = actor is not None and actor.pk == user.pk
    if own or password is None:
        reset_required = False
    if reset_required is not None:
        user.password_reset_required = reset_required
    user.save(update_fields=["password", "password_changed_at", "password_reset_required"])
    remember_password(user)
    event = "ChangePassword" if own else ("UpdateLoginProfile" if had_password else "CreateLoginProfile")
    after = {"console_access": password is not None}
    if reset_required is not None:
        after["reset_required"] = reset_required
    record(event, actor=actor, target=user, before={"console_access": had_password}, after=after)
    if not own:  # the browsers are signed out by the new auth hash; their rows end with them
        end_console_sessions(user=user, actor=actor)
    return user


@transaction.atomic
def delete_user(
    *,
    user: User,
    actor: User | None,
    with_credentials_and_memberships: bool = False,
    with_policies: bool = False,
) -> None:
    """Delete a user. AWS refuses DeleteUser while the user has access keys, an MFA device,
    group memberships, role assignments, attached managed policies or inline policies
    (DeleteConflict), and so does this, unless `with_credentials_and_memberships` and
    `with_policies` ask to remove them first, each with its own audit record, in this one
    transaction. A permission boundary does not block it; it goes with its own record too."""
    if user.is_superuser:
        raise ValidationError("The account root user cannot be deleted.")
    in_the_way = [] if with_credentials_and_memberships else _own_obstacles(user)
    in_the_way += [] if with_policies else blocking_attached(user)
    refuse_deletion(user.username, in_the_way)
    _remove_what_blocks_deletion(user, actor)
    remove_attached(user, actor)
    record("DeleteUser", actor=actor, target=user, before=user_state(user))
    user.delete()


def _own_obstacles(user: User) -> list[str]:
    obstacles = queries.user_deletion_obstacles(user)
    blocking = [
        (obstacles.access_keys, "its access keys"),
        (obstacles.mfa_device, "its MFA device"),
        (obstacles.groups, "its group memberships"),
        (obstacles.roles, "its role assignments"),
    ]
    return [what for found, what in blocking if found]


def _remove_what_blocks_deletion(user: User, actor: User | None) -> None:
    for key in AccessKey.objects.filter(user=user).order_by("created_at"):
        delete_access_key(key=key, actor=actor)
    if TOTPDevice.objects.filter(user=user).exists():
        remove_mfa_device(user=user, actor=actor)
    for membership in Membership.objects.filter(user=user).select_related("group").order_by("group__group_name"):
        remove_members(group=membership.group, users=[user], actor=actor)
    for assignment in RoleAssignment.objects.filter(user=user).select_related("role").order_by("role__role_name"):
        unassign_role(role=assignment.role, user=user, actor=actor)


@transaction.atomic
def create_console_user(
    *,
    actor: User | None,
    groups: Iterable[Group] = (),
    boundary: Any = None,
    mfa_required: bool = False,
    **fields: Any,
) -> User:
    """A user created in the console (its pages or the admin): created, then given what the
    account gives every new console user, through the hooks named in IAM_NEW_USER_HOOKS
    (policies attaches the self-service policy there), in the same transaction.

    `mfa_required`: they must sign in with MFA (an UpdateUser record, as set_mfa_required writes).
    `groups`: added to each, one AddUserToGroup record a group. `boundary`: a managed policy
    of the policies app, set by IAM_SET_PERMISSIONS_BOUNDARY (identities does not know policies).
    Any refusal (a group's quota, the password policy) leaves nothing created.

    Imports and management commands call create_user, which runs no hook: they create
    exactly what they are told."""
    user = create_user(actor=actor, **fields)
    if mfa_required:
        set_mfa_required(user=user, required=True, actor=actor)
    for group in sorted(groups, key=lambda group: group.group_name.lower()):
        add_members(group=group, users=[user], actor=actor)
    if boundary is not None:
        import_string(settings.IAM_SET_PERMISSIONS_BOUNDARY)(identity=user, policy=boundary, actor=actor)
    for hook in settings.IAM_NEW_USER_HOOKS:
        import_string(hook)(user=user, actor=actor)
    return user
