"""Condition operators compiled to small callables.

Each compiled condition takes the request's context (lowercased keys to
tuples of strings) and a set collecting the keys it missed. Values unfit
for their operator never match: for a negated operator that makes the
comparison false too, so a typo can never widen a grant or drop a deny
silently; policy variables without a value follow AWS instead (positive
operators do not match, negated ones do).
"""

from __future__ import annotations

from collections.abc import Callable

from .document import Condition
from .match import compile_arn, compile_glob
from .values import (
    COMPARISONS,
    PARSERS,
    WITH_VARIABLES,
    parse_address,
    parse_binary,
    parse_bool,
    parse_network,
)
from .variables import Context, Template, parse_template, resolve, resolve_text

# A pair test answers True (match), False (no match) or None (unfit value).
PairTest = Callable[[str, Context], "bool | None"]


class CompiledCondition:
    """One condition key under one operator, ready to evaluate."""

    __slots__ = ("key", "key_text", "qualifier", "if_exists", "test", "null", "condition")

    def __init__(self, condition: Condition, test, null: tuple[bool, bool] | None):
        operator = condition.operator
        self.condition = condition
        self.key = condition.key.lower()
        self.key_text = condition.key
        self.qualifier = operator.qualifier
        self.if_exists = operator.if_exists
        self.test = test
        self.null = null

    def __call__(self, context: Context, missing: set[str]) -> bool:
        values = context.get(self.key)
        if not values:
            missing.add(self.key_text)
            if self.null is not None:
                return self.null[0]
            if self.if_exists or self.qualifier == "ForAllValues":
                return True
            if self.qualifier == "ForAnyValue":
                return False
            return self.condition.operator.negated
        if self.null is not None:
            return self.null[1]
        test = self.test
        if self.qualifier is None:
            return len(values) == 1 and test(values[0], context)
        if self.qualifier == "ForAnyValue":
            return any(test(value, context) for value in values)
        return all(test(value, context) for value in values)


def compile_condition(condition: Condition, variables: bool) -> CompiledCondition:
    """A condition ready to evaluate; unfit values are reported by compile's findings."""
    operator = condition.operator
    family = operator.family
    if family == "Null":
        wanted = [parse_bool(text) for text in condition.values]
        return CompiledCondition(condition, None, (True in wanted, False in wanted))
    use_variables = variables and family in WITH_VARIABLES
    pairs = [_pair_test(operator.name, family, text, use_variables) for text in condition.values]
    return CompiledCondition(condition, _combine(pairs, operator.negated, operator.name), None)


def _combine(pairs: list[PairTest], negated: bool, name: str):
    fast = _fast_string_test(pairs, negated, name)
    if fast is not None:
        return fast
    if negated:
        return lambda value, context: all(pair(value, context) is False for pair in pairs)
    return lambda value, context: any(pair(value, context) is True for pair in pairs)


def _fast_string_test(pairs: list[PairTest], negated: bool, name: str):
    """Plain StringEquals-like lists become one set lookup."""
    literals = [getattr(pair, "literal", None) for pair in pairs]
    if None in literals or name not in _SET_NAMES:
        return None
    fold = "IgnoreCase" in name
    wanted = frozenset(text.lower() if fold else text for text in literals)
    if fold:
        return (lambda v, _: v.lower() not in wanted) if negated else (lambda v, _: v.lower() in wanted)
    return (lambda v, _: v not in wanted) if negated else (lambda v, _: v in wanted)


_SET_NAMES = frozenset(["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"])


def _pair_test(name: str, family: str, text: str, variables: bool) -> PairTest:
    template = parse_template(text) if variables else None
    if family == "String":
        return _string_pair(name, text, template)
    if family == "Arn":
        return _arn_pair(text, template)
    if family == "Bool":
        return _bool_pair(text, template)
    if family == "Ip":
        return _ip_pair(parse_network(text))
    if family == "Binary":
        return _binary_pair(parse_binary(text))
    return _ordered_pair(PARSERS[family], PARSERS[family](text), COMPARISONS[_suffix(name)])


def _suffix(name: str) -> str:
    for prefix in ("Numeric", "Date"):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


class _Literal:
    """A string comparison against fixed text (kept for the set fast path)."""

    __slots__ = ("literal", "fold")

    def __init__(self, literal: str, fold: bool):
        self.literal = literal
        self.fold = fold

    def __call__(self, value: str, context: Context) -> bool:
        if self.fold:
            return value.lower() == self.literal.lower()
        return value == self.literal


def _string_pair(name: str, text: str, template: Template | None) -> PairTest:
    like = name in ("StringLike", "StringNotLike")
    fold = "IgnoreCase" in name
    if template is None:
        if like:
            matcher = compile_glob(text)
            return lambda value, context: matcher(value)
        return _Literal(text, fold)

    def test(value: str, context: Context) -> bool:
        if like:
            pieces = resolve(template, context)
            return pieces is not None and compile_glob(pieces)(value)
        wanted = resolve_text(template, context)
        if wanted is None:
            return False
        return value.lower() == wanted.lower() if fold else value == wanted

    return test


def _arn_pair(text: str, template: Template | None) -> PairTest:
    if template is None:
        matcher = compile_arn(text)
        return lambda value, context: matcher(value)

    def test(value: str, context: Context) -> bool:
        pieces = resolve(template, context)
        return pieces is not None and compile_arn(pieces)(value)

    return test


def _bool_pair(text: str, template: Template | None) -> PairTest:
    def test(value: str, context: Context) -> bool | None:
        wanted_text = resolve_text(template, context) if template else text
        if wanted_text is None:
            return False
        wanted, got = parse_bool(wanted_text), parse_bool(value)
        if wanted is None or got is None:
            return None
        return wanted == got

    return test


def _ip_pair(network) -> PairTest:
    def test(value: str, context: Context) -> bool | None:
        address = parse_address(value)
        if network is None or address is None:
            return None
        return address.version == network.version and address in network

    return test


def _binary_pair(wanted: bytes | None) -> PairTest:
    def test(value: str, context: Context) -> bool | None:
        got = parse_binary(value)
        if wanted is None or got is None:
            return None
        return got == wanted

    return test


def _ordered_pair(parser, wanted, compare) -> PairTest:
    def test(value: str, context: Context) -> bool | None:
        got = parser(value)
        if wanted is None or got is None:
            return None
        return compare(got, wanted)

    return test
