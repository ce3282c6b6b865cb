"""The Django admin, governed by the account's own policies."""

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from identities.models import Group, Membership, Role, User
from policies import services
from policies.models import InlinePolicy, ManagedPolicy, PolicyAttachment, PolicyVersion
from tests.admin_forms import admin_form_data
from tests.policies.conftest import allow, deny, document, statement

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=io.StringIO())


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def group_url(name: str) -> str:
    return reverse("admin:identities_group_change", args=[Group.objects.get(group_name=name).pk])


def members(name: str) -> set[str]:
    return set(Membership.objects.filter(group__group_name=name).values_list("user__username", flat=True))


# The delegated service administrator


def test_the_service_administrator_sees_groups_and_users_but_not_roles_or_policies(demo):
    client = client_for("dev-admin")
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:identities_group_changelist")).status_code == 200
    assert client.get(reverse("admin:identities_user_changelist")).status_code == 200
    assert client.get(reverse("admin:identities_role_changelist")).status_code == 403
    assert client.get(reverse("admin:policies_managedpolicy_changelist")).status_code == 403


def test_the_service_administrator_opens_developers_and_no_other_group(demo):
    client = client_for("dev-admin")
    assert client.get(group_url("Developers")).status_code == 200
    assert client.get(group_url("Operations")).status_code == 403
    assert client.get(reverse("admin:identities_group_add")).status_code == 403


def test_the_service_administrator_adds_and_removes_developers(demo):
    client, root = client_for("dev-admin"), client_for("root")
    url = group_url("Developers")
    henry = User.objects.get(username="henry")
    fields = {"group_name": "Renamed", "path": "/", "description": "changed"}
    data = admin_form_data(client, url, fields, {"membership": [{"user": henry.pk}]})
    assert client.post(url, data).status_code == 302
    assert members("Developers") == {"mia", "oliver", "charles", "henry"}
    developers = Group.objects.get(group_name="Developers")
    assert developers.description != "changed"
    data = admin_form_data(root, url, {"group_name": "Developers", "path": "/", "description": developers.description})
    membership_prefix = next(key[: -len("-TOTAL_FORMS")] for key in data if key.endswith("-TOTAL_FORMS"))
    henry_row = next(
        key
        for key, value in data.items()
        if key.endswith("-id") and Membership.objects.filter(pk=value, user=henry).exists()
    )
    data[henry_row.replace("-id", "-DELETE")] = "on"
    assert membership_prefix
    assert client.post(url, data).status_code == 302
    assert members("Developers") == {"mia", "oliver", "charles"}


def test_a_forbidden_post_to_another_group_answers_403_and_changes_nothing(demo):
    root, client = client_for("root"), client_for("dev-admin")
    url = group_url("Operations")
    henry = User.objects.get(username="henry")
    data = admin_form_data(
        root, url, {"group_name": "Operations", "path": "/", "description": "x"}, {"membership": [{"user": henry.pk}]}
    )
    assert client.post(url, data).status_code == 403
    assert members("Operations") == {"lucas", "james"}


def test_adding_through_a_users_page_checks_the_group_at_save(demo):
    root, client = client_for("root"), client_for("dev-admin")
    henry = User.objects.get(username="henry")
    url = reverse("admin:identities_user_change", args=[henry.pk])
    operations = Group.objects.get(group_name="Operations")
    data = admin_form_data(
        root,
        url,
        {"username": "henry", "path": "/", "tags": "{}", "is_active": "on"},
        {"membership": [{"group": operations.pk}]},
    )
    assert client.post(url, data).status_code == 403
    assert members("Operations") == {"lucas", "james"}


# Privilege escalation: broad IAM rights except one action or resource


@pytest.fixture
def eve(demo):
    """An IAM user allowed iam:* but one thing, set per test."""
    return services_user("eve")


def services_user(name: str) -> User:
    from identities import services as identity_services

    return identity_services.create_user(username=name, password="eve-has-a-long-password", actor=None)


def broad_rights_except(user: User, *denied: dict) -> Client:
    services.put_inline_policy(
        identity=user,
        policy_name="BroadIAM",
        document=document(statement("Allow", ["iam:*", "sts:*"]), *denied),
        actor=None,
    )
    return client_for(user.username)


def test_creating_a_new_default_version_is_refused(eve):
    policy, _ = services.create_policy(policy_name="EvePolicy", document=allow("storage:GetObject"), actor=None)
    services.attach_policy(policy=policy, identity=eve, actor=None)
    client = broad_rights_except(eve, statement("Deny", "iam:CreatePolicyVersion", policy.arn))
    url = reverse("admin:policies_managedpolicy_change", args=[policy.pk])
    data = admin_form_data(
        client_for("root"), url, {"new_version": json.dumps(allow("*")), "set_as_default": "on", "default_version": "1"}
    )
    response = client.post(url, data)
    assert response.status_code in (302, 403)
    assert list(PolicyVersion.objects.filter(policy=policy).values_list("number", flat=True)) == [1]


