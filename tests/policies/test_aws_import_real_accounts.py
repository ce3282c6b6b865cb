"""The four public account dumps of tests/data/authorization-details/ (see its README), each
imported with skip_invalid: exactly what is skipped and why, and what lands."""

import json
from datetime import datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from identities.models import Group, Role, User
from policies import authorization
from policies.aws_import import apply_import, export_authorization_details, plan_import, read_authorization_details
from policies.engine import Outcome
from policies.models import ManagedPolicy, PolicyAttachment

pytestmark = pytest.mark.django_db

DUMPS = Path(__file__).parent.parent / "data" / "authorization-details"
BAD_ID = "a unique ID is 1 to 32 capital letters and digits"
SHIPPED = " (iamconsole ships AWS's document of it: manage.py load_aws_managed_policies --for <file> loads it)"
NOT_THE_BUILTIN = (
    "the file's document differs from the built-in policy of this ARN, which the import keeps "
    "unless told to replace it (--replace-builtins); attached here to: no one here",
)


@pytest.fixture(autouse=True)
def _builtins(builtins):
    """The built-in policies exist, as after migrate."""


def import_dump(name: str, settings, account: str):
    settings.IAM_ACCOUNT_ID = account
    details = read_authorization_details((DUMPS / name).read_bytes(), skip_invalid=True)
    plan = plan_import(details, skip_invalid=True)
    applied = apply_import(plan, actor=None, source_name=name)
    assert [entry.line() for entry in applied.skipped] == [entry.line() for entry in plan.skipped]
    assert_the_files_dates_are_kept(name)
    return plan


def _moment(text: str) -> datetime:
    # The dumps write "2013-10-14T18:32:24Z" (the CLI) or "2022-08-07 12:56:48+00:00" (boto3).
    return datetime.fromisoformat(text)


def file_dates(name: str) -> dict[str, tuple]:
    return dates_of(json.loads((DUMPS / name).read_bytes()))


def dates_of(data: dict | list) -> dict[str, tuple]:
    """By ARN, as a file says: each user's, group's and role's CreateDate, and for a role its
    RoleLastUsed (date and region, or None and "" when it records no use)."""
    found = {}
    for page in data if isinstance(data, list) else [data]:
        for key in ("UserDetailList", "GroupDetailList"):
            for item in page.get(key, []):
                found[item["Arn"]] = (_moment(item["CreateDate"]),)
        for item in page.get("RoleDetailList", []):
            used = item.get("RoleLastUsed") or {}
            last = _moment(used["LastUsedDate"]) if "LastUsedDate" in used else None
            found[item["Arn"]] = (_moment(item["CreateDate"]), last, used.get("Region", ""))
    return found


def dates_here() -> dict[str, tuple]:
    found = {user.arn: (user.created_at,) for user in User.objects.filter(is_superuser=False)}
    found |= {group.arn: (group.created_at,) for group in Group.objects.all()}
    found |= {role.arn: (role.created_at, role.last_used_at, role.last_used_region) for role in Role.objects.all()}
    return found


def assert_the_files_dates_are_kept(name: str) -> None:
    here, in_file = dates_here(), file_dates(name)
    assert {arn: (dates, in_file[arn]) for arn, dates in here.items() if dates != in_file[arn]} == {}


def report(plan) -> dict[str, tuple[str, ...]]:
    return {f"{entry.kind} {entry.arn}": entry.reasons for entry in plan.skipped}


def imported(model, field: str) -> list[str]:
    return sorted(
        model.objects.filter(**({"is_superuser": False} if model is User else {})).values_list(field, flat=True)
    )


