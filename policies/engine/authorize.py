"""Layers combined into one decision (docs/policy-evaluation.md, "Evaluation order")."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from .compile import CompiledStatement, Naming, PolicySet, StatementRef, compile_policies
from .document import Policy, PolicyKind
from .errors import Finding
from .evaluate import LayerResult, Prepared, Request, arn_account, caller_of_arn, evaluate

# AWS answers these for any caller with valid credentials and asks no policy, not
# even an explicit Deny (docs/policy-evaluation.md, "Actions that need no permission").
_NO_PERMISSION_NEEDED = frozenset({"sts:getcalleridentity"})


def needs_no_permission(action: str) -> bool:
    """Whether AWS performs `action` (any case) without evaluating any policy."""
    return isinstance(action, str) and action.lower() in _NO_PERMISSION_NEEDED


class Outcome(enum.Enum):
    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


# The outcomes as globals for the hot path: in Python 3.11 reading a member off an Enum
# class costs about ten times reading a global.
_ALLOW, _EXPLICIT_DENY, _IMPLICIT_DENY = Outcome.ALLOW, Outcome.EXPLICIT_DENY, Outcome.IMPLICIT_DENY
_DIRECT = Naming.DIRECT


@dataclass(frozen=True, slots=True)
class LayerTrace:
    """What one layer contributed: its applicable allows and denies."""

    layer: str
    allows: tuple[StatementRef, ...]
    denies: tuple[StatementRef, ...]


@dataclass(slots=True)
class Decision:
    """The answer to one request, with the trace recorded while deciding it.

    `deciding` holds the statements that decided (the denies for an
    explicit deny, the allows that granted for an allow); `blocking_layers`
    the layers with no applicable allow (implicit deny only);
    `conditional` whether the allow holds only under conditions; `errors`
    what went wrong inside the engine (the outcome is then a deny);
    `near_misses` is filled only by `explain.authorize_explained`, never on
    the plain path. Treat it as read-only.
    """

    outcome: Outcome
    deciding: tuple[StatementRef, ...] = ()
    blocking_layers: tuple[str, ...] = ()
    missing_context_keys: tuple[str, ...] = ()
    conditional: bool = False
    errors: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    request: Request | None = None
    layer_results: tuple = field(default=(), repr=False, compare=False)
    near_misses: tuple = ()

    @property
    def allowed(self) -> bool:
        return self.outcome is _ALLOW

    @property
    def trace(self) -> tuple[LayerTrace, ...]:
        """Each layer's applicable allows and denies, in evaluation order."""
        return tuple(
            LayerTrace(name, _named(name, [s for s, _ in r.allows]), _named(name, r.denies))
            for name, r in self.layer_results
        )


LayerInput = PolicySet | Policy | Sequence


def as_policy_set(value: LayerInput, kind: PolicyKind) -> PolicySet:
    """A PolicySet as given, or documents (with or without labels) compiled."""
    if isinstance(value, PolicySet):
        return value
    if isinstance(value, (Policy, dict, str, bytes)):
        value = [value]
    return compile_policies(value, kind=kind)


class _Layers:
    """Layer results in evaluation order, plus the sets' findings."""

    __slots__ = ("results", "guardrails", "identity", "boundary", "session", "resource", "findings")

    def __init__(self) -> None:
        self.results: list[tuple[str, LayerResult]] = []
        self.guardrails: list[tuple[str, LayerResult]] = []
        self.identity = self.boundary = self.session = self.resource = None
        self.findings: list[Finding] = []

    def run(self, name: str, value: LayerInput, kind: PolicyKind, prepared: Prepared) -> LayerResult:
        """Evaluate one layer: a PolicySet, several (merged), or documents."""
        if value.__class__ is PolicySet:
            sets = [value]
        elif isinstance(value, (list, tuple)) and value and all(isinstance(item, PolicySet) for item in value):
            sets = list(value)  # e.g. a user's own policies and each group's, cached apart
        else:
            sets = [as_policy_set(value, kind)]
        result = evaluate(sets[0], prepared)
        for policy_set in sets[1:]:
            more = evaluate(policy_set, prepared)
            result.allows.extend(more.allows)
            result.denies.extend(more.denies)
            result.missing |= more.missing
        for policy_set in sets:
            self.findings.extend(policy_set.findings)
        self.results.append((name, result))
        return result


