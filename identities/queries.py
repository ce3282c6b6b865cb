"""Reads that pages render, each preloading everything it shows."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.cache import cache
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.module_loading import import_string
from django_otp.plugins.otp_totp.models import TOTPDevice

from identities import generation, naming, trust
from identities.audit import AuditEvent
from identities.credentials import AccessKey, ConsoleSession, RoleSession
from identities.models import Group, Membership, Role, RoleAssignment, User, live_at

IDENTITY_COUNTS = {
    "users": lambda: User.objects.filter(is_superuser=False),
    "groups": lambda: Group.objects.all(),
    "roles": lambda: Role.objects.all(),
}


def users_in_no_group(limit: int = 20) -> QuerySet[User]:
    # NOT EXISTS lets the database walk the user name index and stop at `limit`.
    in_a_group = Membership.objects.live().filter(user=OuterRef("pk"))
    return User.objects.filter(~Exists(in_a_group), is_superuser=False).order_by("username")[:limit]


# The dashboard's figures read whole tables (counting 100,000 users takes 20 ms,
# finding those in no group 150 ms at a million memberships), so they are kept
# until they can have changed.
DASHBOARD_CACHE_SECONDS = 600


def directory_version() -> str:
    """Changes whenever a count or the users in no group can: every membership change,
    rename and deletion bumps the permissions generation; a creation raises a newest pk."""
    newest = [model.objects.aggregate(newest=Max("pk"))["newest"] for model in (User, Group, Role)]
    return ":".join(str(part) for part in (generation.current(), *newest))


def identity_counts(kinds, version: str | None = None) -> dict[str, int]:
    """How many users, groups and roles there are: of `kinds` only, in that order
    (`version`: directory_version(), when the caller has read it already)."""
    kinds = list(kinds)
    if not kinds:
        return {}
    key = f"iamconsole:identity-counts:{version or directory_version()}:{','.join(kinds)}"
    return cache.get_or_set(
        key, lambda: {kind: IDENTITY_COUNTS[kind]().count() for kind in kinds}, DASHBOARD_CACHE_SECONDS
    )


def users_in_no_group_cached(limit: int = 20, version: str | None = None) -> list[User]:
    """users_in_no_group, as it stands now, from the cache when nothing changed it."""
    key = f"iamconsole:users-in-no-group:{version or directory_version()}:{limit}"
    return cache.get_or_set(key, lambda: list(users_in_no_group(limit)), DASHBOARD_CACHE_SECONDS)


def account_root_user() -> User | None:
    return User.objects.filter(is_superuser=True).first()


def recent_events(target_arn: str, limit: int = 10) -> list[AuditEvent]:
    """The latest audit events about one identity or policy, newest first (one indexed query)."""
    return list(AuditEvent.objects.filter(target_arn=target_arn).order_by("-occurred_at", "-id")[:limit])


# Console pages of users, groups and roles. Each list page costs the same
# number of queries at any size: one COUNT for the paginator, one for the page
# and one per column that is counted, over the page's rows only (never an
# aggregate over the whole table, never a query per row).

USER_SORTS = {
    "name": ("username",),
    "-name": ("-username",),
    "created": ("created_at", "username"),
    "-created": ("-created_at", "username"),
    # Never signed in counts as longest ago, on every database (they order NULL apart).
    "last-sign-in": (F("last_login").asc(nulls_first=True), "username"),
    "-last-sign-in": (F("last_login").desc(nulls_last=True), "username"),
}


@dataclass(frozen=True)
class UserFilters:
    search: str = ""
    group: Group | None = None
    in_no_group: bool = False
    enabled: bool | None = None
    has_password: bool | None = None
    has_access_keys: bool | None = None
    sort: str = "name"


def users_matching(filters: UserFilters) -> QuerySet[User]:
    """The users a list shows, filtered and sorted in the database."""
    users = User.objects.filter(is_superuser=False)
    if filters.search:
        users = users.filter(Q(username__icontains=filters.search) | Q(tags__icontains=filters.search))
    if filters.group is not None:
        users = users.filter(memberships__group=filters.group)  # one row per user: the pair is unique
    if filters.in_no_group:
        users = users.filter(~Exists(Membership.objects.live().filter(user=OuterRef("pk"))))
    if filters.enabled is not None:
        users = users.filter(is_active=filters.enabled)
    if filters.has_password is not None:
        unusable = Q(password__startswith=UNUSABLE_PASSWORD_PREFIX) | Q(password="")
        users = users.exclude(unusable) if filters.has_password else users.filter(unusable)
    if filters.has_access_keys is not None:
        has_keys = Exists(AccessKey.objects.filter(user=OuterRef("pk")))
        users = users.filter(has_keys if filters.has_access_keys else ~has_keys)
    return users.order_by(*USER_SORTS.get(filters.sort, USER_SORTS["name"]))


def _counts(model, key: str, ids: list[int], *conditions: Q, **filters) -> dict[int, int]:
    # order_by(): the models' default orderings would join the user and group tables for nothing.
    rows = model.objects.filter(*conditions, **{f"{key}__in": ids}, **filters)
    rows = rows.order_by().values(key).annotate(count=Count("pk"))
    return {row[key]: row["count"] for row in rows}


def annotate_user_rows(users: list[User]) -> list[User]:
    """Group, access key and MFA counts for one page of users: three queries, whatever the page."""
    ids = [user.pk for user in users]
    groups = _counts(Membership, "user", ids, live_at())
    keys = _counts(AccessKey, "user", ids)
    devices = set(TOTPDevice.objects.filter(user__in=ids, confirmed=True).values_list("user_id", flat=True))
    for user in users:
        user.group_count = groups.get(user.pk, 0)
        user.key_count = keys.get(user.pk, 0)
        user.has_mfa = user.pk in devices
    return users


def groups_matching(search: str = "", sort: str = "name") -> QuerySet[Group]:
    groups = Group.objects.all()
    if search:
        groups = groups.filter(group_name__icontains=search)
    order = {
        "name": ("group_name",),
        "-name": ("-group_name",),
        "created": ("created_at",),
        "-created": ("-created_at",),
    }
    return groups.order_by(*order.get(sort, order["name"]))


def annotate_group_rows(groups: list[Group]) -> list[Group]:
    """Member counts for one page of groups, in one query."""
    members = _counts(Membership, "group", [group.pk for group in groups], live_at())
    for group in groups:
        group.member_count = members.get(group.pk, 0)
    return groups


def roles_matching(search: str = "") -> QuerySet[Role]:
    roles = Role.objects.order_by("role_name")
    return roles.filter(role_name__icontains=search) if search else roles


def annotate_role_rows(roles: list[Role]) -> list[Role]:
    """Live assignment counts for one page of roles, in one query."""
    now = timezone.now()
    ids = [role.pk for role in roles]
    live = _counts(RoleAssignment, "role", ids, expires_at__isnull=True)
    for role_id, count in _counts(RoleAssignment, "role", ids, expires_at__gt=now).items():
        live[role_id] = live.get(role_id, 0) + count
    for role in roles:
        role.live_assignment_count = live.get(role.pk, 0)
    return roles


@dataclass(frozen=True)
class UserSummary:
    memberships: list[Membership]
    assignments: list[RoleAssignment]
    key_count: int
    has_mfa: bool
    now: datetime

    @property
    def live_group_count(self) -> int:
        """The groups the user is in now, as the quota counts them (expired rows stay until removed)."""
        return sum(1 for membership in self.memberships if membership.is_live(self.now))


def user_summary(user: User) -> UserSummary:
    """What a user's page shows about them besides their own fields."""
    memberships = list(
        Membership.objects.filter(user=user).select_related("group", "added_by").order_by("group__group_name")
    )
    assignments = list(
        RoleAssignment.objects.filter(user=user).select_related("role", "granted_by").order_by("role__role_name")
    )
    mark_expired(assignments)
    return UserSummary(
        memberships=memberships,
        assignments=assignments,
        key_count=AccessKey.objects.filter(user=user).count(),
        has_mfa=TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        now=timezone.now(),
    )


