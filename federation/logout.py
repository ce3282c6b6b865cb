"""Signing out with the provider: its back-channel logout token (OpenID Connect
Back-Channel Logout 1.0), verified by joserfc against the provider's published keys, and
the end-session endpoint sign-out offers (RP-Initiated Logout 1.0)."""

from urllib.parse import urlencode

import requests
from authlib.common.errors import AuthlibBaseError
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from federation import provider, services
from federation.provider import ProviderSettings

LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class InvalidLogoutToken(Exception):
    pass


def _decode(configured: ProviderSettings, token: str, *, fresh_keys: bool):
    client = provider.client(configured)
    keys = KeySet.import_key_set(client.fetch_jwk_set(force=fresh_keys))
    algorithms = provider.metadata(configured).get("id_token_signing_alg_values_supported") or ["RS256"]
    return jwt.decode(token, keys, registry=JWSRegistry(algorithms=[a for a in algorithms if a != "none"]))


def verified_logout_token(configured: ProviderSettings, token: str) -> dict:
    """The logout token's claims, once its signature, issuer, audience, times and event
    are checked (section 2.6); InvalidLogoutToken otherwise."""
    if not token:
        raise InvalidLogoutToken("No logout_token was sent.")
    try:
        try:
            decoded = _decode(configured, token, fresh_keys=False)
        except InvalidKeyIdError:  # the provider rotated its keys
            decoded = _decode(configured, token, fresh_keys=True)
        registry = jwt.JWTClaimsRegistry(
            leeway=provider.CLOCK_LEEWAY,
            iss={"essential": True, "value": configured.issuer},
            aud={"essential": True, "value": configured.client_id},
            iat={"essential": True},
            events={"essential": True},
        )
        registry.validate(decoded.claims)
    except (JoseError, AuthlibBaseError, requests.RequestException, ValueError, TypeError) as error:
        raise InvalidLogoutToken(f"The logout token is not valid: {error}") from None
    claims = decoded.claims
    events = claims.get("events")
    if not isinstance(events, dict) or LOGOUT_EVENT not in events:
        raise InvalidLogoutToken("The logout token does not carry the back-channel logout event.")
    if "nonce" in claims:
        raise InvalidLogoutToken("A logout token never carries a nonce.")
    if not isinstance(claims.get("sid"), str) or not claims["sid"]:
        raise InvalidLogoutToken("The logout token names no session (sid); the console ends sessions by sid.")
    return claims


def end_sessions(configured: ProviderSettings, claims: dict) -> int:
    return services.end_federated_sessions(issuer=configured.issuer, sid=claims["sid"])


def end_session_url(configured: ProviderSettings) -> str:
    """Where to send a browser to sign out at the provider as well, or "" without one."""
    try:
        endpoint = provider.metadata(configured).get("end_session_endpoint")
    except (AuthlibBaseError, requests.RequestException, ValueError):
        return ""
    if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
        return ""
    return f"{endpoint}?{urlencode({'client_id': configured.client_id})}"
