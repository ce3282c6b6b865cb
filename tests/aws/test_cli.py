"""The AWS CLI (the awscli package) as a subprocess against /aws/ on the live server."""

import json
import subprocess
import sys

from identities.audit import AuditEvent
from identities.models import User


def aws(live_server, tmp_path, key, *arguments):
    environment = {
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "AWS_ACCESS_KEY_ID": key[0],
        "AWS_SECRET_ACCESS_KEY": key[1],
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_MAX_ATTEMPTS": "1",
    }
    command = [sys.executable, "-m", "awscli", "--endpoint-url", f"{live_server.url}/aws/", "--output", "json"]
    return subprocess.run([*command, *arguments], env=environment, capture_output=True, text=True, timeout=60)


def test_the_cli_creates_a_user_and_its_key_signs_get_caller_identity(live_server, org, admin_key, tmp_path):
    made = aws(live_server, tmp_path, admin_key, "iam", "create-user", "--user-name", "nina")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["User"]["Arn"] == "arn:aws:iam::123456789012:user/nina"
    event = AuditEvent.objects.get(event_name="CreateUser", target_arn="arn:aws:iam::123456789012:user/nina")
    assert event.actor_arn == "arn:aws:iam::123456789012:user/iam-admin"
    created = aws(live_server, tmp_path, admin_key, "iam", "create-access-key", "--user-name", "nina")
    key = json.loads(created.stdout)["AccessKey"]
    nina = (key["AccessKeyId"], key["SecretAccessKey"])
    identity = aws(live_server, tmp_path, nina, "sts", "get-caller-identity")
    assert json.loads(identity.stdout)["Arn"] == User.objects.get(username="nina").arn
    refused = aws(live_server, tmp_path, nina, "iam", "create-user", "--user-name", "eve")
    assert refused.returncode != 0
    assert "AccessDenied" in refused.stderr and "iam:CreateUser" in refused.stderr
    assert not User.objects.filter(username="eve").exists()
