"""Import and export of `aws iam get-account-authorization-details` output."""

import json
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from identities import services as identity_services
from identities.audit import AuditEvent
from identities.models import Group, Membership, Role, RoleAssignment, User
from policies import authorization, services
from policies.aws_import import (
    ImportRefused,
    apply_import,
    export_authorization_details,
    find_policy,
    plan_import,
    read_authorization_details,
)
from policies.engine import Outcome
from policies.models import InlinePolicy, ManagedPolicy, PermissionBoundary, PolicyAttachment, PolicyVersion
from tests import factories

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).parent.parent / "data" / "aws-authorization-details.json"
ACCOUNT_ARN = "arn:aws:iam::123456789012"


@pytest.fixture(autouse=True)
def _builtins(builtins):
    """AdministratorAccess and the other built-ins exist, as after migrate."""


def sample() -> dict:
    return json.loads(SAMPLE.read_text())


def import_account(source: str | bytes | None = None, actor=None, progress=None):
    details = read_authorization_details(SAMPLE.read_bytes() if source is None else source)
    return apply_import(plan_import(details), actor=actor, source_name="account.json", progress=progress)


def state():
    """Everything an import can write, and the audit trail's length."""
    return (
        list(User.objects.values_list("username", "path", "iam_id", "tags").order_by("pk")),
        list(Group.objects.values_list("group_name", "path", "iam_id").order_by("pk")),
        list(Role.objects.values_list("role_name", "path", "iam_id", "trust_policy", "tags").order_by("pk")),
        list(Membership.objects.values_list("user_id", "group_id").order_by("pk")),
        list(ManagedPolicy.objects.values_list("policy_name", "path", "iam_id", "next_version_number").order_by("pk")),
        list(PolicyVersion.objects.values_list("policy_id", "number", "is_default", "document").order_by("pk")),
        list(PolicyAttachment.objects.values_list("policy_id", "user_id", "group_id", "role_id").order_by("pk")),
        list(InlinePolicy.objects.values_list("policy_name", "document").order_by("pk")),
        list(PermissionBoundary.objects.values_list("policy_id", "user_id", "role_id").order_by("pk")),
        AuditEvent.objects.count(),
    )


def refusal(source: str) -> list[str]:
    before = state()
    with pytest.raises(ImportRefused) as caught:
        import_account(source)
    assert state() == before
    return caught.value.messages


def attached(**owner) -> list[str]:
    return sorted(a.policy.arn for a in PolicyAttachment.objects.filter(**owner).select_related("policy"))


# Everything lands as the file says


def test_users_land_with_their_paths_ids_tags_groups_and_boundary():
    import_account()
    mia = User.objects.get(username="mia")
    assert (mia.arn, mia.iam_id) == (f"{ACCOUNT_ARN}:user/division/mia", "AIDAQ3EGUQ7VJMIA4XK2P")
    assert mia.tags == {"team": "storage", "cost-center": "4711"}
    assert sorted(mia.iam_groups.values_list("group_name", flat=True)) == ["Auditors", "Developers"]
    assert PermissionBoundary.objects.get(user=mia).policy.arn == f"{ACCOUNT_ARN}:policy/boundaries/DeveloperBoundary"
    assert not mia.has_usable_password()
    charles = User.objects.get(username="charles")
    assert charles.arn == f"{ACCOUNT_ARN}:user/division/finance&legal/charles"
    assert attached(user=charles) == ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
    # Exactly what the file says: no self-service policy for imported users.
    assert attached(user=User.objects.get(username="lucas")) == []


def test_the_url_encoded_document_is_stored_as_json():
    import_account()
    inline = InlinePolicy.objects.get(user__username="mia")
    assert inline.policy_name == "MiaScratchBucket"
    assert inline.document["Statement"][0]["Resource"] == "arn:aws:s3:::mia-scratch/*"


