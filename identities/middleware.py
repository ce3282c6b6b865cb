"""Puts the request context on every request and its signed-in user."""

from django.contrib.auth.middleware import get_user
from django.utils.functional import SimpleLazyObject

from identities.context import RequestContext, context_for, reset_current_context, set_current_context


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
    """Give the signed-in user, the request and the context var the principal's ARN."""
    if user.is_authenticated:
        context = context.with_principal(user.arn)
        request.iam_context = context
        set_current_context(context)
    user.iam_context = context
    return user
