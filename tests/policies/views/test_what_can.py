"""The what-can page on the article's organisation (`org`): a summary per service and level."""

from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from identities import services as identity_services
from identities.models import User
from policies import catalogue_version, services
from policies.models import CatalogAction, CatalogService
from tests.clients import client_for
from tests.documents import allow

pytestmark = pytest.mark.django_db

URL = reverse("policies:what-can")


def what_can(client, principal, **extra):
    return client.get(f"{URL}?{urlencode({'kind': 'user', 'principal': principal} | extra)}")


def services_of(response) -> dict:
    return {service.service: service for service in response.context["summary"]}


def test_mia_sees_storage_summarised_per_access_level(org):
    storage = services_of(what_can(client_for("iam-admin"), "mia"))["storage"]
    levels = {level.level: (level.allowed, level.total) for level in storage.levels}
    # DevelopersStorageAccess allows storage:* on the dev-* buckets: every storage action somewhere.
    assert levels == {
        "List": (2, 2),
        "Read": (2, 2),
        "Write": (4, 4),
        "Permissions management": (1, 1),
        "Tagging": (1, 1),
    }
    assert (storage.allowed, storage.total) == (10, 10)


def test_each_action_names_the_policy_and_the_group_that_grant_it(org):
    response = what_can(client_for("iam-admin"), "mia")
    storage = services_of(response)["storage"]
    write = next(level for level in storage.levels if level.level == "Write")
    put = next(grant for grant in write.grants if grant.action == "storage:PutObject")
    ((source, group),) = put.granted_by
    assert (source.words, group) == ("policy DevelopersStorageAccess (version 1)", "Developers")
    assert source.url == reverse("policies:policy-detail", args=[org.policies["DevelopersStorageAccess"].pk])
    assert "via group Developers" in response.content.decode()


def test_catalogue_actions_without_a_feature_are_hidden(org):
    # iam-admin may do iam:*; AWS's SAML actions are in the catalogue, but nothing here performs them.
    response = what_can(client_for("root"), "iam-admin")
    iam = services_of(response)["iam"]
    shown = {grant.action for level in iam.levels for grant in level.grants}
    assert "iam:AddUserToGroup" in shown
    assert "iam:CreateSAMLProvider" not in shown
    assert CatalogAction.objects.filter(service__prefix="iam", name="CreateSAMLProvider").exists()
    assert iam.total < CatalogAction.objects.filter(service__prefix="iam").count()


def test_search_keeps_the_matching_actions_and_opens_them(org):
    response = what_can(client_for("iam-admin"), "mia", q="object")
    storage = services_of(response)["storage"]
    shown = sorted(grant.action for level in storage.levels for grant in level.grants)
    assert shown == ["storage:DeleteObject", "storage:GetObject", "storage:PutObject"]
    page = response.content.decode()
    assert 'class="list-group-item what-can-service" open' in page
    assert 'data-expand-all="#what-can"' in page
    nothing = what_can(client_for("iam-admin"), "mia", q="nothing-like-this")
    assert nothing.context["summary"] == [] and "No allowed action matches" in nothing.content.decode()


def _grow(first: int, last: int) -> None:
    """Actions first..last-1 of an organisation's own service, each granted to `grower` through a group."""
    service, _ = CatalogService.objects.get_or_create(prefix="billing", defaults={"name": "Billing"})
    CatalogAction.objects.bulk_create(
        [CatalogAction(service=service, name=f"Action{n}", access_level="Read") for n in range(first, last)]
    )
    catalogue_version.renew()  # as every write of catalogue rows does
    grower = identity_services.create_user(username="grower", actor=None) if first == 0 else org_user("grower")
    for n in range(first, last):
        group = identity_services.create_group(group_name=f"billing-{n}", actor=None)
        identity_services.add_members(group=group, users=[grower], actor=None)
        policy, _ = services.create_policy(policy_name=f"Billing{n}", document=allow(f"billing:Action{n}"), actor=None)
        services.attach_policy(identity=group, policy=policy, actor=None)


def org_user(name: str) -> User:
    return User.objects.get(username=name)


def _counted(client) -> tuple[int, int]:
    what_can(client, "grower")  # warm what a first request fills
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = what_can(client, "grower")
    billing = services_of(response)["billing"]
    assert billing.allowed == billing.total
    return billing.total, len(queries)


def test_the_query_count_does_not_grow_with_actions_and_groups(org):
    client = client_for("iam-admin")
    _grow(0, 2)
    small_size, small = _counted(client)
    _grow(2, 7)
    large_size, large = _counted(client)
    assert (small_size, large_size) == (2, 7)
    assert small == large
