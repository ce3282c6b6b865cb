"""bench_expectations prints what checking the demo's access expectations costs each change."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from benchmarks.management.commands import bench_expectations
from identities.models import Membership

pytestmark = pytest.mark.django_db


def test_the_cost_per_change_is_printed_on_the_demo_and_nothing_is_changed(demo):
    memberships = Membership.objects.count()
    out = io.StringIO()
    call_command(bench_expectations.Command(), "--repeat", "1", stdout=out)
    text = out.getvalue()
    assert re.search(r"^4 expectations, \d+ users, \d+ roles$", text, re.M)
    assert re.search(r"^checking them all: [\d.]+ ms median, \d+ queries$", text, re.M)
    assert re.search(r"^a change \(add henry to Developers\), checked: [\d.]+ ms median, \d+ queries$", text, re.M)
    assert re.search(r"^the expectations' cost per change: -?[\d.]+ ms$", text, re.M)
    assert Membership.objects.count() == memberships


def test_without_expectations_it_says_what_to_run(db):
    with pytest.raises(CommandError, match="run seed_demo"):
        call_command(bench_expectations.Command(), stdout=io.StringIO())
