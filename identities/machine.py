"""Machine endpoints: URLs that programs call with a credential of their own.

The decision API is one; later the SCIM, AWS and web-identity endpoints. A
machine endpoint never reads the console's session cookie and never sets one:
`request.user` is anonymous until the endpoint's own credential (a bearer key,
a signature) says who calls, and then it is that caller only. That alone is why
such an endpoint may be exempt from CSRF checks: a browser's ambient cookie
grants it nothing.
"""

from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt

from identities.context import current_context, set_current_context

MARK = "machine_endpoint"


def machine_endpoint(view):
    """Mark `view` as a machine endpoint (CSRF-exempt, cookie-blind)."""
    view = csrf_exempt(view)
    setattr(view, MARK, True)
    return view


def is_machine_endpoint(request) -> bool:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return getattr(match.func, MARK, False)


def bind_caller(request, user, *, role_session=None, mfa_present: bool | None) -> None:
    """`request.user` and the request context become the caller the credential named.

    `mfa_present`: None for long-term keys (AWS leaves the MFA keys out of their
    requests), False for temporary credentials obtained without MFA."""
    request.user = user
    context = current_context()
    if context is not None:
        set_current_context(context.bound_to(user, role_session, mfa_present=mfa_present, mfa_authenticated_at=None))
