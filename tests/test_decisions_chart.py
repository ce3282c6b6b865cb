"""The dashboard's decisions chart (iamconsole.charts): the decision API's daily counts by
outcome, for those who may read the audit trail, drawn as SVG with a table behind it."""

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from iamconsole import charts
from identities.audit import AuditDecisionCount, DecisionDay, batched_counts, count_decisions
from tests.clients import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "ceiling"), [(0, 1), (1, 1), (2, 2), (3, 5), (5, 5), (6, 10), (11, 20), (999, 1000), (1001, 2000)]
)
def test_the_scale_ends_at_a_round_number(value, ceiling):
    assert charts.nice_ceiling(value) == ceiling


def day(offset: int, allow: int = 0, explicit: int = 0, implicit: int = 0) -> DecisionDay:
    counts = {"Allow": allow, "ExplicitDeny": explicit, "ImplicitDeny": implicit}
    return DecisionDay(date(2026, 12, 1) + timedelta(days=offset), counts)


def test_each_days_bar_stacks_its_outcomes_to_its_share_of_the_scale():
    chart = charts.decisions_chart([day(0, allow=10), day(1, allow=6, explicit=1, implicit=3), day(2)])
    full, mixed, empty = chart.columns
    assert [(s.outcome, s.count) for s in mixed.segments] == [("Allow", 6), ("ExplicitDeny", 1), ("ImplicitDeny", 3)]
    assert empty.segments == []
    (bar,) = full.segments
    assert (bar.y, bar.height) == (charts.TOP, charts.PLOT_HEIGHT)  # 10 is the top of a scale of 10
    heights = [segment.height for segment in mixed.segments]
    assert heights == [120.0, 20.0, 60.0]  # 6, 1 and 3 tenths of the plot's 200
    assert mixed.segments[-1].y == charts.TOP  # the three together reach the top too
    assert [(line.value, line.y) for line in chart.grid] == [(0, 212.0), (5, 112.0), (10, 12.0)]
    assert [(total.outcome, total.count) for total in chart.totals] == [
        ("Allow", 16),
        ("ExplicitDeny", 1),
        ("ImplicitDeny", 3),
    ]
    assert [column.labelled for column in chart.columns] == [False, False, True]  # today's date, then a week back


def flush(counts: dict[date, dict[str, int]]) -> None:
    for when, outcomes in counts.items():
        for outcome, count in outcomes.items():
            count_decisions([outcome] * count, day=when)
    batched_counts.flush()


def table_rows(body: str) -> list[list[str]]:
    table = body[body.index('id="decisions-table"') : body.index("</table>", body.index('id="decisions-table"'))]
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", table)
    return [[label, *re.findall(r"<td>(\d+)</td>", cells)] for label, cells in rows]


def test_those_who_may_read_the_audit_trail_see_the_days_counts(org, settings):
    settings.IAM_DECISION_COUNT_FLUSH_SECONDS = 3600
    today = timezone.now().date()
    flush({today: {"Allow": 7, "ImplicitDeny": 2}, today - timedelta(days=29): {"ExplicitDeny": 4}})
    flush({today - timedelta(days=30): {"Allow": 50}})  # a day too old for the chart
    body = client_for("iam-admin").get(reverse("home")).content.decode()
    rows = table_rows(body)
    assert len(rows) == 30
    assert rows[0] == [(today - timedelta(days=29)).isoformat(), "0", "4", "0"]
    assert rows[-1] == [today.isoformat(), "7", "0", "2"]
    assert all(row[1:] == ["0", "0", "0"] for row in rows[1:-1])
    assert '<span data-outcome="Allow">7</span> allowed' in body
    assert '<span data-outcome="ExplicitDeny">4</span> explicitly denied' in body
    assert body.count('<rect class="chart-') == 3 + 3  # three legend swatches, three bars' parts
    assert f"<title>{today.isoformat()}: 7 allowed</title>" in body
    assert " style=" not in body[body.index('id="decisions"') : body.index("</section>", body.index('id="decisions"'))]


def test_without_any_decision_the_chart_says_so_and_keeps_its_table(org):
    body = client_for("iam-admin").get(reverse("home")).content.decode()
    assert "No decisions in these 30 days." in body
    assert '<svg class="decisions-chart"' not in body
    assert len(table_rows(body)) == 30


def test_those_who_may_not_read_the_audit_trail_see_no_chart(org):
    response = client_for("mia").get(reverse("home"))
    assert response.context["decisions"] is None
    assert b'id="decisions"' not in response.content
    assert client_for("charles").get(reverse("home")).context["decisions"] is not None  # AuditTeam reads it


def test_the_chart_costs_the_same_queries_at_two_sizes(org):
    def counted() -> int:
        client = client_for("iam-admin")
        client.get(reverse("home"))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("home")).status_code == 200
        return len(captured)

    today = timezone.now().date()
    AuditDecisionCount.objects.create(day=today, outcome="Allow", count=1)
    small = counted()
    AuditDecisionCount.objects.bulk_create(
        AuditDecisionCount(day=today - timedelta(days=offset), outcome=outcome, count=offset * 100 + 3)
        for offset in range(1, 40)
        for outcome in ("Allow", "ExplicitDeny", "ImplicitDeny")
    )
    assert counted() == small
