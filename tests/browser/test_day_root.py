"""Root's day in Chromium, at desktop and phone widths: the account's state on the dashboard,
the audit trail readable on a phone, the admin's times as the console writes them, and a user
added to a group through the typeahead."""

import re

import pytest
from playwright.sync_api import expect

from identities.models import Membership
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$")


def test_root_sees_the_accounts_state_and_reads_the_trail_on_a_phone(page, screenshot, org):
    page.set_viewport_size(DESKTOP)
    sign_in(page, "root", TEST_PASSWORD)
    expect(page.get_by_role("heading", name="You are signed in as the account root user")).to_be_visible()
    expect(page.locator(".stat-card").first).to_contain_text("users")
    screenshot("day-root-dashboard-1366")
    page.set_viewport_size(PHONE)
    screenshot("day-root-dashboard-390")
    page.goto("/audit/")
    table = page.locator("#audit-table")
    expect(table.locator("tbody tr").first).to_be_visible()
    # Readable on a phone: the table fits the screen (no sideways scrolling) and no cell is
    # squeezed to a few letters a line.
    assert table.evaluate("table => table.scrollWidth <= table.parentElement.clientWidth")
    narrowest = table.locator("tbody tr:nth-child(-n+5) td:visible").evaluate_all(
        "cells => Math.min(...cells.map(cell => cell.getBoundingClientRect().width))"
    )
    assert narrowest > 300
    top = table.bounding_box()["y"]
    rows = {"x": 0, "y": top, "width": PHONE["width"], "height": 700}
    page.screenshot(path=str(ARTIFACTS / "day-root-audit-390-rows.png"), full_page=True, clip=rows)
    screenshot("day-root-audit-390")
    page.set_viewport_size(DESKTOP)
    screenshot("day-root-audit-1366")
    # The admin writes its times as the console does.
    page.goto("/admin/identities/user/")
    expect(page.locator("td.field-created_at").first).to_have_text(STAMP)
    screenshot("day-root-admin-users-1366")


def test_root_adds_henry_to_a_group_by_typing_part_of_its_name(page, screenshot, org):
    page.set_viewport_size(DESKTOP)
    sign_in(page, "root", TEST_PASSWORD)
    page.goto(f"/users/{org.henry.pk}/")
    picker = page.get_by_label("Add to group")
    picker.press_sequentially("velo")
    expect(page.locator("#group-picker-choices")).to_contain_text("1 group matches: Developers")
    expect(page.locator("#group-choices option")).to_have_attribute("value", "Developers")
    screenshot("day-root-group-picker-1366")
    picker.fill("Developers")
    page.locator("#user-groups").get_by_role("button", name="Add").click()
    expect(page.locator("#user-groups")).to_contain_text("henry was added to Developers.")
    assert Membership.objects.filter(user=org.henry, group__group_name="Developers").exists()
    page.set_viewport_size(PHONE)
    page.get_by_label("Assign role").press_sequentially("audit")
    expect(page.locator("#role-picker-choices")).to_contain_text("1 role matches: AuditReviewer")
    expect(page.get_by_label("Expires (UTC, optional)")).to_be_visible()
    screenshot("day-root-user-page-390")
