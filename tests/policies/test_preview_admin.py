"""The admin's deletion confirmation of users, groups, roles, managed policies and guardrails
carries the change preview, and the deletion refuses a stale one
(identities.admin.base.IAMActionsAdmin.deletion_change); so does the guardrail form's save."""

import json
import re

import pytest
from django.urls import reverse

from identities.models import Group, User
from tests.clients import client_for

pytestmark = pytest.mark.django_db


def test_the_confirmation_previews_the_deletion(org):
    url = reverse("admin:identities_user_delete", args=[org.james.pk])
    text = client_for("root").get(url).content.decode()
    assert 'class="change-preview ' in text
    assert json.dumps({"change": "delete-user", "user": org.james.arn}).replace('"', "&quot;") in text


def test_a_deletion_after_a_stale_preview_is_refused_and_changes_nothing(org):
    url = reverse("admin:identities_group_delete", args=[org.groups["AuditTeam"].pk])
    response = client_for("root").post(url, {"post": "yes", "preview_generation": "5"}, follow=True)
    assert "Nothing was changed: The preview is stale; preview again." in response.content.decode()
    assert Group.objects.filter(group_name="AuditTeam").exists()


def test_a_deletion_after_a_current_preview_is_made(org):
    client = client_for("root")
    change = {"change": "delete-user", "user": org.james.arn}
    answer = client.post(reverse("policies:change-preview"), {"preview_change": json.dumps(change)}).content.decode()
    assert ">james</a>" in answer
    seen = answer.split('name="preview_generation" value="')[1].split('"')[0]
    url = reverse("admin:identities_user_delete", args=[org.james.pk])
    client.post(url, {"post": "yes", "preview_generation": seen})
    assert not User.objects.filter(username="james").exists()


def deny_deletes() -> dict:
    statement = {"Effect": "Deny", "Action": "storage:DeleteBucket", "Resource": "*"}
    return {"Version": "2012-10-17", "Statement": [statement]}


def test_the_guardrail_form_previews_what_a_new_guardrail_takes_away(org):
    page = client_for("root").get(reverse("admin:policies_guardrail_add")).content.decode()
    assert 'class="change-preview ' in page
    form = {"guardrail_name": "NoBucketDeletes", "level": "1", "document": json.dumps(deny_deletes())}
    data = {"preview_change": json.dumps({"change": "save-guardrail"})} | form
    answer = client_for("root").post(reverse("policies:change-preview"), data).content.decode()
    # Operations (james, lucas) delete any bucket, Developers (charles, mia, oliver) their dev-* buckets;
    # henry never could. That, and nothing else, is what they lose.
    names = ("charles", "henry", "james", "lucas", "mia", "oliver")
    assert [name for name in names if f">{name}</a>" in answer] == ["charles", "james", "lucas", "mia", "oliver"]
    assert set(re.findall(r"<code>([a-z]+:\w+)</code>", answer)) == {"storage:DeleteBucket"}


def test_a_guardrail_saved_after_a_stale_preview_is_refused(org):
    from policies.models import Guardrail

    form = {
        "guardrail_name": "NoBucketDeletes",
        "level": "1",
        "description": "",
        "document": json.dumps(deny_deletes()),
    }
    response = client_for("root").post(
        reverse("admin:policies_guardrail_add"), form | {"preview_generation": "9"}, follow=True
    )
    assert "The preview is stale; preview again." in response.content.decode()
    assert not Guardrail.objects.filter(guardrail_name="NoBucketDeletes").exists()


def no_object_deletes(org):
    """A guardrail denying storage:DeleteObject to everyone: deleting it gives that back."""
    from policies import services

    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "storage:DeleteObject", "Resource": "*"}],
    }
    return services.save_guardrail(guardrail_name="KeepObjects", document=document, actor=None)[0]


def test_the_guardrail_deletion_confirmation_previews_who_gains_what(org):
    guardrail = no_object_deletes(org)
    text = client_for("root").get(reverse("admin:policies_guardrail_delete", args=[guardrail.pk])).content.decode()
    assert 'class="change-preview ' in text
    change = {"change": "delete-guardrail", "guardrail_name": "KeepObjects"}
    assert json.dumps(change).replace('"', "&quot;") in text
    answer = client_for("root").post(reverse("policies:change-preview"), {"preview_change": json.dumps(change)})
    answer = answer.content.decode()
    # Operations delete objects anywhere but production, Developers in their dev-* buckets: each gains that back.
    names = ("charles", "henry", "james", "lucas", "mia", "oliver")
    assert [name for name in names if f">{name}</a>" in answer] == ["charles", "james", "lucas", "mia", "oliver"]
    assert set(re.findall(r"<code>([a-z]+:\w+)</code>", answer)) == {"storage:DeleteObject"}
    assert "loses </span>" not in answer


def test_a_guardrail_deleted_after_a_stale_preview_is_refused(org):
    from policies.models import Guardrail

    guardrail = no_object_deletes(org)
    url = reverse("admin:policies_guardrail_delete", args=[guardrail.pk])
    response = client_for("root").post(url, {"post": "yes", "preview_generation": "3"}, follow=True)
    assert "Nothing was changed: The preview is stale; preview again." in response.content.decode()
    assert Guardrail.objects.filter(guardrail_name="KeepObjects").exists()


def test_the_policy_deletion_confirmation_previews_it_and_refuses_a_stale_save(org):
    from policies import services
    from policies.models import ManagedPolicy

    policy, _ = services.create_policy(policy_name="Spare", document=deny_deletes(), actor=None)
    url = reverse("admin:policies_managedpolicy_delete", args=[policy.pk])
    text = client_for("root").get(url).content.decode()
    assert json.dumps({"change": "delete-policy", "policy": policy.arn}).replace('"', "&quot;") in text
    response = client_for("root").post(url, {"post": "yes", "preview_generation": "3"}, follow=True)
    assert "Nothing was changed: The preview is stale; preview again." in response.content.decode()
    assert ManagedPolicy.objects.filter(policy_name="Spare").exists()


def test_the_admin_refuses_to_delete_a_policy_in_use_and_its_preview_says_why(org):
    change = {"change": "delete-policy", "policy": org.policies["OperationsStorageAccess"].arn}
    answer = client_for("root").post(reverse("policies:change-preview"), {"preview_change": json.dumps(change)})
    assert "This change would be refused: " in answer.content.decode()
    assert "detach it everywhere before deleting it" in answer.content.decode()
