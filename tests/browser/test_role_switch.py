import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_mia_switches_into_her_assigned_role_and_back(page, screenshot, org):
    sign_in(page, "mia", TEST_PASSWORD)
    page.get_by_role("link", name="Switch role").click()
    release = page.get_by_role("region", name="ReleaseManager")
    release.get_by_label("Session length for ReleaseManager").select_option(label="15 minutes")
    screenshot("role-switch-form")
    release.get_by_role("button", name="Switch to ReleaseManager").click()
    banner = page.get_by_role("status").filter(has_text="Acting as role")
    expect(banner).to_contain_text("ReleaseManager")
    expect(banner).to_contain_text("minutes left")
    screenshot("role-switch-acting")
    # The dashboard's "Your access" is the role's now, not mia's groups and roles.
    page.get_by_role("link", name="Dashboard").click()
    access = page.locator("section", has=page.get_by_role("heading", name="Your access: role ReleaseManager"))
    expect(access).to_contain_text("ShipReleases")
    expect(access).to_contain_text("assumed-role/ReleaseManager/mia")
    expect(access).not_to_contain_text("Developers")
    for width, size in (("1366", {"width": 1366, "height": 900}), ("390", {"width": 390, "height": 844})):
        page.set_viewport_size(size)
        screenshot(f"role-switch-dashboard-{width}")
    banner.get_by_role("button", name="Switch back").click()
    expect(page.get_by_text("Acting as role")).to_have_count(0)
    expect(page.get_by_text("You left ReleaseManager and act as yourself again.")).to_be_visible()
    screenshot("role-switch-back")


def test_a_service_user_sees_a_readable_refusal(page, screenshot, org):
    sign_in(page, "henry", TEST_PASSWORD)
    response = page.goto("/admin/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="You are not allowed to do this")).to_be_visible()
    screenshot("refused-page")
