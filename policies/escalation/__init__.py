"""Escalation paths: principals that can give themselves more than they have.

The reachability report a security reviewer runs. Like who-can, it reads the
whole account in a constant number of queries and decides every step with the
engine (no DB access per principal): each path is a chain of actions the
principal is allowed now, ending with more permissions than it has.

`world` reads the account; `paths` holds the routes taken with the principal's own
credentials, `chains` those through roles it may assume, `renames` those through a
new name. Every route begins with an action of authorization.ROUTE_ACTIONS.
"""

from typing import NamedTuple

from policies.escalation import paths as routes
from policies.escalation.chains import MAX_HOPS, _reach, _reached_paths
from policies.escalation.expectations import expectation_paths
from policies.escalation.renames import _group_rename_paths, _rename_paths
from policies.escalation.world import EscalationPath, _Principal, _principals, _read_world, _World

__all__ = ["MAX_HOPS", "EscalationPath", "PrincipalPaths", "escalation_paths"]


class PrincipalPaths(NamedTuple):
    arn: str
    kind: str
    name: str
    paths: tuple[EscalationPath, ...]


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


def _paths_of(world: _World, principal: _Principal):
    """Its paths taken with its own credentials, the renames among them."""
    yield from routes.policy_paths(world, principal)
    yield from routes._self_paths(world, principal)
    yield from routes.group_paths(world, principal)
    yield from routes.role_paths(world, principal)
    yield from routes.key_paths(world, principal)
    yield from routes.login_paths(world, principal)
    yield from routes.federation_paths(world, principal)
    yield from routes.deny_paths(world, principal)
    yield from routes.guardrail_paths(world, principal)
    yield from _rename_paths(world, principal)
    yield from _group_rename_paths(world, principal)
    yield from routes.pass_role_paths(principal)
    yield from routes.approval_paths(world, principal)
    yield from expectation_paths(world, principal)
