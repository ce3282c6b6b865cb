"""The request context: who acts, from where, over what, and when.

Django's `has_perm` never sees the request, so a middleware
(`identities.middleware`) builds one context object per request and keeps it
in one place, a context variable, read through `current_context()` by the
authorization backend and the audit helper alike. The context names the user
it was bound to (the signed-in user, or a machine endpoint's caller), so a
check about anyone else never borrows this request's keys. Outside a request
there is no context, and conditions on its keys do not match.
"""

from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from ipaddress import ip_address

from django.conf import settings
from django.utils import timezone

INTERFACE_KEY = "iamconsole:Interface"
CONSOLE = "console"

_current: ContextVar["RequestContext | None"] = ContextVar("iam_request_context", default=None)


@dataclass(frozen=True)
class RequestContext:
    source_ip: str | None
    secure_transport: bool
    time: datetime = field(default_factory=timezone.now)
    principal_arn: str = ""
    session_arn: str = ""
    # The user this context was bound to, and the role session they act in, if any.
    user_pk: int | None = None
    role_session: object = field(default=None, compare=False, repr=False)
    # Whether this console session's sign-in included a verified MFA code, and
    # when; None where the request is not a console session (long-term access
    # keys), for which AWS leaves the MFA keys out altogether.
    mfa_present: bool | None = False
    mfa_authenticated_at: datetime | None = None
    # Which of the console's doors the request came in by (iamconsole:Interface): "console"
    # (its pages and the admin), "api" (the JSON API), "scim" (provisioning), "aws" (/aws/).
    interface: str = ""
    # The access key ID (a long-term key's or a role session's) a machine endpoint's caller
    # presented, for the audit trail; "" in the console.
    access_key_id: str = ""
    # Permission answers within this request, so a page that asks the same
    # question for each row asks the policies once; any write this request makes
    # empties it (identities.middleware).
    decisions: dict = field(default_factory=dict, compare=False, repr=False)
    # [the permissions generation as this request read it, whether inside a
    # transaction then] (identities.generation.current); emptied with `decisions`.
    generation: list = field(default_factory=list, compare=False, repr=False)

    def bound_to(self, user, role_session=None, **changes) -> "RequestContext":
        """The context of `user` acting, in `role_session` when they switched role (or
        presented its credentials); the memos start empty."""
        session_arn = role_session.arn if role_session is not None else ""
        return replace(
            self,
            principal_arn=session_arn or user.arn,
            session_arn=session_arn,
            user_pk=user.pk,
            role_session=role_session,
            decisions={},
            generation=[],
            **changes,
        )

    def is_about(self, user) -> bool:
        return self.user_pk is not None and self.user_pk == getattr(user, "pk", None)

    def forget_decisions(self) -> None:
        """After this request wrote to the database: decide again, read the generation again."""
        self.decisions.clear()
        self.generation.clear()

    def condition_keys(self) -> dict[str, str]:
        """The request's global condition keys, as AWS names them."""
        keys = {
            "aws:SecureTransport": "true" if self.secure_transport else "false",
            "aws:CurrentTime": self.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aws:EpochTime": str(int(self.time.timestamp())),
        }
        if self.source_ip:
            keys["aws:SourceIp"] = self.source_ip
        if self.interface:
            keys[INTERFACE_KEY] = self.interface
        if self.mfa_present is not None:
            keys["aws:MultiFactorAuthPresent"] = "true" if self.mfa_present else "false"
        if self.mfa_present and self.mfa_authenticated_at is not None:
            # AWS leaves the age out when the session was not authenticated with MFA.
            age = max(0, int((self.time - self.mfa_authenticated_at).total_seconds()))
            keys["aws:MultiFactorAuthAge"] = str(age)
        return keys


def current_context() -> RequestContext | None:
    return _current.get()


def context_of(user) -> RequestContext | None:
    """This request's context if it is bound to `user`, else None."""
    context = _current.get()
    return context if context is not None and context.is_about(user) else None


def set_current_context(context: "RequestContext | None"):
    """Make `context` current; returns the token to restore the previous one."""
    return _current.set(context)


def reset_current_context(token) -> None:
    _current.reset(token)


def source_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind IAM_PROXY_COUNT trusted proxies
    the address that many hops back in X-Forwarded-For (earlier hops can be forged)."""
    address = request.META.get("REMOTE_ADDR", "")
    hops = settings.IAM_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if hops and len(forwarded) >= hops:
        address = forwarded[-hops]
    try:
        return str(ip_address(address))
    except ValueError:
        return None


# Set in the console session when a sign-in's MFA code was verified (epoch seconds).
MFA_SESSION_KEY = "iam_mfa_verified_at"


def _mfa_authenticated_at(request) -> datetime | None:
    session = getattr(request, "session", None)
    verified_at = session.get(MFA_SESSION_KEY) if session is not None else None
    return datetime.fromtimestamp(verified_at, tz=UTC) if verified_at is not None else None


def context_for(request, *, interface: str = CONSOLE) -> RequestContext:
    """The context of a request before anyone is bound to it, come in by `interface`. Only a
    console request reads its session (for MFA); a machine endpoint's caller brings its own."""
    if interface != CONSOLE:
        return RequestContext(
            source_ip=source_ip(request), secure_transport=request.is_secure(), mfa_present=None, interface=interface
        )
    mfa_at = _mfa_authenticated_at(request)
    return RequestContext(
        source_ip=source_ip(request),
        secure_transport=request.is_secure(),
        time=timezone.now(),
        mfa_present=mfa_at is not None,
        mfa_authenticated_at=mfa_at,
        interface=CONSOLE,
    )


@dataclass(frozen=True)
class Target:
    """What a permission check is about when there is no saved object yet (or
    when the check depends on submitted data): the resource's ARN and the
    request keys it brings, such as iam:PolicyARN or iam:PermissionsBoundary."""

    arn: str
    keys: dict[str, str | list[str]] = field(default_factory=dict)
    # False when the request keys are not known yet (whether to show a form
    # at all): a decision that only lacks keys then counts as possible, and
    # the form's save repeats the check with the keys submitted.
    keys_known: bool = True


# Asks "could this be allowed with the right request data?" (add buttons).
PENDING = Target("*", keys_known=False)
