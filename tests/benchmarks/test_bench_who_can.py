"""bench_who_can builds its fixture through the services, then times who-can against the
per-principal peer, which must find the same principals."""

import io
import re

import pytest
from django.core.management import call_command

from benchmarks.management.commands import bench_who_can
from benchmarks.scale import GROUP_PREFIX
from identities.audit import AuditEvent
from identities.models import Membership, User
from policies import reports
from policies.models import InlinePolicy

pytestmark = pytest.mark.django_db


def run(*arguments: str) -> str:
    out = io.StringIO()
    call_command(bench_who_can.Command(), *arguments, stdout=out)
    return out.getvalue()


def test_the_fixture_is_built_once_and_each_case_prints_both_times_and_a_ratio():
    text = run("--users", "200", "--own-every", "10", "--rounds", "1")
    own = InlinePolicy.objects.filter(policy_name="OwnData")
    assert own.count() == 20
    assert AuditEvent.objects.filter(event_name="PutUserPolicy").count() == 20
    timed = r"^\S+ on \S+: ([\d,]+) principals; who-can [\d.]+ s; per principal [\d.]+ s; median"
    lines = re.findall(timed, text, re.M)
    assert len(lines) == len(bench_who_can.cases(200, 10))
    # the large group (everyone here) reads anyone's home, team 07's members write in its prefix,
    # the owner alone writes in the home, and nobody deletes the bucket
    team = Membership.objects.filter(group__group_name=f"{GROUP_PREFIX}00007").count()
    assert [int(count.replace(",", "")) for count in lines] == [200, team, 1, 0]
    assert re.search(r"^who-can: [\d.]+ times the per-principal peer", text, re.M)
    run("--users", "200", "--own-every", "10", "--rounds", "1")
    assert own.count() == 20 and User.objects.count() == 200


def test_the_peer_decides_each_principal_and_agrees_with_who_can():
    run("--users", "200", "--rounds", "1")
    for action, resource in bench_who_can.cases(200, 10):
        assert bench_who_can.per_principal(action, resource) == bench_who_can.grouped(action, resource)
    assert reports.who_can("storage:DeleteBucket", bench_who_can.DATA) == []
