"""Escalation paths: principals that can give themselves more than they have.

The reachability report a security reviewer runs. Like who-can, it reads the
whole account in a constant number of queries and decides every step with the
engine (no DB access per principal): each path is a chain of actions the
principal is allowed now, ending with more permissions than it has.
"""

from typing import NamedTuple

from django.db.models import Count

from identities.models import Group, Role
from policies import authorization
from policies.builtin_policies import ADMINISTRATOR_ACCESS
from policies.engine import Outcome, allow_resources, may_allow
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


class PrincipalPaths(NamedTuple):
    arn: str
    kind: str
    name: str
    paths: tuple[EscalationPath, ...]


class _Principal(NamedTuple):
    arn: str
    kind: str
    name: str
    layers: authorization.Layers
    groups: tuple[int, ...]
    policy_ids: tuple[int, ...]
    labels: frozenset[str]
    bounded: bool


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


def escalation_paths() -> list[PrincipalPaths]:
    """Every user and role with at least one path, in ARN order."""
    world = _read_world()
    found = []
    for principal in _principals(world):
        paths = tuple(_paths_of(world, principal))
        if paths:
            found.append(PrincipalPaths(principal.arn, principal.kind, principal.name, paths))
    return sorted(found, key=lambda entry: entry.arn)


def _read_world() -> _World:
    policies = ManagedPolicy.objects.annotate(version_count=Count("versions")).only(
        "pk", "policy_name", "path", "aws_managed", "builtin"
    )
    account = authorization.Account()
    users = account.active_users()
    roles = list(Role.objects.order_by("role_name"))
    groups = {group.pk: group for group in Group.objects.only("pk", "group_name", "path")}
    return _World(
        account,
        {policy.pk: policy for policy in policies},
        users,
        roles,
        groups,
        _by_name(users, "username"),
        _by_name(groups.values(), "group_name"),
        {pk: frozenset(label for label, _ in account.owned(("group", pk))) for pk in groups},
    )


def _by_name(items, field: str) -> dict:
    found: dict = {}
    for item in items:
        found.setdefault(getattr(item, field).lower(), []).append(item)
    return found


def _principals(world: _World):
    """Every principal that may have a path. Users are read in sets that share their documents,
    and a set none of whose documents may allow a route action is passed over whole: every
    path begins with one of them allowed, and without an Allow naming it none is (exact)."""
    account = world.account
    for sharing in account.sharing(world.users):
        if _may_have_a_path(sharing):
            yield from _users_of(account, sharing)
    for role in world.roles:
        layers = account.role_layers(role)
        yield _principal(account, role.arn, "role", role.role_name, layers, (), [("role", role.pk)])


def _may_have_a_path(sharing: authorization.Sharing) -> bool:
    return any(may_allow(sharing.layers.identity, action) for action in authorization.ROUTE_ACTIONS)


def _users_of(account, sharing: authorization.Sharing):
    for user in sharing.users:
        groups = tuple(account.groups_of(user))
        layers = sharing.layers_of(user)
        owners = [("user", user.pk), *(("group", group_id) for group_id in groups)]
        yield _principal(account, user.arn, "user", user.username, layers, groups, owners)


def _principal(account, arn, kind, name, layers, groups, owners) -> _Principal:
    policy_ids = tuple(dict.fromkeys(pid for owner in owners for pid in account.attached(owner)))
    labels = frozenset(label for owner in owners for label, _ in account.owned(owner))
    return _Principal(arn, kind, name, layers, groups, policy_ids, labels, layers.boundary is not None)


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


def _paths_of(world: _World, principal: _Principal):
    yield from _policy_paths(world, principal)
    yield from _self_paths(world, principal)
    yield from _group_paths(world, principal)
    yield from _role_paths(world, principal)
    yield from _key_paths(world, principal)
    if _allowed(principal, "iam:PassRole", "*"):
        yield EscalationPath(
            "pass-role",
            "Pass any role to a service, which then acts with that role's permissions.",
            ("iam:PassRole on *",),
        )


def _policy_paths(world: _World, principal: _Principal):
    """A customer managed policy attached to the principal (or its groups) that it may change."""
    for policy_id in principal.policy_ids:
        policy = world.policies[policy_id]
        if policy.read_only:
            continue
        # As in AWS, CreatePolicyVersion alone may make the new version the default.
        if _allowed(principal, "iam:CreatePolicyVersion", policy.arn):
            yield EscalationPath(
                "modify-policy",
                f"Write a new default version of {policy.policy_name}, which applies to it.",
                (f"iam:CreatePolicyVersion on {policy.arn} (with SetAsDefault)",),
            )
        set_default = _allowed(principal, "iam:SetDefaultPolicyVersion", policy.arn)
        if set_default and policy.version_count > 1:
            yield EscalationPath(
                "older-version",
                f"Make another of the {policy.version_count} versions of {policy.policy_name} the default.",
                (f"iam:SetDefaultPolicyVersion on {policy.arn}",),
            )


