"""A delegated administrator removing its own permission boundary: the boundary decides, as in AWS.

Dale's own policy allows iam:* on everything; its boundary limits what that grants. Only a
boundary that itself allows iam:DeleteUserPermissionsBoundary lets Dale remove it, and then
the escalation report names that path."""

import pytest
from django.test import Client
from django.urls import reverse

from identities import services as identity_services
from identities.audit import AuditEvent
from identities.models import User
from policies import escalation, services
from policies.models import PermissionBoundary
from tests.admin_forms import admin_form_data
from tests.documents import allow

pytestmark = pytest.mark.django_db

# What Dale's console work needs, the boundary aside: read identities, change users in the admin.
WORK = ["iam:Get*", "iam:List*", "iam:UpdateUser"]


def bounded_administrator(*boundary_allows: str) -> tuple[User, Client]:
    dale = identity_services.create_user(username="dale", actor=None)
    services.put_inline_policy(identity=dale, policy_name="Everything", document=allow("iam:*"), actor=None)
    fence, _ = services.create_policy(policy_name="DaleFence", document=allow([*WORK, *boundary_allows]), actor=None)
    services.set_permissions_boundary(identity=dale, policy=fence, actor=None)
    client = Client()
    client.force_login(dale)
    return dale, client


def boundary_state(dale: User) -> tuple:
    return (
        list(PermissionBoundary.objects.filter(user=dale).values_list("policy__policy_name", flat=True)),
        AuditEvent.objects.filter(event_name="DeleteUserPermissionsBoundary", outcome="Success").count(),
    )


def fragment_delete(client: Client, dale: User):
    return client.post(reverse("policies:identity-boundary-delete", args=["user", dale.pk]), {"confirm": "yes"})


def change_url(dale: User) -> str:
    return reverse("admin:identities_user_change", args=[dale.pk])


def boundary_formset(client: Client, dale: User):
    (formset,) = [
        inline.formset
        for inline in client.get(change_url(dale)).context["inline_admin_formsets"]
        if inline.formset.model is PermissionBoundary
    ]
    return formset


def admin_delete(client: Client, dale: User):
    """The user's admin page posted with its boundary row ticked for deletion."""
    fields = {"username": "dale", "path": "/", "tags": "", "is_active": "on"}
    data = admin_form_data(client, change_url(dale), fields)
    data[f"{boundary_formset(client, dale).prefix}-0-DELETE"] = "on"
    return client.post(change_url(dale), data)


def paths_of(name: str) -> set[str]:
    return {path.kind for entry in escalation.escalation_paths() if entry.name == name for path in entry.paths}


def test_a_boundary_without_the_action_keeps_itself_in_the_console(db):
    dale, client = bounded_administrator()
    before = boundary_state(dale)
    assert fragment_delete(client, dale).status_code == 403
    assert boundary_state(dale) == before == (["DaleFence"], 0)


def test_a_boundary_without_the_action_keeps_itself_in_the_admin(db):
    dale, client = bounded_administrator()
    assert boundary_formset(client, dale).can_delete is False  # no Delete box to tick
    before = boundary_state(dale)
    assert admin_delete(client, dale).status_code == 302  # the ticked box posted anyway is ignored
    assert boundary_state(dale) == before == (["DaleFence"], 0)


def test_a_boundary_without_the_action_is_no_escalation_path(db):
    bounded_administrator()
    assert "remove-boundary" not in paths_of("dale")


def test_a_boundary_that_allows_its_removal_lets_it_go_and_is_reported(db):
    dale, client = bounded_administrator("iam:DeleteUserPermissionsBoundary")
    assert "remove-boundary" in paths_of("dale")
    assert fragment_delete(client, dale).status_code == 302
    assert boundary_state(dale) == ([], 1)
    event = AuditEvent.objects.get(event_name="DeleteUserPermissionsBoundary")
    assert (event.actor_arn, event.target_arn) == (dale.arn, dale.arn)


def test_the_admin_removes_a_boundary_that_allows_its_removal(db):
    dale, client = bounded_administrator("iam:DeleteUserPermissionsBoundary")
    assert admin_delete(client, dale).status_code == 302
    assert boundary_state(dale) == ([], 1)
