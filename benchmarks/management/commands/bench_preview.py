"""Time change previews (policies.preview): on the current data, then on a large generated team.

    python -m benchmarks bench_preview --users 10000

On the current data (the demo's, from `make run`): attaching AdministratorAccess to
Developers and removing lucas from Operations, as the root user, if they are there. Then,
inside a transaction that is rolled back at the end (the database is left as it was): a
group of --users generated members, beside as many in no group, and the preview of
attaching AdministratorAccess to it. Each figure is the median of --rounds previews, with
the preview's own count of principals decided.
"""

import statistics

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from identities import services as identity_services
from identities.models import Group, Membership, User
from policies import preview, services
from policies.models import ManagedPolicy

PREFIX = "bench-preview-"


class _RolledBack(Exception):
    pass


class Command(BaseCommand):
    help = "Print how long change previews take on this database and on a large generated team (rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=10_000)
        parser.add_argument("--rounds", type=int, default=3)

    def handle(self, *args, users: int, rounds: int, **options):
        if users < 1 or rounds < 1:
            raise CommandError("--users and --rounds must be at least 1.")
        root = User.objects.filter(is_superuser=True).first()
        admin = ManagedPolicy.objects.filter(policy_name="AdministratorAccess", builtin=True).first()
        if root is None or admin is None:
            raise CommandError("Needs the root user and the built-in AdministratorAccess (python manage.py seed_demo).")
        self.stdout.write(f"{User.objects.count()} users, {Group.objects.count()} groups")
        developers = Group.objects.filter(group_name="Developers").first()
        if developers is not None:
            self.report(
                "attach AdministratorAccess to Developers",
                rounds,
                root,
                services.attach_policy,
                identity=developers,
                policy=admin,
            )
        operations, lucas = (
            Group.objects.filter(group_name="Operations").first(),
            User.objects.filter(username="lucas").first(),
        )
        if operations is not None and lucas is not None and operations.memberships.filter(user=lucas).exists():
            self.report(
                "remove lucas from Operations",
                rounds,
                root,
                identity_services.remove_members,
                group=operations,
                users=[lucas],
            )
        try:
            with transaction.atomic():
                team = self.generate(users)
                self.report(
                    f"attach AdministratorAccess to a team of {users} (beside {users} in no group)",
                    rounds,
                    root,
                    services.attach_policy,
                    identity=team,
                    policy=admin,
                )
                raise _RolledBack
        except _RolledBack:
            pass

    def report(self, what: str, rounds: int, actor, change, **arguments) -> None:
        found = [preview.preview(actor, change, **arguments) for _ in range(rounds)]
        last = found[-1]
        median = statistics.median(each.seconds for each in found)
        self.stdout.write(
            f"{what}: {len(last.shown)} principals shown, {last.hidden} hidden, "
            f"{last.principals_tried} decided, {median:.3f} s (median of {rounds})"
        )

    def generate(self, users: int) -> Group:
        """A group and its members, and as many users in no group, in bulk (no services: seed_scale's reasons)."""
        team = identity_services.create_group(group_name=f"{PREFIX}team", actor=None)
        password = make_password(None)
        rows = User.objects.bulk_create(
            (User(username=f"{PREFIX}{index:06d}", password=password) for index in range(2 * users)), batch_size=2_000
        )
        Membership.objects.bulk_create((Membership(group=team, user=user) for user in rows[:users]), batch_size=2_000)
        return team
