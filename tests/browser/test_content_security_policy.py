"""The console and the admin run under the Content-Security-Policy, and the guard in
conftest.py that fails a browser test on any violation does catch one."""

import pytest
from playwright.sync_api import expect

from identities import services
from identities.models import AccessKey, Role, RoleAssignment, User
from policies.models import ManagedPolicy
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_console_pages_of_the_administrator(page, screenshot, org):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    screenshot("csp-dashboard")
    page.goto(f"/users/{User.objects.get(username='mia').pk}/")
    expect(page.get_by_role("heading", name="Effective permissions", exact=True)).to_be_visible()
    screenshot("csp-user-mia")
    page.goto(f"/policies/{ManagedPolicy.objects.get(policy_name='PublishingAccess').pk}/")
    editor = page.get_by_label("Policy document")
    editor.fill('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Acton": "*", "Resource": "*"}]}')
    editor.press("End")
    expect(page.locator("#line-1 .finding").first).to_contain_text("unknown element 'Acton'")
    screenshot("csp-policy-editor")
    page.goto(f"/policies/{ManagedPolicy.objects.get(policy_name='DevelopersStorageAccess').pk}/delete/")
    expect(page.get_by_text("attached to group")).to_be_visible()
    screenshot("csp-policy-delete")
    page.goto("/audit/")
    page.get_by_text("Details").first.click()
    expect(page.locator("details[open] pre")).to_contain_text('"mfa_used": false')
    screenshot("csp-audit-list")


def test_admin_change_form_of_a_role(page, screenshot, org):
    sign_in(page, "root", TEST_PASSWORD)
    page.goto(f"/admin/identities/role/{Role.objects.get(role_name='ReleaseManager').pk}/change/")
    expect(page.get_by_role("heading", name="ReleaseManager", exact=True)).to_be_visible()
    screenshot("csp-admin-role")
    page.locator(".select2-selection").first.click()
    page.locator(".select2-search__field").fill("hen")
    page.get_by_role("option", name="henry").click()
    page.get_by_role("link", name="Choose a Date").first.click()
    expect(page.locator(".calendarbox").first).to_be_visible()
    page.get_by_role("link", name="Cancel").first.click()
    page.get_by_text("Add another New assignment").click()
    screenshot("csp-admin-role-assigning")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    assert RoleAssignment.objects.filter(role__role_name="ReleaseManager", user__username="henry").exists() is True


def test_pages_of_a_service_user(page, screenshot, org):
    sign_in(page, "mia", TEST_PASSWORD)
    page.goto("/roles/switch/")
    expect(page.get_by_label("Session length for ReleaseManager")).to_be_visible()
    screenshot("csp-role-switch")
    assert page.goto("/admin/").status == 403
    screenshot("csp-403")
    assert page.goto("/no-such-page/").status == 404
    screenshot("csp-404")


def test_deleting_an_access_key_asks_first(page, org):
    key, _ = services.create_access_key(user=User.objects.get(username="mia"), actor=None)
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.goto("/users/mia/access-keys/")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Delete").click()  # waits for any navigation it starts: none
    assert (questions, AccessKey.objects.filter(pk=key.pk).exists()) == (
        [f"Delete access key {key.key_id}? Programs using it will be refused."],
        True,
    )
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("alert")).to_have_text(f"Access key {key.key_id} was deleted.")
    assert AccessKey.objects.filter(pk=key.pk).exists() is False


@pytest.mark.urls("tests.browser.violation_urls")
def test_the_guard_reports_an_inline_script_and_style_and_fails_the_test(page, csp_violations):
    page.goto("/csp-violation/")
    url = page.url
    assert page.title() == "Refused"
    reported = [(violation.directive, violation.blocked, violation.page) for violation in csp_violations.take()]
    assert reported == [("style-src-attr", "inline", url), ("script-src-elem", "inline", url)]
    page.reload()
    with pytest.raises(pytest.fail.Exception) as failure:
        csp_violations.check()
    assert str(failure.value) == (
        "Content-Security-Policy violations:\n"
        f"  style-src-attr blocked inline on {url} ({url}:1)\n"
        f"  script-src-elem blocked inline on {url} ({url}:1)"
    )
