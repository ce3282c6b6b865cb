"""iamconsole's policy engine: AWS's policy language, standard library only.

Code outside this package imports only from here. The flow is
parse -> validate -> compile -> authorize -> explain:

Documents
    `parse_policy(source, *, kind=PolicyKind.IDENTITY) -> Policy`
        `source` is JSON text (str or bytes) or a dict; `kind` is one of
        identity, resource, trust, boundary, guardrail, session (Principal is
        required in resource and trust policies and refused elsewhere; trust
        policies have no Resource). Raises only `PolicyError`, whose
        `.findings` lists every problem as `Finding(level, code, message,
        path, line, column)` (line and column for text only).
    `validate_policy(source, *, kind, catalogue=None, size_limit=None) -> list[Finding]`
        Parse problems, or Access-Analyzer-like findings with a `Level`
        (ERROR, SECURITY_WARNING, WARNING, SUGGESTION). `kind` is a
        `DocumentKind` (customer-managed, aws-managed, inline-user,
        inline-group, inline-role, boundary, trust, guardrail, session,
        resource), which sets the grammar and AWS's size quota
        (`DOCUMENT_KINDS`; none for AWS managed and resource policies), or a
        `PolicyKind` for its usual document; `size_limit` overrides the quota.
        `catalogue` is plain data: a mapping keyed by action name (any case;
        values ignored, e.g. access levels) or any iterable of action names.
        `action_keys` (each action's condition keys) and `key_types` (keys to
        AWS's types) let it judge service keys and operators; global keys
        (`keys.GLOBAL_CONDITION_KEYS`) are always known. To validate many
        documents against one catalogue, build `CatalogueIndex(catalogue,
        action_keys, key_types)` once and pass it as `catalogue`.
    `condition_operators(key_types) -> dict` the operators by family, the set
        qualifiers, and for each (key, type) the families that suit it, for
        tools that offer conditions (the console's statement builder).
    `validate_guardrail_levels(levels) -> list[Finding]` warns about a level
        without an Allow; `policy_size(source) -> int` counts characters
        without white space, as AWS does for its size quotas.

Compiling
    `compile_policies(sources, *, kind) -> PolicySet`: each source is
    `(label, document)` (label such as "arn:aws:iam::1:policy/x v2") or a bare
    document. A PolicySet never changes, is safe to share between requests
    and threads, and is the thing to keep in an LRU cache.

Deciding
    `Request(principal, action, resource, context={}, resource_account=None)`:
        context maps condition keys (any case) to a string or a list of
        strings; principal type and tags travel there (`aws:PrincipalType`,
        `aws:PrincipalTag/team`), as in AWS.
    `authorize(request, *, identity, boundary=None, guardrails=None,
    resource_policy=None, session_policy=None, account_id=None) -> Decision`
        Each layer is a PolicySet or a list of documents; `guardrails` is a
        list of levels, each of which must allow. sts:GetCallerIdentity is
        allowed whatever the layers say, as in AWS. Never raises: an error
        inside the engine gives an implicit deny carrying it in `.errors`.
        The rules, with AWS's pages: docs/policy-evaluation.md.
        `Decision` has `outcome` (`Outcome.ALLOW`, `EXPLICIT_DENY`,
        `IMPLICIT_DENY`), `deciding` (`StatementRef(layer, source,
        policy_index, statement_index, sid, effect, has_conditions)`),
        `blocking_layers`, `missing_context_keys`, `conditional`, `errors`,
        `findings` and `trace` (each layer's applicable allows and denies).
    `authorize_assume_role(principal, role_arn, *, trust_policy, identity, ...)`
        sts:AssumeRole as a role's trust policy decides it (docs/policy-evaluation.md, "Trust policies").
    `explain(decision) -> str` and `explanation(decision) -> dict` format the
        recorded trace; they never evaluate again.
    `authorize_explained(request, **layers) -> Decision`: `authorize`, and for an
        implicit deny `near_misses` (`NearMiss(ref, resources, not_resource,
        principal, conditions)`: Allow statements of a blocking layer that matched
        the action but missed the resource, the principal or a condition, each
        `ConditionMiss(operator, key, values, given)`). Only for explanations:
        the plain `authorize` never looks for them.

Forms and what-can
    `condition_keys(policy_set_or_policies) -> set[str]`: condition keys and
    policy-variable keys used. `allowed_actions(identity, catalogue_actions,
    *, principal, resource="*", ...) -> list[str]`: the catalogue's actions
    the principal may perform.

Reports (no request)
    `may_allow(policy_set, action) -> bool` (False is exact: nothing in the
    set allows the action); `allow_resources(policy_set, action, keys)` the
    Resource patterns of the Allows for it, variables filled (None when one
    allows by NotResource); `allowed_principals(resource_set)` the accounts
    and ARNs its Allows name (None for "*" or NotPrincipal).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .authorize import Decision, LayerInput, LayerTrace, Outcome, as_policy_set, authorize
from .catalogue import CatalogueIndex
from .compile import PolicySet, StatementRef, compile_policies
from .document import OPERATORS, SET_QUALIFIERS, Effect, Policy, PolicyKind
from .errors import Finding, Level, PolicyError, RequestError
from .evaluate import ContextValue, Request
from .explain import ConditionMiss, NearMiss, authorize_explained, explain, explanation
from .keys import families_for
from .parse import parse_policy
from .reach import allow_resources, allowed_principals, may_allow
from .validate import DOCUMENT_KINDS, DocumentKind, policy_size, validate_guardrail_levels, validate_policy
from .variables import parse_template, variable_keys

__all__ = [
    "DOCUMENT_KINDS",
    "CatalogueIndex",
    "ConditionMiss",
    "Decision",
    "DocumentKind",
    "Effect",
    "Finding",
    "LayerTrace",
    "Level",
    "NearMiss",
    "Outcome",
    "Policy",
    "PolicyError",
    "PolicyKind",
    "PolicySet",
    "Request",
    "RequestError",
    "StatementRef",
    "allow_resources",
    "allowed_actions",
    "allowed_principals",
    "authorize",
    "authorize_assume_role",
    "authorize_explained",
    "compile_policies",
    "condition_keys",
    "condition_operators",
    "explain",
    "explanation",
    "may_allow",
    "parse_policy",
    "policy_size",
    "validate_guardrail_levels",
    "validate_policy",
]


def authorize_assume_role(
    principal: str,
    role_arn: str,
    *,
    trust_policy: LayerInput,
    identity: LayerInput = (),
    boundary: LayerInput | None = None,
    guardrails: Sequence[LayerInput] | None = None,
    session_policy: LayerInput | None = None,
    context: Mapping[str, ContextValue] | None = None,
    action: str = "sts:AssumeRole",
) -> Decision:
    """May `principal` call sts:AssumeRole on `role_arn` (docs/policy-evaluation.md, "Trust policies")?

    The trust policy must allow the caller even in the same account: naming
    the caller suffices; naming its account also needs the caller's
    identity policies to allow sts:AssumeRole on the role. `action`:
    sts:AssumeRoleWithWebIdentity for a federated provider's ARN as the
    principal, whom the trust policy must name (it has no identity policies).
    """
    request = Request(principal, action, role_arn, dict(context or {}))
    return authorize(
        request,
        identity=identity,
        boundary=boundary,
        guardrails=guardrails,
        resource_policy=trust_policy,
        session_policy=session_policy,
        trust=True,
    )


def condition_operators(key_types: Iterable[tuple[str, str]]) -> dict:
    """The condition operators as a tool offers them: the names of each family in the
    grammar's order, the set qualifiers, and for each (key, type) the families that suit it
    (None for a type the engine does not know; `Null` suits every key and is not listed)."""
    by_family: dict[str, list[str]] = {}
    for name, (family, _) in OPERATORS.items():
        by_family.setdefault(family, []).append(name)
    return {
        "by_family": by_family,
        "qualifiers": list(SET_QUALIFIERS),
        "key_families": {key: _sorted_or_none(families_for(key, key_type)) for key, key_type in key_types},
    }


def _sorted_or_none(families: frozenset[str] | None) -> list[str] | None:
    return None if families is None else sorted(families)


def condition_keys(documents: PolicySet | Iterable[Policy | PolicySet]) -> set[str]:
    """Condition keys and policy-variable keys the documents use (as first written)."""
    found: dict[str, str] = {}
    for policy in _policies(documents):
        for statement in policy.statements:
            texts = list(statement.resources or statement.not_resources or ())
            for condition in statement.conditions:
                found.setdefault(condition.key.lower(), condition.key)
                texts.extend(condition.values)
            if policy.has_variables:
                for text in texts:
                    for key in variable_keys(parse_template(text) or ()):
                        found.setdefault(key, key)
    return set(found.values())


def _policies(documents) -> Iterable[Policy]:
    items = [documents] if isinstance(documents, (PolicySet, Policy)) else documents
    for item in items:
        if isinstance(item, PolicySet):
            yield from (policy for _, policy in item.policies)
        else:
            yield item


def allowed_actions(
    identity: LayerInput,
    catalogue_actions: Iterable[str],
    *,
    principal: str,
    resource: str = "*",
    context: Mapping[str, ContextValue] | None = None,
    boundary: LayerInput | None = None,
    guardrails: Sequence[LayerInput] | None = None,
    resource_policy: LayerInput | None = None,
    session_policy: LayerInput | None = None,
) -> list[str]:
    """The catalogue's actions that `principal` may perform on `resource` (what-can)."""
    layers = {
        "identity": as_policy_set(identity, PolicyKind.IDENTITY),
        "boundary": None if boundary is None else as_policy_set(boundary, PolicyKind.BOUNDARY),
        "guardrails": None
        if guardrails is None
        else [as_policy_set(level, PolicyKind.GUARDRAIL) for level in guardrails],
        "resource_policy": None if resource_policy is None else as_policy_set(resource_policy, PolicyKind.RESOURCE),
        "session_policy": None if session_policy is None else as_policy_set(session_policy, PolicyKind.SESSION),
    }
    allowed = []
    for action in catalogue_actions:
        decision = authorize(Request(principal, action, resource, dict(context or {})), **layers)
        if decision.outcome is Outcome.ALLOW:
            allowed.append(action)
    return allowed
