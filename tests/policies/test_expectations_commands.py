"""check_expectations (exit 1 on a failure, for CI) and load_expectations (through the governed actions)."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from identities.audit import AuditEvent
from policies import services
from policies.models import AccessExpectation
from tests.conftest import PRODUCTION
from tests.documents import allow

pytestmark = pytest.mark.django_db

LUCAS = {
    "name": "lucas-keeps-production-data",
    "principals": {"users": ["lucas"]},
    "may": False,
    "actions": ["storage:DeleteBucket"],
    "resources": [PRODUCTION],
}
MIA = {
    "name": "mia-reads-production-data",
    "principals": {"users": ["mia"]},
    "may": True,
    "actions": ["storage:GetObject"],
    "resources": [f"{PRODUCTION}/*"],
}


def _file(tmp_path, *expectations) -> str:
    path = tmp_path / "access.json"
    path.write_text(json.dumps({"expectations": list(expectations)}))
    return str(path)


def _run(*arguments) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command(*arguments, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def test_check_exits_0_when_every_stored_expectation_holds_and_keeps_their_state(org):
    services.put_access_expectation(definition=LUCAS, actor=None)
    AccessExpectation.objects.update(checked_at=None)
    status, out = _run("check_expectations")
    assert status == 0
    assert "holds  lucas-keeps-production-data: lucas may not storage:DeleteBucket on " + PRODUCTION in out
    assert AccessExpectation.objects.get().checked_at is not None


def test_check_exits_1_when_one_fails(org):
    services.put_access_expectation(definition=LUCAS, actor=None)
    services.put_access_expectation(definition=MIA, actor=None)
    # Operations' policy without its Deny of the production bucket, by the services alone (no guard).
    policy = org.policies["OperationsStorageAccess"]
    services.create_policy_version(policy=policy, document=allow("storage:*"), set_as_default=True, actor=None)
    status, out = _run("check_expectations")
    assert status == 1
    assert "FAILS  lucas-keeps-production-data" in out
    assert f"{org.lucas.arn}: Allow for storage:DeleteBucket on {PRODUCTION}" in out
    assert "1 of 2 access expectations failed." in out
    assert AccessExpectation.objects.get(name=LUCAS["name"]).held is False


def test_check_reads_a_file_without_storing_it(org, tmp_path):
    status, out = _run("check_expectations", "--file", _file(tmp_path, LUCAS, {**MIA, "may": False}))
    assert status == 1
    assert "holds  lucas-keeps-production-data" in out
    assert "FAILS  mia-reads-production-data" in out
    assert not AccessExpectation.objects.exists()


def test_check_refuses_a_bad_file_with_its_problems(org, tmp_path):
    status, out = _run("check_expectations", "--file", _file(tmp_path, {**LUCAS, "may": "no"}))
    assert status == 1
    assert "expectations[0].may: true (they may) or false (they may not)." in out


def test_load_stores_through_the_governed_action_and_audits_each(org, tmp_path):
    status, out = _run("load_expectations", _file(tmp_path, LUCAS, MIA), "--as", "iam-admin")
    assert (status, out.strip()) == (0, "Stored 2 access expectations.")
    assert sorted(AccessExpectation.objects.values_list("name", flat=True)) == [LUCAS["name"], MIA["name"]]
    events = AuditEvent.objects.filter(event_name="PutAccessExpectation", actor_arn=org.iam_admin.arn)
    assert events.count() == 2


def test_load_as_someone_not_allowed_stores_nothing(org, tmp_path):
    status, out = _run("load_expectations", _file(tmp_path, LUCAS), "--as", "mia")
    assert status == 1
    assert "iamconsole:PutAccessExpectation" in out
    assert not AccessExpectation.objects.exists()


def test_load_with_prune_deletes_what_the_file_leaves_out_and_a_bad_file_changes_nothing(org, tmp_path):
    services.put_access_expectation(definition=MIA, actor=None)
    assert _run("load_expectations", _file(tmp_path, LUCAS, {**MIA, "name": "bad name"}), "--prune")[0] == 1
    assert list(AccessExpectation.objects.values_list("name", flat=True)) == [MIA["name"]]
    assert _run("load_expectations", _file(tmp_path, LUCAS), "--prune")[0] == 0
    assert list(AccessExpectation.objects.values_list("name", flat=True)) == [LUCAS["name"]]
    assert AuditEvent.objects.filter(event_name="DeleteAccessExpectation").count() == 1


def test_the_import_command_is_refused_when_it_would_break_one(tmp_path):
    """The file's people get access; "no one may do anything" breaks, so nothing is imported."""
    from pathlib import Path

    from policies.builtins import load_builtins

    load_builtins()
    sample = Path(__file__).parent.parent / "data" / "aws-authorization-details.json"
    services.put_access_expectation(
        definition={"name": "no-one-acts", "principals": "*", "may": False, "actions": "storage:*"}, actor=None
    )
    events = AuditEvent.objects.count()
    status, out = _run("import_aws_authorization_details", str(sample))
    assert status == 1
    assert "The import was refused." in out and "no-one-acts" in out
    assert AuditEvent.objects.count() == events
    assert AccessExpectation.objects.get().held is True
