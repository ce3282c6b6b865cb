"""SCIM's Users endpoint through the test client: create, read, replace, patch, delete,
through the same services as the console."""

import pytest

from identities import services as identity_services
from identities.audit import AuditEvent
from identities.models import Membership, User
from scim.models import Provisioned
from tests.scim.conftest import ERROR_SCHEMA, SCIM_TYPE, USER_SCHEMA, new_user

pytestmark = pytest.mark.django_db
ACCOUNT = "123456789012"


def test_a_created_user_lives_under_the_scim_path_with_the_providers_id(scim):
    created = new_user(scim, "ava", externalId="00u1abc", name={"givenName": "Ava", "familyName": "Stone"})
    user = User.objects.get(username="ava")
    assert user.arn == f"arn:aws:iam::{ACCOUNT}:user/scim/ava"
    assert created["id"] == user.iam_id
    assert created["externalId"] == "00u1abc"
    assert created["name"] == {"givenName": "Ava", "familyName": "Stone"}
    assert created["active"] is True
    assert created["meta"]["version"] == 'W/"1"'
    assert created["meta"]["location"] == f"http://testserver/scim/v2/Users/{user.iam_id}"
    assert Provisioned.objects.get(user=user).external_id == "00u1abc"


def test_creation_answers_201_with_location_etag_and_scim_content_type(scim):
    response = scim.post("Users", {"schemas": [USER_SCHEMA], "userName": "ava"})
    assert response.status_code == 201
    assert response["Content-Type"] == SCIM_TYPE
    assert response["ETag"] == 'W/"1"'
    assert response["Location"] == response.json()["meta"]["location"]


def test_creation_is_audited_as_the_console_audits_it(scim, provisioner):
    new_user(scim, "ava")
    events = list(
        AuditEvent.objects.filter(target_arn=f"arn:aws:iam::{ACCOUNT}:user/scim/ava").values_list(
            "event_name", "actor_arn"
        )
    )
    assert ("CreateUser", provisioner.arn) in events
    assert ("ProvisionUser", provisioner.arn) in events


def test_a_password_is_refused_and_nothing_is_created(scim):
    response = scim.post("Users", {"schemas": [USER_SCHEMA], "userName": "ava", "password": "s3cret-Pass-phrase"})
    assert response.status_code == 400
    assert response.json() == {
        "schemas": [ERROR_SCHEMA],
        "status": "400",
        "scimType": "invalidValue",
        "detail": "Passwords are not provisioned here: users sign in through the identity provider.",
    }
    assert not User.objects.filter(username="ava").exists()


def test_a_password_in_a_patch_is_refused(scim):
    created = new_user(scim, "ava")
    response = scim.patch(f"Users/{created['id']}", [{"op": "replace", "path": "password", "value": "x-Y-z-123456"}])
    assert (response.status_code, response.json()["scimType"]) == (400, "invalidValue")


@pytest.mark.parametrize("name", ["ava stone", "ävä", "a" * 65, "ava/../root"])
def test_a_user_name_that_breaks_iams_rules_is_invalid_value(scim, name):
    response = scim.post("Users", {"schemas": [USER_SCHEMA], "userName": name})
    assert response.status_code == 400
    body = response.json()
    assert (body["schemas"], body["status"], body["scimType"]) == ([ERROR_SCHEMA], "400", "invalidValue")
    assert "user name" in body["detail"]
    assert not Provisioned.objects.exists()


def test_a_taken_name_is_a_uniqueness_conflict_whatever_its_case(scim):
    # mia is a console user (org): SCIM cannot see her, but her name is taken.
    response = scim.post("Users", {"schemas": [USER_SCHEMA], "userName": "MIA"})
    assert (response.status_code, response.json()["scimType"]) == (409, "uniqueness")


def test_read_back_by_id_with_its_etag(scim):
    created = new_user(scim, "ava")
    response = scim.get(f"Users/{created['id']}")
    assert response.status_code == 200
    assert response["ETag"] == 'W/"1"'
    assert response.json()["userName"] == "ava"


def test_replace_renames_and_bumps_the_version(scim):
    created = new_user(scim, "ava")
    body = {"schemas": [USER_SCHEMA], "userName": "ava.stone", "displayName": "Ava Stone"}
    response = scim.put(f"Users/{created['id']}", body)
    assert response.status_code == 200
    assert (response.json()["userName"], response.json()["displayName"]) == ("ava.stone", "Ava Stone")
    assert response["ETag"] == 'W/"2"'
    assert User.objects.get(iam_id=created["id"]).arn == f"arn:aws:iam::{ACCOUNT}:user/scim/ava.stone"


def test_active_false_disables_the_user_as_the_console_does(scim):
    created = new_user(scim, "ava")
    user = User.objects.get(username="ava")
    generation = user.session_generation
    response = scim.patch(f"Users/{created['id']}", [{"op": "replace", "path": "active", "value": False}])
    assert (response.status_code, response.json()["active"]) == (200, False)
    user.refresh_from_db()
    assert user.is_active is False
    assert user.session_generation != generation  # its console sessions ended, as update_user ends them
    assert AuditEvent.objects.filter(event_name="UpdateUser", after__enabled=False).count() == 1


def test_patch_add_replace_and_remove_of_attributes(scim):
    created = new_user(scim, "ava", displayName="Ava")
    path = f"Users/{created['id']}"
    added = scim.patch(path, [{"op": "add", "value": {"name": {"givenName": "Ava"}}}])
    assert added.json()["name"] == {"givenName": "Ava"}
    replaced = scim.patch(path, [{"op": "replace", "path": "displayName", "value": "A. Stone"}])
    assert replaced.json()["displayName"] == "A. Stone"
    removed = scim.patch(path, [{"op": "remove", "path": "displayName"}])
    assert "displayName" not in removed.json()
    assert removed["ETag"] == 'W/"4"'


def test_delete_removes_the_user_and_its_scim_row(scim):
    created = new_user(scim, "ava")
    response = scim.delete(f"Users/{created['id']}")
    assert response.status_code == 204
    assert not User.objects.filter(username="ava").exists()
    assert not Provisioned.objects.exists()
    assert scim.get(f"Users/{created['id']}").status_code == 404


def test_deleting_a_user_another_writer_put_in_a_group_needs_that_groups_removal(scim, org):
    """As the console's deletion: each membership in the way is removed by its own action, on
    its own group; the provider's policy reaches /scim/ only, so the deletion is refused."""
    created = new_user(scim, "ava")
    ava = User.objects.get(username="ava")
    identity_services.add_members(group=org.groups["Developers"], users=[ava], actor=None)
    response = scim.delete(f"Users/{created['id']}")
    assert response.status_code == 403
    assert "iam:RemoveUserFromGroup" in response.json()["detail"]
    assert Membership.objects.filter(group=org.groups["Developers"], user=ava).exists()


def test_an_external_id_another_user_has_is_a_uniqueness_conflict(scim):
    new_user(scim, "ava", externalId="00u-1")
    response = scim.post("Users", {"schemas": [USER_SCHEMA], "userName": "ben", "externalId": "00u-1"})
    assert (response.status_code, response.json()["scimType"]) == (409, "uniqueness")
    assert not User.objects.filter(username="ben").exists()
    ben = new_user(scim, "ben")
    moved = scim.patch(f"Users/{ben['id']}", [{"op": "replace", "path": "externalId", "value": "00u-1"}])
    assert (moved.status_code, moved.json()["scimType"]) == (409, "uniqueness")
