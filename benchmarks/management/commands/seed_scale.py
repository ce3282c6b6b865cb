"""Build a large organisation for the scale benchmarks: many users, groups and memberships.

    python -m benchmarks seed_scale --users 100000 --groups 10000

Groups are created by the product's service, `create_group`, one call each.

Users and memberships are not: `create_user` hashes each password (PBKDF2,
about 0.2 s) and validates each row with queries of its own, hours for
100,000 users; `add_members`, the bulk service, writes the audit record of
each membership with an INSERT of its own: for the 1,000,000 memberships of
the defaults, about 6 minutes on SQLite and 20 on a busy PostgreSQL, where
this whole command took under 3 on either. They are inserted in batches
instead, each batch in one transaction with the rows those services write
beside them:

- a user: a unique ID from the model's own default, the password hash (one,
  computed once, of PASSWORD, which the account's password policy must
  accept), the password's history row, and a CreateUser audit record;
- a membership: its time added, and an AddUserToGroup audit record;

each record with the services' fields and values and no actor (the operator,
as for any command). Names are generated, valid by construction and checked
against the existing ones, without regard to case, in one query; a user joins
at most --memberships-per-user groups, which may not pass the groups-per-user
quota. The permissions generation is renewed by the database's triggers on
these tables, for bulk inserts too (identities/generation.py). On PostgreSQL
the tables are analyzed at the end, as autovacuum would be a while later.

Safe to rerun, and to stop: users, groups and memberships that exist are
skipped, and a user already in --memberships-per-user groups joins no more,
so a second run with the same numbers adds nothing and a run with bigger
numbers adds the rest.
"""

import time

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from benchmarks.scale import GROUP_PREFIX, LARGE_GROUP, USER_PREFIX
from identities import services
from identities.audit import AuditEvent
from identities.models import Group, Membership, User
from identities.passwords import PasswordHistory

PASSWORD = "scale-demo-password"
# Users per transaction, and users whose memberships go in one transaction.
USER_BATCH, MEMBER_BATCH = 10_000, 5_000


