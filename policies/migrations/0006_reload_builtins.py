from django.db import migrations


def load(apps, schema_editor):
    # A database made before this release gets its new catalogue actions (iam:ListSessions,
    # iam:RevokeSession, iam:GetAssessmentReport, iam:AcknowledgeFinding, ...) and the built-in
    # policies' current documents (SelfService now lets a user see and end its own sessions).
    from policies.builtins import load_builtins

    load_builtins(apps)


class Migration(migrations.Migration):
    dependencies = [("policies", "0005_findings")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