@dataclass(frozen=True)
class SecurityCredentials:
    """What a user's security credentials page shows: each part read whether or not the
    viewer may see it, so the page's queries do not depend on their policies."""

    keys: list[AccessKey]
    device: TOTPDevice | None
    console_sessions: list[ConsoleSession]
    role_sessions: list[RoleSession]


def security_credentials(user: User) -> SecurityCredentials:
    """A user's access keys, MFA device, and live console and role sessions, newest first."""
    now = timezone.now()
    idle = timedelta(seconds=settings.IAM_SESSION_IDLE_TIMEOUT)
    absolute = timedelta(seconds=settings.IAM_SESSION_ABSOLUTE_TIMEOUT)
    console = ConsoleSession.objects.filter(
        user=user, ended_at__isnull=True, last_seen_at__gte=now - idle, started_at__gte=now - absolute
    )
    roles = RoleSession.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now).select_related("role")
    return SecurityCredentials(
        keys=list(AccessKey.objects.filter(user=user).order_by("created_at")),
        device=TOTPDevice.objects.filter(user=user, confirmed=True).first(),
        console_sessions=list(console.order_by("-started_at")),
        role_sessions=list(roles.order_by("-created_at")),
    )


def group_members(group: Group, search: str = "") -> QuerySet[Membership]:
    """A group's memberships, with the member and who added them, by member name."""
    memberships = Membership.objects.filter(group=group).select_related("user", "added_by")
    if search:
        memberships = memberships.filter(user__username__icontains=search)
    return memberships.order_by("user__username")


