"""django-csp's middleware with the standing policy's headers built once.

The library builds both headers from settings on every response (twice through
dataclasses.asdict), although, without a nonce or a view's csp_update, csp_replace
or a config of its own, they are the same until the settings change: on the decision
API that was a tenth of a request. Any response or request that customises its policy
is left to the library, so decorators and nonces work exactly as documented.
"""

import http.client
from functools import cache
from typing import NamedTuple

from csp import middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

# What a view (csp.decorators) sets on its response to change its policy.
CUSTOMISING = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")
READS = {"CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY", "DEBUG"}
DEBUG_PAGES = (http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND)


class _Header(NamedTuple):
    name: str
    value: str
    exempt: str  # the response attribute csp_exempt sets
    excluded_prefixes: tuple[str, ...]


class _Standing(NamedTuple):
    debug: bool
    headers: tuple[_Header, ...]  # only those the settings give a value


@cache
def standing() -> _Standing:
    """The headers of a response nothing customised, as the library would build them now."""
    headers = []
    for name, setting, exempt, report_only in (
        (HEADER, "CONTENT_SECURITY_POLICY", "_csp_exempt", False),
        (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", "_csp_exempt_ro", True),
    ):
        value = build_policy(report_only=report_only)
        prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES", None) or ()
        if value:
            headers.append(_Header(name, value, exempt, tuple(prefixes)))
    return _Standing(settings.DEBUG, tuple(headers))


@receiver(setting_changed)
def _forget_standing(*, setting, **kwargs) -> None:
    if setting in READS:
        standing.cache_clear()


class CSPMiddleware(middleware.CSPMiddleware):
    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in CUSTOMISING
        ):
            return super().process_response(request, response)
        policy = standing()
        if policy.debug and response.status_code in DEBUG_PAGES:
            return response
        for header in policy.headers:
            if (
                header.name not in response
                and getattr(response, header.exempt, False) is False
                and not request.path_info.startswith(header.excluded_prefixes)
            ):
                response[header.name] = header.value
        # As the library does: a nonce asked for after the header was written is an error.
        request.csp_nonce = middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response
