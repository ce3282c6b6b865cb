"""Proposals for a permission request, smallest first, and the requester's gains beyond it."""

import pytest

from access import proposals, services
from identities import rules

pytestmark = pytest.mark.django_db

OBJECT = "arn:aws:storage:::public-site/index.html"


def ask(user, actions=("storage:PutObject",)):
    return rules.perform(
        user,
        services.create_request,
        kind="permission",
        actions=list(actions),
        resources=[OBJECT],
        justification="The front page has a typo.",
        duration=3600,
    )


def test_publishers_are_proposed_before_operations_and_a_new_statement_last(org):
    found = proposals.proposals(ask(org.henry))
    assert [(proposal.kind, proposal.name) for proposal in found] == [
        ("group", "IAMPublishers"),
        ("group", "Operations"),
        ("statement", "a new statement for exactly this"),
    ]
    publishers, operations, statement = found
    assert 0 < publishers.extra < operations.extra and statement.extra == 0
    site = ("arn:aws:storage:::public-site", "arn:aws:storage:::public-site/*")
    assert dict(publishers.beyond)["storage:GetObject"] == site
    assert dict(publishers.beyond)["storage:PutObject"] == site  # index.html alone was asked
    assert publishers.arn == org.groups["IAMPublishers"].arn


def test_no_group_grants_an_action_no_policy_allows(org):
    found = proposals.proposals(ask(org.henry, actions=["storage:PutBucketPolicy", "storage:PutObject"]))
    assert [proposal.name for proposal in found] == ["Operations", "a new statement for exactly this"]


def test_the_preview_shows_what_the_requester_gains_beyond_the_request(org):
    request = ask(org.henry)
    assert proposals.gains_beyond_request(request) == []  # the statement is exactly the request
    gained = {
        (change.action, change.resource)
        for change in proposals.gains_beyond_request(request, org.groups["IAMPublishers"])
    }
    assert ("storage:GetObject", "arn:aws:storage:::public-site/*") in gained
    assert ("storage:PutObject", OBJECT) not in gained
    assert not org.henry.memberships.exists()  # nothing persisted
