"""Documents to a `PolicySet`: statements with precompiled tests, indexed by action."""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .conditions import CompiledCondition, compile_condition
from .document import VERSION_2012, Condition, Effect, Policy, PolicyKind, Principal, Statement, quick_init
from .errors import Finding, Level
from .match import compile_action, compile_arn, split_arn
from .parse import Source, parse_policy
from .values import PARSERS, value_problem
from .variables import Context, parse_template, resolve

_ACCOUNT_ID = re.compile(r"\d{12}\Z")
_ROOT_ARN = re.compile(r"arn:[^:]+:iam::(\d{12}):root\Z")
_ROLE_ARN = re.compile(r"arn:[^:]+:iam::(\d{12}):role/(?:.*/)?([^/]+)\Z")
_CANDIDATE_CACHE_LIMIT = 4096
_CONDITION_CACHE_LIMIT = 16384
# A principal's working set of (action, resource) pairs: a larger memo costs a caller whose
# every request names a new resource more in garbage collection than the hits save others.
_PLAIN_DECISIONS_LIMIT = 256
# Below this many statements an index costs more than it saves.
_SCAN_ALL_BELOW = 16


class Naming(enum.IntEnum):
    """How a resource-based statement's Principal names the caller."""

    ACCOUNT = 1
    ROLE = 2
    DIRECT = 3


@quick_init
@dataclass(frozen=True, slots=True)
class StatementRef:
    """Where a statement comes from: layer, source label, indexes and Sid."""

    layer: str
    source: str
    policy_index: int
    statement_index: int
    sid: str | None
    effect: str
    has_conditions: bool = False

    def as_dict(self) -> dict:
        return {
            "layer": self.layer,
            "source": self.source,
            "policy_index": self.policy_index,
            "statement_index": self.statement_index,
            "sid": self.sid,
            "effect": self.effect,
        }


@quick_init
@dataclass(frozen=True, slots=True)
class Caller:
    """The request's principal, as resource-based statements need to see it."""

    arn: str
    type: str
    account: str | None
    role_arn: str | None = None


def account_of(value: str) -> str | None:
    """The account an AWS principal entry names, or None for a specific ARN."""
    if _ACCOUNT_ID.match(value):
        return value
    found = _ROOT_ARN.match(value)
    return found.group(1) if found else None


def _role_key(arn: str) -> tuple[str, str] | None:
    """(account, role name) of a role ARN: a role session's ARN carries its
    role's name but not its path, and a name is unique in an account."""
    found = _ROLE_ARN.match(arn)
    return (found.group(1), found.group(2).lower()) if found else None


def _session_role_key(caller: Caller) -> tuple[str, str] | None:
    if caller.type != "session" or caller.account is None:
        return None
    return caller.account, caller.arn.split(":", 5)[5].split("/")[1].lower()


class PrincipalTest:
    __slots__ = ("wildcard", "accounts", "arns", "roles")

    def __init__(self, principal: Principal):
        self.wildcard = principal.wildcard
        self.accounts: set[str] = set()
        self.arns: set[str] = set()
        self.roles: set[tuple[str, str]] = set()
        for principal_type, value in principal.entries:
            account = account_of(value) if principal_type == "AWS" else None
            if principal_type == "AWS" and value == "*":
                self.wildcard = True
            elif account:
                self.accounts.add(account)
            else:
                self.arns.add(value)
                role = _role_key(value) if principal_type == "AWS" else None
                if role is not None:
                    self.roles.add(role)

    def leaves_out(self, caller: Caller) -> bool:
        """Whether an Allow's NotPrincipal list leaves the caller out.

        AWS grants such an Allow to every principal but those listed. The
        caller is left out when any link of its chain is listed: itself, the
        role behind a session (by ARN, or by account and role name), or its
        account, so that no account entry, listed or not, lets it in
        (docs/policy-evaluation.md, "Principal and NotPrincipal").
        """
        if self.wildcard or caller.arn in self.arns:
            return True
        if caller.role_arn is not None and caller.role_arn in self.arns:
            return True
        if self.roles and _session_role_key(caller) in self.roles:
            return True
        return caller.account is not None and caller.account in self.accounts

    def exempts(self, caller: Caller) -> bool:
        """Whether a Deny's NotPrincipal list leaves the caller out.

        AWS checks the caller's whole chain (its account, then for a role
        session the role, then the principal), so each link must be listed.
        """
        if self.wildcard:
            return True
        if caller.account is not None and caller.account not in self.accounts:
            return False
        if caller.type == "root":
            return True
        if caller.type == "session" and caller.role_arn not in self.arns:
            return False
        return caller.arn in self.arns

    def naming(self, caller: Caller) -> Naming | None:
        if self.wildcard or caller.arn in self.arns:
            return Naming.DIRECT
        if caller.role_arn is not None and caller.role_arn in self.arns:
            return Naming.ROLE
        if caller.account is not None and caller.account in self.accounts:
            return Naming.ACCOUNT
        return None


