"""A membership's expiry takes effect in decisions the moment it passes: no job runs,
and neither the per-process layers nor the shared documents outlive it."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from identities import services as identity_services
from identities.context import Target
from policies import authorization, reports
from policies.assessment.credentials import user_findings
from policies.authorization import caches
from policies.authorization.loader import Documents, Scope, read
from policies.aws_import.details import IdentityPolicies, UserDetail
from policies.aws_import.steps import membership_steps
from policies.engine import Outcome
from tests import factories
from tests.identities.signin_helpers import Clock

pytestmark = pytest.mark.django_db

PUT = "storage:PutObject"
PAGE = "arn:aws:storage:::public-site/index.html"


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, start=timezone.now())


@pytest.fixture
def henry_publishes_for_an_hour(org, clock):
    """henry (otherwise in no group) is in IAMPublishers for one hour."""
    identity_services.add_members(
        group=org.groups["IAMPublishers"], users=[org.henry], actor=None, expires_at=clock.now + timedelta(hours=1)
    )
    return org.henry


def outcome(user):
    return authorization.decide(authorization.layers_of(user), PUT, PAGE).outcome


def test_an_expired_membership_grants_nothing_while_the_per_process_cache_is_warm(henry_publishes_for_an_hour, clock):
    henry = henry_publishes_for_an_hour
    warm = authorization.layers_of(henry)
    assert (outcome(henry), outcome(henry), henry.has_perm(PUT, Target(PAGE))) == (Outcome.ALLOW, Outcome.ALLOW, True)
    assert authorization.layers_of(henry) is warm and warm.answers  # served from the cache, with its answers
    assert authorization.layers_at(henry.arn) is warm
    clock.advance(minutes=59, seconds=59)
    assert outcome(henry) is Outcome.ALLOW
    clock.advance(seconds=1)
    assert outcome(henry) is Outcome.IMPLICIT_DENY
    assert authorization.layers_of(henry) is not warm
    assert authorization.decide(authorization.layers_at(henry.arn), PUT, PAGE).outcome is Outcome.IMPLICIT_DENY
    assert henry.has_perm(PUT, Target(PAGE)) is False


def test_a_second_server_with_the_shared_cache_warm_denies_at_the_expiry(henry_publishes_for_an_hour, clock):
    henry = henry_publishes_for_an_hour
    assert outcome(henry) is Outcome.ALLOW
    documents = caches.shared("user", henry.pk, lambda: pytest.fail("the shared cache was not warm"))
    assert documents.valid_until == clock.now + timedelta(hours=1)
    clock.advance(hours=1)
    authorization.clear_caches()  # a process that has compiled nothing, sharing the cache
    assert outcome(henry) is Outcome.IMPLICIT_DENY
    assert caches.shared("user", henry.pk, lambda: pytest.fail("read again")).memberships == {}


def test_the_shared_cache_keeps_time_bound_documents_no_longer_than_their_expiry(henry_publishes_for_an_hour, clock):
    henry = henry_publishes_for_an_hour
    clock.advance(minutes=30)
    outcome(henry)
    assert caches._seconds_to_keep(caches.shared("user", henry.pk, pytest.fail)) == 30 * 60
    assert caches._seconds_to_keep(Documents()) == caches.DOCUMENT_CACHE_SECONDS


def test_documents_carry_the_earliest_expiry_of_the_live_memberships_they_read(org, clock):
    soon, later = clock.now + timedelta(hours=1), clock.now + timedelta(hours=2)
    identity_services.add_members(group=org.groups["IAMPublishers"], users=[org.henry], actor=None, expires_at=later)
    identity_services.add_members(group=org.groups["AuditTeam"], users=[org.henry], actor=None, expires_at=soon)
    assert read(Scope(users=(org.henry.pk,))).valid_until == soon
    clock.advance(hours=1)
    documents = read(Scope(users=(org.henry.pk,)))
    assert (documents.valid_until, documents.memberships) == (later, {org.henry.pk: [org.groups["IAMPublishers"].pk]})
    assert read(Scope(users=(org.oliver.pk,))).valid_until is None


def test_who_can_ignores_expired_memberships(henry_publishes_for_an_hour, clock, org):
    henry = henry_publishes_for_an_hour
    assert henry.arn in {entry.arn for entry in reports.who_can(PUT, PAGE)}
    clock.advance(hours=1)
    assert henry.arn not in {entry.arn for entry in reports.who_can(PUT, PAGE)}
    everyone = read(Scope(everyone=True))
    assert henry.pk not in everyone.memberships and org.mia.pk in everyone.memberships


def test_the_decision_path_costs_the_same_queries_with_time_bound_memberships(db):
    def user_in(count: int, expires_at) -> object:
        user = factories.UserFactory()
        for _ in range(count):
            group = factories.GroupFactory()
            identity_services.add_members(group=group, users=[user], actor=None, expires_at=expires_at)
        return user

    def queries_for(user) -> int:
        authorization.clear_caches()
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            user.has_perm("iam:ListUsers")
        return len(captured)

    later = timezone.now() + timedelta(hours=1)
    counts = [queries_for(user_in(size, expires)) for size in (2, 8) for expires in (None, later)]
    assert len(set(counts)) == 1, counts


def test_assuming_a_role_costs_the_same_queries_with_time_bound_assignments(db):
    """The role's effective trust reads its live assignments: an expiry on them, and more of
    them, add no query to the decision."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}],
    }

    def assumed(count: int, expires_at) -> tuple[object, object]:
        role = identity_services.create_role(role_name=f"Role{count}{bool(expires_at)}", trust_policy=trust, actor=None)
        users = [factories.UserFactory() for _ in range(count)]
        for user in users:
            identity_services.assign_role(role=role, user=user, actor=None, expires_at=expires_at)
        return role, users[0]

    def queries_for(role, user) -> tuple[int, Outcome]:
        authorization.clear_caches()
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            outcome = authorization.assume_role(authorization.layers_of(user), role).outcome
        return len(captured), outcome

    later = timezone.now() + timedelta(hours=1)
    answers = [queries_for(*assumed(size, expires)) for size in (2, 8) for expires in (None, later)]
    assert {outcome for _, outcome in answers} == {Outcome.ALLOW}  # each decided through its assignment
    assert len({count for count, _ in answers}) == 1, answers


def test_the_import_adds_again_a_group_whose_membership_expired(henry_publishes_for_an_hour, clock):
    henry = henry_publishes_for_an_hour
    detail = UserDetail(henry.username, "/", henry.iam_id, henry.arn, ("IAMPublishers",), IdentityPolicies(), {})
    assert membership_steps(henry, detail) == []
    clock.advance(hours=1)
    assert [step.description for step in membership_steps(henry, detail)] == ["add to group IAMPublishers"]


def test_the_assessment_finds_a_user_whose_only_membership_expired_in_no_group(henry_publishes_for_an_hour, clock):
    def in_no_group() -> set[str]:
        return {f.entity for f in user_findings(clock.now) if f.code == "user-in-no-group"}

    assert "henry" not in in_no_group()
    clock.advance(hours=1)
    assert "henry" in in_no_group()
