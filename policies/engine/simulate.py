"""The JSON Lines driver (docs/policy-evaluation.md, "Simulation cases").

Every case is parsed, compiled and decided on its own; a case that cannot
be read answers an error and the run goes on.
"""

from __future__ import annotations

import difflib
import json
import sys
from collections.abc import Iterable, Iterator
from typing import TextIO

from .authorize import Decision, authorize
from .compile import PolicySet
from .document import PolicyKind
from .errors import PolicyError, RequestError
from .evaluate import Request
from .explain import explanation
from .jsontext import _DECODER, JsonNumber
from .parse import parse_policy


class CaseError(ValueError):
    pass


def _document(value: object, kind: PolicyKind, where: str):
    """A document given as an object, or as JSON text the way AWS's APIs take it."""
    if not isinstance(value, (dict, str)):
        raise CaseError(f"{where}: a policy document must be a JSON object")
    try:
        return parse_policy(value, kind=kind)
    except PolicyError as error:
        raise CaseError(f"{where}: {error}") from None


def _policy_set(values: object, kind: PolicyKind, where: str) -> PolicySet:
    if not isinstance(values, list):
        raise CaseError(f"{where}: expected a list of policy documents")
    labels = [f"{where}[{index}]" for index in range(len(values))]
    return PolicySet([(label, _document(value, kind, label)) for label, value in zip(labels, values, strict=True)])


def _single(value: object, kind: PolicyKind, where: str) -> PolicySet | None:
    if value is None:
        return None
    return PolicySet([(where, _document(value, kind, where))])


_LAYERS = (
    "identity_policies",
    "permission_boundary",
    "guardrails",
    "resource_policy",
    "trust_policy",
    "session_policy",
)
_CASE_FIELDS = (*_LAYERS, "request")
_REQUEST_FIELDS = ("principal", "action", "resource", "resource_account", "context")
_ANNOTATIONS = frozenset({"id", "category", "note"})
_COMMON = {"": frozenset(_CASE_FIELDS) | _ANNOTATIONS, "request.": frozenset(_REQUEST_FIELDS) | _ANNOTATIONS}
# Near misses that spelling alone does not find: other tools' names for a layer.
_OTHER_NAMES = {
    "scp": "guardrails",
    "scps": "guardrails",
    "service_control_policies": "guardrails",
    "boundary": "permission_boundary",
    "permissions_boundary": "permission_boundary",
    "trust": "trust_policy",
    "assume_role_policy": "trust_policy",
}


def _unknown_fields(fields: dict, known: tuple[str, ...], prefix: str = "") -> list[str]:
    """A description of each field that is neither known nor an annotation."""
    if fields.keys() <= _COMMON[prefix]:
        return []  # the usual case, in one set operation
    problems = []
    for name in fields:
        if not isinstance(name, str) or name in known or name in _ANNOTATIONS or name.startswith("_"):
            continue
        guess = _OTHER_NAMES.get(name.lower()) if not prefix else None
        if guess is None:
            close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
            guess = close[0] if close else None
        hint = f" (did you mean {prefix + guess!r}?)" if guess else ""
        problems.append(f"unknown field {prefix + name!r}{hint}")
    return problems


def _check_fields(case: dict) -> None:
    """A misspelt layer must never drop a Deny silently: unknown fields are errors."""
    problems = _unknown_fields(case, _CASE_FIELDS)
    raw = case.get("request")
    if isinstance(raw, dict):
        problems += _unknown_fields(raw, _REQUEST_FIELDS, "request.")
    if problems:
        raise CaseError("; ".join(problems))


def _resource_layer(case: dict, request: Request) -> tuple[PolicySet | None, bool]:
    """The resource-based layer and whether it is a role's trust policy, as the case says."""
    resource_value, trust_value = case.get("resource_policy"), case.get("trust_policy")
    if trust_value is None:
        return _single(resource_value, PolicyKind.RESOURCE, "resource_policy"), False
    if resource_value is not None:
        raise CaseError("resource_policy and trust_policy: a request meets one resource-based policy, give one")
    if not request.action.lower().startswith("sts:"):
        raise CaseError("trust_policy: a role's trust policy decides sts: actions (sts:AssumeRole) only")
    return _single(trust_value, PolicyKind.TRUST, "trust_policy"), True


def _request(case: dict) -> Request:
    raw = case.get("request")
    if not isinstance(raw, dict):
        raise CaseError("request: expected an object")
    for name in ("principal", "action", "resource"):
        if not isinstance(raw.get(name), str):
            raise CaseError(f"request.{name}: expected a string")
    context = raw.get("context") or {}
    account = raw.get("resource_account")
    if not isinstance(context, dict):
        raise CaseError("request.context: expected an object")
    if account is not None and not isinstance(account, str):
        raise CaseError("request.resource_account: expected a string")
    return Request(raw["principal"], raw["action"], raw["resource"], context, account)


def _guardrails(value: object) -> list[PolicySet] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise CaseError("guardrails: expected a list of levels")
    return [_policy_set(level, PolicyKind.GUARDRAIL, f"guardrails[{index}]") for index, level in enumerate(value)]


def decide_case(case: dict) -> Decision:
    """One case (already decoded) to its decision; raises CaseError if unreadable."""
    if not isinstance(case, dict):
        raise CaseError("a case is a JSON object")
    _check_fields(case)
    request = _request(case)
    resource_policy, trust = _resource_layer(case, request)
    identity = _policy_set(case.get("identity_policies") or [], PolicyKind.IDENTITY, "identity_policies")
    decision = authorize(
        request,
        identity=identity,
        boundary=_single(case.get("permission_boundary"), PolicyKind.BOUNDARY, "permission_boundary"),
        guardrails=_guardrails(case.get("guardrails")),
        resource_policy=resource_policy,
        session_policy=_single(case.get("session_policy"), PolicyKind.SESSION, "session_policy"),
        trust=trust,
    )
    if decision.errors and decision.blocking_layers == ("engine",) and decision.errors[0].startswith("RequestError"):
        raise CaseError("request: " + decision.errors[0].partition(": ")[2])
    return decision


def answer(line: str, *, explain: bool = False) -> dict:
    """One input line to its answer object."""
    case_id = None
    try:
        case = _DECODER.decode(line)
        if isinstance(case, dict):
            case_id = _echo(case.get("id"))
        decision = decide_case(case)
    except (CaseError, ValueError, RequestError) as error:
        return {"id": case_id, "decision": None, "error": str(error)}
    except RecursionError:
        return {"id": case_id, "decision": None, "error": "the case is nested too deeply"}
    result = {"id": case_id, "decision": decision.outcome.value, "error": None}
    if decision.errors:
        result["error"] = "; ".join(decision.errors)
    if decision.findings:
        result["findings"] = [finding.as_dict() for finding in decision.findings]
    if explain:
        result["explanation"] = _short_explanation(decision)
    return result


def _echo(value: object) -> object:
    """The id as it was written: a JSON number stays a number."""
    return json.loads(value) if isinstance(value, JsonNumber) else value


def _short_explanation(decision: Decision) -> dict:
    data = explanation(decision)
    data.pop("layers")
    return data


def answers(lines: Iterable[str], *, explain: bool = False) -> Iterator[str]:
    for line in lines:
        if not line.strip():
            continue
        yield json.dumps(answer(line, explain=explain), separators=(",", ":"))


def run(stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout, *, explain: bool = False) -> int:
    write = stdout.write
    for text in answers(stdin, explain=explain):
        write(text + "\n")
    stdout.flush()
    return 0
