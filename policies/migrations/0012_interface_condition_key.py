from django.db import migrations


def load(apps, schema_editor):
    # The catalogue's new condition key iamconsole:Interface (console, api, scim), so that a
    # database made before this release validates policies that name it.
    from policies.builtins import load_builtins

    load_builtins(apps)


class Migration(migrations.Migration):
    dependencies = [("policies", "0011_preview_job_attempts")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
