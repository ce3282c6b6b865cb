"""Back-channel logout from the real provider: signing out there ends the console session
of that sid, over HTTP both ways (the provider posts its logout token to the live server)."""

import time

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey

from federation.models import FederatedSession
from identities.credentials import ConsoleSession
from tests.oidc_provider.fixtures import BACKCHANNEL_LOGOUT, CONSOLE_CLIENT

pytestmark = [pytest.mark.interop]

LOGOUT_EVENT = {"http://schemas.openid.net/event/backchannel-logout": {}}


@pytest.fixture
def mia(transactional_db, oidc_settings, oidc_provider):
    from federation import services
    from tests import factories

    user = factories.UserFactory(username="mia")
    services.bind_federated_identity(user=user, issuer=oidc_provider.issuer, claim="sub", value="idp-mia", actor=None)
    oidc_provider.set_account("idp-mia", preferred_username="mia")
    return user


def signed_in_browser(live_server, provider) -> requests.Session:
    browser = requests.Session()
    start = browser.get(f"{live_server.url}/sign-in/provider/", allow_redirects=False, timeout=10)
    back = provider.sign_in(start.headers["Location"], "idp-mia", browser=browser)
    landed = browser.get(back, allow_redirects=False, timeout=10)
    assert (landed.status_code, landed.headers["Location"]) == (302, "/")
    return browser


def home_status(browser, live_server) -> int:
    return browser.get(f"{live_server.url}/", allow_redirects=False, timeout=10).status_code


def test_signing_out_at_the_provider_ends_the_console_session(live_server, oidc_provider, mia):
    browser = signed_in_browser(live_server, oidc_provider)
    other = signed_in_browser(live_server, oidc_provider)  # another provider session: another sid
    assert home_status(browser, live_server) == 200

    oidc_provider.end_session(browser)

    assert home_status(browser, live_server) == 302
    assert home_status(other, live_server) == 200
    ended = ConsoleSession.objects.filter(user=mia, ended_at__isnull=False)
    assert ended.count() == 1
    assert FederatedSession.objects.get(console_session=ended.get()).sid != ""


def logout_token(provider, key: RSAKey, sid: str, **changes) -> str:
    now = int(time.time())
    claims = {"iss": provider.issuer, "aud": CONSOLE_CLIENT, "iat": now, "exp": now + 120, "jti": str(now)}
    claims |= {"sid": sid, "events": LOGOUT_EVENT, **changes}
    return jwt.encode({"alg": "RS256", "kid": provider.signing_key.kid}, claims, key)


FOREIGN_KEY = RSAKey.generate_key(2048)


@pytest.mark.parametrize(
    "forgery",
    [
        {"key": FOREIGN_KEY},
        {"iss": "http://127.0.0.1:9"},
        {"aud": "another-client"},
        {"events": {}},
        {"nonce": "n"},
        {"iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600},
    ],
    ids=["signature", "issuer", "audience", "event", "nonce", "expired"],
)
def test_a_logout_token_that_is_not_right_ends_nothing(live_server, oidc_provider, mia, forgery):
    browser = signed_in_browser(live_server, oidc_provider)
    sid = FederatedSession.objects.get().sid
    forgery = dict(forgery)
    key = forgery.pop("key", oidc_provider.signing_key)
    token = logout_token(oidc_provider, key, sid, **forgery)
    answer = requests.post(f"{live_server.url}{BACKCHANNEL_LOGOUT}", data={"logout_token": token}, timeout=10)
    assert answer.status_code == 400
    assert home_status(browser, live_server) == 200


def test_a_right_logout_token_for_the_sid_ends_it(live_server, oidc_provider, mia):
    """The same token as above, right: the forgeries fail for their fault alone."""
    browser = signed_in_browser(live_server, oidc_provider)
    token = logout_token(oidc_provider, oidc_provider.signing_key, FederatedSession.objects.get().sid)
    answer = requests.post(f"{live_server.url}{BACKCHANNEL_LOGOUT}", data={"logout_token": token}, timeout=10)
    assert answer.status_code == 200
    assert home_status(browser, live_server) == 302


def test_a_logout_without_a_token_is_a_400(live_server, oidc_settings):
    answer = requests.post(f"{live_server.url}{BACKCHANNEL_LOGOUT}", data={}, timeout=10)
    assert (answer.status_code, answer.text) == (400, "No logout_token was sent.")


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "e30.e30."])
def test_a_logout_token_that_is_no_signed_jwt_is_a_400(live_server, oidc_settings, token):
    answer = requests.post(f"{live_server.url}{BACKCHANNEL_LOGOUT}", data={"logout_token": token}, timeout=10)
    assert answer.status_code == 400 and answer.text.startswith("The logout token is not valid")
