"""One quick pass for the common case: a statement with nothing wrong in it.

`parse` tries this first and falls back to its thorough reading (which
finds and places every problem) whenever anything here looks unusual, so
this module only ever accepts what the thorough reading accepts.
"""

from __future__ import annotations

import functools

from .document import (
    OPERATORS,
    SET_QUALIFIERS,
    Condition,
    Effect,
    Operator,
    PolicyKind,
    Principal,
    Statement,
)
from .jsontext import JsonNumber, member_path

STATEMENT_KEYS = frozenset(
    ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"]
)
PRINCIPAL_TYPES = frozenset(["AWS", "Service", "Federated", "CanonicalUser"])
EFFECTS = {effect.value: effect for effect in Effect}
WITH_PRINCIPAL = (PolicyKind.RESOURCE, PolicyKind.TRUST)


@functools.lru_cache(maxsize=512)
def parse_operator(text: str) -> Operator | None:
    """`ForAnyValue:StringLikeIfExists` to its parts; None when unknown."""
    qualifier, _, name = text.rpartition(":")
    if qualifier and qualifier not in SET_QUALIFIERS:
        return None
    if_exists = name.endswith("IfExists") and name != "IfExists"
    base = name[: -len("IfExists")] if if_exists else name
    info = OPERATORS.get(base)
    if info is None or (base == "Null" and (if_exists or qualifier)):
        return None
    family, negated = info
    return Operator(text, base, family, negated, qualifier or None, if_exists)


def _strings(raw: object) -> tuple[str, ...] | None:
    if raw.__class__ is str:
        return (raw,)
    if raw.__class__ is not list or not raw:
        return None
    for item in raw:  # a loop, not all(): no generator to set up for a list of one or two
        if item.__class__ is not str:
            return None
    return tuple(raw)


def _principal(raw: object) -> Principal | None:
    if raw.__class__ is str:
        return Principal(wildcard=True) if raw == "*" else None
    if raw.__class__ is not dict or not raw or not raw.keys() <= PRINCIPAL_TYPES:
        return None
    entries = []
    for principal_type, values in raw.items():
        listed = _strings(values)
        if listed is None:
            return None
        entries.extend((principal_type, item) for item in listed)
    return Principal(False, tuple(entries))


def _value_text(value: object) -> str | None:
    if value.__class__ is str or value.__class__ is JsonNumber:
        return str(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    return None


def _values(raw: object) -> tuple[str, ...] | None:
    if raw.__class__ is str:
        return (raw,)
    items = raw if raw.__class__ is list else (raw,)
    texts = tuple(_value_text(item) for item in items)
    return texts if texts and None not in texts else None


def _conditions(block: object, path: str) -> tuple[Condition, ...] | None:
    if block.__class__ is not dict:
        return None
    found = []
    for operator_text, keys in block.items():
        operator = parse_operator(operator_text) if operator_text.__class__ is str else None
        if operator is None or keys.__class__ is not dict:
            return None
        for key, raw in keys.items():
            values = _values(raw)
            if values is None or key.__class__ is not str or not key:
                return None
            found.append(Condition(operator, key, values, condition_path(path, operator_text, key)))
    return tuple(found)


@functools.lru_cache(maxsize=8192)
def condition_path(path: str, operator_text: str, key: str) -> str:
    """`Statement[0].Condition.StringEquals["aws:SourceIp"]`: one cached call for what
    would be three of member_path's."""
    return member_path(member_path(member_path(path, "Condition"), operator_text), key)


def _principals(value: dict, kind: PolicyKind) -> tuple[Principal | None, Principal | None] | None:
    """(Principal, NotPrincipal) as the kind requires them, or None if unusual."""
    if kind not in WITH_PRINCIPAL:
        return None if "Principal" in value or "NotPrincipal" in value else (None, None)
    if ("Principal" in value) == ("NotPrincipal" in value):
        return None
    if "Principal" in value:
        principal = _principal(value["Principal"])
        return None if principal is None else (principal, None)
    not_principal = _principal(value["NotPrincipal"])
    return None if not_principal is None else (None, not_principal)


def statement(value: object, index: int, path: str, kind: PolicyKind) -> Statement | None:
    """The statement, or None when the thorough reading must look at it."""
    if value.__class__ is not dict or not value.keys() <= STATEMENT_KEYS:
        return None
    raw_effect = value.get("Effect")
    effect = EFFECTS.get(raw_effect) if raw_effect.__class__ is str else None
    sid = value.get("Sid")
    if effect is None or ("Sid" in value and sid.__class__ is not str):
        return None
    # exactly one of each pair, as strings; written out rather than in a helper, as a
    # statement is read for every case and the calls were a good part of its cost
    actions = not_actions = None
    if "Action" in value:
        if "NotAction" in value:
            return None
        actions = _strings(value["Action"])
        if actions is None:
            return None
    else:
        not_actions = _strings(value.get("NotAction"))
        if not_actions is None:
            return None
    resources = not_resources = None
    if kind is PolicyKind.TRUST:
        if "Resource" in value or "NotResource" in value:
            return None
    elif "Resource" in value:
        if "NotResource" in value:
            return None
        resources = _strings(value["Resource"])
        if resources is None:
            return None
    else:
        not_resources = _strings(value.get("NotResource"))
        if not_resources is None:
            return None
    if kind in WITH_PRINCIPAL:
        principals = _principals(value, kind)
        if principals is None:
            return None
        principal, not_principal = principals
    elif "Principal" in value or "NotPrincipal" in value:
        return None
    else:
        principal = not_principal = None
    conditions = _conditions(value["Condition"], path) if "Condition" in value else ()
    if conditions is None:
        return None
    return Statement(
        index, effect, sid, principal, not_principal, actions, not_actions, resources, not_resources, conditions, path
    )
