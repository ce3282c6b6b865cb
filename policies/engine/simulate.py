"""The JSON Lines driver of ../shared/simulation-format.md.

Every case is parsed, compiled and decided on its own; a case that cannot
be read answers an error and the run goes on.
"""

from __future__ import annotations

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
    policies = [
        (f"{where}[{index}]", _document(value, kind, f"{where}[{index}]")) for index, value in enumerate(values)
    ]
    return PolicySet(policies)


def _single(value: object, kind: PolicyKind, where: str) -> PolicySet | None:
    if value is None:
        return None
    return PolicySet([(where, _document(value, kind, where))])


def _resource_kind(value: object) -> PolicyKind:
    """A resource policy without any Resource element is a role's trust policy."""
    if isinstance(value, str):
        try:
            value = _DECODER.decode(value)
        except ValueError:
            return PolicyKind.RESOURCE  # parsing reports the problem
    statements = value.get("Statement") if isinstance(value, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if (
        isinstance(statements, list)
        and statements
        and all(isinstance(s, dict) and "Resource" not in s and "NotResource" not in s for s in statements)
    ):
        return PolicyKind.TRUST
    return PolicyKind.RESOURCE


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
    request = _request(case)
    resource_value = case.get("resource_policy")
    kind = _resource_kind(resource_value)
    trust = kind is PolicyKind.TRUST
    identity = _policy_set(case.get("identity_policies") or [], PolicyKind.IDENTITY, "identity_policies")
    decision = authorize(
        request,
        identity=identity,
        boundary=_single(case.get("permission_boundary"), PolicyKind.BOUNDARY, "permission_boundary"),
        guardrails=_guardrails(case.get("guardrails")),
        resource_policy=_single(resource_value, kind, "resource_policy"),
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