def _self_paths(world: _World, principal: _Principal):
    """Attach or put a policy on itself or on a group it is in; loosen its own boundary."""
    kind = principal.kind.title()
    owners = [(kind, principal.arn, "itself")]
    if any(may_allow(principal.layers.identity, f"iam:{verb}GroupPolicy") for verb in ("Attach", "Put")):
        owners += [
            ("Group", world.groups[gid].arn, f"its group {world.groups[gid].group_name}") for gid in principal.groups
        ]
    for owner_kind, arn, label in owners:
        if _allowed(principal, f"iam:Attach{owner_kind}Policy", arn, {"iam:PolicyARN": STRONGEST_POLICY_ARN}):
            yield EscalationPath(
                "attach-policy",
                f"Attach any managed policy, AdministratorAccess included, to {label}.",
                (f"iam:Attach{owner_kind}Policy on {arn}",),
            )
        if _allowed(principal, f"iam:Put{owner_kind}Policy", arn):
            yield EscalationPath(
                "put-policy",
                f"Write an inline policy granting anything on {label}.",
                (f"iam:Put{owner_kind}Policy on {arn}",),
            )
    if principal.bounded and _allowed(principal, f"iam:Delete{kind}PermissionsBoundary", principal.arn):
        yield EscalationPath(
            "remove-boundary",
            "Remove its own permission boundary.",
            (f"iam:Delete{kind}PermissionsBoundary on {principal.arn}",),
        )


def _group_paths(world: _World, principal: _Principal):
    """Join a group whose policies it does not have yet."""
    if principal.kind != "user":
        return
    for group in _targets(principal, "iam:AddUserToGroup", world.groups_by_name, world.groups.values()):
        if group.pk in principal.groups:
            continue
        gained = world.group_labels[group.pk] - principal.labels
        if gained and _allowed(principal, "iam:AddUserToGroup", group.arn):
            yield EscalationPath(
                "join-group",
                f"Add itself to {group.group_name} and gain {', '.join(sorted(_short(label) for label in gained))}.",
                (f"iam:AddUserToGroup on {group.arn}",),
            )


def _short(label: str) -> str:
    """A source label as a reader names the policy: its name, or its name marked inline."""
    arn, _, rest = label.partition(" ")
    if rest.startswith("inline "):
        return f"{rest.removeprefix('inline ')} (inline)"
    return arn.rsplit("/", 1)[-1]


def _role_paths(world: _World, principal: _Principal):
    """Rewrite a role's trust policy to name itself, then assume the role: one path listing
    every role it may do that to (a broad principal reaches hundreds)."""
    roles = [
        role
        for role in world.roles
        if role.arn != principal.arn and _allowed(principal, "iam:UpdateAssumeRolePolicy", role.arn)
    ]
    if len(roles) == 1:
        (role,) = roles
        yield EscalationPath(
            "trust-and-assume",
            f"Trust itself in {role.role_name}'s trust policy, then act as {role.role_name}.",
            (f"iam:UpdateAssumeRolePolicy on {role.arn}", f"sts:AssumeRole on {role.arn}"),
        )
    elif roles:
        yield EscalationPath(
            "trust-and-assume",
            f"Trust itself in the trust policy of any of {len(roles)} roles, then act as that role.",
            ("iam:UpdateAssumeRolePolicy on the role", "sts:AssumeRole on the role"),
            tuple(role.arn for role in roles),
        )


def _key_paths(world: _World, principal: _Principal):
    """Create an access key for another user, and act as that user."""
    others = []
    for user in _targets(principal, "iam:CreateAccessKey", world.users_by_name, world.users):
        if user.arn != principal.arn and _allowed(principal, "iam:CreateAccessKey", user.arn):
            others.append(user.username)
            if len(others) > TARGETS_SHOWN:
                break
    if others:
        shown = ", ".join(others[:TARGETS_SHOWN]) + (" and others" if len(others) > TARGETS_SHOWN else "")
        first = next(user.arn for user in world.users if user.username == others[0])
        yield EscalationPath(
            "create-keys",
            f"Create an access key for another user ({shown}), then act as that user.",
            (f"iam:CreateAccessKey on {first}", "sign requests with that key"),
        )
