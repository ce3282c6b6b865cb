"""The console's identity provider pages in Chromium: register a provider, add and remove a client
ID, delete it; a screenshot of each page, on a desktop and on a phone."""

import pytest
from playwright.sync_api import expect

from identities.models import OpenIDConnectProvider
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def snap(page, screenshot):
    def take(name: str):
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], f"{name} scrolls sideways ({width}px)"
        return screenshot(name)

    return take


def test_the_administrator_registers_a_provider_and_manages_its_client_ids(page, snap, org):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.get_by_role("link", name="Identity providers", exact=True).click()
    snap("identities-oidc-provider-list-empty")
    page.get_by_role("link", name="Add provider").click()
    page.get_by_label("Issuer URL").fill("http://token.actions.example.org")
    page.get_by_role("button", name="Add provider").click()
    expect(page.locator("main form")).to_contain_text("An issuer URL starts with https://.")
    snap("identities-oidc-provider-create-refused")
    page.get_by_label("Issuer URL").fill("https://token.actions.example.org")
    page.get_by_label("Client IDs").fill("deploy-pipeline\nsts.example.org")
    page.get_by_role("button", name="Add provider").click()
    expect(page.locator("#provider-arn")).to_contain_text("oidc-provider/token.actions.example.org")
    page.get_by_role("textbox", name="Client ID", exact=True).fill("release-bot")
    page.get_by_role("button", name="Add client ID").click()
    expect(page.locator("#client-ids")).to_contain_text("release-bot")
    snap("identities-oidc-provider-detail")
    page.get_by_role("button", name="Remove deploy-pipeline").click()
    expect(page.locator("#client-ids")).not_to_contain_text("deploy-pipeline")
    assert OpenIDConnectProvider.objects.get().client_ids == ["sts.example.org", "release-bot"]
    page.set_viewport_size(PHONE)
    snap("identities-oidc-provider-detail-phone")
    page.get_by_role("link", name="Delete").click()
    snap("identities-oidc-provider-delete")
    page.get_by_role("button", name="Delete token.actions.example.org").click()
    expect(page.locator("#oidc-provider-table")).to_contain_text("No identity providers")
    assert not OpenIDConnectProvider.objects.exists()
