"""The visual statement builder beside the policy editors, in Chromium: it writes a statement the
editor's live check accepts and that saves, gives back every statement of the organisation's
policies unchanged, names what it cannot show and keeps it through an edit, refuses to write
into a document that is not JSON, and writes a trust policy's principal."""

import json

import pytest
from playwright.sync_api import expect

from identities.models import Role
from policies import queries, services
from policies.models import CatalogAction, InlinePolicy, ManagedPolicy
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"1366": {"width": 1366, "height": 900}, "390": {"width": 390, "height": 844}}


def ordered(text: str):
    """The document with the order of every object's members, so "unchanged" means as written."""
    return json.loads(text, object_pairs_hook=list)


def open_builder(page):
    """Open the visual editor and wait until the catalogue's services have arrived."""
    builder = page.locator("[data-statement-builder]").first
    builder.locator("summary").click()
    expect(builder.locator("[data-part=service] option")).not_to_have_count(1)
    expect(builder).not_to_have_attribute("aria-busy", "true")
    return builder


def show(builder, label: str) -> None:
    builder.get_by_label("Statement", exact=True).select_option(label=label)
    builder.get_by_role("button", name="Show in the visual editor").click()
    expect(builder.get_by_role("status")).to_contain_text(f"{label} shown.")


def editor_text(page, name: str = "document") -> str:
    return page.locator(f"textarea[name={name}]").input_value()


def test_the_builder_writes_a_statement_the_editor_accepts_and_that_saves(page, screenshot, org):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.goto("/policies/new/")
    builder = open_builder(page)
    builder.get_by_label("Service", exact=True).select_option("storage")
    builder.get_by_label("Search the service's actions").fill("object")
    expect(builder.get_by_text("3 of 10 actions match “object”.")).to_be_visible()
    builder.get_by_label("GetObject", exact=True).check()
    builder.get_by_label("PutObject", exact=True).check()
    builder.get_by_label("BucketName").fill("dev-app")
    builder.get_by_role("button", name="Add object ARN").click()
    builder.get_by_label("Condition key").select_option("aws:SecureTransport")
    builder.get_by_label("Operator").select_option("Bool")
    builder.get_by_label("Values, one a line").fill("true")
    builder.get_by_role("button", name="Add condition").click()
    builder.get_by_label("Condition key").select_option("aws:ResourceTag/${TagKey}")
    builder.get_by_label("TagKey").fill("team")
    builder.get_by_label("Operator").select_option("StringEquals")
    builder.get_by_role("checkbox", name="IfExists").check()
    builder.get_by_label("Values, one a line").fill("dev\nplatform")
    builder.get_by_role("button", name="Add condition").click()
    builder.get_by_label("Condition key").select_option("aws:TagKeys")
    builder.get_by_label("Values of a multivalued key").select_option("ForAnyValue")
    builder.get_by_label("Operator").select_option("StringLike")
    builder.get_by_role("checkbox", name="IfExists").uncheck()
    builder.get_by_label("Values, one a line").fill("team")
    builder.get_by_role("button", name="Add condition").click()
    builder.get_by_label("Sid").fill("WriteDevApp")
    builder.get_by_role("button", name="Add to the document").click()
    expect(page.locator("#findings")).to_have_attribute("data-error-count", "0")
    expect(page.get_by_text("No findings: the document is valid.")).to_be_visible()
    expected = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteDevApp",
                "Effect": "Allow",
                "Action": ["storage:GetObject", "storage:PutObject"],
                "Resource": "arn:aws:storage:::dev-app/*",
                "Condition": {
                    "Bool": {"aws:SecureTransport": "true"},
                    "StringEqualsIfExists": {"aws:ResourceTag/team": ["dev", "platform"]},
                    "ForAnyValue:StringLike": {"aws:TagKeys": "team"},
                },
            }
        ],
    }
    assert json.loads(editor_text(page)) == expected
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width, viewport in WIDTHS.items():
            page.set_viewport_size(viewport)
            expect(page.locator("html")).to_have_attribute("data-bs-theme", scheme)
            screenshot(f"statement-builder-{scheme}-{width}")
            builder.screenshot(path=str(ARTIFACTS / f"statement-builder-panel-{scheme}-{width}.png"))
    page.set_viewport_size(WIDTHS["1366"])
    page.get_by_label("Policy name").fill("DevAppWriters")
    page.get_by_role("button", name="Create policy").click()
    expect(page.get_by_text("DevAppWriters is created.")).to_be_visible()
    assert queries.default_document(ManagedPolicy.objects.get(policy_name="DevAppWriters")) == expected


