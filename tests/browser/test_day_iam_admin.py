"""The IAM administrator's day in Chromium: a new user created with groups, a boundary and a
generated password shown once; a policy attached after the console's question; MFA required;
and a decision of the policy check read down to its near misses. At desktop and phone widths."""

import pytest
from playwright.sync_api import expect

from identities.models import Membership, User
from policies.models import PermissionBoundary, PolicyAttachment
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 860}
PHONE = {"width": 390, "height": 844}


def both_widths(page, screenshot, name: str) -> None:
    page.set_viewport_size(PHONE)
    screenshot(f"{name}-390")
    page.set_viewport_size(DESKTOP)
    screenshot(f"{name}-1366")


def test_the_administrator_onboards_a_developer_and_checks_what_they_may_do(page, screenshot, org, csp_violations):
    page.set_viewport_size(DESKTOP)
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.goto("/users/")
    page.get_by_role("link", name="Create user").click()
    page.get_by_label("User name").fill("nora")
    page.get_by_label("Generate a password (shown once)").check()
    expect(page.get_by_label("Require a new password at next sign-in")).to_be_checked()
    page.get_by_label("Groups").fill("Developers")
    page.get_by_label("Permission boundary").select_option(label="DevelopersStorageAccess")
    both_widths(page, screenshot, "day-iam-admin-create")
    page.get_by_role("button", name="Create user").click()

    shown = page.locator("#generated-password")
    expect(shown).to_be_visible()
    expect(
        page.get_by_text("User nora was created in Developers under the boundary DevelopersStorageAccess.")
    ).to_be_visible()
    password = shown.inner_text()
    nora = User.objects.get(username="nora")
    assert nora.check_password(password) and nora.password_reset_required
    assert list(Membership.objects.filter(user=nora).values_list("group__group_name", flat=True)) == ["Developers"]
    assert PermissionBoundary.objects.get(user=nora).policy.policy_name == "DevelopersStorageAccess"
    both_widths(page, screenshot, "day-iam-admin-password-once")
    page.reload()
    expect(page.locator("#generated-password")).to_have_count(0)
    assert password not in page.content()

    page.get_by_role("link", name="nora").first.click()
    expect(page.locator("#user-groups")).to_contain_text("Developers")
    fragment = page.locator("#identity-policies")
    expect(fragment.locator("#boundary-heading")).to_be_visible()
    fragment.get_by_label("Managed policy to attach").select_option(label="IAMFullAccess (built-in)")
    fragment.get_by_role("button", name="Attach", exact=True).click()
    question = page.locator("#power-question")
    expect(question).to_contain_text("This gives nora iam:*")
    assert not PolicyAttachment.objects.filter(user=nora, policy__policy_name="IAMFullAccess").exists()
    question.get_by_role("button", name="Confirm: attach").click()
    expect(page.get_by_text("IAMFullAccess is attached to nora.")).to_be_visible()
    assert PolicyAttachment.objects.filter(user=nora, policy__policy_name="IAMFullAccess").exists()
    both_widths(page, screenshot, "day-iam-admin-user-page")

    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Require MFA").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("User nora was saved.")).to_be_visible()
    expect(page.locator(".summary-list")).to_contain_text("required")
    assert User.objects.get(pk=nora.pk).mfa_required

    page.get_by_role("link", name="Policy check").first.click()
    page.get_by_label("Principal", exact=True).fill("nora")
    page.get_by_label("Actions").fill("storage:PutObject")
    page.get_by_label("Resources").fill("arn:aws:storage:::production-data/report.csv")
    page.get_by_role("button", name="Check").click()
    row = page.locator(".result-row").first
    expect(row.locator(".badge")).to_have_text("Implicitly denied")
    row.locator("summary").first.click()
    miss = row.locator(".near-miss", has_text="DevBuckets").first
    expect(miss.locator(".missed-resource")).to_contain_text("only on arn:aws:storage:::dev-*")
    bounded = row.locator(".near-miss", has_text="(permission boundary)")
    expect(bounded.locator(".missed-resource")).to_contain_text("only on arn:aws:storage:::dev-*")
    both_widths(page, screenshot, "day-iam-admin-near-misses")
