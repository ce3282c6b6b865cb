"""Heavy read-only reports: what can a principal do, who can do an action on a resource.

They read everything they need in a constant number of queries and compile
each distinct set of policies once, so the cost grows with the number of
principals only through evaluation (microseconds each).
"""

import fnmatch
import re
from collections import defaultdict
from typing import NamedTuple

from django.conf import settings

from identities.models import Role, User
from policies import authorization
from policies.catalogue_data import has_feature
from policies.engine import Outcome, allowed_principals, may_allow
from policies.models import CatalogAction, CatalogOrigin

_VARIABLE = re.compile(r"\$\{([^}]+)\}")


class Grant(NamedTuple):
    action: str
    access_level: str
    resources: tuple[str, ...]
    conditional: bool
    via_role: str = ""
    granted_by: tuple[str, ...] = ()  # source labels of the identity statements that allow it


def catalogue_actions() -> list[tuple[str, str]]:
    """Every catalogue action as (prefix:Name, access level), in order, but AWS's reference
    (policies.aws_catalogue): nothing here performs those, and a report asks about them only
    when it is given them."""
    rows = (
        CatalogAction.objects.exclude(origin=CatalogOrigin.AWS)
        .select_related("service")
        .order_by("service__prefix", "name")
    )
    return [(row.full_name, row.access_level) for row in rows]


def _candidate_resources(layers: authorization.Layers, action: str) -> list[str]:
    """Where an action could be allowed: each Allow statement's resources that name it
    (variables filled from the principal's keys), and "*"."""
    found = {"*"}
    lowered = action.lower()
    for _, policy in layers.identity.policies:
        for statement in policy.statements:
            if statement.effect.value != "Allow" or not statement.actions:
                continue
            if any(fnmatch.fnmatchcase(lowered, pattern.lower()) for pattern in statement.actions):
                found.update(_fill(resource, layers.keys) for resource in statement.resources or ("*",))
    return sorted(found)


def _fill(pattern: str, keys: dict) -> str:
    """A Resource pattern as a resource to ask about: variables filled, a wildcard account made ours."""
    lowered = {key.lower(): value for key, value in keys.items()}
    filled = _VARIABLE.sub(lambda match: str(lowered.get(match.group(1).split(",")[0].strip().lower(), "*")), pattern)
    parts = filled.split(":", 5)
    if len(parts) == 6 and parts[4] == "*":
        parts[4] = settings.IAM_ACCOUNT_ID
    return ":".join(parts)


def featured_actions() -> list[tuple[str, str]]:
    """The catalogue actions that something performs: the catalogue's own (AWS's reference has
    no feature here), less iam and sts actions the console does not implement (catalogue_data.has_feature)."""
    return [(action, level) for action, level in catalogue_actions() if has_feature(action)]


def what_can(layers: authorization.Layers, via_role: str = "", actions=None) -> list[Grant]:
    """Every catalogue action (or each of `actions`, (name, level) pairs) the principal is
    allowed somewhere, with where, whether only under conditions, and which policies allow it."""
    grants = []
    for action, level in catalogue_actions() if actions is None else actions:
        allowed, conditional, labels = [], False, {}
        for resource in _candidate_resources(layers, action):
            decision = authorization.decide(layers, action, resource)
            # An implicit deny that only lacks request keys holds under the right conditions.
            possible = decision.outcome is Outcome.IMPLICIT_DENY and bool(decision.missing_context_keys)
            if decision.outcome is Outcome.ALLOW or possible:
                allowed.append(resource)
                conditional = conditional or decision.conditional or possible
                labels.update(dict.fromkeys(ref.source for ref in decision.deciding if ref.layer == "identity"))
        if allowed:
            grants.append(Grant(action, level, tuple(allowed), conditional, via_role, tuple(labels)))
    return grants


def grouped(grants: list[Grant]) -> dict[str, dict[str, list[Grant]]]:
    """Grants by service prefix, then access level in AWS's order."""
    order = [level for level, _ in CatalogAction.AccessLevel.choices]
    by_service: dict[str, dict[str, list[Grant]]] = defaultdict(lambda: defaultdict(list))
    for grant in grants:
        by_service[grant.action.split(":")[0]][grant.access_level].append(grant)
    return {
        service: {level: levels[level] for level in order if level in levels}
        for service, levels in sorted(by_service.items())
    }


class WhoCan(NamedTuple):
    arn: str
    kind: str
    paths: tuple[str, ...]


class _Caller(NamedTuple):
    principal: User | Role | authorization.UserRow
    layers: authorization.Layers


USER_FIELDS = ("pk", "username", "path", "tags", "iam_id", "is_superuser", "is_active")


def who_can(action: str, resource: str) -> list[WhoCan]:
    """Every user and role allowed `action` on `resource`, with the path that grants it:
    their own policy, via a group, or via a role they may assume. Users are decided once
    per set of layers the engine cannot tell apart (authorization.Sharing)."""
    account = authorization.Account(policy_groups_only=True)
    sharing = account.sharing(account.active_users())
    found = _users_who_can(account, sharing, action, resource)
    roles = list(_roles_who_can(account, action, resource))
    found += [entry for _, entry in roles]
    found += _users_via_roles(account, sharing, [role for role, _ in roles])
    return found