class ResourceTest:
    """Resource or NotResource entries; variables resolve per request."""

    __slots__ = ("fixed", "templates", "negated")

    def __init__(self, patterns: Sequence[str], negated: bool, variables: bool):
        self.negated = negated
        self.fixed = []
        self.templates = []
        for pattern in patterns:
            parts = split_arn(pattern)
            template = parse_template(parts[-1]) if variables and len(parts) == 6 else None
            if template is None:
                self.fixed.append(compile_arn(pattern))
            else:
                self.templates.append((":".join(parts[:5]) + ":", template))

    def __call__(self, resource: str, context: Context, missing: set[str]) -> bool:
        found = False
        for matcher in self.fixed:
            if matcher(resource):
                found = True
                break
        if not found and self.templates:
            for prefix, template in self.templates:
                pieces = resolve(template, context, missing)
                if pieces is not None and compile_arn(((prefix, False),) + pieces)(resource):
                    found = True
                    break
        return found != self.negated


# The tests below are read-only once built and pure functions of their
# arguments, so statements with the same patterns share them, as compile_arn
# already shares its matchers: a corpus or a principal repeats its patterns.
@functools.lru_cache(maxsize=16384)
def action_tests(patterns: tuple[str, ...]) -> tuple[Callable[[str], bool], ...]:
    """The matchers of an Action or NotAction list, one per entry."""
    return tuple(map(compile_action, patterns))


@functools.lru_cache(maxsize=16384)
def resource_test(patterns: tuple[str, ...], negated: bool, variables: bool) -> ResourceTest:
    return ResourceTest(patterns, negated, variables)


def principal_test(principal: Principal) -> PrincipalTest:
    # keyed on the principal's plain fields: a tuple of strings hashes in C, where the
    # dataclass's own hash and equality would run Python code on every lookup
    return _principal_test(principal.wildcard, principal.entries)


@functools.lru_cache(maxsize=8192)
def _principal_test(wildcard: bool, entries: tuple[tuple[str, str], ...]) -> PrincipalTest:
    return PrincipalTest(Principal(wildcard, entries))


_COMPILED_CONDITIONS: dict[tuple, CompiledCondition] = {}


def compile_conditions(conditions: tuple[Condition, ...], variables: bool) -> tuple[CompiledCondition, ...]:
    return tuple([compiled_condition(condition, variables) for condition in conditions])


def compiled_condition(condition: Condition, variables: bool) -> CompiledCondition:
    """A condition's test, shared by every condition with the same operator, key and values.

    The test is a pure function of those (the operator of its text, as `parse_operator`
    reads it), never of the condition's place; the key is made of strings, which hash in C.
    Bounded as the other caches here: emptied when full.
    """
    key = (condition.operator.text, condition.key, condition.values, variables)
    found = _COMPILED_CONDITIONS.get(key)
    if found is None:
        if len(_COMPILED_CONDITIONS) >= _CONDITION_CACHE_LIMIT:
            _COMPILED_CONDITIONS.clear()
        found = _COMPILED_CONDITIONS[key] = compile_condition(condition, variables)
    return found


