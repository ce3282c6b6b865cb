"""Roles a principal may act as through chains of sts:AssumeRole, and what that gives it."""

from django.conf import settings

from identities.models import Role
from policies import authorization
from policies.engine import Outcome, may_allow
from policies.escalation.world import STRONGEST_POLICY_ARN, EscalationPath, _allowed, _Principal, _Reached, _World

# How many sts:AssumeRole hops a chain may take: AWS sets no limit, a report must.
MAX_HOPS = 4


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
    policy attached to that role; then assume it. A role's permission boundary is not
    weighed: what it would still let through is not asked, so a bounded role is listed too
    (reporting once too often is the safe mistake)."""
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
