"""ID tokens of registered OpenID providers, checked for AssumeRoleWithWebIdentity.

The order matters: the token's `iss` is read without trusting it only to find a
registered provider, so a token from anywhere else never makes the server fetch
anything. Then the provider's keys (its discovery document, then its `jwks_uri`)
are read, kept in Django's cache, and fetched again for an unknown `kid` at most
once a minute per provider. joserfc verifies the signature and the claims; the
audience must be one of the provider's client IDs.
"""

import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from hashlib import sha256
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from identities import naming
from identities.models import OpenIDConnectProvider

logger = logging.getLogger(__name__)

# AWS's limits on WebIdentityToken: 4 to 20,000 characters.
TOKEN_MAX_LENGTH = 20000
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
KEYS_CACHE_SECONDS = 3600
# An unknown kid fetches the keys again at most this often per provider.
REFETCH_SECONDS = 60
# Past this many bytes a discovery document or key set is refused unread.
DOCUMENT_MAX_BYTES = 512 * 1024
# Seconds of clock difference allowed for exp, nbf and iat.
LEEWAY_SECONDS = 30


class TokenRefused(Exception):
    """A token refused, with AWS's error code (InvalidIdentityToken, ExpiredTokenException,
    IDPCommunicationError) and a message for the workload's operator."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Identity:
    """A verified token: its provider, its claims, and the client ID its aud matched."""

    provider: OpenIDConnectProvider
    claims: dict
    audience: str

    @property
    def subject(self) -> str:
        return self.claims["sub"]

    def audited_claims(self) -> dict:
        """What the audit trail keeps of the token: never the token itself."""
        kept = {name: self.claims[name] for name in ("iss", "sub", "aud", "jti") if name in self.claims}
        return {name: value if isinstance(value, str | list) else str(value) for name, value in kept.items()}

    def condition_keys(self) -> dict:
        """The keys a trust policy's conditions read, as AWS names them (`:amr` is ours)."""
        name = self.provider.name
        keys = {f"{name}:aud": self.audience, f"{name}:sub": self.subject, "aws:FederatedProvider": self.provider.arn}
        amr = self.claims.get("amr")
        if isinstance(amr, list) and all(isinstance(value, str) for value in amr):
            keys[f"{name}:amr"] = amr
        return keys


def verified_identity(token: object) -> Identity:
    """The token's identity, or TokenRefused saying what is wrong with it."""
    if not isinstance(token, str) or not 4 <= len(token) <= TOKEN_MAX_LENGTH:
        raise TokenRefused("InvalidIdentityToken", f"WebIdentityToken is a JWT of 4 to {TOKEN_MAX_LENGTH} characters.")
    provider = _registered_provider(unverified_issuer(token))
    header_kid = _unverified_kid(token)
    keys = provider_keys(provider)
    try:
        decoded = _decode(token, keys, header_kid)
    except _UnknownKey:
        try:
            decoded = _decode(token, provider_keys(provider, refetch=True), header_kid)
        except _UnknownKey:
            raise TokenRefused("InvalidIdentityToken", _UNKNOWN_KEY) from None
    return Identity(provider, decoded, _accepted_claims(decoded, provider))


def unverified_issuer(token: str) -> str:
    """The `iss` a compact JWS claims, read without checking anything else."""
    try:
        payload = json.loads(jws.extract_compact(token.encode()).payload)
    except (JoseError, ValueError, UnicodeError):
        raise TokenRefused("InvalidIdentityToken", "WebIdentityToken is not a signed JWT (a compact JWS).") from None
    issuer = payload.get("iss") if isinstance(payload, dict) else None
    if not isinstance(issuer, str) or not issuer:
        raise TokenRefused("InvalidIdentityToken", "The token names no issuer (iss).")
    return issuer


def _unverified_kid(token: str) -> str | None:
    kid = jws.extract_compact(token.encode()).headers().get("kid")
    return kid if isinstance(kid, str) else None


def _registered_provider(issuer: str) -> OpenIDConnectProvider:
    provider = OpenIDConnectProvider.objects.filter(url=issuer).first()
    if provider is None:
        message = f"No OpenID Connect provider is registered for the issuer {issuer[:200]!r}."
        raise TokenRefused("InvalidIdentityToken", message)
    return provider


class _UnknownKey(Exception):
    pass


_UNKNOWN_KEY = "The token's key ID (kid) is none of the provider's keys."


def _decode(token: str, keys: KeySet, kid: str | None) -> dict:
    if kid is not None and not any(key.kid == kid for key in keys.keys):
        raise _UnknownKey
    try:
        return jwt.decode(token, keys, algorithms=ALGORITHMS).claims
    except InvalidKeyIdError:
        raise _UnknownKey from None
    except BadSignatureError:
        message = "The token's signature does not verify with the provider's keys."
        raise TokenRefused("InvalidIdentityToken", message) from None
    except JoseError as error:
        raise TokenRefused("InvalidIdentityToken", f"The token cannot be verified: {error.description}.") from None


