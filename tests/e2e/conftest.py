"""The browser harness: Playwright driving Debian's Chromium against pytest-django's live server.

Playwright's own browser download cannot work here, so the harness launches
``/usr/bin/chromium`` (``apt-get install chromium``; .ci/run installs it). When
it is missing the journeys are skipped with the reason, except in CI, where
they fail. Every journey module marks itself::

    pytestmark = E2E

and asks for ``browser_page``, which also collects console errors, page
errors and CSP violations for the journey to assert empty.
"""

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.services import IN_CI

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    # No network beyond loopback here: keep Chromium from calling home.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Journeys run against the live server, so their database work must be committed.
E2E = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Listens in every page before its own scripts run, so a CSP violation is
# reported even when Chromium would only count it.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


@dataclass
class BrowserProblems:
    """What went wrong in the page: console errors (CSP violations among them) and uncaught errors."""

    messages: list[str] = field(default_factory=list)

    def console(self, message) -> None:
        if message.type == "error":
            self.messages.append(f"console: {message.text}")

    def page_error(self, error) -> None:
        self.messages.append(f"page error: {error}")


@pytest.fixture(scope="module")
def chromium():
    """Launch headless Debian Chromium for one journey module."""
    if not CHROMIUM.exists():
        reason = f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"{reason}; CI needs it.", pytrace=False)
        pytest.skip(f"{reason}: browser journeys skipped outside CI")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread, which Django takes
    # for async code and refuses ORM calls from. Only while the browser runs: the
    # variable must not leak into other tests' subprocesses (check --deploy rejects it).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()


@dataclass
class BrowserPage:
    page: object
    problems: BrowserProblems


@pytest.fixture
def browser_page(chromium, live_server):
    """Return a fresh browser context's page on the live server, and its problem log."""
    context = chromium.new_context(base_url=live_server.url)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    problems = BrowserProblems()
    page.on("console", problems.console)
    page.on("pageerror", problems.page_error)
    yield BrowserPage(page=page, problems=problems)
    context.close()