def test_setting_an_older_default_version_is_refused(eve):
    policy, _ = services.create_policy(policy_name="EvePolicy", document=allow("*"), actor=None)
    services.create_policy_version(policy=policy, document=allow("storage:GetObject"), set_as_default=True, actor=None)
    client = broad_rights_except(eve, statement("Deny", "iam:SetDefaultPolicyVersion"))
    url = reverse("admin:policies_managedpolicy_change", args=[policy.pk])
    data = admin_form_data(client_for("root"), url, {"default_version": "1", "set_as_default": ""})
    assert client.post(url, data).status_code in (302, 403)
    assert PolicyVersion.objects.get(policy=policy, is_default=True).number == 2


def test_attaching_a_policy_to_oneself_is_refused(eve):
    client = broad_rights_except(eve, statement("Deny", "iam:AttachUserPolicy", eve.arn))
    administrator = ManagedPolicy.objects.get(policy_name="AdministratorAccess")
    url = reverse("admin:identities_user_change", args=[eve.pk])
    data = admin_form_data(
        client_for("root"),
        url,
        {"username": "eve", "path": "/", "tags": "{}", "is_active": "on"},
        {"policyattachment": [{"policy": administrator.pk}]},
    )
    assert client.post(url, data).status_code in (200, 302, 403)
    assert not PolicyAttachment.objects.filter(user=eve, policy=administrator).exists()


def test_putting_an_inline_policy_on_oneself_is_refused(eve):
    client = broad_rights_except(eve, statement("Deny", "iam:PutUserPolicy", eve.arn))
    url = reverse("admin:identities_user_change", args=[eve.pk])
    data = admin_form_data(
        client_for("root"),
        url,
        {"username": "eve", "path": "/", "tags": "{}", "is_active": "on"},
        {"inlinepolicy": [{"policy_name": "Escalate", "document": json.dumps(allow("*"))}]},
    )
    client.post(url, data)
    assert not InlinePolicy.objects.filter(user=eve, policy_name="Escalate").exists()


def test_adding_oneself_to_another_group_is_refused(eve):
    audit_arn = Group.objects.get(group_name="AuditTeam").arn
    client = broad_rights_except(eve, statement("Deny", "iam:AddUserToGroup", audit_arn))
    url = group_url("AuditTeam")
    data = admin_form_data(
        client_for("root"),
        url,
        {"group_name": "AuditTeam", "path": "/", "description": "x"},
        {"membership": [{"user": eve.pk}]},
    )
    # Without the right, the page offers no row to add and ignores one posted anyway.
    assert client.post(url, data).status_code in (302, 403)
    assert "eve" not in members("AuditTeam")


def test_editing_a_roles_trust_policy_is_refused(eve):
    role = Role.objects.get(role_name="ReleaseManager")
    client = broad_rights_except(eve, statement("Deny", "iam:UpdateAssumeRolePolicy", role.arn))
    url = reverse("admin:identities_role_change", args=[role.pk])
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": eve.arn}, "Action": "sts:AssumeRole"}],
    }
    data = admin_form_data(
        client_for("root"),
        url,
        {
            "role_name": role.role_name,
            "path": "/",
            "description": role.description,
            "trust_policy": json.dumps(trust),
            "max_session_duration": "3600",
            "tags": "{}",
        },
        {"roleassignment": [{"user": eve.pk}]},
    )
    client.post(url, data)
    role.refresh_from_db()
    assert eve.arn not in json.dumps(role.trust_policy)
    assert not role.assignments.filter(user=eve).exists()


# Guardrails and the admin


def test_a_guardrail_denying_delete_user_leaves_the_admin_usable(demo):
    services.save_guardrail(guardrail_name="NoUserDeletion", document=deny("iam:DeleteUser"), actor=None)
    for name in ("root", "iam-admin"):
        client = client_for(name)
        assert client.get(reverse("admin:index")).status_code == 200
        assert client.get(reverse("admin:identities_user_changelist")).status_code == 200
        mia = User.objects.get(username="mia")
        assert client.get(reverse("admin:identities_user_delete", args=[mia.pk])).status_code == 403


def test_the_iam_administrator_manages_policies(demo):
    client = client_for("iam-admin")
    url = reverse("admin:policies_managedpolicy_add")
    response = client.post(
        url,
        {
            "policy_name": "Auditors",
            "path": "/",
            "description": "",
            "document": json.dumps(allow("storage:List*")),
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    assert ManagedPolicy.objects.get(policy_name="Auditors").versions.get().is_default is True


def test_a_policy_with_a_typo_shows_the_error_with_its_place_and_saves_nothing(demo):
    client = client_for("iam-admin")
    text = '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow", "Acton": "s3:*", "Resource": "*"}]\n}'
    response = client.post(
        reverse("admin:policies_managedpolicy_add"),
        {
            "policy_name": "Typo",
            "path": "/",
            "description": "",
            "document": text,
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Acton" in body and "line 3" in body
    assert not ManagedPolicy.objects.filter(policy_name="Typo").exists()


def test_built_in_policies_are_read_only_in_the_admin(demo):
    client = client_for("root")
    policy = ManagedPolicy.objects.get(policy_name="AdministratorAccess")
    response = client.get(reverse("admin:policies_managedpolicy_change", args=[policy.pk]))
    assert response.status_code == 200
    assert b'name="new_version"' not in response.content
    assert (
        client.post(reverse("admin:policies_managedpolicy_delete", args=[policy.pk]), {"post": "yes"}).status_code
        == 403
    )
