"""Time the best-practice assessment on the configured database (build one with seed_scale)."""

import statistics
import time

from django.core.management.base import BaseCommand
from django.db import connection
from django.test.utils import CaptureQueriesContext

from identities.models import Role, User
from policies import assessment, authorization

TARGET_SECONDS = 2.0


class Command(BaseCommand):
    help = "Print how long the assessment takes, how many queries it reads and what it finds, on this database."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=3, help="rounds to run (the median is printed)")

    def handle(self, *args, repeat: int, **options):
        self.stdout.write(f"{User.objects.count()} users, {Role.objects.count()} roles")
        times, queries, findings = [], 0, []
        for _ in range(max(repeat, 1)):
            authorization.clear_caches()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                findings = assessment.assess()
                times.append(time.perf_counter() - started)
            queries = len(captured)
        median = statistics.median(times)
        counts = ", ".join(f"{number} {severity}" for severity, number in assessment.counts(findings).items())
        self.stdout.write(f"assessment: {len(findings)} findings ({counts}) in {median:.2f} s, {queries} queries")
        rounds = " ".join(f"{seconds:.2f}" for seconds in times)
        self.stdout.write(
            f"rounds: {rounds} s; target {TARGET_SECONDS:.0f} s: {'met' if median < TARGET_SECONDS else 'missed'}"
        )
