"""Decisions: layers and keys into the engine, and nothing else reaches it."""

from django.conf import settings
from django.utils import timezone

from identities import naming
from identities.models import Role
from policies.authorization import principals
from policies.authorization.loader import Keys, Layers, account_keys
from policies.engine import (
    Decision,
    PolicyKind,
    Request,
    authorize,
    authorize_assume_role,
    authorize_explained,
    compile_policies,
)


def resource_account(resource: str) -> str | None:
    """AWS's own managed policies (account "aws") are read as this account's resources."""
    parts = resource.split(":", 5)
    return settings.IAM_ACCOUNT_ID if len(parts) > 4 and parts[4] == "aws" else None


def time_keys(at=None) -> Keys:
    moment = at or timezone.now()
    return {"aws:CurrentTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "aws:EpochTime": str(int(moment.timestamp()))}


def evaluate(
    layers: Layers, action: str, resource: str, values: Keys, resource_policy=None, explain: bool = False
) -> Decision:
    """The engine's answer for these layers; `values` are the request's keys (the
    principal's own keys are added last, so no caller can supply them). `explain`
    asks for the near misses too, for a person reading the reasons."""
    values = {**values, **layers.keys}
    request = Request(layers.principal_arn, action, resource, values, resource_account=resource_account(resource))
    return (authorize_explained if explain else authorize)(
        request,
        identity=layers.identity,
        boundary=layers.boundary,
        guardrails=layers.guardrails,
        session_policy=layers.session,
        resource_policy=resource_policy,
        account_id=settings.IAM_ACCOUNT_ID,
    )


def decide(
    principal: Layers,
    action: str,
    resource: str = "*",
    *,
    context: Keys | None = None,
    resource_policy=None,
    at=None,
    explain: bool = False,
) -> Decision:
    """What would `principal` get for `action` on `resource`? The caller supplies only
    request keys (`context`: source IP, MFA, tags, service keys); the server supplies
    the time (now, or `at`) and every principal key. For the policy check, what-can,
    who-can, the reports, previews and the decision API. `explain=True` (the policy
    check, the API's explain option) adds the near misses of an implicit deny."""
    return evaluate(principal, action, resource, {**(context or {}), **time_keys(at)}, resource_policy, explain)


def assume_role(caller: Layers, role: Role, *, context: Keys | None = None) -> Decision:
    """sts:AssumeRole as AWS decides it: the role's trust policy (with live assignments)
    and, where it names only the account, the caller's own policies (docs/policy-evaluation.md, "Trust policies")."""
    trust, _ = principals.trust_layers(role)
    return assume_with(caller, role.arn, trust, context=context)


def assume_with(caller: Layers, role_arn: str, trust, *, context: Keys | None = None) -> Decision:
    """sts:AssumeRole against an already compiled effective trust (reports decide many callers)."""
    values = {**(context or {}), **caller.keys}
    return authorize_assume_role(
        caller.principal_arn,
        role_arn,
        # A role that trusts no one has an empty trust layer, which allows nothing.
        trust_policy=trust if trust is not None else (),
        identity=caller.identity,
        boundary=caller.boundary,
        guardrails=caller.guardrails,
        session_policy=caller.session,
        context=values,
    )


def root_decision(action: str, resource: str) -> Decision:
    """The root user's decision under the guardrails as they stand in this transaction
    (read afresh: the guardrail services ask it before their change commits)."""
    from policies.authorization.loader import compile_guardrails, guardrail_sources

    arn = naming.root_arn()
    request = Request(arn, action, resource, {"aws:PrincipalArn": arn, **account_keys(), **time_keys()})
    return authorize(
        request,
        identity=compile_policies([], kind=PolicyKind.IDENTITY),
        guardrails=compile_guardrails(guardrail_sources()),
        account_id=settings.IAM_ACCOUNT_ID,
    )
