"""The access expectations page in Chromium, at desktop and phone widths: the state of each,
saving a new one, and a console change refused for breaking one."""

import json

import pytest
from playwright.sync_api import expect

from policies import services
from tests.browser.conftest import sign_in
from tests.conftest import PRODUCTION
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
OPERATIONS_READ = {
    "name": "operations-read-production",
    "description": "Operations read production's objects.",
    "principals": {"groups": ["Operations"]},
    "may": True,
    "actions": ["storage:GetObject"],
    "resources": [f"{PRODUCTION}/*"],
}
HENRY_READS = {**OPERATIONS_READ, "name": "henry-reads-production", "principals": {"users": ["henry"]}}


def test_the_iam_administrator_sees_each_expectation_and_saves_one(page, screenshot, org):
    services.put_access_expectation(definition=OPERATIONS_READ, actor=None)
    services.put_access_expectation(definition=HENRY_READS, actor=None)
    page.set_viewport_size(DESKTOP)
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.get_by_role("button", name="Reports").click()
    page.get_by_role("link", name="Access expectations").click()
    rows = page.locator(".expectation")
    expect(rows).to_have_count(2)
    expect(page.locator('.expectation[data-name="henry-reads-production"] .badge')).to_have_text("fails")
    expect(page.locator('.expectation[data-name="operations-read-production"] .badge')).to_have_text("holds")
    expect(page.get_by_text(f"{org.henry.arn}: ImplicitDeny for storage:GetObject on {PRODUCTION}/*")).to_be_visible()
    screenshot("expectations-1366")
    page.get_by_label("The new expectation as JSON").fill(
        json.dumps(
            {
                "name": "lucas-keeps-production-data",
                "principals": {"users": ["lucas"]},
                "may": False,
                "actions": "storage:DeleteBucket",
                "resources": PRODUCTION,
            }
        )
    )
    page.get_by_role("button", name="Save expectation").click()
    expect(page.get_by_text("Saved the access expectation lucas-keeps-production-data; it holds now.")).to_be_visible()
    expect(rows).to_have_count(3)
    screenshot("expectations-saved-1366")
    page.set_viewport_size(PHONE)
    page.reload()
    expect(rows).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot("expectations-390")


def test_a_change_that_would_break_one_is_refused_in_the_console(page, screenshot, org):
    services.put_access_expectation(definition=OPERATIONS_READ, actor=None)
    detacher = org.users["dev-admin"]
    services.put_inline_policy(
        identity=detacher,
        policy_name="Detach",
        document={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [
                        "iam:GetGroup",
                        "iam:ListAttachedGroupPolicies",
                        "iam:DetachGroupPolicy",
                        "iam:ListGroups",
                    ],
                    "Resource": "*",
                }
            ],
        },
        actor=None,
    )
    page.set_viewport_size(DESKTOP)
    sign_in(page, "dev-admin", TEST_PASSWORD)
    page.goto(f"/groups/{org.groups['Operations'].pk}/")
    page.get_by_role("button", name="Detach OperationsStorageAccess").click()
    # The question's preview says what the detachment would break before anyone confirms it.
    preview = page.get_by_role("region", name="What this change does")
    broken = preview.get_by_role("alert").filter(has_text="this change would break the access expectation")
    expect(broken).to_contain_text("operations-read-production")
    # dev-admin may not simulate james: the failure about him is counted, not shown.
    expect(broken).to_contain_text("And 1 more failure about principals you may not see.")
    screenshot("expectations-previewed-change-1366")
    page.get_by_role("button", name="Confirm: detach").click()
    refusal = page.get_by_role("alert").filter(
        has_text="it would break the access expectation operations-read-production"
    )
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text(f"{org.james.arn}: ImplicitDeny for storage:GetObject")
    screenshot("expectations-refused-change-1366")
    page.set_viewport_size(PHONE)
    refusal.scroll_into_view_if_needed()
    screenshot("expectations-refused-change-390")


def test_a_state_the_account_moved_past_is_said_and_check_now_finds_it(page, screenshot, org):
    services.put_access_expectation(definition=HENRY_READS, actor=None)
    # Made outside the rule table (as a command would): not checked, so the stored state says so.
    services.put_inline_policy(identity=org.henry, policy_name="Read", document=_reads_production(), actor=None)
    page.set_viewport_size(DESKTOP)
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.goto("/expectations/")
    row = page.locator('.expectation[data-name="henry-reads-production"]')
    expect(row.locator(".badge")).to_have_text("fails")
    expect(row.get_by_text("The account has changed since")).to_be_visible()
    screenshot("expectations-stale-1366")
    page.get_by_role("button", name="Check now").click()
    expect(page.get_by_text("Checked 1 access expectation in")).to_be_visible()
    expect(row.locator(".badge")).to_have_text("holds")
    expect(row.get_by_text("The account has changed since")).to_have_count(0)
    screenshot("expectations-checked-1366")


def _reads_production() -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "storage:GetObject", "Resource": f"{PRODUCTION}/*"}],
    }