@pytest.mark.parametrize("name", ["DevelopersStorageAccess", "OperationsStorageAccess"])
def test_every_statement_of_an_organisation_policy_round_trips_unchanged(page, org, name):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.goto(f"/policies/{ManagedPolicy.objects.get(policy_name=name).pk}/")
    before = editor_text(page)
    builder = open_builder(page)
    count = len(json.loads(before)["Statement"])
    assert count == 2
    for number in range(1, count + 1):
        sid = json.loads(before)["Statement"][number - 1]["Sid"]
        show(builder, f"Statement {number} ({sid})")
        expect(builder.locator("[data-part=kept]")).to_be_hidden()
        builder.get_by_role("button", name=f"Replace statement {number} in the document").click()
        expect(builder.get_by_role("status")).to_contain_text(f"Statement {number} written into the document")
    assert ordered(editor_text(page)) == ordered(before)


def test_a_roles_trust_policy_round_trips_unchanged(page, org):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.goto(f"/roles/{Role.objects.get(role_name='ReleaseManager').pk}/edit/")
    before = editor_text(page, "trust_policy")
    builder = open_builder(page)
    show(builder, "Statement 1")
    expect(builder.get_by_role("button", name="Remove AWS: arn:aws:iam::123456789012:root")).to_be_visible()
    expect(builder.get_by_label("AssumeRole", exact=True)).to_be_checked()
    builder.get_by_role("button", name="Replace statement 1 in the document").click()
    expect(builder.get_by_role("status")).to_contain_text("Statement 1 written into the document")
    assert ordered(editor_text(page, "trust_policy")) == ordered(before)


NOT_ACTION = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "EverythingButIam",
            "Effect": "Allow",
            "NotAction": ["iam:*", "sts:*"],
            "Resource": "arn:aws:storage:::dev-app/*",
            "Condition": {"StringEqualsIfExists": {"aws:username": "mia"}, "NoSuchOperator": {"aws:username": "x"}},
        },
        {"Effect": "Allow", "Action": ["nosuch:Do", "storage:GetObject"], "Resource": "*"},
    ],
}


def test_a_statement_with_not_action_says_what_it_cannot_show_and_keeps_it(page, org):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.goto("/policies/new/")
    page.get_by_label("Policy document").fill(json.dumps(NOT_ACTION, indent=2))
    builder = open_builder(page)
    show(builder, "Statement 1 (EverythingButIam)")
    kept = builder.locator("[data-part=kept]")
    expect(kept).to_have_text(
        "Not shown here, kept exactly as written: NotAction; the condition operator NoSuchOperator."
    )
    expect(builder.get_by_label("Service", exact=True)).to_be_disabled()  # its actions are NotAction
    expect(builder.get_by_role("listitem").filter(has_text="StringEqualsIfExists aws:username: mia")).to_be_visible()
    builder.get_by_role("button", name="Remove arn:aws:storage:::dev-app/*").click()
    builder.get_by_label("All resources").check()
    builder.get_by_role("button", name="Replace statement 1 in the document").click()
    written = json.loads(editor_text(page))
    changed = {**NOT_ACTION["Statement"][0], "Resource": "*"}
    assert written == {**NOT_ACTION, "Statement": [changed, NOT_ACTION["Statement"][1]]}

    show(builder, "Statement 2")
    expect(kept).to_have_text(
        "Not shown here, kept exactly as written: the service nosuch, not in the catalogue "
        "(its actions are listed as written)."
    )
    expect(builder.get_by_label("GetObject", exact=True)).to_be_checked()
    expect(builder.get_by_role("button", name="Remove nosuch:Do")).to_be_visible()
    builder.get_by_role("radio", name="Deny").check()
    builder.get_by_role("button", name="Replace statement 2 in the document").click()
    denied = {**NOT_ACTION["Statement"][1], "Effect": "Deny"}
    assert json.loads(editor_text(page)) == {**NOT_ACTION, "Statement": [changed, denied]}


