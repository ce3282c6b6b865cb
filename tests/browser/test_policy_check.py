import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_checking_charles_on_an_audit_action_shows_the_deciding_statement(page, screenshot, org):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.get_by_role("link", name="Policy check").click()
    screenshot("policy-check-empty")
    page.get_by_label("Principal", exact=True).fill("charles")
    page.get_by_label("Actions").fill("iam:ListAuditEvents\nstorage:DeleteBucket")
    page.get_by_label("Resources").fill("*")
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#results")).to_be_visible()
    assert "principal=charles" in page.url
    first = page.locator(".result-row").first
    expect(first.locator(".badge")).to_have_text("Allowed")
    first.locator("summary").click()
    expect(first.get_by_text("ReadOnlyAccess v1").first).to_be_visible()
    expect(first.locator(".deciding-statement", has_text="iam:List*")).to_be_visible()
    screenshot("policy-check-charles")
    second = page.locator(".result-row").nth(1)
    expect(second.locator(".badge")).to_have_text("Implicitly denied")


def test_lucas_and_the_production_bucket(page, screenshot, org):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.goto(
        "/policy-check/?kind=user&principal=lucas&actions=storage%3ADeleteBucket"
        "&resources=arn%3Aaws%3Astorage%3A%3A%3Aproduction-data&context="
    )
    row = page.locator(".result-row").first
    expect(row.locator(".badge")).to_have_text("Explicitly denied")
    row.locator("summary").click()
    expect(row.locator(".deciding-statement")).to_contain_text("KeepProduction")
    screenshot("policy-check-lucas")
