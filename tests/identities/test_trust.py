"""Trust policies keep users and roles by unique ID: stored, shown, and refused when they name nobody."""

import pytest
from django.core.exceptions import ValidationError

from identities import services, trust
from identities.audit import AuditEvent
from identities.models import Role, User

pytestmark = pytest.mark.django_db

ACCOUNT = "123456789012"
GHOST = f"arn:aws:iam::{ACCOUNT}:user/ghost"


def trusting(*principals) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"}],
    }


def snapshot():
    return (
        list(User.objects.values_list("username", "path", "iam_id").order_by("pk")),
        list(Role.objects.values_list("role_name", "path", "trust_policy").order_by("pk")),
        AuditEvent.objects.count(),
    )


def refused(call) -> list[str]:
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        call()
    assert snapshot() == before
    return caught.value.messages


# The conversion itself


def test_users_and_roles_of_this_account_are_stored_by_unique_id_and_shown_by_arn(mia):
    deployer = services.create_role(role_name="Deployer", path="/ops/", actor=None)
    given = trusting(mia.arn, deployer.arn)
    stored = trust.stored_form(given)
    assert stored["Statement"][0]["Principal"] == {"AWS": [mia.iam_id, deployer.iam_id]}
    assert trust.shown_form(stored) == given


def test_names_are_matched_without_regard_to_case_and_shown_as_they_are_now(mia):
    stored = trust.stored_form(trusting(f"arn:aws:iam::{ACCOUNT}:user/MIA"))
    assert stored["Statement"][0]["Principal"]["AWS"] == [mia.iam_id]
    assert trust.shown_form(stored) == trusting(mia.arn)


@pytest.mark.parametrize(
    "principal",
    [
        ACCOUNT,
        f"arn:aws:iam::{ACCOUNT}:root",
        "*",
        "arn:aws:iam::210987654321:user/ghost",
        f"arn:aws:sts::{ACCOUNT}:assumed-role/Deployer/session",
        "AIDAQ3EGUQ7VGHOSTXK2P",
    ],
)
def test_what_names_no_user_or_role_of_this_account_stays_as_written(principal):
    assert trust.stored_form(trusting(principal)) == trusting(principal)
    assert trust.shown_form(trusting(principal)) == trusting(principal)


def test_service_and_federated_principals_stay_as_written():
    document = {
        "Statement": {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com", "Federated": f"arn:aws:iam::{ACCOUNT}:user/ghost"},
            "Action": "sts:AssumeRole",
        }
    }
    assert trust.stored_form(document) == document


def test_every_principal_that_names_nobody_is_refused_with_its_arn(mia):
    with pytest.raises(ValidationError) as caught:
        trust.stored_form(trusting(mia.arn, GHOST, f"arn:aws:iam::{ACCOUNT}:role/Gone"))
    assert caught.value.messages == [
        f"Invalid principal in policy: arn:aws:iam::{ACCOUNT}:role/Gone is not a user or role of this account.",
        f"Invalid principal in policy: {GHOST} is not a user or role of this account.",
    ]


@pytest.mark.parametrize("written", ["user/division/mia", "user//mia", "user/mia/", "user/", "role/mia"])
def test_the_path_and_kind_are_part_of_the_name_as_written(mia, written):
    with pytest.raises(ValidationError, match="Invalid principal"):
        trust.stored_form(trusting(f"arn:aws:iam::{ACCOUNT}:{written}"))


def test_the_root_user_is_no_user_principal(root):
    with pytest.raises(ValidationError, match="Invalid principal"):
        trust.stored_form(trusting(f"arn:aws:iam::{ACCOUNT}:user/{root.username}"))


@pytest.mark.parametrize(
    "document",
    [
        [1, 2],
        {"Statement": 5},
        {"Statement": "text"},
        {"Statement": [5, None, {"Principal": 5}, {"Principal": {"AWS": 5}}]},
        {"Statement": [{"Principal": {"AWS": [{"nested": GHOST}, 5, None]}}]},
        {"Statement": [{"Principal": {"AWS": {"key": GHOST}}}]},
    ],
)
def test_any_json_is_read_without_failing_and_what_is_no_principal_stays(document):
    assert trust.shown_form(document) == document
    assert trust.unknown_principals(document) == []
    with pytest.raises(ValidationError):  # and is never stored: no trust policy reads so
        trust.stored_form(document)


