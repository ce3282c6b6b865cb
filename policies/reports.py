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

from identities.models import Group, Membership, Role, User
from policies import loading
from policies.engine import Outcome, PolicyKind, Request, authorize, authorize_assume_role, compile_policies
from policies.models import CatalogAction, InlinePolicy, PermissionBoundary, PolicyAttachment, PolicyVersion

_VARIABLE = re.compile(r"\$\{([^}]+)\}")


class Grant(NamedTuple):
    action: str
    access_level: str
    resources: tuple[str, ...]
    conditional: bool
    via_role: str = ""


def catalogue_actions() -> list[tuple[str, str]]:
    """Every catalogue action as (prefix:Name, access level), in order."""
    rows = CatalogAction.objects.select_related("service").order_by("service__prefix", "name")
    return [(row.full_name, row.access_level) for row in rows]


def _candidate_resources(layers: loading.PrincipalLayers, action: str) -> list[str]:
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


def what_can(layers: loading.PrincipalLayers, via_role: str = "") -> list[Grant]:
    """Every catalogue action the principal is allowed somewhere, with where and whether only under conditions."""
    grants = []
    for action, level in catalogue_actions():
        allowed, conditional = [], False
        for resource in _candidate_resources(layers, action):
            decision = loading.decide_request(layers, action, resource, {})
            # An implicit deny that only lacks request keys holds under the right conditions.
            possible = decision.outcome is Outcome.IMPLICIT_DENY and bool(decision.missing_context_keys)
            if decision.outcome is Outcome.ALLOW or possible:
                allowed.append(resource)
                conditional = conditional or decision.conditional or possible
        if allowed:
            grants.append(Grant(action, level, tuple(allowed), conditional, via_role))
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


class _Account(NamedTuple):
    """Everything the who-can report needs, read in a constant number of queries."""

    memberships: dict[int, list[int]]
    group_names: dict[int, str]
    inline: dict[tuple[str, int], list[tuple[str, dict]]]
    attached: dict[tuple[str, int], list[int]]
    versions: dict[int, tuple[str, dict]]
    boundaries: dict[tuple[str, int], int]
    policy_by_label: dict[str, int]


def _read_account() -> _Account:
    memberships: dict[int, list[int]] = defaultdict(list)
    for user_id, group_id in Membership.objects.values_list("user_id", "group_id"):
        memberships[user_id].append(group_id)
    inline: dict[tuple[str, int], list] = defaultdict(list)
    for row in InlinePolicy.objects.select_related("user", "group", "role"):
        inline[(row.owner_kind, row.owner.pk)].append((row.label, row.document))
    attached: dict[tuple[str, int], list[int]] = defaultdict(list)
    for user_id, group_id, role_id, policy_id in PolicyAttachment.objects.values_list(
        "user_id", "group_id", "role_id", "policy_id"
    ):
        owner = ("user", user_id) if user_id else ("group", group_id) if group_id else ("role", role_id)
        attached[owner].append(policy_id)
    versions = {
        v.policy_id: (v.label, v.document)
        for v in PolicyVersion.objects.filter(is_default=True).select_related("policy")
    }
    boundaries = {
        ("user", user_id) if user_id else ("role", role_id): policy_id
        for user_id, role_id, policy_id in PermissionBoundary.objects.values_list("user_id", "role_id", "policy_id")
    }
    group_names = dict(Group.objects.values_list("pk", "group_name"))
    by_label = {label: policy_id for policy_id, (label, _) in versions.items()}
    return _Account(memberships, group_names, inline, attached, versions, boundaries, by_label)


def _owned(account: _Account, owner: tuple[str, int]) -> list[tuple[str, dict]]:
    return account.inline.get(owner, []) + [account.versions[p] for p in account.attached.get(owner, [])]


class _UserLayers(NamedTuple):
    user: User
    identity: object
    boundary: object
    keys: loading.Keys


def who_can(action: str, resource: str) -> list[WhoCan]:
    """Every user and role allowed `action` on `resource`, with the path that grants it:
    their own policy, via a group, or via a role they may assume."""
    account, guardrails = _read_account(), loading.guardrail_levels()
    compiled: dict = {}
    users = User.objects.filter(is_active=True, is_superuser=False).only(*_USER_FIELDS)
    entries = [
        _UserLayers(user, *_user_layers(account, compiled, user, account.memberships.get(user.pk, [])), keys)
        for user in users
        for keys in (loading.principal_keys(user),)
    ]
    found = list(_users_who_can(account, guardrails, entries, action, resource))
    roles = list(_roles_who_can(action, resource))
    found += [entry for _, entry in roles]
    found += _users_via_roles(guardrails, entries, [role for role, _ in roles])
    return found


