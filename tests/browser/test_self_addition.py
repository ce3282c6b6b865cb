"""A delegated administrator adding themself to the group they manage, in Chromium: asked before
it is saved, told after."""

import pytest
from playwright.sync_api import expect

from identities.models import Membership
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dev_admin_is_asked_before_joining_developers(page, screenshot, org, csp_violations):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "dev-admin", TEST_PASSWORD)
    page.goto(f"/groups/{org.groups['Developers'].pk}/")
    page.get_by_text("Or type user names").click()
    page.get_by_label("User names, one a line or separated by commas").fill("dev-admin")
    page.get_by_role("button", name="Add selected").click()
    question = page.locator("#console-question")
    expect(question).to_contain_text("You are adding yourself to Developers.")
    screenshot("self-addition-question-390")
    assert not Membership.objects.filter(user=org.dev_admin, group__group_name="Developers").exists()
    question.get_by_role("button", name="Add myself to Developers").click()
    expect(page.get_by_role("status")).to_contain_text(
        "You added yourself: you now have the permissions of Developers."
    )
    expect(page.locator("#console-question")).to_have_count(0)
    page.set_viewport_size({"width": 1366, "height": 860})
    screenshot("self-addition-done-1366")
    assert Membership.objects.filter(user=org.dev_admin, group__group_name="Developers").exists()