def test_known_arns_are_not_unknown(mia):
    document = trusting(mia.arn, GHOST, f"arn:aws:iam::{ACCOUNT}:role/New")
    assert trust.unknown_principals(document, known=[f"arn:aws:iam::{ACCOUNT}:role/new"]) == [GHOST]


# The services


def test_create_role_refuses_a_principal_that_names_nobody_and_changes_nothing():
    messages = refused(lambda: services.create_role(role_name="Deployer", trust_policy=trusting(GHOST), actor=None))
    assert messages == [f"Invalid principal in policy: {GHOST} is not a user or role of this account."]


def test_a_new_role_cannot_trust_itself_yet_but_can_once_it_exists():
    own_arn = f"arn:aws:iam::{ACCOUNT}:role/Deployer"
    refused(lambda: services.create_role(role_name="Deployer", trust_policy=trusting(own_arn), actor=None))
    role = services.create_role(role_name="Deployer", actor=None)
    services.update_trust_policy(role=role, trust_policy=trusting(own_arn), actor=None)
    assert Role.objects.get().trust_policy == trusting(role.iam_id)


def test_update_trust_policy_refuses_and_changes_nothing(mia):
    role = services.create_role(role_name="Deployer", trust_policy=trusting(mia.arn), actor=None)
    refused(lambda: services.update_trust_policy(role=role, trust_policy=trusting(GHOST), actor=None))
    refused(lambda: services.update_role_and_trust_policy(role=role, trust_policy=trusting(GHOST), actor=None))
    assert Role.objects.get().trust_policy == trusting(mia.iam_id)


def test_the_audit_trail_shows_trust_policies_with_arns(mia, henry):
    role = services.create_role(role_name="Deployer", trust_policy=trusting(mia.arn), actor=None)
    services.update_trust_policy(role=role, trust_policy=trusting(henry.arn), actor=None)
    created, updated = AuditEvent.objects.order_by("id")
    assert created.after["trust_policy"] == trusting(mia.arn)
    assert (updated.before, updated.after) == (
        {"trust_policy": trusting(mia.arn)},
        {"trust_policy": trusting(henry.arn)},
    )
    assert Role.objects.get().trust_policy == trusting(henry.iam_id)


def test_a_rename_keeps_the_trust_and_shows_the_new_arn(mia):
    role = services.create_role(role_name="Deployer", trust_policy=trusting(mia.arn), actor=None)
    services.update_user(user=mia, username="mia.jones", path="/eu/", actor=None)
    role.refresh_from_db()
    assert trust.shown_form(role.trust_policy) == trusting(f"arn:aws:iam::{ACCOUNT}:user/eu/mia.jones")


def test_a_deleted_principal_is_shown_by_its_unique_id_and_a_namesake_inherits_nothing(mia):
    role = services.create_role(role_name="Deployer", trust_policy=trusting(mia.arn), actor=None)
    gone = mia.iam_id
    services.delete_user(user=mia, actor=None)
    namesake = services.create_user(username="mia", actor=None)
    role.refresh_from_db()
    assert trust.shown_form(role.trust_policy) == trusting(gone)
    assert namesake.iam_id != gone


def test_saving_the_shown_form_back_unchanged_keeps_the_ids_and_writes_nothing(mia, henry):
    role = services.create_role(role_name="Deployer", trust_policy=trusting(mia.arn, henry.arn), actor=None)
    services.delete_user(user=mia, actor=None)
    role.refresh_from_db()
    stored = role.trust_policy
    shown = trust.shown_form(stored)
    assert shown == trusting(stored["Statement"][0]["Principal"]["AWS"][0], henry.arn)
    events = AuditEvent.objects.count()
    services.update_role_and_trust_policy(role=role, trust_policy=shown, actor=None)
    assert Role.objects.get().trust_policy == stored
    assert list(AuditEvent.objects.order_by("id").values_list("event_name", flat=True))[events:] == ["UpdateRole"]
    services.update_trust_policy(role=role, trust_policy=shown, actor=None)
    assert Role.objects.get().trust_policy == stored


def test_a_role_that_trusts_itself_keeps_doing_so_when_its_form_is_saved_again():
    role = services.create_role(role_name="Deployer", actor=None)
    services.update_trust_policy(role=role, trust_policy=trusting(role.arn), actor=None)
    shown = trust.shown_form(Role.objects.get().trust_policy)
    services.update_role_and_trust_policy(role=role, description="ships", trust_policy=shown, actor=None)
    role = Role.objects.get()
    assert (role.description, role.trust_policy) == ("ships", trusting(role.iam_id))
