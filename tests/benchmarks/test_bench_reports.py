"""bench_reports prints a figure for each report on the current data."""

import io
import re

import pytest
from django.core.management import call_command

from benchmarks.management.commands import bench_reports

pytestmark = pytest.mark.django_db


def test_each_report_is_timed_on_the_demo_organisation(demo):
    out = io.StringIO()
    call_command(bench_reports.Command(), stdout=out)
    text = out.getvalue()
    assert len(re.findall(r"^who can \S+ on \S+: \d+ principals in [\d.]+ s, \d+ queries$", text, re.M)) == 3
    assert re.search(r"^what can \S+ do: \d+ actions in [\d.]+ s$", text, re.M)
    # dev-admin may add itself to Developers (the demo's known path), so at least one principal has one.
    found = re.search(r"^escalation paths: (\d+) principals with a path in [\d.]+ s, \d+ queries$", text, re.M)
    assert found and int(found.group(1)) >= 1
