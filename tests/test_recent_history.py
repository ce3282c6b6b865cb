"""A page's recent history after a change in place (identities.console.with_history): the htmx
answer carries the history again, out of band, with the new event naming the policy it changed;
only for those who may read the audit trail, at a query count that does not grow with it."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from identities.audit import AuditEvent
from identities.models import Group
from policies.models import ManagedPolicy
from tests.clients import client_for
from tests.documents import allow

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _history(response) -> str:
    found = re.search(
        r'<section [^>]*id="recent-history" hx-swap-oob="true">.*?</section>', response.content.decode(), re.S
    )
    return found.group(0) if found else ""


def _rows(section: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in re.findall(r"<tr>(.*?)</tr>", section, re.S)
    ]


def test_attaching_in_place_sends_the_history_naming_the_policy(org):
    henry, policy = org.henry, ManagedPolicy.objects.get(policy_name="PublishingAccess")
    address = reverse("policies:identity-attach", args=["user", henry.pk])
    response = client_for("iam-admin").post(address, {"policy": policy.pk}, **HTMX)
    assert response.status_code == 200
    assert "AttachUserPolicy PublishingAccess" in _rows(_history(response))[1]


def test_putting_and_detaching_name_the_inline_and_the_managed_policy(org):
    henry, client = org.henry, client_for("iam-admin")
    put = reverse("policies:identity-inline-put", args=["user", henry.pk])
    document = json.dumps(allow("storage:GetObject", "arn:aws:storage:::dev-app/*"))
    response = client.post(put, {"policy_name": "ReadDevApp", "document": document}, **HTMX)
    assert "PutUserPolicy ReadDevApp" in _rows(_history(response))[1]
    detach = reverse("policies:identity-detach", args=["user", henry.pk])
    response = client.post(detach, {"policy": org.policies["SelfService"].pk, "confirm": "yes"}, **HTMX)
    assert "DetachUserPolicy SelfService" in _rows(_history(response))[1]
    page = client.get(reverse("identities:user-detail", args=[henry.pk])).content.decode()
    assert 'DetachUserPolicy</code> <span class="text-break">SelfService</span>' in page


def test_adding_members_in_place_sends_the_groups_history(org):
    developers = Group.objects.get(group_name="Developers")
    address = reverse("identities:group-members-add", args=[developers.pk])
    response = client_for("iam-admin").post(address, {"users": ["henry"]}, **HTMX)
    assert response.status_code == 200
    assert " AddUserToGroup " in f" {_rows(_history(response))[1]} "


def test_without_the_audit_trail_no_history_is_sent(org):
    developers = Group.objects.get(group_name="Developers")
    address = reverse("identities:group-members-add", args=[developers.pk])
    response = client_for("dev-admin").post(address, {"users": ["henry"]}, **HTMX)  # may add, may not read the trail
    assert response.status_code == 200
    assert "recent-history" not in response.content.decode()


def test_a_plain_post_still_redirects(org):
    developers = Group.objects.get(group_name="Developers")
    address = reverse("identities:group-members-add", args=[developers.pk])
    response = client_for("iam-admin").post(address, {"users": ["henry"]})
    assert response.status_code == 302


def test_the_answer_costs_the_same_queries_however_long_the_history(org):
    henry, client = org.henry, client_for("iam-admin")
    detach = reverse("policies:identity-detach", args=["user", henry.pk])
    attach = reverse("policies:identity-attach", args=["user", henry.pk])
    policy = ManagedPolicy.objects.get(policy_name="PublishingAccess")

    def counted() -> int:
        client.post(attach, {"policy": policy.pk}, **HTMX)
        with CaptureQueriesContext(connection) as captured:
            assert client.post(detach, {"policy": policy.pk, "confirm": "yes"}, **HTMX).status_code == 200
        return len(captured)

    small = counted()
    AuditEvent.objects.bulk_create([AuditEvent(event_name="TagUser", target_arn=henry.arn) for _ in range(50)])
    assert counted() == small
