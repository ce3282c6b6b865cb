"""Access requests that ask for the access expectation actions ask for them by their new names
(policies 0013 moved them from `iam` to `iamconsole`; its docstring says how a list of actions
is rewritten so that it matches what it matched before)."""

import importlib

from django.db import migrations

MOVE = importlib.import_module("policies.migrations.0013_access_expectation_actions")


def move(apps, schema_editor):
    request_model = apps.get_model("access", "AccessRequest")
    catalogue = MOVE._catalogue(apps)
    for row in request_model.objects.exclude(actions=[]).only("pk", "actions").iterator():
        actions = row.actions
        if not isinstance(actions, list) or not actions or not all(isinstance(item, str) for item in actions):
            continue
        rewritten = MOVE.rewrite_actions(actions, MOVE.ACCESS_EXPECTATION_MOVES, catalogue)
        if rewritten != actions:
            request_model.objects.filter(pk=row.pk).update(actions=rewritten)


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_access_requests"),
        ("policies", "0013_access_expectation_actions"),
    ]

    operations = [migrations.RunPython(move, migrations.RunPython.noop)]
