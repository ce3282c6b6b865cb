import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_service_administrator_manages_developers_and_nothing_else(page, screenshot, org):
    sign_in(page, "dev-admin", TEST_PASSWORD)
    page.goto("/admin/")
    screenshot("admin-index-service-administrator")
    expect(page.get_by_role("link", name="Groups")).to_be_visible()
    expect(page.get_by_role("link", name="Roles")).to_have_count(0)
    page.goto("/admin/identities/group/")
    page.get_by_role("link", name="Developers").click()
    expect(page.get_by_text("add members", exact=False)).to_be_visible()
    screenshot("admin-developers-service-administrator")
    page.goto("/admin/identities/group/")
    page.get_by_role("link", name="Operations").click()
    expect(page.get_by_role("heading", name="You are not allowed to do this")).to_be_visible()


def test_the_iam_administrator_reads_a_policy_with_its_versions(page, screenshot, org):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.goto("/admin/policies/managedpolicy/")
    screenshot("admin-policies")
    page.get_by_role("link", name="OperationsStorageAccess").click()
    expect(page.get_by_text("KeepProduction").first).to_be_visible()
    expect(page.get_by_text("group: Operations")).to_be_visible()
    screenshot("admin-policy-operations")
