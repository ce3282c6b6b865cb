"""A decision's trace as text or JSON-able data, and, on request, its near misses.

`explain` and `explanation` only format what the decision recorded. Near misses
(the Allow statements that matched the action but missed the resource, the
principal or a condition) are looked for only by `authorize_explained`, which a
caller asks for when a person wants the reasons: the plain `authorize` path never
pays for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from .authorize import Decision, LayerInput, Outcome, as_policy_set, authorize, needs_no_permission
from .compile import CompiledStatement, PolicySet, StatementRef
from .document import PolicyKind
from .evaluate import Prepared, Request, prepare


@dataclass(frozen=True, slots=True)
class ConditionMiss:
    """One condition of a statement that the request did not satisfy."""

    operator: str
    key: str
    values: tuple[str, ...]
    given: tuple[str, ...]  # the request's values for the key; () when absent

    def as_dict(self) -> dict:
        return {"operator": self.operator, "key": self.key, "values": list(self.values), "given": list(self.given)}


@dataclass(frozen=True, slots=True)
class NearMiss:
    """An Allow statement that matched the action but not the rest of the request.

    `resources` holds the statement's Resource (or NotResource) entries when the
    resource is what missed, else (); `principal` whether its Principal did not
    name the caller; `conditions` each condition that failed.
    """

    ref: StatementRef
    resources: tuple[str, ...] = ()
    not_resource: bool = False
    principal: bool = False
    conditions: tuple[ConditionMiss, ...] = ()

    @property
    def missed(self) -> tuple[str, ...]:
        """What missed, in words a table can show: "resource", "principal", condition keys."""
        parts = ("resource",) if self.resources else ()
        parts += ("principal",) if self.principal else ()
        return parts + tuple(condition.key for condition in self.conditions)

    def as_dict(self) -> dict:
        return {
            **self.ref.as_dict(),
            "missed": list(self.missed),
            "resources": list(self.resources),
            "not_resource": self.not_resource,
            "principal": self.principal,
            "conditions": [condition.as_dict() for condition in self.conditions],
        }


def _describe(ref: StatementRef) -> str:
    sid = f" ({ref.sid})" if ref.sid else ""
    return (
        f"{ref.layer}: {ref.effect} statement {ref.statement_index}{sid} "
        f"of {ref.source or f'policy {ref.policy_index}'}"
    )


def explanation(decision: Decision) -> dict:
    """The decision's reasons as plain data (what `--explain` prints)."""
    return {
        "decision": decision.outcome.value,
        "deciding": [ref.as_dict() for ref in decision.deciding],
        "blocking_layers": list(decision.blocking_layers),
        "missing_context_keys": list(decision.missing_context_keys),
        "conditional": decision.conditional,
        "errors": list(decision.errors),
        "layers": [
            {
                "layer": layer.layer,
                "allows": [ref.as_dict() for ref in layer.allows],
                "denies": [ref.as_dict() for ref in layer.denies],
            }
            for layer in decision.trace
        ],
        "near_misses": [miss.as_dict() for miss in decision.near_misses],
    }


def explain(decision: Decision) -> str:
    """A few sentences a console page can show as they are."""
    lines = [_headline(decision)]
    lines.extend(f"  {_describe(ref)}" for ref in decision.deciding)
    if decision.outcome is Outcome.IMPLICIT_DENY and decision.blocking_layers:
        lines.append("  no applicable Allow in: " + ", ".join(decision.blocking_layers))
    lines.extend(f"  near miss: {_describe(miss.ref)} missed {', '.join(miss.missed)}" for miss in decision.near_misses)
    if decision.conditional:
        lines.append("  the allow holds only under its conditions")
    if decision.missing_context_keys:
        lines.append("  keys absent from the request: " + ", ".join(decision.missing_context_keys))
    lines.extend(f"  error: {error}" for error in decision.errors)
    lines.extend(f"  finding: {finding}" for finding in decision.findings)
    return "\n".join(lines)


def _headline(decision: Decision) -> str:
    if decision.outcome is Outcome.ALLOW:
        if not decision.deciding and decision.request is not None and needs_no_permission(decision.request.action):
            return f"Allowed: {decision.request.action} needs no permission, so no policy is asked."
        return "Allowed by:"
    if decision.outcome is Outcome.EXPLICIT_DENY:
        return "Explicitly denied by:"
    return "Implicitly denied: nothing allowed the request in every layer that must allow it."


def authorize_explained(
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
    """`authorize`, and for an implicit deny the near misses of every layer that blocked
    and of the resource (or trust) policy, which in the same account could have granted
    on its own."""
    decision = authorize(
        request,
        identity=identity,
        boundary=boundary,
        guardrails=guardrails,
        resource_policy=resource_policy,
        session_policy=session_policy,
        account_id=account_id,
        trust=trust,
    )
    if decision.outcome is not Outcome.IMPLICIT_DENY or decision.errors:
        return decision
    if isinstance(guardrails, PolicySet):
        guardrails = [guardrails]
    inputs = {"identity": (identity, PolicyKind.IDENTITY), "boundary": (boundary, PolicyKind.BOUNDARY)}
    inputs["session"] = (session_policy, PolicyKind.SESSION)
    inputs["trust" if trust else "resource"] = (resource_policy, PolicyKind.TRUST if trust else PolicyKind.RESOURCE)
    for level, value in enumerate(guardrails or ()):
        inputs[f"guardrails[{level}]"] = (value, PolicyKind.GUARDRAIL)
    try:
        prepared = prepare(request, account_id)
        prepared.bounded = boundary is not None and not prepared.is_root
        misses = []
        examined = list(decision.blocking_layers)
        resource_layer = "trust" if trust else "resource"
        if resource_policy is not None and resource_layer not in examined:
            examined.append(resource_layer)
        for layer in examined:
            value, kind = inputs.get(layer, (None, None))
            if value is not None:
                misses.extend(_layer_misses(layer, _sets(value, kind), prepared))
    except Exception:  # noqa: BLE001 - the reasons are extra; the decision stands without them
        return decision
    return replace(decision, near_misses=tuple(misses))


def _sets(value: LayerInput, kind: PolicyKind) -> list[PolicySet]:
    if isinstance(value, (list, tuple)) and value and all(isinstance(item, PolicySet) for item in value):
        return list(value)
    return [as_policy_set(value, kind)]


def _layer_misses(layer: str, sets: list[PolicySet], prepared: Prepared) -> list[NearMiss]:
    misses = []
    for policy_set in sets:
        for statement in policy_set.candidates(prepared.action):
            if not statement.deny:
                miss = _near_miss(layer, statement, prepared)
                if miss is not None:
                    misses.append(miss)
    return misses


def _near_miss(layer: str, statement: CompiledStatement, prepared: Prepared) -> NearMiss | None:
    """What of the statement missed the request; None if nothing did."""
    context, ignored = prepared.context, set()
    test = statement.resource
    resource_missed = test is not None and not test(prepared.resource, context, ignored)
    principal_missed = statement.principal is not None and statement.naming(prepared.caller, prepared.bounded) is None
    conditions = tuple(
        ConditionMiss(
            condition.condition.operator.text,
            condition.key_text,
            condition.condition.values,
            tuple(context.get(condition.key, ())),
        )
        for condition in statement.conditions
        if not condition(context, ignored)
    )
    if not (resource_missed or principal_missed or conditions):
        return None
    written = statement.statement
    return NearMiss(
        statement.ref_for(layer),
        tuple(written.resources or written.not_resources or ()) if resource_missed else (),
        written.resources is None and resource_missed,
        principal_missed,
        conditions,
    )
