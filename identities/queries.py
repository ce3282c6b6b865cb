"""Reads that pages render, each preloading everything it shows."""

from django.db.models import QuerySet

from identities.models import Group, Role, User


def identity_counts() -> dict[str, int]:
    return {
        "users": User.objects.filter(is_superuser=False).count(),
        "groups": Group.objects.count(),
        "roles": Role.objects.count(),
    }


def users_in_no_group(limit: int = 20) -> QuerySet[User]:
    return User.objects.filter(is_superuser=False, memberships__isnull=True).order_by("username")[:limit]


def account_root_user() -> User | None:
    return User.objects.filter(is_superuser=True).first()
