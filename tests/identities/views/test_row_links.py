"""Lists and cards link a row only when the viewer may open its page (identities.console),
deciding the rows in one pass: the rows are all shown, and the query count stays the same."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from identities import services
from identities.audit import AuditEvent
from identities.models import Group
from policies import services as policy_services
from tests import factories
from tests.clients import client_for, signed_in
from tests.documents import document, statement
from tests.identities.views.helpers import url, user

pytestmark = pytest.mark.django_db

ACCOUNT = "arn:aws:iam::123456789012"


def _linked(response, name: str) -> set[int]:
    """The primary keys of the pages of `name` (user-detail, group-detail, …) the page links."""
    pattern = re.escape(url(name, 999999)).replace("999999", r"(\d+)")
    return {int(pk) for pk in re.findall(rf'href="{pattern}"', response.content.decode())}


def _developers() -> Group:
    return Group.objects.get(group_name="Developers")


def test_dev_admin_sees_every_group_but_links_only_the_one_it_may_open(org):
    response = client_for("dev-admin").get(url("group-list"))
    listed = {group.group_name for group in response.context["page"].object_list}
    assert listed == {"Developers", "Operations", "AuditTeam", "IAMPublishers"}
    assert _linked(response, "group-detail") == {_developers().pk}


def test_an_administrator_sees_every_group_linked(org):
    response = client_for("iam-admin").get(url("group-list"))
    assert _linked(response, "group-detail") == set(Group.objects.values_list("pk", flat=True))


def test_dev_admin_lists_every_user_but_links_only_its_own_page(org):
    # Its self-service policy reads its own user; nothing lets it read anyone else's.
    response = client_for("dev-admin").get(url("user-list"))
    assert {"mia", "oliver", "henry", "dev-admin"} <= {row.username for row in response.context["page"]}
    assert _linked(response, "user-detail") == {user("dev-admin").pk}


def test_dev_admin_sees_the_members_of_its_group_without_links(org):
    response = client_for("dev-admin").get(url("group-detail", _developers().pk))
    assert [membership.user.username for membership in response.context["page"]] == ["charles", "mia", "oliver"]
    assert _linked(response, "user-detail") == set()


def _reader(name: str, *statements) -> Client:
    """A user whose only policy is these statements."""
    reader = services.create_user(username=name, actor=None)
    policy_services.put_inline_policy(identity=reader, policy_name="Read", document=document(*statements), actor=None)
    return signed_in(reader)


def test_a_users_groups_and_roles_link_only_what_the_viewer_may_open(org):
    client = _reader(
        "mia-reader",
        statement("Allow", "iam:GetUser", f"{ACCOUNT}:user/mia"),
        statement("Allow", "iam:GetGroup", f"{ACCOUNT}:group/Developers"),
    )
    mia = user("mia")
    services.add_members(group=Group.objects.get(group_name="Operations"), users=[mia], actor=None)
    response = client.get(url("user-detail", mia.pk))
    groups = [membership.group.group_name for membership in response.context["summary"].memberships]
    assert groups == ["Developers", "Operations"]
    assert _linked(response, "group-detail") == {_developers().pk}


def test_the_audit_trail_links_only_the_identities_the_viewer_may_open(org):
    client = _reader(
        "auditor",
        statement("Allow", "iam:ListAuditEvents"),
        statement("Allow", "iam:GetGroup", f"{ACCOUNT}:group/Developers"),
    )
    admin = user("iam-admin")
    services.add_members(group=_developers(), users=[user("henry")], actor=admin)
    services.add_members(group=Group.objects.get(group_name="Operations"), users=[user("henry")], actor=admin)
    response = client.get(url("audit-list"), {"event": "AddUserToGroup"})
    targets = {event.target_arn for event in response.context["page"].events}
    assert {f"{ACCOUNT}:group/Developers", f"{ACCOUNT}:group/Operations"} <= targets
    assert _linked(response, "group-detail") == {_developers().pk}
    assert _linked(response, "user-detail") == set()  # the actor, iam-admin, is not the auditor's to read


def _queries(client, address: str) -> int:
    client.get(address)  # the first page after a change loads the viewer's policies again
    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200
    return len(captured)


def test_dev_admins_user_list_costs_the_same_queries_at_10_and_1000_users(org):
    client, address = client_for("dev-admin"), url("user-list") + "?page=2"
    factories.bulk_users(60, prefix="first-")
    small = _queries(client, address)
    factories.bulk_users(1000, prefix="more-")
    assert _queries(client, address) == small


def test_dev_admins_group_page_costs_the_same_queries_at_10_and_1000_members(org):
    client, address = client_for("dev-admin"), url("group-detail", _developers().pk)
    factories.bulk_memberships(_developers(), factories.bulk_users(10, prefix="ten-"))
    small = _queries(client, address)
    factories.bulk_memberships(_developers(), factories.bulk_users(1000, prefix="thousand-"))
    assert _queries(client, address) == small


def _events(count: int, start: int) -> None:
    """`count` events by users about groups and roles, as the trail of a busy day holds."""
    at = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    targets = [f"{ACCOUNT}:group/Developers", f"{ACCOUNT}:role/ReleaseManager", f"{ACCOUNT}:user/oliver"]
    AuditEvent.objects.bulk_create(
        AuditEvent(
            event_name="AddUserToGroup",
            actor_arn=f"{ACCOUNT}:user/mia",
            target_arn=targets[number % 3],
            outcome="Success",
            occurred_at=at + timedelta(minutes=number),
        )
        for number in range(start, start + count)
    )


def test_the_audit_trail_costs_the_same_queries_at_10_and_1000_linked_events(org):
    client = _reader(
        "auditor", statement("Allow", ["iam:ListAuditEvents", "iam:GetUser", "iam:GetGroup", "iam:GetRole"])
    )
    _events(10, 0)
    small = _queries(client, url("audit-list"))
    _events(990, 10)
    response = client.get(url("audit-list"))
    assert _linked(response, "user-detail") and _linked(response, "group-detail") and _linked(response, "role-detail")
    assert _queries(client, url("audit-list")) == small
