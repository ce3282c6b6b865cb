"""What the access expectations page costs, on the configured database (seed_demo for the
expectations, then seed_scale for the size): the page as it is (the stored state), a check
of every expectation live (what the page did on each visit before, and what "Check now"
does), and a floor, the console's home page, measured in the same run. Figures are printed
as medians and as ratios to the floor; nothing is asserted about time."""

import statistics
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from benchmarks.pages import collect_static_files, signed_in_client
from identities.models import Role, User
from policies import authorization, expectations
from policies.models import AccessExpectation


class Command(BaseCommand):
    help = "Print the expectations page's time and queries beside a live check of them all and a floor page."

    def add_arguments(self, parser):
        parser.add_argument("--as", dest="username", default="iam-admin", help="who signs in (default iam-admin)")
        parser.add_argument("--repeat", type=int, default=3, help="rounds of each measure (medians are printed)")

    def handle(self, *args, username: str, repeat: int, **options):
        rows = list(AccessExpectation.objects.all())
        actor = User.objects.filter(username=username).first()
        if not rows or actor is None:
            raise CommandError(f"Needs stored access expectations and the user {username}: run seed_demo first.")
        collect_static_files()
        client, rounds = signed_in_client(actor), max(repeat, 1)
        self.stdout.write(f"{len(rows)} expectations, {User.objects.count():,} users, {Role.objects.count():,} roles")
        floor, floor_queries = self._page(client, reverse("home"), rounds)
        page, page_queries = self._page(client, reverse("policies:expectation-list"), rounds)
        live, live_queries = self._live(rows, rounds)
        self.stdout.write(f"floor (the home page): {_ms(floor)} median, {floor_queries} queries")
        self.stdout.write(
            f"the expectations page (stored state): {_ms(page)} median, {page_queries} queries, "
            f"{_ratio(page / floor)} the floor"
        )
        self.stdout.write(
            f"checking them all live (the page before; Check now): {_ms(live)} median, {live_queries} queries, "
            f"{_ratio(live / floor)} the floor, {_ratio(live / page)} the page"
        )

    @staticmethod
    def _page(client, url: str, rounds: int) -> tuple[float, int]:
        secure = not settings.DEBUG
        client.get(url, secure=secure)  # warm: the viewer's compiled policies
        times, queries = [], 0
        for _ in range(rounds):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url, secure=secure)
                times.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise CommandError(f"{url} answered {response.status_code}.")
            queries = len(captured)
        return statistics.median(times), queries

    @staticmethod
    def _live(rows, rounds: int) -> tuple[float, int]:
        times, queries = [], 0
        for _ in range(rounds):
            authorization.clear_caches()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                expectations.check_rows(rows)
                times.append(time.perf_counter() - started)
            queries = len(captured)
        return statistics.median(times), queries


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _ratio(value: float) -> str:
    return f"{value:.1f}x" if value >= 1 else f"{value:.3f}x"
