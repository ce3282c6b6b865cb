"""Every write to identities: atomic, validated, and recorded in the audit trail.

Each function is keyword-only and takes the acting user (`actor`, None for
the system itself, such as a management command). A refused change raises
ValidationError with a message for a person and leaves the database as it was.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from identities import credentials, mfa
from identities.audit import AuditEvent, record
from identities.context import current_context
from identities.credentials import AccessKey, RoleSession
from identities.models import Group, Membership, PermissionsGeneration, Role, RoleAssignment, User
from identities.passwords import PasswordHistory, PasswordPolicy


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
    user.password_changed_at = timezone.now()


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
) -> User:
    user = User(username=username, path=path, tags=tags or {}, is_active=is_active)
    if iam_id:  # an imported account keeps AWS's unique IDs
        user.iam_id = iam_id
    _clean(user)
    _set_password(user, password)
    user.save()
    _remember_password(user)
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
    _remember_password(user)
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
    own = actor is not None and actor.pk == user.pk
    if own:
        user.password_reset_required = False
    user.save(update_fields=["password", "password_changed_at", "password_reset_required"])
    _remember_password(user)
    event = "ChangePassword" if own else "UpdateLoginProfile"
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
def create_group(
    *, group_name: str, actor: User | None, path: str = "/", description: str = "", iam_id: str | None = None
) -> Group:
    group = Group(group_name=group_name, path=path, description=description)
    if iam_id:
        group.iam_id = iam_id
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
    iam_id: str | None = None,
) -> Role:
    role = Role(
        role_name=role_name,
        path=path,
        description=description,
        trust_policy=trust_policy or {},
        max_session_duration=max_session_duration,
        tags=tags or {},
    )
    if iam_id:
        role.iam_id = iam_id
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


# Credentials: access keys and role sessions


def _key_state(key: AccessKey) -> dict[str, Any]:
    return {"access_key_id": key.key_id, "status": key.status}


@transaction.atomic
def create_access_key(*, user: User, actor: User | None) -> tuple[AccessKey, str]:
    """A new active key; the secret is returned once and only its hash is kept."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    limit = settings.IAM_MAX_ACCESS_KEYS
    if AccessKey.objects.filter(user=user).count() >= limit:
        raise ValidationError(
            f"{user.username} already has {limit} access keys, the most allowed. "
            "Deactivate and delete one before creating another (rotate: create, switch, delete)."
        )
    secret = credentials.new_secret()
    key = AccessKey.objects.create(
        user=user, key_id=credentials.new_key_id("AKIA"), secret_hash=credentials.digest(secret)
    )
    record("CreateAccessKey", actor=actor, target=user, after=_key_state(key))
    return key, secret


@transaction.atomic
def update_access_key(*, key: AccessKey, status: str, actor: User | None) -> AccessKey:
    if status not in AccessKey.Status.values:
        raise ValidationError(f"An access key is Active or Inactive, not {status!r}.")
    before = _key_state(key)
    key.status = status
    key.save(update_fields=["status"])
    record("UpdateAccessKey", actor=actor, target=key.user, before=before, after=_key_state(key))
    return key


@transaction.atomic
def delete_access_key(*, key: AccessKey, actor: User | None) -> None:
    record("DeleteAccessKey", actor=actor, target=key.user, before=_key_state(key))
    key.delete()


def note_key_use(*, key: AccessKey, service: str, at: datetime | None = None) -> None:
    """Last-used time and service, written at most once a minute per key (usage, not a change: no audit)."""
    moment = at or timezone.now()
    interval = timedelta(seconds=settings.IAM_KEY_LAST_USED_INTERVAL)
    if key.last_used_at is not None and moment - key.last_used_at < interval:
        return
    AccessKey.objects.filter(pk=key.pk).update(last_used_at=moment, last_used_service=service)
    key.last_used_at, key.last_used_service = moment, service


@transaction.atomic
def start_role_session(
    *,
    role: Role,
    user: User,
    session_name: str,
    duration: int,
    source: str,
    session_policy: dict | None = None,
    actor: User | None,
) -> tuple[RoleSession, str, str]:
    """Temporary credentials for a role; the caller has already decided sts:AssumeRole.

    Returns the session and, for the API, its secret and token (shown once)."""
    minimum = settings.IAM_ROLE_SESSION_MIN_DURATION
    if not minimum <= duration <= role.max_session_duration:
        raise ValidationError(
            f"A session of {role.role_name} lasts {minimum} to {role.max_session_duration} seconds; "
            f"{duration} was asked for."
        )
    credentials.validate_session_name(session_name)
    secret, token = credentials.new_secret(), credentials.new_secret() + credentials.new_secret()
    session = RoleSession.objects.create(
        role=role,
        user=user,
        session_name=session_name,
        source=source,
        key_id=credentials.new_key_id("ASIA"),
        secret_hash=credentials.digest(secret),
        token_hash=credentials.digest(token),
        session_policy=session_policy,
        expires_at=timezone.now() + timedelta(seconds=duration),
    )
    event = "SwitchRole" if source == RoleSession.Source.CONSOLE else "AssumeRole"
    record(
        event,
        actor=actor,
        target=role,
        after={"session": session.arn, "expires_at": session.expires_at.isoformat(), "source": source},
    )
    return session, secret, token


@transaction.atomic
def end_role_session(*, session: RoleSession, actor: User | None) -> None:
    """The user switches back, or the session is revoked."""
    if session.revoked_at is not None:
        return
    session.revoked_at = timezone.now()
    session.save(update_fields=["revoked_at"])
    record("EndRoleSession", actor=actor, target=session.role, before={"session": session.arn})


