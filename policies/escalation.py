"""Escalation paths: principals that can give themselves more than they have.

The reachability report a security reviewer runs. Like who-can, it reads the
whole account in a constant number of queries and decides every step with the
engine (no DB access per principal): each path is a chain of actions the
principal is allowed now, ending with more permissions than it has.
"""

import dataclasses
import re
from typing import NamedTuple

from django.conf import settings
from django.db.models import Count, Q

from identities import naming
from identities.models import Group, Role, User
from policies import authorization
from policies.builtin_policies import ADMINISTRATOR_ACCESS
from policies.engine import Outcome, PolicySet, allow_resources, allowed_principals, may_allow
from policies.models import ManagedPolicy

# The policy an escalating principal would attach or set: the most powerful there is, so that a
# grant confined to harmless policies (iam:PolicyARN) is not reported.
STRONGEST_POLICY_ARN = ADMINISTRATOR_ACCESS.arn
TARGETS_SHOWN = 3
# An action no catalogue lists: only an allow-all guardrail allows it.
_UNNAMED_ACTION = "xyzzy1:Plugh1"
# How many sts:AssumeRole hops a chain may take: AWS sets no limit, a report must.
MAX_HOPS = 4


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


class _Reached(NamedTuple):
    """A role the principal may act as, through `chain` (the roles assumed in turn, it last)."""

    role: Role
    chain: tuple[Role, ...]


def escalation_paths() -> list[PrincipalPaths]:
    """Every user and role with at least one path, in ARN order. A role's own paths are
    found first: a principal that may reach the role, through a chain of sts:AssumeRole,
    has them too."""
    world = _read_world()
    principals = list(_principals(world))
    own = {principal.arn: tuple(_paths_of(world, principal)) for principal in principals if principal.kind == "role"}
    found = []
    for principal in principals:
        reached = _reach(world, principal)
        paths = (*own.get(principal.arn, ()), *_reached_paths(world, principal, reached, own))
        if principal.kind == "user":
            paths = (*_paths_of(world, principal), *paths)
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
    )


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


