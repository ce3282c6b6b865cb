"""The policies pages in a real browser: the editor validates as you type and saves a new default version."""

import json

import pytest
from playwright.sync_api import expect

from identities.models import Group, User
from policies.models import ManagedPolicy
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TYPO = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Acton": "storage:GetObject", "Resource": "*"}
  ]
}"""
VALID = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Publish", "Effect": "Allow", "Action": "storage:PutObject", "Resource": "*"}],
    },
    indent=2,
)


def type_document(page, text: str) -> None:
    editor = page.get_by_label("Policy document")
    editor.fill(text)
    editor.press("End")  # htmx listens for keyup


def test_editor_shows_a_typo_at_its_line_and_saves_a_new_default(page, screenshot, org):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.get_by_role("link", name="Policies", exact=True).click()
    expect(page.get_by_role("heading", name="Managed policies")).to_be_visible()
    screenshot("policies-list")
    page.get_by_role("link", name="PublishingAccess").click()
    expect(page.get_by_role("heading", name="Versions (1 of 5)")).to_be_visible()
    screenshot("policy-detail")
    type_document(page, TYPO)
    finding = page.locator("#line-4 .finding").first
    expect(finding).to_contain_text("unknown element 'Acton'; did you mean 'Action'?")
    expect(page.locator("#line-3 .finding")).to_have_count(0)
    screenshot("policy-editor-typo")
    type_document(page, VALID)
    expect(page.get_by_text("No findings: the document is valid.")).to_be_visible()
    page.get_by_role("button", name="Save as new version").click()
    expect(page.get_by_text("v2 of PublishingAccess is saved.")).to_be_visible()
    expect(page.locator("#version-2 .badge")).to_have_text("default")
    expect(page.locator("#version-1 .badge")).to_have_count(0)
    screenshot("policy-saved-default")


def test_saving_a_typo_is_refused_with_its_place(page, screenshot, org):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.goto(f"/policies/{ManagedPolicy.objects.get(policy_name='PublishingAccess').pk}/")
    type_document(page, TYPO)
    page.get_by_role("button", name="Save as new version").click()
    banner = page.locator("#document-banner")
    expect(banner).to_contain_text("Not saved: the document has")
    expect(banner).to_contain_text("Unknown element 'Acton'; did you mean 'Action'? (line 4, column 25")
    expect(banner).not_to_contain_text("ERROR ")
    expect(page.locator("#line-4 .finding").first).to_contain_text("Acton")
    screenshot("policy-save-refused")
    # The banner follows the live findings: once the document is valid, it is gone.
    type_document(page, VALID)
    expect(page.get_by_text("No findings: the document is valid.")).to_be_visible()
    expect(banner.locator(".alert")).to_have_count(0)
    expect(page.locator("textarea.policy-document.is-invalid")).to_have_count(0)
    screenshot("policy-save-refused-then-fixed")


def test_other_policy_pages(page, screenshot, org):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.goto("/policies/?kind=builtin")
    screenshot("policies-list-built-in")
    page.goto("/policies/new/")
    page.get_by_label("Policy name").fill("ReadDevApp")
    type_document(page, TYPO)
    expect(page.locator("#line-4 .finding").first).to_be_visible()
    screenshot("policy-create")
    developers = ManagedPolicy.objects.get(policy_name="DevelopersStorageAccess")
    page.goto(f"/policies/{developers.pk}/delete/")
    expect(page.get_by_text("attached to group")).to_be_visible()
    # The preview, made as the page loads, names the developers who would lose the policy's grants.
    preview = page.get_by_role("region", name="What this change does")
    for name in ("charles", "mia", "oliver"):
        expect(preview.get_by_role("link", name=name)).to_be_visible()
    screenshot("policy-delete-confirm")
    page.get_by_label("Detach it from every identity").check()
    page.get_by_role("button", name="Delete policy").click()
    expect(page.get_by_text("DevelopersStorageAccess is deleted.")).to_be_visible()
    page.goto("/escalation-paths/")
    expect(page.get_by_role("heading", name="Escalation paths")).to_be_visible()
    screenshot("escalation-paths")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/policies/{ManagedPolicy.objects.get(policy_name='PublishingAccess').pk}/")
    type_document(page, TYPO)
    expect(page.locator("#line-4 .finding").first).to_be_visible()
    screenshot("policy-detail-phone")


def test_identity_fragment_in_place(page, screenshot, org):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    mia = User.objects.get(username="mia")
    page.goto(f"/users/{mia.pk}/")
    fragment = page.locator("#identity-policies")
    expect(fragment.get_by_role("heading", name="Effective permissions", exact=True)).to_be_visible()
    screenshot("user-policies-fragment")
    fragment.get_by_label("Managed policy to attach").select_option(label="PublishingAccess")
    fragment.get_by_role("button", name="Attach").click()
    expect(page.get_by_text("PublishingAccess is attached to mia.")).to_be_visible()
    expect(page).to_have_url(f"{page.url.split('/users/')[0]}/users/{mia.pk}/")
    screenshot("user-policies-attached")
    operations = Group.objects.get(group_name="Operations")
    page.goto(f"/policies/fragments/group/{operations.pk}/")
    screenshot("group-policies-page")
