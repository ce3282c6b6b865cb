"""What the escalation report reads once, and the questions every route asks of it."""

from typing import NamedTuple

from django.db.models import Count, Q

from identities.models import Group, Role, User
from policies import authorization
from policies.builtin_policies import ADMINISTRATOR_ACCESS
from policies.engine import Outcome, PolicySet, allow_resources, allowed_principals, may_allow
from policies.models import ManagedPolicy

# The policy an escalating principal would attach or set: the most powerful there is, so that a
# grant confined to harmless policies (iam:PolicyARN) is not reported.
STRONGEST_POLICY_ARN = ADMINISTRATOR_ACCESS.arn
TARGETS_SHOWN = 3


class EscalationPath(NamedTuple):
    kind: str
    summary: str
    steps: tuple[str, ...]
    # The resources a collapsed path reaches, each by the same steps (one line, not one per role).
    targets: tuple[str, ...] = ()


class _Principal(NamedTuple):
    arn: str
    kind: str
    name: str
    layers: authorization.Layers
    groups: tuple[int, ...]
    policy_ids: tuple[int, ...]
    labels: frozenset[str]
    bounded: bool
    owner: tuple[str, int]


class _World(NamedTuple):
    account: authorization.Account
    policies: dict[int, ManagedPolicy]
    users: list[authorization.UserRow]
    roles: list[Role]
    groups: dict[int, Group]
    # For narrowing the targets of a step to those a principal's own statements name.
    users_by_name: dict[str, list[authorization.UserRow]]
    groups_by_name: dict[str, list[Group]]
    group_labels: dict[int, frozenset[str]]
    role_layers: dict[int, authorization.Layers]
    # Each role's effective trust, compiled, and what it names (None: anyone).
    trusts: dict[int, PolicySet | None]
    named: dict[int, tuple[frozenset[str], frozenset[str]] | None]
    # The roles by what their trusts name: an ARN, the account, or None for anyone.
    trusting: dict[str | None, list[Role]]
    with_password: frozenset[int]
    # The access expectations that something may not be done (policies.escalation.expectations).
    fences: tuple = ()


class _Reached(NamedTuple):
    """A role the principal may act as, through `chain` (the roles assumed in turn, it last)."""

    role: Role
    chain: tuple[Role, ...]


def _read_world() -> _World:
    policies = ManagedPolicy.objects.annotate(version_count=Count("versions")).only(
        "pk", "policy_name", "path", "aws_managed", "builtin"
    )
    account = authorization.Account()
    users = account.active_users()
    roles = list(Role.objects.order_by("role_name"))
    groups = {group.pk: group for group in Group.objects.only("pk", "group_name", "path")}
    arns = account.trusted_arns(roles)
    trusts = {role.pk: account.trust(role, arns) for role in roles}
    named = {
        pk: allowed_principals(trust) if trust is not None else (frozenset(), frozenset())
        for pk, trust in trusts.items()
    }
    # Users with a password: a login profile is created for the others, updated for these.
    unusable = Q(password__startswith="!") | Q(password="")
    with_password = frozenset(User.objects.exclude(unusable).values_list("pk", flat=True))
    return _World(
        account,
        {policy.pk: policy for policy in policies},
        users,
        roles,
        groups,
        _by_name(users, "username"),
        _by_name(groups.values(), "group_name"),
        {pk: frozenset(label for label, _ in account.owned(("group", pk))) for pk in groups},
        {role.pk: account.role_layers(role) for role in roles},
        trusts,
        named,
        _trusting(roles, named),
        with_password,
        _fences(),
    )


def _fences() -> tuple:
    from policies.escalation.expectations import read_fences

    return read_fences()


def _trusting(roles: list[Role], named: dict) -> dict[str | None, list[Role]]:
    found: dict[str | None, list[Role]] = {}
    for role in roles:
        names = named[role.pk]
        for key in [None] if names is None else [*names[0], *names[1]]:
            found.setdefault(key, []).append(role)
    return found


def _by_name(items, field: str) -> dict:
    found: dict = {}
    for item in items:
        found.setdefault(getattr(item, field).lower(), []).append(item)
    return found


def _principals(world: _World):
    """Every principal that may have a path. Users are read in sets that share their documents,
    and a set none of whose documents may allow a route action is passed over whole, but for
    the users a trust policy names itself (they may assume the role with no Allow of their
    own): every path begins with one of those actions allowed, and without an Allow naming it
    none is (exact)."""
    account = world.account
    named = [names for names in world.named.values()]
    anyone = any(names is None for names in named)
    trusted = frozenset().union(*(names[1] for names in named if names is not None))
    for sharing in account.sharing(world.users):
        if anyone or _may_have_a_path(sharing):
            yield from _users_of(account, sharing, sharing.users)
        else:
            yield from _users_of(account, sharing, [user for user in sharing.users if user.arn in trusted])
    for role in world.roles:
        layers = world.role_layers[role.pk]
        yield _principal(account, role.arn, "role", role.role_name, layers, (), [("role", role.pk)])


def _may_have_a_path(sharing: authorization.Sharing) -> bool:
    return any(may_allow(sharing.layers.identity, action) for action in authorization.ROUTE_ACTIONS)


def _users_of(account, sharing: authorization.Sharing, users: list[authorization.UserRow]):
    for user in users:
        groups = tuple(account.groups_of(user))
        layers = sharing.layers_of(user)
        owners = [("user", user.pk), *(("group", group_id) for group_id in groups)]
        yield _principal(account, user.arn, "user", user.username, layers, groups, owners)


def _principal(account, arn, kind, name, layers, groups, owners) -> _Principal:
    policy_ids = tuple(dict.fromkeys(pid for owner in owners for pid in account.attached(owner)))
    labels = frozenset(label for owner in owners for label, _ in account.owned(owner))
    bounded = layers.boundary is not None
    return _Principal(arn, kind, name, layers, groups, policy_ids, labels, bounded, owners[0])


def _allowed(principal: _Principal, action: str, resource: str, keys: authorization.Keys | None = None) -> bool:
    # Most principals are granted none of the actions a path needs; the index says so at once.
    if not may_allow(principal.layers.identity, action):
        return False
    return authorization.decide(principal.layers, action, resource, context=keys).outcome is Outcome.ALLOW


def _targets(principal: _Principal, action: str, by_name: dict[str, list], everyone):
    """The users or groups `action` could be allowed on, narrowed to the names the principal's
    own Allow statements end with (`user/${aws:username}` names one); all of them when a
    name has a wildcard or a statement allows by NotResource. The engine decides each."""
    if not may_allow(principal.layers.identity, action):
        return []
    patterns = allow_resources(principal.layers.identity, action, principal.layers.keys)
    if patterns is None:
        return everyone
    names = set()
    for pattern in patterns:
        name = pattern.rsplit("/", 1)[-1]
        if "*" in name or "?" in name:
            return everyone
        names.add(name.lower())
    return [item for name in sorted(names) for item in by_name.get(name, ())]
