"""Writes to OpenID Connect providers (the IAM entities of AssumeRoleWithWebIdentity)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from identities.audit import record
from identities.models import CLIENT_IDS_MAX, OpenIDConnectProvider, User
from identities.services._common import clean


def _state(provider: OpenIDConnectProvider) -> dict:
    return {"url": provider.url, "client_ids": list(provider.client_ids), "tags": dict(provider.tags)}


def _locked(provider: OpenIDConnectProvider) -> OpenIDConnectProvider:
    provider.refresh_from_db(from_queryset=OpenIDConnectProvider.objects.select_for_update())
    return provider


@transaction.atomic
def create_oidc_provider(
    *, url: str, client_ids: list[str], actor: User | None, tags: dict[str, str] | None = None
) -> OpenIDConnectProvider:
    """Register an issuer (https://host/path, as its tokens' iss writes it) and its audiences."""
    provider = OpenIDConnectProvider(url=url, client_ids=client_ids, tags=tags or {})
    clean(provider)
    try:
        with transaction.atomic():
            provider.save()
    except IntegrityError:
        raise ValidationError(f"An OpenID Connect provider for {url} is already registered.") from None
    record("CreateOpenIDConnectProvider", actor=actor, target=provider, after=_state(provider))
    return provider


@transaction.atomic
def delete_oidc_provider(*, provider: OpenIDConnectProvider, actor: User | None) -> None:
    """Its role sessions end with it: they were granted on its word."""
    record("DeleteOpenIDConnectProvider", actor=actor, target=provider, before=_state(provider))
    provider.delete()


@transaction.atomic
def add_client_id(*, provider: OpenIDConnectProvider, client_id: str, actor: User | None) -> OpenIDConnectProvider:
    provider = _locked(provider)
    if client_id in provider.client_ids:
        raise ValidationError(f"{client_id!r} is already a client ID of {provider.name}.")
    if len(provider.client_ids) >= CLIENT_IDS_MAX:
        raise ValidationError(f"A provider has at most {CLIENT_IDS_MAX} client IDs.")
    before = _state(provider)
    provider.client_ids = [*provider.client_ids, client_id]
    clean(provider)
    provider.save(update_fields=["client_ids"])
    record("AddClientIDToOpenIDConnectProvider", actor=actor, target=provider, before=before, after=_state(provider))
    return provider


@transaction.atomic
def remove_client_id(*, provider: OpenIDConnectProvider, client_id: str, actor: User | None) -> OpenIDConnectProvider:
    provider = _locked(provider)
    if client_id not in provider.client_ids:
        raise ValidationError(f"{client_id!r} is not a client ID of {provider.name}.")
    before = _state(provider)
    provider.client_ids = [value for value in provider.client_ids if value != client_id]
    provider.save(update_fields=["client_ids"])
    event = "RemoveClientIDFromOpenIDConnectProvider"
    record(event, actor=actor, target=provider, before=before, after=_state(provider))
    return provider


@transaction.atomic
def tag_oidc_provider(
    *, provider: OpenIDConnectProvider, tags: dict[str, str], actor: User | None
) -> OpenIDConnectProvider:
    """Add tags, or give existing keys new values."""
    provider = _locked(provider)
    before = _state(provider)
    provider.tags = {**provider.tags, **tags}
    clean(provider)
    provider.save(update_fields=["tags"])
    record("TagOpenIDConnectProvider", actor=actor, target=provider, before=before, after=_state(provider))
    return provider


@transaction.atomic
def untag_oidc_provider(
    *, provider: OpenIDConnectProvider, keys: list[str], actor: User | None
) -> OpenIDConnectProvider:
    provider = _locked(provider)
    before = _state(provider)
    provider.tags = {key: value for key, value in provider.tags.items() if key not in keys}
    provider.save(update_fields=["tags"])
    record("UntagOpenIDConnectProvider", actor=actor, target=provider, before=before, after=_state(provider))
    return provider