def test_the_aws_cli_documented_example(settings):
    """One page (IsTruncated) with placeholder IDs shared by every user, group and policy,
    and two groups whose AttachedManagedPolicies is an object, not a list."""
    plan = import_dump("aws-cli-documented-example.json", settings, "123456789012")
    account = "arn:aws:iam::123456789012"
    first_policy = f"{account}:policy/create-update-delete-set-managed-policies"
    assert report(plan) == {
        f"group {account}:group/Admins": ("GroupDetailList[0].AttachedManagedPolicies: expected a list",),
        f"group {account}:group/Dev": ("GroupDetailList[1].AttachedManagedPolicies: expected a list",),
        f"user {account}:user/Bob": (f"its ID is already that of {account}:user/Alice, earlier in the file",),
        f"user {account}:user/Charlie": (f"its ID is already that of {account}:user/Alice, earlier in the file",),
        f"policy {account}:policy/S3-read-only-specific-bucket": (
            f"its ID is already that of {first_policy}, earlier in the file",
        ),
        "policy arn:aws:iam::aws:policy/AmazonEC2FullAccess": (
            f"its ID is already that of {first_policy}, earlier in the file",
        ),
        f"user {account}:user/Alice": ("it is a member of group Admins, which is skipped and may restrict it",),
        f"role {account}:role/EC2role": (
            f"the policy arn:aws:iam::aws:policy/AmazonS3FullAccess is neither in the file nor in iamconsole{SHIPPED}",
            f"the policy arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess is neither in the file nor in iamconsole"
            f"{SHIPPED}",
        ),
    }
    assert plan.notes == [
        "the file is one page of a longer answer; run the command without --max-items or --no-paginate: "
        "what the missing pages hold is not imported, nor what refers to it"
    ]
    assert imported(User, "username") == []
    assert imported(Group, "group_name") == ["Finance"]
    assert imported(Role, "role_name") == []
    assert ManagedPolicy.objects.filter(aws_managed=False).get().arn == first_policy


def test_the_cloudmapper_demo(settings):
    """Users and a group under AWS's own account, a policy whose ARN and Path disagree, and two
    roles sharing an ID."""
    plan = import_dump("cloudmapper-demo.json", settings, "123456789012")
    ssm = "arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM"
    not_an_account = "is not of an account: a {kind} ARN needs a 12-digit account ID"
    assert report(plan) == {
        "user arn:aws:iam::aws:user/USER_WITH_BAD_INLINE_POLICY": (
            "UserDetailList[0].Arn: 'arn:aws:iam::aws:user/USER_WITH_BAD_INLINE_POLICY' "
            + not_an_account.format(kind="user"),
        ),
        "user arn:aws:iam::aws:user/USER": (
            "UserDetailList[1].Arn: 'arn:aws:iam::aws:user/USER' " + not_an_account.format(kind="user"),
        ),
        "group arn:aws:iam::aws:group/GROUP_WITH_BAD_INLINE_POLICY": (
            "GroupDetailList[0].Arn: 'arn:aws:iam::aws:group/GROUP_WITH_BAD_INLINE_POLICY' "
            + not_an_account.format(kind="group"),
        ),
        f"policy {ssm}": (
            f"Policies[0].Arn: '{ssm}' is not arn:aws:iam::<account>:policy/job-function/AmazonEC2RoleforSSM",
        ),
        "role arn:aws:iam::123456789012:role/service-role/level1": (
            "its ID is already that of arn:aws:iam::123456789012:role/bad_role, earlier in the file",
        ),
    }
    # AmazonEC2RoleforSSM only allows: bad_role lands without it, which narrows, and says so.
    assert plan.notes == [
        f"arn:aws:iam::123456789012:role/bad_role: not attached to {ssm}, "
        "which is skipped (it only allows, so this narrows)"
    ]
    assert imported(User, "username") == []
    assert imported(Role, "role_name") == ["bad_role", "exfiller", "level3"]
    assert not PolicyAttachment.objects.filter(role__role_name="bad_role").exists()


