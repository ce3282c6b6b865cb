"""One request against one policy set, recording what applied."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from types import MappingProxyType
from typing import NamedTuple

from .compile import Caller, CompiledStatement, Naming, PolicySet
from .errors import RequestError
from .match import split_arn
from .variables import Context

ContextValue = str | Sequence[str]


# A request without context shares this one, which no one can change.
_EMPTY_CONTEXT: Mapping[str, ContextValue] = MappingProxyType({})


class Request(NamedTuple):
    """What is asked: who, which action, on what, and the request's context.

    `context` maps condition keys (any case) to a string or a list of
    strings; principal type and tags travel there too (`aws:PrincipalType`,
    `aws:PrincipalTag/team`), as in AWS. `resource_account` defaults to the
    resource ARN's account, then the principal's.

    The context is normalised when a statement first reads it: a value of a
    type no condition can read (a list of numbers, a nested object) makes the
    decision a deny carrying that error whenever a statement that applies to
    the action reads the context, and a decision that reads none does not
    pay for normalising it.

    A named tuple rather than a frozen dataclass: as immutable and equal by value, and
    built in about half the time, which a decision of one statement notices.
    """

    principal: str
    action: str
    resource: str
    context: Mapping[str, ContextValue] = _EMPTY_CONTEXT
    resource_account: str | None = None


class Prepared:
    """A request normalised once for all layers; the caller is classified on demand."""

    __slots__ = (
        "action",
        "resource",
        "_context",
        "_given_context",
        "principal",
        "account_id",
        "_caller",
        "_resource_account",
        "given",
        "bounded",
    )

    def __init__(self, request: Request, account_id: str | None = None):
        principal, action, resource = request.principal, request.action, request.resource
        if not (principal.__class__ is str and action.__class__ is str and resource.__class__ is str):
            for name in ("principal", "action", "resource"):
                if not isinstance(getattr(request, name), str):
                    raise RequestError(f"request {name} must be a string")
        context = request.context
        if context and context.__class__ is not dict and not isinstance(context, Mapping):
            raise RequestError("context must be an object")
        self.action = action.lower()
        self.resource = resource
        self._given_context = context
        self._context: Context | None = None
        self.principal = principal
        self.account_id = account_id
        self.given = request.resource_account
        self._caller: Caller | None = None
        self._resource_account: str | None = None
        self.bounded = False  # whether a permission boundary applies to the caller

    @property
    def context(self) -> Context:
        """The request's context normalised, on first use: a decision no statement's
        resource or condition reads it for does not pay for it."""
        context = self._context
        if context is None:
            given = self._given_context
            context = self._context = normalise_context(given) if given else {}
        return context

    @property
    def caller(self) -> Caller:
        if self._caller is None:
            # only a role session's ARN reads aws:PrincipalArn (to name its role's path)
            arn = _principal_arn(self.context) if ":sts:" in self.principal else None
            self._caller = _caller(self.principal, arn, self.account_id)
        return self._caller

    @property
    def is_root(self) -> bool:
        return self.principal.endswith(":root") and self.caller.type == "root"

    @property
    def cross_account(self) -> bool:
        """Whether the resource belongs to another account than the caller."""
        account = self.caller.account
        if account is None:
            return False
        resource_account = self.given
        if not resource_account:
            parts = split_arn(self.resource)
            if len(parts) != 6 or not parts[4]:
                return False  # no account in the resource: it is the caller's own
            resource_account = parts[4]
        return account != resource_account

    def within_own_account(self) -> bool:
        """Neither the root user nor a request across accounts: the case where identity
        policies alone decide (is_root and cross_account in one pass, for the hot path)."""
        caller = self._caller or self.caller
        if caller.type == "root":
            return False
        account = caller.account
        if account is None:
            return True
        resource_account = self.given or arn_account(self.resource)
        return not resource_account or resource_account == account

    @property
    def resource_account(self) -> str | None:
        """As given, else the resource ARN's account, else the principal's."""
        if self._resource_account is None:
            account = self.given
            if not account:
                parts = split_arn(self.resource)
                account = parts[4] if len(parts) == 6 and parts[4] else self.caller.account
            self._resource_account = account
        return self._resource_account


@functools.lru_cache(maxsize=4096)
def arn_account(arn: str) -> str:
    """The account part of an ARN ("" when it has none): resources repeat from request to
    request, and a cache hit is cheaper than splitting."""
    parts = split_arn(arn)
    return parts[4] if len(parts) == 6 else ""


def _context_value(key: object, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if value is None:
        return ()  # a null value is a key without a value: absent
    if isinstance(value, bool):
        return ("true" if value else "false",)
    if isinstance(value, (int, float)):
        return (str(value),)
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise RequestError(f"context value of {key!r} must be a string or a list of strings")


def normalise_context(context: Mapping[str, ContextValue]) -> Context:
    """Keys lowercased; every value a tuple; empty lists dropped as absent."""
    if context.__class__ is not dict and not isinstance(context, Mapping):  # a dict skips the ABC's check
        raise RequestError("context must be an object")
    try:
        # the common case: string keys and single string values
        normal = {key.lower(): (value,) for key, value in context.items() if value.__class__ is str}
    except AttributeError:
        raise RequestError("context keys must be strings") from None
    if len(normal) != len(context):
        for key, value in context.items():
            if value.__class__ is not str:
                if not isinstance(key, str):
                    raise RequestError("context keys must be strings")
                values = _context_value(key, value)
                if values:
                    normal[key.lower()] = values
    return normal


def caller_of_arn(principal: str, account_id: str | None = None) -> Caller:
    """Classify a principal ARN that is not a role session's (a session reads aws:PrincipalArn)."""
    return _caller(principal, None, account_id)


