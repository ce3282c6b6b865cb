import django.db.models.functions.text
import django.utils.timezone
from django.db import migrations, models

import policies.models


def load(apps, schema_editor):
    # The catalogue's new actions (iam:PutAccessExpectation, iam:DeleteAccessExpectation,
    # iam:OverrideAccessExpectation, iam:ListAccessExpectations) on a database made before them.
    from policies.builtins import load_builtins

    load_builtins(apps)


class Migration(migrations.Migration):
    dependencies = [("policies", "0007_catalogue_version")]

    operations = [
        migrations.CreateModel(
            name="AccessExpectation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=128, validators=[policies.models.validate_expectation_name])),
                ("description", models.CharField(blank=True, max_length=1000)),
                ("definition", models.JSONField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("updated_by_arn", models.CharField(blank=True, editable=False, max_length=2048)),
                (
                    "held",
                    models.BooleanField(editable=False, help_text="Whether it held at its latest check.", null=True),
                ),
                ("failures", models.JSONField(default=list, editable=False)),
                ("failure_count", models.PositiveIntegerField(default=0, editable=False)),
                ("checked_at", models.DateTimeField(editable=False, null=True)),
                ("checked_generation", models.BigIntegerField(editable=False, null=True)),
                ("last_held_at", models.DateTimeField(editable=False, null=True)),
            ],
            options={
                "ordering": [django.db.models.functions.text.Lower("name")],
                "constraints": [
                    models.UniqueConstraint(
                        django.db.models.functions.text.Lower("name"), name="access_expectation_name_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
