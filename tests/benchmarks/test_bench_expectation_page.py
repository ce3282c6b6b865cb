"""bench_expectation_page prints the expectations page, a live check of them all and a floor page."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from benchmarks.management.commands import bench_expectation_page
from policies.models import AccessExpectation

pytestmark = pytest.mark.django_db


def test_the_page_the_live_check_and_the_floor_are_printed_on_the_demo(demo):
    checked = list(AccessExpectation.objects.values_list("name", "checked_at"))
    out = io.StringIO()
    call_command(bench_expectation_page.Command(), "--repeat", "1", stdout=out)
    text = out.getvalue()
    assert re.search(r"^4 expectations, [\d,]+ users, [\d,]+ roles$", text, re.M)
    assert re.search(r"^floor \(the home page\): [\d.]+ ms median, \d+ queries$", text, re.M)
    assert re.search(
        r"^the expectations page \(stored state\): [\d.]+ ms median, \d+ queries, [\d.]+x the floor$", text, re.M
    )
    live = (
        r"^checking them all live \(the page before; Check now\): "
        r"[\d.]+ ms median, \d+ queries, [\d.]+x the floor, [\d.]+x the page$"
    )
    assert re.search(live, text, re.M)
    # Measuring stores nothing.
    assert list(AccessExpectation.objects.values_list("name", "checked_at")) == checked


def test_without_expectations_it_says_what_to_run(db):
    with pytest.raises(CommandError, match="run seed_demo"):
        call_command(bench_expectation_page.Command(), stdout=io.StringIO())
