"""AWS managed policies keep AWS's document: a built-in of the same ARN is replaced only when
asked (--replace-builtins), naming who holds it here."""

import json

import pytest
from django.core.management import call_command

from identities import services as identity_services
from policies import authorization, services
from policies.aws_import import ImportRefused, apply_import, plan_import, read_authorization_details
from policies.builtins import load_builtins
from policies.engine import Outcome
from policies.models import ManagedPolicy
from tests.policies.test_aws_import_real_accounts import DUMPS

pytestmark = pytest.mark.django_db

IAM_FULL_ACCESS = "arn:aws:iam::aws:policy/IAMFullAccess"


@pytest.fixture(autouse=True)
def _builtins(builtins):
    """The built-in policies exist, as after migrate."""


def aws_iam_full_access() -> str:
    """AWS's IAMFullAccess v2 as a real account lists it (it also reads AWS Organizations)."""
    dump = json.loads((DUMPS / "cloudsplaining-test-example-authz-details.json").read_text())
    return json.dumps({"Policies": [policy for policy in dump["Policies"] if policy["Arn"] == IAM_FULL_ACCESS]})


@pytest.fixture
def holder():
    user = identity_services.create_user(username="ada", actor=None)
    services.attach_policy(policy=ManagedPolicy.objects.get(policy_name="IAMFullAccess"), identity=user, actor=None)
    return user


def organizations_outcome(user) -> Outcome:
    layers = authorization.layers_of(user)
    return authorization.decide(layers, "organizations:DescribeOrganization", "*").outcome


def test_a_built_in_that_differs_from_the_files_is_refused_naming_who_holds_it(holder):
    with pytest.raises(ImportRefused) as refused:
        plan_import(read_authorization_details(aws_iam_full_access()))
    assert refused.value.messages == [
        f"{IAM_FULL_ACCESS}: the file's document differs from the built-in policy of this ARN, which the import "
        f"keeps unless told to replace it (--replace-builtins); attached here to: {holder.arn}"
    ]
    assert organizations_outcome(holder) is Outcome.IMPLICIT_DENY


def test_replacing_the_built_in_gives_aws_s_document_and_version(holder):
    plan = plan_import(read_authorization_details(aws_iam_full_access()), replace_builtins=True)
    assert plan.notes == [
        f"{IAM_FULL_ACCESS}: the built-in policy is replaced by the file's; attached here to: {holder.arn}"
    ]
    apply_import(plan, actor=None)
    policy = ManagedPolicy.objects.get(policy_name="IAMFullAccess")
    assert (policy.builtin, policy.aws_managed) == (False, True)
    assert [(version.version_id, version.is_default) for version in policy.versions.all()] == [("v2", True)]
    # AWS's IAMFullAccess reads AWS Organizations; the console's built-in did not.
    assert organizations_outcome(holder) is Outcome.ALLOW
    load_builtins()
    assert organizations_outcome(holder) is Outcome.ALLOW


def test_the_command_replaces_built_ins_only_when_asked(holder, tmp_path, capsys):
    path = tmp_path / "account.json"
    path.write_text(aws_iam_full_access())
    with pytest.raises(Exception, match="--replace-builtins"):
        call_command("import_aws_authorization_details", str(path))
    call_command("import_aws_authorization_details", str(path), "--replace-builtins")
    assert "the built-in policy is replaced by the file's" in capsys.readouterr().out
    assert organizations_outcome(holder) is Outcome.ALLOW


def test_a_built_in_equal_to_the_files_is_unchanged():
    dump = json.loads((DUMPS / "cloudsplaining-test-example-authz-details.json").read_text())
    administrator = [policy for policy in dump["Policies"] if policy["PolicyName"] == "AdministratorAccess"]
    plan = plan_import(read_authorization_details(json.dumps({"Policies": administrator})))
    assert plan.is_empty
    assert plan.lines()[0] == "policy arn:aws:iam::aws:policy/AdministratorAccess matches the built-in policy"
