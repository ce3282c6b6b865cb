"""explain_queries: the EXPLAIN review of the busiest pages flags full scans of large tables only."""

import io

import pytest
from django.core.management import call_command

from benchmarks.management.commands import explain_queries

pytestmark = pytest.mark.django_db


def explain(large: int) -> tuple[str, int]:
    out = io.StringIO()
    call_command(explain_queries.Command(), "--large", str(large), stdout=out)
    text = out.getvalue()
    flagged = int(text.rstrip().rsplit("\n", 1)[-1].split()[0])
    return text, flagged


def test_every_busy_page_and_a_cold_decision_are_explained(demo):
    text, _ = explain(large=1)
    for page in ("home", "users, search", "groups, first page", "audit trail", "policies", "decision, cold caches"):
        assert f"\n{page} " in text, page


def test_a_full_scan_is_flagged_only_from_the_size_asked(demo):
    # Counting every user for the list's paginator reads the whole table on any database.
    text, flagged = explain(large=1)
    assert flagged > 0 and "seq scan identities_user" in text
    text, flagged = explain(large=10**9)
    assert flagged == 0 and "seq scan" not in text
