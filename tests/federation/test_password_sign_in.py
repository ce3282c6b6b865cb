"""IAM_OIDC_FEDERATED_PASSWORDS=false: a user bound to the identity provider signs in through
it only, never with a password here; an unbound user keeps their password, and the root user
keeps theirs whatever is bound (it never signs in through the provider)."""

import pytest
from django.test import Client
from django.urls import reverse

from federation import services
from federation.models import FederatedIdentity
from identities.audit import AuditEvent
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

ISSUER = "https://idp.example.org"


def password_sign_in(user) -> tuple[Client, object]:
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD})
    return client, response


def signed_in_as(client) -> str | None:
    return client.session.get("_auth_user_id")


@pytest.fixture
def bound_mia(mia):
    services.bind_federated_identity(user=mia, issuer=ISSUER, claim="sub", value="mia-at-idp", actor=None)
    return mia


def test_a_bound_user_signs_in_with_a_password_while_passwords_are_on(settings, bound_mia):
    settings.IAM_OIDC_FEDERATED_PASSWORDS = True
    client, response = password_sign_in(bound_mia)
    assert (response.status_code, signed_in_as(client)) == (302, str(bound_mia.pk))


def test_with_passwords_off_a_bound_user_is_sent_to_the_provider_and_nothing_signs_in(settings, bound_mia):
    settings.IAM_OIDC_FEDERATED_PASSWORDS = False
    settings.IAM_OIDC_PROVIDER_NAME = "Example sign-in"
    client, response = password_sign_in(bound_mia)
    assert response.status_code == 200
    assert signed_in_as(client) is None
    assert "signs in through Example sign-in" in response.content.decode()
    assert not AuditEvent.objects.filter(event_name="ConsoleLogin", outcome=AuditEvent.Outcome.SUCCESS).exists()


def test_with_passwords_off_an_unbound_user_keeps_their_password(settings, bound_mia, henry):
    settings.IAM_OIDC_FEDERATED_PASSWORDS = False
    client, response = password_sign_in(henry)
    assert (response.status_code, signed_in_as(client)) == (302, str(henry.pk))


def test_with_passwords_off_the_root_user_keeps_its_password_even_if_a_binding_names_it(settings, root):
    settings.IAM_OIDC_FEDERATED_PASSWORDS = False
    # The services refuse to bind root; a row made behind their back must not lock root out either.
    FederatedIdentity.objects.create(user=root, issuer=ISSUER, claim="sub", value="root-at-idp")
    client, response = password_sign_in(root)
    assert response.status_code == 302
    assert signed_in_as(client) == str(root.pk)