def authorize(
    request: Request,
    *,
    identity: LayerInput = (),
    boundary: LayerInput | None = None,
    guardrails: Sequence[LayerInput] | None = None,
    resource_policy: LayerInput | None = None,
    session_policy: LayerInput | None = None,
    account_id: str | None = None,
    trust: bool = False,
) -> Decision:
    """Decide one request against every layer that applies to it.

    Each layer is a PolicySet, a list of PolicySets (evaluated together),
    or a list of documents. `guardrails` is a list of levels, each such a
    layer: every level must allow. `trust=True` reads
    `resource_policy` as a role's trust policy. An action that needs no
    permission (`needs_no_permission`) is allowed with no deciding
    statement, whatever the layers say. Never raises: an error inside the
    engine gives an implicit deny carrying the error.
    """
    try:
        if (
            identity.__class__ is PolicySet
            and guardrails is None
            and boundary is None
            and resource_policy is None
            and session_policy is None
            and not trust
        ):
            decision = _plain_identity_only(request, identity, account_id)
            if decision is not None:
                return decision
        prepared = Prepared(request, account_id)
        if prepared.action in _NO_PERMISSION_NEEDED:
            return Decision(_ALLOW, request=request)
        if (
            identity.__class__ is PolicySet
            and guardrails is None
            and boundary is None
            and resource_policy is None
            and session_policy is None
            and not trust
            and prepared.within_own_account()
        ):
            return _identity_only(request, prepared, identity)
        layers = _evaluate_layers(prepared, identity, boundary, guardrails, resource_policy, session_policy, trust)
        return _decide(request, prepared, layers, trust)
    except Exception as error:  # noqa: BLE001 - nothing may fail open
        return Decision(
            _IMPLICIT_DENY,
            blocking_layers=("engine",),
            errors=(f"{type(error).__name__}: {error}",),
            request=request,
        )


def _plain_identity_only(request: Request, identity: PolicySet, account_id: str | None) -> Decision | None:
    """The commonest case of all, decided without preparing the request: identity policies
    alone whose statements for the action are all plain, for a user or role (not a role
    session, whose caller reads the context) within its own account. Then only the resource
    decides which apply. None whenever any of that does not hold: the other paths decide."""
    principal, action, resource, context = request.principal, request.action, request.resource, request.context
    if not (principal.__class__ is str and action.__class__ is str and resource.__class__ is str):
        return None
    if (context and context.__class__ is not dict) or ":sts:" in principal:
        return None
    action = action.lower()
    if action in _NO_PERMISSION_NEEDED:
        return None
    caller = caller_of_arn(principal, account_id)
    if caller.type == "root":
        return None
    account = caller.account
    if account is not None:
        resource_account = request.resource_account or arn_account(resource)
        if resource_account and resource_account != account:
            return None
    known = identity.plain_decisions.get((action, resource))
    if known is not None:
        outcome, deciding, blocking, conditional, results = known
        return Decision(outcome, deciding, blocking, (), conditional, (), identity.findings, request, results)
    statements = identity.plain_candidates(action)
    if statements is None:
        return None
    result = LayerResult()
    for statement in statements:
        if statement.plain(resource):
            if statement.deny:
                result.denies.append(statement)
            else:
                result.allows.append((statement, _DIRECT))
    decision = _identity_decision(request, identity, result)
    parts = (decision.outcome, decision.deciding, decision.blocking_layers, decision.conditional)
    identity.remember_plain(action, resource, (*parts, decision.layer_results))
    return decision


def _identity_only(request: Request, prepared: Prepared, identity: PolicySet) -> Decision:
    """The common case, identity policies alone, without the general bookkeeping."""
    return _identity_decision(request, identity, evaluate(identity, prepared))


def _identity_decision(request: Request, identity: PolicySet, result: LayerResult) -> Decision:
    results = (("identity", result),)
    keys = tuple(sorted(result.missing)) if result.missing else ()
    findings = identity.findings
    if result.denies:
        deciding = tuple([statement.ref_for("identity") for statement in result.denies])
        return Decision(_EXPLICIT_DENY, deciding, (), keys, False, (), findings, request, results)
    allows = result.allows
    if not allows:
        return Decision(_IMPLICIT_DENY, (), ("identity",), keys, False, (), findings, request, results)
    if len(allows) == 1:  # the commonest allow: one statement grants
        statement = allows[0][0]
        deciding = (statement.ref_for("identity"),)
        conditional = bool(statement.statement.conditions)
    else:
        deciding = tuple([statement.ref_for("identity") for statement, _ in allows])
        conditional = all([statement.statement.conditions for statement, _ in allows])
    return Decision(_ALLOW, deciding, (), keys, conditional, (), findings, request, results)


