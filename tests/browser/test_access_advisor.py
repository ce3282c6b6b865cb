"""The Access Advisor in Chromium, at desktop and phone widths: mia's own requests recorded as
she makes them, the IAM administrator reading them on her page, filtering what went unused,
and saving the policy generated from her activity."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from policies import lastaccess
from policies.lastaccess.recording import Use, recorder
from policies.models import LastAccessed, ManagedPolicy
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
DEV = "arn:aws:storage:::dev-app"


def test_the_iam_administrator_reads_mias_access_advisor_and_drafts_her_policy(page, screenshot, org):
    mia = org.mia
    # Decision API answers for her, as the portal's calls would leave them: one today, one old.
    recorder.add(mia.iam_id, f"{DEV}/reports/11.csv", Use(mia.arn, "storage:GetObject", "AKIAPORTAL", timezone.now()))
    old = timezone.now() - timedelta(days=45)
    recorder.add(mia.iam_id, f"{DEV}/builds/41.tar", Use(mia.arn, "storage:PutObject", "AKIAPORTAL", old))
    # Her own console request: opening her page is a real iam:GetUser.
    page.set_viewport_size(DESKTOP)
    sign_in(page, "mia", TEST_PASSWORD)
    page.goto(f"/users/{mia.pk}/")
    expect(page.get_by_role("heading", name="mia", exact=True)).to_be_visible()
    page.context.clear_cookies()
    lastaccess.flush()

    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.goto(f"/users/{mia.pk}/")
    page.get_by_role("link", name="Access Advisor").click()
    expect(page.get_by_role("heading", name="Access Advisor of user mia")).to_be_visible()
    iam = page.locator('.advisor-service[data-service="iam"]')
    iam.locator("summary").click()
    expect(iam.locator('.advisor-action[data-action="iam:GetUser"]')).to_contain_text("with console")
    storage = page.locator('.advisor-service[data-service="storage"]')
    storage.locator("summary").click()
    expect(storage.locator('.advisor-action[data-action="storage:GetObject"]')).to_contain_text("with AKIAPORTAL")
    expect(storage.locator('.advisor-action[data-action="storage:DeleteBucket"]')).to_contain_text("Never used")
    screenshot("access-advisor-1366")

    page.get_by_label("Granted but unused for days").fill("30")
    page.get_by_role("button", name="Filter").click()
    storage = page.locator('.advisor-service[data-service="storage"]')
    expect(storage.locator('.advisor-action[data-action="storage:PutObject"]')).to_be_visible()
    expect(storage.locator('.advisor-action[data-action="storage:GetObject"]')).to_have_count(0)
    screenshot("access-advisor-unused-1366")

    page.get_by_role("link", name="Generate a policy from activity").click()
    page.get_by_label("Activity of the last days").fill("60")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_label("Policy name")).to_have_value("mia-from-activity")
    document = json.loads(page.get_by_label("Policy document").input_value())
    drafted = {action for statement in document["Statement"] for action in _listed(statement["Action"])}
    recorded = set(LastAccessed.objects.filter(principal_id=mia.iam_id).values_list("action", flat=True))
    assert {"iam:GetUser", "storage:GetObject", "storage:PutObject"} <= drafted == recorded
    expect(page.locator("#findings")).to_be_visible()
    screenshot("activity-policy-1366")

    page.set_viewport_size(PHONE)
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot("activity-policy-390")
    page.get_by_role("button", name="Create policy").click()
    expect(page.get_by_role("heading", name="mia-from-activity")).to_be_visible()
    assert ManagedPolicy.objects.get(policy_name="mia-from-activity").versions.get().document == document
    page.goto(f"/access-advisor/user/{mia.pk}/")
    page.locator(".advisor-service summary").first.click()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot("access-advisor-390")


def _listed(actions) -> list[str]:
    return actions if isinstance(actions, list) else [actions]
