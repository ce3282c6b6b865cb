"""A user's home (iamconsole.views._own_home): what they may do per service, what they were
refused lately, and, for a service administrator, the groups and roles they manage."""

from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from identities import audit
from identities.models import Group
from tests import factories
from tests.clients import client_for

pytestmark = pytest.mark.django_db


def section(body: str, heading: str) -> str:
    start = body.index(f'aria-labelledby="{heading}"')
    return body[start : body.index("</section>", start)]


def test_mias_home_sums_up_her_access_per_service_and_level(org):
    response = client_for("mia").get(reverse("home"))
    access = {row.service: (row.levels, row.total) for row in response.context["home"]["access"]}
    # Developers' storage policy: storage:* on the dev-* buckets, List* and Get* everywhere.
    assert access["storage"] == (
        [("List", 2, 0), ("Read", 2, 0), ("Write", 4, 0), ("Permissions management", 1, 0), ("Tagging", 1, 0)],
        10,
    )
    assert set(access) == {"iam", "storage", "sts"}  # SelfService's own iam and sts actions
    shown = section(response.content.decode(), "may-do-heading")
    assert "<code>storage</code>" in shown and ">Write: 4</span>" in shown
    assert '<td class="text-end">10</td>' in shown


def test_without_leave_to_check_herself_the_home_shows_no_access_summary(org):
    from policies import services as policy_services

    deny = {"Effect": "Deny", "Action": "iam:SimulatePrincipalPolicy", "Resource": "*"}
    policy_services.put_inline_policy(
        identity=org.mia, policy_name="NoChecks", document={"Version": "2012-10-17", "Statement": [deny]}, actor=None
    )
    response = client_for("mia").get(reverse("home"))
    assert response.context["home"]["access"] is None
    assert b"What you may do" not in response.content


def test_her_own_refusals_are_listed_newest_first_and_no_one_elses(org):
    mia = client_for("mia")
    assert mia.get(reverse("policies:policy-list")).status_code == 403
    assert mia.get(reverse("identities:user-list")).status_code == 403
    assert client_for("oliver").get(reverse("identities:group-list")).status_code == 403
    response = mia.get(reverse("home"))
    refusals = response.context["home"]["refusals"]
    assert [(event.event_name, event.after["path"]) for event in refusals] == [
        ("ListUsers", "/users/"),
        ("ListPolicies", "/policies/"),
    ]
    shown = section(response.content.decode(), "refused-heading")
    assert "Your policies do not allow iam:ListUsers on *." in shown
    assert "ListGroups" not in shown  # oliver's


def test_decision_api_denials_are_shown_when_the_server_records_them(org, settings):
    settings.IAM_AUDIT_ALLOWED_DECISIONS = True
    resource = "arn:aws:storage:::production-data"
    audit.note_decisions(
        [
            {
                "principal": org.mia.arn,
                "action": "storage:DeleteBucket",
                "resource": resource,
                "decision": "ImplicitDeny",
            },
            {"principal": org.mia.arn, "action": "storage:GetObject", "resource": resource, "decision": "Allow"},
            {
                "principal": org.oliver.arn,
                "action": "storage:PutObject",
                "resource": resource,
                "decision": "ExplicitDeny",
            },
        ],
        actor=org.users["iam-admin"],
    )
    response = client_for("mia").get(reverse("home"))
    assert [event.after["action"] for event in response.context["home"]["denials"]] == ["storage:DeleteBucket"]
    shown = section(response.content.decode(), "refused-heading")
    assert "<code>storage:DeleteBucket</code>" in shown and "ImplicitDeny" in shown
    assert "storage:GetObject" not in shown and "storage:PutObject" not in shown


def test_without_recorded_decisions_the_home_says_they_are_only_counted(org, settings):
    settings.IAM_AUDIT_ALLOWED_DECISIONS = False
    shown = section(client_for("mia").get(reverse("home")).content.decode(), "refused-heading")
    assert "Nothing refused lately." in shown
    assert "Not recorded: this server only counts the decision API's answers" in shown


def test_a_service_administrator_sees_the_groups_it_manages_with_their_members(org):
    response = client_for("dev-admin").get(reverse("home"))
    home = response.context["home"]
    assert [(group.group_name, group.member_count) for group in home["groups"].rows] == [("Developers", 3)]
    assert home["roles"].count == 0
    shown = section(response.content.decode(), "manage-heading")
    developers = Group.objects.get(group_name="Developers")
    assert f'<a href="{reverse("identities:group-detail", args=[developers.pk])}">Developers</a>' in shown
    assert "3 members" in shown and "Operations" not in shown


def test_the_iam_administrator_manages_every_group_and_role_and_mia_none(org):
    home = client_for("iam-admin").get(reverse("home")).context["home"]
    assert [group.group_name for group in home["groups"].rows] == [
        "AuditTeam",
        "Developers",
        "IAMPublishers",
        "Operations",
    ]
    assert [(role.role_name, role.live_assignment_count) for role in home["roles"].rows] == [
        ("AuditReviewer", 2),
        ("ReleaseManager", 1),
    ]
    mia = client_for("mia").get(reverse("home"))
    assert (mia.context["home"]["groups"].count, mia.context["home"]["roles"].count) == (0, 0)
    assert b"What you manage" not in mia.content


def test_root_and_role_sessions_get_no_user_home(org, root_client):
    assert root_client.get(reverse("home")).context["home"] is None


def counted(name: str) -> int:
    client = client_for(name)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("home")).status_code == 200
    return len(captured)


def test_the_home_costs_the_same_queries_at_two_sizes(org):
    def grow(count: int, prefix: str) -> None:
        groups = [factories.GroupFactory(group_name=f"{prefix}{index:03}") for index in range(count)]
        members = factories.bulk_users(count, prefix=prefix.lower())
        for group in groups:
            factories.bulk_memberships(group, members)
        for role in org.roles.values():
            factories.bulk_assignments(role, members)
        for _ in range(count):
            client_for("iam-admin").get(reverse("policies:policy-check") + "?nothing")  # not a refusal
            client_for("dev-admin").get(f"/groups/{org.groups['Developers'].pk}/edit/")  # a refusal of its own

    grow(2, "Few")
    small = (counted("iam-admin"), counted("dev-admin"), counted("mia"))
    grow(14, "Many")
    assert counted("iam-admin") == small[0]
    assert counted("dev-admin") == small[1]
    assert counted("mia") == small[2]


def test_a_refusal_that_named_its_check_offers_to_request_it_prefilled(org):
    developers = Group.objects.get(group_name="Developers")
    dev_admin = client_for("dev-admin")
    assert dev_admin.get(reverse("identities:group-edit", args=[developers.pk])).status_code == 403
    assert dev_admin.get(reverse("identities:group-detail", args=[10**6])).status_code == 404  # names no check
    shown = section(dev_admin.get(reverse("home")).content.decode(), "refused-heading")
    group_arn = developers.arn
    link = reverse("access:request-list") + f"?action=iam%3AUpdateGroup&amp;resource={quote(group_arn, safe='/')}"
    assert shown.count("Request this access") == 1 and link in shown
    asked = dev_admin.get(link.replace("&amp;", "&"))
    initial = asked.context["form"].initial
    assert (initial["kind"], initial["actions"], initial["resources"]) == ("permission", "iam:UpdateGroup", group_arn)
