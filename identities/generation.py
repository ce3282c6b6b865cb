"""The permissions generation: one value that every change able to alter a decision renews.

Compiled policy sets and principals are cached under it (policies.authorization),
so freshness must not depend on each service remembering to renew it. The
database does it: triggers on every table a decision is built from set the
generation to a new random value, in the same statement and so in the same
transaction, whenever a row that matters is inserted, deleted or changed in a
column that matters. A write that cannot alter a decision (a sign-in's time, a
description, a password, an access key) fires none of them.

A random value rather than value + 1: a change that rolls back takes its new
value with it, and a counter would then hand the next change a number under
which layers of the rolled-back state may already be cached.

Apps declare what they watch with `watch()` in their AppConfig.ready; the
triggers are (re)installed after every `migrate`, because SQLite drops a
table's triggers whenever a migration rebuilds the table.
"""

from dataclasses import dataclass

from django.db import connections, router
from django.db.models.signals import post_migrate

from identities.context import current_context
from identities.models import PermissionsGeneration

TABLE = PermissionsGeneration._meta.db_table
# 2**62 - 1: generations stay positive in a signed 64-bit column.
_MASK = 4611686018427387903


@dataclass(frozen=True)
class Watch:
    """A table whose rows decisions are built from.

    `columns`: an UPDATE renews the generation only when one of them changed
    (every column when empty). `when_row`: a condition on the inserted or
    deleted row (SQL over the row's columns, as `{row}.column`), for tables
    where only some rows matter (default policy versions)."""

    table: str
    columns: tuple[str, ...] = ()
    when_row: str = ""
    on_insert: bool = True
    on_delete: bool = True

    def row_events(self) -> list[tuple[str, str]]:
        """(event, the row it sees) of the inserts and deletes that matter."""
        events = [("INSERT", "NEW")] if self.on_insert else []
        return events + ([("DELETE", "OLD")] if self.on_delete else [])


_WATCHED: dict[str, Watch] = {}


def watch(
    table: str, *, columns: tuple[str, ...] = (), when_row: str = "", on_insert: bool = True, on_delete: bool = True
) -> None:
    _WATCHED[table] = Watch(table, columns, when_row, on_insert, on_delete)


def watched() -> tuple[Watch, ...]:
    return tuple(_WATCHED.values())


def current() -> int:
    """The generation, read from the primary once per request and again whenever
    the request wrote anything (identities.middleware) or entered or left a
    transaction since, and on every call outside a request. A value that moved
    empties the request's decisions too. Plain SQL: building the ORM query would
    cost more than running it on this hot path."""
    context = current_context()
    connection = connections[router.db_for_write(PermissionsGeneration)]
    memo = context.generation if context is not None else None
    if memo and memo[1] == connection.in_atomic_block:
        return memo[0]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {TABLE} WHERE id = 1")  # noqa: S608 - a constant table name
        row = cursor.fetchone()
    value = row[0] if row else 0
    if memo is not None:
        if memo and memo[0] != value:
            context.decisions.clear()
        memo[:] = [value, connection.in_atomic_block]
    return value


def lock(using: str = "default") -> int:
    """Take the permissions generation's row lock for the rest of the transaction and return its value"""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT value FROM {TABLE} WHERE id = 1 FOR UPDATE")  # noqa: S608 - a constant table name
        else:
            # SQLite locks the whole database for a write, and this write changes nothing.
            cursor.execute(f"UPDATE {TABLE} SET value = value WHERE id = 1")  # noqa: S608 - a constant table name
            cursor.execute(f"SELECT value FROM {TABLE} WHERE id = 1")  # noqa: S608 - a constant table name
        row = cursor.fetchone()
    return row[0] if row else 0


# The generation as a scalar subquery, for reading it beside another row (identities.rows.one_with).
SELECT = f"SELECT value FROM {TABLE} WHERE id = 1"  # noqa: S608 - a constant table name


def reads_beside(model) -> bool:
    """Whether `model`'s rows are read where the generation is (the primary)."""
    return router.db_for_read(model) == router.db_for_write(PermissionsGeneration)


def remember(value: int | None) -> None:
    """Take `value`, just read from the primary, as this request's generation (see current)."""
    context = current_context()
    if context is None or value is None:
        return
    connection = connections[router.db_for_write(PermissionsGeneration)]
    if context.decisions and context.generation and context.generation[0] != value:
        context.decisions.clear()
    context.generation[:] = [value, connection.in_atomic_block]


# Statements that change nothing: reads, and taking or releasing a savepoint.
_UNCHANGING = ("SELECT", "SAVEPOINT", "RELEASE")


