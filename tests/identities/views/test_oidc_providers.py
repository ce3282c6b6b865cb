"""The console's OpenID Connect provider pages: list, detail, create, delete, client IDs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from identities import services as identity_services
from identities.audit import AuditEvent
from identities.models import OpenIDConnectProvider
from policies import services
from tests.clients import client_for, signed_in
from tests.documents import allow
from tests.identities.views.helpers import url

pytestmark = pytest.mark.django_db

ISSUER = "https://token.actions.example.org"
ARN = "arn:aws:iam::123456789012:oidc-provider/token.actions.example.org"


@pytest.fixture
def provider(org):
    return identity_services.create_oidc_provider(url=ISSUER, client_ids=["deploy"], actor=None)


@pytest.fixture
def reader(org):
    """May list and read providers, and change none."""
    user = identity_services.create_user(username="ida", actor=None)
    document = allow(["iam:ListOpenIDConnectProviders", "iam:GetOpenIDConnectProvider"])
    services.put_inline_policy(identity=user, policy_name="ReadProviders", document=document, actor=None)
    return signed_in(user)


def providers() -> list:
    return list(OpenIDConnectProvider.objects.values_list("url", "client_ids", "tags"))


def successes() -> int:
    return AuditEvent.objects.filter(outcome=AuditEvent.Outcome.SUCCESS).count()


def test_the_list_shows_each_provider_with_its_client_id_count(provider):
    response = client_for("iam-admin").get(url("oidc-provider-list"))
    assert response.status_code == 200
    assert [(row.name, row.may_open) for row in response.context["page"].object_list] == [
        ("token.actions.example.org", True)
    ]
    assert response.context["may_create"] is True


def test_the_list_needs_list_open_id_connect_providers(provider):
    assert client_for("mia").get(url("oidc-provider-list")).status_code == 403


def test_the_detail_shows_the_arn_and_client_ids(provider):
    response = client_for("iam-admin").get(url("oidc-provider-detail", provider.pk))
    body = response.content.decode()
    assert response.status_code == 200
    assert provider.arn == ARN
    assert 'id="provider-arn"' in body and "oidc-provider/token.actions.example.org" in body
    assert '<code class="text-break">deploy</code>' in body


def test_a_reader_sees_the_detail_without_its_forms(provider, reader):
    response = reader.get(url("oidc-provider-detail", provider.pk))
    assert response.status_code == 200
    assert response.context["allowed"] == {"AddClientID": False, "RemoveClientID": False, "Delete": False}
    assert "Add client ID" not in response.content.decode()


def test_someone_who_cannot_read_it_gets_404(provider):
    assert client_for("mia").get(url("oidc-provider-detail", provider.pk)).status_code == 404


def test_creating_a_provider_audits_it(org):
    client = client_for("iam-admin")
    response = client.post(url("oidc-provider-create"), {"url": ISSUER, "client_ids": "deploy\n\nsts.example\n"})
    created = OpenIDConnectProvider.objects.get()
    assert response.status_code == 302 and response["Location"] == url("oidc-provider-detail", created.pk)
    assert created.client_ids == ["deploy", "sts.example"]
    event = AuditEvent.objects.get(event_name="CreateOpenIDConnectProvider")
    assert (event.actor_arn, event.target_arn) == ("arn:aws:iam::123456789012:user/iam-admin", ARN)


@pytest.mark.parametrize(
    "issuer",
    [
        "http://token.actions.example.org",
        "https://token.actions.example.org/",
        "https://token.actions.example.org?x=1",
        "token.actions.example.org",
        "https://user@token.actions.example.org",
        "https://tokén.example.org",
        "",
    ],
)
def test_a_bad_issuer_is_refused_with_a_message_and_changes_nothing(org, issuer):
    before = successes()
    response = client_for("iam-admin").post(url("oidc-provider-create"), {"url": issuer, "client_ids": "deploy"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert (providers(), successes()) == ([], before)


def test_a_second_provider_for_the_same_issuer_is_refused(provider):
    response = client_for("iam-admin").post(url("oidc-provider-create"), {"url": ISSUER, "client_ids": "x"})
    assert response.status_code == 200
    assert "already" in str(response.context["form"].errors)
    assert OpenIDConnectProvider.objects.count() == 1


def test_creating_needs_create_open_id_connect_provider(org, reader):
    assert reader.get(url("oidc-provider-create")).status_code == 403
    assert reader.post(url("oidc-provider-create"), {"url": ISSUER}).status_code == 403
    assert providers() == []


def test_adding_and_removing_a_client_id(provider):
    client = client_for("iam-admin")
    added = client.post(url("oidc-provider-client-id-add", provider.pk), {"client_id": "sts.example"})
    assert added.status_code == 302
    provider.refresh_from_db()
    assert provider.client_ids == ["deploy", "sts.example"]
    removed = client.post(url("oidc-provider-client-id-remove", provider.pk), {"client_id": "deploy"})
    assert removed.status_code == 302
    provider.refresh_from_db()
    assert provider.client_ids == ["sts.example"]
    names = list(AuditEvent.objects.filter(target_arn=ARN).values_list("event_name", flat=True))
    assert set(names) >= {"AddClientIDToOpenIDConnectProvider", "RemoveClientIDFromOpenIDConnectProvider"}


@pytest.mark.parametrize("client_id", ["deploy", "", "x" * 256])
def test_a_bad_client_id_is_refused_and_changes_nothing(provider, client_id):
    before = (providers(), successes())
    response = client_for("iam-admin").post(url("oidc-provider-client-id-add", provider.pk), {"client_id": client_id})
    assert response.status_code == 400
    assert response.context["client_id_form"].errors
    assert (providers(), successes()) == before


def test_removing_a_client_id_it_does_not_have_changes_nothing(provider):
    before = (providers(), successes())
    response = client_for("iam-admin").post(url("oidc-provider-client-id-remove", provider.pk), {"client_id": "nope"})
    assert response.status_code == 302
    assert (providers(), successes()) == before


def test_client_id_changes_need_their_actions(provider, reader):
    assert reader.post(url("oidc-provider-client-id-add", provider.pk), {"client_id": "x"}).status_code == 403
    assert reader.post(url("oidc-provider-client-id-remove", provider.pk), {"client_id": "deploy"}).status_code == 403
    provider.refresh_from_db()
    assert provider.client_ids == ["deploy"]


def test_client_id_pages_take_only_post(provider):
    assert client_for("iam-admin").get(url("oidc-provider-client-id-add", provider.pk)).status_code == 405


def test_deleting_a_provider_asks_then_deletes(provider):
    client = client_for("iam-admin")
    page = client.get(url("oidc-provider-delete", provider.pk))
    assert page.status_code == 200 and "Delete token.actions.example.org" in page.content.decode()
    assert OpenIDConnectProvider.objects.exists()
    response = client.post(url("oidc-provider-delete", provider.pk))
    assert response.status_code == 302 and response["Location"] == url("oidc-provider-list")
    assert not OpenIDConnectProvider.objects.exists()
    assert AuditEvent.objects.filter(event_name="DeleteOpenIDConnectProvider", target_arn=ARN).count() == 1


def test_deleting_needs_delete_open_id_connect_provider(provider, reader):
    assert reader.get(url("oidc-provider-delete", provider.pk)).status_code == 403
    assert reader.post(url("oidc-provider-delete", provider.pk)).status_code == 403
    assert OpenIDConnectProvider.objects.count() == 1


def test_a_missing_provider_is_404(org):
    assert client_for("iam-admin").get(url("oidc-provider-detail", 999)).status_code == 404


def test_provider_pages_cost_the_same_queries_at_3_and_60_providers(org):
    client = client_for("iam-admin")
    counts = []
    for size in (3, 60):
        OpenIDConnectProvider.objects.all().delete()
        OpenIDConnectProvider.objects.bulk_create(
            OpenIDConnectProvider(url=f"https://idp{number}.example.org", client_ids=[f"c{n}" for n in range(size)])
            for number in range(size)
        )
        first = OpenIDConnectProvider.objects.first()
        client.get(url("oidc-provider-list"))
        with CaptureQueriesContext(connection) as listed:
            client.get(url("oidc-provider-list"))
        with CaptureQueriesContext(connection) as detail:
            client.get(url("oidc-provider-detail", first.pk))
        counts.append((len(listed), len(detail)))
    assert counts[0] == counts[1]
