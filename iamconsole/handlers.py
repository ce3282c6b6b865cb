"""The WSGI handler: the decision API on a short middleware chain, everything else as configured.

Machine endpoints under IAM_API_PATH_PREFIX never read a session, a CSRF token, messages,
the lockout state or htmx headers (identities.machine), so they run API_MIDDLEWARE
instead of MIDDLEWARE, and resolve against API_URLCONF, where only the API's views exist:
no console view can be reached through the short chain, whatever its path.
"""

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIHandler
from django.urls import set_urlconf


class APIHandler(BaseHandler):
    """Django's handler with API_MIDDLEWARE and API_URLCONF."""

    def load_middleware(self, is_async=False):
        # BaseHandler reads settings.MIDDLEWARE only here, once, before any request is served.
        configured = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.API_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = configured

    def get_response(self, request):
        try:
            return super().get_response(request)
        finally:
            # Django resets the thread's URLconf when the response is closed; a caller that never
            # closes it (a WSGI test client) must not be left reversing against the API's.
            set_urlconf(None)

    def resolve_request(self, request):
        request.urlconf = settings.API_URLCONF
        return super().resolve_request(request)


class APIRouting:
    """Mixed into a Django handler: requests under the API prefix go to an APIHandler."""

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async)
        self.api = APIHandler()
        self.api.load_middleware(is_async)

    def get_response(self, request):
        if request.path_info.startswith(settings.IAM_API_PATH_PREFIX):
            return self.api.get_response(request)
        return super().get_response(request)


class Handler(APIRouting, WSGIHandler):
    """The project's WSGI application (iamconsole.wsgi), for gunicorn and runserver alike."""
