"""bench_assessment prints the assessment's time, queries and findings on the current data."""

import io
import re

import pytest
from django.core.management import call_command

from benchmarks.management.commands import bench_assessment
from identities.models import User

pytestmark = pytest.mark.django_db


def test_the_assessment_is_timed_on_the_demo_organisation(demo):
    out = io.StringIO()
    call_command(bench_assessment.Command(), "--repeat", "1", stdout=out)
    text = out.getvalue()
    assert text.startswith(f"{User.objects.count()} users, ")
    found = re.search(
        r"^assessment: (\d+) findings \(\d+ high, \d+ medium, \d+ low\) in [\d.]+ s, \d+ queries$", text, re.M
    )
    # The demo's henry is in no group: at least that finding.
    assert found and int(found.group(1)) >= 1
    assert re.search(r"^rounds: [\d.]+ s; target 2 s: (met|missed)$", text, re.M)
