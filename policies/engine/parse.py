"""JSON text or a dict to a `Policy`, reporting every problem with its place.

`parse_policy` raises only `PolicyError`, whatever it is given: text, bytes,
dicts of the wrong shape, or JSON nested absurdly deep.
"""

from __future__ import annotations

import math
import re

from . import jsontext, wellformed
from .document import (
    VERSION_2008,
    VERSION_2012,
    Condition,
    Effect,
    Policy,
    PolicyKind,
    Principal,
    Statement,
)
from .errors import Finding, Level, PolicyError
from .wellformed import parse_operator

TOP_ELEMENTS = ("Version", "Id", "Statement")
STATEMENT_ELEMENTS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")
_WITH_PRINCIPAL = (PolicyKind.RESOURCE, PolicyKind.TRUST)
_KNOWN = {names: frozenset(names) for names in (TOP_ELEMENTS, STATEMENT_ELEMENTS)}
# The paths of a document's first statements, written once rather than for every document.
_STATEMENT_PATHS = tuple(f"Statement[{index}]" for index in range(64))

Source = str | bytes | bytearray | dict


class Problems:
    """Collects findings; places are filled in once, at the end."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, str, bool]] = []

    def add(self, code: str, message: str, path: str, *, key: bool = False) -> None:
        self.items.append((code, message, path, key))

    def findings(self, places: jsontext.Places | None, level=Level.ERROR) -> list[Finding]:
        found = []
        for code, message, path, key in self.items:
            line_column = places.of(path, key=key) if places else None
            line, column = line_column if line_column else (None, None)
            found.append(Finding(level, code, message, path, line, column))
        return found


def load_source(source: object) -> tuple[object, str | None]:
    """Text, bytes or a dict to (value, text or None); raises PolicyError."""
    if isinstance(source, dict):
        return source, None
    if not isinstance(source, (str, bytes, bytearray)):
        raise PolicyError([Finding(Level.ERROR, "NOT_A_DOCUMENT", "a policy is JSON text or an object")])
    try:
        text = jsontext.decode_text(source)
    except ValueError:
        raise PolicyError([Finding(Level.ERROR, "NOT_UTF8", "the document is not UTF-8 text")]) from None
    try:
        return jsontext.load(text), text
    except jsontext.SyntaxFinding as error:
        raise PolicyError([error.finding]) from None


def parse_policy(source: Source, *, kind: PolicyKind | str = PolicyKind.IDENTITY) -> Policy:
    """Parse a policy document for the given kind of attachment.

    `source` is JSON text (str or bytes) or an already decoded dict. Raises
    `PolicyError` listing every problem found, each with its JSON path and,
    for text, its line and column.
    """
    kind = kind if kind.__class__ is PolicyKind else PolicyKind(kind)
    value, text = (source, None) if source.__class__ is dict else load_source(source)
    problems = Problems()
    try:
        policy = _policy(value, kind, problems)
    except RecursionError:
        problems.add("TOO_DEEP", "the document is nested too deeply", "")
        policy = None
    if problems.items or policy is None:
        places = _places(text)
        raise PolicyError(problems.findings(places))
    return policy


def _places(text: str | None) -> jsontext.Places | None:
    if text is None:
        return None
    try:
        return jsontext.Places(text)
    except RecursionError:
        return None


def _policy(value: object, kind: PolicyKind, problems: Problems) -> Policy | None:
    if not isinstance(value, dict):
        problems.add("NOT_AN_OBJECT", "a policy document is a JSON object", "")
        return None
    _unknown_elements(value, TOP_ELEMENTS, "", problems)
    version = value.get("Version")
    if "Version" in value and version not in (VERSION_2012, VERSION_2008):
        problems.add("BAD_VERSION", f'Version must be "{VERSION_2012}" or "{VERSION_2008}"', "Version")
        version = None
    policy_id = value.get("Id")
    if "Id" in value and not _is_text(policy_id):
        problems.add("BAD_TYPE", "Id must be a string", "Id")
        policy_id = None
    statements = _statements(value, kind, problems)
    return Policy(kind, statements, version, policy_id)


def _statements(value: dict, kind: PolicyKind, problems: Problems) -> tuple[Statement, ...]:
    if "Statement" not in value:
        problems.add("MISSING_ELEMENT", "Statement is required", "")
        return ()
    raw = value["Statement"]
    if isinstance(raw, dict):
        statement = wellformed.statement(raw, 0, "Statement", kind) or _statement(raw, 0, "Statement", kind, problems)
        return (statement,) if statement is not None else ()
    if not isinstance(raw, list) or not raw:
        problems.add("BAD_TYPE", "Statement must be an object or a non-empty list", "Statement")
        return ()
    found = []
    for index, item in enumerate(raw):
        path = _STATEMENT_PATHS[index] if index < len(_STATEMENT_PATHS) else f"Statement[{index}]"
        statement = wellformed.statement(item, index, path, kind) or _statement(item, index, path, kind, problems)
        if statement is not None:
            found.append(statement)
    return tuple(found)


def _unknown_elements(value: dict, known: tuple[str, ...], path: str, problems: Problems) -> None:
    if value.keys() <= _KNOWN[known]:
        return
    for name in value:
        if name not in known:
            hint = _closest(name, known)
            message = f"unknown element {name!r}" + (f"; did you mean {hint!r}?" if hint else "")
            problems.add("UNKNOWN_ELEMENT", message, jsontext.member_path(path, str(name)), key=True)


def _closest(name: object, known: tuple[str, ...]) -> str | None:
    lowered = str(name).lower().replace("_", "")
    for candidate in known:
        if candidate.lower() == lowered or _one_edit(candidate.lower(), lowered):
            return candidate
    return None


def _one_edit(left: str, right: str) -> bool:
    if abs(len(left) - len(right)) > 1 or left == right:
        return False
    if len(left) == len(right):
        return sum(a != b for a, b in zip(left, right, strict=True)) == 1
    short, long = sorted((left, right), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _is_text(value: object) -> bool:
    return value.__class__ is str


def _statement(value: object, index: int, path: str, kind: PolicyKind, problems: Problems) -> Statement | None:
    if not isinstance(value, dict):
        problems.add("NOT_AN_OBJECT", "a statement is a JSON object", path)
        return None
    before = len(problems.items)
    _unknown_elements(value, STATEMENT_ELEMENTS, path, problems)
    sid = _sid(value, path, problems)
    effect = _effect(value, path, problems)
    principal, not_principal = _principals(value, path, kind, problems)
    actions, not_actions = _pair(value, "Action", "NotAction", path, problems, required=True)
    resources, not_resources = _resources(value, path, kind, problems)
    conditions = _conditions(value, path, problems)
    if len(problems.items) != before or effect is None:
        return None
    return Statement(
        index, effect, sid, principal, not_principal, actions, not_actions, resources, not_resources, conditions, path
    )


def _sid(value: dict, path: str, problems: Problems) -> str | None:
    if "Sid" not in value:
        return None
    sid = value["Sid"]
    if not _is_text(sid):
        problems.add("BAD_TYPE", "Sid must be a string", jsontext.member_path(path, "Sid"))
        return None
    return sid


def _effect(value: dict, path: str, problems: Problems) -> Effect | None:
    if "Effect" not in value:
        problems.add("MISSING_EFFECT", "Effect is required", path)
        return None
    raw = value["Effect"]
    effect = _EFFECTS.get(raw) if raw.__class__ is str else None
    if effect is None:
        problems.add("BAD_EFFECT", 'Effect must be "Allow" or "Deny"', jsontext.member_path(path, "Effect"))
    return effect


_EFFECTS = {effect.value: effect for effect in Effect}


def _strings(raw: object, path: str, problems: Problems, element: str | None = None) -> tuple[str, ...] | None:
    """A string or a non-empty list of strings (`element` of `path`, when given)."""
    if raw.__class__ is str:
        return (raw,)
    if raw.__class__ is list and raw and all(item.__class__ is str for item in raw):
        return tuple(raw)
    if element is not None:
        path = jsontext.member_path(path, element)
    if isinstance(raw, list) and not raw:
        problems.add("EMPTY_LIST", "an empty list is not allowed here", path)
    else:
        problems.add("BAD_TYPE", "expected a string or a list of strings", path)
    return None


def _pair(
    value: dict, name: str, negated: str, path: str, problems: Problems, *, required: bool
) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    has, has_not = name in value, negated in value
    if has and has_not:
        problems.add(
            "BOTH_" + name.upper(),
            f"a statement has {name} or {negated}, not both",
            jsontext.member_path(path, negated),
            key=True,
        )
        return None, None
    if not has and not has_not:
        if required:
            problems.add("MISSING_" + name.upper(), f"{name} or {negated} is required", path)
        return None, None
    element = name if has else negated
    parsed = _strings(value[element], path, problems, element)
    return (parsed, None) if has else (None, parsed)


def _resources(value: dict, path: str, kind: PolicyKind, problems: Problems):
    if kind is PolicyKind.TRUST:
        for element in ("Resource", "NotResource"):
            if element in value:
                problems.add(
                    "RESOURCE_IN_TRUST_POLICY",
                    f"a trust policy has no {element}",
                    jsontext.member_path(path, element),
                    key=True,
                )
        return None, None
    return _pair(value, "Resource", "NotResource", path, problems, required=True)


def _principals(value: dict, path: str, kind: PolicyKind, problems: Problems):
    present = [name for name in ("Principal", "NotPrincipal") if name in value]
    if kind not in _WITH_PRINCIPAL:
        for name in present:
            problems.add(
                "PRINCIPAL_NOT_ALLOWED",
                f"{name} is not allowed in a {kind.value} policy",
                jsontext.member_path(path, name),
                key=True,
            )
        return None, None
    if len(present) != 1:
        message = (
            "Principal or NotPrincipal is required"
            if not present
            else "a statement has Principal or NotPrincipal, not both"
        )
        problems.add("PRINCIPAL_REQUIRED" if not present else "BOTH_PRINCIPAL", message, path)
        return None, None
    name = present[0]
    parsed = _principal(value[name], jsontext.member_path(path, name), problems)
    return (parsed, None) if name == "Principal" else (None, parsed)


def _principal(raw: object, path: str, problems: Problems) -> Principal | None:
    if raw == "*" and _is_text(raw):
        return Principal(wildcard=True)
    if not isinstance(raw, dict) or not raw:
        problems.add("BAD_PRINCIPAL", 'a principal is "*" or an object such as {"AWS": ...}', path)
        return None
    entries = []
    for principal_type, values in raw.items():
        child = jsontext.member_path(path, str(principal_type))
        if principal_type not in PRINCIPAL_TYPES:
            problems.add(
                "BAD_PRINCIPAL_TYPE",
                f"principal type must be one of {', '.join(PRINCIPAL_TYPES)}",
                child,
                key=True,
            )
            continue
        parsed = _strings(values, child, problems)
        entries.extend((principal_type, item) for item in parsed or ())
    return Principal(wildcard=False, entries=tuple(entries))


def _conditions(value: dict, path: str, problems: Problems) -> tuple[Condition, ...]:
    if "Condition" not in value:
        return ()
    block = value["Condition"]
    block_path = jsontext.member_path(path, "Condition")
    if not isinstance(block, dict):
        problems.add("BAD_TYPE", "Condition must be an object", block_path)
        return ()
    found = []
    for operator_text, keys in block.items():
        operator_path = jsontext.member_path(block_path, str(operator_text))
        operator = parse_operator(operator_text) if isinstance(operator_text, str) else None
        if operator is None:
            problems.add(
                "UNKNOWN_OPERATOR",
                f"unknown condition operator {operator_text!r}",
                operator_path,
                key=True,
            )
            continue
        if not isinstance(keys, dict):
            problems.add("BAD_TYPE", "an operator maps condition keys to values", operator_path)
            continue
        for key, raw in keys.items():
            key_path = jsontext.member_path(operator_path, str(key))
            values = _condition_values(raw, key_path, problems)
            if not isinstance(key, str) or not key:
                problems.add("BAD_CONDITION_KEY", "a condition key is a non-empty name", key_path)
            elif values is not None:
                found.append(Condition(operator, key, values, key_path))
    return tuple(found)


def scalar_text(value: object) -> str | None:
    """A condition value as AWS compares it: JSON true is "true", 42 is "42"."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    try:
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float) and math.isfinite(value):
            return repr(value)
    except ValueError:
        return None  # an integer too long to print
    return None


def _condition_values(raw: object, path: str, problems: Problems) -> tuple[str, ...] | None:
    if raw.__class__ is str:
        return (raw,)
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        problems.add("EMPTY_LIST", "an empty list is not allowed here", path)
        return None
    texts = [scalar_text(item) for item in items]
    if any(text is None for text in texts):
        problems.add("BAD_CONDITION_VALUE", "condition values are strings, numbers or booleans", path)
        return None
    return tuple(texts)


_SID = re.compile(r"[A-Za-z0-9]*\Z")


def sid_is_plain(sid: str) -> bool:
    return bool(_SID.match(sid))
