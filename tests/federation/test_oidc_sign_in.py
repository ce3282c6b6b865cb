"""Console sign-in through a real, certified OpenID provider (oidc-provider on 127.0.0.1):
the code flow with PKCE, the binding, the rules' groups, the provider's MFA, and ID
tokens that are not right, forged with joserfc."""

import time
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import RequestFactory
from joserfc import jwt
from joserfc.jwk import RSAKey

from federation import services
from federation.models import FederatedIdentity, FederatedSession
from identities.audit import AuditEvent
from identities.context import MFA_SESSION_KEY, context_for
from identities.models import Membership
from tests.factories import TEST_PASSWORD
from tests.oidc_provider.fixtures import CONSOLE_CLIENT

pytestmark = [pytest.mark.interop, pytest.mark.django_db]


def start(client) -> str:
    response = client.get("/sign-in/provider/")
    assert response.status_code == 302
    return response["Location"]


def sign_in(client, provider, sub: str):
    """The browser's round trip: the console, the provider's login page, back to the console."""
    return client.get(provider.sign_in(start(client), sub))


def signed_in_pk(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


def bind(user, provider, sub: str):
    return services.bind_federated_identity(user=user, issuer=provider.issuer, claim="sub", value=sub, actor=None)


def test_the_sign_in_page_offers_the_provider(oidc_settings, client):
    response = client.get("/sign-in/")
    assert 'href="/sign-in/provider/?next=/"' in response.content.decode()
    assert "Sign in with Test provider" in response.content.decode()


def test_the_authorization_request_uses_pkce_state_and_nonce(oidc_settings, oidc_provider, client):
    query = parse_qs(urlparse(start(client)).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["state"][0] and query["nonce"][0]
    assert query["client_id"] == [CONSOLE_CLIENT]


def test_a_bound_user_signs_in_with_the_groups_the_rules_give(oidc_settings, oidc_provider, org, client):
    mia, audit_team = org.users["mia"], org.groups["AuditTeam"]
    bind(mia, oidc_provider, "idp-mia")
    services.create_group_rule(claim_value="auditors", group=audit_team, actor=None)
    oidc_provider.set_account("idp-mia", preferred_username="someone-else", groups=["auditors", "unmapped"])

    response = sign_in(client, oidc_provider, "idp-mia")

    assert (response.status_code, response["Location"]) == (302, "/")
    assert signed_in_pk(client) == mia.pk
    made = Membership.objects.get(user=mia, group=audit_team)
    assert (made.source, made.source_ref) == (Membership.Source.IDP_RULE, f"rule:{audit_team.claim_rules.get().pk}")
    assert FederatedSession.objects.get().sid != ""
    assert client.get("/").status_code == 200


def test_a_name_is_never_a_binding(oidc_settings, oidc_provider, org, client):
    """preferred_username "mia" from an unbound identity does not sign in as mia: it asks
    for mia's password first."""
    oidc_provider.set_account("idp-stranger", preferred_username="mia")
    response = sign_in(client, oidc_provider, "idp-stranger")
    assert response["Location"] == "/sign-in/provider/bind/"
    assert signed_in_pk(client) is None
    assert not FederatedIdentity.objects.exists()


def test_a_first_sign_in_binds_by_proving_the_local_password(oidc_settings, oidc_provider, org, client):
    oliver = org.users["oliver"]
    oidc_provider.set_account("idp-oliver", preferred_username="oliver")
    sign_in(client, oidc_provider, "idp-oliver")

    wrong = client.post("/sign-in/provider/bind/", {"username": "oliver", "password": "not-his"})
    assert wrong.status_code == 200 and signed_in_pk(client) is None
    assert not FederatedIdentity.objects.exists()

    right = client.post("/sign-in/provider/bind/", {"username": "oliver", "password": TEST_PASSWORD})
    assert right.status_code == 302 and signed_in_pk(client) == oliver.pk
    binding = FederatedIdentity.objects.get()
    assert (binding.user, binding.issuer, binding.value) == (oliver, oidc_provider.issuer, "idp-oliver")
    assert AuditEvent.objects.filter(event_name="BindFederatedIdentity", target_arn=oliver.arn).count() == 1


def test_root_never_signs_in_through_the_provider(oidc_settings, oidc_provider, org, client):
    oidc_provider.set_account("idp-root", preferred_username="root")
    response = sign_in(client, oidc_provider, "idp-root")
    assert response["Location"] == "/sign-in/"
    assert signed_in_pk(client) is None
    page = client.get("/sign-in/").content.decode()
    assert "never signs in through the identity provider" in page


def test_a_first_sign_in_creates_its_user_when_the_settings_say_so(oidc_settings, oidc_provider, db, client):
    oidc_settings.IAM_OIDC_CREATE_USERS = True
    oidc_provider.set_account("idp-nora", preferred_username="nora")
    sign_in(client, oidc_provider, "idp-nora")
    binding = FederatedIdentity.objects.select_related("user").get(value="idp-nora")
    assert binding.user.username == "nora" and not binding.user.has_usable_password()
    assert signed_in_pk(client) == binding.user.pk


def test_without_a_binding_or_creation_the_sign_in_is_refused(oidc_settings, oidc_provider, db, client):
    oidc_provider.set_account("idp-nobody", preferred_username="nobody")
    response = sign_in(client, oidc_provider, "idp-nobody")
    assert response["Location"] == "/sign-in/" and signed_in_pk(client) is None
    assert "No user here is bound to your identity" in client.get("/sign-in/").content.decode()


@pytest.mark.parametrize(
    ("amr", "acr", "present"),
    [(["pwd", "otp"], None, True), (["pwd"], "urn:example:mfa", False), (["pwd"], "mfa", True), (["pwd"], None, False)],
)
def test_mfa_at_the_provider_counts_when_amr_or_acr_lists_it(
    oidc_settings, oidc_provider, org, client, amr, acr, present
):
    henry = org.users["henry"]
    bind(henry, oidc_provider, "idp-henry")
    auth_time = int(time.time()) - 300
    oidc_provider.set_account("idp-henry", preferred_username="henry", amr=amr, acr=acr, auth_time=auth_time)
    sign_in(client, oidc_provider, "idp-henry")
    assert signed_in_pk(client) == henry.pk
    assert client.session.get(MFA_SESSION_KEY) == (auth_time if present else None)
    request = RequestFactory().get("/")
    request.session = client.session
    context = context_for(request)
    keys = context.condition_keys()
    assert keys["aws:MultiFactorAuthPresent"] == ("true" if present else "false")
    # The age counts from the provider's auth_time, five minutes before the sign-in.
    expected_age = int((context.time - datetime.fromtimestamp(auth_time, tz=UTC)).total_seconds())
    assert expected_age >= 300
    assert keys.get("aws:MultiFactorAuthAge") == (str(expected_age) if present else None)


# Forged ID tokens: the provider's token response carries the test's token instead of its own.


def forge(provider, key: RSAKey, nonce: str, **changes) -> str:
    now = int(time.time())
    claims = {"iss": provider.issuer, "aud": CONSOLE_CLIENT, "sub": "idp-mia", "iat": now, "exp": now + 300}
    claims |= {"nonce": nonce, "auth_time": now, **changes}
    return jwt.encode({"alg": "RS256", "kid": provider.signing_key.kid}, claims, key)


FOREIGN_KEY = RSAKey.generate_key(2048)
FORGERIES = {
    "wrong signature": ({"key": FOREIGN_KEY}, "signature is not the provider"),
    "wrong issuer": ({"iss": "http://127.0.0.1:9"}, "issuer (iss) is not right"),
    "wrong audience": ({"aud": "another-client"}, "audience (aud) is not right"),
    "wrong nonce": ({"nonce": "not-the-one-sent"}, "nonce is not right"),
    "expired": ({"iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600}, "has expired"),
}


@pytest.mark.parametrize("case", FORGERIES)
def test_an_id_token_that_is_not_right_is_refused(oidc_settings, oidc_provider, org, client, case):
    changes, message = FORGERIES[case]
    changes = dict(changes)
    key = changes.pop("key", oidc_provider.signing_key)
    bind(org.users["mia"], oidc_provider, "idp-mia")
    oidc_provider.set_account("idp-mia", preferred_username="mia")
    authorize = start(client)
    nonce = parse_qs(urlparse(authorize).query)["nonce"][0]
    oidc_provider.replace_next_id_token(forge(oidc_provider, key, changes.pop("nonce", nonce), **changes))

    response = client.get(oidc_provider.sign_in(authorize, "idp-mia"))

    assert (response.status_code, response["Location"]) == (302, "/sign-in/")
    assert signed_in_pk(client) is None
    page = client.get("/sign-in/").content.decode()
    assert message in page, page[page.find("alert") :][:400]


def test_the_control_token_is_accepted_when_right(oidc_settings, oidc_provider, org, client):
    """The forging itself is sound: the same token, right, signs in."""
    mia = org.users["mia"]
    bind(mia, oidc_provider, "idp-mia")
    oidc_provider.set_account("idp-mia", preferred_username="mia")
    authorize = start(client)
    nonce = parse_qs(urlparse(authorize).query)["nonce"][0]
    oidc_provider.replace_next_id_token(forge(oidc_provider, oidc_provider.signing_key, nonce))
    client.get(oidc_provider.sign_in(authorize, "idp-mia"))
    assert signed_in_pk(client) == mia.pk


def test_an_answer_with_another_state_is_refused(oidc_settings, oidc_provider, org, client):
    bind(org.users["mia"], oidc_provider, "idp-mia")
    oidc_provider.set_account("idp-mia", preferred_username="mia")
    back = oidc_provider.sign_in(start(client), "idp-mia")
    response = client.get(back.replace("state=", "state=x"))
    assert response["Location"] == "/sign-in/" and signed_in_pk(client) is None
    assert "state does not match" in client.get("/sign-in/").content.decode()


def test_sign_out_offers_the_providers_end_session_endpoint(oidc_settings, oidc_provider, org, client):
    bind(org.users["mia"], oidc_provider, "idp-mia")
    oidc_provider.set_account("idp-mia", preferred_username="mia")
    sign_in(client, oidc_provider, "idp-mia")
    response = client.post("/sign-out/", follow=True)
    assert signed_in_pk(client) is None
    page = response.content.decode()
    end_session = f'href="{oidc_provider.issuer}/session/end?client_id={CONSOLE_CLIENT}"'
    assert end_session in page and "Sign out of Test provider as well" in page
    assert end_session not in client.get("/sign-in/").content.decode()  # offered once


def test_a_password_sign_out_offers_nothing(oidc_settings, org, client):
    client.post("/sign-in/", {"username": "mia", "password": TEST_PASSWORD})
    response = client.post("/sign-out/", follow=True)
    assert "as well" not in response.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E", "the provider answered access_denied."),
        ("", "state does not match"),
        ("?code=forged&state=forged", "state does not match"),
    ],
)
def test_an_answer_the_console_did_not_ask_for_is_refused(oidc_settings, oidc_provider, db, client, query, message):
    start(client)
    response = client.get(f"/sign-in/provider/callback/{query}")
    assert (response.status_code, response["Location"]) == (302, "/sign-in/")
    assert message in client.get("/sign-in/").content.decode() and signed_in_pk(client) is None