@transaction.atomic
def revoke_role_sessions(*, actor: User | None, user: User | None = None, role: Role | None = None) -> int:
    """Revoke every live session of a user, or of a role; returns how many."""
    if (user is None) == (role is None):
        raise ValueError("Name a user or a role whose sessions to revoke.")
    now = timezone.now()
    live = RoleSession.objects.filter(revoked_at__isnull=True, expires_at__gt=now)
    live = live.filter(user=user) if user is not None else live.filter(role=role)
    count = live.update(revoked_at=now)
    target = user if user is not None else role
    record("RevokeRoleSessions", actor=actor, target=target, after={"revoked": count})
    return count


# Sign-in: the password policy, password history, MFA devices and console sign-ins

# The most a policy can ask not to reuse (AWS's limit); older hashes are dropped.
PASSWORD_HISTORY_KEPT = 24
HIDDEN_USER_NAME = "HIDDEN_DUE_TO_SECURITY_REASONS"


def _remember_password(user: User) -> None:
    """Keep the new password's hash (never the password) for the reuse check."""
    if not user.has_usable_password():
        return
    PasswordHistory.objects.create(user=user, password=user.password, set_at=user.password_changed_at)
    stale = list(PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[PASSWORD_HISTORY_KEPT:])
    PasswordHistory.objects.filter(pk__in=stale).delete()


def _policy_state(policy: PasswordPolicy) -> dict[str, Any]:
    # The trail drops every key naming a password, so this one is recorded under another name.
    state = {field.name: getattr(policy, field.name) for field in PasswordPolicy._meta.concrete_fields}
    state["allow_users_to_change"] = state.pop("allow_users_to_change_password")
    del state["id"]
    return state


def _policy_fields() -> set[str]:
    return {field.name for field in PasswordPolicy._meta.concrete_fields} - {"id"}


@transaction.atomic
def update_password_policy(*, actor: User | None, **fields: Any) -> PasswordPolicy:
    policy = PasswordPolicy.objects.select_for_update().filter(pk=1).first() or PasswordPolicy(pk=1)
    before = _policy_state(policy)
    unknown = sorted(set(fields) - _policy_fields())
    if unknown:
        raise ValidationError(f"The password policy has no setting named {', '.join(unknown)}.")
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.full_clean()
    policy.save()
    record("UpdateAccountPasswordPolicy", actor=actor, before=before, after=_policy_state(policy))
    return policy


@transaction.atomic
def require_password_reset(*, user: User, actor: User | None, required: bool = True) -> User:
    if required and not user.has_usable_password():
        raise ValidationError(f"{user.username} has no console password to reset.")
    # "reset_required": the trail drops every key naming a password.
    before = {"reset_required": user.password_reset_required}
    user.password_reset_required = required
    user.save(update_fields=["password_reset_required"])
    record("UpdateLoginProfile", actor=actor, target=user, before=before, after={"reset_required": required})
    return user


@transaction.atomic
def set_mfa_required(*, user: User, required: bool, actor: User | None) -> User:
    before = {"mfa_required": user.mfa_required}
    user.mfa_required = required
    user.save(update_fields=["mfa_required"])
    record("UpdateUser", actor=actor, target=user, before=before, after={"mfa_required": required})
    return user


@transaction.atomic
def create_virtual_mfa_device(*, user: User, actor: User | None):
    """A new secret for the user's authenticator app; it counts only once enabled with a code."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    if mfa.confirmed_device(user) is not None:
        raise ValidationError(f"{user.username} already has an MFA device; remove it before setting up another.")
    mfa.TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = mfa.TOTPDevice.objects.create(user=user, name=mfa.DEVICE_NAME, confirmed=False)
    arn = mfa.mfa_arn(user)
    record("CreateVirtualMFADevice", actor=actor, target=user, target_arn=arn, after={"serial_number": arn})
    return device


@transaction.atomic
def enable_mfa_device(*, device, code: str, actor: User | None):
    if device.confirmed:
        raise ValidationError("This MFA device is already enabled.")
    if not device.verify_token(code):
        raise ValidationError("That code is not right. Enter the code your app shows now.")
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    arn = mfa.mfa_arn(device.user)
    record("EnableMFADevice", actor=actor, target=device.user, target_arn=arn, after={"serial_number": arn})
    return device


@transaction.atomic
def remove_mfa_device(*, user: User, actor: User | None) -> None:
    devices = mfa.TOTPDevice.objects.filter(user=user)
    if not devices.exists():
        raise ValidationError(f"{user.username} has no MFA device.")
    arn = mfa.mfa_arn(user)
    record("DeactivateMFADevice", actor=actor, target=user, target_arn=arn, before={"serial_number": arn})
    devices.delete()


@transaction.atomic
def verify_sign_in_code(*, user: User, code: str) -> bool:
    """Check a sign-in's MFA code. A wrong code is not a refused change but a
    counted failure: django-otp's throttle and the audit record both stay."""
    device = mfa.confirmed_device(user)
    verified = device is not None and device.verify_token(code)
    if not verified:
        record_console_login(user=user, outcome=AuditEvent.Outcome.FAILURE, mfa_used=True, reason="Wrong MFA code")
    return verified


@transaction.atomic
def record_console_login(
    *, outcome: str, user: User | None = None, username: str = "", mfa_used: bool = False, reason: str = ""
) -> AuditEvent:
    """ConsoleLogin, as AWS records it: the user when the name is known, never a password,
    and no name at all when unknown (it may be a password typed in the wrong box)."""
    if user is None and username:
        user = User.objects.filter(username__iexact=username).first()
    after: dict[str, Any] = {"mfa_used": mfa_used}
    if reason:
        after["reason"] = reason
    if user is None:
        after["user_name"] = HIDDEN_USER_NAME
    return record("ConsoleLogin", actor=user, target=user, outcome=outcome, after=after)
