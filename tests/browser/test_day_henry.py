"""Henry's day in Chromium (in no group, assigned no role: SelfService alone), at desktop and
phone widths: his access on the dashboard, his account with its dates in UTC, and a new
password whose refusal is said at the field."""

import re

import pytest
from playwright.sync_api import expect

from identities.models import User
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")


def test_henry_sees_his_access_and_his_account(page, screenshot, org):
    page.set_viewport_size(DESKTOP)
    sign_in(page, "henry", TEST_PASSWORD)
    own = page.locator("section", has=page.get_by_role("heading", name="Your access"))
    expect(own).to_contain_text("None: ask an administrator to add you to your team's group.")
    screenshot("day-henry-dashboard-1366")
    own.get_by_role("link", name="My account").click()
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    expect(page.locator("dd", has_text=STAMP).first).to_be_visible()
    screenshot("day-henry-account-1366")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot("day-henry-account-390")


def test_henry_changes_his_password_and_a_refusal_is_said_at_the_field(page, screenshot, org):
    page.set_viewport_size(PHONE)
    sign_in(page, "henry", TEST_PASSWORD)
    page.goto("/account/password/")
    page.get_by_label("Current password").fill(TEST_PASSWORD)
    page.locator("#id_new_password").fill("short")
    page.get_by_label("New password again").fill("short")
    page.get_by_role("button", name="Change password").click()
    field = page.locator("#id_new_password")
    expect(field).to_have_attribute("aria-invalid", "true")
    error = page.locator(f"#{field.get_attribute('aria-describedby')}")
    expect(error).to_have_text("The password must be at least 8 characters long.")
    screenshot("day-henry-password-refused-390")
    assert User.objects.get(username="henry").check_password(TEST_PASSWORD)
    page.get_by_label("Current password").fill(TEST_PASSWORD)
    field.fill("a-much-longer-pass-42")
    page.get_by_label("New password again").fill("a-much-longer-pass-42")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password was changed.")).to_be_visible()
    page.set_viewport_size(DESKTOP)
    screenshot("day-henry-password-changed-1366")
    assert User.objects.get(username="henry").check_password("a-much-longer-pass-42")
