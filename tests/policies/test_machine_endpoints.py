"""Machine endpoints take their caller from their own credential only: never from the
console's session cookie, and they never set one (identities.machine)."""

import json

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from identities import machine
from identities import services as identity_services
from policies import services
from tests import factories
from tests.documents import allow

pytestmark = pytest.mark.django_db
ACCOUNT = "123456789012"


@pytest.fixture
def admin_cookie(builtins):
    """A console session of an administrator allowed everything."""
    admin = factories.UserFactory(username="admin")
    services.put_inline_policy(identity=admin, policy_name="All", document=allow("*"), actor=None)
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    return client


def _bearer(user) -> str:
    key, secret = identity_services.create_access_key(user=user, actor=None)
    return f"Bearer {key.key_id}:{secret}"


def test_a_console_session_cookie_is_no_credential_for_the_api(admin_cookie):
    response = admin_cookie.get("/api/v1/caller-identity")
    assert response.status_code == 401
    body = json.dumps({"principal": f"arn:aws:iam::{ACCOUNT}:user/admin", "action": "iam:ListUsers", "resource": "*"})
    refused = admin_cookie.post("/api/v1/authorize", body, content_type="application/json")
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "InvalidCredentials")


def test_with_a_cookie_and_a_key_the_key_alone_says_who_calls(admin_cookie):
    mia = factories.UserFactory(username="mia")
    response = admin_cookie.get("/api/v1/caller-identity", HTTP_AUTHORIZATION=_bearer(mia))
    assert response.json()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/mia"
    body = json.dumps({"principal": f"arn:aws:iam::{ACCOUNT}:user/admin", "action": "iam:ListUsers", "resource": "*"})
    asked = admin_cookie.post(
        "/api/v1/authorize", body, content_type="application/json", HTTP_AUTHORIZATION=_bearer(mia)
    )
    # mia may not ask about others; the administrator's cookie lends her nothing.
    assert (asked.status_code, asked.json()["error"]["code"]) == (403, "AccessDenied")


def test_machine_endpoints_set_no_cookie(admin_cookie):
    mia = factories.UserFactory(username="mia")
    for response in (
        Client().get("/api/v1/caller-identity"),
        Client().get("/api/v1/caller-identity", HTTP_AUTHORIZATION=_bearer(mia)),
        admin_cookie.get("/api/v1/caller-identity", HTTP_AUTHORIZATION=_bearer(mia)),
        Client().get("/api/v1/openapi.json"),
    ):
        assert response.cookies == {}


def _patterns(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_every_api_scim_and_aws_url_is_a_machine_endpoint_and_nothing_else_is():
    marked = {route for route, view in _patterns(get_resolver()) if getattr(view, machine.MARK, False)}
    machine_routes = {route for route, _ in _patterns(get_resolver()) if route.startswith(("api/", "scim/", "aws/"))}
    assert machine_routes and marked == machine_routes


def test_each_machine_endpoint_names_its_interface():
    interfaces = {
        route.split("/")[0]: getattr(view, machine.MARK)
        for route, view in _patterns(get_resolver())
        if getattr(view, machine.MARK, False)
    }
    assert interfaces == {"api": "api", "scim": "scim", "aws": "aws"}


def test_a_check_about_someone_else_never_borrows_this_requests_keys(db):
    """has_perm about a user other than the one the request's context is bound to is
    decided without that context's keys."""
    from identities.context import RequestContext, reset_current_context, set_current_context

    admin, mia = factories.UserFactory(username="admin"), factories.UserFactory(username="mia")
    condition = {"Bool": {"aws:SecureTransport": "false"}}
    for user in (admin, mia):
        services.put_inline_policy(
            identity=user, policy_name="Plain", document=allow("iam:GetUser", "*", condition), actor=None
        )
    context = RequestContext(source_ip="192.0.2.7", secure_transport=False).bound_to(admin)
    token = set_current_context(context)
    try:
        assert admin.has_perm("iam:GetUser") is True  # the request's own user: its keys apply
        assert mia.has_perm("iam:GetUser") is False  # anyone else: no aws:SecureTransport at all
    finally:
        reset_current_context(token)