def test_the_cloudsplaining_example_keeps_the_account_of_this_console(settings):
    """Two accounts merged in one file: this console is 200611803367, the larger one."""
    plan = import_dump("cloudsplaining-example.json", settings, "200611803367")
    other = "arn:aws:iam::012345678901"
    elsewhere = ("it belongs to account 012345678901, not to this console's account 200611803367",)
    assert report(plan) == {
        f"user {other}:user/obama": (f"UserDetailList[41].UserId: {BAD_ID}; 'obama' is not",),
        f"user {other}:user/biden": (f"UserDetailList[43].UserId: {BAD_ID}; 'biden' is not",),
        f"group {other}:group/admin": (f"GroupDetailList[3].GroupId: {BAD_ID}; 'admin' is not",),
        f"group {other}:group/biden": (f"GroupDetailList[4].GroupId: {BAD_ID}; 'aaaaaaaaabbbbbbbccccccc' is not",),
        f"role {other}:role/MyRole": (f"RoleDetailList[75].RoleId: {BAD_ID}; 'MyRole' is not",),
        f"role {other}:role/MyOtherRole": (f"RoleDetailList[76].RoleId: {BAD_ID}; 'MyOtherRole' is not",),
        f"role {other}:role/OverprivilegedEC2": (f"RoleDetailList[77].RoleId: {BAD_ID}; 'OverprivilegedEC2' is not",),
        f"policy {other}:policy/NotYourPolicy": (f"Policies[56].PolicyId: {BAD_ID}; 'NotYourPolicy' is not",),
        f"policy {other}:policy/InsecurePolicy": (f"Policies[57].PolicyId: {BAD_ID}; 'InsecurePolicy' is not",),
        f"user {other}:user/userwithlotsofpermissions": elsewhere,
        # AWS's current documents, not the console's smaller built-ins of the same ARN.
        "policy arn:aws:iam::aws:policy/ReadOnlyAccess": NOT_THE_BUILTIN,
        "policy arn:aws:iam::aws:policy/IAMFullAccess": NOT_THE_BUILTIN,
    }
    sso = "arn:aws:iam::200611803367:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ViewOnlyAccess_0ace44bbc7092ea8"
    assert [note for note in plan.notes if "not attached" in note] == [
        f"{sso}: not attached to arn:aws:iam::aws:policy/ReadOnlyAccess, which is skipped "
        "(it only allows, so this narrows)"
    ]
    assert (User.objects.filter(is_superuser=False).count(), Group.objects.count(), Role.objects.count()) == (41, 3, 75)
    assert ManagedPolicy.objects.filter(aws_managed=False).count() == 44
    assert ManagedPolicy.objects.get(policy_name="privesc-sre-admin-policy").arn.startswith(
        "arn:aws:iam::200611803367:"
    )


def test_the_cloudsplaining_examples_dates_survive_an_export(settings):
    """Imported, then exported: each identity's CreateDate and each role's RoleLastUsed are the file's."""
    import_dump("cloudsplaining-example.json", settings, "200611803367")
    in_file = file_dates("cloudsplaining-example.json")
    exported = dates_of(export_authorization_details())
    assert {arn: (dates, in_file[arn]) for arn, dates in exported.items() if dates != in_file[arn]} == {}
    assert len(exported) == 41 + 3 + 75
    # What the comparison covers: every role of this account whose use the file records.
    assert used_roles(exported) == used_roles(in_file, account="200611803367")
    assert len(used_roles(exported)) > 20


def used_roles(dates: dict[str, tuple], account: str = "") -> set[str]:
    return {arn for arn, found in dates.items() if f":{account}:" in arn and len(found) == 3 and found[1] is not None}


