"""Switching role in the console: the role's permissions only, until it ends."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from identities import services as identity_services
from identities.audit import AuditEvent
from identities.credentials import RoleSession
from identities.middleware import ROLE_SESSION_KEY
from policies import services
from tests.admin_forms import admin_form_data
from tests.documents import allow

pytestmark = pytest.mark.django_db


@pytest.fixture
def deployer(mia):
    role = identity_services.create_role(role_name="Deployer", trust_policy={}, actor=None)
    identity_services.assign_role(role=role, user=mia, actor=None)
    services.put_inline_policy(identity=role, policy_name="Groups", document=allow("iam:ListGroups"), actor=None)
    services.put_inline_policy(identity=mia, policy_name="Users", document=allow("iam:ListUsers"), actor=None)
    return role


@pytest.fixture
def mia_client(client, mia):
    client.force_login(mia)
    return client


def admin_status(client, model: str) -> int:
    return client.get(reverse(f"admin:identities_{model}_changelist")).status_code


def test_the_switch_page_lists_only_assumable_roles(mia_client, deployer):
    identity_services.create_role(role_name="Untrusted", trust_policy={}, actor=None)
    response = mia_client.get(reverse("policies:role-switch"))
    assert [role.role_name for role in response.context["roles"]] == ["Deployer"]


def test_switching_role_changes_what_the_console_allows(mia_client, deployer):
    assert (admin_status(mia_client, "user"), admin_status(mia_client, "group")) == (200, 403)
    response = mia_client.post(reverse("policies:role-switch"), {"role": deployer.pk, "duration": 900})
    assert response.status_code == 302
    assert (admin_status(mia_client, "user"), admin_status(mia_client, "group")) == (403, 200)
    home = mia_client.get(reverse("home")).content.decode()
    assert "Acting as role <strong>Deployer</strong>" in home
    event = AuditEvent.objects.filter(event_name="SwitchRole").get()
    assert event.after["session"] == "arn:aws:sts::123456789012:assumed-role/Deployer/mia"


def test_changes_made_in_a_role_session_name_the_session(mia_client, deployer):
    services.put_inline_policy(identity=deployer, policy_name="Tag", document=allow("iam:*"), actor=None)
    mia_client.post(reverse("policies:role-switch"), {"role": deployer.pk, "duration": 900})
    henry = identity_services.create_user(username="nora", actor=None)
    from tests.admin_forms import admin_form_data

    url = reverse("admin:identities_user_change", args=[henry.pk])
    data = admin_form_data(mia_client, url, {"username": "nora", "path": "/eu/", "tags": "", "is_active": "on"})
    assert mia_client.post(url, data).status_code == 302
    event = AuditEvent.objects.get(event_name="UpdateUser")
    assert event.actor_arn == "arn:aws:iam::123456789012:user/mia"
    assert event.session_arn == "arn:aws:sts::123456789012:assumed-role/Deployer/mia"


def test_the_session_expires_on_time(mia_client, deployer, monkeypatch):
    mia_client.post(reverse("policies:role-switch"), {"role": deployer.pk, "duration": 900})
    assert admin_status(mia_client, "group") == 200
    later = timezone.now() + timedelta(seconds=901)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert admin_status(mia_client, "group") == 403
    page = mia_client.get(reverse("home"), follow=True)
    assert "Acting as role" not in page.content.decode()


def test_switching_back_ends_the_session(mia_client, deployer):
    mia_client.post(reverse("policies:role-switch"), {"role": deployer.pk, "duration": 900})
    assert mia_client.post(reverse("policies:role-switch-back")).status_code == 302
    assert admin_status(mia_client, "group") == 403
    assert RoleSession.objects.get().revoked_at is not None
    assert AuditEvent.objects.filter(event_name="EndRoleSession").count() == 1


def test_revoking_a_users_sessions_ends_their_console_session(mia_client, deployer, mia):
    mia_client.post(reverse("policies:role-switch"), {"role": deployer.pk, "duration": 900})
    identity_services.revoke_role_sessions(user=mia, actor=None)
    assert admin_status(mia_client, "group") == 403


def test_an_unassumable_role_cannot_be_posted(mia_client, mia):
    other = identity_services.create_role(role_name="Other", trust_policy={}, actor=None)
    response = mia_client.post(reverse("policies:role-switch"), {"role": other.pk, "duration": 900})
    assert response.status_code == 200
    assert RoleSession.objects.count() == 0


def test_a_longer_session_than_the_role_allows_is_refused(mia_client, deployer):
    response = mia_client.post(reverse("policies:role-switch"), {"role": deployer.pk, "duration": 4 * 3600})
    assert response.status_code == 200
    assert "at most 1 hour" in response.content.decode()
    assert RoleSession.objects.count() == 0


def test_an_administrator_revokes_a_users_role_sessions_in_the_admin(mia_client, deployer, mia, root):
    from django.test import Client

    from tests.admin_forms import admin_form_data

    root_client = Client()
    root_client.force_login(root)
    mia_client.post(reverse("policies:role-switch"), {"role": deployer.pk, "duration": 900})
    url = reverse("admin:identities_user_change", args=[mia.pk])
    data = admin_form_data(
        root_client,
        url,
        {"username": "mia", "path": "/", "tags": "", "is_active": "on", "revoke_role_sessions": "on"},
    )
    assert root_client.post(url, data).status_code == 302
    assert RoleSession.objects.get().revoked_at is not None
    assert admin_status(mia_client, "group") == 403
    assert AuditEvent.objects.filter(event_name="RevokeRoleSessions").count() == 1


def test_a_console_role_session_revoked_in_the_admin_ends_at_the_next_request(mia_client, deployer, mia, root):
    mia_client.post(reverse("policies:role-switch"), {"role": deployer.pk, "duration": 900})
    assert "Acting as role <strong>Deployer</strong>" in mia_client.get(reverse("home")).content.decode()
    root_client = Client()
    root_client.force_login(root)
    url = reverse("admin:identities_user_change", args=[mia.pk])
    fields = {"username": "mia", "path": "/", "tags": "", "is_active": "on", "revoke_role_sessions": "on"}
    assert root_client.post(url, admin_form_data(root_client, url, fields)).status_code == 302
    page = mia_client.get(reverse("home")).content.decode()
    assert "Your session as Deployer has ended; you act as yourself again." in page
    assert "Acting as role" not in page
    assert ROLE_SESSION_KEY not in mia_client.session
    # Mia acts as herself again: her own policy, not the role's.
    assert (admin_status(mia_client, "user"), admin_status(mia_client, "group")) == (200, 403)
