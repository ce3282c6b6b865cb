"""Build a large organisation fast, for the scale benchmark: many users, groups and memberships.

bulk_create in batches, one precomputed password hash for every user, progress
lines as it goes. Safe to rerun: rows that exist are skipped, so a second run
with the same numbers adds nothing and a run with bigger numbers adds the rest.
No audit records: this is a data set for measuring, not a change by a person.
"""

import time

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from benchmarks.scale import GROUP_PREFIX, LARGE_GROUP, USER_PREFIX
from identities import services
from identities.models import Group, Membership, User

PASSWORD = "scale-demo-password"
BATCH = 10_000


class Command(BaseCommand):
    help = "Create many users, groups and memberships for the scale benchmark (bench_pages)."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=100_000)
        parser.add_argument("--groups", type=int, default=10_000)
        parser.add_argument("--memberships-per-user", type=int, default=10)
        parser.add_argument(
            "--large-group-members", type=int, default=10_000, help=f"How many users are also in {LARGE_GROUP}."
        )

    def handle(self, *args, users: int, groups: int, memberships_per_user: int, large_group_members: int, **options):
        if not 0 < memberships_per_user <= groups:
            raise CommandError("--memberships-per-user must be between 1 and --groups.")
        started = time.monotonic()
        user_ids = self.create_users(users)
        group_ids = self.create_groups(groups)
        large = Group.objects.filter(group_name=LARGE_GROUP).first() or services.create_group(
            group_name=LARGE_GROUP, description="The scale benchmark's large group.", actor=None
        )
        self.create_memberships(user_ids, group_ids, memberships_per_user, large.pk, large_group_members)
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.0f} s."))

    def progress(self, what: str, done: int, total: int, started: float) -> None:
        self.stdout.write(f"  {what}: {done:,} of {total:,} ({time.monotonic() - started:.0f} s)")

    def create_users(self, count: int) -> list[int]:
        started, password = time.monotonic(), make_password(PASSWORD)
        names = [f"{USER_PREFIX}{index:07d}" for index in range(count)]
        existing = set(User.objects.filter(username__startswith=USER_PREFIX).values_list("username", flat=True))
        missing = [name for name in names if name not in existing]
        self.stdout.write(f"Users: {len(existing):,} exist, creating {len(missing):,}")
        for start in range(0, len(missing), BATCH):
            with transaction.atomic():
                User.objects.bulk_create(
                    User(username=name, password=password) for name in missing[start : start + BATCH]
                )
            self.progress("users", start + len(missing[start : start + BATCH]), len(missing), started)
        by_name = dict(User.objects.filter(username__startswith=USER_PREFIX).values_list("username", "pk"))
        return [by_name[name] for name in names]

    def create_groups(self, count: int) -> list[int]:
        names = [f"{GROUP_PREFIX}{index:05d}" for index in range(count)]
        existing = set(Group.objects.filter(group_name__startswith=GROUP_PREFIX).values_list("group_name", flat=True))
        missing = [name for name in names if name not in existing]
        self.stdout.write(f"Groups: {len(existing):,} exist, creating {len(missing):,}")
        with transaction.atomic():
            Group.objects.bulk_create((Group(group_name=name) for name in missing), batch_size=BATCH)
        by_name = dict(Group.objects.filter(group_name__startswith=GROUP_PREFIX).values_list("group_name", "pk"))
        return [by_name[name] for name in names]

    def create_memberships(self, user_ids, group_ids, per_user: int, large_id: int, large_members: int) -> None:
        """User i joins `per_user` distinct groups, spread evenly; the first `large_members`
        users have the large group as one of them, so nobody passes the groups-per-user quota."""
        started, step, total = time.monotonic(), max(1, len(group_ids) // per_user), len(user_ids) * per_user
        self.stdout.write(f"Memberships: up to {total:,} (existing pairs are skipped)")
        rows: list[Membership] = []
        done = 0
        for index, user_id in enumerate(user_ids):
            for slot in range(per_user):
                in_large = slot == 0 and index < large_members
                group_id = large_id if in_large else group_ids[(index + slot * step) % len(group_ids)]
                rows.append(Membership(user_id=user_id, group_id=group_id))
            if len(rows) >= BATCH * 5 or index == len(user_ids) - 1:
                with transaction.atomic():
                    Membership.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
                done += len(rows)
                rows = []
                self.progress("memberships", done, total, started)