def _forget_on_write(execute, sql, params, many, context):
    if not sql.lstrip()[:9].upper().startswith(_UNCHANGING):
        current = current_context()
        if current is not None:
            current.forget_decisions()
    return execute(sql, params, many, context)


def forgetting_on_write(using: str = "default"):
    """While this is open, any write (or rollback to a savepoint) through the connection
    empties the current request's decisions and generation: the request middleware
    keeps it open for the whole request."""
    return connections[using].execute_wrapper(_forget_on_write)


# Installing the triggers


def _sqlite_statements(item: Watch) -> list[str]:
    renew = f"INSERT OR REPLACE INTO {TABLE} (id, value) VALUES (1, (random() & {_MASK}) + 1);"  # noqa: S608
    name = f"{item.table}_generation"
    statements = []
    for event, row in item.row_events():
        when = f" WHEN {item.when_row.format(row=row)}" if item.when_row else ""
        statements.append(
            f"CREATE TRIGGER {name}_{event.lower()} AFTER {event} ON {item.table}{when} BEGIN {renew} END"
        )
    changed = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in item.columns)
    if item.when_row and changed:
        changed = f"({changed}) AND ({item.when_row.format(row='OLD')} OR {item.when_row.format(row='NEW')})"
    when = f" WHEN {changed}" if changed else ""
    statements.append(f"CREATE TRIGGER {name}_update AFTER UPDATE ON {item.table}{when} BEGIN {renew} END")
    return statements


def _sqlite_drops(item: Watch) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {item.table}_generation_{event}" for event in ("insert", "delete", "update")]


def _postgresql_statements(item: Watch) -> list[str]:
    """Statement-level triggers over transition tables: one renewal per statement,
    however many rows a bulk insert or a cascade touches, and none for no rows."""
    statements = []
    for event, side in item.row_events():
        condition = item.when_row.format(row="r") if item.when_row else "TRUE"
        statements.append(
            _postgresql_trigger(
                item,
                event,
                f"REFERENCING {side} TABLE AS touched",
                f"""
            IF EXISTS (SELECT 1 FROM touched r WHERE {condition}) THEN PERFORM {TABLE}_renew_now(); END IF;
        """,
            )
        )
    changed = " OR ".join(f"o.{column} IS DISTINCT FROM n.{column}" for column in item.columns) or "TRUE"
    if item.when_row:
        changed = f"({changed}) AND ({item.when_row.format(row='o')} OR {item.when_row.format(row='n')})"
    statements.append(
        _postgresql_trigger(
            item,
            "UPDATE",
            "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
            f"""
        IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON o.id = n.id WHERE {changed})
        THEN PERFORM {TABLE}_renew_now(); END IF;
    """,
        )
    )
    return statements


def _postgresql_trigger(item: Watch, event: str, referencing: str, body: str) -> str:
    name = f"{item.table}_generation_{event.lower()}"
    return f"""
    CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {body} RETURN NULL; END;
    $$;
    DROP TRIGGER IF EXISTS {name} ON {item.table};
    CREATE TRIGGER {name} AFTER {event} ON {item.table} {referencing}
    FOR EACH STATEMENT EXECUTE FUNCTION {name}();
    """


_POSTGRESQL_RENEW_NOW = f"""
CREATE OR REPLACE FUNCTION {TABLE}_renew_now() RETURNS void LANGUAGE sql AS $$
    INSERT INTO {TABLE} (id, value) VALUES (1, floor(random() * {_MASK})::bigint + 1)
    ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value;
$$
"""


def install(using: str = "default") -> None:
    """Create (or replace) the renewal triggers of every watched table."""
    connection = connections[using]
    with connection.schema_editor() as editor:
        for item in watched():
            if connection.vendor == "sqlite":
                for statement in [*_sqlite_drops(item), *_sqlite_statements(item)]:
                    editor.execute(statement, params=None)
            elif connection.vendor == "postgresql":
                editor.execute(_POSTGRESQL_RENEW_NOW, params=None)
                for event in ("insert", "delete", "update"):
                    editor.execute(f"DROP TRIGGER IF EXISTS {item.table}_generation_{event} ON {item.table}")
                for statement in _postgresql_statements(item):
                    editor.execute(statement, params=None)
            else:
                raise RuntimeError(
                    "The permissions generation's triggers are written for SQLite and PostgreSQL, "
                    f"not {connection.vendor}."
                )


def _install_after_migrate(sender, using="default", **kwargs) -> None:
    install(using)


def connect(app_config) -> None:
    post_migrate.connect(_install_after_migrate, sender=app_config, dispatch_uid="identities.generation.install")
