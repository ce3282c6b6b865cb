"""bench_last_accessed prints the recording's overhead per decision as a ratio, and the flush."""

import io
import re

import pytest
from django.core.management import call_command

from benchmarks.management.commands import bench_last_accessed
from policies.models import LastAccessed

pytestmark = pytest.mark.django_db


def test_the_overhead_is_printed_as_a_ratio_and_the_uses_are_written_once(db):
    out = io.StringIO()
    arguments = ("--decisions", "200", "--rounds", "2", "--resources", "30")
    call_command(bench_last_accessed.Command(), *arguments, stdout=out)
    text = out.getvalue()
    assert text.startswith("200 warm decisions a round, 2 interleaved rounds\n")
    assert re.search(r"^without recording: [\d.]+ µs a decision \(median round\)$", text, re.M)
    assert re.search(r"^ratios: [\d.]+ [\d.]+$", text, re.M)
    assert re.search(r"^median ratio: [\d.]+$", text, re.M)
    # Decision i asks action i mod 4 on object i mod 30: each action meets the 15 objects of its
    # parity (under the 20 kept), 60 rows in all.
    assert LastAccessed.objects.count() == 60
    assert re.search(r"^flush: [\d.]+ ms for 60 rows, once per flush interval$", text, re.M)