def test_the_cloudsplaining_test_file(settings):
    """Hand-made IDs throughout; the one user with a valid ID is in a skipped group."""
    plan = import_dump("cloudsplaining-test-example-authz-details.json", settings, "012345678901")
    account = "arn:aws:iam::012345678901"
    assert report(plan) == {
        f"user {account}:user/obama": (f"UserDetailList[0].UserId: {BAD_ID}; 'obama' is not",),
        f"user {account}:user/biden": (f"UserDetailList[2].UserId: {BAD_ID}; 'biden' is not",),
        f"group {account}:group/admin": (f"GroupDetailList[0].GroupId: {BAD_ID}; 'admin' is not",),
        f"group {account}:group/biden": (f"GroupDetailList[1].GroupId: {BAD_ID}; 'aaaaaaaaabbbbbbbccccccc' is not",),
        f"role {account}:role/MyRole": (f"RoleDetailList[0].RoleId: {BAD_ID}; 'MyRole' is not",),
        f"role {account}:role/MyOtherRole": (f"RoleDetailList[1].RoleId: {BAD_ID}; 'MyOtherRole' is not",),
        f"role {account}:role/OverprivilegedEC2": (f"RoleDetailList[2].RoleId: {BAD_ID}; 'OverprivilegedEC2' is not",),
        f"policy {account}:policy/NotYourPolicy": (f"Policies[0].PolicyId: {BAD_ID}; 'NotYourPolicy' is not",),
        f"policy {account}:policy/InsecurePolicy": (f"Policies[1].PolicyId: {BAD_ID}; 'InsecurePolicy' is not",),
        f"user {account}:user/userwithlotsofpermissions": (
            "it is a member of group admin, which is skipped and may restrict it",
        ),
        "policy arn:aws:iam::aws:policy/IAMFullAccess": NOT_THE_BUILTIN,
    }
    assert (User.objects.filter(is_superuser=False).count(), Group.objects.count(), Role.objects.count()) == (0, 0, 0)


def test_the_aws_cli_example_with_aws_managed_policies_loaded_from_the_shipped_copy(settings, capsys):
    """EC2role attaches two AWS managed policies the page does not list: loaded first, it lands."""
    settings.IAM_ACCOUNT_ID = "123456789012"
    call_command("load_aws_managed_policies", "--for", str(DUMPS / "aws-cli-documented-example.json"))
    assert capsys.readouterr().out.splitlines() == [
        "loaded arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",
        "loaded arn:aws:iam::aws:policy/AmazonS3FullAccess",
        "Documents from z0ph/MAMIP, folder policies/, commit de4971a (2025-02-22): each AWS managed policy's "
        "default version.",
    ]
    plan = import_dump("aws-cli-documented-example.json", settings, "123456789012")
    assert "role arn:aws:iam::123456789012:role/EC2role" not in report(plan)
    ec2 = Role.objects.get(role_name="EC2role")
    last_used = file_dates("aws-cli-documented-example.json")[ec2.arn][1:]
    assert (ec2.last_used_at, ec2.last_used_region) == last_used
    assert last_used[1] == "us-west-2"
    role = authorization.layers_of(Role.objects.get(role_name="EC2role"))
    # AWS's AmazonS3FullAccess allows s3:* (and s3-object-lambda:*), nothing of IAM.
    assert authorization.decide(role, "s3:DeleteBucket", "arn:aws:s3:::any-bucket").outcome is Outcome.ALLOW
    assert authorization.decide(role, "iam:ListUsers", "*").outcome is Outcome.IMPLICIT_DENY
    assert ManagedPolicy.objects.get(policy_name="AmazonS3FullAccess").aws_managed is True


def test_loading_an_aws_managed_policy_iamconsole_does_not_ship_loads_nothing():
    with pytest.raises(CommandError, match="does not ship arn:aws:iam::aws:policy/NoSuchPolicy"):
        call_command("load_aws_managed_policies", "arn:aws:iam::aws:policy/NoSuchPolicy")
    assert not ManagedPolicy.objects.filter(policy_name="NoSuchPolicy").exists()


def test_the_command_dry_run_prints_the_same_report_and_changes_nothing(settings, capsys):
    settings.IAM_ACCOUNT_ID = "123456789012"
    path = DUMPS / "aws-cli-documented-example.json"
    expected = plan_import(read_authorization_details(path.read_bytes(), skip_invalid=True), skip_invalid=True)
    call_command("import_aws_authorization_details", str(path), "--skip-invalid", "--dry-run")
    output = capsys.readouterr().out.splitlines()
    assert [line for line in output if line.startswith("skip ")] == [entry.line() for entry in expected.skipped]
    assert "create group arn:aws:iam::123456789012:group/Finance" in output
    assert "skipped: 8" in output
    assert output[-1] == "Dry run: nothing was changed."
    assert not Group.objects.exists()
