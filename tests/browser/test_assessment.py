"""The assessment's findings page in Chromium, at desktop and phone widths: the findings of the
article's organisation, acknowledging one, and the dashboard's tile."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def test_the_iam_administrator_reads_and_acknowledges_a_finding(page, screenshot, org):
    page.set_viewport_size(DESKTOP)
    sign_in(page, "iam-admin", TEST_PASSWORD)
    tile = page.locator("#assessment-tile")
    expect(tile.locator('[data-severity="high"]')).to_have_text("2 high")
    screenshot("assessment-dashboard-tile-1366")
    tile.get_by_role("link", name="See the findings").click()
    findings = page.locator(".assessment-finding")
    expect(findings).to_have_count(23)
    henry = page.locator('.assessment-finding[data-check="user-in-no-group"]', has_text="henry")
    expect(henry.get_by_role("link", name="Fix on its page")).to_have_attribute("href", f"/users/{org.henry.pk}/")
    expect(page.locator('.assessment-finding[data-check="root-no-mfa"]')).to_contain_text("root user")
    screenshot("assessment-findings-1366")
    henry.locator("summary").click()
    henry.get_by_label("Reason").fill("A contractor until the end of the month.")
    henry.get_by_label("Until (UTC)").fill((timezone.now() + timedelta(days=20)).date().isoformat())
    henry.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("Acknowledged: User in no group (henry).")).to_be_visible()
    henry = page.locator('.assessment-finding[data-check="user-in-no-group"]', has_text="henry")
    expect(henry).to_contain_text("A contractor until the end of the month.")
    expect(page.locator('.assessment-count[data-severity="low"]')).to_have_text("10 low")
    screenshot("assessment-acknowledged-1366")
    page.set_viewport_size(PHONE)
    page.reload()
    expect(findings).to_have_count(23)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot("assessment-findings-390")
    # Close-ups at phone width: the page's top, and an acknowledged finding with its form open.
    page.screenshot(path=str(ARTIFACTS / "assessment-top-390.png"))
    henry = page.locator('.assessment-finding[data-check="user-in-no-group"]', has_text="henry")
    henry.locator("summary").click()
    henry.screenshot(path=str(ARTIFACTS / "assessment-acknowledged-finding-390.png"))
