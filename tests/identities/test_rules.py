"""Renaming or moving needs the action on the old ARN and on the new one, as AWS documents for
UpdateUser and UpdateGroup; roles keep their name and path for life. Each attack found is
reproduced through the console and the admin, refused, and leaves the database as it was."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from identities import rules, services
from identities.models import Group, Role, User
from policies import services as policy_services
from tests.admin_forms import admin_form_data
from tests.clients import signed_in
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db
ACCOUNT = "123456789012"


@pytest.fixture
def dev_manager(org):
    """Allowed iam:UpdateUser on user/dev/* and iam:UpdateGroup on group/dev/* only (and to read them)."""
    manager = services.create_user(username="devmanager", path="/dev/", password=TEST_PASSWORD, actor=None)
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:UpdateUser", "Resource": f"arn:aws:iam::{ACCOUNT}:user/dev/*"},
            {"Effect": "Allow", "Action": "iam:UpdateGroup", "Resource": f"arn:aws:iam::{ACCOUNT}:group/dev/*"},
        ],
    }
    policy_services.put_inline_policy(identity=manager, policy_name="DevOnly", document=document, actor=None)
    return manager


@pytest.fixture
def devuser(org):
    return services.create_user(username="devuser", path="/dev/", actor=None)


@pytest.fixture
def sandbox(org):
    return services.create_group(group_name="Sandbox", path="/dev/", actor=None)


def _names():
    return sorted(User.objects.values_list("username", "path")), sorted(Group.objects.values_list("group_name", "path"))


def test_a_rename_checks_the_old_and_the_new_arn():
    user = User(username="devuser", path="/dev/")
    checks = rules.required(services.update_user, user=user, username="iam-admin2", path="/")
    assert [str(check) for check in checks] == [
        f"iam:UpdateUser on arn:aws:iam::{ACCOUNT}:user/dev/devuser",
        f"iam:UpdateUser on arn:aws:iam::{ACCOUNT}:user/iam-admin2",
    ]
    assert [str(check) for check in rules.required(services.update_user, user=user, username="devuser")] == [
        f"iam:UpdateUser on arn:aws:iam::{ACCOUNT}:user/dev/devuser"
    ]


def test_renaming_a_user_out_of_the_delegated_path_is_refused(dev_manager, devuser):
    before, client = _names(), signed_in(dev_manager)
    url = reverse("identities:user-edit", args=[devuser.pk])
    assert client.post(url, {"username": "iam-admin2", "path": "/", "is_active": "on"}).status_code == 403
    admin_url = reverse("admin:identities_user_change", args=[devuser.pk])
    fields = {"username": "iam-admin2", "path": "/", "is_active": "on", "tags": ""}
    assert client.post(admin_url, admin_form_data(client, admin_url, fields)).status_code == 403
    assert _names() == before
    assert client.post(url, {"username": "devuser2", "path": "/dev/", "is_active": "on"}).status_code == 302
    assert User.objects.get(pk=devuser.pk).username == "devuser2"


def test_moving_oneself_out_of_the_delegated_path_is_refused(dev_manager):
    before, client = _names(), signed_in(dev_manager)
    url = reverse("identities:user-edit", args=[dev_manager.pk])
    assert client.post(url, {"username": "devmanager", "path": "/ops/", "is_active": "on"}).status_code == 403
    assert _names() == before


def test_renaming_a_group_into_another_path_is_refused(dev_manager, sandbox):
    before, client = _names(), signed_in(dev_manager)
    url = reverse("identities:group-edit", args=[sandbox.pk])
    assert client.post(url, {"group_name": "Admins", "path": "/"}).status_code == 403
    admin_url = reverse("admin:identities_group_change", args=[sandbox.pk])
    fields = {"group_name": "Admins", "path": "/", "description": ""}
    assert client.post(admin_url, admin_form_data(client, admin_url, fields)).status_code == 403
    assert _names() == before
    with pytest.raises(PermissionDenied):
        rules.perform(dev_manager, services.update_group, group=sandbox, group_name="Admins", path="/")
    assert _names() == before


def test_a_role_keeps_its_name_and_path(org):
    role = org.roles["ReleaseManager"]
    with pytest.raises(TypeError):
        services.update_role(role=role, role_name="Admin", actor=None)
    client = signed_in(org.iam_admin)
    url = reverse("identities:role-edit", args=[role.pk])
    form = client.get(url).context["form"]
    assert "role_name" not in form.fields and "path" not in form.fields
    posted = {"role_name": "Renamed", "path": "/moved/", "description": "ships", "max_session_duration": "3600"}
    assert client.post(url, posted).status_code == 302
    role = Role.objects.get(pk=role.pk)
    assert (role.role_name, role.path, role.description) == ("ReleaseManager", "/", "ships")
    admin_page = client.get(reverse("admin:identities_role_change", args=[role.pk]))
    assert b'name="role_name"' not in admin_page.content and b'name="path"' not in admin_page.content


def test_any_of_is_met_by_every_check_of_one_route(org):
    """rules.AnyOf: a change that either of two permissions allows (an access request's approval)."""
    developers, operations = org.groups["Developers"], org.groups["Operations"]
    either = rules.AnyOf(
        (
            (rules.Check("iam:AddUserToGroup", developers), rules.Check("iam:AddUserToGroup", operations)),
            (rules.Check("iam:GetGroup", developers),),
        )
    )
    assert rules.refused(org.users["dev-admin"], [either]) == []  # GetGroup on Developers: the second route
    assert rules.refused(org.iam_admin, [either]) == []
    assert rules.refused(org.henry, [either]) == [either]
    with pytest.raises(
        rules.Refused, match="iam:AddUserToGroup on .*group/Developers and .* or iam:GetGroup"
    ) as refusal:
        rules.require(org.henry, [either])
    assert refusal.value.check.action == "iam:AddUserToGroup"
