"""Charles's day in Chromium (a developer, also in AuditTeam), at desktop and phone widths:
what he may do, a refusal explained with its near miss, and the console's 403 naming the action."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
REPORT = "arn:aws:storage:::production-data/report.csv"


def test_charles_checks_what_he_may_do_and_reads_why_a_put_is_denied(page, screenshot, org):
    page.set_viewport_size(DESKTOP)
    sign_in(page, "charles", TEST_PASSWORD)
    own = page.locator("section", has=page.get_by_role("heading", name="Your access"))
    expect(own).to_contain_text("AuditTeam, Developers")
    own.get_by_role("link", name="What can I do?").click()
    storage = page.locator(".what-can-service", has_text="storage").first
    expect(storage).to_be_visible()
    screenshot("day-charles-what-can-1366")
    page.goto(f"/policy-check/?kind=user&principal=charles&actions=storage%3APutObject&resources={REPORT}&context=")
    row = page.locator(".result-row").first
    expect(row.locator(".badge")).to_have_text("Implicitly denied")
    row.locator(":scope > summary").click()
    expect(row.get_by_text("No policy of charles allows storage:PutObject")).to_be_visible()
    expect(row.locator(".near-miss", has_text="DevBuckets").locator(".missed-resource")).to_contain_text(
        "only on arn:aws:storage:::dev-*"
    )
    screenshot("day-charles-explained-deny-1366")
    page.set_viewport_size(PHONE)
    # The resource's ARN breaks between its parts, never inside production-data.
    assert "production-data/<wbr>report.csv" in row.locator(":scope > summary code.arn").inner_html()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot("day-charles-explained-deny-390")


def test_charles_may_read_a_group_but_not_change_it_and_is_told_which_action(page, screenshot, org):
    page.set_viewport_size(PHONE)
    sign_in(page, "charles", TEST_PASSWORD)
    page.goto(f"/groups/{org.groups['Developers'].pk}/")
    expect(page.get_by_role("heading", name="Developers", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    # AuditTeam reads the trail, so the group's recent history is shown, stacked to fit the phone.
    expect(page.locator("#recent-events-heading")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot("day-charles-group-390")
    page.goto(f"/groups/{org.groups['Developers'].pk}/edit/")
    expect(page.get_by_role("heading", name="You are not allowed to do this")).to_be_visible()
    expect(page.locator(".refusal-card")).to_contain_text("iam:UpdateGroup")
    screenshot("day-charles-refused-390")
    page.get_by_role("link", name="Check this request").click()
    expect(page.locator(".result-row").first.locator(".badge")).to_have_text("Implicitly denied")
    page.set_viewport_size(DESKTOP)
    screenshot("day-charles-refusal-checked-1366")
