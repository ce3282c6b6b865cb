"""Mia's day in Chromium: she finds her security credentials from the dashboard, creates an
access key, reloads the page that showed it (still one key), and ends another browser's session
of hers, which is signed out at its next request."""

import pytest
from playwright.sync_api import expect

from identities.credentials import AccessKey, ConsoleSession
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DESKTOP, PHONE = {"width": 1366, "height": 860}, {"width": 390, "height": 844}


def test_mia_finds_her_credentials_keeps_one_key_and_ends_another_session(page, browser, live_server, screenshot, org):
    other = browser.new_context(base_url=live_server.url, user_agent="Mia's old laptop")
    try:
        laptop = other.new_page()
        sign_in(laptop, "mia", TEST_PASSWORD)
        expect(laptop.get_by_role("heading", name="Dashboard")).to_be_visible()

        page.set_viewport_size(DESKTOP)
        sign_in(page, "mia", TEST_PASSWORD)
        screenshot("mia-dashboard-1366")
        page.get_by_role("region", name="Your access").get_by_role("link", name="Security credentials").click()
        expect(page.get_by_role("heading", name="Your security credentials")).to_be_visible()
        sessions = page.get_by_role("region", name="Console sessions").locator("tbody tr")
        expect(sessions).to_have_count(2)
        expect(sessions.filter(has_text="this session")).to_have_count(1)

        page.get_by_role("link", name="Manage access keys").click()
        page.get_by_role("button", name="Create access key").click()
        expect(page.get_by_role("alert").filter(has_text="New access key created")).to_be_visible()
        page.reload()
        expect(page.get_by_text("New access key created")).to_have_count(0)
        expect(page.locator("tbody tr")).to_have_count(1)
        assert AccessKey.objects.filter(user=org.mia).count() == 1

        page.goto("/users/mia/security-credentials/")
        key = AccessKey.objects.get(user=org.mia)
        expect(page.get_by_role("region", name="Access keys").get_by_text(key.key_id)).to_be_visible()
        screenshot("mia-security-credentials-1366")

        old = sessions.filter(has_text="Mia's old laptop")
        page.once("dialog", lambda dialog: dialog.accept())
        old.get_by_role("button", name="End session").click()
        expect(page.get_by_text("was ended.")).to_be_visible()
        expect(sessions).to_have_count(1)
        page.set_viewport_size(PHONE)
        screenshot("mia-security-credentials-390")

        laptop.reload()
        expect(laptop.get_by_text("This session was ended from its security credentials page.")).to_be_visible()
        expect(laptop.get_by_label("User name")).to_be_visible()
        assert ConsoleSession.objects.filter(user=org.mia, ended_at__isnull=True).count() == 1
    finally:
        other.close()
