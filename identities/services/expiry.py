"""Taking away what has expired: memberships and role assignments with an expiry past.

Decisions do not wait for this: the loader reads only live rows and the caches keep
nothing past the earliest expiry they hold. Removing the rows keeps the tables and
the pages true, and puts each end on the record.
"""

from datetime import datetime
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from identities.audit import record
from identities.models import Membership, RoleAssignment, User
from identities.services._common import iso
from identities.services.groups import expire_memberships


class Expired(NamedTuple):
    memberships: list[Membership]
    assignments: list[RoleAssignment]


@transaction.atomic
def remove_expired(*, at: datetime | None = None, actor: User | None = None) -> Expired:
    """Delete every membership and role assignment whose expiry is at or before `at`
    (now), one audit record each saying it expired; live ones stay."""
    moment = at or timezone.now()
    memberships = expire_memberships(Membership.objects.expired(moment), actor=actor)
    assignments = list(
        RoleAssignment.objects.filter(expires_at__lte=moment)
        .select_related("user", "role")
        .order_by("role__role_name", "user__username")
    )
    for assignment in assignments:
        before = {
            "user": assignment.user.arn,
            "role": assignment.role.role_name,
            "expires_at": iso(assignment.expires_at),
        }
        record("UnassignRole", actor=actor, target=assignment.role, before=before, after={"reason": "expired"})
    RoleAssignment.objects.filter(pk__in=[assignment.pk for assignment in assignments]).delete()
    return Expired(memberships, assignments)