def caller_of(principal: str, context: Context, account_id: str | None = None) -> Caller:
    """Classify a principal ARN: user, role, session, root, federated or other."""
    return _caller(principal, _principal_arn(context), account_id)


@functools.lru_cache(maxsize=4096)
def _caller(principal: str, principal_arn: str | None, account_id: str | None) -> Caller:
    parts = split_arn(principal)
    if len(parts) < 6 or parts[0] != "arn":
        return Caller(principal, "other", account_id)
    _, partition, service, _, account, resource = parts
    account = account or account_id
    if service == "iam":
        if resource == "root":
            return Caller(principal, "root", account)
        kind = resource.split("/", 1)[0]
        if kind in ("user", "role"):
            return Caller(principal, kind, account, principal if kind == "role" else None)
        if kind in ("oidc-provider", "saml-provider"):
            return Caller(principal, "federated", account)
    if service == "sts" and resource.startswith("assumed-role/"):
        role_name = resource.split("/")[1]
        role_arn = principal_arn or f"arn:{partition}:iam::{account}:role/{role_name}"
        return Caller(principal, "session", account, role_arn)
    if service == "sts" and resource.startswith("federated-user/"):
        return Caller(principal, "federated", account)
    return Caller(principal, "other", account)


def _principal_arn(context: Context) -> str | None:
    values = context.get("aws:principalarn")
    if values and len(values) == 1 and ":role/" in values[0]:
        return values[0]
    return None


def prepare(request: Request, account_id: str | None = None) -> Prepared:
    """The request checked and normalised for every layer (a RequestError if it cannot be)."""
    return Prepared(request, account_id)


# Naming.DIRECT as a global for the hot path (an Enum class's attribute costs about ten
# times a global in Python 3.11).
_DIRECT = Naming.DIRECT

_NO_KEYS: frozenset[str] = frozenset()

# What a resource test without policy variables is given: it reads no context.
_NO_CONTEXT: Context = {}


class LayerResult:
    """The statements of one set that applied to a request."""

    __slots__ = ("allows", "denies", "missing")

    def __init__(self) -> None:
        self.allows: list[tuple[CompiledStatement, Naming]] = []
        self.denies: list[CompiledStatement] = []
        # the condition keys the request lacked: a set of its own once a statement's tests
        # may add to it, the shared empty set while none has
        self.missing: AbstractSet[str] = _NO_KEYS


def applies(statement: CompiledStatement, request: Prepared, missing: set[str]) -> Naming | None:
    """How the statement names the caller when it applies, else None."""
    test = statement.resource
    if test is not None and not test(request.resource, request.context if test.templates else _NO_CONTEXT, missing):
        return None
    naming = _DIRECT if statement.principal is None else statement.naming(request.caller, request.bounded)
    if naming is None:
        return None
    matched = True
    for condition in statement.conditions:
        # every condition runs, so that all missing keys are reported
        if not condition(request.context, missing):
            matched = False
    return naming if matched else None


def evaluate(policy_set: PolicySet, request: Prepared) -> LayerResult:
    """Every statement of the set that applies to the request."""
    result = LayerResult()
    missing = None
    resource = request.resource
    for statement in policy_set.candidates(request.action):
        plain = statement.plain
        if plain is not None:
            if not plain(resource):
                continue
            naming = _DIRECT
        else:
            if missing is None:
                missing = result.missing = set()
            naming = applies(statement, request, missing)
            if naming is None:
                continue
        if statement.deny:
            result.denies.append(statement)
        else:
            result.allows.append((statement, naming))
    return result