class CompiledStatement:
    """A statement whose tests are compiled when a request first reaches it.

    A principal at AWS's quotas has thousands of statements and a request
    touches few of them, so only the action tests and the findings about
    condition values are worked out up front.
    """

    __slots__ = (
        "source",
        "deny",
        "statement",
        "variables",
        "ready",
        "actions",
        "action_negated",
        "resource",
        "principal",
        "principal_negated",
        "conditions",
        "refs",
        "plain",
    )

    def __init__(self, source: tuple[str, int], statement: Statement, variables: bool):
        # the other slots are filled by matches_action and prepare, before any use
        self.source = source
        self.statement = statement
        self.variables = variables
        self.deny = statement.effect is Effect.DENY
        self.actions: tuple | None = None
        self.ready = False
        self.refs: dict[str, StatementRef] | None = None

    def prepare(self) -> None:
        """Compile the resource, principal and condition tests (once)."""
        statement = self.statement
        patterns = statement.resources or statement.not_resources
        test = None if patterns is None else resource_test(patterns, statement.resources is None, self.variables)
        principal = statement.principal or statement.not_principal
        self.resource = test
        self.principal = None if principal is None else principal_test(principal)
        self.principal_negated = statement.not_principal is not None
        self.conditions = compile_conditions(statement.conditions, self.variables) if statement.conditions else ()
        # The one ARN matcher that decides whether this statement applies, when that is all
        # there is to it (no principal, no condition, one Resource pattern without variables):
        # the commonest statement of identity policies, tested without the general steps.
        plain = principal is None and not statement.conditions and test is not None
        if plain and not test.negated and not test.templates and len(test.fixed) == 1:
            self.plain = test.fixed[0]
        else:
            self.plain = None
        self.ready = True

    def ref_for(self, layer: str) -> StatementRef:
        """This statement's reference under a layer name (kept, as sets are reused)."""
        refs = self.refs
        if refs is None:
            refs = self.refs = {}
        else:
            ref = refs.get(layer)
            if ref is not None:
                return ref
        label, policy_index = self.source
        statement = self.statement
        effect = "Deny" if self.deny else "Allow"  # statement.effect.value, without the Enum's property
        ref = StatementRef(
            layer, label, policy_index, statement.index, statement.sid, effect, bool(statement.conditions)
        )
        refs[layer] = ref
        return ref

    def matches_action(self, action: str) -> bool:
        """`action` lowercased; NotAction matches when no entry does."""
        tests = self.actions
        if tests is None:
            self.action_negated = self.statement.actions is None
            tests = self.actions = action_tests(self.statement.actions or self.statement.not_actions)
        for test in tests:
            if test(action):
                return not self.action_negated
        return self.action_negated

    def naming(self, caller: Caller, bounded: bool = False) -> Naming | None:
        """How the statement's Principal names the caller; None if it does not.

        A Deny with NotPrincipal always applies to a caller with a
        permission boundary, whatever it lists (AWS documents this).
        """
        if self.principal is None:
            return Naming.DIRECT
        if self.principal_negated:
            if not self.deny:
                return None if self.principal.leaves_out(caller) else Naming.DIRECT
            if bounded:
                return Naming.DIRECT
            return None if self.principal.exempts(caller) else Naming.DIRECT
        return self.principal.naming(caller)


def _has_wildcard(names: tuple[str, ...]) -> bool:
    return any("*" in name or "?" in name for name in names)


@functools.lru_cache(maxsize=8192)
def _service(pattern: str) -> str | None:
    """The service an action pattern is confined to, if its service has no wildcard."""
    service, colon, _ = pattern.partition(":")
    if not colon or "*" in service or "?" in service:
        return None
    return service.lower()


