"""dev-admin's day in Chromium: a service administrator who lists users and groups and manages
Developers' members only. Every row it may not open is plain text, not a link; a change in place
works where it may make it; a page it may read but not change answers with the console's 403.
Each page is looked at at 1366 and 390 px."""

import pytest
from playwright.sync_api import expect

from identities.models import Group
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"1366": {"width": 1366, "height": 900}, "390": {"width": 390, "height": 844}}


def _at_both_widths(page, screenshot, name: str) -> None:
    for width, size in WIDTHS.items():
        page.set_viewport_size(size)
        screenshot(f"day-dev-admin-{name}-{width}")
    page.set_viewport_size(WIDTHS["1366"])


def test_dev_admin_follows_only_links_it_may_open_and_meets_the_consoles_403(page, screenshot, org):
    sign_in(page, "dev-admin", TEST_PASSWORD)

    # The dashboard lists the users in no group; dev-admin may list users but open none of them.
    no_group = page.locator("section", has=page.get_by_role("heading", name="Users in no group"))
    expect(no_group.get_by_text("henry", exact=True)).to_be_visible()
    expect(no_group.get_by_role("link", name="henry")).to_have_count(0)
    _at_both_widths(page, screenshot, "dashboard")

    # The users list: every user shown, only dev-admin's own page linked (SelfService reads it).
    page.goto("/users/")
    rows = page.locator("table tbody")
    expect(rows.get_by_text("mia", exact=True)).to_be_visible()
    expect(rows.get_by_role("link", name="mia")).to_have_count(0)
    expect(rows.get_by_role("link")).to_have_count(1)
    expect(rows.get_by_role("link", name="dev-admin")).to_be_visible()
    _at_both_widths(page, screenshot, "users")

    # The groups list: Developers opens, Operations is only its name.
    page.goto("/groups/")
    rows = page.locator("table tbody")
    expect(rows.get_by_text("Operations", exact=True)).to_be_visible()
    expect(rows.get_by_role("link", name="Operations")).to_have_count(0)
    rows.get_by_role("link", name="Developers").click()

    # Developers: henry is added in place; its members are not links (dev-admin opens no user).
    page.get_by_text("Or type user names").click()
    page.get_by_label("User names, one a line or separated by commas").fill("henry")
    page.get_by_role("button", name="Add selected").click()
    members = page.locator("#member-table tbody")
    expect(members).to_contain_text("henry")
    expect(members.get_by_role("link")).to_have_count(0)
    _at_both_widths(page, screenshot, "developers")

    # Developers' settings: readable, not changeable: the console's 403, with the check it may run.
    developers = Group.objects.get(group_name="Developers")
    page.goto(f"/groups/{developers.pk}/edit/")
    expect(page.get_by_role("heading", name="You are not allowed to do this")).to_be_visible()
    expect(page.locator(".refusal-card")).to_contain_text("iam:UpdateGroup")
    expect(page.get_by_role("link", name="Check this request")).to_be_visible()
    _at_both_widths(page, screenshot, "403")