CANDIDATE_LIMIT = 20


def member_candidates(group: Group, search: str, limit: int = CANDIDATE_LIMIT) -> list[User]:
    """Users whose name starts with or contains `search` who are not in the group yet, at most `limit`."""
    search = search.strip()
    if not search:
        return []
    users = (
        User.objects.filter(is_superuser=False, username__icontains=search)
        .exclude(Exists(Membership.objects.live().filter(group=group, user=OuterRef("pk"))))
        .order_by("username")
    )
    return list(users[:limit])


def group_candidates(user: User, search: str, limit: int = CANDIDATE_LIMIT) -> list[Group]:
    """Groups whose name contains `search` that `user` is not in yet, at most `limit`, by name."""
    search = search.strip()
    if not search:
        return []
    groups = (
        Group.objects.filter(group_name__icontains=search)
        .exclude(Exists(Membership.objects.live().filter(user=user, group=OuterRef("pk"))))
        .order_by("group_name")
    )
    return list(groups[:limit])


def role_candidates(user: User, search: str, limit: int = CANDIDATE_LIMIT) -> list[Role]:
    """Roles whose name contains `search` not yet assigned to `user`, at most `limit`, by name."""
    search = search.strip()
    if not search:
        return []
    roles = (
        Role.objects.filter(role_name__icontains=search)
        .exclude(Exists(RoleAssignment.objects.filter(user=user, role=OuterRef("pk"))))
        .order_by("role_name")
    )
    return list(roles[:limit])


def mark_expired(assignments) -> None:
    now = timezone.now()
    for assignment in assignments:
        assignment.expired = not assignment.is_live(now)


def role_assignments(role: Role) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.filter(role=role).select_related("user", "granted_by").order_by("user__username")


def users_named(names: list[str]) -> list[User]:
    """Users by name, without regard to case (the ones that exist)."""
    lowered = [name.lower() for name in names]
    return list(User.objects.filter(username__lower__in=lowered).order_by("username")) if names else []


def groups_named(names: list[str]) -> list[Group]:
    """Groups by name, without regard to case (the ones that exist)."""
    lowered = [name.lower() for name in names]
    return list(Group.objects.filter(group_name__lower__in=lowered).order_by("group_name")) if names else []


@dataclass(frozen=True)
class TrustedPrincipal:
    """A user or role that may assume a role; `conditional`: only when its conditions hold."""

    identity: User | Role
    conditional: bool


@dataclass(frozen=True)
class EffectiveTrust:
    """Who may assume a role, as the engine decides it, and the trust policy and live
    assignments that decision is made from."""

    document_text: str
    principals: list[TrustedPrincipal]
    # Principals named outside this account (services, other accounts): their own side decides too.
    elsewhere: list[str]
    live_count: int
    expired_count: int


def effective_trust(role: Role) -> EffectiveTrust:
    """The trust policy as people read it (current ARNs; the bare unique ID of a user or
    role since deleted, which matches no one) and the principals that may assume the role,
    decided by the engine through IAM_TRUSTED_PRINCIPALS (this app cannot ask it itself)."""
    now = timezone.now()
    assignments = RoleAssignment.objects.filter(role=role)
    live = assignments.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)).count()
    document = trust.shown_form(role.trust_policy)
    trusted, elsewhere = import_string(settings.IAM_TRUSTED_PRINCIPALS)(role)
    return EffectiveTrust(
        document_text=json.dumps(document, indent=2, ensure_ascii=False),
        principals=[TrustedPrincipal(identity, conditional) for identity, conditional in trusted],
        elsewhere=elsewhere,
        live_count=live,
        expired_count=assignments.count() - live,
    )


