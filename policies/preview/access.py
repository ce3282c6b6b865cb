"""What one principal may do, as the preview compares it: for each catalogue action, each
resource worth asking about, allowed always, allowed only under conditions (in words), or not.

Exact for what it asks: every answer is the engine's (`authorization.decide`), with no
request keys, so a grant that needs one (MFA, a source IP, a tag) is shown with the keys and
values that make it allowed, never guessed away.
"""

from collections.abc import Iterable

from django.conf import settings

from policies import authorization
from policies.authorization.loader import Layers
from policies.engine import Decision, Outcome, allow_resources

ALWAYS = ()  # an access that needs no condition

# Operators in words, for "when aws:MultiFactorAuthPresent is true".
_OPERATOR_WORDS = {
    "bool": "is",
    "stringequals": "is",
    "stringequalsignorecase": "is, in any case,",
    "stringlike": "is like",
    "stringnotequals": "is not",
    "stringnotlike": "is not like",
    "numericequals": "is",
    "numericlessthan": "is less than",
    "numericlessthanequals": "is at most",
    "numericgreaterthan": "is more than",
    "numericgreaterthanequals": "is at least",
    "datelessthan": "is before",
    "dategreaterthan": "is after",
    "ipaddress": "is in",
    "notipaddress": "is not in",
    "arnequals": "is",
    "arnlike": "is like",
}


def resources_to_ask(layers: Iterable[Layers], action: str, typed: Iterable[str]) -> list[str]:
    """ "*", what the user typed, and every Resource pattern of an Allow for the action in
    any of the layers (variables filled from each principal's keys): where a grant could be."""
    found = {"*", *typed}
    for each in layers:
        for policy_set in (each.identity, each.boundary):
            if policy_set is None:
                continue
            patterns = allow_resources(policy_set, action, each.keys)
            found.update(_as_resource(pattern) for pattern in patterns or () if pattern)
    return sorted(found)


def _as_resource(pattern: str) -> str:
    """A Resource pattern as a resource to ask about: a wildcard account made this account's,
    or the request would be across accounts, which no identity policy alone allows."""
    parts = pattern.split(":", 5)
    if len(parts) == 6 and parts[4] == "*":
        parts[4] = settings.IAM_ACCOUNT_ID
    return ":".join(parts)


def access(layers: Layers, action: str, resource: str) -> tuple[str, ...] | None:
    """None: not allowed; ALWAYS: allowed; otherwise the conditions, in words, of which any
    one makes it allowed."""
    decision = authorization.decide(layers, action, resource)
    if decision.outcome is Outcome.ALLOW:
        return _allowed_under(layers, decision) if decision.conditional else ALWAYS
    if decision.outcome is Outcome.IMPLICIT_DENY and decision.missing_context_keys:
        return _would_allow(layers, action, resource)
    return None


def _allowed_under(layers: Layers, decision: Decision) -> tuple[str, ...]:
    """An allow that holds only under its statements' conditions (satisfied now, by the
    principal's own keys or the time): those conditions."""
    found = []
    for ref in decision.deciding:
        if ref.effect != "Allow" or not ref.has_conditions:
            continue
        found.append(_in_words(_conditions_of(layers.documents.get(ref.source), ref.statement_index)))
    return tuple(dict.fromkeys(text for text in found if text)) or ("under its statements' conditions",)


def _would_allow(layers: Layers, action: str, resource: str) -> tuple[str, ...] | None:
    """An implicit deny for want of request keys: each Allow statement that failed only on
    keys the request did not carry, as the condition that would satisfy it."""
    explained = authorization.decide(layers, action, resource, explain=True)
    found = []
    for miss in explained.near_misses:
        if miss.resources or miss.principal or not miss.conditions:
            continue
        if any(condition.given for condition in miss.conditions):
            continue  # failed on a key the principal itself carries: no request can change that
        found.append(" and ".join(_condition(c.operator, c.key, c.values) for c in miss.conditions))
    return tuple(dict.fromkeys(found)) or None


def _conditions_of(document: dict | None, index: int) -> dict:
    if not isinstance(document, dict):
        return {}
    statements = document.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    if not 0 <= index < len(statements):
        return {}
    condition = statements[index].get("Condition", {})
    return condition if isinstance(condition, dict) else {}


def _in_words(condition: dict) -> str:
    parts = []
    for operator, keys in condition.items():
        for key, values in (keys or {}).items():
            parts.append(_condition(operator, key, values if isinstance(values, list) else [values]))
    return " and ".join(parts)


def _condition(operator: str, key: str, values) -> str:
    """ "aws:MultiFactorAuthPresent is true"; values of one key are alternatives."""
    base = operator.split(":")[-1]
    if_exists = base.lower().endswith("ifexists")
    base = base[: -len("IfExists")] if if_exists else base
    texts = [str(value).lower() if isinstance(value, bool) else str(value) for value in values]
    if base.lower() == "null":
        said = f"{key} is {'absent' if texts == ['true'] else 'present'}"
    else:
        word = _OPERATOR_WORDS.get(base.lower(), base)
        said = f"{key} {word} {' or '.join(texts)}"
    return f"{said} (or is absent)" if if_exists else said


def in_words(found: tuple[str, ...] | None) -> str:
    """An access as a page says it: "not allowed", "always", "when A, or when B"."""
    if found is None:
        return "not allowed"
    return "always" if found == ALWAYS else "when " + ", or when ".join(found)
