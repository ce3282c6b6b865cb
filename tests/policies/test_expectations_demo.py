"""The demo's access expectations: seed_demo stores them, each holds on the demo, a second run
adds none, the example file in docs/ is the same, and a change against one is refused."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from identities import rules
from identities import services as identity_services
from identities.audit import AuditEvent
from identities.guards import ChangeRefused
from identities.models import Group
from policies import services
from policies.management.commands.seed_demo import EXPECTATIONS
from policies.models import AccessExpectation
from tests.documents import allow

pytestmark = pytest.mark.django_db
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "access-expectations.json"


def test_seed_demo_stores_expectations_that_hold_and_a_second_run_adds_none():
    call_command("seed_demo", stdout=io.StringIO())
    stored = {row.name: row.held for row in AccessExpectation.objects.all()}
    assert stored == {
        "mia-reads-production-data": True,
        "lucas-keeps-production-data": True,
        "only-operations-delete-production-buckets": True,
        "henry-grants-no-access": True,
    }
    events = AuditEvent.objects.filter(event_name="PutAccessExpectation").count()
    call_command("seed_demo", stdout=io.StringIO())
    assert AuditEvent.objects.filter(event_name="PutAccessExpectation").count() == events == 4


def test_the_example_file_is_the_demos():
    assert json.loads(EXAMPLE.read_text()) == {"expectations": EXPECTATIONS}


def test_granting_developers_deletes_on_a_production_bucket_is_refused_on_the_demo():
    call_command("seed_demo", stdout=io.StringIO())
    granter = identity_services.create_user(username="granter", actor=None)
    services.put_inline_policy(identity=granter, policy_name="Grant", document=allow("iam:PutGroupPolicy"), actor=None)
    developers = Group.objects.get(group_name="Developers")
    with pytest.raises(ChangeRefused) as refused:
        rules.perform(
            granter,
            services.put_inline_policy,
            identity=developers,
            policy_name="Cleanup",
            document=allow("storage:DeleteBucket", "arn:aws:storage:::production-logs"),
        )
    assert "only-operations-delete-production-buckets" in refused.value.messages[0]
    assert AccessExpectation.objects.filter(held=False).count() == 0
