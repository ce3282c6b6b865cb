"""The console's group pages: list, members added by search and removed after confirming, create, edit, delete."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from identities import services
from identities.audit import AuditEvent
from identities.models import Group, Membership, User
from identities.templatetags.console_tags import arn as wrapped_arn
from tests import factories
from tests.clients import client_for
from tests.identities.views.helpers import HTMX, state, url, user

pytestmark = pytest.mark.django_db


def group(name: str) -> Group:
    return Group.objects.get(group_name=name)


def members(name: str) -> list[str]:
    return sorted(Membership.objects.filter(group__group_name=name).values_list("user__username", flat=True))


def test_the_list_shows_member_counts(org):
    response = client_for("iam-admin").get(url("group-list"))
    rows = {row.group_name: row.member_count for row in response.context["page"].object_list}
    assert rows == {"AuditTeam": 2, "Developers": 3, "IAMPublishers": 0, "Operations": 2}


def test_the_list_needs_list_groups(org):
    assert client_for("mia").get(url("group-list")).status_code == 403


def test_searching_and_sorting_groups(org):
    client = client_for("iam-admin")
    found = client.get(url("group-list"), {"q": "OPERAT"}).context["page"].object_list
    assert [row.group_name for row in found] == ["Operations"]
    ordered = client.get(url("group-list"), {"sort": "-name"}).context["page"].object_list
    assert ordered[0].group_name == "Operations"


def test_the_group_page_shows_members_arn_and_policies_placeholder(org):
    developers = group("Developers")
    response = client_for("iam-admin").get(url("group-detail", developers.pk))
    body = response.content.decode()
    assert wrapped_arn("arn:aws:iam::123456789012:group/Developers") in body
    assert [row.user.username for row in response.context["page"].object_list] == ["charles", "mia", "oliver"]
    assert f'hx-get="/policies/fragments/group/{developers.pk}/"' in body


def test_a_user_without_get_group_gets_404(org):
    assert client_for("dev-admin").get(url("group-detail", group("Operations").pk)).status_code == 404
    assert client_for("mia").get(url("group-detail", group("Developers").pk)).status_code == 404


def test_searching_candidates_is_bounded_and_skips_members(org):
    factories.bulk_users(30, prefix="cand")
    developers = group("Developers")
    client = client_for("iam-admin")
    response = client.get(url("group-member-candidates", developers.pk), {"find": "cand"})
    assert len(response.context["candidates"]) == 20
    assert "first 20" in response.content.decode()
    names = [
        u.username
        for u in client.get(url("group-member-candidates", developers.pk), {"find": "i"}).context["candidates"]
    ]
    assert "mia" not in names and "iam-admin" in names


def test_the_search_works_without_javascript(org):
    response = client_for("iam-admin").get(url("group-detail", group("Operations").pk), {"find": "henr"})
    assert [u.username for u in response.context["candidates"]] == ["henry"]
    assert 'value="henry"' in response.content.decode()


def test_adding_many_members_at_once_in_place(org):
    operations = group("Operations")
    response = client_for("iam-admin").post(
        url("group-members-add", operations.pk), {"users": ["henry", "mia"]}, **HTMX
    )
    assert response.status_code == 200
    assert "Added to Operations: henry, mia." in response.content.decode()
    assert members("Operations") == ["henry", "james", "lucas", "mia"]
    assert AuditEvent.objects.filter(event_name="AddUserToGroup", target_arn=operations.arn).count() == 4


def test_typed_names_are_accepted_too(org):
    client_for("iam-admin").post(url("group-members-add", group("Operations").pk), {"users": "Henry, MIA"})
    assert members("Operations") == ["henry", "james", "lucas", "mia"]


def test_a_member_already_in_the_group_refuses_the_whole_batch(org):
    before = state()
    response = client_for("iam-admin").post(
        url("group-members-add", group("Developers").pk), {"users": ["henry", "mia"]}, **HTMX
    )
    assert "mia is already a member of Developers." in response.content.decode()
    assert state() == before


def test_the_group_quota_is_refused_with_a_message(org):
    henry = user("henry")
    for index in range(10):
        services.add_members(
            group=services.create_group(group_name=f"Team{index}", actor=None), users=[henry], actor=None
        )
    before = state()
    response = client_for("iam-admin").post(
        url("group-members-add", group("Operations").pk), {"users": "henry"}, follow=True
    )
    assert "henry is already in 10 groups" in response.content.decode()
    assert state() == before


def test_unknown_names_are_refused(org):
    before = state()
    response = client_for("iam-admin").post(
        url("group-members-add", group("Operations").pk), {"users": "ghost"}, **HTMX
    )
    assert "No such user: ghost." in response.content.decode()
    assert state() == before


def test_removing_asks_for_confirmation_first(org):
    developers = group("Developers")
    client = client_for("iam-admin")
    before = state()
    confirm = client.post(url("group-members-remove", developers.pk), {"users": ["mia", "oliver"]})
    assert confirm.status_code == 200 and "Remove 2 members from Developers?" in confirm.content.decode()
    assert state() == before
    done = client.post(url("group-members-remove", developers.pk), {"users": ["mia", "oliver"], "confirm": "yes"})
    assert done.status_code == 302
    assert members("Developers") == ["charles"]


def test_the_delegated_administrator_manages_only_developers(org):
    client = client_for("dev-admin")
    developers, operations = group("Developers"), group("Operations")
    page = client.get(url("group-detail", developers.pk)).content.decode()
    assert "Add selected" in page and "Remove selected" in page and ">Edit<" not in page
    client.post(url("group-members-add", developers.pk), {"users": "henry"})
    assert "henry" in members("Developers")
    assert client.post(url("group-members-add", operations.pk), {"users": "henry"}).status_code == 404
    assert "henry" not in members("Operations")
    assert client.get(url("group-edit", developers.pk)).status_code == 403


def test_create_edit_and_name_rules(org):
    client = client_for("iam-admin")
    response = client.post(url("group-create"), {"group_name": "Support", "path": "/", "description": "Helps"})
    support = group("Support")
    assert response["Location"] == url("group-detail", support.pk)
    bad = client.post(url("group-create"), {"group_name": "bad name!", "path": "/"})
    assert "may contain only" in bad.content.decode() and not Group.objects.filter(group_name="bad name!").exists()
    client.post(url("group-edit", support.pk), {"group_name": "Support2", "path": "/eu/", "description": ""})
    assert (group("Support2").path, group("Support2").description) == ("/eu/", "")


def test_deleting_a_group_with_members_shows_them_and_removes_them_in_one_step(org):
    operations = group("Operations")
    client = client_for("iam-admin")
    page = client.get(url("group-delete", operations.pk)).content.decode()
    assert "What stands in the way" in page and "2 members" in page and "james, lucas" in page
    assert client.post(url("group-delete", operations.pk)).status_code == 302
    assert not Group.objects.filter(group_name="Operations").exists()
    events = AuditEvent.objects.filter(target_arn=operations.arn).order_by("id").values_list("event_name", flat=True)
    assert list(events)[-4:] == ["RemoveUserFromGroup", "RemoveUserFromGroup", "DetachGroupPolicy", "DeleteGroup"]


def test_deleting_needs_delete_group(org):
    before = state()
    assert client_for("dev-admin").post(url("group-delete", group("Developers").pk)).status_code == 403
    assert state() == before


def _detail_queries(client, size: int) -> int:
    team = factories.GroupFactory(group_name=f"Size{size}")
    factories.bulk_memberships(team, factories.bulk_users(size, prefix=f"m{size}-"))
    client.get(url("group-detail", team.pk))
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url("group-detail", team.pk), {"page": "1", "q": "m"}).status_code == 200
    return len(captured)


def test_group_pages_cost_the_same_queries_at_10_and_1000_members(org):
    client = client_for("iam-admin")
    assert _detail_queries(client, 10) == _detail_queries(client, 1000)


def test_the_group_list_costs_the_same_queries_at_10_and_1000_groups(org):
    client = client_for("iam-admin")
    counts = []
    for size in (10, 1000):
        Group.objects.bulk_create(Group(group_name=f"g{size}-{index}") for index in range(size))
        client.get(url("group-list"))
        with CaptureQueriesContext(connection) as captured:
            client.get(url("group-list"), {"page": "2"})
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_candidates_cost_the_same_queries_at_10_and_1000_users(org):
    client = client_for("iam-admin")
    developers = group("Developers")
    counts = []
    client.get(url("group-member-candidates", developers.pk), {"find": "c"})
    for size in (10, 1000):
        factories.bulk_users(size, prefix=f"c{size}-")
        with CaptureQueriesContext(connection) as captured:
            client.get(url("group-member-candidates", developers.pk), {"find": "c"})
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert User.objects.count() > 1000


def _in_an_hour() -> str:
    return (timezone.now() + timedelta(hours=1, minutes=1)).strftime("%Y-%m-%dT%H:%M")


def test_adding_members_until_a_moment_shows_the_time_left(org):
    publishers = group("IAMPublishers")
    client = client_for("iam-admin")
    until = _in_an_hour()
    response = client.post(url("group-members-add", publishers.pk), {"users": ["henry"], "expires_at": until}, **HTMX)
    body = response.content.decode()
    assert "Added to IAMPublishers: henry, until" in body
    membership = Membership.objects.get(group=publishers)
    assert membership.expires_at.strftime("%Y-%m-%dT%H:%M") == until
    assert "expires in 1\xa0hour" in client.get(url("group-detail", publishers.pk)).content.decode()
    Membership.objects.filter(pk=membership.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert "Expired" in client.get(url("group-detail", publishers.pk)).content.decode()


def test_members_added_without_an_expiry_show_none(org):
    body = client_for("iam-admin").get(url("group-detail", group("Developers").pk)).content.decode()
    assert body.count("no expiry") == 3


def test_an_expiry_in_the_past_adds_no_one(org):
    before = state()
    past = (timezone.now() - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    response = client_for("iam-admin").post(
        url("group-members-add", group("IAMPublishers").pk), {"users": ["henry"], "expires_at": past}, **HTMX
    )
    assert "The expiry must be in the future." in response.content.decode()
    assert state() == before


def test_a_member_whose_membership_expired_is_offered_and_added_again(org):
    publishers = group("IAMPublishers")
    services.add_members(
        group=publishers, users=[user("henry")], actor=None, expires_at=timezone.now() + timedelta(hours=1)
    )
    Membership.objects.filter(group=publishers).update(expires_at=timezone.now() - timedelta(minutes=1))
    client = client_for("iam-admin")
    found = client.get(url("group-member-candidates", publishers.pk), {"find": "henry"}).context["candidates"]
    assert [candidate.username for candidate in found] == ["henry"]
    client.post(url("group-members-add", publishers.pk), {"users": ["henry"]}, **HTMX)
    assert list(Membership.objects.filter(group=publishers).values_list("user__username", "expires_at")) == [
        ("henry", None)
    ]


def test_the_members_page_costs_the_same_queries_with_time_bound_members_at_two_sizes(org):
    client = client_for("iam-admin")
    counts = []
    for size in (10, 1000):
        team = factories.GroupFactory(group_name=f"Timed{size}")
        later = timezone.now() + timedelta(hours=3)
        people = factories.bulk_users(size, prefix=f"t{size}-")
        Membership.objects.bulk_create(
            Membership(group=team, user=person, expires_at=later if index % 2 else None)
            for index, person in enumerate(people)
        )
        client.get(url("group-detail", team.pk))
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url("group-detail", team.pk), {"page": "1", "q": "t"})
        assert "expires in" in response.content.decode()
        counts.append(len(captured))
    assert counts[0] == counts[1]
