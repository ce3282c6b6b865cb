"""What-can and who-can agree with single checks, and read in a constant number of queries."""

from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from identities.models import Group, User
from identities.templatetags.console_tags import arn as wrapped_arn
from policies import authorization, reports
from policies.engine import Outcome
from tests import factories
from tests.clients import client_for

pytestmark = pytest.mark.django_db
PRODUCTION = "arn:aws:storage:::production-data"


def single(user: User, action: str, resource: str) -> Outcome:
    return authorization.decide(authorization.layers_of(user), action, resource).outcome


def test_who_can_agrees_with_single_checks(org):
    entries = reports.who_can("storage:DeleteBucket", "arn:aws:storage:::scratch")
    users = {entry.arn.rsplit("/", 1)[1] for entry in entries if entry.kind == "user"}
    expected = {
        user.username
        for user in User.objects.filter(is_superuser=False)
        if single(user, "storage:DeleteBucket", "arn:aws:storage:::scratch") is Outcome.ALLOW
    }
    assert users == expected == {"lucas", "james"}


def test_who_can_names_the_path_that_grants(org):
    entries = {
        entry.arn.rsplit("/", 1)[1]: entry
        for entry in reports.who_can("storage:DeleteBucket", "arn:aws:storage:::scratch")
    }
    assert entries["lucas"].paths[0].startswith("via group Operations")


def test_nobody_may_delete_the_production_bucket(org):
    assert [entry for entry in reports.who_can("storage:DeleteBucket", PRODUCTION) if entry.kind == "user"] == []


def test_users_who_may_assume_an_allowed_role_are_listed_with_it(org):
    entries = reports.who_can("storage:PutObject", f"{PRODUCTION}/releases/v1.tar")
    assert ("arn:aws:iam::123456789012:role/ReleaseManager", "role") in {(e.arn, e.kind) for e in entries}
    via = [entry for entry in entries if entry.paths == ("after assuming ReleaseManager",)]
    assert [entry.arn for entry in via] == ["arn:aws:iam::123456789012:user/mia"]


def test_what_can_agrees_with_single_checks(org):
    lucas = User.objects.get(username="lucas")
    grants = {grant.action: grant for grant in reports.what_can(authorization.layers_of(lucas))}
    for action, grant in grants.items():
        if not grant.conditional:
            assert any(single(lucas, action, resource) is Outcome.ALLOW for resource in grant.resources), action
    assert "storage:DeleteBucket" in grants
    assert "iam:CreateUser" not in grants
    mia = User.objects.get(username="mia")
    mia_grants = {grant.action: grant for grant in reports.what_can(authorization.layers_of(mia))}
    assert "arn:aws:storage:::dev-*" in mia_grants["storage:DeleteBucket"].resources
    assert "*" not in mia_grants["storage:DeleteBucket"].resources


def test_who_can_reads_the_same_number_of_queries_at_two_sizes(org):
    def queries():
        authorization.clear_caches()
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            reports.who_can("storage:GetObject", "arn:aws:storage:::dev-app/x")
        return len(captured)

    small = queries()
    developers = Group.objects.get(group_name="Developers")
    factories.bulk_memberships(developers, factories.bulk_users(300, "scale"))
    assert queries() == small


def test_the_pages_answer_those_allowed(org):
    client = client_for("iam-admin")
    who = client.get(
        reverse("policies:who-can")
        + "?"
        + urlencode({"action": "storage:DeleteBucket", "resource": "arn:aws:storage:::scratch"})
    )
    assert who.status_code == 200 and wrapped_arn("arn:aws:iam::123456789012:user/lucas") in who.content.decode()
    what = client.get(reverse("policies:what-can") + "?kind=user&principal=mia")
    assert what.status_code == 200
    assert "After assuming <a" in what.content.decode() and ">ReleaseManager</a>" in what.content.decode()


def test_the_pages_refuse_those_without_simulate_rights(org):
    client = client_for("mia")
    assert client.get(reverse("policies:who-can") + "?action=s:A&resource=*").status_code == 403
    assert client.get(reverse("policies:what-can") + "?kind=user&principal=lucas").status_code == 403
    assert client.get(reverse("policies:what-can") + "?kind=user&principal=mia").status_code == 200


