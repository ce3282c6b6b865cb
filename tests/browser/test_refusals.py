"""dev-admin in Chromium: the lists link only the pages it may open, and a page it may read but
not change answers with the console's 403, naming the action and linking its policy check."""

import pytest
from playwright.sync_api import expect

from identities.models import Group
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("width", WIDTHS, ids=list(WIDTHS))
def test_dev_admin_meets_only_links_it_may_follow_and_the_consoles_403(page, screenshot, org, width):
    page.set_viewport_size(WIDTHS[width])
    sign_in(page, "dev-admin", TEST_PASSWORD)
    page.goto("/groups/")
    table = page.locator("table tbody")
    expect(table.get_by_role("link")).to_have_count(1)
    expect(table.get_by_role("link", name="Developers")).to_be_visible()
    expect(table.get_by_text("Operations", exact=True)).to_be_visible()
    screenshot(f"refusals-groups-{width}")

    table.get_by_role("link", name="Developers").click()
    members = page.locator("#member-table tbody")
    expect(members).to_contain_text("mia")
    expect(members.get_by_role("link")).to_have_count(0)
    screenshot(f"refusals-members-{width}")

    developers = Group.objects.get(group_name="Developers")
    page.goto(f"/groups/{developers.pk}/edit/")
    expect(page.get_by_role("heading", name="You are not allowed to do this")).to_be_visible()
    expect(page.locator(".refusal-card")).to_contain_text(
        "Your policies do not allow iam:UpdateGroup on arn:aws:iam::123456789012:group/Developers."
    )
    screenshot(f"refusals-403-{width}")
    page.get_by_role("link", name="Check this request").click()
    expect(page.get_by_label("Actions")).to_have_value("iam:UpdateGroup")
    screenshot(f"refusals-policy-check-{width}")

    page.goto(f"/users/{org.mia.pk}/")
    expect(page.get_by_role("heading", name="No such page")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("URLconf")
    screenshot(f"refusals-404-{width}")
