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


# Answers kept on one Layers object at most; the time keys change every second, so more
# would only hold answers that can no longer be asked.
ANSWERS_MAX = 256


def evaluate(
    layers: Layers, action: str, resource: str, values: Keys, resource_policy=None, explain: bool = False
) -> Decision:
    """The engine's answer for these layers; `values` are the request's keys (the
    principal's own keys are added last, so no caller can supply them). `explain`
    asks for the near misses too, for a person reading the reasons.

    The engine is a pure function of its inputs, so a plain decision (no resource
    policy, no explanation) is kept on the layers under all the others (the time keys
    included): a caller asking the same again within the second is not evaluated again."""
    key = _answer_key(action, resource, values) if resource_policy is None and not explain else None
    if key is None:
        return _evaluate(layers, action, resource, values, resource_policy, explain)
    decision = layers.answers.get(key)
    if decision is None:
        decision = _evaluate(layers, action, resource, values, resource_policy, explain)
        if len(layers.answers) >= ANSWERS_MAX:
            layers.answers.clear()
        layers.answers[key] = decision
    return decision


def _answer_key(action: str, resource: str, values: Keys) -> tuple | None:
    """The inputs as a dictionary key, or None when a value is not a string or strings."""
    items = []
    for name, value in values.items():
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            value = tuple(value)
        elif not isinstance(value, str):
            return None
        items.append((name, value))
    # In their order: the engine is given them in this order.
    return action, resource, settings.IAM_ACCOUNT_ID, tuple(items)


def _evaluate(layers: Layers, action: str, resource: str, values: Keys, resource_policy, explain: bool) -> Decision:
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


def assume_role_with_web_identity(provider_arn: str, role: Role, *, context: Keys) -> Decision:
    """sts:AssumeRoleWithWebIdentity: the role's trust policy alone decides, for the
    provider's ARN as the principal (`"Principal": {"Federated": ...}`), with the token's
    keys (`<issuer>:aud`, `:sub`, ...) in `context`; a federated caller has no policies."""
    trust, _ = principals.trust_layers(role)
    return authorize_assume_role(
        provider_arn,
        role.arn,
        trust_policy=trust if trust is not None else (),
        context={**context, **time_keys()},
        action="sts:AssumeRoleWithWebIdentity",
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
