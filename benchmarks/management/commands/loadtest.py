"""Load and fault runs against real servers started for the run, on loopback only.

    DATABASE_URL=postgres://… python -m benchmarks loadtest [--requests 1500] [--seconds 20]

Starts a private redis-server on its own port (never the machine's shared
one) and gunicorn on another, then prints requests per second, p50/p99
latency and errors for the decision API and the console's busiest pages at
1, 4 and 16 concurrent clients, warm and cold; then runs the same load
while Redis is stopped and restarted, while PostgreSQL drops the app's
connections (pg_terminate_backend), and while a worker is killed. Last it
proves that nothing was lost or wrongly allowed: every assume-role answered
200 has its session row and audit record, and every decision given equals
the engine's decision replayed here on the same data. Every run is bounded
in requests and seconds.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse
import urllib.request

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count

from benchmarks.loadgen import Server, drive, free_port
from identities import services as identity_services
from identities.audit import AuditEvent
from identities.credentials import AccessKey, RoleSession
from identities.models import Group, Role, User
from policies import authorization, services

SERVER_APP_NAME = "iamconsole-loadtest-server"
CALLER, ADMIN, PASSWORD = "loadtest-caller", "loadtest-admin", "loadtest-admin-password-1"
ALLOW_ALL_IAM = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["iam:*", "sts:AssumeRole"], "Resource": "*"}],
}


class Command(BaseCommand):
    help = "Load and fault runs on loopback (PostgreSQL required), bounded in requests and time."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=1500, help="requests per phase at most")
        parser.add_argument("--seconds", type=float, default=20.0, help="seconds per phase at most")
        parser.add_argument("--clients", default="1,4,16")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--principals", type=int, default=300, help="distinct principals for cold runs")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql" or shutil.which("redis-server") is None:
            raise CommandError("Needs DATABASE_URL on PostgreSQL and redis-server installed.")
        call_command("collectstatic", "--no-input", verbosity=0)
        self.options = options
        self.answers: list[tuple[str, bytes, int, bytes]] = []
        authorization, principals, role = self._fixtures(options["principals"])
        with _PrivateRedis() as redis_url:
            # The servers' connections carry their own name, so only they are terminated in the fault run.
            environment = {"REDIS_URL": redis_url, "IAM_PROXY_COUNT": "0", "PGAPPNAME": SERVER_APP_NAME}
            with Server(free_port(), workers=options["workers"], environment=environment) as server:
                self.server, self.redis_url = server, redis_url
                self._load(authorization, principals)
                self._faults(authorization, principals, role)
        self._verify()

    # Fixtures

    @transaction.atomic
    def _fixtures(self, count: int):
        caller = User.objects.filter(username=CALLER).first() or identity_services.create_user(
            username=CALLER, actor=None
        )
        services.put_inline_policy(identity=caller, policy_name="LoadTest", document=ALLOW_ALL_IAM, actor=None)
        AccessKey.objects.filter(user=caller).delete()
        key, secret = identity_services.create_access_key(user=caller, actor=None)
        admin = User.objects.filter(username=ADMIN).first() or identity_services.create_user(
            username=ADMIN, password=PASSWORD, actor=None
        )
        services.put_inline_policy(identity=admin, policy_name="LoadTest", document=ALLOW_ALL_IAM, actor=None)
        role = Role.objects.filter(role_name="LoadTestRole").first() or identity_services.create_role(
            role_name="LoadTestRole", trust_policy=_trusting(caller.arn), actor=None
        )
        users = User.objects.filter(is_superuser=False, is_active=True).order_by("pk")[:count]
        return f"Bearer {key.key_id}:{secret}", [user.arn for user in users], role

    # Load

    def _load(self, authorization: str, principals: list[str]) -> None:
        headers = {"Authorization": authorization, "Content-Type": "application/json"}
        warm = [self._authorize_request(principals[0], headers)]
        cold = [self._authorize_request(arn, headers) for arn in principals]
        cookie = self._sign_in()
        pages = [("GET", path, None, {"Cookie": cookie}) for path in self._busy_pages()]
        for clients in [int(value) for value in self.options["clients"].split(",")]:
            self._flush_caches()
            self._run(f"API cold, {clients} client(s)", cold, clients, total=len(cold))
            self._run(f"API warm, {clients} client(s)", warm, clients)
            self._run(f"console pages, {clients} client(s)", pages, clients)

    def _authorize_request(self, principal: str, headers: dict):
        body = json.dumps(
            {
                "principal": principal,
                "action": "storage:GetObject",
                "resource": "arn:aws:storage:::dev-app/report.csv",
                "context": {"aws:SourceIp": "10.1.2.3"},
            }
        ).encode()
        return ("POST", "/api/v1/authorize", body, headers)

    def _run(self, label: str, requests, clients: int, total: int | None = None):
        def remember(index, status, payload):
            method, path, body, _ = requests[index]
            self.answers.append((path, body or b"", status, payload))

        figures = drive(
            self.server.port,
            requests,
            clients=clients,
            total=total or self.options["requests"],
            seconds=self.options["seconds"],
            on_response=remember,
        )
        self.stdout.write(figures.line(label))
        return figures

    def _busy_pages(self) -> list[str]:
        """The console's busiest pages: the dashboard, the user and group lists, a search,
        and the largest group's page (seed_scale's group of 10,000 members when present)."""
        largest = Group.objects.annotate(member_count=Count("memberships")).order_by("-member_count").first()
        paths = ["/", "/users/", "/groups/", "/users/?q=user-5"]
        return paths + ([f"/groups/{largest.pk}/"] if largest else [])

    def _sign_in(self) -> str:
        base = f"http://127.0.0.1:{self.server.port}"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        page = opener.open(f"{base}/sign-in/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": ADMIN, "password": PASSWORD})
        opener.open(urllib.request.Request(f"{base}/sign-in/", form.encode(), headers={"Referer": f"{base}/"}))
        jar = next(handler.cookiejar for handler in opener.handlers if hasattr(handler, "cookiejar"))
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)

    def _flush_caches(self) -> None:
        subprocess.run(["redis-cli", "-u", self.redis_url, "FLUSHDB"], capture_output=True, check=False)

    # Faults

    def _faults(self, authorization: str, principals: list[str], role: Role) -> None:
        headers = {"Authorization": authorization, "Content-Type": "application/json"}
        mixed = [self._authorize_request(arn, headers) for arn in principals[:50]]
        assume = json.dumps({"RoleArn": role.arn, "RoleSessionName": "loadtest", "DurationSeconds": 900}).encode()
        mixed.append(("POST", "/api/v1/assume-role", assume, headers))
        self._fault("Redis stopped and restarted mid-run", mixed, self._bounce_redis)
        self._fault("PostgreSQL connections terminated mid-run", mixed, self._terminate_backends)
        self._fault("a worker killed mid-run", mixed, self._kill_worker)

    def _fault(self, label: str, requests, action) -> None:
        timer = threading.Timer(min(2.0, self.options["seconds"] / 3), action)
        timer.start()
        self._run(f"fault: {label}, 4 clients", requests, 4)
        timer.join()

    def _bounce_redis(self) -> None:
        subprocess.run(["redis-cli", "-u", self.redis_url, "SHUTDOWN", "NOSAVE"], capture_output=True, check=False)
        time.sleep(1.0)
        _PrivateRedis.start_at(self.redis_url)

    def _terminate_backends(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                [SERVER_APP_NAME],
            )
        connection.close()

    def _kill_worker(self) -> None:
        workers = self.server.worker_pids()
        if workers:
            os.kill(workers[0], signal.SIGKILL)

    # Verification

    def _verify(self) -> None:
        authorization.clear_caches()
        wrong, checked, sessions = 0, 0, 0
        for path, body, status, payload in self.answers:
            if status != 200 or not path.startswith("/api/"):
                continue
            answer = json.loads(payload)
            if path.endswith("/authorize"):
                request = json.loads(body)
                _, layers = authorization.principal_at(request["principal"])
                replay = authorization.decide(
                    layers, request["action"], request["resource"], context=request["context"]
                )
                checked += 1
                wrong += replay.outcome.value != answer["decision"]
            elif path.endswith("/assume-role"):
                sessions += 1
                arn = answer["AssumedRoleUser"]["Arn"]
                key_id = answer["Credentials"]["AccessKeyId"]
                stored = RoleSession.objects.filter(key_id=key_id).exists()
                audited = AuditEvent.objects.filter(event_name="AssumeRole", after__session=arn).exists()
                wrong += not (stored and audited)
        self.stdout.write(
            f"verified: {checked} decisions replayed offline, {sessions} assume-role writes checked "
            f"for their row and audit record: {wrong} mismatch(es)"
        )
        if wrong:
            raise CommandError(f"{wrong} answers disagree with the database or the engine.")


def _trusting(arn: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": arn}, "Action": "sts:AssumeRole"}],
    }


class _PrivateRedis:
    """A redis-server of this run's own, on a free loopback port."""

    def __enter__(self) -> str:
        self.url = f"redis://127.0.0.1:{free_port()}/0"
        _PrivateRedis.start_at(self.url)
        return self.url

    @staticmethod
    def start_at(url: str) -> None:
        port = urllib.parse.urlparse(url).port
        subprocess.run(
            [
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
            ],
            check=True,
            capture_output=True,
        )
        time.sleep(0.3)

    def __exit__(self, *exc) -> None:
        subprocess.run(["redis-cli", "-u", self.url, "SHUTDOWN", "NOSAVE"], capture_output=True, check=False)
