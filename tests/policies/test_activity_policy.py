"""A policy generated from activity (policies.lastaccess.drafting) allows exactly what was
used: every use is decided Allow by the engine on the generated document, and anything else
it was not asked for is not, until the quota makes it generalise."""

from datetime import timedelta

import pytest

from policies import authorization, lastaccess
from policies.engine import Outcome, policy_size
from policies.lastaccess.drafting import draft_policy, used_resources
from policies.models import LastAccessed
from tests.policies.test_last_accessed import ask, portal  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

DEV = "arn:aws:storage:::dev-app"
USED = {
    ("storage:GetObject", f"{DEV}/reports/2026-11.csv"),
    ("storage:GetObject", f"{DEV}/reports/2026-12.csv"),
    ("storage:PutObject", f"{DEV}/builds/41.tar"),
    ("storage:ListBucket", DEV),
}
# Neighbours of each use that nothing used.
UNUSED = [
    ("storage:GetObject", f"{DEV}/reports/2026-10.csv"),
    ("storage:GetObject", f"{DEV}/builds/41.tar"),
    ("storage:PutObject", f"{DEV}/builds/42.tar"),
    ("storage:PutObject", f"{DEV}/reports/2026-11.csv"),
    ("storage:DeleteObject", f"{DEV}/builds/41.tar"),
    ("storage:ListBucket", "arn:aws:storage:::dev-other"),
]


def outcome(document: dict, action: str, resource: str) -> Outcome:
    layers = authorization.custom_layers("arn:aws:iam::123456789012:user/draft", [document])
    return authorization.decide(layers, action, resource).outcome


@pytest.fixture
def mia_used(org, portal):  # noqa: F811 (the fixture)
    for action, resource in sorted(USED):
        assert ask(portal, org.mia.arn, action, resource) == "Allow"
    lastaccess.flush()
    return org.mia


def test_the_generated_policy_allows_exactly_what_was_used(mia_used):
    document = draft_policy(used_resources(mia_used, days=90))
    assert {outcome(document, action, resource) for action, resource in USED} == {Outcome.ALLOW}
    assert [outcome(document, action, resource) for action, resource in UNUSED] == [Outcome.IMPLICIT_DENY] * 6


def test_under_a_small_quota_it_generalises_to_prefixes_and_still_allows_every_use(mia_used):
    exact = draft_policy(used_resources(mia_used, days=90))
    limit = policy_size(exact) - 40
    document = draft_policy(used_resources(mia_used, days=90), size_limit=limit)
    assert policy_size(document) <= limit
    assert {outcome(document, action, resource) for action, resource in USED} == {Outcome.ALLOW}
    # The two reports became one prefix: a month nobody read is allowed now, nothing else is.
    assert outcome(document, "storage:GetObject", f"{DEV}/reports/2026-10.csv") is Outcome.ALLOW
    assert outcome(document, "storage:DeleteObject", f"{DEV}/builds/41.tar") is Outcome.IMPLICIT_DENY
    assert outcome(document, "storage:ListBucket", "arn:aws:storage:::dev-other") is Outcome.IMPLICIT_DENY


def test_the_window_leaves_out_older_uses(mia_used):
    old = LastAccessed.objects.get(action="storage:PutObject")
    LastAccessed.objects.filter(pk=old.pk).update(last_allowed_at=old.last_allowed_at - timedelta(days=31))
    assert set(used_resources(mia_used, days=30)) == {"storage:GetObject", "storage:ListBucket"}
    assert set(used_resources(mia_used, days=32)) == {"storage:GetObject", "storage:ListBucket", "storage:PutObject"}


def test_a_use_past_the_resource_limit_allows_the_action_everywhere(org, portal, settings):  # noqa: F811
    settings.IAM_LAST_ACCESSED_RESOURCES_PER_ACTION = 1
    for name in ("a", "b"):
        ask(portal, org.mia.arn, "storage:GetObject", f"{DEV}/{name}")
    lastaccess.flush()
    document = draft_policy(used_resources(org.mia, days=1))
    assert document["Statement"] == [
        {"Sid": "UsedActions1", "Effect": "Allow", "Action": "storage:GetObject", "Resource": "*"}
    ]


def test_nothing_used_drafts_nothing(org):
    assert draft_policy(used_resources(org.henry, days=90)) is None
