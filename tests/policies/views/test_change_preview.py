"""The change preview section before Save (policies.views.preview), and the saves that check
the generation it saw: removing members, deleting a user."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from identities import services as identity_services
from identities.models import Membership, User
from tests import factories
from tests.clients import client_for

pytestmark = pytest.mark.django_db

URL = reverse("policies:change-preview")


def described(**fields) -> dict:
    return {"preview_change": json.dumps(fields)}


def attach_admin(org) -> dict:
    return described(
        change="attach-policy", identity=org.groups["Developers"].arn, policy=org.policies["AdministratorAccess"].arn
    )


def test_the_section_names_each_developer_and_what_they_gain(org):
    response = client_for("iam-admin").post(URL, attach_admin(org))
    assert response.status_code == 200
    text = response.content.decode()
    for name in ("charles", "mia", "oliver"):
        assert f'/users/{User.objects.get(username=name).pk}/">{name}</a>' in text
    assert re.search(
        r'<code>iam:CreateUser</code>(, <code>[^<]+</code>)* on <code class="text-break">any resource</code>', text
    )
    assert text.count("change-preview-principal") == 3
    assert 'name="preview_generation"' in text
    assert " ms." in text


def test_what_a_principal_gains_is_grouped_by_service_with_counts(org):
    """Henry (SelfService alone) is given two storage actions on one bucket and one of IAM's on
    the users of a path he is not on: two services, each its own collapsed section."""
    granted = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["storage:GetObject", "storage:PutObject"],
                "Resource": "arn:aws:storage:::reports/*",
            },
            {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"},
        ],
    }
    data = described(change="put-inline-policy", identity=org.henry.arn)
    data |= {"policy_name": "Reports", "document": json.dumps(granted)}
    text = client_for("iam-admin").post(URL, data).content.decode()
    summary = r'<details class="change-preview-service[^"]*"( open)?>\s*<summary[^>]*>([^<]+)<code>(\w+)</code>: (\d+) '
    summaries = re.findall(summary + "action", text)
    assert [(opened, words.strip(), service, int(count)) for opened, words, service, count in summaries] == [
        ("", "gains in", "iam", 1),
        ("", "gains in", "storage", 2),
    ]
    assert "(user; gains 3)" in text


def test_a_principal_whose_access_moves_in_one_service_shows_it_open(org):
    data = described(change="put-inline-policy", identity=org.henry.arn)
    data |= {"policy_name": "Cleanup", "document": json.dumps(allow_delete_bucket())}
    text = client_for("iam-admin").post(URL, data).content.decode()
    assert re.search(
        r'<details class="change-preview-service[^"]*" open>\s*<summary[^>]*>gains in <code>storage</code>: 1 action ',
        text,
    )


def test_a_condition_is_said_in_words(org):
    from policies import services

    needs_mfa = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "storage:DeleteBucket",
                "Resource": "*",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            }
        ],
    }
    policy, _ = services.create_policy(policy_name="DeleteWithMFA", document=needs_mfa, actor=None)
    data = described(change="attach-policy", identity=org.henry.arn, policy=policy.arn)
    text = client_for("iam-admin").post(URL, data).content.decode()
    assert "when aws:MultiFactorAuthPresent is true" in text


def test_principals_the_viewer_may_not_simulate_are_counted(org):
    data = described(change="add-members", group=org.groups["Developers"].arn, users=[org.henry.arn])
    text = client_for("dev-admin").post(URL, data).content.decode()
    assert "change-preview-principal" not in text
    assert "And 1 principal you may not see" in text


def test_a_viewer_who_may_not_make_the_change_gets_403(org):
    response = client_for("mia").post(URL, attach_admin(org))
    assert response.status_code == 403


@pytest.mark.parametrize("text", ["", "not json", "[1]", json.dumps({"change": "nothing"})])
def test_an_undescribed_change_gets_a_clear_400(org, text):
    response = client_for("iam-admin").post(URL, {"preview_change": text})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_a_change_the_service_refuses_says_so(org):
    data = described(change="add-members", group=org.groups["Developers"].arn, users=[org.mia.arn])
    response = client_for("iam-admin").post(URL, data)
    assert response.status_code == 200
    assert "This change would be refused: " in response.content.decode()


def test_a_get_is_refused(org):
    assert client_for("iam-admin").get(URL).status_code == 405


def test_the_section_costs_the_same_queries_as_the_account_grows(org):
    client = client_for("iam-admin")
    data = attach_admin(org)

    def measured() -> int:
        client.post(URL, data)  # the viewer's policies compiled and cached: measured warm at both sizes
        with CaptureQueriesContext(connection) as captured:
            assert client.post(URL, data).status_code == 200
        return len(captured)

    factories.bulk_memberships(org.groups["Developers"], factories.bulk_users(2, prefix="small"))
    small = measured()
    factories.bulk_memberships(org.groups["Developers"], factories.bulk_users(20, prefix="large"))
    assert measured() == small


# The saves that carry the preview's generation


def test_removing_a_member_offers_the_preview_before_the_save(org):
    operations = org.groups["Operations"]
    url = reverse("identities:group-members-remove", args=[operations.pk])
    text = client_for("iam-admin").post(url, {"users": "lucas"}).content.decode()
    assert 'class="change-preview ' in text
    assert "&quot;change&quot;: &quot;remove-members&quot;" in text


def test_a_removal_after_a_stale_preview_is_refused_and_changes_nothing(org):
    operations = org.groups["Operations"]
    client = client_for("iam-admin")
    data = described(change="remove-members", group=operations.arn, users=[org.lucas.arn])
    preview = client.post(URL, data).content.decode()
    seen = preview.split('name="preview_generation" value="')[1].split('"')[0]
    identity_services.add_members(group=org.groups["IAMPublishers"], users=[org.henry], actor=None)
    url = reverse("identities:group-members-remove", args=[operations.pk])
    response = client.post(url, {"users": "lucas", "confirm": "yes", "preview_generation": seen}, follow=True)
    assert "The preview is stale; preview again." in response.content.decode()
    assert Membership.objects.filter(group=operations, user=org.lucas).exists()


def test_a_removal_after_a_current_preview_is_made(org):
    operations = org.groups["Operations"]
    client = client_for("iam-admin")
    data = described(change="remove-members", group=operations.arn, users=[org.lucas.arn])
    seen = client.post(URL, data).content.decode().split('name="preview_generation" value="')[1].split('"')[0]
    url = reverse("identities:group-members-remove", args=[operations.pk])
    client.post(url, {"users": "lucas", "confirm": "yes", "preview_generation": seen})
    assert not Membership.objects.filter(group=operations, user=org.lucas).exists()


def test_a_deletion_after_a_stale_preview_is_refused(org):
    client = client_for("iam-admin")
    url = reverse("identities:user-delete", args=[org.james.pk])
    assert 'class="change-preview ' in client.get(url).content.decode()
    response = client.post(url, {"preview_generation": "12"}, follow=True)
    assert "The preview is stale; preview again." in response.content.decode()
    assert User.objects.filter(username="james").exists()


# Previews inside the identity fragment's forms, filled in from the form's own fields


def test_the_attach_form_previews_the_policy_chosen(org):
    fragment = client_for("iam-admin").get(
        reverse("policies:identity-fragment", args=["group", org.groups["Developers"].pk]), HTTP_HX_REQUEST="true"
    )
    assert "&quot;change&quot;: &quot;attach-policy&quot;" in fragment.content.decode()
    data = described(change="attach-policy", identity=org.groups["Developers"].arn)
    data["policy"] = str(org.policies["AdministratorAccess"].pk)
    text = client_for("iam-admin").post(URL, data).content.decode()
    assert text.count("change-preview-principal") == 3


def test_the_attach_form_before_a_policy_is_chosen_says_so(org):
    data = described(change="attach-policy", identity=org.groups["Developers"].arn) | {"policy": ""}
    response = client_for("iam-admin").post(URL, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Choose a policy to see what the change does." in response.content.decode()


def test_the_inline_form_previews_the_document_typed(org):
    data = described(change="put-inline-policy", identity=org.henry.arn)
    data |= {"policy_name": "Cleanup", "document": json.dumps(allow_delete_bucket())}
    text = client_for("iam-admin").post(URL, data).content.decode()
    assert "<code>storage:DeleteBucket</code>" in text


def allow_delete_bucket() -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "storage:DeleteBucket", "Resource": "*"}],
    }


def test_an_attachment_after_a_stale_preview_is_refused(org):
    from policies.models import PolicyAttachment

    developers, admin = org.groups["Developers"], org.policies["AdministratorAccess"]
    url = reverse("policies:identity-attach", args=["group", developers.pk])
    response = client_for("iam-admin").post(
        url, {"policy": admin.pk, "preview_generation": "7", "confirm": "yes"}, HTTP_HX_REQUEST="true"
    )
    assert "The preview is stale; preview again." in response.content.decode()
    assert not PolicyAttachment.objects.filter(group=developers, policy=admin).exists()


def test_the_version_editor_previews_a_new_default_version(org):
    policy = org.policies["OperationsStorageAccess"]
    page = client_for("iam-admin").get(reverse("policies:policy-detail", args=[policy.pk])).content.decode()
    assert "&quot;change&quot;: &quot;create-policy-version&quot;" in page
    data = described(change="create-policy-version", policy=policy.arn)
    data |= {"document": json.dumps(allow_delete_bucket()), "set_as_default": "on"}
    text = client_for("iam-admin").post(URL, data).content.decode()
    assert [name for name in ("james", "lucas") if f">{name}</a>" in text] == ["james", "lucas"]
    assert "<code>storage:PutObject</code>" in text  # what they lose
    data.pop("set_as_default")
    text = client_for("iam-admin").post(URL, data).content.decode()
    assert "No one gains or loses anything." in text  # a version that is not the default decides nothing


def test_the_assignment_form_previews_the_users_named(org):
    role = org.roles["ReleaseManager"]
    page = client_for("iam-admin").get(reverse("identities:role-detail", args=[role.pk])).content.decode()
    assert "&quot;change&quot;: &quot;assign-role-to-users&quot;" in page
    data = described(change="assign-role-to-users", role=role.arn) | {"users": "oliver, henry"}
    text = client_for("iam-admin").post(URL, data).content.decode()
    assert [name for name in ("henry", "mia", "oliver") if f">{name}</a>" in text] == ["henry", "oliver"]
    assert '<code>sts:AssumeRole</code> on <code class="text-break">' + role.arn in text


def test_the_assignment_form_naming_nobody_says_so(org):
    role = org.roles["ReleaseManager"]
    data = described(change="assign-role-to-users", role=role.arn) | {"users": "nobody-here"}
    response = client_for("iam-admin").post(URL, data)
    assert response.status_code == 400
    assert "No user is named nobody-here." in response.content.decode()


def test_the_trust_policy_editor_previews_who_may_assume_the_role(org):
    role = org.roles["AuditReviewer"]
    page = client_for("iam-admin").get(reverse("identities:role-edit", args=[role.pk])).content.decode()
    assert "&quot;change&quot;: &quot;update-trust-policy&quot;" in page
    trust_james = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": org.james.arn}, "Action": "sts:AssumeRole"},
        ],
    }
    data = described(change="update-trust-policy", role=role.arn) | {"trust_policy": json.dumps(trust_james)}
    text = client_for("iam-admin").post(URL, data).content.decode()
    assert ">james</a>" in text
    # charles and lucas are assigned the role, which lets them in whatever the document says: no change.
    assert ">charles</a>" not in text and ">lucas</a>" not in text


def test_an_assignment_after_a_stale_preview_is_refused(org):
    from identities.models import RoleAssignment

    role = org.roles["ReleaseManager"]
    url = reverse("identities:role-assign", args=[role.pk])
    response = client_for("iam-admin").post(url, {"users": "oliver", "preview_generation": "3"}, HTTP_HX_REQUEST="true")
    assert "The preview is stale; preview again." in response.content.decode()
    assert not RoleAssignment.objects.filter(role=role, user=org.oliver).exists()


def test_making_an_older_version_the_default_is_previewed_and_a_stale_save_refused(org):
    from policies import services

    policy = org.policies["OperationsStorageAccess"]
    services.create_policy_version(policy=policy, document=allow_delete_bucket(), actor=None)
    page = client_for("iam-admin").get(reverse("policies:policy-detail", args=[policy.pk])).content.decode()
    assert "What making v2 the default does" in page
    assert "&quot;change&quot;: &quot;set-default-version&quot;" in page
    data = described(change="set-default-version", policy=policy.arn, version=2)
    text = client_for("iam-admin").post(URL, data).content.decode()
    assert [name for name in ("james", "lucas") if f">{name}</a>" in text] == ["james", "lucas"]
    url = reverse("policies:policy-version-default", args=[policy.pk, 2])
    response = client_for("iam-admin").post(url, {"preview_generation": "4"}, follow=True)
    assert "The preview is stale; preview again." in response.content.decode()
    assert policy.versions.get(is_default=True).number == 1


def test_a_preview_is_no_request_of_the_viewer_in_the_last_accessed_data(org):
    from policies import lastaccess
    from policies.models import LastAccessed

    response = client_for("iam-admin").post(URL, attach_admin(org))
    assert response.status_code == 200 and "change-preview-principal" in response.content.decode()
    lastaccess.flush()
    used = set(LastAccessed.objects.filter(principal_id=org.iam_admin.iam_id).values_list("action", flat=True))
    assert "iam:AttachGroupPolicy" not in used


# Removals in the identity fragment: asked first, with the preview before the confirm button


def fragment_url(name: str, identity) -> str:
    return reverse(f"policies:{name}", args=[identity._meta.model_name, identity.pk])


def generation_of(text: str) -> str:
    return text.split('name="preview_generation" value="')[1].split('"')[0]


def simulator(name: str, *actions: str, simulates: str = "*"):
    """A user allowed `actions` on anything and iam:SimulatePrincipalPolicy only on `simulates`."""
    from policies import services
    from tests.documents import document, statement

    user = identity_services.create_user(username=name, password=factories.TEST_PASSWORD, actor=None)
    policy = document(statement("Allow", list(actions)), statement("Allow", "iam:SimulatePrincipalPolicy", simulates))
    services.put_inline_policy(identity=user, policy_name="Allowed", document=policy, actor=None)
    return user


def test_detaching_asks_first_with_the_preview_before_the_confirm_button(org):
    from policies.models import PolicyAttachment

    operations, policy = org.groups["Operations"], org.policies["OperationsStorageAccess"]
    data = {"policy": policy.pk}
    response = client_for("iam-admin").post(fragment_url("identity-detach", operations), data, HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert "Detach OperationsStorageAccess from Operations?" in text
    assert "&quot;change&quot;: &quot;detach-policy&quot;" in text
    assert text.index('class="change-preview ') < text.index("Confirm: detach")
    assert PolicyAttachment.objects.filter(group=operations, policy=policy).exists()


def test_the_detach_preview_names_who_loses_what(org):
    data = described(
        change="detach-policy",
        identity=org.groups["Operations"].arn,
        policy=org.policies["OperationsStorageAccess"].arn,
    )
    text = client_for("iam-admin").post(URL, data).content.decode()
    assert [name for name in ("charles", "james", "lucas", "mia") if f">{name}</a>" in text] == ["james", "lucas"]
    assert re.search(r"loses </span>(<code>[^<]+</code>, )*<code>storage:PutObject</code>", text)
    assert "gains </span>" not in text


def test_the_detach_preview_counts_whom_the_viewer_may_not_simulate(org):
    viewer = simulator(
        "detacher", "iam:GetGroup", "iam:ListAttachedGroupPolicies", "iam:DetachGroupPolicy", simulates=org.james.arn
    )
    data = described(
        change="detach-policy",
        identity=org.groups["Operations"].arn,
        policy=org.policies["OperationsStorageAccess"].arn,
    )
    from tests.clients import signed_in

    text = signed_in(viewer).post(URL, data).content.decode()
    assert text.count("change-preview-principal") == 1 and ">james<" in text
    assert "lucas" not in text
    assert "And 1 principal you may not see" in text


def test_a_detachment_after_a_stale_preview_is_refused_and_one_after_a_current_preview_is_made(org):
    from policies.models import PolicyAttachment

    operations, policy = org.groups["Operations"], org.policies["OperationsStorageAccess"]
    client = client_for("iam-admin")
    description = {"change": "detach-policy", "identity": operations.arn, "policy": policy.arn}
    seen = generation_of(client.post(URL, described(**description)).content.decode())
    save = {"policy": policy.pk, "confirm": "yes", "preview_generation": seen}
    identity_services.add_members(group=org.groups["IAMPublishers"], users=[org.henry], actor=None)
    response = client.post(fragment_url("identity-detach", operations), save, HTTP_HX_REQUEST="true")
    assert "The preview is stale; preview again." in response.content.decode()
    assert PolicyAttachment.objects.filter(group=operations, policy=policy).exists()
    save["preview_generation"] = generation_of(client.post(URL, described(**description)).content.decode())
    client.post(fragment_url("identity-detach", operations), save, HTTP_HX_REQUEST="true")
    assert not PolicyAttachment.objects.filter(group=operations, policy=policy).exists()


def test_deleting_an_inline_policy_asks_first_and_previews_what_the_role_loses(org):
    from policies.models import InlinePolicy

    role = org.roles["ReleaseManager"]
    client = client_for("iam-admin")
    asked = client.post(fragment_url("identity-inline-delete", role), {"policy_name": "ShipReleases"}).content.decode()
    assert "Delete the inline policy ShipReleases of ReleaseManager?" in asked
    assert "&quot;change&quot;: &quot;delete-inline-policy&quot;" in asked
    assert InlinePolicy.objects.filter(role=role, policy_name="ShipReleases").exists()
    data = described(change="delete-inline-policy", identity=role.arn, policy_name="ShipReleases")
    text = client.post(URL, data).content.decode()
    assert text.count("change-preview-principal") == 1 and ">ReleaseManager</a>" in text
    assert f'<code>storage:PutObject</code> on <code class="text-break">{PRODUCTION_RELEASES}</code>' in text


PRODUCTION_RELEASES = "arn:aws:storage:::production-data/releases/*"


def test_an_inline_deletion_after_a_stale_preview_is_refused(org):
    from policies.models import InlinePolicy

    role = org.roles["ReleaseManager"]
    save = {"policy_name": "ShipReleases", "confirm": "yes", "preview_generation": "5"}
    response = client_for("iam-admin").post(fragment_url("identity-inline-delete", role), save, follow=True)
    assert "The preview is stale; preview again." in response.content.decode()
    assert InlinePolicy.objects.filter(role=role, policy_name="ShipReleases").exists()


def bounded_mia(org):
    """mia under the PublishingAccess boundary: her own policies grant only what it allows."""
    from policies import services

    services.set_permissions_boundary(identity=org.mia, policy=org.policies["PublishingAccess"], actor=None)
    return org.mia


def test_removing_a_boundary_asks_first_and_previews_what_the_user_gains(org):
    from policies.models import PermissionBoundary

    mia = bounded_mia(org)
    client = client_for("iam-admin")
    asked = client.post(fragment_url("identity-boundary-delete", mia), {}, HTTP_HX_REQUEST="true").content.decode()
    assert "Remove the permission boundary of mia?" in asked
    assert "&quot;change&quot;: &quot;delete-permissions-boundary&quot;" in asked
    assert PermissionBoundary.objects.filter(user=mia).exists()
    text = client.post(URL, described(change="delete-permissions-boundary", identity=mia.arn)).content.decode()
    assert text.count("change-preview-principal") == 1 and ">mia</a>" in text
    assert re.search(
        r"gains </span>(<code>[^<]+</code>, )*<code>storage:DeleteBucket</code>(, <code>[^<]+</code>)* on "
        r'<code class="text-break">arn:aws:storage:::dev-\*</code>',
        text,
    )
    assert "loses </span>" not in text


def test_a_boundary_removal_after_a_stale_preview_is_refused(org):
    from policies.models import PermissionBoundary

    mia = bounded_mia(org)
    save = {"confirm": "yes", "preview_generation": "2"}
    response = client_for("iam-admin").post(fragment_url("identity-boundary-delete", mia), save, HTTP_HX_REQUEST="true")
    assert "The preview is stale; preview again." in response.content.decode()
    assert PermissionBoundary.objects.filter(user=mia).exists()


def test_the_removal_question_costs_the_same_queries_as_policies_grow(org):
    from tests.policies.views.test_policies import _many_policies

    publishers = org.groups["IAMPublishers"]
    client, url = client_for("iam-admin"), fragment_url("identity-detach", publishers)
    data = {"policy": org.policies["PublishingAccess"].pk}

    def measured() -> int:
        client.post(url, data, HTTP_HX_REQUEST="true")
        with CaptureQueriesContext(connection) as captured:
            assert "Confirm: detach" in client.post(url, data, HTTP_HX_REQUEST="true").content.decode()
        return len(captured)

    _many_policies(3)
    small = measured()
    _many_policies(30, "More")
    assert measured() == small


# Deleting a managed policy in the console


def test_the_policy_deletion_page_previews_it_detached_everywhere(org):
    policy = org.policies["OperationsStorageAccess"]
    client = client_for("iam-admin")
    page = client.get(reverse("policies:policy-delete", args=[policy.pk])).content.decode()
    description = {"change": "delete-policy", "detach_everywhere": True, "policy": policy.arn}
    assert json.dumps(description, sort_keys=True).replace('"', "&quot;") in page
    assert page.index('class="change-preview ') < page.index("Delete policy</button>")
    refused = client.post(URL, described(change="delete-policy", policy=policy.arn)).content.decode()
    assert "This change would be refused: " in refused and "detach it everywhere" in refused
    text = client.post(URL, described(**description)).content.decode()
    assert [name for name in ("charles", "james", "lucas", "mia") if f">{name}</a>" in text] == ["james", "lucas"]
    assert re.search(r"loses </span>(<code>[^<]+</code>, )*<code>storage:PutObject</code>", text)


def test_the_policy_deletion_preview_counts_whom_the_viewer_may_not_simulate(org):
    from tests.clients import signed_in

    actions = ("iam:GetPolicy", "iam:DeletePolicy", "iam:DetachGroupPolicy")
    viewer = simulator("deleter", *actions, simulates=org.lucas.arn)
    data = described(change="delete-policy", policy=org.policies["OperationsStorageAccess"].arn, detach_everywhere=True)
    text = signed_in(viewer).post(URL, data).content.decode()
    assert text.count("change-preview-principal") == 1 and ">lucas<" in text
    assert "And 1 principal you may not see" in text


def test_a_policy_deletion_after_a_stale_preview_is_refused_and_one_after_a_current_preview_is_made(org):
    from policies.models import ManagedPolicy

    policy = org.policies["OperationsStorageAccess"]
    client, url = client_for("iam-admin"), reverse("policies:policy-delete", args=[policy.pk])
    data = described(change="delete-policy", policy=policy.arn, detach_everywhere=True)
    seen = generation_of(client.post(URL, data).content.decode())
    identity_services.add_members(group=org.groups["IAMPublishers"], users=[org.henry], actor=None)
    response = client.post(url, {"detach_everywhere": "on", "preview_generation": seen})
    assert "The preview is stale; preview again." in response.content.decode()
    assert ManagedPolicy.objects.filter(pk=policy.pk).exists()
    seen = generation_of(client.post(URL, data).content.decode())
    assert client.post(url, {"detach_everywhere": "on", "preview_generation": seen}).status_code == 302
    assert not ManagedPolicy.objects.filter(pk=policy.pk).exists()


def test_the_policy_deletion_page_costs_the_same_queries_as_its_attachments_grow(org):
    from policies.models import PolicyAttachment

    policy = org.policies["OperationsStorageAccess"]
    client, url = client_for("iam-admin"), reverse("policies:policy-delete", args=[policy.pk])

    def measured() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert 'class="change-preview ' in client.get(url).content.decode()
        return len(captured)

    def attach_to(count: int, prefix: str) -> None:
        users = factories.bulk_users(count, prefix=prefix)
        PolicyAttachment.objects.bulk_create(PolicyAttachment(policy=policy, user=user) for user in users)

    attach_to(2, "small")
    small = measured()
    attach_to(20, "large")
    assert measured() == small


# The policy from activity, in place of the grants it narrows


@pytest.fixture
def mia_read_a_report(org):
    """mia used one action on one object: the draft allows that alone."""
    from policies import lastaccess
    from tests.policies.views.test_access_advisor import use

    use(org.mia, "storage:GetObject", "arn:aws:storage:::dev-app/a")
    lastaccess.flush()
    return org.mia


def activity_page(kind: str, entity) -> str:
    return reverse("policies:activity-policy", args=[kind, entity.pk])


def drafted(page: str) -> str:
    return re.search(r'<input type="hidden" name="document" value="([^"]*)">', page).group(1).replace("&quot;", '"')


def test_the_activity_page_previews_the_draft_in_place_of_the_users_policies(mia_read_a_report):
    mia, client = mia_read_a_report, client_for("iam-admin")
    page = client.get(activity_page("user", mia)).content.decode()
    assert "&quot;change&quot;: &quot;replace-policies&quot;" in page
    assert page.index('class="change-preview ') < page.index("Create, attach and detach</button>")
    data = described(
        change="replace-policies",
        identity=mia.arn,
        policy_name="mia-from-activity",
        replaced=[org_policy("SelfService").arn],
    )
    text = client.post(URL, data | {"document": drafted(page)}).content.decode()
    # She reads dev-app through Developers anyway: she only loses SelfService's grants on herself.
    assert text.count("change-preview-principal") == 1 and ">mia</a>" in text
    assert re.search(r"loses </span>(<code>[^<]+</code>, )*<code>iam:ChangePassword</code>", text)
    assert "gains </span>" not in text


def org_policy(name: str):
    from policies.models import ManagedPolicy

    return ManagedPolicy.objects.get(policy_name=name)


def test_the_replacement_preview_counts_whom_the_viewer_may_not_simulate(mia_read_a_report, org):
    from tests.clients import signed_in

    viewer = simulator(
        "replacer", "iam:CreatePolicy", "iam:AttachUserPolicy", "iam:DetachUserPolicy", simulates=org.james.arn
    )
    data = described(
        change="replace-policies", identity=org.mia.arn, policy_name="Drafted", replaced=[org_policy("SelfService").arn]
    )
    text = signed_in(viewer).post(URL, data | {"document": json.dumps(allow_delete_bucket())}).content.decode()
    assert "change-preview-principal" not in text
    assert "And 1 principal you may not see" in text


def test_the_replacement_after_a_stale_preview_is_refused_and_after_a_current_one_is_made(mia_read_a_report):
    from policies.models import ManagedPolicy, PolicyAttachment

    mia, client = mia_read_a_report, client_for("iam-admin")
    page = client.get(activity_page("user", mia)).content.decode()
    save = {"policy_name": "mia-from-activity", "path": "/", "document": drafted(page), "preview_generation": "6"}
    url = reverse("policies:activity-policy-replace", args=["user", mia.pk])
    response = client.post(url, save, follow=True)
    assert "The preview is stale; preview again." in response.content.decode()
    assert not ManagedPolicy.objects.filter(policy_name="mia-from-activity").exists()
    description = {
        "change": "replace-policies",
        "identity": mia.arn,
        "policy_name": "mia-from-activity",
        "replaced": [org_policy("SelfService").arn],
    }
    save["preview_generation"] = generation_of(
        client.post(URL, described(**description) | {"document": save["document"]}).content.decode()
    )
    assert client.post(url, save).status_code == 302
    attached = PolicyAttachment.objects.filter(user=mia).values_list("policy__policy_name", flat=True)
    assert list(attached) == ["mia-from-activity"]


def test_a_policys_activity_page_previews_the_draft_as_its_default_version(org):
    from policies import lastaccess
    from tests.policies.views.test_access_advisor import use

    policy = org.policies["OperationsStorageAccess"]
    use(org.james, "storage:GetObject", "arn:aws:storage:::ops-logs/today")
    lastaccess.flush()
    client = client_for("iam-admin")
    page = client.get(activity_page("policy", policy)).content.decode()
    assert "&quot;change&quot;: &quot;create-policy-version&quot;" in page
    data = described(change="create-policy-version", policy=policy.arn, set_as_default=True)
    text = client.post(URL, data | {"document": drafted(page)}).content.decode()
    assert [name for name in ("james", "lucas") if f">{name}</a>" in text] == ["james", "lucas"]
    assert re.search(r"loses </span>(<code>[^<]+</code>, )*<code>storage:PutObject</code>", text)
    url = reverse("policies:activity-policy-replace", args=["policy", policy.pk])
    response = client.post(url, {"document": drafted(page), "set_as_default": "on", "preview_generation": "1"})
    assert response.status_code == 302
    assert policy.versions.count() == 1


def test_the_activity_page_with_the_replacement_costs_the_same_queries_as_attachments_grow(mia_read_a_report):
    from policies.models import ManagedPolicy, PolicyAttachment, PolicyVersion
    from tests.documents import allow

    mia, client = mia_read_a_report, client_for("iam-admin")
    url = activity_page("user", mia)

    def attach(count: int, prefix: str) -> None:
        created = ManagedPolicy.objects.bulk_create(
            ManagedPolicy(policy_name=f"{prefix}{index}", next_version_number=2) for index in range(count)
        )
        PolicyVersion.objects.bulk_create(
            PolicyVersion(policy=policy, number=1, is_default=True, document=allow("storage:GetObject"))
            for policy in created
        )
        PolicyAttachment.objects.bulk_create(PolicyAttachment(policy=policy, user=mia) for policy in created)

    def measured() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert "Create, attach and detach" in client.get(url).content.decode()
        return len(captured)

    attach(1, "Small")
    small = measured()
    attach(8, "Large")
    assert measured() == small


# A change that would break an access expectation: the preview, and what it breaks


def operations_read(org):
    """Operations may read production: detaching its storage policy breaks that for james
    (lucas reads on through AuditTeam's ReadOnlyAccess)."""
    from policies import services
    from tests.policies.views.test_expectations import OPERATIONS_READ

    services.put_access_expectation(definition=OPERATIONS_READ, actor=None)
    return described(
        change="detach-policy",
        identity=org.groups["Operations"].arn,
        policy=org.policies["OperationsStorageAccess"].arn,
    )


def test_the_preview_of_a_change_breaking_an_expectation_shows_both(org):
    from identities.audit import AuditEvent
    from tests.clients import signed_in

    data = operations_read(org)
    viewer = simulator(
        "detacher", "iam:GetGroup", "iam:ListAttachedGroupPolicies", "iam:DetachGroupPolicy", simulates=org.james.arn
    )
    events = AuditEvent.objects.count()
    response = signed_in(viewer).post(URL, data)
    text = response.content.decode()
    assert response.status_code == 200
    assert "This change would be refused" not in text
    assert ">james<" in text and text.count("change-preview-principal") == 1  # lucas is hidden from this viewer
    assert (
        "Saving is refused: this change would break the access expectation <strong>operations-read-production" in text
    )
    james_fails = f'<code class="text-break">{org.james.arn}</code>: ImplicitDeny for <code>storage:GetObject</code>'
    assert james_fails in text
    assert 'name="preview_generation"' in text
    assert AuditEvent.objects.count() == events  # nothing was saved or audited


def test_the_preview_lists_only_failures_about_principals_the_viewer_may_see(org):
    from tests.clients import signed_in

    data = operations_read(org)
    viewer = simulator(
        "detacher", "iam:GetGroup", "iam:ListAttachedGroupPolicies", "iam:DetachGroupPolicy", simulates=org.lucas.arn
    )
    text = signed_in(viewer).post(URL, data).content.decode()
    assert "would break the access expectation <strong>operations-read-production" in text
    assert org.james.arn not in text
    assert "And 1 more failure about principals you may not see." in text


def test_an_actor_who_may_override_is_told_the_save_goes_through(org):
    from identities.audit import AuditEvent

    data, events = operations_read(org), AuditEvent.objects.count()
    text = client_for("iam-admin").post(URL, data).content.decode()  # IAMFullAccess: iam:* overrides
    assert "This change breaks the access expectation <strong>operations-read-production" in text
    assert "You may override it" in text
    assert not AuditEvent.objects.filter(event_name="OverrideAccessExpectation").exists()
    assert AuditEvent.objects.count() == events


def test_the_save_after_such_a_preview_is_still_refused(org):
    from policies.models import PolicyAttachment
    from tests.clients import signed_in

    data = operations_read(org)
    viewer = simulator("detacher", "iam:GetGroup", "iam:ListAttachedGroupPolicies", "iam:DetachGroupPolicy")
    client = signed_in(viewer)
    seen = generation_of(client.post(URL, data).content.decode())
    operations, policy = org.groups["Operations"], org.policies["OperationsStorageAccess"]
    save = {"policy": policy.pk, "confirm": "yes", "preview_generation": seen}
    response = client.post(fragment_url("identity-detach", operations), save, HTTP_HX_REQUEST="true")
    assert "it would break the access expectation operations-read-production" in response.content.decode()
    assert PolicyAttachment.objects.filter(group=operations, policy=policy).exists()
