"""Drive POST /api/v1/authorize through a real gunicorn on loopback and print figures.

Bounded in requests and seconds; the server is started for the run and
stopped after it. It uses the configured database and adds a benchmark
caller (user `bench-caller` with one access key) and principals
(`bench-principal-N`) if they are missing.
"""

import json

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from benchmarks.loadgen import Server, drive, free_port
from identities import services as identity_services
from identities.credentials import AccessKey
from identities.models import User
from policies import services

ACCOUNT_ACTIONS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "iam:SimulatePrincipalPolicy", "Resource": "*"}],
}
PRINCIPAL_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": ["storage:Get*", "storage:List*"], "Resource": "*"},
        {
            "Sid": "Office",
            "Effect": "Allow",
            "Action": "storage:PutObject",
            "Resource": "arn:aws:storage:::dev-*/*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        },
        {"Sid": "Keep", "Effect": "Deny", "Action": "storage:Delete*", "Resource": "arn:aws:storage:::production-*"},
    ],
}


class Command(BaseCommand):
    help = "Benchmark the decision API through gunicorn on 127.0.0.1 (bounded in requests and time)."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=3000)
        parser.add_argument("--seconds", type=float, default=30.0)
        parser.add_argument("--clients", type=int, default=1)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--principals", type=int, default=200, help="distinct principals for the cold run")

    def handle(self, *args, **options):
        authorization, principals = self._fixtures(options["principals"])
        headers = {"Authorization": authorization, "Content-Type": "application/json"}
        warm_body = self._body(principals[0])
        cold = [("POST", "/api/v1/authorize", self._body(arn), headers) for arn in principals]
        with Server(free_port(), workers=options["workers"]) as server:
            cold_figures = drive(server.port, cold, clients=1, total=len(cold), seconds=options["seconds"])
            drive(server.port, [("POST", "/api/v1/authorize", warm_body, headers)], clients=1, total=50, seconds=10)
            warm = drive(
                server.port,
                [("POST", "/api/v1/authorize", warm_body, headers)],
                clients=options["clients"],
                total=options["requests"],
                seconds=options["seconds"],
            )
        self.stdout.write(cold_figures.line(f"cold (first decision of {len(cold)} principals)"))
        self.stdout.write(warm.line(f"warm single decision, {options['clients']} client(s)"))

    @staticmethod
    def _body(principal: str) -> bytes:
        return json.dumps(
            {
                "principal": principal,
                "action": "storage:GetObject",
                "resource": "arn:aws:storage:::dev-app/report.csv",
                "context": {"aws:SourceIp": "10.1.2.3"},
            }
        ).encode()

    @transaction.atomic
    def _fixtures(self, count: int) -> tuple[str, list[str]]:
        caller = User.objects.filter(username="bench-caller").first()
        if caller is None:
            caller = identity_services.create_user(username="bench-caller", actor=None)
            services.put_inline_policy(identity=caller, policy_name="Ask", document=ACCOUNT_ACTIONS, actor=None)
        AccessKey.objects.filter(user=caller).delete()
        key, secret = identity_services.create_access_key(user=caller, actor=None)
        existing = set(User.objects.filter(username__startswith="bench-principal-").values_list("username", flat=True))
        for index in range(count):
            name = f"bench-principal-{index}"
            if name not in existing:
                user = identity_services.create_user(username=name, actor=None)
                services.put_inline_policy(identity=user, policy_name="Work", document=PRINCIPAL_POLICY, actor=None)
        arns = [f"arn:aws:iam::{settings.IAM_ACCOUNT_ID}:user/bench-principal-{index}" for index in range(count)]
        return f"Bearer {key.key_id}:{secret}", arns
