"""Dates another account's records give an identity already here (an import's CreateDate and
RoleLastUsed); the create services take them for identities they create."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from identities.audit import record
from identities.models import Group, Role, User
from identities.services._common import iso, refuse_unless_past


@transaction.atomic
def set_identity_dates(
    *,
    identity: User | Group | Role,
    actor: User | None,
    created_at: datetime | None = None,
    last_used_at: datetime | None = None,
    last_used_region: str = "",
) -> User | Group | Role:
    """Set the identity's creation date and, for a role, its last use (date and region), each
    only when given. Dates never in the future, and a role never used before it was created.
    Nothing is written or recorded when every date given is the one here."""
    if isinstance(identity, User) and identity.is_superuser:
        raise PermissionDenied("The account root user's dates are its own: an import never changes the root user.")
    if not isinstance(identity, Role) and (last_used_at is not None or last_used_region):
        raise ValidationError("Only a role has a recorded last use.")
    refuse_unless_past(created_at, what="creation date")
    refuse_unless_past(last_used_at, what="date of last use")
    if last_used_region and last_used_at is None:
        raise ValidationError("A region of last use needs the date of that use.")
    before, after = _dates(identity), {}
    if created_at is not None:
        after["created_at"] = created_at
    if last_used_at is not None:
        after |= {"last_used_at": last_used_at, "last_used_region": last_used_region}
    if isinstance(identity, Role):
        used, created = after.get("last_used_at", identity.last_used_at), after.get("created_at", identity.created_at)
        if used is not None and used < created:
            raise ValidationError("A role cannot have been used before it was created.")
    changed = {name: value for name, value in after.items() if getattr(identity, name) != value}
    if not changed:
        return identity
    for name, value in changed.items():
        setattr(identity, name, value)
    identity.save(update_fields=list(changed))
    record("SetIdentityDates", actor=actor, target=identity, before=before, after=_dates(identity))
    return identity


def _dates(identity: User | Group | Role) -> dict[str, str | None]:
    dates = {"created_at": iso(identity.created_at)}
    if isinstance(identity, Role):
        dates |= {"last_used_at": iso(identity.last_used_at), "last_used_region": identity.last_used_region}
    return dates
