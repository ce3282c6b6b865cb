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
