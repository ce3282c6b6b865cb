"""The Content-Security-Policy middleware builds the standing header once, yet every view's
own policy, a nonce and a change of settings still shape the header exactly as django-csp does."""

from csp import middleware as library
from csp.constants import NONCE, SELF
from csp.decorators import csp_exempt, csp_replace, csp_update
from django.http import HttpResponse
from django.test import RequestFactory

from iamconsole.content_security import CSPMiddleware

HEADER = "Content-Security-Policy"


def _answer(view, middleware_class=CSPMiddleware, path="/"):
    request = RequestFactory().get(path)
    return middleware_class(view)(request)


def plain(request):
    return HttpResponse("ok")


def test_the_standing_header_is_the_librarys():
    assert _answer(plain)[HEADER] == _answer(plain, library.CSPMiddleware)[HEADER]
    assert "default-src 'self'" in _answer(plain)[HEADER]


def _directives(header: str) -> dict[str, str]:
    """The header's directives by name: their order is the library's, not ours to depend on."""
    return dict(part.strip().partition(" ")[::2] for part in header.split(";") if part.strip())


def test_a_views_update_still_applies():
    view = csp_update({"img-src": ["https://images.example.org"]})(plain)
    assert _directives(_answer(view)[HEADER])["img-src"] == "'self' data: https://images.example.org"
    assert _directives(_answer(plain)[HEADER])["img-src"] == "'self' data:"


def test_a_views_replacement_still_applies():
    view = csp_replace({"script-src": ["https://scripts.example.org"]})(plain)
    assert "script-src https://scripts.example.org" in _answer(view)[HEADER]


def test_an_exempt_view_gets_no_header():
    assert HEADER not in _answer(csp_exempt()(plain))


def test_a_nonce_used_by_the_view_is_in_the_header(settings):
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": [SELF, NONCE]}}

    def with_nonce(request):
        return HttpResponse(str(request.csp_nonce))

    response = _answer(with_nonce)
    assert f"script-src 'self' 'nonce-{response.content.decode()}'" in response[HEADER]


def test_a_changed_policy_applies_at_once(settings):
    _answer(plain)
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": [SELF, "https://cdn.example.org"]}}
    assert _answer(plain)[HEADER] == "default-src 'self' https://cdn.example.org"


def test_excluded_prefixes_are_honoured(settings):
    settings.CONTENT_SECURITY_POLICY = {"EXCLUDE_URL_PREFIXES": ["/outside"], "DIRECTIVES": {"default-src": [SELF]}}
    assert HEADER not in _answer(plain, path="/outside/page")
    assert _answer(plain, path="/inside")[HEADER] == "default-src 'self'"


def test_a_report_only_policy_is_sent_beside(settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": [SELF]}}
    response = _answer(plain)
    assert response["Content-Security-Policy-Report-Only"] == "default-src 'self'"
    assert response[HEADER] == _answer(plain, library.CSPMiddleware)[HEADER]
