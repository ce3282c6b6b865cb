"""Time-bound memberships: their expiry and source, re-adding after expiry, and remove_expired."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from identities import queries, rules, services
from identities.audit import AuditEvent
from identities.models import Membership, RoleAssignment
from tests import factories
from tests.identities.signin_helpers import Clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, start=timezone.now())


def rows():
    return sorted(Membership.objects.values_list("user__username", "group__group_name", "expires_at", "source"))


def test_an_expiry_in_the_past_is_refused_and_nothing_changes(org):
    before, events = rows(), AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="The expiry must be in the future."):
        services.add_members(
            group=org.groups["IAMPublishers"],
            users=[org.henry],
            actor=None,
            expires_at=timezone.now() - timedelta(minutes=1),
        )
    assert (rows(), AuditEvent.objects.count()) == (before, events)


def test_an_unknown_source_is_refused(org):
    with pytest.raises(ValidationError, match="is not a source of memberships"):
        services.add_members(group=org.groups["IAMPublishers"], users=[org.henry], actor=None, source="guess")
    assert not Membership.objects.filter(user=org.henry).exists()


def test_the_audit_record_says_the_expiry_and_the_source(org):
    until = timezone.now() + timedelta(hours=1)
    services.add_members(
        group=org.groups["IAMPublishers"],
        users=[org.henry],
        actor=org.iam_admin,
        expires_at=until,
        source=Membership.Source.ACCESS_REQUEST,
        source_ref="17",
    )
    event = AuditEvent.objects.filter(event_name="AddUserToGroup").latest("id")
    assert event.after == {
        "user": org.henry.arn,
        "group": "IAMPublishers",
        "expires_at": until.isoformat(),
        "source": "access_request",
        "source_ref": "17",
    }
    membership = Membership.objects.get(user=org.henry)
    assert (membership.expires_at, membership.source, membership.source_ref) == (until, "access_request", "17")


def test_a_membership_by_hand_has_no_expiry_and_its_record_is_as_before(org):
    services.add_members(group=org.groups["IAMPublishers"], users=[org.henry], actor=None)
    membership = Membership.objects.get(user=org.henry)
    assert (membership.expires_at, membership.source, membership.source_ref) == (None, "manual", "")
    assert membership.is_live() is True
    event = AuditEvent.objects.filter(event_name="AddUserToGroup").latest("id")
    assert event.after == {"user": org.henry.arn, "group": "IAMPublishers"}


def test_is_live_ends_at_the_expiry(org):
    until = timezone.now() + timedelta(hours=1)
    services.add_members(group=org.groups["IAMPublishers"], users=[org.henry], actor=None, expires_at=until)
    membership = Membership.objects.get(user=org.henry)
    assert (membership.is_live(until - timedelta(seconds=1)), membership.is_live(until)) == (True, False)


def test_a_user_whose_membership_expired_may_be_added_again(org, clock):
    publishers = org.groups["IAMPublishers"]
    services.add_members(group=publishers, users=[org.henry], actor=None, expires_at=clock.now + timedelta(hours=1))
    with pytest.raises(ValidationError, match="already a member"):
        services.add_members(group=publishers, users=[org.henry], actor=None)
    clock.advance(hours=2)
    services.add_members(group=publishers, users=[org.henry], actor=None)
    assert rows().count(("henry", "IAMPublishers", None, "manual")) == 1
    assert Membership.objects.filter(user=org.henry).count() == 1
    names = list(AuditEvent.objects.filter(target_arn=publishers.arn).order_by("id").values_list("event_name", "after"))
    assert names[-2:] == [
        ("RemoveUserFromGroup", {"reason": "expired"}),
        ("AddUserToGroup", {"user": org.henry.arn, "group": "IAMPublishers"}),
    ]


def test_expired_memberships_do_not_count_toward_the_quota(org, clock, settings):
    settings.IAM_MAX_GROUPS_PER_USER = 1
    services.add_members(
        group=org.groups["IAMPublishers"], users=[org.henry], actor=None, expires_at=clock.now + timedelta(hours=1)
    )
    developers = org.groups["Developers"]
    with pytest.raises(ValidationError, match="already in 1 groups"):
        services.add_members(group=developers, users=[org.henry], actor=None)
    clock.advance(hours=1)
    services.add_members(group=developers, users=[org.henry], actor=None)
    assert Membership.objects.live().filter(user=org.henry).get().group == developers


def test_a_writer_removes_only_the_memberships_it_made(org):
    publishers, operations = org.groups["IAMPublishers"], org.groups["Operations"]
    until = timezone.now() + timedelta(hours=1)
    made = {"source": Membership.Source.ACCESS_REQUEST, "expires_at": until, "actor": None}
    services.add_members(group=publishers, users=[org.henry], source_ref="1", **made)
    services.add_members(group=publishers, users=[org.oliver], source_ref="2", **made)
    services.add_members(group=operations, users=[org.henry], source_ref="1", **made)
    removed = services.remove_members_made_by(source="access_request", source_ref="1", group=publishers, actor=None)
    assert [(m.user.username, m.group.group_name) for m in removed] == [("henry", "IAMPublishers")]
    removed = services.remove_members_made_by(source="access_request", source_ref="1", actor=None)
    assert [(m.user.username, m.group.group_name) for m in removed] == [("henry", "Operations")]
    assert services.remove_members_made_by(source="access_request", source_ref="1", actor=None) == []
    assert Membership.objects.filter(group=publishers).get().user == org.oliver
    assert Membership.objects.filter(group=operations).count() == 2  # lucas and james, added by hand


def test_removing_what_a_source_made_needs_remove_user_from_group_on_each_group(org):
    until = timezone.now() + timedelta(hours=1)
    for group in (org.groups["Developers"], org.groups["IAMPublishers"]):
        services.add_members(
            group=group, users=[org.henry], actor=None, expires_at=until, source="access_request", source_ref="9"
        )
    checks = rules.required(services.remove_members_made_by, source="access_request", source_ref="9")
    assert [(check.action, check.target.group_name) for check in checks] == [
        ("iam:RemoveUserFromGroup", "Developers"),
        ("iam:RemoveUserFromGroup", "IAMPublishers"),
    ]
    # dev-admin manages Developers' members only.
    with pytest.raises(rules.Refused):
        rules.perform(org.dev_admin, services.remove_members_made_by, source="access_request", source_ref="9")
    assert Membership.objects.filter(user=org.henry).count() == 2


def test_remove_expired_removes_and_records_what_expired_and_leaves_the_live(org, clock):
    hour = clock.now + timedelta(hours=1)
    services.add_members(group=org.groups["IAMPublishers"], users=[org.henry], actor=None, expires_at=hour)
    services.add_members(
        group=org.groups["AuditTeam"], users=[org.oliver], actor=None, expires_at=hour + timedelta(days=1)
    )
    reviewer = org.roles["AuditReviewer"]
    services.assign_role(role=reviewer, user=org.henry, actor=None, expires_at=hour)
    services.assign_role(role=reviewer, user=org.oliver, actor=None, expires_at=hour + timedelta(days=1))
    assert services.remove_expired(actor=None) == ([], [])
    clock.advance(hours=1)
    expired = services.remove_expired(actor=None)
    assert [(m.user.username, m.group.group_name) for m in expired.memberships] == [("henry", "IAMPublishers")]
    assert [(a.user.username, a.role.role_name) for a in expired.assignments] == [("henry", "AuditReviewer")]
    assert not Membership.objects.filter(user=org.henry).exists()
    assert list(RoleAssignment.objects.filter(role=reviewer).values_list("user__username", flat=True)) == [
        "charles",
        "lucas",
        "oliver",
    ]
    assert Membership.objects.filter(user=org.oliver, group=org.groups["AuditTeam"]).exists()
    events = AuditEvent.objects.filter(after={"reason": "expired"}).order_by("id")
    assert [(e.event_name, e.before["user"], e.before["expires_at"]) for e in events] == [
        ("RemoveUserFromGroup", org.henry.arn, hour.isoformat()),
        ("UnassignRole", org.henry.arn, hour.isoformat()),
    ]


def test_remove_expired_at_a_given_moment(org):
    later = timezone.now() + timedelta(hours=1)
    services.add_members(group=org.groups["IAMPublishers"], users=[org.henry], actor=None, expires_at=later)
    expired = services.remove_expired(at=later + timedelta(seconds=1))
    assert [m.user.username for m in expired.memberships] == ["henry"]


def test_expired_rows_are_found_by_the_index_of_expiries():
    indexes = {index.name: index for index in Membership._meta.indexes}
    assert indexes["membership_expiry"].fields == ["expires_at"]


def test_a_membership_factory_row_is_manual_by_default(db):
    membership = Membership.objects.create(user=factories.UserFactory(), group=factories.GroupFactory())
    assert (membership.source, membership.expires_at) == (Membership.Source.MANUAL, None)


def test_a_user_whose_only_membership_expired_is_in_no_group_on_the_pages(org, clock):
    services.add_members(
        group=org.groups["IAMPublishers"], users=[org.henry], actor=None, expires_at=clock.now + timedelta(hours=1)
    )
    assert "henry" not in [user.username for user in queries.users_in_no_group()]
    publishers = [g for g in queries.annotate_group_rows(list(org.groups.values())) if g.group_name == "IAMPublishers"]
    assert publishers[0].member_count == 1
    clock.advance(hours=1)
    assert "henry" in [user.username for user in queries.users_in_no_group()]
    publishers = [g for g in queries.annotate_group_rows(list(org.groups.values())) if g.group_name == "IAMPublishers"]
    assert publishers[0].member_count == 0
