"""What the services share: validation, audit snapshots, the permissions generation."""

import secrets
from datetime import datetime
from typing import Any

from django.contrib.auth import password_validation
from django.db import connections, router
from django.utils import timezone

from identities.context import current_context
from identities.models import Group, PermissionsGeneration, Role, User
from identities.passwords import PasswordHistory


def bump_permissions_generation() -> None:
    """Invalidate every cached policy set; call inside the changing transaction."""
    context = current_context()
    if context is not None:
        context.decisions.clear()
        context.generation.clear()
    # A fresh random value, not value + 1: a change that rolls back takes its bump with
    # it, and the next change would then reuse the number under which layers of the
    # rolled-back state may already be cached.
    value = secrets.randbits(62) + 1
    if not PermissionsGeneration.objects.filter(pk=1).update(value=value):
        PermissionsGeneration.objects.create(pk=1, value=value)


def permissions_generation() -> int:
    """Read from the primary once per request (again after a change the request makes),
    and on every call outside a request; plain SQL, because building the ORM query
    would cost more than running it on this hot path."""
    context = current_context()
    if context is not None and context.generation:
        return context.generation[0]
    table = PermissionsGeneration._meta.db_table
    with connections[router.db_for_write(PermissionsGeneration)].cursor() as cursor:
        cursor.execute(f"SELECT value FROM {table} WHERE id = 1")  # noqa: S608 - a constant table name
        row = cursor.fetchone()
    value = row[0] if row else 0
    if context is not None:
        context.generation[:] = [value]
    return value


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


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# The most a policy can ask not to reuse (AWS's limit); older hashes are dropped.
PASSWORD_HISTORY_KEPT = 24


def _remember_password(user: User) -> None:
    """Keep the new password's hash (never the password) for the reuse check."""
    if not user.has_usable_password():
        return
    PasswordHistory.objects.create(user=user, password=user.password, set_at=user.password_changed_at)
    stale = list(PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[PASSWORD_HISTORY_KEPT:])
    PasswordHistory.objects.filter(pk__in=stale).delete()
