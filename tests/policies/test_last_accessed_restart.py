"""Last-accessed data survives a restart: a real server process records an allowed decision,
writes nothing while it serves, writes it as it exits, and the next process reads it back."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SERVE = """
import django
django.setup()
from identities import services as identity_services
from policies import authorization, lastaccess, services
from policies.models import LastAccessed

user = identity_services.create_user(username="worker", actor=None)
document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "storage:GetObject", "Resource": "*"}]}
services.put_inline_policy(identity=user, policy_name="Read", document=document, actor=None)
layers = authorization.layers_of(user)
resource = "arn:aws:storage:::dev-app/report.csv"
assert authorization.decide(layers, "storage:GetObject", resource).outcome.value == "Allow"
lastaccess.note_decision(layers, "storage:GetObject", resource, credential="AKIAWORKER")
print("written while serving:", LastAccessed.objects.count())
"""

READ = """
import django
django.setup()
from identities.models import User
from policies.models import LastAccessed

row = LastAccessed.objects.get()
print(row.principal_id == User.objects.get(username="worker").iam_id, row.action, row.resource, row.credential)
"""


def _run(code: str, environment: dict) -> str:
    command = [sys.executable, "-c", textwrap.dedent(code)]
    done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_uses_are_written_at_exit_and_read_by_the_next_process(tmp_path):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "iamconsole.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'restart.sqlite3'}",
        "SECRET_KEY": "restart-test-only-0f3a9c1e7b5d2a8c6e4f1b3d5a7c9e0f2b4d6a8c",
        "ALLOWED_HOSTS": "localhost",
        "IAM_LAST_ACCESSED_FLUSH_SECONDS": "3600",
    }
    migrate = [sys.executable, "manage.py", "migrate", "-v", "0"]
    subprocess.run(migrate, cwd=ROOT, env=environment, check=True, timeout=120)
    assert _run(SERVE, environment) == "written while serving: 0\n"
    assert _run(READ, environment) == "True storage:GetObject arn:aws:storage:::dev-app/report.csv AKIAWORKER\n"
