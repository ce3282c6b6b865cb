"""The policy list and an identity's attached policies link a policy only when the viewer may
open it (identities.console.mark_openable), with the query count unchanged as policies grow."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from identities import services as identity_services
from identities.models import Group
from policies import services
from policies.models import ManagedPolicy, PolicyAttachment, PolicyVersion
from tests.documents import allow, document, statement

pytestmark = pytest.mark.django_db

ACCOUNT = "arn:aws:iam::123456789012"


def _viewer(*statements) -> Client:
    viewer = identity_services.create_user(username="viewer", actor=None)
    services.put_inline_policy(identity=viewer, policy_name="View", document=document(*statements), actor=None)
    client = Client()
    client.force_login(viewer)
    return client


def _linked(response) -> set[str]:
    pattern = re.escape(reverse("policies:policy-detail", args=[999999])).replace("999999", r"(\d+)")
    pks = re.findall(rf'href="{pattern}"', response.content.decode())
    return set(ManagedPolicy.objects.filter(pk__in=pks).values_list("policy_name", flat=True))


def test_the_list_shows_every_policy_and_links_only_the_one_the_viewer_may_open(org):
    client = _viewer(
        statement("Allow", "iam:ListPolicies"),
        statement("Allow", "iam:GetPolicy", f"{ACCOUNT}:policy/DevelopersStorageAccess"),
    )
    response = client.get(reverse("policies:policy-list"))
    listed = {policy.policy_name for policy in response.context["page"].object_list}
    assert {"DevelopersStorageAccess", "ReadOnlyAccess"} <= listed
    assert _linked(response) == {"DevelopersStorageAccess"}


def test_attached_policies_link_only_those_the_viewer_may_open(org):
    client = _viewer(statement("Allow", ["iam:ListAttachedGroupPolicies", "iam:GetGroup"]))
    developers = Group.objects.get(group_name="Developers")
    response = client.get(reverse("policies:identity-fragment", args=["group", developers.pk]))
    attached = [attachment.policy.policy_name for attachment in response.context["policies"].attachments]
    assert "DevelopersStorageAccess" in attached
    assert _linked(response) == set()


def _many_policies(count: int, prefix: str) -> None:
    group = Group.objects.get(group_name="IAMPublishers")
    created = ManagedPolicy.objects.bulk_create(
        [ManagedPolicy(policy_name=f"{prefix}{index:05}", next_version_number=2) for index in range(count)]
    )
    PolicyVersion.objects.bulk_create(
        [PolicyVersion(policy=item, number=1, is_default=True, document=allow("storage:GetObject")) for item in created]
    )
    PolicyAttachment.objects.bulk_create([PolicyAttachment(policy=item, group=group) for item in created])


def _queries(client, address: str) -> int:
    client.get(address)  # the first page after a change loads the viewer's policies again
    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200
    return len(captured)


def test_the_list_of_a_viewer_who_may_open_some_costs_the_same_queries_at_two_sizes(org):
    client = _viewer(
        statement("Allow", "iam:ListPolicies"),
        statement("Allow", "iam:GetPolicy", f"{ACCOUNT}:policy/Bulk0000*"),
    )
    address = reverse("policies:policy-list") + "?q=Bulk"
    _many_policies(10, "Bulk")
    small = _queries(client, address)
    _many_policies(990, "BulkMore")
    response = client.get(address)
    assert _linked(response) == {f"Bulk{index:05}" for index in range(10)}
    assert _queries(client, address) == small


def test_a_boundary_is_linked_only_when_the_viewer_may_open_its_policy(org):
    henry = org.henry
    boundary = ManagedPolicy.objects.get(policy_name="DevelopersStorageAccess")
    services.set_permissions_boundary(identity=henry, policy=boundary, actor=None)
    address = reverse("policies:identity-fragment", args=["user", henry.pk])
    refused = _viewer(statement("Allow", ["iam:GetUser", "iam:ListAttachedUserPolicies"]))
    response = refused.get(address)
    assert response.context["policies"].boundary.policy == boundary
    assert "DevelopersStorageAccess" in response.content.decode()
    assert _linked(response) == set()
    allowed = _viewer_named(
        "reader", statement("Allow", ["iam:GetUser", "iam:ListAttachedUserPolicies", "iam:GetPolicy"])
    )
    assert _linked(allowed.get(address)) == {"DevelopersStorageAccess", "SelfService"}


def _viewer_named(name: str, *statements) -> Client:
    viewer = identity_services.create_user(username=name, actor=None)
    services.put_inline_policy(identity=viewer, policy_name="View", document=document(*statements), actor=None)
    client = Client()
    client.force_login(viewer)
    return client


def _identity_links(response) -> set[str]:
    text = response.content.decode()
    return set(re.findall(r'href="(/(?:users|groups|roles)/\d+/)"', text))


def test_where_a_policy_is_attached_links_only_the_identities_the_viewer_may_open(org):
    policy = ManagedPolicy.objects.get(policy_name="DevelopersStorageAccess")
    services.set_permissions_boundary(identity=org.henry, policy=policy, actor=None)
    developers = Group.objects.get(group_name="Developers")
    address = reverse("policies:policy-detail", args=[policy.pk])
    client = _viewer(statement("Allow", "iam:GetPolicy"), statement("Allow", "iam:GetGroup", developers.arn))
    response = client.get(address)
    body = response.content.decode()
    assert "Developers" in body and "henry" in body
    assert _identity_links(response) == {reverse("identities:group-detail", args=[developers.pk])}
    everything = _viewer_named("reader", statement("Allow", ["iam:GetPolicy", "iam:GetGroup", "iam:GetUser"]))
    assert _identity_links(everything.get(address)) == {
        reverse("identities:group-detail", args=[developers.pk]),
        reverse("identities:user-detail", args=[org.henry.pk]),
    }
