"""Who-can at scale, against deciding every principal one by one.

    python -m benchmarks bench_who_can --users 100000

It builds its fixture first, where it is missing (safe to rerun): seed_scale's
users, groups and memberships; a customer managed policy attached to the
large group; an inline policy on each of the first policy groups; and an own
inline policy on one user in --own-every, naming that user's home prefix (so
each is a distinct document). Every policy is written by the product's
services, with its audit record.

Then, in --rounds interleaved rounds, it answers each case twice: with
`reports.who_can`, and with the peer below, which builds every principal's
layers and asks the engine once per principal (what who-can did before it
grouped principals by identical policy sets). It stops if the two ever
disagree, and prints each round's times and the median of their ratios.
"""

import statistics
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from benchmarks.management.commands import seed_scale
from benchmarks.scale import GROUP_PREFIX, LARGE_GROUP, USER_PREFIX
from identities.models import Group, Role, User
from policies import authorization, reports
from policies.engine import Outcome
from policies.models import InlinePolicy, ManagedPolicy, PolicyAttachment
from policies.services import attachments, managed

POLICY_GROUPS = 20
DATA = "arn:aws:storage:::scale-data"
READERS = "ScaleReaders"


def _own_document(username: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["storage:GetObject", "storage:PutObject"],
                "Resource": f"{DATA}/home/{username}/*",
            }
        ],
    }


def _group_document(index: int) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "storage:PutObject", "Resource": f"{DATA}/teams/{index:02d}/*"}],
    }


READERS_DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["storage:GetObject", "storage:ListBucket"], "Resource": "*"}],
}


def cases(users: int, own_every: int) -> list[tuple[str, str]]:
    """What to ask: a read everyone in the large group may do, a write in a team's prefix,
    a write in one user's home, and an action nobody is granted."""
    owner = f"{USER_PREFIX}{(users - 1) // own_every * own_every:07d}"
    return [
        ("storage:GetObject", f"{DATA}/home/{owner}/notes.txt"),
        ("storage:PutObject", f"{DATA}/teams/07/plan.txt"),
        ("storage:PutObject", f"{DATA}/home/{owner}/notes.txt"),
        ("storage:DeleteBucket", DATA),
    ]


def per_principal(action: str, resource: str) -> set[str]:
    """The peer: every active user and role's layers, one decision each."""
    account = authorization.Account()
    found = set()
    for user in User.objects.filter(is_active=True, is_superuser=False).only(*reports.USER_FIELDS):
        if authorization.decide(account.user_layers(user), action, resource).outcome is Outcome.ALLOW:
            found.add(user.arn)
    for role in Role.objects.all():
        if authorization.decide(account.role_layers(role), action, resource).outcome is Outcome.ALLOW:
            found.add(role.arn)
    return found


def grouped(action: str, resource: str) -> set[str]:
    """who-can as the console asks it, less the users it finds through roles (the peer has none)."""
    return {entry.arn for entry in reports.who_can(action, resource) if not entry.paths[0].startswith("after ")}


class Command(BaseCommand):
    help = "Time who-can at scale against deciding each principal one by one (builds its fixture first)."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=100_000)
        parser.add_argument("--own-every", type=int, default=10, help="One user in this many has an own policy.")
        parser.add_argument("--rounds", type=int, default=3)

    def handle(self, *args, users: int, own_every: int, rounds: int, **options):
        if users < POLICY_GROUPS * 10 or own_every < 1 or rounds < 1:
            raise CommandError(f"--users must be at least {POLICY_GROUPS * 10}; --own-every and --rounds at least 1.")
        self.build(users, own_every)
        self.stdout.write(f"{User.objects.count():,} users, {InlinePolicy.objects.count():,} inline policies")
        ratios, slowest = [], 0.0
        for action, resource in cases(users, own_every):
            times = {"who-can": [], "per principal": []}
            for _ in range(rounds):
                for name, answer in (("who-can", grouped), ("per principal", per_principal)):
                    authorization.clear_caches()
                    started = time.perf_counter()
                    found = answer(action, resource)
                    times[name].append(time.perf_counter() - started)
                    if name == "who-can":
                        expected = found
                    elif found != expected:
                        raise CommandError(f"who-can and the peer disagree on {action} {resource}")
            ratio = statistics.median(
                peer / ours for ours, peer in zip(times["who-can"], times["per principal"], strict=True)
            )
            ratios.append(ratio)
            slowest = max(slowest, statistics.median(times["who-can"]))
            self.stdout.write(
                f"{action} on {resource}: {len(expected):,} principals; who-can "
                + ", ".join(f"{t:.2f}" for t in times["who-can"])
                + " s; per principal "
                + ", ".join(f"{t:.2f}" for t in times["per principal"])
                + f" s; median {ratio:.1f} times faster"
            )
        self.stdout.write(
            f"who-can: {statistics.median(ratios):.1f} times the per-principal peer (median over the cases); "
            f"slowest case {slowest:.2f} s (median of its rounds)"
        )

    def build(self, users: int, own_every: int) -> None:
        if User.objects.filter(username__startswith=USER_PREFIX).count() < users:
            call_command(seed_scale.Command(), users=users, groups=max(POLICY_GROUPS, users // 10), stdout=self.stdout)
        large = Group.objects.get(group_name=LARGE_GROUP)
        readers = ManagedPolicy.objects.filter(policy_name=READERS).first()
        with transaction.atomic():
            if readers is None:
                readers, _ = managed.create_policy(policy_name=READERS, document=READERS_DOCUMENT, actor=None)
            if not PolicyAttachment.objects.filter(group=large).exists():
                attachments.attach_policy(identity=large, policy=readers, actor=None)
        for index in range(POLICY_GROUPS):
            group = Group.objects.get(group_name=f"{GROUP_PREFIX}{index:05d}")
            if not InlinePolicy.objects.filter(group=group).exists():
                self.put_once(group, "TeamWrites", _group_document(index))
        names = [f"{USER_PREFIX}{index:07d}" for index in range(0, users, own_every)]
        having = set(InlinePolicy.objects.filter(policy_name="OwnData").values_list("user__username", flat=True))
        missing = [name for name in names if name not in having]
        self.stdout.write(f"Own policies: {len(names) - len(missing):,} exist, writing {len(missing):,}")
        started = time.monotonic()
        for done, user in enumerate(User.objects.filter(username__in=missing).iterator(), 1):
            self.put_once(user, "OwnData", _own_document(user.username))
            if done % 2_000 == 0:
                self.stdout.write(f"  own policies: {done:,} of {len(missing):,} ({time.monotonic() - started:.0f} s)")

    @staticmethod
    @transaction.atomic
    def put_once(identity, name: str, document: dict) -> None:
        attachments.put_inline_policy(identity=identity, policy_name=name, document=document, actor=None)
