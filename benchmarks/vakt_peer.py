"""The engine's benchmark policies expressed in vakt (1.6.0, benchmarks/requirements.txt).

Only what the benchmark's documents use is translated: Action and Resource
patterns (`*` and `?`, actions without regard to case), Allow and Deny, and
the condition blocks of `benchmarks.engine.CONDITION_BLOCKS`. vakt has no
policy variables, so `${aws:username}` is filled in for the one principal
asked about, as a vakt user would write a policy per user.
"""

from __future__ import annotations

import re

import vakt
from vakt.rules import CIDR, And, Any, Eq, In, Less, Or, RegexMatch
from vakt.rules.string import Equal

_VARIABLE = re.compile(r"\$\{([^}]+)\}")


def _pattern(text: str, *, ignore_case: bool):
    if "*" not in text and "?" not in text:
        return Equal(text, ci=ignore_case)
    body = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in text)
    return RegexMatch(("(?i)" if ignore_case else "") + body + r"\Z")


def _listed(raw) -> list:
    return list(raw) if isinstance(raw, list) else [raw]


def _text(value) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def _condition_rule(operator: str, values: list):
    if operator == "StringEquals":
        return In(*values)
    if operator == "IpAddress":
        return Or(*(CIDR(value) for value in values))
    if operator == "Bool":
        return Eq(values[0])
    if operator == "DateLessThan":
        return Less(values[0])  # ISO 8601 times in UTC order as text
    raise ValueError(f"no vakt rule for {operator}")


def _context(block: dict) -> dict:
    rules: dict[str, list] = {}
    for operator, keys in block.items():
        for key, raw in keys.items():
            rules.setdefault(key, []).append(_condition_rule(operator, [_text(item) for item in _listed(raw)]))
    return {key: found[0] if len(found) == 1 else And(*found) for key, found in rules.items()}


def policy(uid: int, statement: dict, variables: dict[str, str]) -> vakt.Policy:
    """One IAM statement (Action and Resource only) as one vakt policy."""
    if "NotAction" in statement or "NotResource" in statement:
        raise ValueError("the benchmark's statements list their actions and resources")
    resources = [
        _VARIABLE.sub(lambda found: variables[found.group(1)], text) for text in _listed(statement["Resource"])
    ]
    return vakt.Policy(
        uid,
        subjects=[Any()],
        actions=[_pattern(text, ignore_case=True) for text in _listed(statement["Action"])],
        resources=[_pattern(text, ignore_case=False) for text in resources],
        context=_context(statement.get("Condition", {})),
        effect=vakt.ALLOW_ACCESS if statement["Effect"] == "Allow" else vakt.DENY_ACCESS,
    )


def guard(documents: list[dict], variables: dict[str, str]) -> vakt.Guard:
    """A vakt guard over every statement of the documents, in memory."""
    storage = vakt.MemoryStorage()
    uid = 0
    for document in documents:
        statements = document["Statement"]
        for statement in statements if isinstance(statements, list) else [statements]:
            storage.add(policy(uid, statement, variables))
            uid += 1
    return vakt.Guard(storage, vakt.RulesChecker())


def inquiry(principal: str, action: str, resource: str, context: dict) -> vakt.Inquiry:
    return vakt.Inquiry(subject=principal, action=action, resource=resource, context=context)
