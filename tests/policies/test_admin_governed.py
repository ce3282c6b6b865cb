"""The Django admin, governed by the account's own policies."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from identities.audit import AuditEvent
from identities.models import Group, Membership, Role, User
from policies import services
from policies.models import InlinePolicy, ManagedPolicy, PolicyAttachment, PolicyVersion
from tests.admin_forms import admin_form_data
from tests.clients import client_for
from tests.documents import allow, deny, document, statement

pytestmark = pytest.mark.django_db


def group_url(name: str) -> str:
    return reverse("admin:identities_group_change", args=[Group.objects.get(group_name=name).pk])


def members(name: str) -> set[str]:
    return set(Membership.objects.filter(group__group_name=name).values_list("user__username", flat=True))


# The delegated service administrator


def test_the_service_administrator_sees_groups_and_users_but_not_roles_or_policies(org):
    client = client_for("dev-admin")
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:identities_group_changelist")).status_code == 200
    assert client.get(reverse("admin:identities_user_changelist")).status_code == 200
    assert client.get(reverse("admin:identities_role_changelist")).status_code == 403
    assert client.get(reverse("admin:policies_managedpolicy_changelist")).status_code == 403


def test_the_service_administrator_opens_developers_and_no_other_group(org):
    client = client_for("dev-admin")
    assert client.get(group_url("Developers")).status_code == 200
    assert client.get(group_url("Operations")).status_code == 403
    assert client.get(reverse("admin:identities_group_add")).status_code == 403


def test_the_service_administrator_adds_and_removes_developers(org):
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


def test_a_forbidden_post_to_another_group_answers_403_and_changes_nothing(org):
    root, client = client_for("root"), client_for("dev-admin")
    url = group_url("Operations")
    henry = User.objects.get(username="henry")
    data = admin_form_data(
        root, url, {"group_name": "Operations", "path": "/", "description": "x"}, {"membership": [{"user": henry.pk}]}
    )
    assert client.post(url, data).status_code == 403
    assert members("Operations") == {"lucas", "james"}


def test_adding_through_a_users_page_checks_the_group_at_save(org):
    root, client = client_for("root"), client_for("dev-admin")
    henry = User.objects.get(username="henry")
    url = reverse("admin:identities_user_change", args=[henry.pk])
    operations = Group.objects.get(group_name="Operations")
    data = admin_form_data(
        root,
        url,
        {"username": "henry", "path": "/", "tags": "", "is_active": "on"},
        {"membership": [{"group": operations.pk}]},
    )
    assert client.post(url, data).status_code == 403
    assert members("Operations") == {"lucas", "james"}


# Privilege escalation: broad IAM rights except one action or resource


@pytest.fixture
def eve(org):
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
        {"username": "eve", "path": "/", "tags": "", "is_active": "on"},
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
        {"username": "eve", "path": "/", "tags": "", "is_active": "on"},
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
            "tags": "",
        },
        {"roleassignment": [{"user": eve.pk}]},
    )
    client.post(url, data)
    role.refresh_from_db()
    # Trust policies are stored by unique ID.
    assert eve.arn not in json.dumps(role.trust_policy) and eve.iam_id not in json.dumps(role.trust_policy)
    assert not role.assignments.filter(user=eve).exists()


# Guardrails and the admin


def test_a_guardrail_denying_delete_user_leaves_the_admin_usable(org):
    services.save_guardrail(guardrail_name="NoUserDeletion", document=deny("iam:DeleteUser"), actor=None)
    for name in ("root", "iam-admin"):
        client = client_for(name)
        assert client.get(reverse("admin:index")).status_code == 200
        assert client.get(reverse("admin:identities_user_changelist")).status_code == 200
        mia = User.objects.get(username="mia")
        assert client.get(reverse("admin:identities_user_delete", args=[mia.pk])).status_code == 403


def test_the_iam_administrator_manages_policies(org):
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


def test_a_policy_with_a_typo_shows_the_error_with_its_place_and_saves_nothing(org):
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


def test_built_in_policies_are_read_only_in_the_admin(org):
    client = client_for("root")
    policy = ManagedPolicy.objects.get(policy_name="AdministratorAccess")
    response = client.get(reverse("admin:policies_managedpolicy_change", args=[policy.pk]))
    assert response.status_code == 200
    assert b'name="new_version"' not in response.content
    assert (
        client.post(reverse("admin:policies_managedpolicy_delete", args=[policy.pk]), {"post": "yes"}).status_code
        == 403
    )


def test_deleting_the_default_version_in_the_admin_is_refused_with_a_message(org):
    client = client_for("iam-admin")
    policy = ManagedPolicy.objects.get(policy_name="OperationsStorageAccess")
    url = reverse("admin:policies_managedpolicy_change", args=[policy.pk])
    data = admin_form_data(client, url, {"default_version": "1", "set_as_default": ""})
    row = next(key for key in data if key.endswith("-0-id"))
    data[row.replace("-id", "-DELETE")] = "on"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "v1 is the default version" in response.content.decode()
    assert policy.versions.count() == 1


def test_a_new_version_through_the_admin_becomes_the_default(org):
    client = client_for("iam-admin")
    policy = ManagedPolicy.objects.get(policy_name="OperationsStorageAccess")
    url = reverse("admin:policies_managedpolicy_change", args=[policy.pk])
    data = admin_form_data(
        client, url, {"default_version": "1", "new_version": json.dumps(allow("storage:*")), "set_as_default": "on"}
    )
    assert client.post(url, data).status_code == 302
    assert PolicyVersion.objects.get(policy=policy, is_default=True).version_id == "v2"


# Safe delegation: creating users only under a given boundary


@pytest.fixture
def bounded_creator(org):
    boundary, _ = services.create_policy(policy_name="DeveloperBoundary", document=allow("storage:*"), actor=None)
    creator = services_user("hiring")
    condition = {"StringEquals": {"iam:PermissionsBoundary": boundary.arn}}
    services.put_inline_policy(
        identity=creator,
        policy_name="CreateBoundedUsers",
        document=document(
            statement("Allow", ["iam:ListUsers", "iam:GetUser"]),
            statement("Allow", ["iam:CreateUser", "iam:PutUserPermissionsBoundary"], "*", condition),
        ),
        actor=None,
    )
    return client_for("hiring"), boundary


def add_user(client, username: str, boundary=None):
    url = reverse("admin:identities_user_add")
    fields = {"username": username, "path": "/", "tags": "", "is_active": "on", "password": ""}
    if boundary is not None:
        fields["permissions_boundary"] = str(boundary.pk)
    data = admin_form_data(client_for("root"), url, fields)
    return client.post(url, data)


def test_a_bounded_creator_sees_the_add_form(bounded_creator):
    client, _ = bounded_creator
    assert client.get(reverse("admin:identities_user_add")).status_code == 200


def test_a_bounded_creator_creates_users_under_the_boundary(bounded_creator):
    client, boundary = bounded_creator
    assert add_user(client, "newdev", boundary).status_code == 302
    from policies.models import PermissionBoundary

    assert PermissionBoundary.objects.get(user__username="newdev").policy == boundary


def test_a_bounded_creator_cannot_create_users_without_it(bounded_creator):
    client, _ = bounded_creator
    assert add_user(client, "unbounded").status_code == 403
    assert not User.objects.filter(username="unbounded").exists()


def test_a_bounded_creator_cannot_pick_another_boundary(bounded_creator):
    client, _ = bounded_creator
    administrator = ManagedPolicy.objects.get(policy_name="AdministratorAccess")
    assert add_user(client, "sneaky", administrator).status_code == 403
    assert not User.objects.filter(username="sneaky").exists()


def test_resource_tags_reach_conditions(org):
    from identities import services as identity_services

    tagger = services_user("tagger")
    condition = {"StringEquals": {"aws:ResourceTag/team": "dev"}}
    services.put_inline_policy(
        identity=tagger, policy_name="DevOnly", document=allow("iam:GetUser", "*", condition), actor=None
    )
    mia, lucas = User.objects.get(username="mia"), User.objects.get(username="lucas")
    identity_services.set_user_tags(user=mia, tags={"team": "dev"}, actor=None)
    assert (tagger.has_perm("iam:GetUser", mia), tagger.has_perm("iam:GetUser", lucas)) == (True, False)


# The catalogue


def test_an_administrator_adds_a_service_and_its_actions_become_known(org):
    from policies.models import CatalogService

    client = client_for("iam-admin")
    url = reverse("admin:policies_catalogservice_add")
    data = admin_form_data(
        client,
        url,
        {"prefix": "billing", "name": "Billing"},
        {
            "catalogaction": [
                {
                    "name": "GetInvoice",
                    "access_level": "Read",
                    "resource_types": "[]",
                    "condition_keys": "[]",
                    "description": "Read an invoice",
                }
            ]
        },
    )
    assert client.post(url, data).status_code == 302
    service = CatalogService.objects.get(prefix="billing")
    assert list(service.actions.values_list("name", "access_level")) == [("GetInvoice", "Read")]
    _, findings = services.create_policy(policy_name="Invoices", document=allow("billing:GetInvoice"), actor=None)
    assert [f.code for f in findings if f.code.startswith("UNKNOWN")] == []
    events = set(AuditEvent.objects.filter(target_arn=service.arn).values_list("event_name", flat=True))
    assert events == {"PutCatalogService", "PutCatalogAction"}


def test_built_in_catalogue_services_are_read_only(org):
    from policies.models import CatalogService

    client = client_for("root")
    iam = CatalogService.objects.get(prefix="iam")
    url = reverse("admin:policies_catalogservice_change", args=[iam.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"prefix": "iam", "name": "Renamed"}).status_code == 403
    assert CatalogService.objects.get(prefix="iam").name != "Renamed"


def test_a_bad_service_prefix_is_refused_with_the_rule(org):
    client = client_for("iam-admin")
    url = reverse("admin:policies_catalogservice_add")
    response = client.post(url, admin_form_data(client, url, {"prefix": "Bad Prefix", "name": "x"}))
    assert response.status_code == 200
    assert "lowercase letters, digits and hyphens" in response.content.decode()


# The policy rows of an identity's admin page


@pytest.fixture
def nora_with_policies(db):
    from identities import services as identity_services

    nora = identity_services.create_user(username="nora", actor=None)
    reader, _ = services.create_policy(policy_name="Reader", document=allow("storage:Get*"), actor=None)
    fence, _ = services.create_policy(policy_name="Fence", document=allow("storage:*"), actor=None)
    services.attach_policy(policy=reader, identity=nora, actor=None)
    services.put_inline_policy(identity=nora, policy_name="Notes", document=allow("storage:List*"), actor=None)
    services.set_permissions_boundary(identity=nora, policy=fence, actor=None)
    return nora


def test_a_users_admin_page_shows_its_attached_inline_and_boundary_policies(root_client, nora_with_policies):
    response = root_client.get(reverse("admin:identities_user_change", args=[nora_with_policies.pk]))
    shown = {
        inline.formset.model.__name__: [str(form.instance) for form in inline.formset.initial_forms]
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.initial_form_count()
    }
    assert shown == {
        "PolicyAttachment": ["Reader attached to nora"],
        "InlinePolicy": ["Notes (inline, nora)"],
        "PermissionBoundary": ["Fence bounds nora"],
    }


def test_detaching_a_policy_in_the_admin_is_recorded(root_client, nora_with_policies):
    url = reverse("admin:identities_user_change", args=[nora_with_policies.pk])
    data = admin_form_data(root_client, url, {"username": "nora", "path": "/", "tags": "", "is_active": "on"})
    (prefix,) = [
        inline.formset.prefix
        for inline in root_client.get(url).context["inline_admin_formsets"]
        if inline.formset.model is PolicyAttachment and inline.formset.initial_form_count()
    ]
    data[f"{prefix}-0-DELETE"] = "on"
    assert root_client.post(url, data).status_code == 302
    assert not PolicyAttachment.objects.filter(user=nora_with_policies).exists()
    assert AuditEvent.objects.filter(event_name="DetachUserPolicy", target_arn=nora_with_policies.arn).count() == 1
