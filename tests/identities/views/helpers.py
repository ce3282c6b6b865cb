"""Helpers of the tests of the user, group and role pages."""

from django.urls import reverse

from identities.audit import AuditEvent
from identities.credentials import AccessKey
from identities.models import Membership, RoleAssignment, User

HTMX = {"HTTP_HX_REQUEST": "true"}


def user(name: str) -> User:
    return User.objects.get(username=name)


def url(name: str, *args) -> str:
    return reverse(f"identities:{name}", args=args)


def state() -> tuple:
    """Everything a refused change must leave as it was."""
    return (
        sorted(User.objects.values_list("username", "path", "is_active", "tags")),
        sorted(Membership.objects.values_list("user__username", "group__group_name")),
        sorted(RoleAssignment.objects.values_list("user__username", "role__role_name", "expires_at")),
        AccessKey.objects.count(),
        AuditEvent.objects.filter(outcome=AuditEvent.Outcome.SUCCESS).count(),
    )


def listed(response) -> list[str]:
    return [row.username for row in response.context["page"].object_list]
