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
    expect(first.get_by_role("link", name="policy ReadOnlyAccess (version 1)").first).to_be_visible()
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


DESKTOP = {"width": 1366, "height": 860}
PHONE = {"width": 390, "height": 844}


def test_the_administrator_reads_the_near_misses_of_a_refusal(page, screenshot, org, csp_violations):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.set_viewport_size(DESKTOP)
    page.get_by_role("link", name="Policy check").click()
    page.get_by_label("Principal", exact=True).fill("charles")
    page.get_by_label("Actions").fill("storage:PutObject\nstorage:GetObject")
    page.get_by_label("Resources").fill("arn:aws:storage:::production-data/report.csv")
    page.get_by_role("button", name="Check").click()
    first = page.locator(".result-row").first
    expect(first.locator(".badge")).to_have_text("Implicitly denied")
    page.get_by_role("button", name="Expand all").click()
    expect(page.locator(".result-row").nth(1).locator(".explanation")).to_be_visible()
    expect(first.get_by_text("No policy of charles allows storage:PutObject")).to_be_visible()
    miss = first.locator(".near-miss", has_text="DevBuckets")
    expect(miss.locator(".missed-resource")).to_contain_text("only on arn:aws:storage:::dev-*")
    expect(miss.get_by_role("link", name="policy DevelopersStorageAccess (version 1)")).to_be_visible()
    screenshot("policy-check-near-misses-1366")
    page.set_viewport_size(PHONE)
    screenshot("policy-check-near-misses-390")
    miss.get_by_role("link", name="policy DevelopersStorageAccess (version 1)").click()
    expect(page.get_by_role("heading", name="DevelopersStorageAccess")).to_be_visible()


def test_who_can_refuses_a_made_up_action_and_answers_a_real_one(page, screenshot, org, csp_violations):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.set_viewport_size(DESKTOP)
    page.goto("/who-can/?action=storage%3AFrobnicate&resource=banana")
    expect(page.get_by_text("storage:Frobnicate is not an action of the catalogue.")).to_be_visible()
    expect(page.get_by_text("Give the resource as an ARN")).to_be_visible()
    screenshot("who-can-refused-1366")
    page.get_by_label("Action").fill("storage:PutObject")
    page.get_by_label("Resource").fill("arn:aws:storage:::production-data/releases/v1.zip")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#root-standing")).to_contain_text("beyond every IAM policy")
    expect(page.get_by_role("link", name="arn:aws:iam::123456789012:user/lucas")).to_be_visible()
    screenshot("who-can-1366")
    page.set_viewport_size(PHONE)
    screenshot("who-can-390")


def test_what_can_summarises_and_expands(page, screenshot, org, csp_violations):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.set_viewport_size(DESKTOP)
    page.goto("/what-can/?kind=user&principal=mia")
    storage = page.locator(".what-can-service", has_text="storage").first
    expect(storage.locator("summary")).to_contain_text("10 of 10 actions")
    screenshot("what-can-1366")
    page.get_by_role("button", name="Expand all").click()
    expect(storage.get_by_text("via group Developers").first).to_be_visible()
    screenshot("what-can-expanded-1366")
    page.set_viewport_size(PHONE)
    screenshot("what-can-expanded-390")