def test_the_builder_writes_nothing_into_a_document_that_is_not_json(page, org):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.goto("/policies/new/")
    broken = '{"Version": "2012-10-17", "Statement": ['
    page.get_by_label("Policy document").fill(broken)
    builder = open_builder(page)
    expect(builder.locator("[data-part=document-state]")).to_contain_text("The document is not valid JSON")
    builder.get_by_label("Service", exact=True).select_option("storage")
    builder.get_by_label("ListBuckets", exact=True).check()
    builder.get_by_label("All resources").check()
    builder.get_by_role("button", name="Add to the document").click()
    expect(builder.get_by_role("status")).to_contain_text("The document is not valid JSON")
    assert editor_text(page) == broken

    # A number JavaScript would write back otherwise (AWS compares an unquoted number as its text).
    exact = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "storage:ListBuckets", ' + (
        '"Resource": "*", "Condition": {"StringEquals": {"storage:prefix": 1.50}}}]}'
    )
    page.get_by_label("Policy document").fill(exact)
    builder.get_by_role("button", name="Add to the document").click()
    expect(builder.get_by_role("status")).to_contain_text(
        "numbers the visual editor would not write back as written (1.50)"
    )
    assert editor_text(page) == exact


def test_the_builder_writes_an_inline_policy_in_the_identity_fragment(page, org):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.goto(f"/users/{org.henry.pk}/")
    page.get_by_text("Add or replace an inline policy").click()
    builder = open_builder(page)
    builder.get_by_label("Service", exact=True).select_option("storage")
    builder.get_by_label("ListBuckets", exact=True).check()
    expect(builder.get_by_text("The chosen actions take no resource type")).to_be_visible()
    builder.get_by_label("All resources").check()
    builder.get_by_role("button", name="Add to the document").click()
    page.locator("#identity-policies").get_by_label("Policy name").fill("ListAll")
    page.get_by_role("button", name="Save inline policy").click()
    expect(page.locator("#identity-policies")).to_contain_text("ListAll")
    assert InlinePolicy.objects.get(policy_name="ListAll").document == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "storage:ListBuckets", "Resource": "*"}],
    }


NOT_PRINCIPAL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "NotPrincipal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}],
}


def test_the_builder_writes_a_trust_policy_principal(page, screenshot, org):
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.goto("/roles/new/")
    builder = open_builder(page)
    expect(builder.get_by_label("Service", exact=True)).to_have_value("sts")
    builder.get_by_label("AssumeRole", exact=True).check()
    builder.get_by_label("Principal", exact=True).fill("arn:aws:iam::123456789012:user/mia")
    builder.get_by_role("button", name="Add principal").click()
    builder.get_by_role("button", name="Add to the document").click()
    expect(page.locator("#findings")).to_have_attribute("data-error-count", "0")
    written = json.loads(editor_text(page, "trust_policy"))
    assert written == {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/mia"}, "Action": "sts:AssumeRole"}
        ],
    }
    screenshot("statement-builder-trust-light-1366")

    page.get_by_label("Trust policy").fill(json.dumps(NOT_PRINCIPAL))
    show(builder, "Statement 1")
    expect(builder.locator("[data-part=kept]")).to_have_text("Not shown here, kept exactly as written: NotPrincipal.")
    expect(builder.get_by_label("Principal", exact=True)).to_be_disabled()
    builder.get_by_role("button", name="Replace statement 1 in the document").click()
    assert json.loads(editor_text(page, "trust_policy")) == NOT_PRINCIPAL
    page.get_by_label("Trust policy").fill(json.dumps(written))
    page.get_by_label("Role name").fill("MiaTrusted")
    page.get_by_role("button", name="Create role").click()
    expect(page.get_by_role("heading", name="MiaTrusted")).to_be_visible()
    trusted, elsewhere = queries.trusted_principals(Role.objects.get(role_name="MiaTrusted"))
    assert [principal.username for principal, _ in trusted] == ["mia"] and elsewhere == []


def test_catalogue_text_and_statement_names_are_shown_as_text_never_as_markup(page, org):
    billing = services.save_catalog_service(prefix="billing", name="Billing <img id=name-injected src=x>", actor=None)
    services.save_catalog_action(
        action=CatalogAction(
            service=billing, name="Pay", access_level="Write", description="<img id=injected src=x> pays"
        ),
        actor=None,
    )
    sign_in(page, "iam-admin", TEST_PASSWORD)
    page.goto("/policies/new/")
    sid = "<img id=sid-injected src=x>"
    page.get_by_label("Policy document").fill(json.dumps({"Statement": {"Sid": sid, "Effect": "Allow"}}))
    builder = open_builder(page)
    builder.get_by_label("Service", exact=True).select_option("billing")
    expect(builder.get_by_text("<img id=injected src=x> pays")).to_be_visible()
    expect(builder.get_by_label("Statement", exact=True)).to_contain_text(f"Statement 1 ({sid})")
    assert page.locator("#injected, #name-injected, #sid-injected").count() == 0
