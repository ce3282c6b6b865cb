"""The grammar of a policy document as frozen dataclasses.

Values are kept as written (after JSON numbers and booleans became their
text), so that matching and validation both start from the same facts.
"""

from __future__ import annotations

import enum
from dataclasses import MISSING, dataclass, fields

VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"


def quick_init(cls):
    """Give a frozen, slotted dataclass an `__init__` that sets its slots directly.

    The generated `__init__` of a frozen dataclass goes through
    `object.__setattr__` for every field, which made building documents
    the largest cost of a cold compile; writing through each slot's
    descriptor keeps the class frozen, hashable and equal by value, at a
    third of the cost.
    """
    names = [field.name for field in fields(cls)]
    defaults = {field.name: field.default for field in fields(cls) if field.default is not MISSING}
    factories = {field.name: field.default_factory for field in fields(cls) if field.default_factory is not MISSING}
    defaults.update(dict.fromkeys(factories, MISSING))  # a fresh value per call, as dataclasses make it
    parameters = ", ".join(f"{name}=_default_{name}" if name in defaults else name for name in names)
    body = "".join(
        (f"    if {name} is _missing:\n        {name} = _factory_{name}()\n" if name in factories else "")
        + f"    _set_{name}(self, {name})\n"
        for name in names
    )
    namespace = {f"_set_{name}": cls.__dict__[name].__set__ for name in names}
    namespace.update({f"_default_{name}": value for name, value in defaults.items()})
    namespace.update({f"_factory_{name}": factory for name, factory in factories.items()}, _missing=MISSING)
    exec(f"def __init__(self, {parameters}):\n{body}", namespace)  # noqa: S102 - as dataclasses itself does
    cls.__init__ = namespace["__init__"]
    return cls


class PolicyKind(enum.Enum):
    """Where a document is attached; it decides which elements are allowed."""

    IDENTITY = "identity"
    RESOURCE = "resource"
    TRUST = "trust"
    BOUNDARY = "boundary"
    GUARDRAIL = "guardrail"
    SESSION = "session"


class Effect(enum.Enum):
    ALLOW = "Allow"
    DENY = "Deny"


# Operator families and whether each base operator is a negation; the table
# is the single place that says which operators exist.
OPERATORS: dict[str, tuple[str, bool]] = {
    "StringEquals": ("String", False),
    "StringNotEquals": ("String", True),
    "StringEqualsIgnoreCase": ("String", False),
    "StringNotEqualsIgnoreCase": ("String", True),
    "StringLike": ("String", False),
    "StringNotLike": ("String", True),
    "NumericEquals": ("Numeric", False),
    "NumericNotEquals": ("Numeric", True),
    "NumericLessThan": ("Numeric", False),
    "NumericLessThanEquals": ("Numeric", False),
    "NumericGreaterThan": ("Numeric", False),
    "NumericGreaterThanEquals": ("Numeric", False),
    "DateEquals": ("Date", False),
    "DateNotEquals": ("Date", True),
    "DateLessThan": ("Date", False),
    "DateLessThanEquals": ("Date", False),
    "DateGreaterThan": ("Date", False),
    "DateGreaterThanEquals": ("Date", False),
    "Bool": ("Bool", False),
    "BinaryEquals": ("Binary", False),
    "IpAddress": ("Ip", False),
    "NotIpAddress": ("Ip", True),
    "ArnEquals": ("Arn", False),
    "ArnLike": ("Arn", False),
    "ArnNotEquals": ("Arn", True),
    "ArnNotLike": ("Arn", True),
    "Null": ("Null", False),
}

SET_QUALIFIERS = ("ForAllValues", "ForAnyValue")


@quick_init
@dataclass(frozen=True, slots=True)
class Operator:
    """A condition operator split into its qualifier, name and IfExists."""

    text: str
    name: str
    family: str
    negated: bool
    qualifier: str | None = None
    if_exists: bool = False


@quick_init
@dataclass(frozen=True, slots=True)
class Condition:
    """One key under one operator; its values are ORed (NORed if negated)."""

    operator: Operator
    key: str
    values: tuple[str, ...]
    path: str = ""


@quick_init
@dataclass(frozen=True, slots=True)
class Principal:
    """`"*"` (`wildcard`) or (type, value) pairs such as ("AWS", "arn:...")."""

    wildcard: bool
    entries: tuple[tuple[str, str], ...] = ()


@quick_init
@dataclass(frozen=True, slots=True)
class Statement:
    index: int
    effect: Effect
    sid: str | None = None
    principal: Principal | None = None
    not_principal: Principal | None = None
    actions: tuple[str, ...] | None = None
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] | None = None
    not_resources: tuple[str, ...] | None = None
    conditions: tuple[Condition, ...] = ()
    path: str = ""


@quick_init
@dataclass(frozen=True, slots=True)
class Policy:
    kind: PolicyKind
    statements: tuple[Statement, ...]
    version: str | None = None
    id: str | None = None

    @property
    def has_variables(self) -> bool:
        """Only Version 2012-10-17 gives `${...}` a meaning."""
        return self.version == VERSION_2012