def _accepted_claims(claims: dict, provider: OpenIDConnectProvider) -> str:
    """The client ID the token is for, once its issuer, times and audience hold."""
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": provider.url},
        sub={"essential": True},
        exp={"essential": True},
        aud={"essential": True, "values": list(provider.client_ids) or ["\0no client ID"]},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise TokenRefused("ExpiredTokenException", "The token has expired.") from None
    except MissingClaimError as error:
        raise TokenRefused("InvalidIdentityToken", f"The token lacks the claims {error.description}.") from None
    except InvalidClaimError as error:
        raise TokenRefused("InvalidIdentityToken", _claim_message(error)) from None
    if not isinstance(claims["sub"], str):
        raise TokenRefused("InvalidIdentityToken", "The token's sub is not text.")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    return next(audience for audience in audiences if audience in provider.client_ids)


def _claim_message(error: InvalidClaimError) -> str:
    claim = error.claim if hasattr(error, "claim") else error.description
    if "aud" in str(error.description):
        return "The token's audience (aud) is none of the provider's client IDs."
    if "nbf" in str(error.description) or "iat" in str(error.description):
        return "The token is not valid yet (nbf or iat is in the future)."
    return f"The token's claim is not valid: {claim}."


# The provider's keys


def provider_keys(provider: OpenIDConnectProvider, *, refetch: bool = False) -> KeySet:
    """The provider's key set, from the cache or fetched; `refetch` (an unknown kid) fetches
    again only if no fetch for this provider happened in the last REFETCH_SECONDS. Each process
    also remembers its own last fetch, so a cache that is down or forgets does not lift that."""
    cache_key = _cache_key("keys", provider)
    found = None if refetch else cache.get(cache_key)
    if found is None:
        fetched_at, kept = _fetched.get(cache_key, (0.0, None))
        recent = time.monotonic() - fetched_at < REFETCH_SECONDS
        if recent and not refetch:
            found = kept
        elif recent or (not cache.add(_cache_key("fetched", provider), time.time(), REFETCH_SECONDS) and refetch):
            raise TokenRefused("InvalidIdentityToken", _UNKNOWN_KEY)
        else:
            found = _fetch_key_set(provider.url)
            _fetched[cache_key] = (time.monotonic(), found)
            cache.set(cache_key, found, KEYS_CACHE_SECONDS)
    try:
        return KeySet.import_key_set(found)
    except (JoseError, ValueError, TypeError, KeyError):
        raise TokenRefused("IDPCommunicationError", "The provider's key set (JWKS) cannot be read.") from None


# This process's last fetch of each provider's keys (by cache key): when, and what came.
_fetched: dict[str, tuple[float, dict]] = {}


def forget_keys() -> None:
    """Forget this process's fetched keys (the cache's are kept under their own lifetime)."""
    _fetched.clear()


def _cache_key(kind: str, provider: OpenIDConnectProvider) -> str:
    # The URL in the key: a provider deleted and registered again at another URL starts afresh.
    return f"webidentity:{kind}:{provider.pk}:{sha256(provider.url.encode()).hexdigest()[:16]}"


def _fetch_key_set(issuer: str) -> dict:
    discovery = _fetch_json(f"{issuer}/.well-known/openid-configuration")
    if discovery.get("issuer") != issuer:
        raise TokenRefused("IDPCommunicationError", "The provider's discovery document names another issuer.")
    jwks_uri = discovery.get("jwks_uri")
    try:
        naming.validate_issuer_url(jwks_uri)
    except ValidationError:
        raise TokenRefused("IDPCommunicationError", "The provider's jwks_uri is not an https URL.") from None
    keys = _fetch_json(jwks_uri)
    if not isinstance(keys.get("keys"), list):
        raise TokenRefused("IDPCommunicationError", "The provider's key set (JWKS) has no keys.")
    return keys


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to the same scheme and host."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        old, new = urlsplit(req.full_url), urlsplit(newurl)
        if (old.scheme, old.netloc) != (new.scheme, new.netloc):
            raise urllib.error.HTTPError(newurl, code, "redirect to another host refused", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_opener = urllib.request.build_opener(_SameHostRedirects)


def _fetch_json(url: str) -> dict:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with _opener.open(request, timeout=settings.IAM_WEB_IDENTITY_FETCH_TIMEOUT) as response:
            body = response.read(DOCUMENT_MAX_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as error:
        logger.warning("OpenID provider unreachable at %s: %s", url, error)
        raise TokenRefused("IDPCommunicationError", f"The OpenID provider cannot be reached at {url}.") from None
    if len(body) > DOCUMENT_MAX_BYTES:
        raise TokenRefused("IDPCommunicationError", f"The provider's answer at {url} is too large.")
    try:
        document = json.loads(body)
    except (ValueError, UnicodeError):
        raise TokenRefused("IDPCommunicationError", f"The provider's answer at {url} is not JSON.") from None
    if not isinstance(document, dict):
        raise TokenRefused("IDPCommunicationError", f"The provider's answer at {url} is not a JSON object.")
    return document
