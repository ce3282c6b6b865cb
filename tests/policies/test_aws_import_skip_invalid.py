"""Importing with skip_invalid: every valid entity lands, each skipped one is reported with
why, and nothing lands with fewer restrictions than the file gives it. Also pages of one
answer read as one account, and ARNs of the wrong account."""

import json

import pytest
from django.core.management import call_command

from identities.models import Group, Role, User
from policies.aws_import import ImportRefused, apply_import, plan_import, read_authorization_details
from policies.models import PermissionBoundary, PolicyAttachment
from tests.policies.test_aws_import import SAMPLE, sample, state

pytestmark = pytest.mark.django_db

ACCOUNT = "arn:aws:iam::123456789012"
STORAGE = f"{ACCOUNT}:policy/engineering/DevelopersStorageAccess"
BOUNDARY = f"{ACCOUNT}:policy/boundaries/DeveloperBoundary"
MIA, DEVELOPERS = f"{ACCOUNT}:user/division/mia", f"{ACCOUNT}:group/engineering/Developers"
DEPLOY = f"{ACCOUNT}:role/DeployRole"


@pytest.fixture(autouse=True)
def _builtins(builtins):
    """AdministratorAccess and the other built-ins exist, as after migrate."""


def policy_entry(data: dict, arn: str) -> dict:
    return next(policy for policy in data["Policies"] if policy["Arn"] == arn)


def plan_of(data: dict | list, **options):
    text = json.dumps(data)
    return plan_import(read_authorization_details(text, skip_invalid=True, **options), skip_invalid=True)


def reasons(plan) -> dict[str, tuple[str, ...]]:
    return {entry.arn: entry.reasons for entry in plan.skipped}


def with_bad_id(data: dict, arn: str) -> dict:
    policy_entry(data, arn)["PolicyId"] = "not-an-id"
    return data


def test_an_invalid_policy_that_only_allows_is_skipped_and_its_attachments_left_out():
    data = with_bad_id(sample(), STORAGE)
    plan = plan_of(data)
    place = next(index for index, policy in enumerate(data["Policies"]) if policy["Arn"] == STORAGE)
    assert reasons(plan) == {
        STORAGE: (f"Policies[{place}].PolicyId: a unique ID is 1 to 32 capital letters and digits; 'not-an-id' is not",)
    }
    narrowed = [note for note in plan.notes if "not attached" in note]
    assert narrowed == [
        f"{DEVELOPERS}: not attached to {STORAGE}, which is skipped (it only allows, so this narrows)",
        f"{DEPLOY}: not attached to {STORAGE}, which is skipped (it only allows, so this narrows)",
    ]
    apply_import(plan, actor=None)
    assert PolicyAttachment.objects.filter(policy__policy_name="DevelopersStorageAccess").count() == 0
    assert Group.objects.filter(group_name="Developers").exists()
    assert User.objects.get(username="mia").iam_groups.filter(group_name="Developers").exists()


def test_an_invalid_policy_with_a_deny_skips_who_attaches_it_and_the_members_of_a_group_that_does():
    data = sample()
    entry = policy_entry(data, STORAGE)
    default = next(version for version in entry["PolicyVersionList"] if version["IsDefaultVersion"])
    document = default["Document"]
    document["Statement"] = [*document["Statement"], {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]
    plan = plan_of(with_bad_id(data, STORAGE))
    found = reasons(plan)
    deny = "which is skipped and may restrict it (a Deny, or a document that cannot be read)"
    assert found[DEVELOPERS] == (f"it attaches {STORAGE}, {deny}",)
    assert found[DEPLOY] == (f"it attaches {STORAGE}, {deny}",)
    assert found[MIA] == ("it is a member of group Developers, which is skipped and may restrict it",)
    assert set(found) == {STORAGE, DEVELOPERS, DEPLOY, MIA}
    apply_import(plan, actor=None)
    assert not User.objects.filter(username="mia").exists()
    assert not Role.objects.filter(role_name="DeployRole").exists()
    assert User.objects.filter(username="oliver").exists()


def test_a_skipped_boundary_skips_every_principal_it_bounds():
    plan = plan_of(with_bad_id(sample(), BOUNDARY))
    found = reasons(plan)
    assert found[MIA] == (f"its permissions boundary {BOUNDARY} is skipped",)
    assert found[DEPLOY] == (f"its permissions boundary {BOUNDARY} is skipped",)
    assert set(found) == {BOUNDARY, MIA, DEPLOY}


def test_a_role_trusting_a_skipped_user_is_skipped_too():
    data = sample()
    mia = data["UserDetailList"][0]
    mia["UserId"] = "mia"
    role = next(role for role in data["RoleDetailList"] if role["RoleName"] == "DeployRole")
    role["AssumeRolePolicyDocument"] = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": MIA}, "Action": "sts:AssumeRole"}],
    }
    found = reasons(plan_of(data))
    assert found[MIA] == ("UserDetailList[0].UserId: a unique ID is 1 to 32 capital letters and digits; 'mia' is not",)
    assert len(found[DEPLOY]) == 1 and MIA in found[DEPLOY][0]


