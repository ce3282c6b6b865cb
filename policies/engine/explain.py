"""A decision's trace as text or JSON-able data; never evaluates again."""

from __future__ import annotations

from .authorize import Decision, Outcome
from .compile import StatementRef


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
    }


def explain(decision: Decision) -> str:
    """A few sentences a console page can show as they are."""
    lines = [_headline(decision)]
    lines.extend(f"  {_describe(ref)}" for ref in decision.deciding)
    if decision.outcome is Outcome.IMPLICIT_DENY and decision.blocking_layers:
        lines.append("  no applicable Allow in: " + ", ".join(decision.blocking_layers))
    if decision.conditional:
        lines.append("  the allow holds only under its conditions")
    if decision.missing_context_keys:
        lines.append("  keys absent from the request: " + ", ".join(decision.missing_context_keys))
    lines.extend(f"  error: {error}" for error in decision.errors)
    lines.extend(f"  finding: {finding}" for finding in decision.findings)
    return "\n".join(lines)


def _headline(decision: Decision) -> str:
    if decision.outcome is Outcome.ALLOW:
        return "Allowed by:"
    if decision.outcome is Outcome.EXPLICIT_DENY:
        return "Explicitly denied by:"
    return "Implicitly denied: nothing allowed the request in every layer that must allow it."
