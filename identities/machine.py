"""Machine endpoints: URLs that programs call with a credential of their own.

The decision API and SCIM are two; later the AWS and web-identity endpoints. A
machine endpoint never reads the console's session cookie and never sets one:
`request.user` is anonymous until the endpoint's own credential (a bearer key,
a signature) says who calls, and then it is that caller only. That alone is why
such an endpoint may be exempt from CSRF checks: a browser's ambient cookie
grants it nothing.

Every machine endpoint is rate-limited (identities.ratelimit): per client network
(IPv4 address, IPv6 /64) before anything else, so a flood of bad credentials is
refused before a key is looked up, and per credential once `bind_caller` names
the caller. A refusal is a 429 with Retry-After, in the endpoint's own error
format when it gives one.
"""

from collections.abc import Callable
from functools import wraps

from django.http import HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt

from identities import ratelimit
from identities.context import current_context, set_current_context, source_ip

MARK = "machine_endpoint"
# The interface (iamconsole:Interface) of an endpoint that names none: the JSON API's.
API = "api"

limits = ratelimit.Limits(
    {
        "address": ("IAM_API_RATE_PER_ADDRESS", "IAM_API_BURST_PER_ADDRESS"),
        "key": ("IAM_API_RATE_PER_KEY", "IAM_API_BURST_PER_KEY"),
    }
)


class RateLimited(Exception):
    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def too_many_requests(refusal: RateLimited) -> HttpResponse:
    """A 429 in the decision API's error format, for endpoints that give none of their own."""
    response = JsonResponse({"error": {"code": "RateLimited", "message": str(refusal)}}, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response


def machine_endpoint(
    view=None, *, rate_limited: Callable[[RateLimited], HttpResponse] = too_many_requests, interface: str = API
):
    """Mark `view` as a machine endpoint (CSRF-exempt, cookie-blind, rate-limited) of
    `interface`, the value of iamconsole:Interface in its requests; a 429 is answered by
    `rate_limited`."""
    if view is None:
        return lambda view: machine_endpoint(view, rate_limited=rate_limited, interface=interface)

    @wraps(view)
    def limited(request, *args, **kwargs):
        try:
            _admit("address", ratelimit.network_of(_address(request)), "from this address")
            return view(request, *args, **kwargs)
        except RateLimited as refusal:
            return rate_limited(refusal)

    limited = csrf_exempt(limited)
    setattr(limited, MARK, interface)
    return limited


def _address(request) -> str | None:
    """The client's address, as the request's context already read it (identities.middleware)."""
    context = current_context()
    return context.source_ip if context is not None else source_ip(request)


def _admit(limit: str, subject: str, described: str) -> None:
    wait = limits.wait(limit, subject)
    if wait:
        raise RateLimited(f"Too many requests {described}; retry in {wait} seconds.", retry_after=wait)


def is_machine_endpoint(request) -> bool:
    return interface_of(request) is not None


def interface_of(request) -> str | None:
    """The interface of the machine endpoint the request is for; None for anything else."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    return getattr(match.func, MARK, None) or None


def bind_caller(request, user, *, credential_id: str, role_session=None, mfa_present: bool | None) -> None:
    """`request.user` and the request context become the caller the credential named; then
    the credential's own rate limit applies (RateLimited, a refusal of that caller).

    `credential_id`: the access key ID (of a long-term key or a role session).
    `mfa_present`: None for long-term keys (AWS leaves the MFA keys out of their
    requests), False for temporary credentials obtained without MFA."""
    request.user = user
    context = current_context()
    if context is not None:
        bound = context.bound_to(
            user, role_session, mfa_present=mfa_present, mfa_authenticated_at=None, access_key_id=credential_id
        )
        set_current_context(bound)
    _admit("key", credential_id, "with this access key")
