"""Disabling or deleting a user ends its console sessions, role sessions and temporary
credentials for good: enabling it again revives none of them."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from identities import services
from identities.audit import AuditEvent
from identities.credentials import RoleSession
from identities.models import User
from tests import factories
from tests.identities.signin_helpers import code_for, enrolled_device, sign_in

pytestmark = pytest.mark.django_db

SIGNED_OUT = reverse("login") + "?next=/"


def console_session(name: str) -> Client:
    """A browser signed in with the user's password, as a person signs in."""
    browser = Client()
    assert sign_in(browser, name).url == reverse("home")
    assert browser.get(reverse("home")).status_code == 200
    return browser


def key_client(user: User) -> Client:
    key, secret = services.create_access_key(user=user, actor=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {key.key_id}:{secret}")


def assume_role(api: Client, role, session_name: str = "ship-1"):
    body = {"RoleArn": role.arn, "RoleSessionName": session_name, "DurationSeconds": 900}
    return api.post("/api/v1/assume-role", json.dumps(body), content_type="application/json")


def identity_status(api: Client) -> int:
    return api.get("/api/v1/caller-identity").status_code


@pytest.fixture
def deployer(mia):
    """A role mia is assigned, so she may assume it."""
    role = services.create_role(role_name="Deployer", trust_policy={}, actor=None)
    services.assign_role(role=role, user=mia, actor=None)
    return role


def test_disabling_signs_out_the_console_session_and_enabling_again_does_not_sign_it_back_in(mia, root):
    browser = console_session("mia")
    services.update_user(user=mia, is_active=False, actor=root)
    assert browser.get(reverse("home")).url == SIGNED_OUT
    services.update_user(user=mia, is_active=True, actor=root)
    assert browser.get(reverse("home")).url == SIGNED_OUT
    assert "_auth_user_id" not in browser.session
    console_session("mia")  # a new sign-in works


def test_disabling_ends_role_session_credentials_for_good_and_enabling_again_allows_new_ones(mia, root, deployer):
    api = key_client(mia)
    assumed = assume_role(api, deployer)
    assert assumed.status_code == 200
    session_api = Client(HTTP_AUTHORIZATION=assumed.json()["Authorization"])
    assert identity_status(session_api) == 200
    services.update_user(user=mia, is_active=False, actor=root)
    assert (identity_status(session_api), identity_status(api)) == (401, 401)
    services.update_user(user=mia, is_active=True, actor=root)
    assert (identity_status(session_api), identity_status(api)) == (401, 200)
    renewed = assume_role(api, deployer, session_name="ship-2")
    assert renewed.status_code == 200
    assert identity_status(Client(HTTP_AUTHORIZATION=renewed.json()["Authorization"])) == 200


def test_disabling_revokes_every_live_role_session_with_its_audit_record(mia, root, deployer):
    for source in (RoleSession.Source.CONSOLE, RoleSession.Source.API):
        services.start_role_session(
            role=deployer, user=mia, session_name=f"{source}-1", duration=900, source=source, actor=mia
        )
    before = AuditEvent.objects.latest("id").id
    services.update_user(user=mia, is_active=False, actor=root)
    assert list(RoleSession.objects.filter(user=mia, revoked_at__isnull=True)) == []
    events = AuditEvent.objects.filter(id__gt=before).order_by("id")
    assert [(event.event_name, event.actor_arn) for event in events] == [
        ("RevokeRoleSessions", root.arn),
        ("UpdateUser", root.arn),
    ]
    assert events[0].after == {"revoked": 2}


def test_a_refused_disable_ends_no_session(mia, root, deployer):
    services.start_role_session(role=deployer, user=mia, session_name="api-1", duration=900, source="api", actor=mia)
    browser = console_session("mia")
    with pytest.raises(ValidationError):
        services.update_user(user=mia, username="not a valid name!", is_active=False, actor=root)
    mia.refresh_from_db()
    assert (mia.is_active, RoleSession.objects.get().revoked_at) == (True, None)
    assert browser.get(reverse("home")).status_code == 200


def test_other_changes_to_a_user_keep_its_sessions(mia, root, deployer):
    api = key_client(mia)
    session_api = Client(HTTP_AUTHORIZATION=assume_role(api, deployer).json()["Authorization"])
    browser = console_session("mia")
    services.update_user(user=mia, path="/ops/", actor=root)
    services.update_user(user=mia, is_active=True, actor=root)
    assert browser.get(reverse("home")).status_code == 200
    assert identity_status(session_api) == 200


def test_a_user_deleted_and_created_again_under_its_name_does_not_inherit_the_old_console_session(mia, root):
    browser = console_session("mia")
    services.delete_user(user=mia, actor=root, with_credentials_and_memberships=True)
    services.create_user(username="mia", password=factories.TEST_PASSWORD, actor=root)
    assert browser.get(reverse("home")).url == SIGNED_OUT
    console_session("mia")


def test_a_sign_in_waiting_for_its_mfa_code_does_not_survive_disabling_and_enabling_again(client, mia, root):
    device = enrolled_device(mia)
    assert sign_in(client, "mia").url == reverse("identities:mfa-verify")
    services.update_user(user=mia, is_active=False, actor=root)
    services.update_user(user=mia, is_active=True, actor=root)
    assert client.post(reverse("identities:mfa-verify"), {"code": code_for(device)}).url == reverse("login")
    assert "_auth_user_id" not in client.session
