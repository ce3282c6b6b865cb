"""Trust policies through import and export: principals by unique ID here, by ARN in the file."""

import json
from pathlib import Path

import pytest

from identities import services as identity_services
from identities.models import Role, User
from policies import authorization
from policies.aws_import import apply_import, export_authorization_details, plan_import, read_authorization_details
from policies.engine import Outcome
from tests.policies.test_aws_import import ACCOUNT_ARN, SAMPLE, import_account, refusal, sample

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent.parent / "data"
# privesc-assume-role-chain.json: see tests/data/README.md (from salesforce/cloudsplaining's example file).
CHAIN = DATA / "privesc-assume-role-chain.json"
CHAIN_ACCOUNT = "200611803367"
GHOST_ID = "AIDAQ3EGUQ7VGHOSTXK2P"


@pytest.fixture(autouse=True)
def _builtins(builtins):
    """The built-in policies exist, as after migrate."""


def with_deploy_trust(*principals: str) -> str:
    """The sample, with DeployRole trusting these principals."""
    data = sample()
    deploy = next(role for role in data["RoleDetailList"] if role["RoleName"] == "DeployRole")
    deploy["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"] = list(principals)
    return json.dumps(data)


def trusting(*principals: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"}],
    }


def stored_principals(role_name: str) -> list:
    return Role.objects.get(role_name=role_name).trust_policy["Statement"][0]["Principal"]["AWS"]


def may_assume(user: User, role_name: str) -> Outcome:
    role = Role.objects.get(role_name=role_name)
    return authorization.assume_role(authorization.layers_of(user), role).outcome


def test_roles_trusting_users_and_roles_of_the_same_file_are_imported(settings):
    """The file lists privesc-AssumeRole-ending-role before the role it trusts."""
    settings.IAM_ACCOUNT_ID = CHAIN_ACCOUNT
    identity_services.create_role(role_name="privesc-sre-role", actor=None)  # already here, trusting no one
    plan = apply_import(plan_import(read_authorization_details(CHAIN.read_bytes())), actor=None)
    ids = dict(Role.objects.values_list("role_name", "iam_id")) | dict(User.objects.values_list("username", "iam_id"))
    assert stored_principals("privesc-AssumeRole-ending-role") == ids["privesc-AssumeRole-intermediate-role"]
    assert stored_principals("privesc-AssumeRole-intermediate-role") == ids["privesc-AssumeRole-starting-role"]
    assert stored_principals("privesc-sre-role") == ids["privesc-sre-user"]
    assert stored_principals("privesc-AssumeRole-starting-role") == (
        f"arn:aws:sts::{CHAIN_ACCOUNT}:assumed-role/AWSReservedSSO_AdministratorAccess_dc6414f7f2ab04fc/elad@codsec.io"
    )
    trust_steps = [step for step in plan.steps if step.last]
    assert len(trust_steps) == 4 and plan.steps[-4:] == trust_steps
    assert may_assume(User.objects.get(username="privesc-sre-user"), "privesc-sre-role") is Outcome.ALLOW
    exported = {
        role["RoleName"]: role["AssumeRolePolicyDocument"] for role in export_authorization_details()["RoleDetailList"]
    }
    in_file = {
        role["RoleName"]: role["AssumeRolePolicyDocument"] for role in json.loads(CHAIN.read_text())["RoleDetailList"]
    }
    assert exported == in_file
    assert plan_import(read_authorization_details(CHAIN.read_bytes())).is_empty


def test_a_role_trusting_itself_in_the_file_is_imported():
    import_account(with_deploy_trust(f"{ACCOUNT_ARN}:role/DeployRole", f"{ACCOUNT_ARN}:user/division/mia"))
    deploy, mia = Role.objects.get(role_name="DeployRole"), User.objects.get(username="mia")
    assert stored_principals("DeployRole") == [deploy.iam_id, mia.iam_id]


def test_an_arn_of_this_account_naming_no_principal_is_refused_and_nothing_is_written():
    ghost = f"{ACCOUNT_ARN}:user/ghost"
    assert refusal(with_deploy_trust(ghost, f"{ACCOUNT_ARN}:user/division/mia")) == [
        f"{ACCOUNT_ARN}:role/DeployRole: Invalid principal in policy: {ghost} is not a user or role of this account."
    ]


def test_an_arn_that_the_import_itself_leaves_naming_no_one_is_refused_and_nothing_is_written():
    """mia is here at / and the file moves her to /division/: DeployRole trusting user/mia passes
    the plan, but names no one by the time trust policies are set."""
    identity_services.create_user(username="mia", actor=None)
    messages = refusal(with_deploy_trust(f"{ACCOUNT_ARN}:user/mia"))
    assert messages == [
        "set its trust policy (after every user and role is in place): Invalid principal in policy: "
        f"{ACCOUNT_ARN}:user/mia is not a user or role of this account."
    ]


def test_a_unique_id_naming_no_one_is_kept_and_matches_no_one():
    import_account(with_deploy_trust(GHOST_ID, f"{ACCOUNT_ARN}:user/division/mia"))
    assert stored_principals("DeployRole")[0] == GHOST_ID
    namesake = identity_services.create_user(username="ghost", actor=None)
    assert may_assume(namesake, "DeployRole") is Outcome.IMPLICIT_DENY
    assert plan_import(
        read_authorization_details(with_deploy_trust(GHOST_ID, f"{ACCOUNT_ARN}:user/division/mia"))
    ).is_empty


def test_an_existing_roles_trust_is_compared_like_with_like():
    """Stored by unique ID, in the file by ARN: the same trust is no change; another is one."""
    import_account()
    deploy = Role.objects.get(role_name="DeployRole")
    stored = deploy.trust_policy
    assert plan_import(read_authorization_details(SAMPLE.read_bytes())).is_empty
    lucas = User.objects.get(username="lucas")
    identity_services.update_trust_policy(role=deploy, trust_policy=trusting(lucas.arn), actor=None)
    plan = plan_import(read_authorization_details(SAMPLE.read_bytes()))
    assert [step.description for step in plan.steps] == ["set its trust policy (after every user and role is in place)"]
    apply_import(plan, actor=None)
    assert Role.objects.get(role_name="DeployRole").trust_policy == stored


def test_the_export_shows_current_arns_and_the_ids_of_deleted_principals():
    import_account()
    lucas, mia = User.objects.get(username="lucas"), User.objects.get(username="mia")
    identity_services.create_role(role_name="Ops", trust_policy=trusting(lucas.arn, mia.arn), actor=None)
    identity_services.update_user(user=lucas, username="luke", actor=None)
    identity_services.delete_user(user=mia, actor=None, with_credentials_and_memberships=True, with_policies=True)
    exported = {role["RoleName"]: role for role in export_authorization_details()["RoleDetailList"]}
    assert exported["Ops"]["AssumeRolePolicyDocument"] == trusting(f"{ACCOUNT_ARN}:user/contractors/luke", mia.iam_id)
    assert exported["DeployRole"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"] == mia.iam_id
