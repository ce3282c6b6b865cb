"""A new access key in Chromium: copied with the Clipboard API, downloaded as AWS's CSV, and gone on reload."""

import csv
from pathlib import Path

import pytest
from playwright.sync_api import expect

from identities.credentials import AccessKey
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_mia_copies_and_downloads_her_new_key_and_a_reload_does_not_show_it_again(
    page, browser_context, screenshot, org, live_server
):
    browser_context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    sign_in(page, "mia", TEST_PASSWORD)
    page.goto("/users/mia/access-keys/")
    page.get_by_role("button", name="Create access key").click()
    created = page.get_by_role("alert").filter(has_text="New access key created")
    expect(created).to_be_visible()
    key = AccessKey.objects.get(user__username="mia")
    secret = page.locator("#new-secret").inner_text()
    assert page.locator("#new-key-id").inner_text() == key.key_id and len(secret) >= 40

    page.get_by_role("button", name="Copy secret").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    page.get_by_role("button", name="Copy ID").click()
    assert page.evaluate("navigator.clipboard.readText()") == key.key_id

    with page.expect_download() as download:
        page.get_by_role("link", name="Download .csv file").click()
    assert download.value.suggested_filename == "mia_accessKeys.csv"
    with Path(download.value.path()).open(newline="") as file:
        assert list(csv.reader(file)) == [["Access key ID", "Secret access key"], [key.key_id, secret]]
    screenshot("access-key-created")

    page.reload()
    expect(page.get_by_role("heading", name="Access keys of mia")).to_be_visible()
    expect(page.get_by_text("New access key created")).to_have_count(0)
    expect(page.get_by_role("link", name="Download .csv file")).to_have_count(0)
    assert secret not in page.content()
    expect(page.locator("tbody tr")).to_have_count(1)
    screenshot("access-key-after-reload")
    assert AccessKey.objects.filter(user__username="mia").count() == 1
