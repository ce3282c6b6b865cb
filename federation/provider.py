"""The organisation's OpenID provider, as settings register it, and Authlib's client of it.

Authlib does the protocol: discovery, the authorization request with state, nonce and PKCE,
the code exchange, and the ID token's signature, issuer, audience, nonce and expiry. Nothing
here reads a JWT by hand.
"""

from dataclasses import dataclass
from functools import cache

from authlib.integrations.django_client import OAuth
from django.conf import settings

# Seconds of clock difference allowed between the provider and this server.
CLOCK_LEEWAY = 60
HTTP_TIMEOUT = 10


@dataclass(frozen=True)
class ProviderSettings:
    issuer: str
    client_id: str
    client_secret: str
    name: str
    scopes: str
    bind_claim: str
    username_claim: str
    create_users: bool
    groups_claim: str
    mfa_values: tuple[str, ...]


def configured() -> ProviderSettings | None:
    """The provider the settings register, or None when sign-in through one is off."""
    if not settings.IAM_OIDC_ISSUER:
        return None
    return ProviderSettings(
        issuer=settings.IAM_OIDC_ISSUER,
        client_id=settings.IAM_OIDC_CLIENT_ID,
        client_secret=settings.IAM_OIDC_CLIENT_SECRET,
        name=settings.IAM_OIDC_PROVIDER_NAME,
        scopes=settings.IAM_OIDC_SCOPES,
        bind_claim=settings.IAM_OIDC_BIND_CLAIM,
        username_claim=settings.IAM_OIDC_USERNAME_CLAIM,
        create_users=settings.IAM_OIDC_CREATE_USERS,
        groups_claim=settings.IAM_OIDC_GROUPS_CLAIM,
        mfa_values=tuple(settings.IAM_OIDC_MFA_VALUES),
    )


@cache
def client(provider: ProviderSettings):
    """Authlib's client of the provider; one per settings, so discovery and the keys are
    fetched once (an unknown key ID fetches the keys again, as Authlib does)."""
    oauth = OAuth()
    oauth.register(
        name="console",
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        server_metadata_url=provider.issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": provider.scopes, "code_challenge_method": "S256", "default_timeout": HTTP_TIMEOUT},
    )
    return oauth.create_client("console")


def metadata(provider: ProviderSettings) -> dict:
    """The provider's discovery document; its issuer must be the configured one exactly
    (OpenID Connect Discovery 1.0, section 4.3)."""
    found = client(provider).load_server_metadata()
    if found.get("issuer") != provider.issuer:
        raise ValueError(f"The provider's discovery document names the issuer {found.get('issuer')!r}.")
    return found
