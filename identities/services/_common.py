"""What the services share: validation, audit snapshots and what goes before a deletion.

The modules of identities.services import these; nothing outside the package does.
"""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.module_loading import import_string

from identities import queries
from identities.models import Group, Role, User
from identities.passwords import PasswordHistory


def refuse_unless_root_acts(user: User, actor: User | None) -> None:
    """Only root manages root: no IAM policy reaches a write on the root user, whatever
    it allows. `actor` None is the server's operator (a management command)."""
    if user.is_superuser and actor is not None and not actor.is_superuser:
        raise PermissionDenied("Only the account root user can change the root user or its credentials.")


def user_state(user: User) -> dict[str, Any]:
    return {"username": user.username, "path": user.path, "tags": user.tags, "enabled": user.is_active}


def group_state(group: Group) -> dict[str, Any]:
    return {"group_name": group.group_name, "path": group.path, "description": group.description}


def role_state(role: Role) -> dict[str, Any]:
    return {
        "role_name": role.role_name,
        "path": role.path,
        "description": role.description,
        "max_session_duration": role.max_session_duration,
        "tags": role.tags,
    }


def clean(instance) -> None:
    instance.full_clean(exclude=["password"] if isinstance(instance, User) else None)


def apply_changes(instance, changes: dict[str, Any]) -> None:
    for field, value in changes.items():
        if value is not None:
            setattr(instance, field, value)


def apply_password(user: User, password: str | None) -> None:
    if password is None:
        user.set_unusable_password()
        return
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.password_changed_at = timezone.now()


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def refuse_unless_past(moment: datetime | None, *, what: str) -> None:
    """A date another account's records give (an import's): with its time zone, and not
    later than now, since nothing here can have happened in the future."""
    if moment is None:
        return
    if timezone.is_naive(moment):
        raise ValidationError(f"The {what} {moment.isoformat()} needs its time zone.")
    if moment > timezone.now():
        raise ValidationError(f"The {what} {moment.isoformat()} is in the future; give a date that has passed.")


def dated(state: dict[str, Any], **moments: datetime | None) -> dict[str, Any]:
    """An audit snapshot with the dates given to a create service, when any were."""
    return state | {name: iso(moment) for name, moment in moments.items() if moment is not None}


# The most a policy can ask not to reuse (AWS's limit); older hashes are dropped.
PASSWORD_HISTORY_KEPT = 24


def remember_password(user: User) -> None:
    """Keep the new password's hash (never the password) for the reuse check."""
    if not user.has_usable_password():
        return
    PasswordHistory.objects.create(user=user, password=user.password, set_at=user.password_changed_at)
    stale = list(PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[PASSWORD_HISTORY_KEPT:])
    PasswordHistory.objects.filter(pk__in=stale).delete()


def blocking_attached(identity: User | Group | Role) -> list[str]:
    """What other apps attach to `identity` that AWS refuses to delete it with (DeleteConflict)."""
    return [obstacle.description for obstacle in queries.attached_obstacles(identity) if obstacle.blocks]


def refuse_deletion(name: str, in_the_way: list[str]) -> None:
    if in_the_way:
        raise ValidationError(
            f"{name} cannot be deleted while it has {', '.join(in_the_way)}: remove them first.",
            code="delete_conflict",
        )


def remove_attached(identity: User | Group | Role, actor: User | None) -> None:
    """Remove what other apps attach to `identity` before it goes, each removal with its own
    audit record, in the deletion's transaction (IAM_DELETION_REMOVAL_HOOKS)."""
    for hook in settings.IAM_DELETION_REMOVAL_HOOKS:
        import_string(hook)(identity=identity, actor=actor)
