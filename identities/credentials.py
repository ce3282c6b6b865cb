"""Long-term access keys and temporary role-session credentials.

Secrets are high-entropy random strings shown once, stored as SHA-256 hashes (all the
bearer form below reads, so it never decrypts) and, for keys and sessions made since SigV4
came, sealed under the credential keys (identities.sealed), which SigV4 verification needs.
Programs present them as a bearer credential:

    Authorization: Bearer <key id>:<secret>                   (an access key)
    Authorization: Bearer <key id>:<secret>:<session token>   (a role session)

Every refusal looks the same, whatever was wrong.
"""

import hashlib
import hmac
import re
import secrets
import string
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from identities import audit, rows, sealed, staleness

_KEY_ALPHABET = string.ascii_uppercase + "234567"
SESSION_NAME_RE = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
KEY_ID_RE = re.compile(r"(AKIA|ASIA)[A-Z2-7]{16}")
# Secrets and tokens are URL-safe base64; anything else cannot match and is not looked up.
SECRET_RE = re.compile(r"[A-Za-z0-9_-]{20,200}")
SCHEME = "Bearer"
USER_AGENT_MAX_LENGTH = 256


def new_key_id(prefix: str) -> str:
    """AKIA... for access keys, ASIA... for temporary credentials, as AWS writes them."""
    return prefix + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))


def new_secret() -> str:
    return secrets.token_urlsafe(30)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)


def keys_token(key_ids) -> str:
    """What a page showed of a user's access keys, for a create form to carry (identities.staleness)."""
    return staleness.token(sorted(key_ids))


def validate_session_name(value: str) -> None:
    if not SESSION_NAME_RE.fullmatch(value):
        raise ValidationError(
            "A session name is 2 to 64 characters of letters, digits and + = , . @ _ -.", code="session_name"
        )


class AccessKey(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "Active"
        INACTIVE = "Inactive"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_keys")
    key_id = models.CharField("access key ID", max_length=32, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    # The secret under AES-GCM (identities.sealed); empty for a key made before SigV4, which
    # then works with the bearer form only.
    secret_sealed = models.TextField(blank=True, default="", editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_service = models.CharField(max_length=64, blank=True, editable=False)
    # Refused attempts that named this key's ID (a wrong secret, or the key or its user not
    # active), written in batches by identities.audit; usage, not changes, so no audit event.
    failed_attempts = models.BigIntegerField(default=0, editable=False)
    last_failed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.key_id

    @property
    def arn(self) -> str:
        # Access keys are governed through their user, as in AWS.
        return self.user.arn

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def can_sign(self) -> bool:
        """Whether SigV4 can verify this key's signatures: only with its sealed secret."""
        return bool(self.secret_sealed)


class RoleSession(models.Model):
    """Temporary credentials that carry a role's permissions, not the user's."""

    class Source(models.TextChoices):
        CONSOLE = "console"
        API = "api"
        WEB_IDENTITY = "web_identity"

    role = models.ForeignKey("identities.Role", on_delete=models.CASCADE, related_name="sessions")
    # None for a session of a web identity: then `provider` and `subject` say whose it is.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="role_sessions"
    )
    provider = models.ForeignKey(
        "identities.OpenIDConnectProvider", null=True, blank=True, on_delete=models.CASCADE, related_name="sessions"
    )
    subject = models.CharField("token subject", max_length=255, blank=True, default="")
    session_name = models.CharField(max_length=64, validators=[validate_session_name])
    source = models.CharField(max_length=16, choices=Source.choices)
    key_id = models.CharField(max_length=32, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, blank=True, editable=False)
    token_hash = models.CharField(max_length=64, blank=True, editable=False)
    # The secret under AES-GCM (identities.sealed), for SigV4; the token, sent as it is, needs only its hash.
    secret_sealed = models.TextField(blank=True, default="", editable=False)
    session_policy = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "expires_at"], name="role_session_user_expiry")]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(provider__isnull=False),
                name="role_session_of_user_or_web_identity",
                violation_error_message="A role session belongs to a user or to a web identity.",
            )
        ]

    def __str__(self) -> str:
        return self.arn

    @property
    def arn(self) -> str:
        return f"arn:aws:sts::{settings.IAM_ACCOUNT_ID}:assumed-role/{self.role.role_name}/{self.session_name}"

    @property
    def user_id_key(self) -> str:
        """aws:userid of a role session: the role's unique ID and the session name."""
        return f"{self.role.iam_id}:{self.session_name}"

    def is_live(self, at=None) -> bool:
        moment = at or timezone.now()
        return self.revoked_at is None and self.expires_at > moment

    def seconds_left(self, at=None) -> int:
        return max(0, int((self.expires_at - (at or timezone.now())) / timedelta(seconds=1)))


