"""boto3's IAM and STS clients against /aws/ on a live server: the administrator's story."""

import json

import pytest
from botocore.exceptions import ClientError

from identities.audit import AuditEvent
from identities.models import Group, User
from tests.aws.conftest import client


def test_an_administrator_makes_a_user_whose_key_assumes_a_role(live_server, org, admin_key):
    iam = client(live_server, "iam", *admin_key)
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    made = iam.create_user(UserName="nina", Path="/staff/")["User"]
    assert (made["UserName"], made["Path"], made["Arn"]) == (
        "nina",
        "/staff/",
        "arn:aws:iam::123456789012:user/staff/nina",
    )
    iam.create_group(GroupName="Reviewers")
    iam.add_user_to_group(GroupName="Reviewers", UserName="nina")
    assert [u["UserName"] for u in iam.get_group(GroupName="Reviewers")["Users"]] == ["nina"]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="nina")["Groups"]] == ["Reviewers"]
    assert list(User.objects.get(username="nina").memberships.values_list("group__group_name", flat=True)) == [
        "Reviewers"
    ]
    key = iam.create_access_key(UserName="nina")["AccessKey"]
    assert key["Status"] == "Active" and key["AccessKeyId"].startswith("AKIA")
    events = AuditEvent.objects.filter(pk__gt=before).order_by("pk")
    assert [event.event_name for event in events] == ["CreateUser", "CreateGroup", "AddUserToGroup", "CreateAccessKey"]
    assert {event.actor_arn for event in events} == {"arn:aws:iam::123456789012:user/iam-admin"}
    assert {event.access_key_id for event in events} == {admin_key[0]}

    sts = client(live_server, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    identity = sts.get_caller_identity()
    assert identity["Arn"] == "arn:aws:iam::123456789012:user/staff/nina"
    assert identity["Account"] == "123456789012"
    nina_iam = client(live_server, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError) as refused:
        nina_iam.create_user(UserName="eve")
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert "iam:CreateUser" in refused.value.response["Error"]["Message"]
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert not User.objects.filter(username="eve").exists()


def test_a_user_assumes_a_role_assigned_to_them_and_the_session_signs(live_server, org):
    from identities import services

    key, secret = services.create_access_key(user=User.objects.get(username="mia"), actor=None)
    sts = client(live_server, "sts", key.key_id, secret)
    answer = sts.assume_role(
        RoleArn="arn:aws:iam::123456789012:role/ReleaseManager", RoleSessionName="deploy-42", DurationSeconds=900
    )
    credentials = answer["Credentials"]
    assert answer["AssumedRoleUser"]["Arn"] == "arn:aws:sts::123456789012:assumed-role/ReleaseManager/deploy-42"
    session = client(
        live_server, "sts", credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
    )
    assert session.get_caller_identity()["Arn"] == answer["AssumedRoleUser"]["Arn"]
    with pytest.raises(ClientError) as refused:
        session.assume_role(
            RoleArn="arn:aws:iam::123456789012:role/ReleaseManager", RoleSessionName="again", DurationSeconds=3601
        )
    assert refused.value.response["Error"]["Code"] == "ValidationError"


def test_list_users_pages_with_marker(live_server, org, admin_key):
    iam = client(live_server, "iam", *admin_key)
    first = iam.list_users(MaxItems=2)
    assert first["IsTruncated"] and len(first["Users"]) == 2
    names = [u["UserName"] for u in first["Users"]]
    while first["IsTruncated"]:
        first = iam.list_users(MaxItems=2, Marker=first["Marker"])
        names += [u["UserName"] for u in first["Users"]]
    expected = sorted(User.objects.filter(is_superuser=False).values_list("username", flat=True))
    assert names == expected


def test_errors_come_as_aws_codes(live_server, org, admin_key):
    iam = client(live_server, "iam", *admin_key)
    cases = [
        (lambda: iam.get_user(UserName="nobody"), "NoSuchEntity", 404),
        (lambda: iam.create_group(GroupName="Developers"), "EntityAlreadyExists", 409),
        (lambda: iam.create_user(UserName="bad name!"), "ValidationError", 400),
        (lambda: iam.delete_user(UserName="mia"), "DeleteConflict", 409),
    ]
    for call, code, status in cases:
        with pytest.raises(ClientError) as refused:
            call()
        assert (
            refused.value.response["Error"]["Code"],
            refused.value.response["ResponseMetadata"]["HTTPStatusCode"],
        ) == (
            code,
            status,
        )
    assert Group.objects.filter(group_name="Developers").count() == 1


def test_policies_with_two_versions_attached_and_inline_come_back_as_aws_writes_them(live_server, org, admin_key):
    iam = client(live_server, "iam", *admin_key)
    first = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "storage:Get*", "Resource": "*"}]}
    second = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "storage:List*", "Resource": "*"}]}
    policy = iam.create_policy(PolicyName="Reading", PolicyDocument=json.dumps(first))["Policy"]
    assert (policy["Arn"], policy["DefaultVersionId"]) == ("arn:aws:iam::123456789012:policy/Reading", "v1")
    version = iam.create_policy_version(PolicyArn=policy["Arn"], PolicyDocument=json.dumps(second), SetAsDefault=True)
    assert version["PolicyVersion"]["VersionId"] == "v2" and version["PolicyVersion"]["IsDefaultVersion"]
    assert iam.get_policy(PolicyArn=policy["Arn"])["Policy"]["DefaultVersionId"] == "v2"
    iam.attach_user_policy(UserName="henry", PolicyArn=policy["Arn"])
    iam.attach_group_policy(GroupName="AuditTeam", PolicyArn=policy["Arn"])
    attached = iam.list_attached_user_policies(UserName="henry")["AttachedPolicies"]
    assert {"PolicyName": "Reading", "PolicyArn": policy["Arn"]} in attached
    iam.put_user_policy(UserName="henry", PolicyName="Own", PolicyDocument=json.dumps(first))
    # boto3 decodes the URL-encoded document itself, as it does AWS's.
    assert iam.get_user_policy(UserName="henry", PolicyName="Own")["PolicyDocument"] == first
    with pytest.raises(ClientError) as refused:
        iam.create_policy(PolicyName="Broken", PolicyDocument='{"Statement": "no"}')
    assert refused.value.response["Error"]["Code"] == "MalformedPolicyDocument"
    with pytest.raises(ClientError) as missing:
        iam.get_policy(PolicyArn="arn:aws:iam::123456789012:policy/Nothing")
    assert missing.value.response["Error"]["Code"] == "NoSuchEntity"
