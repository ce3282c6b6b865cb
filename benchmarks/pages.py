"""The console pages the page benchmarks visit, and a client signed in to visit them.

Shared by bench_pages (which times them) and explain_queries (which EXPLAINs
their queries). The pages are fetched through Django's test client inside the
benchmark's own process: server time only, no network.
"""

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from benchmarks.scale import LARGE_GROUP, USER_PREFIX
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


def collect_static_files() -> None:
    """Pages name their assets through the manifest when the storage keeps one (as deployed,
    with DEBUG off): collect them first, as a deployment does, or no page renders."""
    if isinstance(staticfiles_storage, ManifestFilesMixin):
        call_command("collectstatic", "--no-input", verbosity=0)