def test_without_skip_invalid_the_same_file_is_refused_whole_and_nothing_is_written():
    before = state()
    with pytest.raises(ImportRefused) as refused:
        plan_import(read_authorization_details(json.dumps(with_bad_id(sample(), BOUNDARY))))
    assert len(refused.value.messages) == 1 and "'not-an-id' is not" in refused.value.messages[0]
    assert state() == before


def test_the_dry_run_lists_what_is_skipped_and_what_would_change(capsys, tmp_path):
    path = tmp_path / "account.json"
    path.write_text(json.dumps(with_bad_id(sample(), BOUNDARY)))
    before = state()
    call_command("import_aws_authorization_details", str(path), "--dry-run", "--skip-invalid")
    output = capsys.readouterr().out
    assert state() == before
    assert f"skip user {MIA}: its permissions boundary {BOUNDARY} is skipped" in output
    assert f"skip role {DEPLOY}: its permissions boundary {BOUNDARY} is skipped" in output
    assert f"create user {ACCOUNT}:user/oliver" in output
    assert "user: 3 to create, 0 to update, 0 unchanged" in output
    assert "skipped: 3" in output


def test_the_command_imports_what_is_valid_and_counts_what_it_skipped(capsys, tmp_path):
    path = tmp_path / "account.json"
    path.write_text(json.dumps(with_bad_id(sample(), BOUNDARY)))
    call_command("import_aws_authorization_details", str(path), "--skip-invalid")
    assert "3 skipped." in capsys.readouterr().out
    assert sorted(User.objects.filter(is_superuser=False).values_list("username", flat=True)) == [
        "charles",
        "lucas",
        "oliver",
    ]


# Pages


def pages() -> list[dict]:
    """The sample as AWS would page it: users and groups first, then roles and policies."""
    data = sample()
    first = {key: data[key] for key in ("UserDetailList", "GroupDetailList")}
    second = {key: data[key] for key in ("RoleDetailList", "Policies")}
    return [first | {"IsTruncated": True, "Marker": "page-two"}, second | {"IsTruncated": False}]


def test_pages_in_several_files_import_as_one_account(capsys, tmp_path):
    paths = []
    for number, page in enumerate(pages(), start=1):
        paths.append(tmp_path / f"page{number}.json")
        paths[-1].write_text(json.dumps(page))
    call_command("import_aws_authorization_details", *map(str, paths))
    assert PermissionBoundary.objects.get(user__username="mia").policy.arn == BOUNDARY
    assert Role.objects.filter(role_name="DeployRole").exists()


def test_a_merged_list_of_pages_reads_as_the_whole_file():
    whole = read_authorization_details(SAMPLE.read_text())
    merged = read_authorization_details(json.dumps(pages()))
    assert merged == whole


def test_a_problem_in_a_later_page_names_its_page():
    later = pages()
    later[1]["Policies"][0]["PolicyId"] = "not-an-id"
    with pytest.raises(ImportRefused) as refused:
        read_authorization_details(json.dumps(later))
    assert refused.value.messages == [
        "page 2: Policies[0].PolicyId: a unique ID is 1 to 32 capital letters and digits; 'not-an-id' is not"
    ]


def test_pages_out_of_order_are_refused():
    with pytest.raises(ImportRefused) as refused:
        read_authorization_details(json.dumps(pages()[::-1]))
    assert refused.value.messages[0].startswith("Page 1 of 2 says no page follows (IsTruncated is not true)")


def test_a_missing_last_page_is_refused_unless_skipping_and_then_noted():
    first = pages()[:1]
    with pytest.raises(ImportRefused) as refused:
        read_authorization_details(json.dumps(first))
    assert refused.value.messages == [
        "IsTruncated: the file is one page of a longer answer; run the command without --max-items or --no-paginate"
    ]
    plan = plan_of(first)
    assert plan.notes[0].endswith("what the missing pages hold is not imported, nor what refers to it")
    # Those that refer to policies of the missing page; lucas's Admins attaches a built-in.
    assert sorted(entry.arn for entry in plan.skipped) == [
        f"{ACCOUNT}:group/Operations",
        DEVELOPERS,
        f"{ACCOUNT}:user/division/finance&legal/charles",
        MIA,
        f"{ACCOUNT}:user/oliver",
    ]


# ARNs of another account


def test_a_user_or_group_arn_of_aws_s_own_account_is_refused_not_rewritten():
    data = sample()
    data["UserDetailList"][1]["Arn"] = "arn:aws:iam::aws:user/oliver"
    data["GroupDetailList"][0]["Arn"] = "arn:aws:iam::aws:group/Admins"
    before = state()
    with pytest.raises(ImportRefused) as refused:
        plan_import(read_authorization_details(json.dumps(data)))
    assert refused.value.messages == [
        "UserDetailList[1].Arn: 'arn:aws:iam::aws:user/oliver' is not of an account: "
        "a user ARN needs a 12-digit account ID",
        "GroupDetailList[0].Arn: 'arn:aws:iam::aws:group/Admins' is not of an account: "
        "a group ARN needs a 12-digit account ID",
    ]
    assert state() == before


def test_a_list_that_is_not_one_refuses_the_file_even_when_skipping():
    data = sample()
    data["Policies"] = {"not": "a list"}
    with pytest.raises(ImportRefused) as refused:
        read_authorization_details(json.dumps(data), skip_invalid=True)
    assert refused.value.messages == ["Policies: expected a list"]
