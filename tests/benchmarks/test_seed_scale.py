"""seed_scale builds the scale data set as the services would have: unique IDs, an audit
record for every creation and membership, the quota kept, the permissions generation renewed."""

import io

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django.test import override_settings

from benchmarks.management.commands import seed_scale
from benchmarks.scale import GROUP_PREFIX, LARGE_GROUP, USER_PREFIX
from identities import generation, services
from identities.audit import AuditEvent
from identities.models import Group, Membership, User
from identities.passwords import PasswordHistory

pytestmark = pytest.mark.django_db

SMALL = ["--users", "30", "--groups", "6", "--memberships-per-user", "3", "--large-group-members", "10"]
# Fields of an audit event that differ from one record of a kind to the next.
VARYING = {"id", "occurred_at", "target_arn", "target_id", "after"}


def seed(*arguments: str) -> str:
    out = io.StringIO()
    call_command(seed_scale.Command(), *arguments, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "users": User.objects.filter(username__startswith=USER_PREFIX).count(),
        "groups": Group.objects.filter(group_name__startswith=GROUP_PREFIX).count(),
        "memberships": Membership.objects.count(),
        "events": AuditEvent.objects.count(),
    }


def fixed_fields(event: AuditEvent) -> dict:
    return {field.name: getattr(event, field.name) for field in AuditEvent._meta.fields if field.name not in VARYING}


def test_every_user_group_and_membership_has_its_audit_record():
    seed(*SMALL)
    events = dict(AuditEvent.objects.values_list("event_name").annotate(count=Count("id")))
    assert events == {"CreateUser": 30, "CreateGroup": 6 + 1, "AddUserToGroup": 30 * 3}
    assert Membership.objects.count() == 30 * 3
    assert set(Membership.objects.values_list("user__username", flat=True)) == {
        f"{USER_PREFIX}{index:07d}" for index in range(30)
    }
    created = set(AuditEvent.objects.filter(event_name="CreateUser").values_list("target_id", "target_arn"))
    assert created == {(user.iam_id, user.arn) for user in User.objects.filter(username__startswith=USER_PREFIX)}


def test_a_seeded_users_rows_are_those_create_user_writes():
    seed(*SMALL)
    reference = services.create_user(username="reference", password=seed_scale.PASSWORD, actor=None)
    seeded = User.objects.get(username=f"{USER_PREFIX}0000007")
    created = {
        user: AuditEvent.objects.get(event_name="CreateUser", target_id=user.iam_id) for user in (reference, seeded)
    }
    assert fixed_fields(created[seeded]) == fixed_fields(created[reference])
    assert created[seeded].after == {**created[reference].after, "username": seeded.username}
    assert check_password(seed_scale.PASSWORD, seeded.password)
    assert seeded.password_changed_at is not None
    assert list(PasswordHistory.objects.filter(user=seeded).values_list("password", flat=True)) == [seeded.password]
    assert (seeded.is_active, seeded.path, seeded.tags) == (reference.is_active, reference.path, reference.tags)


def test_a_seeded_membership_is_recorded_as_add_members_records_one():
    seed(*SMALL)
    user = User.objects.get(username=f"{USER_PREFIX}0000003")
    group = services.create_group(group_name="reference", actor=None)
    services.add_members(group=group, users=[user], actor=None)
    seeded = Membership.objects.select_related("user", "group").filter(user=user).exclude(group=group).first()
    recorded = AuditEvent.objects.get(
        event_name="AddUserToGroup", target_id=seeded.group.iam_id, after__user=seeded.user.arn
    )
    reference = AuditEvent.objects.get(event_name="AddUserToGroup", target_id=group.iam_id)
    assert fixed_fields(recorded) == fixed_fields(reference)
    assert recorded.target_arn == seeded.group.arn
    assert recorded.after == {**reference.after, "group": seeded.group.group_name}
    assert (seeded.added_by, seeded.added_at is not None) == (None, True)


def test_unique_ids_are_the_models_own_and_all_distinct():
    seed(*SMALL)
    user_ids = list(User.objects.values_list("iam_id", flat=True))
    group_ids = list(Group.objects.values_list("iam_id", flat=True))
    assert len(set(user_ids)) == len(user_ids) == 30
    assert len(set(group_ids)) == len(group_ids) == 7
    assert all(value.startswith("AIDA") for value in user_ids)
    assert all(value.startswith("AGPA") for value in group_ids)


def test_each_user_joins_the_groups_asked_and_the_first_ones_the_large_group():
    seed(*SMALL)
    per_user = set(User.objects.annotate(n=Count("memberships")).values_list("n", flat=True))
    assert per_user == {3}
    large = Group.objects.get(group_name=LARGE_GROUP)
    assert sorted(large.members.values_list("username", flat=True)) == [
        f"{USER_PREFIX}{index:07d}" for index in range(10)
    ]


def test_the_permissions_generation_is_renewed():
    before = generation.current()
    seed(*SMALL)
    assert generation.current() != before


def test_a_second_run_adds_nothing_and_a_bigger_one_adds_the_rest():
    seed(*SMALL)
    first = counts()
    output = seed(*SMALL)
    assert counts() == first
    assert "Users: 30 exist, creating 0" in output
    seed("--users", "40", "--groups", "8", "--memberships-per-user", "3", "--large-group-members", "10")
    grown = counts()
    assert (grown["users"], grown["groups"]) == (40, 8)
    # With more groups a user's slots move: those already in three groups join no more.
    assert set(User.objects.annotate(n=Count("memberships")).values_list("n", flat=True)) == {3}
    assert grown["memberships"] - first["memberships"] == 10 * 3
    assert grown["events"] - first["events"] == 10 + 2 + 10 * 3


@override_settings(IAM_MAX_GROUPS_PER_USER=2)
def test_more_groups_per_user_than_the_quota_is_refused_and_nothing_is_written():
    with pytest.raises(CommandError, match="at most 2"):
        seed(*SMALL)
    assert counts() == {"users": 0, "groups": 0, "memberships": 0, "events": 0}
