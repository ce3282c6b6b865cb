"""SCIM's Groups endpoint: groups under /scim/, members SCIM wrote marked as SCIM's, and
memberships another writer made left alone."""

import pytest

from identities import services as identity_services
from identities.models import Group, Membership, User
from tests.scim.conftest import GROUP_SCHEMA, new_group, new_user

pytestmark = pytest.mark.django_db
ACCOUNT = "123456789012"


@pytest.fixture
def ava(scim):
    return new_user(scim, "ava")


@pytest.fixture
def ben(scim):
    return new_user(scim, "ben")


def _members(response) -> list[str]:
    return sorted(member["value"] for member in response.json().get("members", []))


def test_a_created_group_lives_under_the_scim_path_with_its_members_marked(scim, ava):
    created = new_group(scim, "Engineering", members=[ava["id"]])
    group = Group.objects.get(group_name="Engineering")
    assert group.arn == f"arn:aws:iam::{ACCOUNT}:group/scim/Engineering"
    membership = Membership.objects.get(group=group)
    assert (membership.user.username, membership.source, membership.source_ref) == ("ava", "scim", ava["id"])
    assert created["members"] == [
        {"value": ava["id"], "$ref": f"http://testserver/scim/v2/Users/{ava['id']}", "type": "User"}
    ]


def test_the_users_groups_attribute_lists_its_scim_groups(scim, ava):
    group = new_group(scim, "Engineering", members=[ava["id"]])
    shown = scim.get(f"Users/{ava['id']}").json()
    assert [(entry["value"], entry["display"]) for entry in shown["groups"]] == [(group["id"], "Engineering")]


def test_patch_adds_and_removes_members(scim, ava, ben):
    group = new_group(scim, "Engineering", members=[ava["id"]])
    path = f"Groups/{group['id']}"
    added = scim.patch(path, [{"op": "add", "path": "members", "value": [{"value": ben["id"]}]}])
    assert (added.status_code, _members(added)) == (200, sorted([ava["id"], ben["id"]]))
    removed = scim.patch(path, [{"op": "remove", "path": f'members[value eq "{ava["id"]}"]'}])
    assert (removed.status_code, _members(removed)) == (200, [ben["id"]])
    assert list(
        Membership.objects.filter(group__group_name="Engineering").values_list("user__username", flat=True)
    ) == ["ben"]


def test_replace_members_with_put(scim, ava, ben):
    group = new_group(scim, "Engineering", members=[ava["id"]])
    body = {"schemas": [GROUP_SCHEMA], "displayName": "Engineering", "members": [{"value": ben["id"]}]}
    response = scim.put(f"Groups/{group['id']}", body)
    assert (response.status_code, _members(response)) == (200, [ben["id"]])


def test_scim_never_removes_a_membership_another_writer_made(scim, ava, ben):
    group = new_group(scim, "Engineering", members=[ava["id"]])
    engineering = Group.objects.get(group_name="Engineering")
    identity_services.add_members(group=engineering, users=[User.objects.get(username="ben")], actor=None)
    body = {"schemas": [GROUP_SCHEMA], "displayName": "Engineering", "members": []}
    assert scim.put(f"Groups/{group['id']}", body).status_code == 200
    left = Membership.objects.filter(group=engineering).values_list("user__username", "source")
    assert list(left) == [("ben", "manual")]


def test_renaming_a_group(scim):
    group = new_group(scim, "Engineering")
    response = scim.patch(f"Groups/{group['id']}", [{"op": "replace", "path": "displayName", "value": "Platform"}])
    assert (response.status_code, response.json()["displayName"]) == (200, "Platform")
    assert Group.objects.get(iam_id=group["id"]).arn == f"arn:aws:iam::{ACCOUNT}:group/scim/Platform"


def test_a_member_scim_did_not_provision_is_refused(scim, org):
    response = scim.post(
        "Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Engineering", "members": [{"value": org.mia.iam_id}]}
    )
    assert (response.status_code, response.json()["scimType"]) == (400, "invalidValue")
    assert not Group.objects.filter(group_name="Engineering").exists()


def test_the_root_user_can_never_be_made_a_member(scim, org):
    group = new_group(scim, "Engineering")
    response = scim.patch(
        f"Groups/{group['id']}", [{"op": "add", "path": "members", "value": [{"value": org.root.iam_id}]}]
    )
    assert response.status_code == 400
    assert not Membership.objects.filter(user=org.root).exists()


def test_a_group_name_that_breaks_iams_rules_is_invalid_value(scim):
    response = scim.post("Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Engineering team"})
    assert (response.status_code, response.json()["scimType"]) == (400, "invalidValue")


def test_the_groups_per_user_quota_holds(scim, ava, settings):
    settings.IAM_MAX_GROUPS_PER_USER = 1
    new_group(scim, "One", members=[ava["id"]])
    response = scim.post("Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Two", "members": [{"value": ava["id"]}]})
    assert (response.status_code, response.json()["scimType"]) == (400, "invalidValue")
    assert "the most a user may be in" in response.json()["detail"]
    assert not Group.objects.filter(group_name="Two").exists()


def test_delete_a_group_with_its_members(scim, ava):
    group = new_group(scim, "Engineering", members=[ava["id"]])
    assert scim.delete(f"Groups/{group['id']}").status_code == 204
    assert not Group.objects.filter(group_name="Engineering").exists()
    assert User.objects.filter(username="ava").exists()
