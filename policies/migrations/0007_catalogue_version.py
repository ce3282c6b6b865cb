from django.db import migrations, models


def renew(apps, schema_editor):
    from policies import catalogue_version

    catalogue_version.renew(apps)


class Migration(migrations.Migration):
    dependencies = [("policies", "0006_reload_builtins")]

    operations = [
        migrations.CreateModel(
            name="CatalogueVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("value", models.CharField(max_length=32)),
            ],
            options={
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("pk", 1)), name="catalogue_version_single_row")
                ],
            },
        ),
        migrations.RunPython(renew, migrations.RunPython.noop),
    ]
