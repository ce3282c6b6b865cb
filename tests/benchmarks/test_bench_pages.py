"""bench_pages times every console page of users, groups and roles on the current data."""

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from benchmarks.management.commands import bench_pages
from benchmarks.pages import identity_pages

pytestmark = pytest.mark.django_db


def test_every_page_is_timed_and_answers_200_on_the_demo_organisation(demo):
    out = io.StringIO()
    call_command(bench_pages.Command(), "--repeat", "1", stdout=out)
    rows = re.findall(r"^(.+?) +(\d{3}) +[\d.]+ +[\d.]+ +(\d+)$", out.getvalue(), re.M)
    assert [label for label, _, _ in rows] == [label for label, _ in identity_pages()]
    assert {status for _, status, _ in rows} == {"200"}
    assert all(int(queries) > 0 for _, _, queries in rows)


def test_an_unknown_user_to_sign_in_as_is_refused(demo):
    with pytest.raises(CommandError, match="No user 'nobody'"):
        call_command(bench_pages.Command(), "--as", "nobody", stdout=io.StringIO())
