"""Decision API counts are written in batches, so counting costs the hot path no write."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from identities.audit import AuditDecisionCount, batched_counts, count_decisions

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 28)


def counts() -> dict[str, int]:
    return dict(AuditDecisionCount.objects.filter(day=DAY).values_list("outcome", "count"))


def test_counts_wait_in_memory_until_the_interval_passes(settings):
    settings.IAM_DECISION_COUNT_FLUSH_SECONDS = 3600
    batched_counts.flush()
    with CaptureQueriesContext(connection) as captured:
        count_decisions(["Allow", "Allow", "ImplicitDeny"], day=DAY)
        count_decisions(["Allow"], day=DAY)
    assert (len(captured), counts()) == (0, {})
    batched_counts.flush()
    assert counts() == {"Allow": 3, "ImplicitDeny": 1}


def test_with_no_interval_every_call_is_written(settings):
    settings.IAM_DECISION_COUNT_FLUSH_SECONDS = 0
    count_decisions(["ExplicitDeny"], day=DAY)
    count_decisions(["ExplicitDeny"], day=DAY)
    assert counts() == {"ExplicitDeny": 2}


def test_the_daily_decisions_name_every_day_and_outcome_oldest_first(settings):
    from datetime import timedelta

    from django.utils import timezone

    from identities.audit import daily_decisions

    settings.IAM_DECISION_COUNT_FLUSH_SECONDS = 3600
    today = timezone.now().date()
    count_decisions(["Allow", "Allow", "ExplicitDeny"], day=today)
    count_decisions(["ImplicitDeny"], day=today - timedelta(days=2))
    count_decisions(["Allow"], day=today - timedelta(days=3))  # one day before the window
    batched_counts.flush()
    with CaptureQueriesContext(connection) as captured:
        days = daily_decisions(days=3)
    assert len(captured) == 1
    assert [(day.day, day.counts) for day in days] == [
        (today - timedelta(days=2), {"Allow": 0, "ExplicitDeny": 0, "ImplicitDeny": 1}),
        (today - timedelta(days=1), {"Allow": 0, "ExplicitDeny": 0, "ImplicitDeny": 0}),
        (today, {"Allow": 2, "ExplicitDeny": 1, "ImplicitDeny": 0}),
    ]
    assert [day.total for day in days] == [1, 0, 3]