_USER_FIELDS = ("pk", "username", "path", "tags", "iam_id", "is_superuser", "is_active")


def _compiled(cache: dict, sources: list[tuple[str, dict]], kind: PolicyKind = PolicyKind.IDENTITY):
    key = (kind, tuple(label for label, _ in sources))
    if key not in cache:
        cache[key] = compile_policies(sources, kind=kind)
    return cache[key]


def _user_layers(account: _Account, compiled: dict, user: User, groups: list[int]):
    sources = _owned(account, ("user", user.pk))
    for group_id in groups:
        sources += _owned(account, ("group", group_id))
    boundary_id = account.boundaries.get(("user", user.pk))
    boundary = _compiled(compiled, [account.versions[boundary_id]], PolicyKind.BOUNDARY) if boundary_id else None
    return _compiled(compiled, sources), boundary


def _path_of(account: _Account, user_id: int, label: str) -> str:
    if " inline " in label:
        return "own inline policy" if ":user/" in label.split(" inline ")[0] else f"via group inline policy {label}"
    policy_id = account.policy_by_label.get(label)
    if policy_id in account.attached.get(("user", user_id), []):
        return f"own policy {label}"
    groups = [
        account.group_names[gid]
        for gid in account.memberships.get(user_id, [])
        if policy_id in account.attached.get(("group", gid), [])
    ]
    return f"via group {', '.join(groups)} ({label})" if groups else label


def _users_who_can(account, guardrails, entries: list[_UserLayers], action, resource):
    resource_account = loading.resource_account(resource)
    for user, identity, boundary, keys in entries:
        if not identity.may_allow(action):  # exact: without an Allow naming it, nothing allows it
            continue
        request = Request(user.arn, action, resource, keys, resource_account)
        decision = authorize(
            request, identity=identity, boundary=boundary, guardrails=guardrails, account_id=settings.IAM_ACCOUNT_ID
        )
        if decision.outcome is Outcome.ALLOW:
            paths = [_path_of(account, user.pk, ref.source) for ref in decision.deciding if ref.layer == "identity"]
            yield WhoCan(user.arn, "user", tuple(dict.fromkeys(paths)))


def _may_assume(trust_set, entries: list[_UserLayers]) -> list[_UserLayers]:
    """The users a trust policy can let in (IAM-RULES.md rule 6): those it names, and where
    it names the account, those whose own policies may allow sts:AssumeRole; everyone when
    it names anyone or allows by NotPrincipal. The engine still decides each."""
    named = trust_set.allowed_principals()
    if named is None:
        return entries
    accounts, arns = named
    whole_account = settings.IAM_ACCOUNT_ID in accounts
    return [
        entry
        for entry in entries
        if entry.user.arn in arns or (whole_account and entry.identity.may_allow("sts:AssumeRole"))
    ]


def _roles_who_can(action, resource):
    for role in Role.objects.all():
        decision = loading.decide_request(loading.role_layers(role), action, resource, {})
        if decision.outcome is Outcome.ALLOW:
            paths = [f"role policy {ref.source}" for ref in decision.deciding if ref.layer == "identity"]
            yield role, WhoCan(role.arn, "role", tuple(dict.fromkeys(paths)))


def _users_via_roles(guardrails, entries: list[_UserLayers], roles: list[Role]) -> list[WhoCan]:
    """Users who may assume a role that is allowed, shown with that role as their path."""
    found = []
    for role in roles:
        trust = loading.effective_trust(role)
        if not trust["Statement"]:
            continue
        trust_set = compile_policies([(f"{role.arn} trust policy", trust)], kind=PolicyKind.TRUST)
        for user, identity, boundary, keys in _may_assume(trust_set, entries):
            decision = authorize_assume_role(
                user.arn,
                role.arn,
                trust_policy=trust_set,
                identity=identity,
                boundary=boundary,
                guardrails=guardrails,
                context=keys,
            )
            if decision.outcome is Outcome.ALLOW:
                found.append(WhoCan(user.arn, "user", (f"after assuming {role.role_name}",)))
    return found
