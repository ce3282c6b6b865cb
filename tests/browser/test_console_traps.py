"""The console's traps, closed, in Chromium: no policy preselected and a question before power,
a version's deletion asked on its own page, and only the session lengths each role allows."""

import pytest
from playwright.sync_api import expect

from identities import services as identity_services
from identities.credentials import RoleSession
from policies import services
from policies.models import PermissionBoundary, PolicyAttachment, PolicyVersion
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_attaching_administrator_access_is_asked_first(page, screenshot, org):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.goto(f"/users/{org.mia.pk}/")
    fragment = page.locator("#identity-policies")
    choice = fragment.get_by_label("Managed policy to attach")
    expect(choice).to_have_value("")
    expect(choice.locator("option:checked")).to_have_text("Choose a policy…")
    screenshot("traps-attach-nothing-chosen")
    choice.select_option(label="AdministratorAccess (built-in)")
    fragment.get_by_role("button", name="Attach", exact=True).click()
    question = page.locator("#power-question")
    expect(question).to_contain_text(
        "This gives mia * (the actions of any service, IAM's included); confirm to attach AdministratorAccess."
    )
    screenshot("traps-attach-question")
    assert not PolicyAttachment.objects.filter(user=org.mia, policy__policy_name="AdministratorAccess").exists()
    question.get_by_role("button", name="Confirm: attach").click()
    expect(page.get_by_text("AdministratorAccess is attached to mia.")).to_be_visible()
    expect(page.locator("#power-question")).to_have_count(0)
    screenshot("traps-attach-confirmed")
    assert PolicyAttachment.objects.filter(user=org.mia, policy__policy_name="AdministratorAccess").exists()


def test_a_boundary_question_can_be_cancelled(page, screenshot, org):
    role = org.roles["ReleaseManager"]
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.goto(f"/roles/{role.pk}/")
    fragment = page.locator("#identity-policies")
    fragment.get_by_label("Set a boundary").select_option(label="IAMFullAccess")
    fragment.get_by_role("button", name="Set boundary").click()
    question = page.locator("#power-question")
    expect(question).to_contain_text("This boundary lets ReleaseManager's own policies give it iam:*")
    screenshot("traps-boundary-question")
    question.get_by_role("link", name="Cancel").click()
    expect(page.locator("#power-question")).to_have_count(0)
    expect(page.locator("#identity-policies").get_by_label("Set a boundary")).to_have_value("")
    assert not PermissionBoundary.objects.filter(role=role).exists()


def test_deleting_a_version_is_asked_on_a_page_showing_its_document(page, screenshot, org):
    first = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "storage:GetObject", "Resource": "*"}],
    }
    policy, _ = services.create_policy(policy_name="Publishing", document=first, actor=None)
    second = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "storage:PutObject", "Resource": "*"}],
    }
    services.create_policy_version(policy=policy, document=second, set_as_default=True, actor=None)
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.goto(f"/policies/{policy.pk}/")
    page.get_by_role("link", name="Delete v1").click()
    expect(page.get_by_role("heading", name="Delete v1 of Publishing?")).to_be_visible()
    expect(page.locator("pre.json-document")).to_contain_text("storage:GetObject")
    screenshot("traps-version-delete-confirm")
    assert PolicyVersion.objects.filter(policy=policy).count() == 2
    page.get_by_role("button", name="Delete v1").click()
    expect(page.get_by_text("v1 of Publishing is deleted.")).to_be_visible()
    assert list(PolicyVersion.objects.filter(policy=policy).values_list("number", flat=True)) == [2]


def test_each_role_offers_only_the_session_lengths_it_allows(page, screenshot, org):
    trust = org.roles["ReleaseManager"].trust_policy
    long_runner = identity_services.create_role(
        role_name="LongRunner", trust_policy=trust, max_session_duration=12 * 3600, actor=None
    )
    identity_services.assign_role(role=long_runner, user=org.mia, actor=None)
    sign_in(page, "mia", TEST_PASSWORD)
    page.goto("/roles/switch/")
    short = page.get_by_label("Session length for ReleaseManager")
    expect(short.locator("option")).to_have_text(["15 minutes", "1 hour"])
    long = page.get_by_label("Session length for LongRunner")
    expect(long.locator("option")).to_have_text(["15 minutes", "1 hour", "4 hours", "12 hours"])
    screenshot("traps-role-switch")
    long.select_option(label="12 hours")
    page.get_by_role("button", name="Switch to LongRunner").click()
    expect(page.get_by_role("status").filter(has_text="Acting as role")).to_contain_text("LongRunner")
    session = RoleSession.objects.get()
    assert round((session.expires_at - session.created_at).total_seconds()) == 12 * 3600
