"""The console's pages of users, groups and roles, driven in Chromium, with a screenshot of every page."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from identities.models import Group, Membership, RoleAssignment
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def snap(page, screenshot):
    """A screenshot once htmx has loaded the page's fragments (the policies of an identity)."""

    def take(name: str):
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], f"{name} scrolls sideways ({width}px)"
        return screenshot(name)

    return take


def open_group(page, name: str) -> None:
    page.get_by_role("link", name="Groups", exact=True).click()
    page.locator("#group-table").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def test_the_administrator_adds_henry_to_operations_and_removes_him(page, snap, org):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.get_by_role("link", name="Groups", exact=True).click()
    expect(page.locator("#group-table")).to_contain_text("Operations")
    snap("identities-group-list")
    open_group(page, "Operations")
    snap("identities-group-operations")
    page.get_by_label("Find users by name").press_sequentially("hen", delay=30)
    candidate = page.locator("#member-candidates").get_by_label("henry")
    candidate.check()
    snap("identities-group-add-candidates")
    page.get_by_role("button", name="Add selected").click()
    expect(page.locator("#group-members .alert-success")).to_have_text("Added to Operations: henry.")
    expect(page.locator("#member-table")).to_contain_text("henry")
    snap("identities-group-henry-added")
    assert Membership.objects.filter(group__group_name="Operations", user__username="henry").exists()

    page.get_by_label("Select henry").check()
    page.get_by_role("button", name="Remove selected…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove 1 member from Operations?")
    snap("identities-group-remove-confirm")
    page.get_by_role("button", name="Remove 1 member").click()
    expect(page.get_by_role("alert")).to_have_text("Removed from Operations: henry.")
    expect(page.locator("#member-table")).not_to_contain_text("henry")
    snap("identities-group-henry-removed")


def test_a_duplicate_is_refused_in_place(page, snap, org):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    open_group(page, "Developers")
    page.get_by_text("Or type user names").click()
    page.get_by_label("User names, one a line or separated by commas").fill("mia")
    page.get_by_role("button", name="Add selected").click()
    expect(page.locator("#group-members .alert-danger")).to_contain_text("mia is already a member of Developers.")
    snap("identities-group-duplicate-refused")


def test_the_administrator_assigns_mia_a_role_with_an_expiry(page, snap, org):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.get_by_role("link", name="Users", exact=True).click()
    expect(page.locator("#user-table")).to_contain_text("mia")
    snap("identities-user-list")
    page.get_by_label("Search").fill("mia")
    page.get_by_role("button", name="Filter").click()
    snap("identities-user-list-search")
    page.locator("#user-table").get_by_role("link", name="mia", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("mia")
    snap("identities-user-mia")
    expiry = (timezone.now() + timedelta(days=7)).replace(hour=17, minute=30)
    page.get_by_label("Assign role").fill("AuditReviewer")
    page.get_by_label("Expires (UTC, optional)").fill(expiry.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Assign", exact=True).click()
    roles = page.locator("#user-roles")
    expect(roles.locator(".alert-success")).to_have_text("mia may now assume AuditReviewer.")
    expect(roles).to_contain_text(f"expires {expiry:%Y-%m-%d} 17:30 UTC")
    page.reload()
    expect(page.locator("#user-roles")).to_contain_text(f"expires {expiry:%Y-%m-%d} 17:30 UTC")
    snap("identities-user-mia-role-assigned")
    assignment = RoleAssignment.objects.get(user__username="mia", role__role_name="AuditReviewer")
    assert assignment.expires_at.strftime("%Y-%m-%d %H:%M") == f"{expiry:%Y-%m-%d} 17:30"


def test_deleting_a_group_with_members_shows_what_stood_in_the_way(page, snap, org):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    open_group(page, "Operations")
    page.get_by_role("link", name="Delete").click()
    expect(page.locator("#obstacles")).to_contain_text("2 members")
    expect(page.locator("#obstacles")).to_contain_text("james, lucas")
    snap("identities-group-delete-confirm")
    page.get_by_role("button", name="Remove these and delete Operations").click()
    expect(page.get_by_role("alert")).to_have_text("Group Operations was deleted.")
    expect(page.locator("#group-table")).not_to_contain_text("Operations")
    assert not Group.objects.filter(group_name="Operations").exists()


def test_the_delegated_administrator_may_change_only_developers(page, snap, org):
    sign_in(page, "dev-admin", TEST_PASSWORD)
    page.get_by_role("link", name="Groups", exact=True).click()
    snap("identities-group-list-dev-admin")
    open_group(page, "Developers")
    expect(page.get_by_role("button", name="Add selected")).to_be_visible()
    expect(page.get_by_role("button", name="Remove selected…")).to_be_visible()
    expect(page.get_by_role("link", name="Delete")).to_have_count(0)
    snap("identities-group-developers-dev-admin")
    for name in ("Operations", "AuditTeam", "IAMPublishers"):
        page.go_back()
        group = Group.objects.get(group_name=name)
        response = page.goto(f"/groups/{group.pk}/")
        assert response.status == 404
        assert page.get_by_role("button", name="Add selected").count() == 0


def test_a_service_user_sees_their_own_page_only(page, snap, org):
    sign_in(page, "mia", TEST_PASSWORD)
    mia_pk = RoleAssignment.objects.get(user__username="mia").user_id
    page.goto(f"/users/{mia_pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("mia")
    expect(page.get_by_label("Assign role")).to_have_count(0)
    snap("identities-user-mia-self-service")


def test_pages_fit_a_phone(page, snap, org):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.set_viewport_size(PHONE)
    for name, path in (
        ("users", "/users/"),
        ("user", f"/users/{RoleAssignment.objects.get(user__username='mia').user_id}/"),
        ("groups", "/groups/"),
        ("group", f"/groups/{Group.objects.get(group_name='Developers').pk}/"),
        ("roles", "/roles/"),
        ("role", f"/roles/{RoleAssignment.objects.get(user__username='mia').role_id}/"),
        ("user-create", "/users/new/"),
    ):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name} scrolls sideways ({width}px)"
        snap(f"identities-phone-{name}")


def test_laptop_pages_of_roles_and_forms(page, snap, org):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.get_by_role("link", name="Roles", exact=True).click()
    snap("identities-role-list")
    page.get_by_role("link", name="ReleaseManager").click()
    # Whom the engine lets assume it: mia, by her assignment (the account alone lets in no one else here).
    expect(page.locator("#trusted-principals")).to_have_text("arn:aws:iam::123456789012:user/mia")
    snap("identities-role-release-manager")
    page.goto("/users/new/")
    page.get_by_label("User name").fill("bad name")
    page.get_by_role("button", name="Create user").click()
    expect(page.locator("#id_username")).to_have_class("textinput form-control is-invalid")
    snap("identities-user-create-error")
    page.goto("/groups/new/")
    snap("identities-group-create")
    page.goto("/roles/new/")
    snap("identities-role-create")


def test_members_are_added_with_the_keyboard_alone(page, snap, org):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.goto(f"/groups/{Group.objects.get(group_name='Operations').pk}/")
    page.get_by_label("Find users by name").focus()
    page.keyboard.type("hen", delay=30)
    expect(page.locator("#member-candidates").get_by_label("henry")).to_be_visible()
    page.keyboard.press("Tab")  # the Find button
    page.keyboard.press("Tab")  # henry's checkbox
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # "Or type user names"
    page.keyboard.press("Tab")  # Add selected
    page.keyboard.press("Enter")
    expect(page.locator("#group-members .alert-success")).to_have_text("Added to Operations: henry.")
    snap("identities-group-added-by-keyboard")