class ConsoleSession(models.Model):
    """A signed-in browser, from the sign-in to its sign-out or revocation. Its ID is kept in
    the Django session, whose own key changes at sign-in and at a password change; a session
    without one (signed in before sessions were tracked, or by a test's force_login) is
    untracked, not revoked (identities.signin)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="console_sessions")
    started_at = models.DateTimeField(default=timezone.now, editable=False)
    # Noted at most once a minute (identities.signin.LAST_SEEN_PRECISION).
    last_seen_at = models.DateTimeField(default=timezone.now, editable=False)
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    source_ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    user_agent = models.CharField(max_length=USER_AGENT_MAX_LENGTH, blank=True, editable=False)
    mfa_used = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["user", "ended_at"], name="console_session_user_end")]

    def __str__(self) -> str:
        return f"console session {self.pk} of {self.user}"


class WebIdentityUser:
    """Who acts with the credentials of a web identity's role session: no IAM user, only the
    session, so `has_perm` is asked (through the authorization backend, like any user's) with
    the session's role and nothing else. It is never saved, owns nothing and is never root."""

    is_authenticated = True
    is_anonymous = False
    is_superuser = False
    is_root = False
    is_staff = False

    def __init__(self, session: "RoleSession"):
        self.role_session = session
        # Distinct from every user's pk: the request context is bound to it (identities.context).
        self.pk = f"web-identity-session-{session.pk}"
        self.arn = session.arn
        self.iam_id = session.user_id_key
        self.username = session.session_name

    def __str__(self) -> str:
        return self.arn

    @property
    def is_active(self) -> bool:
        return self.role_session.is_live()

    def has_perm(self, perm: str, obj: object = None) -> bool:
        from django.contrib.auth.models import _user_has_perm

        return self.is_active and _user_has_perm(self, perm, obj)

    def has_perms(self, perm_list, obj: object = None) -> bool:
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        return False


class Caller:
    """Who presented a bearer credential: a user's access key, or a role session."""

    def __init__(self, user, access_key: AccessKey | None = None, session: RoleSession | None = None, generation=None):
        self.user, self.access_key, self.session = user, access_key, session
        # The permissions generation read with the key, if it was (identities.generation.remember).
        self.generation = generation

    @property
    def arn(self) -> str:
        return self.session.arn if self.session is not None else self.user.arn


# Compared against when a key ID is unknown, so every refusal costs the same.
_DUMMY_DIGEST = digest("no such key")


def parse_bearer(header: str | None) -> tuple[str, str, str | None] | None:
    """`Bearer <key id>:<secret>[:<session token>]` into its parts, or None."""
    if not header or not header.startswith(f"{SCHEME} "):
        return None
    parts = header[len(SCHEME) + 1 :].strip().split(":")
    if len(parts) not in (2, 3) or not KEY_ID_RE.fullmatch(parts[0]):
        return None
    if not all(SECRET_RE.fullmatch(part) for part in parts[1:]):
        return None
    return parts[0], parts[1], parts[2] if len(parts) == 3 else None


def authenticate_bearer(header: str | None, *, at=None, beside: str = "") -> Caller | None:
    """The caller, or None for anything wrong: unknown, inactive or deleted key,
    expired or revoked session, disabled user, malformed header. `beside`, a scalar SQL
    expression, is read in the access key's statement (the permissions generation, by
    policies.api) and kept as `Caller.generation`."""
    parsed = parse_bearer(header)
    if parsed is None:
        return None
    key_id, secret, token = parsed
    if token is None:
        return _by_access_key(key_id, secret, beside)
    return _by_session(key_id, secret, token, at)


def _by_access_key(key_id: str, secret: str, beside: str) -> Caller | None:
    key, value = rows.one_with(AccessKey, beside, related=("user",), key_id=key_id)
    secret_ok = matches(secret, key.secret_hash if key else _DUMMY_DIGEST)
    if key is None:
        return None
    if not secret_ok or not key.is_active or not key.user.is_active:
        # Counted in memory, written in a later batch: the answer is the same as for an unknown ID.
        audit.count_key_failure(key_pk=key.pk)
        return None
    return Caller(key.user, access_key=key, generation=value)


def _by_session(key_id: str, secret: str, token: str, at) -> Caller | None:
    session = rows.one(RoleSession, related=("role", "user"), key_id=key_id)
    secret_ok = matches(secret, session.secret_hash if session else _DUMMY_DIGEST)
    token_ok = matches(token, session.token_hash if session else _DUMMY_DIGEST)
    if session is None or not (secret_ok and token_ok) or not session.is_live(at):
        return None
    if session.user is None:
        return Caller(WebIdentityUser(session), session=session)
    if not session.user.is_active:
        return None
    return Caller(session.user, session=session)


# Opened in place of an unknown credential's secret, so every refusal costs a signature.
_DUMMY_SECRET = "no-such-credential-secret-000000000000"


class Signer:
    """Whose secret a signed request (SigV4) is checked with. `refusal` is the AWS error code
    to answer even if the signature is right ("" when none): InvalidClientTokenId for an
    unknown, inactive or unsealed key, a wrong session token or a disabled user; ExpiredToken
    for an expired or revoked session, told only once the signature proves the holder."""

    def __init__(self, secret: str, caller: Caller | None = None, refusal: str = "", key: AccessKey | None = None):
        self.secret, self.caller, self.refusal, self.key = secret, caller, refusal, key


def signer_for(key_id: str, token: str | None, *, at=None) -> Signer:
    invalid = "InvalidClientTokenId"
    if not KEY_ID_RE.fullmatch(key_id or ""):
        return Signer(_DUMMY_SECRET, refusal=invalid)
    if key_id.startswith("AKIA"):
        key = rows.one(AccessKey, related=("user",), key_id=key_id)
        if key is None or not key.secret_sealed or token:
            return Signer(_DUMMY_SECRET, refusal=invalid)
        secret = _opened(key.secret_sealed, sealed.ACCESS_KEY_SECRET, key_id)
        usable = secret is not None and key.is_active and key.user.is_active
        caller = Caller(key.user, access_key=key)
        return Signer(secret or _DUMMY_SECRET, caller, "" if usable else invalid, key=key)
    session = rows.one(RoleSession, related=("role", "user"), key_id=key_id)
    token_ok = matches(token or "", session.token_hash if session else _DUMMY_DIGEST)
    if session is None or not session.secret_sealed or not token_ok:
        return Signer(_DUMMY_SECRET, refusal=invalid)
    secret = _opened(session.secret_sealed, sealed.SESSION_SECRET, key_id)
    user = session.user if session.user is not None else WebIdentityUser(session)
    if secret is None or (session.user is not None and not session.user.is_active):
        return Signer(_DUMMY_SECRET, refusal=invalid)
    refusal = "" if session.is_live(at) else "ExpiredToken"
    return Signer(secret, Caller(user, session=session), refusal)


def _opened(text: str, kind: str, key_id: str) -> str | None:
    try:
        return sealed.unseal(text, kind=kind, credential_id=key_id)
    except sealed.Unsealable:
        return None
