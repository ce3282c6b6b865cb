"""A change the admin's form finds valid but a service refuses (a guardrail that would lock
the root user out, a quota) is shown again with the refusal: never a server error, nothing
changed."""

import json

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from policies.models import Guardrail, PolicyAttachment
from tests.admin_forms import admin_form_data
from tests.clients import signed_in
from tests.documents import deny

pytestmark = pytest.mark.django_db


def _refusals(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_a_guardrail_that_would_lock_root_out_is_refused_on_its_page(org):
    guardrail = Guardrail.objects.get(guardrail_name="FullAccess")
    before = guardrail.document
    client, url = signed_in(org.root), reverse("admin:policies_guardrail_change", args=[guardrail.pk])
    fields = {"guardrail_name": "FullAccess", "description": "", "level": "1", "document": json.dumps(deny("iam:*"))}
    response = client.post(url, admin_form_data(client, url, fields))
    assert (response.status_code, response["Location"]) == (302, url)
    assert any("Nothing was changed" in text and "account root user" in text for text in _refusals(response))
    assert Guardrail.objects.get(pk=guardrail.pk).document == before


def test_an_attachment_over_the_quota_is_refused_on_the_users_page(org, settings):
    settings.IAM_MAX_ATTACHED_POLICIES = 1  # henry has SelfService attached already
    client, url = signed_in(org.iam_admin), reverse("admin:identities_user_change", args=[org.henry.pk])
    fields = {"username": "henry", "path": "/", "tags": "", "is_active": "on"}
    reader = org.policies["ReadOnlyAccess"]
    response = client.post(url, admin_form_data(client, url, fields, {"policyattachment": [{"policy": reader.pk}]}))
    assert response.status_code == 302
    assert any("Nothing was changed" in text and "the most allowed" in text for text in _refusals(response))
    assert list(PolicyAttachment.objects.filter(user=org.henry).values_list("policy__policy_name", flat=True)) == [
        "SelfService"
    ]
