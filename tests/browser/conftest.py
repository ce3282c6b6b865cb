"""Playwright driving Debian's Chromium against the live test server.

Never `playwright install`: the browser is the system's /usr/bin/chromium.
With CI set, a missing Chromium fails the run; elsewhere the browser tests
are skipped with the reason shown.

Every page a test opens is watched for Content-Security-Policy violations:
a test that passes with one fails, naming each violated directive, what was
blocked and on which page.
"""

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django would refuse
# ORM calls from it without this, which only the test process needs.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--no-first-run",
]


# Runs in every page and frame before the page's own scripts (an init script is the
# tool's, not the page's, so the policy does not apply to it). Each violation goes to
# the test process as it happens, so none is lost when the page navigates away.
REPORT_VIOLATIONS = """
window.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation({
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    page: event.documentURI,
    source: event.sourceFile ? `${event.sourceFile}:${event.lineNumber}` : "",
  });
}, true);
"""


def _chromium_missing_reason() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (install Debian's chromium package)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -r requirements-test.txt)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _chromium_missing_reason()
    if reason is None:
        return
    browser_items = [item for item in items if "tests/browser/" in item.nodeid]
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI is set but browser tests cannot run: {reason}")
    for item in browser_items:
        item.add_marker(pytest.mark.skipif(True, reason=reason))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail a browser test whose body passed if any of its pages broke the policy."""
    result = yield
    recorder = item.funcargs.get("csp_violations")
    if recorder is not None:
        recorder.check()
    return result


@dataclass(frozen=True)
class Violation:
    directive: str
    blocked: str
    page: str
    source: str

    def __str__(self) -> str:
        where = f" ({self.source})" if self.source else ""
        return f"{self.directive} blocked {self.blocked} on {self.page}{where}"


class ViolationRecorder:
    """The Content-Security-Policy violations of every page of one browser context."""

    def __init__(self, context) -> None:
        self.context = context
        self.violations: list[Violation] = []
        context.expose_binding("reportCspViolation", lambda source, report: self.violations.append(Violation(**report)))
        context.add_init_script(REPORT_VIOLATIONS)

    def take(self) -> list[Violation]:
        """The violations so far, and forget them; the browser fires the event in a task of
        its own, so each open page first runs the tasks already queued."""
        from playwright.sync_api import Error

        for page in self.context.pages:
            with contextlib.suppress(Error):  # a page closing or in mid-navigation has no task left to run
                page.evaluate("() => new Promise((resolve) => setTimeout(resolve))")
        taken, self.violations = self.violations, []
        return taken

    def check(self) -> None:
        if violations := self.take():
            lines = "\n".join(f"  {violation}" for violation in violations)
            pytest.fail(f"Content-Security-Policy violations:\n{lines}", pytrace=False)


@pytest.fixture
def org(transactional_db, org):
    """The article's organisation of tests/conftest.py, committed: the live server answers
    from a thread and connection of its own, which would not see a test's open transaction."""
    return org


@pytest.fixture
def browser_context(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860})
    yield context
    context.close()


@pytest.fixture
def csp_violations(browser_context):
    return ViolationRecorder(browser_context)


@pytest.fixture
def page(browser_context, csp_violations):
    page = browser_context.new_page()
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def screenshot(page):
    """Save a full-page screenshot under artifacts/screenshots/ and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_in(page, username: str, password: str) -> None:
    page.goto("/sign-in/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
