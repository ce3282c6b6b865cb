"""bench_preview prints a figure for each preview, and leaves the database as it was."""

import io
import re

import pytest
from django.core.management import call_command

from benchmarks.management.commands import bench_preview
from identities.models import User

pytestmark = pytest.mark.django_db


def test_each_preview_is_timed_and_the_generated_team_is_rolled_back(demo):
    users = User.objects.count()
    out = io.StringIO()
    call_command(bench_preview.Command(), "--users", "40", "--rounds", "1", stdout=out)
    text = out.getvalue()
    line = r"(\d+) principals shown, 0 hidden, (\d+) decided, [\d.]+ s \(median of 1\)$"
    assert re.search(r"^attach AdministratorAccess to Developers: 3 principals shown", text, re.M)
    assert re.search(r"^remove lucas from Operations: 1 principals shown", text, re.M)
    generated = re.search(r"^attach AdministratorAccess to a team of 40 \(beside 40 in no group\): " + line, text, re.M)
    assert generated and generated.groups() == ("40", "40")
    assert User.objects.count() == users
