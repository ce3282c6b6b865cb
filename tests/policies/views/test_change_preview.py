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
