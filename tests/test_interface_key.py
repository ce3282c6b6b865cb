"""iamconsole:Interface: every entry point puts in the request context the door the request
came in by (the console's pages and the admin: console; the JSON API: api; SCIM: scim), so a
policy can limit a key or a person to one of them."""

import pytest
from django.test import Client
from django.urls import reverse

from identities import services as identity_services
from identities.context import RequestContext
from policies import services as policy_services
from policies.engine import DocumentKind, Level
from tests.documents import allow

pytestmark = pytest.mark.django_db
INTERFACES = ("console", "api", "scim")


def _allowed_only_over(user, interface: str, actions: list[str]) -> None:
    condition = {"StringEquals": {"iamconsole:Interface": interface}}
    policy_services.put_inline_policy(
        identity=user, policy_name="Door", document=allow(actions, "*", condition), actor=None
    )


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _keyed(user) -> Client:
    key, secret = identity_services.create_access_key(user=user, actor=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {key.key_id}:{secret}")


# Each entry point: how to call it, and the interface it belongs to.
ENTRY_POINTS = {
    "console page": ("console", ["iam:ListUsers"], lambda user: _signed_in(user).get(reverse("identities:user-list"))),
    "admin": (
        "console",
        ["iam:ListUsers"],
        lambda user: _signed_in(user).get(reverse("admin:identities_user_changelist")),
    ),
    "decision API": (
        "api",
        ["iamconsole:ListAccessExpectations"],
        lambda user: _keyed(user).get(reverse("api:access-expectations")),
    ),
    "SCIM": ("scim", ["iam:ListUsers"], lambda user: _keyed(user).get("/scim/v2/Users")),
}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("interface", INTERFACES)
def test_a_policy_limited_to_one_interface_allows_that_one_only(org, entry, interface):
    own_interface, actions, call = ENTRY_POINTS[entry]
    user = identity_services.create_user(username=f"door-{interface}", password="a-long-pass-phrase-9", actor=None)
    _allowed_only_over(user, interface, actions)
    response = call(user)
    expected = (200,) if interface == own_interface else (403, 404)
    assert response.status_code in expected, f"{entry} under a policy for {interface}: {response.status_code}"


def test_the_key_is_in_the_context_only_when_an_entry_point_set_it():
    assert "iamconsole:Interface" not in RequestContext(source_ip=None, secure_transport=True).condition_keys()
    keys = RequestContext(source_ip=None, secure_transport=True, interface="scim").condition_keys()
    assert keys["iamconsole:Interface"] == "scim"


def test_a_condition_on_the_key_validates_without_a_warning_on_any_action(org):
    document = allow(["iam:CreateUser", "storage:GetObject"], "*", {"StringEquals": {"iamconsole:Interface": "scim"}})
    findings = policy_services.document_findings(document, kind=DocumentKind.CUSTOMER_MANAGED)
    assert [(finding.level, finding.code) for finding in findings if finding.level is not Level.SUGGESTION] == []
