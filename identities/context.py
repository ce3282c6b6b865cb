"""The request context: who acts, from where, over what, and when.

Django's `has_perm` never sees the request, so a middleware
(`identities.middleware`) builds one context object per request, puts it on
the request and on the signed-in user, and keeps it in a context variable
for the audit helper. Outside a request there is no context, and conditions
on its keys do not match.
"""

from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from ipaddress import ip_address

from django.utils import timezone

_current: ContextVar["RequestContext | None"] = ContextVar("iam_request_context", default=None)


@dataclass(frozen=True)
class RequestContext:
    source_ip: str | None
    secure_transport: bool
    time: datetime = field(default_factory=timezone.now)
    principal_arn: str = ""
    session_arn: str = ""
    # Permission answers within this request, so a page that asks the same
    # question for each row asks the policies once; any change to
    # permissions in this request empties it (identities.services).
    decisions: dict = field(default_factory=dict, compare=False, repr=False)

    def with_principal(self, principal_arn: str) -> "RequestContext":
        return RequestContext(
            source_ip=self.source_ip,
            secure_transport=self.secure_transport,
            time=self.time,
            principal_arn=principal_arn,
            session_arn=self.session_arn,
            decisions=self.decisions,
        )

    def condition_keys(self) -> dict[str, str]:
        """The request's global condition keys, as AWS names them."""
        keys = {
            "aws:SecureTransport": "true" if self.secure_transport else "false",
            "aws:CurrentTime": self.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aws:EpochTime": str(int(self.time.timestamp())),
        }
        if self.source_ip:
            keys["aws:SourceIp"] = self.source_ip
        return keys


def current_context() -> RequestContext | None:
    return _current.get()


def set_current_context(context: "RequestContext | None"):
    """Make `context` current; returns the token to restore the previous one."""
    return _current.set(context)


def reset_current_context(token) -> None:
    _current.reset(token)


def _source_ip(request) -> str | None:
    address = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ip_address(address))
    except ValueError:
        return None


def context_for(request) -> RequestContext:
    return RequestContext(source_ip=_source_ip(request), secure_transport=request.is_secure())


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
