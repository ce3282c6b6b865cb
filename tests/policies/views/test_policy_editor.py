"""The policy editor's banner (the create page and a policy's new version): after a refused save
it names the document's errors in a person's words, with the finding's code secondary, and the
live check sends it again, so it follows what the panel shows; actions are named as written."""

import json
import re

import pytest
from django.urls import reverse

from policies.models import ManagedPolicy
from tests.clients import client_for
from tests.documents import allow

pytestmark = pytest.mark.django_db

BROKEN = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "GetObject", "Resource": "*"}]}
)
FIXED = json.dumps(allow("storage:GetObject", "arn:aws:storage:::dev-app/*"))
MISSPELT = json.dumps(allow(["Storage:GetObjectt", "IAM:GetUser"]))


def _banner(html: str) -> str:
    return re.search(r'<div id="document-banner"[^>]*>.*?</div>\s*(?=<|$)', html, re.S).group(0)


def _create(client, document: str):
    return client.post(reverse("policies:policy-create"), {"policy_name": "Broken", "path": "/", "document": document})


def test_a_refused_save_names_each_error_in_words_with_its_code_secondary(org):
    response = _create(client_for("iam-admin"), BROKEN)
    assert response.status_code == 400
    banner = _banner(response.content.decode())
    assert "Not created: the document has an error. Nothing was changed." in banner
    assert "&#x27;GetObject&#x27; is not service:Action or * (line 1, column " in banner
    assert "Statement[0].Action)." in banner
    assert '<span class="text-body-secondary">(BAD_ACTION)</span>' in banner
    assert "ERROR BAD_ACTION at" not in response.content.decode()
    assert not ManagedPolicy.objects.filter(policy_name="Broken").exists()


def test_after_a_refused_save_the_editor_asks_the_live_check_for_the_banner_too(org):
    html = _create(client_for("iam-admin"), BROKEN).content.decode()
    assert """hx-vals='{"banner": "created"}'""" in html
    fresh = client_for("iam-admin").get(reverse("policies:policy-create")).content.decode()
    assert "hx-vals" not in fresh and '<div id="document-banner">\n\n</div>' in fresh


def test_the_live_check_clears_the_banner_once_the_errors_are_gone(org):
    response = client_for("iam-admin").post(
        reverse("policies:policy-validate"), {"document": FIXED, "banner": "created"}
    )
    banner = _banner(response.content.decode())
    assert banner.startswith('<div id="document-banner" hx-swap-oob="true">')
    assert "alert" not in banner


def test_the_live_check_shows_the_errors_of_the_document_as_typed_now(org):
    other = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*"}]})
    response = client_for("iam-admin").post(reverse("policies:policy-validate"), {"document": other, "banner": "saved"})
    banner = _banner(response.content.decode())
    assert "Not saved:" in banner and "GetObject" not in banner
    assert banner.count("<li>") == len(re.findall(r"<strong>Error</strong>", response.content.decode()))


def test_the_live_check_sends_no_banner_unless_a_save_was_refused(org):
    plain = client_for("iam-admin").post(reverse("policies:policy-validate"), {"document": BROKEN})
    forged = client_for("iam-admin").post(reverse("policies:policy-validate"), {"document": BROKEN, "banner": "<b>x"})
    for response in (plain, forged):
        assert response.status_code == 200
        assert "document-banner" not in response.content.decode()


def test_findings_name_actions_as_the_document_writes_them(org):
    response = client_for("iam-admin").post(reverse("policies:policy-validate"), {"document": MISSPELT})
    messages = [finding.message for finding in response.context["findings"]]
    assert any("'Storage:GetObjectt'" in message for message in messages), messages
    assert not any("storage:getobjectt" in message for message in messages)


def test_a_new_versions_banner_follows_the_same_rules(org):
    policy = ManagedPolicy.objects.get(policy_name="DevelopersStorageAccess")
    client = client_for("iam-admin")
    page = client.get(reverse("policies:policy-detail", args=[policy.pk]))
    based_on = page.context["form"]["based_on"].value()
    response = client.post(
        reverse("policies:policy-version-create", args=[policy.pk]), {"document": BROKEN, "based_on": based_on}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Not saved: the document has an error. Nothing was changed." in _banner(html)
    assert """hx-vals='{"banner": "saved"}'""" in html
