"""Time the console pages of users, groups and roles, and count their queries.

Runs each page through Django's test client signed in as one user, inside the
server process: the time is the server's (no network), the query count comes
from CaptureQueriesContext, so it does not depend on DEBUG. Run it after
seed_demo and seed_scale.
"""

import statistics
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from benchmarks.pages import collect_static_files, identity_pages, signed_in_client
from identities.models import Group, User


class Command(BaseCommand):
    help = "Print server time and query count for each console page of users, groups and roles."

    def add_arguments(self, parser):
        parser.add_argument("--as", dest="username", default="iam-admin", help="Who signs in (default iam-admin).")
        parser.add_argument("--repeat", type=int, default=5, help="Runs per page; the median is shown.")

    def handle(self, *args, username: str, repeat: int, **options):
        actor = User.objects.filter(username=username).first()
        if actor is None:
            raise CommandError(f"No user {username!r}: run seed_demo first, or pass --as.")
        collect_static_files()
        client = signed_in_client(actor)
        self.stdout.write(
            f"{User.objects.count():,} users, {Group.objects.count():,} groups, signed in as {username}\n"
            f"{'page':<32} {'status':>6} {'median ms':>10} {'max ms':>8} {'queries':>8}"
        )
        for name, url in identity_pages():
            self.bench(client, name, url, max(1, repeat))

    def bench(self, client: Client, name: str, url: str, repeat: int) -> None:
        client.get(url, secure=not settings.DEBUG)  # warm the per-process policy cache
        times, queries, status = [], 0, 0
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url, secure=not settings.DEBUG)
                times.append((time.perf_counter() - started) * 1000)
            queries, status = len(captured), response.status_code
        self.stdout.write(f"{name:<32} {status:>6} {statistics.median(times):>10.1f} {max(times):>8.1f} {queries:>8}")