def path_of(account: authorization.Account, user_id: int, label: str) -> str:
    """How a user holds the policy a source label names: their own, or via which groups."""
    if " inline " in label:
        return "own inline policy" if ":user/" in label.split(" inline ")[0] else f"via group inline policy {label}"
    policy_id = account.policy_by_label.get(label)
    if policy_id in account.attached(("user", user_id)):
        return f"own policy {label}"
    groups = [
        account.group_names[gid]
        for gid in account.memberships.get(user_id, [])
        if policy_id in account.attached(("group", gid))
    ]
    return f"via group {', '.join(groups)} ({label})" if groups else label


def _users_who_can(account, sharing: list[authorization.Sharing], action, resource) -> list[WhoCan]:
    found = []
    for group in sharing:
        if not may_allow(group.layers.identity, action):  # exact: without an Allow naming it, nothing allows it
            continue
        paths: dict[str, str] = {}  # a label's path is the same for every user of a group but their own
        for users in group.alike():
            decision = authorization.decide(group.layers_of(users[0]), action, resource)
            if decision.outcome is not Outcome.ALLOW:
                continue
            labels = [ref.source for ref in decision.deciding if ref.layer == "identity"]
            for user in users:
                shown = [paths.get(label) or _path(paths, account, user.pk, label, group) for label in labels]
                found.append((user, WhoCan(user.arn, "user", tuple(dict.fromkeys(shown)))))
    order = {user.pk: index for index, user in enumerate(user for group in sharing for user in group.users)}
    return [entry for _, entry in sorted(found, key=lambda pair: order[pair[0].pk])]


def _path(paths: dict[str, str], account, user_id: int, label: str, group: authorization.Sharing) -> str:
    path = path_of(account, user_id, label)
    if ("user", user_id) not in group.owners:  # then it holds nothing of its own: the path is the group's
        paths[label] = path
    return path


def _may_assume(trust_set, entries: list[_Caller]) -> list[_Caller]:
    """The users (or roles) a trust policy can let in (docs/policy-evaluation.md, "Trust
    policies"): those it names, and where it names the account, those whose own policies may
    allow sts:AssumeRole; everyone when it names anyone or allows by NotPrincipal. The engine
    still decides each."""
    named = allowed_principals(trust_set)
    if named is None:
        return entries
    accounts, arns = named
    whole_account = settings.IAM_ACCOUNT_ID in accounts
    return [
        entry
        for entry in entries
        if entry.principal.arn in arns or (whole_account and may_allow(entry.layers.identity, "sts:AssumeRole"))
    ]


def assumers(role: Role) -> list[tuple[User | Role, bool]]:
    """The users and roles of this account that may assume `role` now, each decided by the
    engine among those its trust policy can let in, with whether only under conditions."""
    account = authorization.Account()
    trust_set = account.trust(role, account.trusted_arns([role]))
    if trust_set is None:
        return []
    users = User.objects.filter(is_active=True, is_superuser=False).only(*USER_FIELDS).order_by("username")
    callers = [_Caller(user, account.user_layers(user)) for user in users]
    callers += [_Caller(other, account.role_layers(other)) for other in Role.objects.order_by("role_name")]
    found = []
    for principal, layers in _may_assume(trust_set, callers):
        decision = authorization.assume_with(layers, role.arn, trust_set, context=authorization.time_keys())
        if decision.allowed:
            found.append((principal, decision.conditional))
    return found


def _roles_who_can(account, action, resource):
    for role in Role.objects.all():
        decision = authorization.decide(account.role_layers(role), action, resource)
        if decision.outcome is Outcome.ALLOW:
            paths = [f"role policy {ref.source}" for ref in decision.deciding if ref.layer == "identity"]
            yield role, WhoCan(role.arn, "role", tuple(dict.fromkeys(paths)))


def _users_via_roles(account, sharing: list[authorization.Sharing], roles: list[Role]) -> list[WhoCan]:
    """Users who may assume a role that is allowed, shown with that role as their path."""
    found = []
    arns = account.trusted_arns(roles)
    for role in roles:
        trust_set = account.trust(role, arns)
        if trust_set is None:
            continue
        for user, layers in _may_assume(trust_set, _callers(sharing, trust_set)):
            decision = authorization.assume_with(layers, role.arn, trust_set, context=authorization.time_keys())
            if decision.outcome is Outcome.ALLOW:
                found.append(WhoCan(user.arn, "user", (f"after assuming {role.role_name}",)))
    return found


def _callers(sharing: list[authorization.Sharing], trust_set) -> list[_Caller]:
    """The users a trust policy could let in, with their layers (`_may_assume` narrows
    further): those it names, and when it names the account or anyone, every user of
    a group whose policies may allow sts:AssumeRole."""
    named = allowed_principals(trust_set)
    callers = []
    for group in sharing:
        whole = named is None or settings.IAM_ACCOUNT_ID in named[0]
        if whole and (named is None or may_allow(group.layers.identity, "sts:AssumeRole")):
            users = group.users
        else:
            users = [user for user in group.users if user.arn in named[1]]
        callers += [_Caller(user, group.layers_of(user)) for user in users]
    return callers
