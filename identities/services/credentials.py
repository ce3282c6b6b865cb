"""Writes to access keys and role sessions."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from identities import credentials, sealed, staleness
from identities.audit import record
from identities.credentials import AccessKey, RoleSession
from identities.models import OpenIDConnectProvider, Role, User
from identities.services._common import refuse_unless_root_acts

# Credentials: access keys and role sessions


def _key_state(key: AccessKey) -> dict[str, Any]:
    return {"access_key_id": key.key_id, "status": key.status}


@transaction.atomic
def create_access_key(*, user: User, actor: User | None, based_on: str | None = None) -> tuple[AccessKey, str]:
    """A new active key; the secret is returned once and kept only as its hash and sealed.

    `based_on`: the token of the keys the page showed (`credentials.keys_token`), so the
    same form sent twice (a reload, a second tab) creates one key, not two."""
    refuse_unless_root_acts(user, actor)
    User.objects.select_for_update().filter(pk=user.pk).first()
    existing = list(AccessKey.objects.filter(user=user).values_list("key_id", flat=True))
    staleness.refuse_if_stale(based_on, credentials.keys_token(existing), what="the list of access keys")
    limit = settings.IAM_MAX_ACCESS_KEYS
    if len(existing) >= limit:
        raise ValidationError(
            f"{user.username} already has {limit} access keys, the most allowed. "
            "Deactivate and delete one before creating another (rotate: create, switch, delete)."
        )
    secret, key_id = credentials.new_secret(), credentials.new_key_id("AKIA")
    key = AccessKey.objects.create(
        user=user,
        key_id=key_id,
        secret_hash=credentials.digest(secret),
        secret_sealed=sealed.seal(secret, kind=sealed.ACCESS_KEY_SECRET, credential_id=key_id),
    )
    record("CreateAccessKey", actor=actor, target=user, after=_key_state(key))
    return key, secret


@transaction.atomic
def update_access_key(*, key: AccessKey, status: str, actor: User | None) -> AccessKey:
    refuse_unless_root_acts(key.user, actor)
    if status not in AccessKey.Status.values:
        raise ValidationError(f"An access key is Active or Inactive, not {status!r}.")
    before = _key_state(key)
    key.status = status
    key.save(update_fields=["status"])
    record("UpdateAccessKey", actor=actor, target=key.user, before=before, after=_key_state(key))
    return key


@transaction.atomic
def delete_access_key(*, key: AccessKey, actor: User | None) -> None:
    refuse_unless_root_acts(key.user, actor)
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
    user: User | None,
    session_name: str,
    duration: int,
    source: str,
    session_policy: dict | None = None,
    actor: User | None,
    web_identity: tuple[OpenIDConnectProvider, str] | None = None,
) -> tuple[RoleSession, str, str]:
    """Temporary credentials for a role; the caller has already decided sts:AssumeRole.

    `web_identity`: (provider, subject) of a session that belongs to no user (a web
    identity's, or one chained from it). Returns the session and, for the API, its secret
    and token (shown once)."""
    session, secret, token = _new_session(role, user, session_name, duration, source, session_policy, web_identity)
    event = "SwitchRole" if source == RoleSession.Source.CONSOLE else "AssumeRole"
    record(
        event,
        actor=actor,
        target=role,
        after={"session": session.arn, "expires_at": session.expires_at.isoformat(), "source": source},
    )
    return session, secret, token


@transaction.atomic
def start_web_identity_session(
    *,
    role: Role,
    provider: OpenIDConnectProvider,
    claims: dict,
    session_name: str,
    duration: int,
    session_policy: dict | None = None,
) -> tuple[RoleSession, str, str]:
    """A role session for a verified ID token (AssumeRoleWithWebIdentity, decided already).
    Audited with the token's claims as given (iss, sub, aud, jti), never the token."""
    source = RoleSession.Source.WEB_IDENTITY
    web_identity = (provider, claims["sub"])
    session, secret, token = _new_session(role, None, session_name, duration, source, session_policy, web_identity)
    after = {"session": session.arn, "expires_at": session.expires_at.isoformat(), "source": source, "claims": claims}
    record("AssumeRoleWithWebIdentity", actor=provider, target=role, after=after)
    return session, secret, token


def _new_session(role, user, session_name, duration, source, session_policy, web_identity):
    minimum = settings.IAM_ROLE_SESSION_MIN_DURATION
    if not minimum <= duration <= role.max_session_duration:
        raise ValidationError(
            f"A session of {role.role_name} lasts {minimum} to {role.max_session_duration} seconds; "
            f"{duration} was asked for."
        )
    credentials.validate_session_name(session_name)
    provider, subject = web_identity if web_identity is not None else (None, "")
    secret, token = credentials.new_secret(), credentials.new_secret() + credentials.new_secret()
    key_id = credentials.new_key_id("ASIA")
    session = RoleSession.objects.create(
        role=role,
        user=user,
        provider=provider,
        subject=subject[:255],
        session_name=session_name,
        source=source,
        key_id=key_id,
        secret_hash=credentials.digest(secret),
        secret_sealed=sealed.seal(secret, kind=sealed.SESSION_SECRET, credential_id=key_id),
        token_hash=credentials.digest(token),
        session_policy=session_policy,
        expires_at=timezone.now() + timedelta(seconds=duration),
    )
    # As AWS's RoleLastUsed: when the role was last assumed (no region here). Not a decision's
    # input, so the permissions generation does not watch it.
    Role.objects.filter(pk=role.pk).update(last_used_at=session.created_at, last_used_region="")
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
    if user is not None:
        refuse_unless_root_acts(user, actor)
    now = timezone.now()
    live = RoleSession.objects.filter(revoked_at__isnull=True, expires_at__gt=now)
    live = live.filter(user=user) if user is not None else live.filter(role=role)
    count = live.update(revoked_at=now)
    target = user if user is not None else role
    record("RevokeRoleSessions", actor=actor, target=target, after={"revoked": count})
    return count


@transaction.atomic
def reseal_credential_secrets(*, system_user: str) -> dict[str, int]:
    """Seal again under the current credential key every secret sealed under an earlier one,
        so that key can leave IAM_CREDENTIAL_KEYS. Expired and revoked sessions are skipped (they
        never verify again). A secret whose key is gone stays as it is and is counted. Run by the
    server's operator (`system_user`), never through IAM."""
    current = sealed.current_key_id()
    counts = {"access_keys": 0, "role_sessions": 0, "unopenable": 0}
    sets = (
        ("access_keys", sealed.ACCESS_KEY_SECRET, AccessKey.objects.all()),
        (
            "role_sessions",
            sealed.SESSION_SECRET,
            RoleSession.objects.filter(revoked_at__isnull=True, expires_at__gt=timezone.now()),
        ),
    )
    for name, kind, rows in sets:
        stale = rows.exclude(secret_sealed="").exclude(secret_sealed__startswith=f"{current}:")
        for row in stale.select_for_update().only("pk", "key_id", "secret_sealed"):
            try:
                secret = sealed.unseal(row.secret_sealed, kind=kind, credential_id=row.key_id)
            except sealed.Unsealable:
                counts["unopenable"] += 1
                continue
            row.secret_sealed = sealed.seal(secret, kind=kind, credential_id=row.key_id)
            row.save(update_fields=["secret_sealed"])
            counts[name] += 1
    record(
        "ResealCredentialSecrets", actor=None, after={"system_user": system_user, "credential_key": current, **counts}
    )
    return counts
