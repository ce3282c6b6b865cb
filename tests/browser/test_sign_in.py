import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_root_signs_in_and_sees_the_dashboard(page, screenshot, org):
    page.goto("/")
    assert page.url.endswith("/sign-in/?next=/")
    screenshot("sign-in")
    sign_in(page, "root", TEST_PASSWORD)
    page.get_by_role("heading", name="Dashboard").wait_for()
    expect(page.get_by_text("You are signed in as the account root user")).to_be_visible()
    users_card = page.locator(".stat-card", has_text="users")
    assert users_card.locator(".display-6").inner_text() == "8"
    no_group = page.locator("section", has_text="Users in no group")
    names = [text.split()[0] for text in no_group.locator("li").all_inner_texts()]
    assert names == ["dev-admin", "henry", "iam-admin"]
    screenshot("home-root")


def test_a_user_without_list_rights_sees_their_own_access_and_only_their_links(page, screenshot, org):
    sign_in(page, "mia", TEST_PASSWORD)
    page.get_by_role("heading", name="Dashboard").wait_for()
    access = page.locator("section", has_text="Your access")
    expect(access).to_contain_text("Developers")
    expect(page.locator(".stat-card")).to_have_count(0)
    expect(page.get_by_text("Users in no group")).to_have_count(0)
    nav = page.get_by_role("navigation", name="Main navigation")
    for hidden in ("Users", "Groups", "Roles", "Policies", "Admin", "Audit"):
        expect(nav.get_by_role("link", name=hidden, exact=True)).to_have_count(0)
    expect(nav.get_by_role("link", name="Policy check", exact=True)).to_be_visible()
    screenshot("home-mia")
    access.get_by_role("link", name="What can I do?").click()
    expect(page.get_by_text("arn:aws:iam::123456789012:user/mia").first).to_be_visible()
    screenshot("home-mia-what-can")


def test_a_wrong_password_shows_an_error_and_stays_signed_out(page, screenshot, org):
    sign_in(page, "mia", "not-her-password")
    expect(page.get_by_role("alert")).to_have_text("The user name or password is not right.")
    screenshot("sign-in-error")


def test_root_opens_the_admin(page, screenshot, org):
    sign_in(page, "root", TEST_PASSWORD)
    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("link", name="Users").first.click()
    expect(page.locator("#result_list").get_by_role("link", name="henry")).to_be_visible()
    screenshot("admin-users")
    page.goto("/admin/identities/group/")
    page.get_by_role("link", name="Developers").click()
    screenshot("admin-group-developers")
    expect(page.get_by_text("arn:aws:iam::123456789012:group/Developers")).to_be_visible()
