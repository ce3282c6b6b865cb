"""SCIM filters (parsed and checked by scim2-models) as database queries.

Each comparison on an attribute kept in a column or in the provisioning row's JSON becomes a
Q object, so a provider's `userName eq "mia"` is one indexed query however many users there
are. What has no such translation here (value selections such as `emails[type eq "work"]`,
ordering on JSON attributes, substrings of case-exact values, `null`) raises Untranslatable,
and the caller evaluates the filter itself with scim2-models' `match` on every entity of the
kind instead: slower, never wrong.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import and_, or_

from django.db.models import Q
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)


class Untranslatable(Exception):
    """This filter has no database translation here; match it in memory."""


@dataclass(frozen=True)
class Column:
    """Where an attribute is kept: `lookup`, relative to the provisioning row; `kind` is "text"
    (without regard to case), "exact" (case-exact text), "bool" or "date"; `json`: inside the
    row's attributes; `always`: every entity has a value."""

    lookup: str
    kind: str = "text"
    json: bool = False
    always: bool = False


_COMMON = {
    "id": None,  # set per kind
    "externalid": Column("external_id", "exact"),
    "meta.created": Column("created_at", "date", always=True),
    "meta.lastmodified": Column("updated_at", "date", always=True),
}

USER_COLUMNS = _COMMON | {
    "id": Column("user__iam_id", "exact", always=True),
    "username": Column("user__username", always=True),
    "active": Column("user__is_active", "bool", always=True),
    "displayname": Column("attributes__displayName", json=True),
    **{
        f"name.{part.lower()}": Column(f"attributes__name__{part}", json=True)
        for part in ("formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix")
    },
}

GROUP_COLUMNS = _COMMON | {
    "id": Column("group__iam_id", "exact", always=True),
    "displayname": Column("group__group_name", always=True),
}

_CORE = ("urn:ietf:params:scim:schemas:core:2.0:user", "urn:ietf:params:scim:schemas:core:2.0:group")
_TEXT = {
    CompareOperator.eq: "iexact",
    CompareOperator.co: "icontains",
    CompareOperator.sw: "istartswith",
    CompareOperator.ew: "iendswith",
}
_ORDER = {CompareOperator.gt: "gt", CompareOperator.ge: "gte", CompareOperator.lt: "lt", CompareOperator.le: "lte"}


class _ToQuery(FilterVisitor[Q]):
    def __init__(self, columns: dict[str, Column]):
        self.columns = columns

    def column(self, attr_path: AttrPath) -> Column:
        if attr_path.uri is not None and attr_path.uri.lower() not in _CORE:
            raise Untranslatable
        column = self.columns.get(str(AttrPath(attr_path.attr, attr_path.sub_attr)).lower())
        if column is None:
            raise Untranslatable
        return column

    def visit_comparison(self, node: Comparison) -> Q:
        column = self.column(node.attr_path)
        if node.value is None:
            raise Untranslatable
        if node.op is CompareOperator.ne:
            equal = self.visit_comparison(Comparison(node.attr_path, CompareOperator.eq, node.value))
            return ~equal if column.always else ~equal & self.visit_present(Present(node.attr_path))
        return Q(**{f"{column.lookup}__{_lookup(column, node.op)}": _value(column, node.value)})

    def visit_present(self, node: Present) -> Q:
        column = self.column(node.attr_path)
        if column.always or column.kind == "bool":
            return Q()
        if column.json:
            parent, _, key = column.lookup.rpartition("__")
            return Q(**{f"{parent}__has_key": key}) & ~Q(**{column.lookup: ""})
        return ~Q(**{column.lookup: ""})

    def visit_not(self, node: Not) -> Q:
        return ~self.visit(node.expr)

    def visit_logical_expr(self, node: LogicalExpr) -> Q:
        combine = and_ if node.op == LogicalOperator.and_ else or_
        return reduce(combine, (self.visit(term) for term in node.terms))

    def visit_value_path(self, node: ValuePath) -> Q:
        raise Untranslatable


def _lookup(column: Column, op: CompareOperator) -> str:
    if op in _ORDER:
        if column.json or column.kind == "bool":
            raise Untranslatable
        return _ORDER[op]
    if column.kind in ("text",):
        return _TEXT[op]
    if op is CompareOperator.eq:
        return "exact"
    # SQLite's LIKE ignores case: substrings of case-exact values are matched in memory.
    raise Untranslatable


def _value(column: Column, value):
    if column.kind == "date":
        try:
            return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise Untranslatable from None
    if column.kind == "bool":
        return value
    return str(value)


def as_query(ast, columns: dict[str, Column]) -> Q:
    """The filter's parsed tree as a Q object over provisioning rows; Untranslatable if it
    has none here."""
    return _ToQuery(columns).visit(ast)
