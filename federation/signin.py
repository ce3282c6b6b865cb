"""A console sign-in through the OpenID provider, once Authlib verified its ID token: who
the identity is here, the groups its claims give, the MFA it did at the provider, and the
console session it starts (identities.signin's, as a password sign-in's)."""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from federation import services
from federation.models import FederatedIdentity
from federation.provider import ProviderSettings
from identities import mfa, naming, signin
from identities import services as identity_services
from identities.audit import AuditEvent
from identities.context import MFA_SESSION_KEY
from identities.models import User
from identities.passwords import PasswordPolicy

BACKEND = "identities.backends.PasswordBackend"
# A verified identity waiting for its user's password, so that the first sign-in binds it.
PENDING = "iam_federated_pending"


def password_sign_in_refusal(user: User) -> str:
    """identities' IAM_PASSWORD_SIGN_IN_HOOKS: with IAM_OIDC_FEDERATED_PASSWORDS off, a user bound
    to the provider signs in through it only. Never the root user: it keeps its password and MFA."""
    if settings.IAM_OIDC_FEDERATED_PASSWORDS or user.is_superuser:
        return ""
    if not FederatedIdentity.objects.filter(user=user).exists():
        return ""
    return (
        f"{user.username} signs in through {settings.IAM_OIDC_PROVIDER_NAME}: "
        "password sign-in is off for users bound to the identity provider."
    )


class Refused(Exception):
    """A sign-in refused with a message for the person signing in."""


@dataclass(frozen=True)
class Identity:
    """What a verified ID token says that the console uses."""

    issuer: str
    claim: str
    value: str
    username: str
    groups: tuple[str, ...]
    mfa_at: float | None
    sid: str

    def as_session(self) -> dict:
        return {**self.__dict__, "groups": list(self.groups), "at": timezone.now().timestamp()}


def _text(claims: dict, name: str) -> str:
    value = claims.get(name)
    return value if isinstance(value, str) else ""


def _values(value) -> set[str]:
    if isinstance(value, str):
        return set(value.split())
    if isinstance(value, list):
        return {item for item in value if isinstance(item, str)}
    return set()


def mfa_time(provider: ProviderSettings, claims: dict) -> float | None:
    """When MFA was done at the provider (auth_time, else now), if amr or acr holds one of
    the values the settings list; else None."""
    done = _values(claims.get("amr")) | _values(claims.get("acr"))
    if not done & set(provider.mfa_values):
        return None
    auth_time = claims.get("auth_time")
    now = timezone.now().timestamp()
    if isinstance(auth_time, int | float) and not isinstance(auth_time, bool) and 0 < auth_time <= now:
        return float(auth_time)
    return now


def identity_of(provider: ProviderSettings, claims: dict) -> Identity:
    value = claims.get(provider.bind_claim)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise Refused(f"The provider's ID token has no {provider.bind_claim} claim to bind on.")
    groups = claims.get(provider.groups_claim)
    return Identity(
        issuer=provider.issuer,
        claim=provider.bind_claim,
        value=value,
        username=_text(claims, provider.username_claim),
        groups=tuple(sorted(_values(groups) if isinstance(groups, list) else set())),
        mfa_at=mfa_time(provider, claims),
        sid=_text(claims, "sid"),
    )


def refuse(reason: str, user: User | None = None) -> Refused:
    identity_services.record_console_login(
        user=user, outcome=AuditEvent.Outcome.FAILURE, reason=f"Federated sign-in: {reason}"
    )
    return Refused(reason)


def user_of(provider: ProviderSettings, identity: Identity) -> User | None:
    """The user the identity signs in as; None when it must first prove a local user's
    password (a local user has its name and no binding yet). Refused otherwise."""
    bound = FederatedIdentity.objects.select_related("user").filter(
        issuer=identity.issuer, claim=identity.claim, value=identity.value
    )
    binding = bound.first()
    if binding is not None:
        if binding.user.is_superuser:
            raise refuse(services.ROOT_REFUSED, binding.user)
        if not binding.user.is_active:
            raise refuse(f"{binding.user.username} is disabled.", binding.user)
        return binding.user
    key = naming.sign_in_key(identity.username)
    local = User.objects.filter(username__lower=key).first() if key else None
    if local is not None and local.is_superuser:
        raise refuse(services.ROOT_REFUSED, local)
    if local is not None and hasattr(local, "federated_identity"):
        raise refuse(f"The user {local.username} here is bound to another identity at the provider.")
    if local is not None:
        return None
    if not provider.create_users:
        raise refuse("No user here is bound to your identity at the provider. Ask an administrator to bind one.")
    try:
        return services.create_federated_user(
            username=identity.username, issuer=identity.issuer, claim=identity.claim, value=identity.value
        )
    except ValidationError as error:
        raise refuse(" ".join(error.messages)) from None


def bind_by_password(user: User, pending: Identity) -> None:
    """The first sign-in's binding, once the local user's password was proved."""
    if user.is_superuser:
        raise refuse(services.ROOT_REFUSED, user)
    policy = PasswordPolicy.current()
    if policy.hard_expiry and policy.is_expired(user):
        raise refuse("Your password has expired, so it proves nothing. Ask an administrator to bind your user.", user)
    if mfa.confirmed_device(user) is not None:
        raise refuse(
            f"{user.username} signs in with an MFA device, so only an administrator may bind it to the provider.", user
        )
    try:
        services.bind_federated_identity(
            user=user, issuer=pending.issuer, claim=pending.claim, value=pending.value, actor=user
        )
    except (ValidationError, PermissionDenied) as error:
        raise refuse(" ".join(getattr(error, "messages", [str(error)])), user) from None


def finish(request, provider: ProviderSettings, user: User, identity: Identity, next_url: str, end_session: str):
    """Sign `user` in: the rules' groups first, then identities' own sign-in, with the
    provider's MFA as the session's and its sid noted for back-channel logout."""
    services.apply_group_rules(user=user, claim_values=identity.groups)
    response = signin.finish(request, user, backend=BACKEND, next_url=next_url, mfa_used=identity.mfa_at is not None)
    if identity.mfa_at is not None:
        request.session[MFA_SESSION_KEY] = identity.mfa_at
    if identity.sid:
        tracked = signin.console_session_id(request)
        services.note_federated_session(console_session_id=tracked, issuer=identity.issuer, sid=identity.sid)
    if end_session:
        request.session[signin.SIGN_OUT_OFFER] = {"url": end_session, "name": provider.name}
    return response


def pending_identity(request) -> Identity | None:
    pending = request.session.get(PENDING)
    if not pending or timezone.now().timestamp() - pending["at"] > settings.IAM_SIGN_IN_CODE_TIMEOUT:
        return None
    fields = {name: pending[name] for name in Identity.__dataclass_fields__}
    return Identity(**{**fields, "groups": tuple(fields["groups"])})
