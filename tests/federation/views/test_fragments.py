"""The fragments federation serves on identities' pages: a group's claim rules, a user's
binding. Allowed, 403, 404, wrong method, bad input, and the query count at two sizes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from federation import services
from federation.models import FederatedIdentity, GroupClaimRule
from identities.audit import AuditEvent
from tests.clients import client_for

pytestmark = pytest.mark.django_db

ISSUER = "https://idp.example.org"


@pytest.fixture
def provider_settings(settings):
    settings.IAM_OIDC_ISSUER = ISSUER
    settings.IAM_OIDC_CLIENT_ID = "iamconsole"
    settings.IAM_OIDC_CLIENT_SECRET = "secret"
    settings.IAM_OIDC_PROVIDER_NAME = "Example"
    return settings


def group_fragment(group) -> str:
    return f"/federation/fragments/group/{group.pk}/"


def test_the_group_page_loads_the_rules_fragment(org):
    developers = org.groups["Developers"]
    page = client_for("iam-admin").get(f"/groups/{developers.pk}/").content.decode()
    assert f'hx-get="{group_fragment(developers)}"' in page


def test_a_group_with_rules_says_it_is_managed_by_claims(org):
    services.create_group_rule(claim_value="devs", group=org.groups["Developers"], actor=None)
    page = client_for("dev-admin").get(group_fragment(org.groups["Developers"])).content.decode()
    assert "Managed by claims" in page and "<code>devs</code>" in page
    assert "Add rule" in page and "Delete rule" in page


def test_a_scim_group_says_so_and_offers_no_rule(org):
    from identities import services as identity_services

    scim = identity_services.create_group(group_name="Engineering", path="/scim/", actor=None)
    page = client_for("iam-admin").get(group_fragment(scim)).content.decode()
    assert "Managed by SCIM provisioning" in page and "Add rule" not in page


def test_a_reader_sees_rules_without_the_forms(org):
    services.create_group_rule(claim_value="devs", group=org.groups["Developers"], actor=None)
    page = client_for("charles").get(group_fragment(org.groups["Developers"])).content.decode()
    assert "<code>devs</code>" in page and "Add rule" not in page and "Delete rule" not in page


def test_without_get_group_the_fragment_is_404(org):
    assert client_for("henry").get(group_fragment(org.groups["Developers"])).status_code == 404


def test_saving_a_rule_on_a_group_one_may_fill(org):
    developers = org.groups["Developers"]
    response = client_for("dev-admin").post(f"/federation/groups/{developers.pk}/claim-rules/", {"claim_value": "devs"})
    assert (response.status_code, response["Location"]) == (302, f"/groups/{developers.pk}/")
    assert list(GroupClaimRule.objects.values_list("claim_value", "group__group_name")) == [("devs", "Developers")]


def test_saving_a_rule_needs_add_user_to_group(org):
    """charles reads every group (AuditTeam) and adds no one to any."""
    operations = org.groups["Operations"]
    response = client_for("charles").post(f"/federation/groups/{operations.pk}/claim-rules/", {"claim_value": "ops"})
    assert response.status_code == 403
    assert b"iam:AddUserToGroup" in response.content
    assert not GroupClaimRule.objects.exists()


@pytest.mark.parametrize("value", ["", "   ", "x" * 256])
def test_a_bad_claim_value_saves_nothing(org, value):
    developers = org.groups["Developers"]
    client = client_for("dev-admin")
    response = client.post(f"/federation/groups/{developers.pk}/claim-rules/", {"claim_value": value})
    assert response.status_code == 302
    assert not GroupClaimRule.objects.exists()
    assert not AuditEvent.objects.filter(event_name="CreateGroupClaimRule").exists()


def test_the_rule_pages_refuse_the_wrong_method(org):
    developers = org.groups["Developers"]
    client = client_for("iam-admin")
    assert client.get(f"/federation/groups/{developers.pk}/claim-rules/").status_code == 405
    assert client.post(group_fragment(developers)).status_code == 405


def test_deleting_a_rule_needs_remove_user_from_group(org):
    rule = services.create_group_rule(claim_value="ops", group=org.groups["Operations"], actor=None)
    path = f"/federation/groups/{rule.group.pk}/claim-rules/{rule.pk}/delete/"
    assert client_for("charles").post(path).status_code == 403
    assert client_for("dev-admin").post(path).status_code == 404  # reads Developers only
    assert client_for("iam-admin").post(path).status_code == 302
    assert not GroupClaimRule.objects.exists()


def test_the_group_fragment_asks_as_many_queries_for_many_rules(org):
    developers, client = org.groups["Developers"], client_for("dev-admin")

    def count() -> int:
        client.get(group_fragment(developers))  # warm the caches
        with CaptureQueriesContext(connection) as captured:
            assert client.get(group_fragment(developers)).status_code == 200
        return len(captured)

    services.create_group_rule(claim_value="a", group=developers, actor=None)
    few = count()
    for value in "bcdefgh":
        services.create_group_rule(claim_value=value, group=developers, actor=None)
    assert count() == few


# A user's binding


def user_fragment(user) -> str:
    return f"/federation/fragments/user/{user.pk}/"


def test_the_user_page_loads_the_binding_fragment(org):
    mia = org.users["mia"]
    assert f'hx-get="{user_fragment(mia)}"' in client_for("iam-admin").get(f"/users/{mia.pk}/").content.decode()


def test_root_binds_a_user_and_the_fragment_shows_it(org, provider_settings):
    mia = org.users["mia"]
    client = client_for("root")
    assert "Bind" in client.get(user_fragment(mia)).content.decode()
    response = client.post(f"/federation/users/{mia.pk}/bind/", {"value": "00u-mia"})
    assert response.status_code == 302
    binding = FederatedIdentity.objects.get(user=mia)
    assert (binding.issuer, binding.claim, binding.value) == (ISSUER, "sub", "00u-mia")
    page = client.get(user_fragment(mia)).content.decode()
    assert "<code>00u-mia</code>" in page and "Unbind" in page


def test_iam_full_access_does_not_bind(org, provider_settings):
    mia = org.users["mia"]
    client = client_for("iam-admin")
    assert "Bind</button>" not in client.get(user_fragment(mia)).content.decode()
    response = client.post(f"/federation/users/{mia.pk}/bind/", {"value": "00u-mia"})
    assert response.status_code == 403 and b"iamconsole:BindFederatedIdentity" in response.content
    assert not FederatedIdentity.objects.exists()


def test_binding_without_a_provider_set_up_is_refused_with_a_message(org):
    mia = org.users["mia"]
    response = client_for("root").post(f"/federation/users/{mia.pk}/bind/", {"value": "00u-mia"}, follow=True)
    assert "No identity provider is set up" in response.content.decode()
    assert not FederatedIdentity.objects.exists()


def test_binding_a_value_already_bound_is_refused_with_a_message(org, provider_settings):
    services.bind_federated_identity(user=org.users["oliver"], issuer=ISSUER, claim="sub", value="00u-x", actor=None)
    mia = org.users["mia"]
    response = client_for("root").post(f"/federation/users/{mia.pk}/bind/", {"value": "00u-x"}, follow=True)
    assert "already bound to another user" in response.content.decode()
    assert FederatedIdentity.objects.filter(user=mia).count() == 0


def test_roots_page_says_root_is_never_bound(org, provider_settings):
    root = org.users["root"]
    page = client_for("root").get(user_fragment(root)).content.decode()
    assert "never signs in through the identity provider" in page and "Bind</button>" not in page


def test_unbinding_is_audited(org, provider_settings):
    mia = org.users["mia"]
    services.bind_federated_identity(user=mia, issuer=ISSUER, claim="sub", value="00u-mia", actor=None)
    assert client_for("root").post(f"/federation/users/{mia.pk}/unbind/").status_code == 302
    assert not FederatedIdentity.objects.exists()
    assert AuditEvent.objects.filter(event_name="UnbindFederatedIdentity", target_arn=mia.arn).count() == 1
