"""Only root manages root: the attack in which the IAM administrator took over or locked
out the root user, reproduced through every entry point and refused, nothing changed."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse
from django_otp.oath import totp

from identities import queries, services
from identities.audit import AuditEvent
from identities.credentials import AccessKey
from identities.models import User
from tests.clients import signed_in
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def _root_state(root) -> tuple:
    root = User.objects.get(pk=root.pk)
    return (
        root.username,
        root.path,
        root.tags,
        root.is_active,
        root.mfa_required,
        root.password_reset_required,
        root.password,
        AccessKey.objects.filter(user=root).count(),
        queries.user_deletion_obstacles(root).mfa_device,
    )


@pytest.fixture
def root_with_mfa(org):
    device = services.create_virtual_mfa_device(user=org.root, actor=org.root)
    services.enable_mfa_device(device=device, code=f"{totp(device.bin_key):06d}", actor=org.root)
    return org.root


def test_the_iam_administrator_may_read_root_but_never_write_it(org):
    admin, root = org.iam_admin, org.root
    assert admin.has_perm("iam:GetUser", root) is True
    assert admin.has_perm("iam:ListAccessKeys", root) is True
    for action in ("iam:CreateAccessKey", "iam:UpdateUser", "iam:TagUser", "iam:DeleteUser", "iam:UpdateLoginProfile"):
        assert admin.has_perm(action, root) is False, action
    assert root.has_perm("iam:CreateAccessKey", root) is True


def test_creating_an_access_key_for_root_is_refused(org):
    before = _root_state(org.root)
    response = signed_in(org.iam_admin).post(reverse("identities:access-keys", args=[org.root.username]))
    assert response.status_code == 403
    assert _root_state(org.root) == before
    assert not AuditEvent.objects.filter(event_name="CreateAccessKey", outcome="Success").exists()


def test_disabling_or_renaming_root_in_the_console_is_refused(org):
    before, client = _root_state(org.root), signed_in(org.iam_admin)
    url = reverse("identities:user-edit", args=[org.root.pk])
    assert client.post(url, {"username": "root", "path": "/"}).status_code == 403  # no is_active: disabled
    assert client.post(url, {"username": "owned", "path": "/", "is_active": "on"}).status_code == 403
    tags = reverse("identities:user-tags", args=[org.root.pk])
    assert client.post(tags, {"tags": "owner=admin"}).status_code == 403
    assert _root_state(org.root) == before


def test_the_admin_shows_root_read_only_and_refuses_every_change(root_with_mfa, org):
    root, client = root_with_mfa, signed_in(org.iam_admin)
    before = _root_state(root)
    url = reverse("admin:identities_user_change", args=[root.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="username"' not in page.content and b'name="remove_mfa_device"' not in page.content
    posted = {
        "username": "owned",
        "path": "/owned/",
        "tags": "owner=admin",
        "mfa_required": "",
        "password_reset_required": "on",
        "remove_mfa_device": "on",
        "revoke_role_sessions": "on",
    }
    response = client.post(url, posted)
    assert response.status_code == 403
    assert _root_state(root) == before
    assert client.post(reverse("admin:identities_user_delete", args=[root.pk]), {"post": "yes"}).status_code == 403
    assert _root_state(root) == before


def test_the_services_refuse_anyone_but_root_whatever_their_policies(root_with_mfa, org):
    root, admin = root_with_mfa, org.iam_admin
    before = _root_state(root)
    changes = [
        lambda: services.create_access_key(user=root, actor=admin),
        lambda: services.update_user(user=root, is_active=False, actor=admin),
        lambda: services.set_user_tags(user=root, tags={"a": "b"}, actor=admin),
        lambda: services.set_password(user=root, password="a-new-long-passphrase-1", actor=admin),
        lambda: services.require_password_reset(user=root, actor=admin),
        lambda: services.set_mfa_required(user=root, required=False, actor=admin),
        lambda: services.remove_mfa_device(user=root, actor=admin),
        lambda: services.revoke_role_sessions(user=root, actor=admin),
    ]
    for change in changes:
        with pytest.raises(PermissionDenied, match="Only the account root user"):
            change()
    assert _root_state(root) == before


def test_root_manages_itself(org):
    key, _ = services.create_access_key(user=org.root, actor=org.root)
    services.update_access_key(key=key, status="Inactive", actor=org.root)
    services.set_user_tags(user=org.root, tags={"owner": "finance"}, actor=org.root)
    assert AccessKey.objects.get(pk=key.pk).status == "Inactive"


def test_the_credential_report_keeps_roots_row(org):
    report = signed_in(org.iam_admin).get(reverse("credential-report"))
    lines = b"".join(report.streaming_content).decode().splitlines()
    assert any(line.startswith("<root_account>") or line.startswith("root,") for line in lines[1:])


def test_the_operator_resets_root_with_a_command_on_the_record(root_with_mfa):
    root = root_with_mfa
    old_session = signed_in(root)
    out = io.StringIO()
    call_command("reset_root_user", stdout=out)
    password = out.getvalue().splitlines()[1]
    root = User.objects.get(pk=root.pk)
    assert root.check_password(password) and not root.check_password(TEST_PASSWORD)
    assert root.password_reset_required is True
    assert queries.user_deletion_obstacles(root).mfa_device is False
    event = AuditEvent.objects.get(event_name="ResetAccountRootUser")
    assert (event.actor_arn, event.target_arn, event.after["mfa_device_removed"]) == ("", root.arn, True)
    assert password not in str(event.after)
    assert old_session.get(reverse("home")).status_code == 302  # its console session ended
