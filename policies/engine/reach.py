"""What a compiled set tells a report without a request.

Each helper reads a `PolicySet`'s statements and answers a question that
narrows what a report must try (which actions, resources or principals);
the decision itself stays `authorize`'s.
"""

from __future__ import annotations

from collections.abc import Mapping

from .compile import PolicySet, PrincipalTest
from .document import Effect
from .variables import parse_template, resolve_text


def may_allow(policy_set: PolicySet, action: str) -> bool:
    """Whether any statement could allow `action` on some resource under some
    conditions. False is exact: then no request for the action is allowed by this set,
    which lets a report skip every resource of an action nobody here is granted."""
    return any(compiled.statement.effect is Effect.ALLOW for compiled in policy_set.candidates(action.lower()))


def allow_resources(policy_set: PolicySet, action: str, keys: Mapping[str, str]) -> tuple[str, ...] | None:
    """The Resource patterns of the statements that could allow `action`, policy
    variables filled from `keys` (a pattern whose variable has no value matches
    nothing and is left out); None when one allows by NotResource. Wildcards stay in:
    a report narrows the resources it must try with these, the decision stays the engine's."""
    context = {key.lower(): (value,) for key, value in keys.items() if isinstance(value, str)}
    patterns: list[str] = []
    for compiled in policy_set.candidates(action.lower()):
        statement = compiled.statement
        if statement.effect is not Effect.ALLOW:
            continue
        if statement.resources is None:
            return None
        for text in statement.resources:
            template = parse_template(text)
            resolved = text if template is None else resolve_text(template, context)
            if resolved is not None:
                patterns.append(resolved)
    return tuple(patterns)


def allowed_principals(policy_set: PolicySet) -> tuple[frozenset[str], frozenset[str]] | None:
    """The accounts and the principal ARNs that the Allow statements of a
    resource-based set name, read as the decision reads them; None when one allows
    anyone ("*") or by NotPrincipal. Like allow_resources, it narrows what a report
    must try."""
    accounts: set[str] = set()
    arns: set[str] = set()
    for compiled in policy_set.statements:
        statement = compiled.statement
        if statement.effect is not Effect.ALLOW:
            continue
        if statement.principal is None:
            return None
        test = PrincipalTest(statement.principal)
        if test.wildcard:
            return None
        accounts |= test.accounts
        arns |= test.arns
    return frozenset(accounts), frozenset(arns)
