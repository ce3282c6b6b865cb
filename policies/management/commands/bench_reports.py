"""Time who-can, what-can and the escalation report on the configured database (build one with seed_scale)."""

import time

from django.core.management.base import BaseCommand
from django.db import connection
from django.test.utils import CaptureQueriesContext

from identities.models import Group, User
from policies import escalation, loading, reports

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
            loading.clear_cache()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                entries = reports.who_can(action, resource)
                elapsed = time.perf_counter() - started
            self.stdout.write(
                f"who can {action} on {resource}: {len(entries)} principals in {elapsed:.2f} s, {len(captured)} queries"
            )
        user = User.objects.filter(is_superuser=False).order_by("pk").first()
        if user is not None:
            loading.clear_cache()
            started = time.perf_counter()
            grants = reports.what_can(loading.layers_for(user))
            self.stdout.write(
                f"what can {user.username} do: {len(grants)} actions in {time.perf_counter() - started:.2f} s"
            )
        loading.clear_cache()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            found = escalation.escalation_paths()
            elapsed = time.perf_counter() - started
        self.stdout.write(
            f"escalation paths: {len(found)} principals with a path in {elapsed:.2f} s, {len(captured)} queries"
        )