def test_groups_land_with_inline_and_attached_policies():
    import_account()
    developers = Group.objects.get(group_name="Developers")
    assert (developers.arn, developers.iam_id) == (
        f"{ACCOUNT_ARN}:group/engineering/Developers",
        "AGPAQ3EGUQ7VDEVLP8K2N",
    )
    assert list(InlinePolicy.objects.filter(group=developers).values_list("policy_name", flat=True)) == [
        "DevelopersListAll"
    ]
    assert attached(group=developers) == [f"{ACCOUNT_ARN}:policy/engineering/DevelopersStorageAccess"]
    assert attached(group=Group.objects.get(group_name="Operations")) == [
        f"{ACCOUNT_ARN}:policy/OperationsAccess",
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    ]
    deny = InlinePolicy.objects.get(group__group_name="Auditors").document
    assert deny["Statement"][0]["Sid"] == ""


def test_roles_land_with_trust_policies_boundary_and_tags():
    import_account()
    app = Role.objects.get(role_name="ec2-app-server")
    assert (app.arn, app.iam_id) == (f"{ACCOUNT_ARN}:role/service-role/ec2-app-server", "AROAQ3EGUQ7VAPPSRV5E2")
    assert app.trust_policy["Statement"][0] == {
        "Sid": "",
        "Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    assert (app.tags, app.max_session_duration, app.description) == ({"app": "web"}, 3600, "")
    assert list(InlinePolicy.objects.filter(role=app).values_list("policy_name", flat=True)) == ["AppBucketWrite"]
    deploy = Role.objects.get(role_name="DeployRole")
    assert (deploy.description, deploy.max_session_duration) == ("Deploys the web application.", 7200)
    assert PermissionBoundary.objects.get(role=deploy).policy.policy_name == "DeveloperBoundary"
    assert attached(role=deploy) == [f"{ACCOUNT_ARN}:policy/engineering/DevelopersStorageAccess"]


def test_customer_policies_keep_every_version_number_and_the_default():
    import_account()
    policy = ManagedPolicy.objects.get(policy_name="DevelopersStorageAccess")
    assert (policy.iam_id, policy.path, policy.aws_managed) == ("ANPAQ3EGUQ7VDEVSTR6P1", "/engineering/", False)
    versions = list(policy.versions.order_by("number").values_list("number", "is_default"))
    assert versions == [(2, False), (3, True), (4, False)]
    assert policy.next_version_number == 5
    operations = ManagedPolicy.objects.get(policy_name="OperationsAccess")
    assert list(operations.versions.filter(is_default=True).values_list("number", flat=True)) == [2]


def test_aws_managed_policies_resolve_to_the_built_in_or_arrive_read_only():
    administrator = ManagedPolicy.objects.get(policy_name="AdministratorAccess")
    import_account()
    assert ManagedPolicy.objects.filter(policy_name="AdministratorAccess").get() == administrator
    assert attached(group=Group.objects.get(group_name="Admins")) == ["arn:aws:iam::aws:policy/AdministratorAccess"]
    s3 = ManagedPolicy.objects.get(policy_name="AmazonS3ReadOnlyAccess")
    assert (s3.aws_managed, s3.builtin, s3.read_only, s3.iam_id) == (True, False, True, "ANPAIZTJ4DXE7G6AGAE6M")
    assert list(s3.versions.values_list("number", "is_default")) == [(3, True)]


def test_progress_is_reported_up_to_the_last_step():
    seen = []
    plan = import_account(progress=lambda done, total, description: seen.append((done, total)))
    assert seen[-1] == (len(plan.steps), len(plan.steps))
    assert [done for done, _ in seen] == list(range(1, len(plan.steps) + 1))


# Running twice, dry runs, identities already here


def test_running_twice_changes_nothing():
    import_account()
    before = state()
    second = plan_import(read_authorization_details(SAMPLE.read_bytes()))
    assert second.is_empty
    assert {kind: counts["unchanged"] for kind, counts in second.summary.items()} == {
        "policy": 5,
        "group": 4,
        "user": 4,
        "role": 2,
    }
    import_account()
    assert state() == before


def test_a_dry_run_prints_the_plan_and_changes_nothing(capsys):
    before = state()
    call_command("import_aws_authorization_details", str(SAMPLE), "--dry-run")
    output = capsys.readouterr().out
    assert state() == before
    assert f"create user {ACCOUNT_ARN}:user/division/mia" in output
    assert "    add to group Developers" in output
    assert "create with versions v2, v3, v4 (default v3)" in output
    assert "user: 4 to create, 0 to update, 0 unchanged" in output
    assert "instance profiles have no meaning here and are not imported (ec2-app-server)" in output
    assert output.rstrip().endswith("Dry run: nothing was changed.")


def test_an_identity_already_here_is_made_to_match_the_file(developers, operations):
    mia = factories.UserFactory(username="Mia")
    Membership.objects.create(user=mia, group=operations)
    plan = plan_import(read_authorization_details(SAMPLE.read_bytes()))
    change = next(change for change in plan.changes if change.arn.endswith(":user/division/mia"))
    assert change.action == "update"
    assert "remove from group Operations" in [step.description for step in change.steps]
    apply_import(plan, actor=None)
    mia.refresh_from_db()
    assert (mia.username, mia.path) == ("mia", "/division/")
    assert sorted(mia.iam_groups.values_list("group_name", flat=True)) == ["Auditors", "Developers"]
    assert any("keeps its unique ID" in note for note in plan.notes)


def test_an_import_removes_only_memberships_made_by_hand(developers, operations):
    """A writer removes only what it made: memberships an access request (or another writer)
    made stay, though the file does not list them."""
    mia = factories.UserFactory(username="mia")
    auditors = factories.GroupFactory(group_name="Auditors")
    Membership.objects.create(user=mia, group=auditors)
    Membership.objects.create(user=mia, group=operations)  # by hand: the file's word goes
    until = timezone.now() + timedelta(hours=1)
    requested = factories.GroupFactory(group_name="OnCall")
    Membership.objects.create(
        user=mia, group=requested, expires_at=until, source="access_request", source_ref="request-7"
    )
    plan = plan_import(read_authorization_details(SAMPLE.read_bytes()))
    change = next(change for change in plan.changes if change.arn.endswith(":user/division/mia"))
    assert [step.description for step in change.steps if step.description.startswith("remove from")] == [
        "remove from group Operations"
    ]
    apply_import(plan, actor=None)
    kept = Membership.objects.filter(user=mia).order_by("group__group_name")
    assert [(m.group.group_name, m.source, m.expires_at) for m in kept] == [
        ("Auditors", "manual", None),
        ("Developers", "manual", None),
        ("OnCall", "access_request", until),
    ]


def test_a_policy_already_here_gets_exactly_the_files_versions():
    policy, _ = services.create_policy(
        policy_name="DevelopersStorageAccess",
        path="/engineering/",
        document={"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]},
        actor=None,
    )
    import_account()
    assert list(policy.versions.order_by("number").values_list("number", "is_default")) == [
        (2, False),
        (3, True),
        (4, False),
    ]
    events = list(AuditEvent.objects.filter(target_id=policy.iam_id).values_list("event_name", flat=True))
    assert sorted(events) == sorted(
        [
            "CreatePolicy",
            "DeletePolicyVersion",
            "CreatePolicyVersion",
            "CreatePolicyVersion",
            "CreatePolicyVersion",
            "SetDefaultPolicyVersion",
            "UpdatePolicy",
        ]
    )


def test_a_policy_of_the_same_name_at_another_path_is_refused():
    services.create_policy(
        policy_name="OperationsAccess",
        path="/ops/",
        document=sample()["Policies"][1]["PolicyVersionList"][0]["Document"],
        actor=None,
    )
    messages = refusal(SAMPLE.read_text())
    assert messages == [
        f"{ACCOUNT_ARN}:policy/OperationsAccess: "
        f"a policy of that name already exists at {ACCOUNT_ARN}:policy/ops/OperationsAccess"
    ]


# Refusals: nothing is imported


def test_another_accounts_file_is_refused_naming_both_account_ids():
    messages = refusal(SAMPLE.read_text().replace("123456789012", "210987654321"))
    assert messages == [
        "The file is from account 210987654321, but this iamconsole is account 123456789012 (IAM_ACCOUNT_ID); "
        "nothing was imported."
    ]


def test_malformed_json_is_refused_with_line_and_column(capsys, tmp_path):
    text = SAMPLE.read_text().replace('"UserName": "oliver",', '"UserName": "oliver"', 1)
    line = text[: text.index('"UserName": "oliver"')].count("\n") + 2
    assert refusal(text) == [f"The file is not JSON: line {line}, column 13: Expecting ',' delimiter."]
    broken = tmp_path / "broken.json"
    broken.write_text(text)
    with pytest.raises(CommandError, match=f"nothing was imported.\nThe file is not JSON: line {line}, column 13"):
        call_command("import_aws_authorization_details", str(broken))


def test_a_bad_name_is_reported_with_its_place_not_changed():
    data = sample()
    data["UserDetailList"][1]["UserName"] = "oliver smith"
    data["UserDetailList"][1]["Arn"] = f"{ACCOUNT_ARN}:user/oliver smith"
    messages = refusal(json.dumps(data))
    assert messages == [
        "UserDetailList[1].UserName: A user name may contain only letters, digits and + = , . @ _ -; "
        "'oliver smith' has other characters: U+0020 at position 7 (SPACE)."
    ]


def test_a_document_the_engine_refuses_is_reported_with_its_place():
    data = sample()
    data["GroupDetailList"][3]["GroupPolicyList"][0]["PolicyDocument"]["Statement"][0]["Effect"] = "Allw"
    data["Policies"][1]["PolicyVersionList"][1]["Document"]["Statement"]["Resourse"] = "*"
    messages = refusal(json.dumps(data))
    assert any(
        m.startswith("GroupDetailList[3].GroupPolicyList[0].PolicyDocument.Statement[0].Effect: ") for m in messages
    )
    assert any(m.startswith("Policies[1].PolicyVersionList[1].Document.Statement") for m in messages)


def test_a_bad_url_encoded_document_is_reported_with_its_place():
    data = sample()
    data["UserDetailList"][0]["UserPolicyList"][0]["PolicyDocument"] = "%7B%22Version%22%3A"
    (message,) = refusal(json.dumps(data))
    assert message.startswith("UserDetailList[0].UserPolicyList[0].PolicyDocument: not a JSON policy document (line 1")


def test_a_policy_neither_in_the_file_nor_here_is_refused():
    data = sample()
    data["Policies"] = [policy for policy in data["Policies"] if policy["PolicyName"] != "AmazonS3ReadOnlyAccess"]
    messages = refusal(json.dumps(data))
    missing = "the policy arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess is neither in the file nor in iamconsole"
    shipped = " (iamconsole ships AWS's document of it: manage.py load_aws_managed_policies --for <file> loads it)"
    assert f"{ACCOUNT_ARN}:user/oliver: {missing}{shipped}" in messages
    assert len(messages) == 4  # oliver, charles, Operations and ec2-app-server attach it


def test_one_page_of_a_paginated_answer_is_refused():
    data = sample() | {"IsTruncated": True, "Marker": "EXAMPLE"}
    assert refusal(json.dumps(data))[0].startswith("IsTruncated: the file is one page of a longer answer")


def test_a_default_version_that_is_not_marked_is_refused():
    data = sample()
    data["Policies"][0]["DefaultVersionId"] = "v4"
    assert refusal(json.dumps(data)) == [
        "Policies[0].DefaultVersionId: must name the one version marked IsDefaultVersion"
    ]


# Audit


def test_the_import_is_audited_with_its_actor_and_each_change_by_its_service():
    importer = factories.UserFactory(username="importer")
    import_account(actor=importer)
    event = AuditEvent.objects.get(event_name="ImportAccountAuthorizationDetails")
    assert (event.actor_arn, event.target_arn) == (importer.arn, f"{ACCOUNT_ARN}:root")
    assert event.after["file"] == "account.json"
    assert event.after["changes"]["user"] == {"create": 4, "update": 0, "unchanged": 0}
    assert f"{ACCOUNT_ARN}:user/division/mia" in event.after["created"]
    assert "arn:aws:iam::aws:policy/AdministratorAccess" not in event.after["created"]
    names = set(AuditEvent.objects.exclude(pk=event.pk).values_list("event_name", flat=True))
    assert {
        "CreateUser",
        "CreatePolicy",
        "CreatePolicyVersion",
        "AddUserToGroup",
        "PutRolePermissionsBoundary",
    } <= names
    assert set(AuditEvent.objects.values_list("actor_arn", flat=True)) == {importer.arn}


def test_the_command_names_the_iam_user_or_the_system_user(capsys):
    factories.UserFactory(username="importer")
    with pytest.raises(CommandError, match="No IAM user named nobody"):
        call_command("import_aws_authorization_details", str(SAMPLE), "--as", "nobody")
    call_command("import_aws_authorization_details", str(SAMPLE), "--progress-every", "10")
    output = capsys.readouterr().out
    assert "[10/" in output and output.rstrip().endswith("changes.")
    event = AuditEvent.objects.get(event_name="ImportAccountAuthorizationDetails")
    assert event.actor_arn == ""
    assert event.after["system_user"] != ""
    assert event.after["file"] == "aws-authorization-details.json"


# Decisions after the import, reasoned from the file


@pytest.mark.parametrize(
    ("username", "action", "resource", "keys", "outcome"),
    [
        # Developers' DevelopersStorageAccess v3 (the default) allows s3:* on dev-*; the boundary allows s3:*.
        ("mia", "s3:PutObject", "arn:aws:s3:::dev-builds/app.zip", None, Outcome.ALLOW),
        # Only v4, which is not the default, allows s3:* everywhere.
        ("mia", "s3:PutObject", "arn:aws:s3:::prod-data/report.csv", None, Outcome.IMPLICIT_DENY),
        # Her URL-encoded inline policy allows her scratch bucket.
        ("mia", "s3:PutObject", "arn:aws:s3:::mia-scratch/notes.txt", None, Outcome.ALLOW),
        # The inline policy allows iam:ListUsers, but the boundary allows only s3 and cloudwatch.
        ("mia", "iam:ListUsers", "*", None, Outcome.IMPLICIT_DENY),
        # Auditors' DenyDeletes (with "Sid": "") beats Developers' allow.
        ("mia", "s3:DeleteObject", "arn:aws:s3:::dev-builds/app.zip", None, Outcome.EXPLICIT_DENY),
        # Admins have the built-in AdministratorAccess.
        ("lucas", "ec2:TerminateInstances", "*", None, Outcome.ALLOW),
        # OperationsAccess v2 starts instances whose team tag is oliver's own (team=operations).
        ("oliver", "ec2:StartInstances", "*", {"aws:ResourceTag/team": "operations"}, Outcome.ALLOW),
        ("oliver", "ec2:StartInstances", "*", {"aws:ResourceTag/team": "storage"}, Outcome.IMPLICIT_DENY),
        # AmazonS3ReadOnlyAccess, imported from the file, reads but does not write.
        ("charles", "s3:GetObject", "arn:aws:s3:::any-bucket/file", None, Outcome.ALLOW),
        ("charles", "s3:PutObject", "arn:aws:s3:::any-bucket/file", None, Outcome.IMPLICIT_DENY),
    ],
)
def test_decisions_follow_the_files_policies(username, action, resource, keys, outcome):
    import_account()
    decision = authorization.decide(
        authorization.layers_of(User.objects.get(username=username)), action, resource, context=keys
    )
    assert decision.outcome is outcome


# Export


def _empty_account() -> None:
    for model in (PolicyAttachment, PermissionBoundary, InlinePolicy, Membership, RoleAssignment):
        model.objects.all().delete()
    PolicyVersion.objects.filter(policy__builtin=False).delete()
    ManagedPolicy.objects.filter(builtin=False).delete()
    for model in (User, Group, Role):
        model.objects.all().delete()


def test_an_export_imported_into_an_empty_account_gives_back_the_same_account():
    import_account()
    first = export_authorization_details()
    _empty_account()
    assert export_authorization_details()["UserDetailList"] == []
    import_account(json.dumps(first))
    # Dates included: every identity and policy keeps the one the first export gave it.
    assert export_authorization_details() == first


def test_the_export_has_what_aws_would_list():
    import_account()
    exported = export_authorization_details()
    policies = {policy["Arn"]: policy for policy in exported["Policies"]}
    # Customer policies all; AWS managed or built-in ones only where attached.
    assert sorted(policies) == sorted(policy["Arn"] for policy in sample()["Policies"])
    s3 = policies["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
    assert (s3["AttachmentCount"], s3["DefaultVersionId"]) == (4, "v3")
    boundary = policies[f"{ACCOUNT_ARN}:policy/boundaries/DeveloperBoundary"]
    assert (boundary["AttachmentCount"], boundary["PermissionsBoundaryUsageCount"]) == (0, 2)
    mia = next(user for user in exported["UserDetailList"] if user["UserName"] == "mia")
    assert mia["GroupList"] == ["Auditors", "Developers"]
    assert mia["Tags"] == [{"Key": "cost-center", "Value": "4711"}, {"Key": "team", "Value": "storage"}]


def test_the_export_command_writes_standard_output_or_a_file(capsys, tmp_path):
    import_account()
    call_command("export_aws_authorization_details")
    printed = json.loads(capsys.readouterr().out)
    target = tmp_path / "export.json"
    call_command("export_aws_authorization_details", "--output", str(target))
    assert json.loads(target.read_text()) == printed
    assert {"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"} <= set(printed)


def test_policies_and_their_versions_keep_the_files_dates():
    import_account()
    exported = {policy["Arn"]: policy for policy in export_authorization_details()["Policies"]}
    written = [policy for policy in sample()["Policies"] if not find_policy(policy["Arn"]).builtin]
    assert len(written) == 4  # the fifth is AdministratorAccess, the built-in
    for policy in written:
        assert exported[policy["Arn"]]["CreateDate"] == policy["CreateDate"]
        assert exported[policy["Arn"]]["UpdateDate"] == policy["UpdateDate"]
        dates = {version["VersionId"]: version["CreateDate"] for version in policy["PolicyVersionList"]}
        assert {v["VersionId"]: v["CreateDate"] for v in exported[policy["Arn"]]["PolicyVersionList"]} == dates


def test_a_date_that_is_not_one_is_reported_with_its_place():
    data = sample()
    data["Policies"][0]["CreateDate"] = "yesterday"
    assert refusal(json.dumps(data)) == ["Policies[0].CreateDate: not a date and time with its zone: 'yesterday'"]


def test_users_groups_and_roles_keep_the_files_creation_dates_and_last_use():
    import_account()
    exported = export_authorization_details()
    for key in ("UserDetailList", "GroupDetailList", "RoleDetailList"):
        written = {item["Arn"]: item["CreateDate"] for item in sample()[key]}
        assert {item["Arn"]: item["CreateDate"] for item in exported[key]} == written
    last_used = {role["Arn"]: role.get("RoleLastUsed", {}) for role in sample()["RoleDetailList"]}
    assert {role["Arn"]: role["RoleLastUsed"] for role in exported["RoleDetailList"]} == last_used
    assert any(last_used.values())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda data: data["UserDetailList"][0].update(CreateDate="2999-01-01T00:00:00Z"),
            "UserDetailList[0].CreateDate: '2999-01-01T00:00:00Z' is in the future",
        ),
        (
            lambda data: data["GroupDetailList"][0].update(CreateDate="2019-05-14 10:00"),
            "GroupDetailList[0].CreateDate: not a date and time with its zone: '2019-05-14 10:00'",
        ),
        (
            lambda data: data["RoleDetailList"][0].update(RoleLastUsed={"LastUsedDate": "2999-01-01T00:00:00Z"}),
            "RoleDetailList[0].RoleLastUsed.LastUsedDate: '2999-01-01T00:00:00Z' is in the future",
        ),
        (
            lambda data: data["RoleDetailList"][0].update(
                RoleLastUsed={"LastUsedDate": "2023-01-01T00:00:00Z", "Region": "Mars"}
            ),
            "RoleDetailList[0].RoleLastUsed.Region: not the name of a region: 'Mars'",
        ),
        (
            lambda data: data["RoleDetailList"][0].update(RoleLastUsed={"Region": "us-east-1"}),
            "RoleDetailList[0].RoleLastUsed: a Region of last use needs its LastUsedDate",
        ),
        (
            lambda data: data["RoleDetailList"][0].update(
                CreateDate="2020-01-01T00:00:00Z", RoleLastUsed={"LastUsedDate": "2019-12-31T23:59:59Z"}
            ),
            "RoleDetailList[0].RoleLastUsed.LastUsedDate: the role cannot have been used before its CreateDate",
        ),
        (
            lambda data: data["RoleDetailList"][0].update(RoleLastUsed=[]),
            "RoleDetailList[0].RoleLastUsed: expected an object",
        ),
    ],
)
def test_an_identitys_date_that_cannot_be_is_refused_with_its_place(change, message):
    data = sample()
    change(data)
    assert refusal(json.dumps(data)) == [message]


