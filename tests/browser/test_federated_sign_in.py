"""Signing in through the real OpenID provider in Chromium: the console's button, the
provider's login page, back in the console as the bound user with the rules' groups; and
the next sign-in, after the provider dropped groups, removes only what the rules made."""

import re

import pytest
from playwright.sync_api import expect

from federation import services
from identities.models import Membership
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD
from tests.oidc_provider import fixtures

# The provider's fixtures (tests/federation's conftest takes them the same way).
oidc_provider, oidc_settings = fixtures.oidc_provider, fixtures.oidc_settings

pytestmark = [pytest.mark.browser, pytest.mark.interop, pytest.mark.django_db(transaction=True)]


def memberships(user) -> dict[str, str]:
    return dict(Membership.objects.filter(user=user).values_list("group__group_name", "source"))


def sign_in_through_provider(page, sub: str) -> None:
    page.goto("/sign-in/")
    page.get_by_role("link", name="Sign in with Test provider").click()
    page.wait_for_url(re.compile(r"(/interaction/|/$)"))
    if "/interaction/" in page.url:  # no session at the provider yet
        page.get_by_label("Account").fill(sub)
        page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Dashboard").wait_for()


def test_a_federated_sign_in_lands_as_the_bound_user_with_the_rules_groups(
    page, screenshot, org, oidc_settings, oidc_provider
):
    mia, groups = org.users["mia"], org.groups
    services.bind_federated_identity(user=mia, issuer=oidc_provider.issuer, claim="sub", value="idp-mia", actor=None)
    for value, name in (("auditors", "AuditTeam"), ("operators", "Operations"), ("developers", "Developers")):
        services.create_group_rule(claim_value=value, group=groups[name], actor=None)
    oidc_provider.set_account("idp-mia", preferred_username="mia", groups=["auditors", "operators", "developers"])

    page.goto("/sign-in/")
    screenshot("federation-sign-in")
    sign_in_through_provider(page, "idp-mia")
    access = page.locator("section", has_text="Your access")
    for name in ("AuditTeam", "Operations", "Developers"):
        expect(access).to_contain_text(name)
    screenshot("federation-signed-in-mia")
    # Developers was hers by hand before any rule: the rule made nothing there.
    assert memberships(mia) == {"AuditTeam": "idp_rule", "Operations": "idp_rule", "Developers": "manual"}

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign out of Test provider as well")).to_be_visible()
    screenshot("federation-signed-out")
    oidc_provider.set_account("idp-mia", preferred_username="mia", groups=["auditors"])
    sign_in_through_provider(page, "idp-mia")
    expect(page.locator("section", has_text="Your access")).not_to_contain_text("Operations")
    assert memberships(mia) == {"AuditTeam": "idp_rule", "Developers": "manual"}


def test_root_sees_the_rules_and_the_binding(page, screenshot, org, oidc_settings, oidc_provider):
    mia, audit_team = org.users["mia"], org.groups["AuditTeam"]
    services.bind_federated_identity(user=mia, issuer=oidc_provider.issuer, claim="sub", value="idp-mia", actor=None)
    services.create_group_rule(claim_value="auditors", group=audit_team, actor=None)
    sign_in(page, "root", TEST_PASSWORD)
    page.get_by_role("heading", name="Dashboard").wait_for()

    page.goto(f"/groups/{audit_team.pk}/")
    rules = page.locator("#federation-fragment")
    expect(rules).to_contain_text("Managed by claims")
    page.get_by_label("Group claim value").fill("reviewers")
    page.get_by_role("button", name="Add rule").click()
    expect(page.locator("#federation-fragment")).to_contain_text("reviewers")
    screenshot("federation-group-rules")

    page.goto(f"/users/{mia.pk}/")
    expect(page.locator("#federation-fragment")).to_contain_text("idp-mia")
    screenshot("federation-user-binding")
    page.goto(f"/users/{org.users['henry'].pk}/")
    expect(page.locator("#federation-fragment").get_by_role("button", name="Bind")).to_be_visible()
    screenshot("federation-user-unbound")


def test_a_first_sign_in_binds_a_local_user_by_its_password(page, screenshot, org, oidc_settings, oidc_provider):
    oidc_provider.set_account("idp-oliver", preferred_username="oliver")
    page.goto("/sign-in/")
    page.get_by_role("link", name="Sign in with Test provider").click()
    page.wait_for_url(re.compile(r"/interaction/"))
    page.get_by_label("Account").fill("idp-oliver")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Bind your sign-in").wait_for()
    expect(page.get_by_label("User name")).to_have_value("oliver")
    screenshot("federation-bind")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Bind and sign in").click()
    page.get_by_role("heading", name="Dashboard").wait_for()
    assert org.users["oliver"].federated_identity.value == "idp-oliver"
