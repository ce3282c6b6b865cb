"""Guardrails and trust policies in Chromium: the guardrail pages, and the trust policy in the
policy editor with its findings as it is typed, at desktop and phone widths."""

import pytest
from playwright.sync_api import expect

from policies import services
from tests.browser.conftest import sign_in
from tests.documents import document, statement
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP, PHONE = {"width": 1366, "height": 860}, {"width": 390, "height": 844}
TYPO = (
    '{\n  "Version": "2012-10-17",\n  "Statement": [{\n    "Effect": "Allow",\n'
    '    "Principal": {"AWS": "arn:aws:iam::123456789012:user/oliver"},\n    "Action": "sts:AssumeRol"\n  }]\n}'
)


def test_the_guardrail_pages_show_the_levels_and_what_a_guardrail_denies(page, screenshot, org):
    fence, _ = services.save_guardrail(
        guardrail_name="NoProductionDeletes",
        description="Nobody deletes production objects from outside the office.",
        document=document(
            statement(
                "Deny",
                "storage:DeleteObject",
                "arn:aws:storage:::production/*",
                {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
                Sid="OfficeOnly",
            )
        ),
        actor=None,
    )
    sign_in(page, "iam-admin", TEST_PASSWORD)
    for width, viewport in (("1366", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(viewport)
        page.goto("/")
        if width == "390":
            page.get_by_role("button", name="Toggle navigation").click()
        page.get_by_role("button", name="More about policies").click()
        page.get_by_role("link", name="Guardrails").click()
        level = page.get_by_role("region", name="Level 1")
        expect(level.get_by_role("link", name="NoProductionDeletes")).to_be_visible()
        expect(level).to_contain_text("storage:DeleteObject")
        screenshot(f"guardrail-list-{width}")
        level.get_by_role("link", name="NoProductionDeletes").click()
        denies = page.locator("#denies")
        expect(denies).to_contain_text("arn:aws:storage:::production/*")
        expect(denies).to_contain_text("aws:SourceIp NotIpAddress 10.0.0.0/8")
        expect(page.get_by_role("link", name="Edit in the admin")).to_have_attribute(
            "href", f"/admin/policies/guardrail/{fence.pk}/change/"
        )
        screenshot(f"guardrail-detail-{width}")


def test_the_trust_policy_editor_shows_a_misspelt_action_as_it_is_typed(page, screenshot, org):
    role = org.roles["ReleaseManager"]
    stored = role.trust_policy
    sign_in(page, "iam-admin", TEST_PASSWORD)
    for width, viewport in (("1366", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(viewport)
        page.goto(f"/roles/{role.pk}/edit/")
        editor = page.get_by_label("Trust policy")
        expect(page.locator("#findings")).to_contain_text("No findings: the document is valid.")
        editor.fill(TYPO)
        editor.press("End")
        finding = page.locator("#line-6 .finding")
        expect(finding).to_contain_text("'sts:AssumeRol' is not an action a trust policy can allow")
        screenshot(f"trust-editor-finding-{width}")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Not saved. Nothing was changed.")
    expect(page.get_by_role("alert")).to_contain_text("(line 6, column 15, Statement[0].Action)")
    screenshot("trust-editor-refused-390")
    page.goto(f"/roles/{role.pk}/")
    expect(page.locator("#trusted-principals")).to_have_text("arn:aws:iam::123456789012:user/mia")
    screenshot("role-effective-trust-390")
    role.refresh_from_db()
    assert role.trust_policy == stored
