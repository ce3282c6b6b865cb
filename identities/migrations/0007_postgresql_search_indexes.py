"""Indexes that only PostgreSQL can build, found by `explain_queries` on the scale data.

- Trigram indexes answer the lists' substring searches (`icontains`, which Django
  writes as UPPER(column) LIKE UPPER('%…%')) without reading every user or group.
  They need the pg_trgm extension, which is trusted: the database's owner may
  create it. Where it cannot be created the migration says so and goes on
  without them: searches stay correct, only slower.
- Sorting users by last sign-in puts those who never signed in first
  (ascending) or last (descending), with the name as tie-break; an index for each
  direction lets a page stop after its rows instead of sorting every user.
  SQLite cannot write NULLS FIRST in an index.

They live outside the models' Meta.indexes on purpose: Django would otherwise
try to build them on SQLite whenever it rebuilds a table.
"""

from django.db import DatabaseError, migrations, transaction

TRIGRAM_INDEXES = [
    ("user_name_trigram", "identities_user", "UPPER((username)::text)"),
    ("user_tags_trigram", "identities_user", "UPPER((tags)::text)"),
    ("group_name_trigram", "identities_group", "UPPER((group_name)::text)"),
]
SORT_INDEXES = [
    ("user_sign_in_ascending", "identities_user", "last_login ASC NULLS FIRST, username"),
    ("user_sign_in_descending", "identities_user", "last_login DESC NULLS LAST, username"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, columns in SORT_INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})")
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as error:
        print(f"\n  pg_trgm could not be created ({error}); list searches will read whole tables.")
        return
    for name, table, expression in TRIGRAM_INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression} gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in TRIGRAM_INDEXES + SORT_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("identities", "0006_console_list_indexes")]

    operations = [migrations.RunPython(create, drop)]
