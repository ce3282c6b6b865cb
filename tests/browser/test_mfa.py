"""A user enrols a virtual MFA device, then signs in with a code (Playwright, Debian's Chromium)."""

import pytest
from playwright.sync_api import expect

from identities import mfa
from identities.models import User
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD
from tests.identities.signin_helpers import code_from_secret

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_mia_enrols_a_virtual_mfa_device_and_signs_in_with_a_code(page, screenshot, org):
    sign_in(page, "mia", TEST_PASSWORD)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="My account").click()
    page.get_by_role("heading", name="My account").wait_for()
    screenshot("account-detail")
    page.get_by_role("link", name="Set up MFA").click()
    page.get_by_role("button", name="Set up a virtual MFA device").click()
    expect(page.get_by_role("img", name="QR code holding the secret of your new MFA device")).to_be_visible()
    secret = page.locator("#mfa-secret").inner_text()
    screenshot("mfa-enrol-qr")
    page.get_by_label("MFA code").fill("000000" if code_from_secret(secret) != "000000" else "111111")
    page.get_by_role("button", name="Enable MFA device").click()
    expect(page.get_by_text("That code is not right.")).to_be_visible()
    screenshot("mfa-enrol-wrong-code")
    page.get_by_label("MFA code").fill(code_from_secret(secret))
    page.get_by_role("button", name="Enable MFA device").click()
    expect(page.get_by_text("Your MFA device is enabled.")).to_be_visible()
    screenshot("mfa-enrol-enabled")
    assert mfa.confirmed_device(User.objects.get(username="mia")) is not None

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "mia", TEST_PASSWORD)
    page.get_by_role("heading", name="Multi-factor authentication").wait_for()
    screenshot("sign-in-mfa-code")
    page.get_by_label("MFA code").fill(code_from_secret(secret, steps_ahead=1))
    page.get_by_role("button", name="Verify and sign in").click()
    page.get_by_role("heading", name="Dashboard").wait_for()
    page.goto("/account/mfa/")
    expect(page.get_by_role("button", name="Remove MFA device")).to_be_visible()


def test_the_enrolment_page_fits_a_phone(page, screenshot, org):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "mia", TEST_PASSWORD)
    page.goto("/account/mfa/")
    page.get_by_role("button", name="Set up a virtual MFA device").click()
    expect(page.get_by_label("MFA code")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot("mfa-enrol-phone")


def test_the_change_password_page_shows_the_policy(page, screenshot, org):
    sign_in(page, "mia", TEST_PASSWORD)
    page.goto("/account/password/")
    expect(page.get_by_text("At least 8 characters.")).to_be_visible()
    page.get_by_label("Current password").fill(TEST_PASSWORD)
    page.get_by_label("New password*", exact=True).fill("short")
    page.get_by_label("New password again").fill("short")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("The password must be at least 8 characters long.")).to_be_visible()
    screenshot("password-change-refused")


def test_repeated_failures_show_the_lockout_page(page, screenshot, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        sign_in(page, "nobody", "wrong")
    expect(page.get_by_role("heading", name="Too many failed sign-in attempts")).to_be_visible()
    screenshot("sign-in-locked-out")
