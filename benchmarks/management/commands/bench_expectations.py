"""What checking the access expectations costs each change, on the configured database
(the demo's: `make run` or seed_demo first)."""

import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from identities import rules
from identities import services as identity_services
from identities.models import Group, Role, User
from policies import authorization, expectations
from policies.models import AccessExpectation


class Command(BaseCommand):
    help = "Print the time and queries of checking the stored access expectations, alone and per change."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=20, help="rounds of each measure (medians are printed)")
        parser.add_argument("--group", default="Developers", help="the group a measured change adds a user to")
        parser.add_argument("--user", default="henry", help="the user it adds (the change is rolled back)")

    def handle(self, *args, repeat: int, group: str, user: str, **options):
        rows = list(AccessExpectation.objects.all())
        if not rows:
            raise CommandError("No access expectation is stored: run seed_demo (or load_expectations) first.")
        actor = User.objects.filter(is_superuser=True).first()
        member = User.objects.filter(username=user).first()
        target = Group.objects.filter(group_name=group).first()
        if actor is None or member is None or target is None:
            raise CommandError(f"The measured change needs the root user, the user {user} and the group {group}.")
        rounds = max(repeat, 1)
        self.stdout.write(f"{len(rows)} expectations, {User.objects.count()} users, {Role.objects.count()} roles")
        alone, queries = self._checks(rows, rounds)
        self.stdout.write(f"checking them all: {_ms(alone)} median, {queries} queries")

        def change():
            rules.perform(actor, identity_services.add_members, group=target, users=[member])

        guarded, counted = self._changes(change, rounds, keep=True)
        bare, bare_counted = self._changes(change, rounds, keep=False)
        self.stdout.write(f"a change (add {user} to {group}), checked: {_ms(guarded)} median, {counted} queries")
        self.stdout.write(f"the same change with no expectation stored: {_ms(bare)} median, {bare_counted} queries")
        self.stdout.write(f"the expectations' cost per change: {_ms(guarded - bare)}")

    @staticmethod
    def _checks(rows, rounds: int) -> tuple[float, int]:
        times, queries = [], 0
        for _ in range(rounds):
            authorization.clear_caches()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                expectations.check_rows(rows)
                times.append(time.perf_counter() - started)
            queries = len(captured)
        return statistics.median(times), queries

    @staticmethod
    def _changes(change, rounds: int, *, keep: bool) -> tuple[float, int]:
        """The change's median time, each round in a transaction rolled back (with the
        expectations deleted first in it when `keep` is false)."""
        times, queries = [], 0
        for _ in range(rounds):
            with transaction.atomic():
                if not keep:
                    AccessExpectation.objects.all().delete()
                authorization.clear_caches()
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    change()
                    times.append(time.perf_counter() - started)
                queries = len(captured)
                transaction.set_rollback(True)
        return statistics.median(times), queries


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"
