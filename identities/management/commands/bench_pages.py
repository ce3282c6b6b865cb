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
from django.urls import reverse

from identities.management.commands.seed_scale import LARGE_GROUP, USER_PREFIX
from identities.models import Group, Role, User


def identity_pages() -> list[tuple[str, str]]:
    """The console's pages of users, groups and roles worth timing, each with a label."""
    user = User.objects.filter(username__startswith=USER_PREFIX).order_by("-pk").first() or User.objects.first()
    large = Group.objects.filter(group_name=LARGE_GROUP).first() or Group.objects.order_by("pk").first()
    role = Role.objects.order_by("pk").first()
    users, groups = reverse("identities:user-list"), reverse("identities:group-list")
    pages = [
        ("users, first page", users),
        ("users, page 1000", f"{users}?page=1000"),
        ("users, search", f"{users}?q=0099"),
        ("users, in a group", f"{users}?group={large.group_name if large else ''}"),
        ("users, in no group", f"{users}?no_group=on"),
        ("users, with access keys", f"{users}?keys=yes"),
        ("users, by last sign-in", f"{users}?sort=-last-sign-in"),
        ("user page", reverse("identities:user-detail", args=[user.pk])),
        ("groups, first page", groups),
        ("groups, page 100", f"{groups}?page=100"),
        ("roles", reverse("identities:role-list")),
    ]
    if large is not None:
        detail = reverse("identities:group-detail", args=[large.pk])
        pages += [
            ("large group page", detail),
            ("large group, last page", f"{detail}?page=last"),
            ("large group, member search", f"{detail}?q=00123"),
            ("add members: candidates", reverse("identities:group-member-candidates", args=[large.pk]) + "?find=009"),
        ]
    if role is not None:
        pages.append(("role page", reverse("identities:role-detail", args=[role.pk])))
    return pages


def signed_in_client(actor: User) -> Client:
    """A test client signed in as `actor`, on a host the settings allow."""
    host = next((host for host in settings.ALLOWED_HOSTS if host not in ("*", "") and not host.startswith(".")), "")
    client = Client(HTTP_HOST=host or "localhost")
    client.force_login(actor)
    return client


class Command(BaseCommand):
    help = "Print server time and query count for each console page of users, groups and roles."

    def add_arguments(self, parser):
        parser.add_argument("--as", dest="username", default="iam-admin", help="Who signs in (default iam-admin).")
        parser.add_argument("--repeat", type=int, default=5, help="Runs per page; the median is shown.")

    def handle(self, *args, username: str, repeat: int, **options):
        actor = User.objects.filter(username=username).first()
        if actor is None:
            raise CommandError(f"No user {username!r}: run seed_demo first, or pass --as.")
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
