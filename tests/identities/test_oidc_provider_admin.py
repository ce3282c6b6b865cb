"""OpenID Connect providers in the admin go through the same services and rules as the console."""

import pytest
from django.urls import reverse

from identities import services
from identities.audit import AuditEvent
from identities.models import OpenIDConnectProvider
from policies import services as policy_services
from tests.clients import signed_in
from tests.documents import allow

pytestmark = pytest.mark.django_db

ISSUER = "https://idp.example.org/tenant"


def test_creating_a_provider_in_the_admin_goes_through_the_service(root_client):
    data = {"url": ISSUER, "client_ids": "deploy\nsts", "tags": "team=ci"}
    response = root_client.post(reverse("admin:identities_openidconnectprovider_add"), data)
    assert response.status_code == 302
    provider = OpenIDConnectProvider.objects.get()
    assert (provider.name, provider.client_ids, provider.tags) == (
        "idp.example.org/tenant",
        ["deploy", "sts"],
        {"team": "ci"},
    )
    assert AuditEvent.objects.filter(event_name="CreateOpenIDConnectProvider").count() == 1


def test_changing_client_ids_and_tags_in_the_admin_records_each_change(root_client):
    provider = services.create_oidc_provider(url=ISSUER, client_ids=["a", "b"], tags={"old": "1"}, actor=None)
    url = reverse("admin:identities_openidconnectprovider_change", args=[provider.pk])
    response = root_client.post(url, {"client_ids": "b\nc", "tags": "new=2"})
    assert response.status_code == 302
    provider.refresh_from_db()
    assert (provider.url, provider.client_ids, provider.tags) == (ISSUER, ["b", "c"], {"new": "2"})
    names = set(AuditEvent.objects.values_list("event_name", flat=True))
    assert {
        "AddClientIDToOpenIDConnectProvider",
        "RemoveClientIDFromOpenIDConnectProvider",
        "TagOpenIDConnectProvider",
        "UntagOpenIDConnectProvider",
    } <= names


def test_a_bad_issuer_in_the_admin_is_refused_and_changes_nothing(root_client):
    response = root_client.post(
        reverse("admin:identities_openidconnectprovider_add"), {"url": "http://idp.example.org"}
    )
    assert response.status_code == 200
    assert "url" in response.context["adminform"].form.errors
    assert not OpenIDConnectProvider.objects.exists()


def test_a_reader_may_see_but_not_change_or_delete_it(org):
    provider = services.create_oidc_provider(url=ISSUER, client_ids=["a"], actor=None)
    user = services.create_user(username="ida", actor=None)
    document = allow(["iam:ListOpenIDConnectProviders", "iam:GetOpenIDConnectProvider"])
    policy_services.put_inline_policy(identity=user, policy_name="Read", document=document, actor=None)
    client = signed_in(user)
    change = reverse("admin:identities_openidconnectprovider_change", args=[provider.pk])
    assert client.get(change).status_code == 200
    client.post(change, {"client_ids": "a\nmore"})
    assert (
        client.post(
            reverse("admin:identities_openidconnectprovider_delete", args=[provider.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    provider.refresh_from_db()
    assert provider.client_ids == ["a"]


def test_deleting_a_provider_in_the_admin_records_it(root_client):
    provider = services.create_oidc_provider(url=ISSUER, client_ids=["a"], actor=None)
    response = root_client.post(
        reverse("admin:identities_openidconnectprovider_delete", args=[provider.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not OpenIDConnectProvider.objects.exists()
    assert AuditEvent.objects.filter(event_name="DeleteOpenIDConnectProvider").count() == 1
