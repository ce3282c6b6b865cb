"""Puts the request context on every request and its signed-in user."""

from django.contrib import messages
from django.contrib.auth.middleware import get_user
from django.utils.functional import SimpleLazyObject

from identities import signin
from identities.context import RequestContext, context_for, reset_current_context, set_current_context
from identities.credentials import RoleSession


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        context = context_for(request)
        request.iam_context = context
        request.user = SimpleLazyObject(lambda: _bind(request, get_user(request), context))
        token = set_current_context(context)
        try:
            return self.get_response(request)
        finally:
            reset_current_context(token)


def _bind(request, user, context: RequestContext):
    """Give the signed-in user, the request and the context var the principal's ARN:
    the role session's when the user switched role in the console."""
    if user.is_authenticated:
        session = role_session_of(request, user)
        user.role_session = session
        context = context.with_principal(user.arn, session.arn if session else "")
        request.iam_context = context
        set_current_context(context)
    user.iam_context = context
    return user


ROLE_SESSION_KEY = "iam_role_session_id"


def role_session_of(request, user) -> RoleSession | None:
    """The live role session this console session switched into; an ended one is
    forgotten, with a message saying so."""
    session_id = request.session.get(ROLE_SESSION_KEY)
    if session_id is None:
        return None
    session = RoleSession.objects.select_related("role").filter(pk=session_id, user=user).first()
    if session is not None and session.is_live():
        return session
    del request.session[ROLE_SESSION_KEY]
    if session is not None:
        messages.info(request, f"Your session as {session.role.role_name} has ended; you act as yourself again.")
    return None


class SignInStateMiddleware:
    """Ends idle or too-old console sessions, and keeps a user who must first
    change their password or set up MFA on that page (identities.signin)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            response = signin.enforce(request)
            if response is not None:
                return response
        return self.get_response(request)
