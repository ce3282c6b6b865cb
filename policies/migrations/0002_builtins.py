from django.db import migrations


def load(apps, schema_editor):
    from policies.builtins import load_builtins

    load_builtins(apps)


class Migration(migrations.Migration):
    dependencies = [("policies", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
