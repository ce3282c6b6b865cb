"""One row by equality, read with plain SQL for the decision path.

Building an ORM query costs several times what running it costs: on a warm
decision the two look-ups (the caller's key, the principal) were most of the
request. These helpers write the same SELECT once per model and connection,
then only execute it, and still convert every column exactly as the ORM does
(the backend's converters and the field's own `from_db_value`), so the
instances they return are ordinary model instances.
"""

from functools import lru_cache
from typing import NamedTuple

from django.db import connections, router


def one(model, *, related: tuple[str, ...] = (), **equals):
    """The first `model` row whose fields equal `equals`, or None. Each foreign key
    named in `related` is followed in the same query and cached on the instance (None
    for an empty nullable one), as `select_related` does."""
    return one_with(model, "", related=related, **equals)[0]


def one_with(model, scalar: str, *, related: tuple[str, ...] = (), **equals) -> tuple:
    """`one(...)` and the value of the scalar SQL expression `scalar` read in the same
    statement (None without a row), saving a round trip on the decision path."""
    connection = connections[router.db_for_read(model)]
    statement = _statement(model, related, tuple(equals), connection, scalar)
    params = [field.get_db_prep_value(equals[field.name], connection) for field in statement.filters]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        row = cursor.fetchone()
    if row is None:
        return None, None
    values = iter(row)
    instance = _instance(model, statement.columns[0], values, connection)
    for name, columns in zip(related, statement.columns[1:], strict=True):
        link = model._meta.get_field(name)
        # As select_related caches it: the descriptor's checks are for assignments, not reads.
        related_instance = _instance(link.related_model, columns, values, connection)
        link.set_cached_value(instance, related_instance if related_instance.pk is not None else None)
    return instance, (row[-1] if scalar else None)


class _Statement(NamedTuple):
    sql: str
    filters: list  # the fields compared, in the order of the parameters
    columns: list["_Columns"]  # the model's, then each related model's


@lru_cache(maxsize=64)
def _statement(model, related, names, connection, scalar: str = "") -> _Statement:
    quote = connection.ops.quote_name
    selected = [f"t.{quote(field.column)}" for field in model._meta.concrete_fields]
    source = f"{quote(model._meta.db_table)} t"
    columns = [_columns(model._meta.concrete_fields, "t", connection)]
    for index, name in enumerate(related):
        link, alias = model._meta.get_field(name), f"r{index}"
        target = link.related_model._meta
        selected += [f"{alias}.{quote(field.column)}" for field in target.concrete_fields]
        join = "LEFT OUTER JOIN" if link.null else "INNER JOIN"
        source += (
            f" {join} {quote(target.db_table)} {alias} ON {alias}.{quote(target.pk.column)} = t.{quote(link.column)}"
        )
        columns.append(_columns(target.concrete_fields, alias, connection))
    filters = [model._meta.get_field(name) for name in names]
    where = " AND ".join(f"t.{quote(field.column)} = %s" for field in filters) or "1 = 1"
    if scalar:
        selected.append(f"({scalar})")
    sql = f"SELECT {', '.join(selected)} FROM {source} WHERE {where} LIMIT 1"  # noqa: S608 - names from the models
    return _Statement(sql, filters, columns)


class _Columns(NamedTuple):
    """One model's concrete fields in a row: how to convert each, and their attnames."""

    converters: list[tuple]  # (column, the backend's and the field's converter functions)
    attnames: list[str]


def _columns(fields, alias: str, connection) -> _Columns:
    converters = []
    for field in fields:
        column = field.get_col(alias)
        converters.append((column, connection.ops.get_db_converters(column) + field.get_db_converters(connection)))
    return _Columns(converters, [field.attname for field in fields])


def _instance(model, columns: _Columns, values, connection):
    """The next values of the row iterator, one per column, converted, as an instance."""
    converted = []
    for (column, functions), value in zip(columns.converters, values, strict=False):
        for function in functions:
            value = function(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, columns.attnames, converted)
