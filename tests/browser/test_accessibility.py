"""axe-core on the main pages of every persona, in both themes: no serious or critical violation.

axe is injected as a script, which the Content-Security-Policy would refuse, so these pages
are opened in a browser context of their own that bypasses it (one per theme, each persona
signed in in turn); every other browser test keeps the policy and fails on a violation of it.
axe-core is vendored for the tests only (tests/browser/vendor/README.md).
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from identities import services as identity_services
from identities.models import Group, Role, User
from policies.models import ManagedPolicy
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
FAILING = ("serious", "critical")

# Each violation as one line: rule, impact, what it says, and the first few elements it found.
RUN_AXE = """async (failing) => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations
    .filter((violation) => failing.includes(violation.impact))
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help}: ` +
      violation.nodes.slice(0, 3).map((node) => node.target.join(" ")).join(", "));
}"""


def main_pages(org) -> dict[str, list[str]]:
    mia, developers = User.objects.get(username="mia"), Group.objects.get(group_name="Developers")
    release = Role.objects.get(role_name="ReleaseManager")
    policy = ManagedPolicy.objects.get(policy_name="DevelopersStorageAccess")
    provider = identity_services.create_oidc_provider(
        url="https://token.actions.example.org", client_ids=["deploy"], actor=None
    )
    return {
        "root": ["/", "/users/", "/audit/", "/policies/"],
        "iam-admin": [
            "/",
            "/users/",
            f"/users/{mia.pk}/",
            "/groups/",
            f"/groups/{developers.pk}/",
            "/roles/",
            f"/roles/{release.pk}/",
            "/identity-providers/",
            f"/identity-providers/{provider.pk}/",
            "/policies/",
            f"/policies/{policy.pk}/",
            "/policy-check/",
            "/who-can/",
            "/assessment/",
            "/audit/",
        ],
        "dev-admin": ["/", "/groups/", f"/groups/{developers.pk}/"],
        "mia": [
            "/",
            "/account/",
            "/users/mia/security-credentials/",
            "/policy-check/",
            "/what-can/?kind=user&principal=mia",
            "/roles/switch/",
            "/policies/",  # the console's 403 page
        ],
    }


def violations_on(page, path: str, prepare=None) -> list[str]:
    page.goto(path)
    # Fragments htmx loads after the page (a refused one stays the placeholder it was), and
    # the statement builder's catalogue.
    settled = "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, [aria-busy=true]')"
    page.wait_for_function(settled)
    if prepare is not None:
        prepare(page)
        page.wait_for_function(settled)
    page.add_script_tag(path=str(AXE))
    return [f"{path}: {line}" for line in page.evaluate(RUN_AXE, list(FAILING))]


def _builder_with_actions(page) -> None:
    """The statement builder opened (by its link), a service's actions and ARN fields shown."""
    builder = page.locator("[data-statement-builder]")
    expect(builder.locator("[data-part=service] option")).not_to_have_count(1)
    if builder.get_by_label("Service", exact=True).input_value() == "":
        builder.get_by_label("Service", exact=True).select_option("storage")
    builder.locator("[data-action] input").first.check()


# The statement builder beside the managed and trust policy editors, opened.
BUILDERS = {"iam-admin": ["/policies/new/#id_document-builder", "/roles/new/#id_trust_policy-builder"]}


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_no_serious_or_critical_violation_on_the_main_pages(browser, live_server, org, theme):
    context = browser.new_context(
        base_url=live_server.url, bypass_csp=True, color_scheme=theme, viewport={"width": 1366, "height": 860}
    )
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        found = violations_on(page, "/sign-in/")
        for persona, paths in main_pages(org).items():
            context.clear_cookies()
            sign_in(page, persona, TEST_PASSWORD)
            expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
            expect(page.locator("html")).to_have_attribute("data-bs-theme", theme)
            found += [f"{persona} {line}" for path in paths for line in violations_on(page, path)]
            for path in BUILDERS.get(persona, []):
                found += [f"{persona} {line}" for line in violations_on(page, path, _builder_with_actions)]
    finally:
        context.close()
    assert found == [], "\n".join(found)
