"""A newcomer's path: import an account in the console, then read in the audit trail who did it."""

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from identities import services as identity_services
from policies import services
from policies.aws_import import find_policy
from policies.builtins import load_builtins
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMINISTRATOR = "arn:aws:iam::aws:policy/AdministratorAccess"
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "aws-authorization-details.json"


@pytest.fixture
def administrator(transactional_db):
    """Only an IAM administrator: the sample account then imports into an empty console."""
    load_builtins()
    user = identity_services.create_user(username="iam-admin", password=TEST_PASSWORD, actor=None)
    services.attach_policy(policy=find_policy(ADMINISTRATOR), identity=user, actor=None)


def test_import_preview_confirm_then_the_audit_trail_names_who_ran_it(page, screenshot, administrator):
    assert f":{settings.IAM_ACCOUNT_ID}:" in SAMPLE.read_text()  # the sample is this console's account
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.get_by_role("button", name="Audit").click()
    page.get_by_role("link", name="Import an AWS account").click()
    expect(page.get_by_role("heading", name="Import an AWS account")).to_be_visible()
    screenshot("import-upload")
    page.get_by_label("Authorization details file").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("heading", name="Import preview")).to_be_visible()
    expect(page.locator("#import-plan")).to_contain_text(
        "create group arn:aws:iam::123456789012:group/engineering/Developers"
    )
    screenshot("import-preview")
    page.locator("#confirm-form button[type=submit]").click()
    expect(page.get_by_role("alert").filter(has_text="Imported aws-authorization-details.json")).to_be_visible()
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    page.get_by_role("link", name="Clear").click()
    page.get_by_label("Event name").fill("ImportAccountAuthorizationDetails")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("#audit-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("ImportAccountAuthorizationDetails")
    expect(rows.first).to_contain_text(f"arn:aws:iam::{settings.IAM_ACCOUNT_ID}:user/iam-admin")
    rows.first.locator("summary").click()
    expect(rows.first.locator("pre")).to_contain_text("aws-authorization-details.json")
    screenshot("audit-trail-import")
    page.get_by_label("Event name").fill("")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#audit-table tbody tr").first).to_be_visible()
    screenshot("audit-trail-all")


DESKTOP, PHONE = {"width": 1366, "height": 900}, {"width": 390, "height": 844}


def test_replacing_a_built_in_is_asked_on_the_page_and_the_preview_names_its_holders(
    page, screenshot, administrator, tmp_path
):
    from tests.policies.test_aws_import_builtins import aws_iam_full_access

    holder = identity_services.create_user(username="ada", actor=None)
    services.attach_policy(policy=find_policy("arn:aws:iam::aws:policy/IAMFullAccess"), identity=holder, actor=None)
    upload = tmp_path / "iam-full-access.json"
    upload.write_text(aws_iam_full_access())
    sign_in(page, "iam-admin", TEST_PASSWORD)
    for size, width in ((DESKTOP, 1366), (PHONE, 390)):
        page.set_viewport_size(size)
        page.goto("/import/")
        expect(page.get_by_label("Skip what is invalid")).to_be_visible()
        expect(page.get_by_label("Replace built-in policies")).to_be_visible()
        screenshot(f"import-checkboxes-{width}")
    page.set_viewport_size(DESKTOP)
    page.get_by_label("Authorization details file").set_input_files(str(upload))
    page.get_by_role("button", name="Preview the import").click()
    problems = page.locator("#import-problems")
    expect(problems).to_contain_text('tick "Replace built-in policies"')
    expect(problems).not_to_contain_text("--replace-builtins")
    screenshot("import-builtin-refused-1366")
    page.get_by_label("Authorization details file").set_input_files(str(upload))
    page.get_by_label("Replace built-in policies").check()
    page.get_by_role("button", name="Preview the import").click()
    replaced = page.locator("#import-replaced")
    expect(replaced).to_contain_text("arn:aws:iam::aws:policy/IAMFullAccess")
    expect(replaced).to_contain_text(holder.arn)
    screenshot("import-builtin-replaced-1366")
    page.set_viewport_size(PHONE)
    screenshot("import-builtin-replaced-390")
