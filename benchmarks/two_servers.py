"""Two app servers sharing one PostgreSQL and one Redis: what is changed through one
is seen through the other on its very next request.

    DATABASE_URL=postgres://… .venv/bin/python -m benchmarks.two_servers

It starts a private redis-server on a free loopback port (never the
machine's shared one) and two gunicorn instances on two other loopback
ports. Signed in to server A as an administrator, it creates an access key
for a service user; server B accepts the key at once. Through A it then
deactivates the key; B refuses it on the next call. It prints each step
with its timing and exits non-zero on any mismatch.
"""

import argparse
import base64
import http.cookiejar
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from benchmarks.loadgen import Server, free_port

ROOT = Path(__file__).resolve().parent.parent
# The product's own settings: this shows the product scaled out, and needs no benchmark command.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iamconsole.settings")
# Plain HTTP on loopback; both servers share one key so a session signed by one is valid on the other.
os.environ.setdefault("IAM_PLAIN_HTTP", "true")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("SECRET_KEY", "two-servers-demo-" + os.urandom(24).hex())
os.environ.setdefault("IAM_CREDENTIAL_KEYS", "demo:" + base64.urlsafe_b64encode(os.urandom(32)).decode())
ADMIN, PASSWORD, SERVICE_USER = "two-servers-admin", "two-servers-demo-password-1", "two-servers-service"


def main(argv: list[str] | None = None) -> int:
    summary = "Show two app servers on one PostgreSQL (DATABASE_URL) and a private Redis agreeing at once."
    argparse.ArgumentParser(prog="python -m benchmarks.two_servers", description=summary).parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("Set DATABASE_URL to a PostgreSQL database: the two servers must share it.", file=sys.stderr)
        return 2
    if shutil.which("redis-server") is None:
        print("redis-server is needed (apt-get install redis-server).", file=sys.stderr)
        return 2
    redis_port = free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    shared = {"REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"}
    try:
        for command in (["migrate", "--no-input", "-v0"], ["collectstatic", "--no-input", "-v0"]):
            subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, check=True)
        _fixtures()
        with Server(free_port(), environment=shared) as a, Server(free_port(), environment=shared) as b:
            print(f"server A on 127.0.0.1:{a.port}, server B on 127.0.0.1:{b.port}, Redis on 127.0.0.1:{redis_port}")
            return _demonstrate(f"http://127.0.0.1:{a.port}", f"http://127.0.0.1:{b.port}")
    finally:
        redis.terminate()
        redis.wait(timeout=10)


def _fixtures() -> None:
    import django

    django.setup()
    from django.db import transaction

    from identities import services as identity_services
    from identities.credentials import AccessKey
    from identities.models import User
    from policies import services

    admin_policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}
    with transaction.atomic():
        if not User.objects.filter(username=ADMIN).exists():
            admin = identity_services.create_user(username=ADMIN, password=PASSWORD, actor=None)
            services.put_inline_policy(identity=admin, policy_name="Admin", document=admin_policy, actor=None)
        service = User.objects.filter(username=SERVICE_USER).first() or identity_services.create_user(
            username=SERVICE_USER, actor=None
        )
        AccessKey.objects.filter(user=service).delete()


def _console(base: str) -> urllib.request.OpenerDirector:
    """A signed-in browser-like client of one server."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/sign-in/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = {"csrfmiddlewaretoken": token, "username": ADMIN, "password": PASSWORD}
    opener.open(
        urllib.request.Request(
            f"{base}/sign-in/", urllib.parse.urlencode(form).encode(), headers={"Referer": f"{base}/sign-in/"}
        )
    )
    return opener


def _post(opener, base: str, path: str, fields: dict) -> str:
    page = opener.open(f"{base}/users/{SERVICE_USER}/access-keys/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
    request = urllib.request.Request(f"{base}{path}", data, headers={"Referer": f"{base}{path}"})
    return opener.open(request).read().decode()


def _caller_identity(base: str, authorization: str) -> int:
    request = urllib.request.Request(f"{base}/api/v1/caller-identity", headers={"Authorization": authorization})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _demonstrate(a: str, b: str) -> int:
    console_a = _console(a)
    page = _post(console_a, a, f"/users/{SERVICE_USER}/access-keys/", {})
    key_id = re.search(r"id=\"new-key-id\">(AKIA[A-Z2-7]{16})<", page).group(1)
    secret = re.search(r'id="new-secret">([^<]+)<', page).group(1)
    authorization = f"Bearer {key_id}:{secret}"
    started = time.perf_counter()
    created = _caller_identity(b, authorization)
    print(f"key {key_id} created through A; B answers {created} ({(time.perf_counter() - started) * 1000:.1f} ms)")
    _post(console_a, a, f"/users/{SERVICE_USER}/access-keys/{key_id}/status/", {"status": "Inactive"})
    started = time.perf_counter()
    refused = _caller_identity(b, authorization)
    print(f"key deactivated through A; B answers {refused} ({(time.perf_counter() - started) * 1000:.1f} ms)")
    ok = (created, refused) == (200, 401)
    print("the two servers agree: OK" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
