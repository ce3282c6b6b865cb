"""What the Access Advisor shows: the actions an entity's policies grant, each with when it was
last used, by whom and with which credential, grouped by service.

For a user or a role, its own uses (a role's sessions count for the role); for a group, its
members' (AWS shows a group's last use by any member); for a managed policy, the uses of the
users, groups' members and roles it is attached to, of the actions the policy itself grants.
Every read is one query per kind whatever the entity's size: the granted actions come from
the engine over the catalogue (`reports.what_can`), the uses from one query.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from identities.models import Group, Membership, Role, User
from policies import authorization, reports
from policies.models import LastAccessed, ManagedPolicy, PolicyAttachment


@dataclass
class ActionUse:
    action: str
    access_level: str
    last_allowed_at: datetime | None = None
    principal_arn: str = ""  # who used it last
    credential: str = ""
    resources: list[str] = field(default_factory=list)

    @property
    def used(self) -> bool:
        return self.last_allowed_at is not None


@dataclass
class ServiceUse:
    service: str
    actions: list[ActionUse]

    @property
    def last_allowed_at(self) -> datetime | None:
        return max((use.last_allowed_at for use in self.actions if use.used), default=None)

    @property
    def used_count(self) -> int:
        return sum(1 for use in self.actions if use.used)


def whose_uses(entity) -> Q:
    """Which rows count for `entity` (a user, role, group or managed policy), as subqueries, so
    a group of 100,000 members is one query and no list of their IDs."""
    if isinstance(entity, (User, Role)):
        return Q(principal_id=entity.iam_id)
    if isinstance(entity, Group):
        return Q(principal_id__in=Membership.objects.live().filter(group=entity).values("user__iam_id"))
    attachments = PolicyAttachment.objects.filter(policy=entity)
    groups = attachments.filter(group__isnull=False).values("group_id")
    return (
        Q(principal_id__in=attachments.filter(user__isnull=False).values("user__iam_id"))
        | Q(principal_id__in=attachments.filter(role__isnull=False).values("role__iam_id"))
        | Q(principal_id__in=Membership.objects.live().filter(group__in=groups).values("user__iam_id"))
    )


def granted_layers(entity) -> authorization.Layers:
    """What the engine decides the entity's grants with: a policy's default version alone."""
    if isinstance(entity, ManagedPolicy):
        document = entity.versions.get(is_default=True).document
        return authorization.custom_layers(entity.arn, [document])
    return authorization.layers_of(entity)


def access_advisor(entity, *, unused_days: int | None = None) -> list[ServiceUse]:
    """Each service the entity's policies grant, its granted actions with their last use; with
    `unused_days`, only the actions granted but not used for that many days (or never)."""
    uses = latest_uses(whose_uses(entity))
    cutoff = timezone.now() - timedelta(days=unused_days) if unused_days is not None else None
    by_service: defaultdict[str, list[ActionUse]] = defaultdict(list)
    for grant in reports.what_can(granted_layers(entity)):
        use = uses.get(grant.action.lower()) or ActionUse(grant.action, grant.access_level)
        use.action, use.access_level = grant.action, grant.access_level
        if cutoff is not None and use.used and use.last_allowed_at >= cutoff:
            continue
        by_service[grant.action.split(":")[0]].append(use)
    return [ServiceUse(service, actions) for service, actions in sorted(by_service.items())]


def latest_uses(whose: Q, *, since: datetime | None = None) -> dict[str, ActionUse]:
    """The latest use of each action among the rows `whose` selects (by lowercased action),
    with every resource it was used on (since `since`, if given)."""
    rows = LastAccessed.objects.filter(whose)
    if since is not None:
        rows = rows.filter(last_allowed_at__gte=since)
    found: dict[str, ActionUse] = {}
    for row in rows.order_by("action", "last_allowed_at", "resource"):
        use = found.setdefault(row.action.lower(), ActionUse(row.action, ""))
        if row.resource not in use.resources:
            use.resources.append(row.resource)
        if use.last_allowed_at is None or row.last_allowed_at >= use.last_allowed_at:
            use.last_allowed_at, use.principal_arn, use.credential = (
                row.last_allowed_at,
                row.principal_arn,
                row.credential,
            )
    return found


def entity_at(arn: str):
    """The user, role, group or managed policy of this account an ARN names, or None (the
    root user has no Access Advisor; nor do role sessions, whose uses are their role's)."""
    parsed = authorization.split_iam_arn(arn) if isinstance(arn, str) else None
    if parsed is None or parsed[0] != "iam":
        return None
    _, account, kind, rest = parsed
    model, name_field = {
        "user": (User, "username"),
        "role": (Role, "role_name"),
        "group": (Group, "group_name"),
        "policy": (ManagedPolicy, "policy_name"),
    }.get(kind, (None, ""))
    if model is None or not rest or account not in (settings.IAM_ACCOUNT_ID, "aws"):
        return None
    path, name = authorization.path_and_name(rest)
    rows = model.objects.filter(**{f"{name_field}__iexact": name, "path": path})
    if model is User:
        rows = rows.filter(is_superuser=False)
    return next((row for row in rows if row.arn == arn), None)