def _existing_role(**dates):
    role_in_file = sample()["RoleDetailList"][0]
    role = identity_services.create_role(role_name=role_in_file["RoleName"], path=role_in_file["Path"], actor=None)
    if dates:
        identity_services.set_identity_dates(identity=role, actor=None, **dates)
    return role_in_file, Role.objects.get(pk=role.pk)


def _shown(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_an_identity_already_here_takes_the_files_dates_and_the_plan_says_so():
    role_in_file, role = _existing_role()
    group_in_file = sample()["GroupDetailList"][0]
    group = identity_services.create_group(group_name=group_in_file["GroupName"], actor=None)
    used = role_in_file["RoleLastUsed"]
    plan = plan_import(read_authorization_details(SAMPLE.read_bytes()))
    lines = plan.lines()
    role_line = lines.index(f"update role {role_in_file['Arn']}")
    assert (
        f"    set its creation date {role_in_file['CreateDate']} (here {_shown(role.created_at)}) "
        f"and its last use {used['LastUsedDate']} {used['Region']} (here none)"
    ) in lines[role_line:]
    assert f"    set its creation date {group_in_file['CreateDate']} (here {_shown(group.created_at)})" in lines
    assert not [note for note in plan.notes if "last use" in note or "creation date" in note]
    apply_import(plan, actor=None)
    role.refresh_from_db()
    group.refresh_from_db()
    assert (_shown(role.created_at), _shown(role.last_used_at), role.last_used_region) == (
        role_in_file["CreateDate"],
        used["LastUsedDate"],
        used["Region"],
    )
    assert _shown(group.created_at) == group_in_file["CreateDate"]
    events = AuditEvent.objects.filter(event_name="SetIdentityDates")
    assert sorted(events.values_list("target_arn", flat=True)) == sorted([role.arn, group.arn])
    again = plan_import(read_authorization_details(SAMPLE.read_bytes()))
    assert not [line for line in again.lines() if "set its creation date" in line or "its last use" in line]


def test_a_role_used_here_since_the_file_keeps_its_later_use_and_the_plan_says_so():
    later = timezone.now() - timedelta(hours=1)
    role_in_file, role = _existing_role(
        created_at=later - timedelta(days=1), last_used_at=later, last_used_region="us-east-1"
    )
    used = role_in_file["RoleLastUsed"]
    plan = plan_import(read_authorization_details(SAMPLE.read_bytes()))
    assert not [line for line in plan.lines() if line.startswith("    set") and "its last use" in line]
    assert [note for note in plan.notes if role_in_file["Arn"] in note and "last use" in note] == [
        f"{role_in_file['Arn']} keeps its last use here, {_shown(later)} us-east-1, which is later than the "
        f"file's ({used['LastUsedDate']} {used['Region']})"
    ]
    apply_import(plan, actor=None)
    role.refresh_from_db()
    assert (role.last_used_at, role.last_used_region, _shown(role.created_at)) == (
        later,
        "us-east-1",
        role_in_file["CreateDate"],
    )


def test_setting_an_identitys_dates_needs_the_import_action_on_it():
    role_in_file, role = _existing_role()
    importer = factories.UserFactory(username="importer")
    everything = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    not_this_role = {"Effect": "Deny", "Action": "iam:ImportAccountAuthorizationDetails", "Resource": role.arn}
    policy, _ = services.create_policy(
        policy_name="AllButOne",
        document={"Version": "2012-10-17", "Statement": [everything, not_this_role]},
        actor=None,
    )
    services.attach_policy(policy=policy, identity=importer, actor=None)
    before = state(), role.created_at
    with pytest.raises(ImportRefused) as caught:
        import_account(actor=importer)
    assert caught.value.messages == [
        f"Your policies do not allow iam:ImportAccountAuthorizationDetails on {role.arn}. Nothing was imported."
    ]
    assert (state(), Role.objects.get(pk=role.pk).created_at) == before
