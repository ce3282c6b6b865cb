"""The audit trail becomes append-only in the database itself, and gets its search indexes.

Triggers refuse every UPDATE of identities_auditevent, and every DELETE (and,
on PostgreSQL, TRUNCATE) unless the transaction switched audit maintenance on
(identities.audit.maintenance). The triggers come last: on SQLite the field
changes above rebuild the table, which would drop them. A later migration that
rebuilds this table on SQLite must create them again (the tests would notice).
"""

import django.utils.timezone
from django.db import migrations, models

SQLITE_FORWARD = [
    "CREATE TABLE identities_auditmaintenance ("
    " id INTEGER PRIMARY KEY CHECK (id = 1), enabled INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)))",
    "INSERT INTO identities_auditmaintenance (id, enabled) VALUES (1, 0)",
    "CREATE TRIGGER identities_auditevent_no_update BEFORE UPDATE ON identities_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: UPDATE is refused'); END",
    "CREATE TRIGGER identities_auditevent_no_delete BEFORE DELETE ON identities_auditevent "
    "WHEN NOT EXISTS (SELECT 1 FROM identities_auditmaintenance WHERE id = 1 AND enabled = 1) "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: DELETE is refused'); END",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS identities_auditevent_no_delete",
    "DROP TRIGGER IF EXISTS identities_auditevent_no_update",
    "DROP TABLE IF EXISTS identities_auditmaintenance",
]
POSTGRESQL_FORWARD = [
    """
    CREATE FUNCTION identities_auditevent_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'UPDATE' AND coalesce(current_setting('iamconsole.audit_maintenance', true), '') = 'on' THEN
            IF TG_OP = 'DELETE' THEN
                RETURN OLD;
            END IF;
            RETURN NULL;
        END IF;
        RAISE EXCEPTION 'the audit trail is append-only: % is refused', TG_OP
            USING ERRCODE = 'restrict_violation';
    END;
    $$
    """,
    "CREATE TRIGGER identities_auditevent_no_change BEFORE UPDATE OR DELETE ON identities_auditevent "
    "FOR EACH ROW EXECUTE FUNCTION identities_auditevent_append_only()",
    "CREATE TRIGGER identities_auditevent_no_truncate BEFORE TRUNCATE ON identities_auditevent "
    "FOR EACH STATEMENT EXECUTE FUNCTION identities_auditevent_append_only()",
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS identities_auditevent_no_truncate ON identities_auditevent",
    "DROP TRIGGER IF EXISTS identities_auditevent_no_change ON identities_auditevent",
    "DROP FUNCTION IF EXISTS identities_auditevent_append_only()",
]
STATEMENTS = {
    "sqlite": (SQLITE_FORWARD, SQLITE_REVERSE),
    "postgresql": (POSTGRESQL_FORWARD, POSTGRESQL_REVERSE),
}


def _run(schema_editor, forward: bool) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in STATEMENTS:
        raise RuntimeError(
            f"The audit trail's append-only triggers are written for SQLite and PostgreSQL, not {vendor}."
        )
    for statement in STATEMENTS[vendor][0 if forward else 1]:
        schema_editor.execute(statement, params=None)


def create_triggers(apps, schema_editor) -> None:
    _run(schema_editor, forward=True)


def drop_triggers(apps, schema_editor) -> None:
    _run(schema_editor, forward=False)


class Migration(migrations.Migration):
    dependencies = [
        ("identities", "0004_merge_0003_credentials_0003_signin"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditDecisionCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(editable=False)),
                ("outcome", models.CharField(editable=False, max_length=32)),
                ("count", models.BigIntegerField(default=0, editable=False)),
            ],
            options={
                "ordering": ["-day", "outcome"],
            },
        ),
        migrations.RemoveIndex(
            model_name="auditevent",
            name="audit_actor_time",
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="event_name",
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="occurred_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="target_arn",
            field=models.CharField(blank=True, editable=False, max_length=2048),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["-occurred_at", "-id"], name="audit_time"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["actor_arn", "-occurred_at", "-id"], name="audit_actor_time"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["target_arn", "-occurred_at", "-id"], name="audit_target_time"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["event_name", "-occurred_at", "-id"], name="audit_event_time"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["outcome", "-occurred_at", "-id"], name="audit_outcome_time"),
        ),
        migrations.AddConstraint(
            model_name="auditdecisioncount",
            constraint=models.UniqueConstraint(fields=("day", "outcome"), name="audit_decision_count_unique"),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
