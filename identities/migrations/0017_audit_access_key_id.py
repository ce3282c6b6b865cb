"""Audit events record the access key ID a machine endpoint's caller presented.

On SQLite, adding a NOT NULL column with a default rebuilds the table, which drops the
append-only triggers of 0005: they are created again after it (PostgreSQL keeps them).
"""

from importlib import import_module

from django.db import migrations, models

_APPEND_ONLY = import_module("identities.migrations.0005_audit_append_only")


def _sqlite_triggers(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in _APPEND_ONLY.SQLITE_FORWARD:
        if statement.startswith("CREATE TRIGGER"):
            name = statement.split()[2]
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("identities", "0016_credential_secrets_sealed"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="access_key_id",
            field=models.CharField(
                blank=True, editable=False, help_text="The access key ID the request came with, if any.", max_length=32
            ),
        ),
        migrations.RunPython(_sqlite_triggers, migrations.RunPython.noop),
    ]
