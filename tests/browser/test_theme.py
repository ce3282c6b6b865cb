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


WIDTHS = {"1366": {"width": 1366, "height": 860}, "390": {"width": 390, "height": 844}}


def shoot_both_themes(page, screenshot, name: str) -> None:
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width, viewport in WIDTHS.items():
            page.set_viewport_size(viewport)
            expect(page.locator("html")).to_have_attribute("data-bs-theme", scheme)
            screenshot(f"theme-{name}-{scheme}-{width}")


def test_the_main_pages_in_both_themes_at_two_widths(page, screenshot, org):
    from datetime import timedelta

    from django.utils import timezone

    from identities.audit import batched_counts, count_decisions
    from policies.models import ManagedPolicy

    today = timezone.now().date()
    for offset in range(30):
        outcomes = ["Allow"] * (offset * 7 % 23 + 3) + ["ExplicitDeny"] * (offset % 3) + ["ImplicitDeny"] * (offset % 5)
        count_decisions(outcomes, day=today - timedelta(days=offset))
    batched_counts.flush()

    sign_in(page, "mia", TEST_PASSWORD)
    page.goto("/policies/")  # a refusal for her home to show
    page.goto("/")
    expect(page.get_by_role("region", name="What you were refused lately")).to_contain_text("ListPolicies")
    shoot_both_themes(page, screenshot, "home-mia")

    page.set_viewport_size(WIDTHS["1366"])
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "iam-admin", TEST_PASSWORD)
    expect(page.get_by_role("region", name="Decisions")).to_be_visible()
    shoot_both_themes(page, screenshot, "home-iam-admin")
    page.goto(f"/users/{org.mia.pk}/")
    expect(page.get_by_role("heading", name="Effective permissions", exact=True)).to_be_visible()
    shoot_both_themes(page, screenshot, "user-mia")
    page.goto(f"/policies/{ManagedPolicy.objects.get(policy_name='DevelopersStorageAccess').pk}/")
    expect(page.locator(".json-key").first).to_be_visible()
    shoot_both_themes(page, screenshot, "policy")
