"""The dashboard in Chromium: the decisions chart shows the counts the database holds, and a
service user's home what they may do and what they were refused."""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone
from playwright.sync_api import expect

from identities.audit import AuditDecisionCount, batched_counts, count_decisions
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DESKTOP, PHONE = {"width": 1366, "height": 860}, {"width": 390, "height": 844}
OUTCOMES = ("Allow", "ExplicitDeny", "ImplicitDeny")


def test_the_decisions_chart_shows_the_databases_counts(page, screenshot, org):
    today = timezone.now().date()
    for offset, (allowed, explicit, implicit) in enumerate([(40, 2, 9), (0, 0, 0), (25, 0, 3), (60, 5, 1), (12, 1, 0)]):
        day = today - timedelta(days=offset * 6)
        count_decisions(["Allow"] * allowed + ["ExplicitDeny"] * explicit + ["ImplicitDeny"] * implicit, day=day)
    batched_counts.flush()
    page.set_viewport_size(DESKTOP)
    sign_in(page, "iam-admin", TEST_PASSWORD)
    chart = page.get_by_role("region", name="Decisions")
    expect(chart.locator("svg.decisions-chart")).to_be_visible()

    rows = chart.get_by_role("table", name="Decision API answers per day and outcome").locator("tbody tr")
    expect(rows).to_have_count(30)
    shown = {}
    for row in rows.all():
        cells = [cell.text_content() for cell in row.locator("th, td").all()]
        shown[cells[0]] = dict(zip(OUTCOMES, map(int, cells[1:]), strict=True))
    stored = {day.isoformat(): dict.fromkeys(OUTCOMES, 0) for day in (today - timedelta(days=n) for n in range(30))}
    for row in AuditDecisionCount.objects.all():
        stored[row.day.isoformat()][row.outcome] = row.count
    assert shown == stored
    for outcome in OUTCOMES:
        total = AuditDecisionCount.objects.filter(outcome=outcome).aggregate(total=Sum("count"))["total"]
        expect(chart.locator(f'[data-outcome="{outcome}"]')).to_have_text(str(total))
    bars = chart.locator("svg.decisions-chart rect")
    expect(bars).to_have_count(AuditDecisionCount.objects.count())
    assert chart.locator("svg.decisions-chart rect title").first.text_content().endswith("12 allowed")


def test_mias_home_shows_her_access_per_service_and_her_latest_refusal(page, org):
    page.set_viewport_size(DESKTOP)
    sign_in(page, "mia", TEST_PASSWORD)
    page.goto("/users/")
    page.goto("/policies/")
    expect(page.get_by_role("heading", name="You are not allowed to do this")).to_be_visible()
    page.get_by_role("link", name="Dashboard").click()

    access = page.get_by_role("region", name="What you may do")
    storage = access.locator("tbody tr").filter(has=page.locator("code", has_text="storage"))
    expect(storage.locator("td").last).to_have_text("10")
    expect(storage.get_by_text("Write: 4")).to_be_visible()
    expect(access.locator("tbody tr")).to_have_count(3)  # iam, storage, sts

    refused = page.get_by_role("region", name="What you were refused lately")
    latest = refused.get_by_role("table", name="Your latest refused requests").locator("tbody tr").first
    expect(latest).to_contain_text("ListPolicies")
    expect(latest).to_contain_text("Your policies do not allow iam:ListPolicies on *.")
    expect(refused.locator("tbody tr")).to_have_count(2)
    expect(page.get_by_role("region", name="What you manage")).to_have_count(0)
