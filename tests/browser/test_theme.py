"""Dark mode in Chromium: the page follows the system's colour scheme until the navigation's
toggle chooses another, which a reload keeps; choosing the system's own again forgets it."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def theme(page) -> str:
    return page.evaluate("() => document.documentElement.dataset.bsTheme")


def stored(page):
    return page.evaluate("() => window.localStorage.getItem('iamconsole-theme')")


def test_the_theme_follows_the_systems_colour_scheme(page, org):
    page.emulate_media(color_scheme="dark")
    page.goto("/sign-in/")
    assert theme(page) == "dark"
    page.emulate_media(color_scheme="light")  # a change of the system's setting, while the page is open
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "light")
    page.reload()
    assert theme(page) == "light"


def test_the_toggle_is_remembered_across_a_reload(page, org):
    page.emulate_media(color_scheme="light")
    sign_in(page, "mia", TEST_PASSWORD)
    toggle = page.get_by_role("button", name="Dark mode")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert stored(page) == "dark"

    page.reload()
    assert theme(page) == "dark"
    page.goto("/account/")
    assert theme(page) == "dark"
    expect(page.get_by_role("button", name="Dark mode")).to_have_attribute("aria-pressed", "true")

    page.get_by_role("button", name="Dark mode").click()  # back to what the system prefers
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "light")
    assert stored(page) is None
    page.emulate_media(color_scheme="dark")
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
