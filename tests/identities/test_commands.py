import io

import pytest
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from identities.audit import AuditEvent
from identities.models import Group, Membership, Role, RoleAssignment, User

pytestmark = pytest.mark.django_db

ARTICLE_MEMBERSHIPS = {
    ("Developers", "mia"),
    ("Developers", "oliver"),
    ("Developers", "charles"),
    ("Operations", "lucas"),
    ("Operations", "james"),
    ("AuditTeam", "charles"),
    ("AuditTeam", "lucas"),
}


def memberships():
    return set(Membership.objects.values_list("group__group_name", "user__username"))


def test_seed_demo_creates_exactly_the_articles_memberships():
    call_command("seed_demo", stdout=io.StringIO())
    assert memberships() == ARTICLE_MEMBERSHIPS
    assert set(Group.objects.values_list("group_name", flat=True)) == {
        "Developers",
        "Operations",
        "AuditTeam",
        "IAMPublishers",
    }
    henry = User.objects.get(username="henry")
    assert henry.memberships.count() == 0
    assert User.objects.get(is_superuser=True).username == "root"
    assert User.objects.filter(username="iam-admin").exists()
    assert Role.objects.count() == 2
    assert set(RoleAssignment.objects.values_list("role__role_name", "user__username")) == {
        ("ReleaseManager", "mia"),
        ("AuditReviewer", "charles"),
        ("AuditReviewer", "lucas"),
    }


def test_seed_demo_is_idempotent():
    call_command("seed_demo", stdout=io.StringIO())
    counts = (
        User.objects.count(),
        Membership.objects.count(),
        RoleAssignment.objects.count(),
        AuditEvent.objects.count(),
    )
    call_command("seed_demo", stdout=io.StringIO())
    assert (
        User.objects.count(),
        Membership.objects.count(),
        RoleAssignment.objects.count(),
        AuditEvent.objects.count(),
    ) == counts
    assert memberships() == ARTICLE_MEMBERSHIPS


def test_seed_demo_prints_how_to_sign_in_as_each_persona():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    for name in ("root", "iam-admin", "mia", "oliver", "charles", "lucas", "james", "henry"):
        assert f"  {name} " in text
    assert "mia-demo-password" in text


def test_seeded_passwords_sign_in(client):
    call_command("seed_demo", stdout=io.StringIO())
    request = RequestFactory().post("/sign-in/")  # django-axes watches sign-ins through their request
    assert client.login(request=request, username="mia", password="mia-demo-password") is True
    assert client.login(request=request, username="MIA", password="mia-demo-password") is True
    assert client.login(request=request, username="mia", password="wrong") is False


def test_createsuperuser_creates_the_root_user_and_refuses_a_second(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-root-password-for-tests")
    call_command("createsuperuser", "--no-input", "--username", "owner", stdout=io.StringIO())
    owner = User.objects.get(username="owner")
    assert (owner.is_superuser, owner.arn) == (True, "arn:aws:iam::123456789012:root")
    with pytest.raises(CommandError, match="already has its root user"):
        call_command("createsuperuser", "--no-input", "--username", "owner2", stdout=io.StringIO())
    assert User.objects.filter(is_superuser=True).count() == 1


def test_migrations_are_complete():
    call_command("makemigrations", "--check", "--dry-run", stdout=io.StringIO())