def _evaluate_layers(prepared: Prepared, identity, boundary, guardrails, resource, session, trust) -> _Layers:
    layers = _Layers()
    prepared.bounded = boundary is not None and not prepared.is_root
    if isinstance(guardrails, PolicySet):
        guardrails = [guardrails]  # one level given on its own
    if guardrails is not None:
        for level, value in enumerate(guardrails):
            name = f"guardrails[{level}]"
            layers.guardrails.append((name, layers.run(name, value, PolicyKind.GUARDRAIL, prepared)))
    if resource is not None:
        kind = PolicyKind.TRUST if trust else PolicyKind.RESOURCE
        layers.resource = layers.run("trust" if trust else "resource", resource, kind, prepared)
    if prepared.is_root:
        return layers  # rule 10: nothing can be attached to the root user
    layers.identity = layers.run("identity", identity or (), PolicyKind.IDENTITY, prepared)
    if boundary is not None:
        layers.boundary = layers.run("boundary", boundary, PolicyKind.BOUNDARY, prepared)
    if session is not None:
        layers.session = layers.run("session", session, PolicyKind.SESSION, prepared)
    return layers


def _named(layer: str, statements) -> tuple[StatementRef, ...]:
    return tuple(statement.ref_for(layer) for statement in statements)


def _decide(request: Request, prepared: Prepared, layers: _Layers, trust: bool) -> Decision:
    results = tuple(layers.results)
    missing: set[str] = set()
    denies: list[StatementRef] = []
    for name, result in results:
        if result.missing:
            missing |= result.missing
        if result.denies:
            denies.extend(statement.ref_for(name) for statement in result.denies)
    keys = tuple(sorted(missing)) if missing else ()
    findings = tuple(layers.findings)
    if denies:
        return Decision(_EXPLICIT_DENY, tuple(denies), (), keys, False, (), findings, request, results)
    used, blocking = _allow_paths(prepared, layers, trust)
    if blocking:
        return Decision(_IMPLICIT_DENY, (), tuple(blocking), keys, False, (), findings, request, results)
    deciding = []
    conditional = False
    for name, statements in used:
        deciding.extend(statement.ref_for(name) for statement in statements)
        if statements and all(bool(statement.conditions) for statement in statements):
            conditional = True
    return Decision(_ALLOW, tuple(deciding), (), keys, conditional, (), findings, request, results)


def _allows(result: LayerResult | None, least: Naming = Naming.ACCOUNT) -> list[CompiledStatement]:
    if result is None:
        return []
    if least is Naming.ACCOUNT:
        return [statement for statement, _ in result.allows]
    return [statement for statement, naming in result.allows if naming >= least]


def _allow_paths(prepared: Prepared, layers: _Layers, trust: bool):
    """(layer, allow statements) that grant, and the layers that blocked."""
    used: list[tuple[str, list[CompiledStatement]]] = []
    blocking: list[str] = []
    for name, result in layers.guardrails:
        statements = _allows(result)
        used.append((name, statements))
        if not statements:
            blocking.append(name)
    principal_used, principal_blocking = _principal_side(prepared, layers, trust)
    return used + principal_used, blocking + principal_blocking


def _identity_side(layers: _Layers) -> list[tuple[str, list[CompiledStatement]]]:
    side = [("identity", _allows(layers.identity))]
    if layers.boundary is not None:
        side.append(("boundary", _allows(layers.boundary)))
    if layers.session is not None:
        side.append(("session", _allows(layers.session)))
    return side


def _principal_side(prepared: Prepared, layers: _Layers, trust: bool):
    caller = prepared.caller
    cross = prepared.cross_account
    resource_layer = "trust" if trust else "resource"
    named = _allows(layers.resource)
    if caller.type == "root":
        # AWS's AssumeRole reference: the root user's credentials cannot assume a role
        if trust or (cross and not named):
            return [], [resource_layer]
        return [(resource_layer, named)] if named else [], []
    identity = _identity_side(layers)
    identity_blocking = [name for name, statements in identity if not statements]
    if cross or trust:
        if not named:
            identity_blocking.append(resource_layer)
        grant = [] if cross else _bypass_grant(caller.type, layers)
        if grant and identity_blocking:
            return [(resource_layer, grant)], []
        return identity + [(resource_layer, named)], identity_blocking
    if not identity_blocking:
        return identity, []
    grant = _bypass_grant(caller.type, layers)
    if grant:
        return [(resource_layer, grant)], []
    return [], identity_blocking


def _bypass_grant(caller_type: str, layers: _Layers) -> list[CompiledStatement]:
    """Rule 5: same-account resource grants that stand on their own.

    Naming a user (or `*`) passes its boundary; naming a role session (or
    `*`) passes boundary and session policy; naming the role behind a
    session is still limited by both; naming the account grants nothing.
    """
    direct = _allows(layers.resource, Naming.DIRECT)
    by_role = _allows(layers.resource, Naming.ROLE)
    boundary_ok = layers.boundary is None or bool(layers.boundary.allows)
    session_ok = layers.session is None or bool(layers.session.allows)
    if caller_type == "session":
        if direct:
            return direct
        return by_role if boundary_ok and session_ok else []
    if caller_type == "role":
        return by_role if boundary_ok and session_ok else []
    return direct if session_ok else []
