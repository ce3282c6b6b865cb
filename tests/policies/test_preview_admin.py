"""The admin's deletion confirmation of users, groups and roles carries the change preview, and
the deletion refuses a stale one (identities.admin.base.ServiceBackedAdmin)."""

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