class Command(BaseCommand):
    help = "Create many users, groups and memberships for the scale benchmarks (bench_pages, explain_queries)."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=100_000)
        parser.add_argument("--groups", type=int, default=10_000)
        parser.add_argument("--memberships-per-user", type=int, default=10)
        parser.add_argument(
            "--large-group-members", type=int, default=10_000, help=f"How many users are also in {LARGE_GROUP}."
        )

    def handle(self, *args, users: int, groups: int, memberships_per_user: int, large_group_members: int, **options):
        quota = settings.IAM_MAX_GROUPS_PER_USER
        if not 0 < memberships_per_user <= min(groups, quota):
            raise CommandError(f"--memberships-per-user must be between 1 and --groups, and at most {quota} (quota).")
        try:
            password_validation.validate_password(PASSWORD)
        except ValidationError as error:
            raise CommandError(f"The password policy refuses {PASSWORD!r}: {' '.join(error.messages)}") from error
        started = time.monotonic()
        user_ids = self.create_users(users)
        large = _group_named(LARGE_GROUP) or services.create_group(
            group_name=LARGE_GROUP, description="The scale benchmark's large group.", actor=None
        )
        group_ids = self.create_groups(groups)
        self.create_memberships(user_ids, group_ids, memberships_per_user, large.pk, large_group_members)
        _analyze([User, Group, Membership, PasswordHistory, AuditEvent])
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.0f} s."))

    def progress(self, what: str, done: int, total: int, started: float) -> None:
        self.stdout.write(f"  {what}: {done:,} of {total:,} ({time.monotonic() - started:.0f} s)")

    def create_users(self, count: int) -> list[int]:
        started, password = time.monotonic(), make_password(PASSWORD)
        names = [f"{USER_PREFIX}{index:07d}" for index in range(count)]
        existing = _ids_by_lower_name(User, "username", USER_PREFIX)
        missing = [name for name in names if name not in existing]
        self.stdout.write(f"Users: {count - len(missing):,} exist, creating {len(missing):,} in batches")
        for start in range(0, len(missing), USER_BATCH):
            batch = missing[start : start + USER_BATCH]
            _insert_users(batch, password)
            self.progress("users", start + len(batch), len(missing), started)
        by_name = _ids_by_lower_name(User, "username", USER_PREFIX)
        return [by_name[name] for name in names]

    def create_groups(self, count: int) -> list[int]:
        started = time.monotonic()
        names = [f"{GROUP_PREFIX}{index:05d}" for index in range(count)]
        existing = _ids_by_lower_name(Group, "group_name", GROUP_PREFIX)
        missing = [name for name in names if name not in existing]
        self.stdout.write(f"Groups: {count - len(missing):,} exist, creating {len(missing):,} through create_group")
        for done, name in enumerate(missing, 1):
            services.create_group(group_name=name, actor=None)
            if done % 2_000 == 0 or done == len(missing):
                self.progress("groups", done, len(missing), started)
        by_name = _ids_by_lower_name(Group, "group_name", GROUP_PREFIX)
        return [by_name[name] for name in names]

    def create_memberships(self, user_ids, group_ids, per_user: int, large_id: int, large_members: int) -> None:
        """User i joins `per_user` distinct groups, spread evenly; for the first `large_members`
        users one of them is the large group."""
        started, step, total = time.monotonic(), max(1, len(group_ids) // per_user), len(user_ids) * per_user
        self.stdout.write(f"Memberships: up to {total:,}, in batches (existing ones are skipped)")
        groups = Group.objects.in_bulk([large_id, *group_ids])
        added = 0
        for first in range(0, len(user_ids), MEMBER_BATCH):
            wanted = {}
            for index in range(first, min(first + MEMBER_BATCH, len(user_ids))):
                slots = [group_ids[(index + slot * step) % len(group_ids)] for slot in range(per_user)]
                wanted[user_ids[index]] = [large_id, *slots[1:]] if index < large_members else slots
            added += _insert_memberships(wanted, groups, per_user)
            self.progress(f"memberships ({added:,} added)", (first + len(wanted)) * per_user, total, started)


def _analyze(models) -> None:
    """PostgreSQL plans from table statistics, which autovacuum gathers only a while after a bulk
    load: gather them now, so that the benchmarks run next see the plans of a settled database."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models))


def _group_named(name: str) -> Group | None:
    return Group.objects.filter(group_name__lower=name.lower()).first()


def _ids_by_lower_name(model, field: str, prefix: str) -> dict[str, int]:
    """Primary keys of the rows whose name starts with `prefix`, by lower-case name: names are
    unique without regard to case."""
    rows = model.objects.filter(**{f"{field}__istartswith": prefix}).values_list(field, "pk")
    return {name.lower(): pk for name, pk in rows}


@transaction.atomic
def _insert_users(names: list[str], password: str) -> None:
    """What services.create_user writes for each name, in bulk: the user, its password's
    history row and its CreateUser audit record."""
    now = timezone.now()
    users = User.objects.bulk_create(User(username=name, password=password, password_changed_at=now) for name in names)
    PasswordHistory.objects.bulk_create(PasswordHistory(user=user, password=password, set_at=now) for user in users)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            event_name="CreateUser",
            target_arn=user.arn,
            target_id=user.iam_id,
            after={"username": user.username, "path": user.path, "tags": user.tags, "enabled": user.is_active},
        )
        for user in users
    )


@transaction.atomic
def _insert_memberships(wanted: dict[int, list[int]], groups: dict[int, Group], per_user: int) -> int:
    """What services.add_members writes for each user and group of `wanted` that is not a
    membership yet, in bulk: the membership and its AddUserToGroup audit record. A user already
    in `per_user` groups (at most the quota) joins no more."""
    existing: dict[int, set[int]] = {user_id: set() for user_id in wanted}
    for user_id, group_id in Membership.objects.filter(user_id__in=list(wanted)).values_list("user_id", "group_id"):
        existing[user_id].add(group_id)
    users = User.objects.only("username", "path", "is_superuser").in_bulk(list(wanted))
    now, memberships, events = timezone.now(), [], []
    for user_id, group_ids in wanted.items():
        joining = [group_id for group_id in group_ids if group_id not in existing[user_id]]
        for group_id in joining[: max(0, per_user - len(existing[user_id]))]:
            group = groups[group_id]
            memberships.append(Membership(user_id=user_id, group=group, added_at=now))
            events.append(
                AuditEvent(
                    event_name="AddUserToGroup",
                    target_arn=group.arn,
                    target_id=group.iam_id,
                    after={"user": users[user_id].arn, "group": group.group_name},
                )
            )
    Membership.objects.bulk_create(memberships)
    AuditEvent.objects.bulk_create(events)
    return len(memberships)