def _paths_of(world: _World, principal: _Principal):
    yield from _policy_paths(world, principal)
    yield from _self_paths(world, principal)
    yield from _group_paths(world, principal)
    yield from _role_paths(world, principal)
    yield from _key_paths(world, principal)
    yield from _login_paths(world, principal)
    yield from _deny_paths(world, principal)
    yield from _guardrail_paths(world, principal)
    yield from _rename_paths(world, principal)
    yield from _group_rename_paths(world, principal)
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
    strongest = {"iam:PermissionsBoundary": STRONGEST_POLICY_ARN}
    if principal.bounded and _allowed(principal, f"iam:Put{kind}PermissionsBoundary", principal.arn, strongest):
        yield EscalationPath(
            "remove-boundary",
            "Replace its own permission boundary with AdministratorAccess, which bounds nothing.",
            (f"iam:Put{kind}PermissionsBoundary on {principal.arn}",),
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


def _login_paths(world: _World, principal: _Principal):
    """Give another user a password, or replace theirs, then sign in to the console as them."""
    for action, has_password in (("iam:CreateLoginProfile", False), ("iam:UpdateLoginProfile", True)):
        others = []
        for user in _targets(principal, action, world.users_by_name, world.users):
            if user.arn == principal.arn or (user.pk in world.with_password) is not has_password:
                continue
            if _allowed(principal, action, user.arn):
                others.append(user)
                if len(others) > TARGETS_SHOWN:
                    break
        if others:
            shown = ", ".join(user.username for user in others[:TARGETS_SHOWN])
            shown += " and others" if len(others) > TARGETS_SHOWN else ""
            verb = "Replace the password of" if has_password else "Give a password to"
            yield EscalationPath(
                "login-profile",
                f"{verb} another user ({shown}), then sign in to the console as that user.",
                (f"{action} on {others[0].arn}", "sign in with that password"),
            )


def _reach(world: _World, principal: _Principal) -> list[_Reached]:
    """The roles the principal may act as through up to MAX_HOPS sts:AssumeRole, each hop
    decided by the engine with the role's effective trust and the caller of that hop (the
    principal, then each role's session in turn); every role once, by its shortest chain."""
    reached: dict[int, _Reached] = {}
    frontier: list[tuple[authorization.Layers, tuple[Role, ...]]] = [(principal.layers, ())]
    context = authorization.time_keys()
    for _ in range(MAX_HOPS):
        following = []
        for caller, chain in frontier:
            for role in _may_let_in(world, caller):
                if role.pk in reached or role.arn == principal.arn:
                    continue
                decision = authorization.assume_with(caller, role.arn, world.trusts[role.pk], context=context)
                if decision.outcome is Outcome.ALLOW:
                    reached[role.pk] = _Reached(role, (*chain, role))
                    following.append((world.role_layers[role.pk], (*chain, role)))
        frontier = following
    return list(reached.values())


def _may_let_in(world: _World, caller: authorization.Layers) -> list[Role]:
    """The roles whose trust could let the caller in (docs/policy-evaluation.md, "Trust
    policies"): those naming it, those naming anyone, and, when the caller's own policies may
    allow sts:AssumeRole, those naming the account. The engine decides each."""
    trusting = world.trusting
    roles = [*trusting.get(None, ()), *trusting.get(caller.principal_arn, ())]
    if may_allow(caller.identity, "sts:AssumeRole"):
        roles += trusting.get(settings.IAM_ACCOUNT_ID, ())
    return list(dict.fromkeys(roles))


def _assumed(chain: tuple[Role, ...]) -> tuple[str, ...]:
    return tuple(f"sts:AssumeRole on {role.arn}" for role in chain)


def _through(chain: tuple[Role, ...]) -> str:
    return ", then ".join(role.role_name for role in chain)


def _reached_paths(world: _World, principal: _Principal, reached: list[_Reached], own: dict):
    """What the roles it may act as give it: their own paths, and changes it may make to
    them with its own credentials before assuming them."""
    for role, chain in reached:
        for path in own.get(role.arn, ()):
            yield EscalationPath(
                "assume-chain",
                f"Assume {_through(chain)}, which can: {path.summary}",
                (*_assumed(chain), *path.steps),
            )
            break
        yield from _reached_role_changes(world, principal, role, chain)


def _reached_role_changes(world: _World, principal: _Principal, role: Role, chain: tuple[Role, ...]):
    """Attach or put a policy on a role it may assume, or write a new default version of a
    policy attached to that role; then assume it."""
    then = _assumed(chain)
    if _allowed(principal, "iam:AttachRolePolicy", role.arn, {"iam:PolicyARN": STRONGEST_POLICY_ARN}):
        yield EscalationPath(
            "attach-policy",
            f"Attach any managed policy, AdministratorAccess included, to {role.role_name}, then act as it.",
            (f"iam:AttachRolePolicy on {role.arn}", *then),
        )
    if _allowed(principal, "iam:PutRolePolicy", role.arn):
        yield EscalationPath(
            "put-policy",
            f"Write an inline policy granting anything on {role.role_name}, then act as it.",
            (f"iam:PutRolePolicy on {role.arn}", *then),
        )
    for policy_id in world.account.attached(("role", role.pk)):
        policy = world.policies[policy_id]
        if not policy.read_only and _allowed(principal, "iam:CreatePolicyVersion", policy.arn):
            yield EscalationPath(
                "modify-policy",
                f"Write a new default version of {policy.policy_name}, attached to {role.role_name}, then act as it.",
                (f"iam:CreatePolicyVersion on {policy.arn} (with SetAsDefault)", *then),
            )


def _denies(document) -> bool:
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    statements = [statements] if isinstance(statements, dict) else statements
    return any(isinstance(item, dict) and item.get("Effect") == "Deny" for item in statements)


def _deny_paths(world: _World, principal: _Principal):
    """Detach, or delete, a policy with a Deny that applies to it: its own or a group's."""
    owners = [(principal.owner, principal.kind.title(), principal.arn, "itself")]
    owners += [
        (("group", gid), "Group", world.groups[gid].arn, world.groups[gid].group_name) for gid in principal.groups
    ]
    documents, identity = world.account.documents, principal.layers.identity
    for owner, kind, arn, label in owners:
        detach = may_allow(identity, f"iam:Detach{kind}Policy")
        for policy_id in documents.attached.get(owner, []) if detach else ():
            policy = world.policies[policy_id]
            if not _denies(documents.versions[policy_id][1]):
                continue
            if _allowed(principal, f"iam:Detach{kind}Policy", arn, {"iam:PolicyARN": policy.arn}):
                yield EscalationPath(
                    "remove-deny",
                    f"Detach {policy.policy_name}, whose Deny applies to it, from {label}.",
                    (f"iam:Detach{kind}Policy on {arn}",),
                )
        delete = may_allow(identity, f"iam:Delete{kind}Policy")
        for source, document in documents.inline.get(owner, []) if delete else ():
            if _denies(document) and _allowed(principal, f"iam:Delete{kind}Policy", arn):
                yield EscalationPath(
                    "remove-deny",
                    f"Delete {source.rpartition(' inline ')[2]}, an inline policy of {label} whose Deny applies to it.",
                    (f"iam:Delete{kind}Policy on {arn}",),
                )


def _guardrail_paths(world: _World, principal: _Principal):
    """Change or delete a guardrail that denies something; or add an Allow to a level that
    lacks one for some action (guardrails grant nothing, so only those widen anything)."""
    levels = world.account.documents.guardrails
    for sources in levels:
        for arn, document in sources:
            if not _denies(document):
                continue
            for action in ("iam:UpdateGuardrail", "iam:DeleteGuardrail"):
                if _allowed(principal, action, arn):
                    yield EscalationPath(
                        "edit-guardrail",
                        f"Change or delete the guardrail {arn.rsplit('/', 1)[-1]}, whose Deny binds everyone.",
                        (f"{action} on {arn}",),
                    )
                    break
    narrow = [level for level in world.account.guardrails or () if not may_allow(level, _UNNAMED_ACTION)]
    if narrow and _allowed(principal, "iam:CreateGuardrail", "*"):
        yield EscalationPath(
            "edit-guardrail",
            "Create a guardrail that allows what a level of guardrails allows no one.",
            ("iam:CreateGuardrail",),
        )


# Renames and moves: AWS matches names, not unique IDs, in conditions and identity policies'
# ARN patterns (trust policies here keep unique IDs, so a rename keeps or gains no trust).

_NAME = re.compile(r"[\w+=,.@-]{1,64}")
_NAME_KEYS = ("aws:principalarn", "aws:username")


def _rename_paths(world: _World, principal: _Principal):
    """Rename or move itself (or a group it is in) to a name that a document matches, and
    gain what that document gives the new name."""
    if principal.kind != "user" or not _allowed(principal, "iam:UpdateUser", principal.arn):
        return
    row = next(user for user in world.users_by_name[principal.name.lower()] if user.arn == principal.arn)
    before, requests = None, _named_requests(world, principal)
    for path, name in _candidates(world, principal, row):
        taken = world.users_by_name.get(name.lower(), [])
        new_arn = naming.build_arn("user", path, name)
        if any(user.pk != row.pk for user in taken) or not _allowed(principal, "iam:UpdateUser", new_arn):
            continue
        renamed = _renamed(principal, row, path, name, new_arn)
        before = before if before is not None else _what_it_has(world, principal, requests)
        gained = _what_it_has(world, renamed, requests) - before
        if gained:
            yield EscalationPath(
                "rename",
                f"Rename or move itself to {new_arn.split(':', 5)[5]}, which other documents match by name, "
                f"and gain {', '.join(sorted(gained)[:TARGETS_SHOWN])}.",
                (f"iam:UpdateUser on {principal.arn} and {new_arn}", *sorted(gained)[:1]),
            )
            return


def _renamed(principal: _Principal, row, path: str, name: str, new_arn: str) -> _Principal:
    moved = row._replace(username=name, path=path, arn=new_arn)
    layers = dataclasses.replace(principal.layers, principal_arn=new_arn, keys=authorization.user_keys(moved))
    return principal._replace(arn=new_arn, name=name, layers=layers)


def _documents_of(world: _World, principal: _Principal) -> list[dict]:
    """Every document that decides for the principal or lets it into a role."""
    documents = world.account.documents
    owners = [principal.owner, *(("group", gid) for gid in principal.groups)]
    found = [document for _, document in documents.sources(owners)]
    boundary = documents.boundary(principal.owner)
    found += [boundary[1]] if boundary is not None else []
    found += [document for level in documents.guardrails for _, document in level]
    return found + [role.trust_policy for role in world.roles]


def _statements_of(document) -> list[dict]:
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    statements = [statements] if isinstance(statements, dict) else statements
    return [item for item in statements if isinstance(item, dict)]


def _strings(value) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [item for item in values if isinstance(item, str) and "${" not in item]


def _candidates(world: _World, principal: _Principal, row):
    """(path, name) pairs the documents' user ARN patterns and name conditions match, each
    wildcard filled in with the principal's own name (a `*` standing for any run of it)."""
    seen = set()
    for document in _documents_of(world, principal):
        for statement in _statements_of(document):
            patterns = _strings(statement.get("Resource", []))
            for values in (statement.get("Condition") or {}).values():
                for key, value in (values if isinstance(values, dict) else {}).items():
                    if key.lower() == "aws:principalarn":
                        patterns += _strings(value)
                    elif key.lower() == "aws:username":
                        patterns += [
                            f"arn:aws:iam::{settings.IAM_ACCOUNT_ID}:user{row.path}{name}" for name in _strings(value)
                        ]
            for pattern in patterns:
                found = _user_of(pattern, principal.name)
                if found is not None and found not in seen:
                    seen.add(found)
                    yield found


def _user_of(pattern: str, own_name: str, wanted: str = "user") -> tuple[str, str] | None:
    """The (path, name) of a user (or `wanted`) ARN pattern of this account, wildcards filled in."""
    parts = pattern.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or parts[4] not in (settings.IAM_ACCOUNT_ID, "*"):
        return None
    kind, slash, rest = parts[5].replace("*", own_name).replace("?", "x").partition("/")
    path, _, name = f"/{rest}".rpartition("/")
    if kind != wanted or not slash or not _NAME.fullmatch(name):
        return None
    return f"{path}/", name


def _group_rename_paths(world: _World, principal: _Principal):
    """Rename or move a group it is in to a name its own Allow statements match for a
    policy write they do not allow on the group as it is named now."""
    if principal.kind != "user" or not may_allow(principal.layers.identity, "iam:UpdateGroup"):
        return
    for group in (world.groups[gid] for gid in principal.groups):
        if not _allowed(principal, "iam:UpdateGroup", group.arn):
            continue
        for action, keys in (
            ("iam:AttachGroupPolicy", {"iam:PolicyARN": STRONGEST_POLICY_ARN}),
            ("iam:PutGroupPolicy", None),
        ):
            if _allowed(principal, action, group.arn, keys):
                continue  # a path already, with no rename
            for pattern in allow_resources(principal.layers.identity, action, principal.layers.keys) or ():
                found = _user_of(pattern, group.group_name, "group")
                if found is None or any(
                    other.pk != group.pk for other in world.groups_by_name.get(found[1].lower(), [])
                ):
                    continue
                new_arn = naming.build_arn("group", *found)
                if _allowed(principal, "iam:UpdateGroup", new_arn) and _allowed(principal, action, new_arn, keys):
                    yield EscalationPath(
                        "rename",
                        f"Rename or move its group {group.group_name} to {new_arn.split(':', 5)[5]}, then change it.",
                        (f"iam:UpdateGroup on {group.arn} and {new_arn}", f"{action} on {new_arn}"),
                    )
                    return


def _named_requests(world: _World, principal: _Principal) -> list[tuple[str, str]]:
    """(action, resource) of each statement that names principals by name in a condition,
    wildcards filled in: the requests a rename could change."""
    found = []
    for document in _documents_of(world, principal):
        for statement in _statements_of(document):
            keys = {key.lower() for values in (statement.get("Condition") or {}).values() for key in values}
            if not keys & set(_NAME_KEYS) or "Action" not in statement:
                continue
            resources = _strings(statement.get("Resource", "*")) or ["*"]
            for action in _strings(statement["Action"]):
                concrete = "any:Any" if action == "*" else action.replace("*", "Any").replace("?", "x")
                found += [
                    (concrete, resource if resource == "*" else resource.replace("*", "x")) for resource in resources
                ]
    return list(dict.fromkeys(found))


def _what_it_has(world: _World, principal: _Principal, requests: list[tuple[str, str]]) -> frozenset[str]:
    """What a rename could change, each said as a step: the named requests it is allowed,
    the routes on itself, the roles it may assume."""
    allowed = {f"{action} on {resource}" for action, resource in requests if _allowed(principal, action, resource)}
    own = {path.steps[0].replace(principal.arn, "itself") for path in _self_paths(world, principal)}
    roles = {f"sts:AssumeRole on {reached.role.arn}" for reached in _reach(world, principal)}
    return frozenset(allowed | own | roles)
