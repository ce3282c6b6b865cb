"""Writes of sign-in: the password policy and history, MFA devices, console sign-ins."""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from identities import mfa, naming
from identities.audit import AuditEvent, record
from identities.credentials import USER_AGENT_MAX_LENGTH, ConsoleSession
from identities.models import User
from identities.passwords import PasswordPolicy
from identities.services._common import refuse_unless_root_acts

# Sign-in: the password policy, password history, MFA devices and console sign-ins

HIDDEN_USER_NAME = "HIDDEN_DUE_TO_SECURITY_REASONS"


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
    refuse_unless_root_acts(user, actor)
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
    refuse_unless_root_acts(user, actor)
    before = {"mfa_required": user.mfa_required}
    user.mfa_required = required
    user.save(update_fields=["mfa_required"])
    record("UpdateUser", actor=actor, target=user, before=before, after={"mfa_required": required})
    return user


@transaction.atomic
def create_virtual_mfa_device(*, user: User, actor: User | None):
    """A new secret for the user's authenticator app; it counts only once enabled with a code."""
    refuse_unless_root_acts(user, actor)
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
    refuse_unless_root_acts(device.user, actor)
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
    refuse_unless_root_acts(user, actor)
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
    key = naming.sign_in_key(username)
    if user is None and key:
        user = User.objects.filter(username__lower=key).first()
    after: dict[str, Any] = {"mfa_used": mfa_used}
    if reason:
        after["reason"] = reason
    if user is None:
        after["user_name"] = HIDDEN_USER_NAME
    return record("ConsoleLogin", actor=user, target=user, outcome=outcome, after=after)


# Console sessions: one row per signed-in browser, so that each can be seen and ended


def _console_session_state(session: ConsoleSession) -> dict[str, Any]:
    return {
        "console_session": session.pk,
        "started_at": session.started_at.isoformat(),
        "source_ip": session.source_ip,
    }


@transaction.atomic
def start_console_session(
    *, user: User, mfa_used: bool, source_ip: str | None = None, user_agent: str = ""
) -> ConsoleSession:
    """A signed-in browser's row, with its ConsoleLogin record in the same transaction."""
    session = ConsoleSession.objects.create(
        user=user, mfa_used=mfa_used, source_ip=source_ip, user_agent=user_agent[:USER_AGENT_MAX_LENGTH]
    )
    record_console_login(user=user, outcome=AuditEvent.Outcome.SUCCESS, mfa_used=mfa_used)
    return session


def note_console_session_use(*, session_id: int, at: datetime) -> None:
    """The last time a browser was seen (usage, not a change: no audit); the caller writes it at
    most once a minute."""
    ConsoleSession.objects.filter(pk=session_id, ended_at__isnull=True).update(last_seen_at=at)


@transaction.atomic
def end_console_session(*, session: ConsoleSession, actor: User | None, reason: str = "revoked") -> ConsoleSession:
    """Sign-out, or revocation: the browser is signed out at its next request (identities.signin)."""
    refuse_unless_root_acts(session.user, actor)
    locked = ConsoleSession.objects.select_for_update().get(pk=session.pk)
    if locked.ended_at is not None:
        raise ValidationError("This console session has already ended.")
    locked.ended_at = timezone.now()
    locked.save(update_fields=["ended_at"])
    record(
        "EndConsoleSession",
        actor=actor,
        target=session.user,
        before=_console_session_state(locked),
        after={"reason": reason},
    )
    return locked


@transaction.atomic
def end_console_sessions(*, user: User, actor: User | None, keep: int | None = None) -> int:
    """End every console session of a user but `keep` (the one acting, after its own
    password change); returns how many."""
    refuse_unless_root_acts(user, actor)
    live = ConsoleSession.objects.filter(user=user, ended_at__isnull=True).exclude(pk=keep)
    count = live.update(ended_at=timezone.now())
    if count:
        record("EndConsoleSessions", actor=actor, target=user, after={"ended": count})
    return count