def test_what_can_marks_conditional_grants(org):
    from policies import services
    from tests.documents import allow

    henry = User.objects.get(username="henry")
    services.put_inline_policy(
        identity=henry,
        policy_name="Office",
        document=allow("storage:GetObject", "*", {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        actor=None,
    )
    grants = {grant.action: grant for grant in reports.what_can(authorization.layers_of(henry))}
    assert grants["storage:GetObject"].conditional is True
    assert grants["iam:GetUser"].conditional is False


def test_trying_only_the_users_a_trust_policy_can_let_in_loses_no_one(org, monkeypatch):
    """who-can tries a role's path only for the users its trust policy names, or, where it names
    the account, those whose policies may allow sts:AssumeRole; trying everyone finds the same."""
    from identities import services as identity_services
    from policies import services

    role = identity_services.create_role(role_name="Publisher", actor=None)
    publish = {"Effect": "Allow", "Action": "storage:PutObject", "Resource": "arn:aws:storage:::public/*"}
    services.put_inline_policy(
        identity=role, policy_name="Publish", document={"Version": "2012-10-17", "Statement": [publish]}, actor=None
    )
    account_trust = {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}
    named_trust = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/henry"}, "Action": "*"}
    identity_services.update_trust_policy(
        role=role, trust_policy={"Version": "2012-10-17", "Statement": [account_trust, named_trust]}, actor=None
    )
    may_assume = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role.arn}
    services.put_inline_policy(
        identity=User.objects.get(username="james"),
        policy_name="Assume",
        document={"Version": "2012-10-17", "Statement": [may_assume]},
        actor=None,
    )

    cases = [("storage:PutObject", "arn:aws:storage:::public/index.html"), ("storage:PutObject", f"{PRODUCTION}/x")]
    narrowed = [reports.who_can(action, resource) for action, resource in cases]
    monkeypatch.setattr(reports, "_may_assume", lambda trust_set, entries: entries)
    assert [reports.who_can(action, resource) for action, resource in cases] == narrowed
    via = {entry.arn.rsplit("/", 1)[1] for entry in narrowed[0] if entry.paths == ("after assuming Publisher",)}
    # henry is named; james may assume it through the account; no one else is either.
    assert via == {"henry", "james"}


def test_users_who_share_a_groups_policy_are_still_told_apart_by_the_keys_it_reads(org):
    """who-can asks the engine once per set of users with the same documents, unless those
    documents read keys that differ between them: a home prefix by ${aws:username}, a team
    by aws:PrincipalTag, a permission boundary of one of them. Deciding each user finds the same."""
    from identities import services as identity_services
    from policies import services
    from tests.documents import allow, statement

    group = identity_services.create_group(group_name="Homes", actor=None)
    home = statement("Allow", "storage:PutObject", "arn:aws:storage:::homes/${aws:username}/*")
    team = statement(
        "Allow", "storage:GetObject", "arn:aws:storage:::teams/*", {"StringEquals": {"aws:PrincipalTag/team": "blue"}}
    )
    services.put_inline_policy(
        identity=group, policy_name="Homes", document={"Version": "2012-10-17", "Statement": [home, team]}, actor=None
    )
    users = [identity_services.create_user(username=f"home{index}", actor=None) for index in range(4)]
    identity_services.add_members(group=group, users=users, actor=None)
    for user in users[:2]:
        identity_services.set_user_tags(user=user, tags={"team": "blue"}, actor=None)
    narrow, _ = services.create_policy(policy_name="NoHomes", document=allow("storage:GetObject"), actor=None)
    services.set_permissions_boundary(identity=users[1], policy=narrow, actor=None)

    cases = {
        ("storage:PutObject", "arn:aws:storage:::homes/home2/notes.txt"): {"home2"},
        ("storage:PutObject", "arn:aws:storage:::homes/home1/notes.txt"): set(),  # its boundary refuses
        ("storage:GetObject", "arn:aws:storage:::teams/plan.txt"): {"home0", "home1"},
    }
    for (action, resource), expected in cases.items():
        found = {entry.arn.rsplit("/", 1)[1] for entry in reports.who_can(action, resource) if entry.kind == "user"}
        decided = {
            user.username
            for user in User.objects.filter(is_superuser=False)
            if single(user, action, resource) is Outcome.ALLOW
        }
        assert found == decided
        assert found & {user.username for user in users} == expected, (action, resource)
