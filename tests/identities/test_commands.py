"""Commands about identities (seed_demo, which creates policies too, is tested in tests/policies/)."""

import io

import pytest
from django.core.management import CommandError, call_command

from identities.models import User

pytestmark = pytest.mark.django_db


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
