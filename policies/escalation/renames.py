"""Renames and moves: AWS matches names, not unique IDs, in conditions and in identity
policies' ARN patterns (trust policies here keep unique IDs, so a rename gains no trust)."""

import dataclasses
import re

from django.conf import settings

from identities import naming
from policies import authorization
from policies.engine import allow_resources, may_allow
from policies.escalation.chains import _reach
from policies.escalation.paths import _self_paths
from policies.escalation.world import (
    STRONGEST_POLICY_ARN,
    TARGETS_SHOWN,
    EscalationPath,
    _allowed,
    _Principal,
    _World,
)

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