@dataclass(frozen=True)
class DeletionObstacles:
    """What stands in the way of deleting a user, as AWS asks it removed first."""

    access_keys: list[str]
    groups: list[Group]
    roles: list[Role]
    mfa_device: bool


def user_deletion_obstacles(user: User) -> DeletionObstacles:
    return DeletionObstacles(
        access_keys=list(AccessKey.objects.filter(user=user).order_by("created_at").values_list("key_id", flat=True)),
        groups=list(Group.objects.filter(memberships__user=user).order_by("group_name")),
        roles=list(Role.objects.filter(assignments__user=user).order_by("role_name")),
        mfa_device=TOTPDevice.objects.filter(user=user).exists(),
    )


@dataclass(frozen=True)
class Obstacle:
    """One thing removed before a user, group or role is deleted, with the IAM action (on
    `target`) that removes it. `blocks`: AWS refuses the deletion while it remains
    (DeleteConflict); what does not block (a permission boundary) still goes with a record."""

    description: str
    action: str
    target: object
    blocks: bool = True


def attached_obstacles(identity: User | Group | Role) -> list[Obstacle]:
    """What other apps attach to `identity` (policies: its managed and inline policies and
    its boundary), as the hooks named in IAM_DELETION_OBSTACLE_HOOKS list it."""
    hooks = [import_string(hook) for hook in settings.IAM_DELETION_OBSTACLE_HOOKS]
    return [obstacle for hook in hooks for obstacle in hook(identity=identity)]


def deletion_obstacles(identity: User | Group | Role, *, own: bool = True, attached: bool = True) -> list[Obstacle]:
    """Everything removed before `identity` is deleted, each with the action that removes it:
    what the delete pages show, and what the deletion's rule asks (identities.rules). `own`:
    its keys, MFA device, memberships and assignments (a group's members); `attached`: what
    other apps attach to it (its policies)."""
    found = []
    if own and isinstance(identity, User):
        found = _user_obstacles(identity)
    elif own and isinstance(identity, Group):
        found = _member_obstacles(identity)
    # A role's assignments end with it; its DeleteRole record names them.
    return found + (attached_obstacles(identity) if attached else [])


def _user_obstacles(user: User) -> list[Obstacle]:
    found = user_deletion_obstacles(user)
    obstacles = []
    if found.access_keys:
        count = len(found.access_keys)
        keys = f"{count} access key{pluralize(count)}: {', '.join(found.access_keys)}"
        obstacles.append(Obstacle(keys, "iam:DeleteAccessKey", user))
    if found.mfa_device:
        obstacles.append(Obstacle("a virtual MFA device", "iam:DeactivateMFADevice", user))
    obstacles += [Obstacle(f"membership of group {group}", "iam:RemoveUserFromGroup", group) for group in found.groups]
    obstacles += [Obstacle(f"assignment of role {role}", "iam:UpdateAssumeRolePolicy", role) for role in found.roles]
    return obstacles


def _member_obstacles(group: Group, shown: int = 10) -> list[Obstacle]:
    members = Membership.objects.filter(group=group)
    names = list(members.order_by("user__username").values_list("user__username", flat=True)[:shown])
    if not names:
        return []
    count = members.count() if len(names) == shown else len(names)
    more = f" and {count - len(names)} more" if count > len(names) else ""
    description = f"{count} member{pluralize(count)}: {', '.join(names)}{more}"
    return [Obstacle(description, "iam:RemoveUserFromGroup", group)]


# The audit trail: keyset pages over (occurred_at, id), newest first; never OFFSET, never COUNT.

AUDIT_PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""  # an ARN, or a user name resolved to that user's ARN
    target_arn: str = ""
    event_name: str = ""
    outcome: str = ""
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    next_cursor: str  # empty on the last page


def audit_actor_arn(actor: str) -> str:
    """An actor as typed: an ARN as it is, a user name as its user's ARN (or the ARN it would have)."""
    if actor.startswith("arn:"):
        return actor
    user = User.objects.filter(username__lower=actor.lower()).first()
    return user.arn if user is not None else naming.build_arn("user", "/", actor)


