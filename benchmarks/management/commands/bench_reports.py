"""Time who-can, what-can and the escalation report on the configured database (build one with seed_scale)."""

import time

from django.core.management.base import BaseCommand
from django.db import connection
from django.test.utils import CaptureQueriesContext

from identities.models import Group, User
from policies import authorization, escalation, reports

CASES = [
    ("storage:GetObject", "arn:aws:storage:::dev-app/report.csv"),
    ("storage:DeleteBucket", "arn:aws:storage:::production-data"),
    ("iam:AddUserToGroup", "arn:aws:iam::*:group/Developers"),
]


class Command(BaseCommand):
    help = "Print how long who-can, what-can and escalation paths take, and how many queries, on this database."

    def handle(self, *args, **options):
        users, groups = User.objects.count(), Group.objects.count()
        self.stdout.write(f"{users} users, {groups} groups")
        for action, resource in CASES:
            authorization.clear_caches()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                entries = reports.who_can(action, resource)
                elapsed = time.perf_counter() - started
            self.stdout.write(
                f"who can {action} on {resource}: {len(entries)} principals in {elapsed:.2f} s, {len(captured)} queries"
            )
        user = User.objects.filter(is_superuser=False).order_by("pk").first()
        if user is not None:
            authorization.clear_caches()
            started = time.perf_counter()
            grants = reports.what_can(authorization.layers_of(user))
            self.stdout.write(
                f"what can {user.username} do: {len(grants)} actions in {time.perf_counter() - started:.2f} s"
            )
        authorization.clear_caches()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            found = escalation.escalation_paths()
            elapsed = time.perf_counter() - started
        self.stdout.write(
            f"escalation paths: {len(found)} principals with a path in {elapsed:.2f} s, {len(captured)} queries"
        )