class PolicySet:
    """Compiled statements of one layer's documents, reusable across requests.

    Statements are indexed by exact action name and by service, so a
    request only looks at statements that can match its action.

    The invariant: what a set decides never changes after `__init__`. The
    documents, the statements, their order, the index and the findings are
    fixed there. Four things are filled in lazily, each a pure function of
    that fixed part, so filling them changes speed and never an answer: a
    statement's action tests (`matches_action`), its resource, principal and
    condition tests (`prepare`, when a request first reaches it), its
    StatementRef per layer name (`ref_for`), and the candidates per action
    (`candidates`, a bounded memo emptied when full). The tests themselves
    may be shared with other statements and sets (`action_tests`,
    `resource_test` and their neighbours): they are read-only once built.

    Sharing one set between threads is safe without a lock: two threads may
    both compute the same lazy value, and each then stores an equal one with
    a single assignment (`ready` is set only after the tests it guards, and
    an emptied memo is only recomputed), so a reader sees either nothing
    yet or a finished value. The report helpers that read a set without a
    request live in `reach`.
    """

    def __init__(self, policies: Sequence[tuple[str, Policy]]):
        self.policies = tuple(policies)
        self.statements: list[CompiledStatement] = []
        with_conditions = False
        for policy_index, (label, policy) in enumerate(self.policies):
            variables = policy.version == VERSION_2012  # policy.has_variables, without the property's call
            source = (label, policy_index)
            for statement in policy.statements:
                self.statements.append(CompiledStatement(source, statement, variables))
                with_conditions = with_conditions or bool(statement.conditions)
        # only condition values can be unfit: a set without conditions has no findings to look for
        self.findings: tuple[Finding, ...] = tuple(value_findings(self.policies)) if with_conditions else ()
        self._by_name: dict[str, list[CompiledStatement]] = {}
        self._by_service: dict[str, list[CompiledStatement]] = {}
        self._scanned: list[CompiledStatement] = []
        if len(self.statements) > _SCAN_ALL_BELOW:
            self._index()
        else:
            self._scanned = self.statements
        self._candidates: dict[str, tuple[CompiledStatement, ...]] = {}
        self._plain: dict[str, tuple[CompiledStatement, ...] | None] = {}
        # authorize's memo for plain candidates: (action, resource) -> the decision's parts
        # that do not depend on the request (see remember_plain)
        self.plain_decisions: dict[tuple[str, str], tuple] = {}

    def _index(self) -> None:
        self.statements_order = {statement: position for position, statement in enumerate(self.statements)}
        for compiled in self.statements:
            names = compiled.statement.actions
            if names is None:
                self._scanned.append(compiled)
            elif not _has_wildcard(names):
                for name in {name.lower() for name in names}:
                    self._by_name.setdefault(name, []).append(compiled)
            else:
                services = set(map(_service, names))
                if None in services:
                    self._scanned.append(compiled)
                else:
                    for service in services:
                        self._by_service.setdefault(service, []).append(compiled)

    def candidates(self, action: str) -> tuple[CompiledStatement, ...]:
        """Statements whose Action or NotAction matches `action` (lowercased)."""
        found = self._candidates.get(action)
        if found is None:
            found = self._find(action)
            if len(self._candidates) >= _CANDIDATE_CACHE_LIMIT:
                self._candidates.clear()
            self._candidates[action] = found
        return found

    def plain_candidates(self, action: str) -> tuple[CompiledStatement, ...] | None:
        """The candidates for `action` (lowercased) when each is plain (its one Resource test is
        all there is to it), else None: then neither the caller nor the context can change which
        of them apply, only the resource (authorize's shortest path)."""
        found = self._plain.get(action, self)
        if found is self:
            candidates = self.candidates(action)
            found = candidates if all(statement.plain is not None for statement in candidates) else None
            if len(self._plain) >= _CANDIDATE_CACHE_LIMIT:
                self._plain.clear()
            self._plain[action] = found
        return found

    def remember_plain(self, action: str, resource: str, parts: tuple) -> None:
        """Keep what plain candidates decided for (action, resource): with plain statements
        nothing else can change it (authorize's shortest path)."""
        if len(self.plain_decisions) >= _PLAIN_DECISIONS_LIMIT:
            self.plain_decisions.clear()
        self.plain_decisions[action, resource] = parts

    def _find(self, action: str) -> tuple[CompiledStatement, ...]:
        if self._scanned is self.statements:  # a small set, not indexed: already in document order
            found = []
            for statement in self.statements:
                if statement.matches_action(action):
                    if not statement.ready:
                        statement.prepare()
                    found.append(statement)
            return tuple(found)
        found = list(self._by_name.get(action, ()))
        service = action.partition(":")[0]
        for group in (self._by_service.get(service, ()), self._scanned):
            found += [statement for statement in group if statement.matches_action(action)]
        # each statement sits in one bucket only; document order keeps traces stable
        if self._by_name or self._by_service:
            found.sort(key=self.statements_order.__getitem__)
        for statement in found:
            if not statement.ready:
                statement.prepare()
        return tuple(found)

    def __len__(self) -> int:
        return len(self.statements)


def value_findings(policies: Sequence[tuple[str, Policy]]) -> list[Finding]:
    """ERROR findings for condition values unfit for their operator."""
    findings = []
    for _, policy in policies:
        for statement in policy.statements:
            for condition in statement.conditions:
                operator = condition.operator
                if operator.family not in PARSERS:
                    continue  # strings and ARNs: any text is fit
                for text in condition.values:
                    problem = value_problem(operator.family, text)
                    if problem:
                        message = f"{operator.name}: {problem}"
                        findings.append(Finding(Level.ERROR, "BAD_CONDITION_VALUE", message, condition.path))
    return findings


def _as_source(item: object, index: int) -> tuple[str, object]:
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
        return item
    return f"policy[{index}]", item


def compile_policies(
    sources: Iterable[tuple[str, Policy | Source] | Policy | Source],
    *,
    kind: PolicyKind | str = PolicyKind.IDENTITY,
) -> PolicySet:
    """Compile documents (each `(label, document)` or a bare document) into a set.

    Documents that are text or dicts are parsed as `kind`; a `PolicyError`
    propagates for one that does not parse.
    """
    policies = []
    for index, item in enumerate(sources):
        label, document = _as_source(item, index)
        if not isinstance(document, Policy):
            document = parse_policy(document, kind=kind)
        policies.append((label, document))
    return PolicySet(policies)