def audit_events(filters: AuditFilter, after: tuple[datetime, int] | None = None) -> QuerySet[AuditEvent]:
    """The filtered trail, newest first, starting after the cursor's (occurred_at, id)."""
    events = AuditEvent.objects.all()
    if filters.actor:
        events = events.filter(actor_arn=audit_actor_arn(filters.actor))
    if filters.target_arn:
        events = events.filter(target_arn=filters.target_arn)
    if filters.event_name:
        events = events.filter(event_name=filters.event_name)
    if filters.outcome:
        events = events.filter(outcome=filters.outcome)
    if filters.since:
        events = events.filter(occurred_at__gte=filters.since)
    if filters.until:
        events = events.filter(occurred_at__lt=filters.until)
    if after is not None:
        # The first condition is a range the index can seek; the second breaks ties at that instant.
        moment, event_id = after
        events = events.filter(Q(occurred_at__lte=moment) & (Q(occurred_at__lt=moment) | Q(id__lt=event_id)))
    return events.order_by("-occurred_at", "-id")


def audit_page(filters: AuditFilter, cursor: str = "", size: int = AUDIT_PAGE_SIZE) -> AuditPage:
    """One page of events, and the cursor of the next (one query: a row more than the page)."""
    rows = list(audit_events(filters, parse_audit_cursor(cursor))[: size + 1])
    events, more = rows[:size], len(rows) > size
    return AuditPage(events, audit_cursor(events[-1]) if more else "")


def audit_export_rows(filters: AuditFilter, batch: int = 1000) -> Iterator[AuditEvent]:
    """Every event of the filtered trail, newest first, read in keyset batches (no long-held cursor)."""
    after = None
    while True:
        rows = list(audit_events(filters, after)[:batch])
        yield from rows
        if len(rows) < batch:
            return
        after = (rows[-1].occurred_at, rows[-1].pk)


def audit_cursor(event: AuditEvent) -> str:
    return f"{event.occurred_at.isoformat()}~{event.pk}"


def parse_audit_cursor(cursor: str) -> tuple[datetime, int] | None:
    """The (occurred_at, id) a cursor names; None for an empty or malformed one (the first page)."""
    moment, _, event_id = cursor.partition("~")
    try:
        parsed = datetime.fromisoformat(moment)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)), int(event_id)
    except ValueError:
        return None


def identities_at(arns) -> dict[str, User | Group | Role]:
    """The users, groups and roles these ARNs name, by ARN: one query per kind named, whatever
    the number of ARNs (an ARN of anything else, or of nobody now, is left out)."""
    names: dict[str, set[str]] = {"user": set(), "group": set(), "role": set()}
    for arn in set(arns):
        kind, _, rest = arn.partition(":iam::")[2].partition(":")[2].partition("/")
        if kind in names and rest:
            names[kind].add(rest.rsplit("/", 1)[-1])
    found: dict[str, User | Group | Role] = {}
    for model, field, kind in ((User, "username", "user"), (Group, "group_name", "group"), (Role, "role_name", "role")):
        if names[kind]:
            found |= {row.arn: row for row in model.objects.filter(**{f"{field}__in": names[kind]})}
    return {arn: found[arn] for arn in arns if arn in found}


def groups_with_members_made_by(source: str, source_ref: str) -> list[Group]:
    """The groups that hold memberships `source` made under `source_ref`."""
    made = Membership.objects.filter(group=OuterRef("pk"), source=source, source_ref=source_ref)
    return list(Group.objects.filter(Exists(made)).order_by("group_name"))


def own_refusals(user: User, *, limit: int) -> list[AuditEvent]:
    """The user's latest refused console and API requests (the Denied events they made), newest
    first. Found by their current ARN (the trail's actor index): a refusal from before a rename
    stays in the trail under the old name."""
    events = AuditEvent.objects.filter(actor_arn=user.arn, outcome=AuditEvent.Outcome.DENIED)
    return list(events[:limit])


DENIALS = ("ExplicitDeny", "ImplicitDeny")


def decision_denials(user: User, *, limit: int) -> list[AuditEvent]:
    """The decision API's latest denials about the user, newest first: recorded one by one only
    while IAM_AUDIT_ALLOWED_DECISIONS is on (identities.audit.note_decisions); otherwise counted."""
    events = AuditEvent.objects.filter(target_arn=user.arn, event_name="Authorize", after__decision__in=DENIALS)
    return list(events[:limit])
