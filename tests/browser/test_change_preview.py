"""The change preview before Save in Chromium: removing Lucas from Operations says what he
loses, and the save goes through; attaching AdministratorAccess to Developers names each
developer, at desktop and phone widths."""

import pytest
from playwright.sync_api import expect

from identities.models import Membership
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP, PHONE = {"width": 1366, "height": 860}, {"width": 390, "height": 844}


def test_removing_lucas_from_operations_shows_what_he_loses_before_the_save(page, screenshot, org):
    operations = org.groups["Operations"]
    sign_in(page, "iam-admin", TEST_PASSWORD)
    for width, viewport in (("1366", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(viewport)
        page.goto(f"/groups/{operations.pk}/")
        page.get_by_role("checkbox", name="Select lucas").check()
        page.get_by_role("button", name="Remove selected…").click()
        section = page.get_by_role("region", name="What this change does")
        expect(section.get_by_role("link", name="lucas")).to_be_visible()
        expect(section.get_by_text("What lucas gains and loses")).to_be_visible()  # one principal: shown open
        expect(section).to_contain_text("storage:PutObject")
        expect(section).to_contain_text(" ms.")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]  # nothing runs off the side
        screenshot(f"change-preview-remove-member-{width}")
    page.get_by_role("button", name="Remove 1 member").click()
    expect(page.get_by_text("Removed from Operations: lucas.")).to_be_visible()
    assert not Membership.objects.filter(group=operations, user=org.lucas).exists()


def test_attaching_administrator_access_to_developers_names_each_developer(page, screenshot, org):
    developers = org.groups["Developers"]
    sign_in(page, "iam-admin", TEST_PASSWORD)
    for width, viewport in (("1366", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(viewport)
        page.goto(f"/groups/{developers.pk}/")
        page.get_by_label("Managed policy to attach").select_option(label="AdministratorAccess (built-in)")
        attach = page.locator("form", has=page.get_by_label("Managed policy to attach"))
        attach.get_by_role("button", name="Preview who gains and who loses what").click()
        section = attach.get_by_role("region", name="What this change does")
        for name in ("charles", "mia", "oliver"):
            expect(section.get_by_role("link", name=name)).to_be_visible()
        section.get_by_text("What mia gains and loses").click()
        expect(section).to_contain_text("iam:CreateUser")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        screenshot(f"change-preview-attach-{width}")


def test_the_admin_s_deletion_confirmation_previews_who_loses_what(page, screenshot, org):
    sign_in(page, "root", TEST_PASSWORD)
    for width, viewport in (("1366", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(viewport)
        page.goto(f"/admin/identities/user/{org.james.pk}/delete/")
        section = page.get_by_role("region", name="What this change does")
        expect(section.get_by_role("link", name="james")).to_be_visible()
        expect(section).to_contain_text("storage:PutObject")
        screenshot(f"change-preview-admin-delete-{width}")
    page.get_by_role("button", name="Delete james").click()
    expect(page.get_by_text("was deleted successfully")).to_be_visible()


def test_making_an_older_version_the_default_is_previewed_when_asked(page, screenshot, org):
    from policies import services

    policy = org.policies["OperationsStorageAccess"]
    reader = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "storage:Get*", "Resource": "*"}]}
    services.create_policy_version(policy=policy, document=reader, actor=None)
    sign_in(page, "iam-admin", TEST_PASSWORD)
    for width, viewport in (("1366", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(viewport)
        page.goto(f"/policies/{policy.pk}/")
        page.get_by_text("What making v2 the default does").click()
        section = page.get_by_role("region", name="What this change does")
        expect(section.get_by_role("link", name="james")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        screenshot(f"change-preview-default-version-{width}")
    page.get_by_role("button", name="Make v2 the default").last.click()
    expect(page.get_by_text("v2 is now the default version of OperationsStorageAccess.")).to_be_visible()


def test_the_policy_editor_previews_a_new_default_version_when_asked(page, screenshot, org):
    policy = org.policies["OperationsStorageAccess"]
    sign_in(page, "iam-admin", TEST_PASSWORD)
    for width, viewport in (("1366", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(viewport)
        page.goto(f"/policies/{policy.pk}/")
        page.get_by_label("Make this version the default").check()
        page.get_by_role("button", name="Preview who gains and who loses what").click()
        section = page.get_by_role("region", name="What this change does")
        expect(section).to_contain_text("No one gains or loses anything.")  # the same document again
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        screenshot(f"change-preview-editor-{width}")


def test_save_waits_for_the_preview_made_as_the_page_loads(page, screenshot, org):
    """The preview's answer is held back (as a slow preview would be) until the test lets it
    through: Save is disabled until then, and saves with the generation the preview saw."""
    operations = org.groups["Operations"]
    held = []

    def hold(route):
        held.append(route)

    page.route("**/policies/change-preview/", hold)
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.goto(f"/groups/{operations.pk}/")
    page.get_by_role("checkbox", name="Select lucas").check()
    page.get_by_role("button", name="Remove selected…").click()
    save = page.get_by_role("button", name="Remove 1 member")
    expect(save).to_be_disabled()
    screenshot("change-preview-save-waits")
    assert len(held) == 1
    held[0].continue_()
    section = page.get_by_role("region", name="What this change does")
    expect(section.get_by_role("link", name="lucas")).to_be_visible()
    expect(save).to_be_enabled()
    save.click()
    expect(page.get_by_text("Removed from Operations: lucas.")).to_be_visible()
    assert not Membership.objects.filter(group=operations, user=org.lucas).exists()


def test_without_script_nothing_waits_and_the_save_goes_through(browser, live_server, org):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, "iam-admin", TEST_PASSWORD)
        operations = org.groups["Operations"]
        page.goto(f"/groups/{operations.pk}/")
        page.get_by_role("checkbox", name="Select lucas").check()
        page.get_by_role("button", name="Remove selected…").click()
        save = page.get_by_role("button", name="Remove 1 member")
        expect(save).to_be_enabled()
        save.click()
        expect(page.get_by_text("Removed from Operations: lucas.")).to_be_visible()
    finally:
        context.close()
    assert not Membership.objects.filter(group=operations, user=org.lucas).exists()
