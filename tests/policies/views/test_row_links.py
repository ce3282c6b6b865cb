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
