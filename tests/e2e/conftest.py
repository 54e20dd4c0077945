"""Browser journeys: Playwright drives Debian's chromium against pytest-django's live server.

Every test in this folder is marked `e2e` (deselect with `-m "not e2e"`). Pages come from the
`desktop` and `ipad` fixtures below; both refuse any request that is not to the live server, so a
journey can never reach the internet (and a page that tries to fails its test).
"""

import os
from pathlib import Path

import pytest
from django.core.cache import cache

from .axe import AXE_TALLY

# Playwright's sync API keeps an asyncio event loop in this thread; Django would otherwise refuse
# the ORM calls that fixtures and tests make ("You cannot call this from an async context").
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

HERE = Path(__file__).parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
IPAD = {
    # An 11-inch iPad Air held upright, in Safari.
    "viewport": {"width": 820, "height": 1180},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
    ),
}


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """How much the accessibility checks covered, where CI output shows it."""
    if AXE_TALLY in config.stash:
        terminalreporter.write_sep("-", "accessibility")
        terminalreporter.write_line(config.stash[AXE_TALLY].summary())


def pytest_collection_modifyitems(config, items):
    # This hook sees every collected test, not just this folder's: mark only ours.
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, pointed at Debian's chromium (`playwright install` cannot
    download a browser here). .ci/run installs the package, so in CI these tests run."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed: apt-get install chromium")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Viewport and device settings belong to the `desktop` and `ipad` fixtures; pytest-playwright's
    # new_context() refuses a keyword that is also here, so a --device option must not add them.
    device_keys = {"viewport", "screen", "device_scale_factor", "is_mobile", "has_touch", "user_agent"}
    args = {key: value for key, value in browser_context_args.items() if key not in device_keys}
    return {**args, "locale": "en-GB", "timezone_id": "Europe/London"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Start each journey with an empty cache: rate-limit counters (failed sign-ins per IP, and
    every request here comes from 127.0.0.1) and used authenticator codes left by tests that ran
    earlier in the same process would otherwise decide whether a journey can sign in."""
    cache.clear()


# Added to every page before its own scripts: each Content-Security-Policy violation the browser
# reports to the page (a refused inline script, style attribute, eval, or a source not allowed)
# is handed to the test through the binding below. Playwright's init scripts are not subject to
# the page's policy.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolation({
    page: document.location.href,
    directive: event.effectiveDirective || event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile ? event.sourceFile + ":" + event.lineNumber : "",
    sample: event.sample,
    disposition: event.disposition,
  });
}, true);
"""


@pytest.fixture
def csp_violations():
    """What the Content-Security-Policy refused on the journey's pages (see `open_context`)."""
    return []


@pytest.fixture
def open_context(new_context, live_server, csp_violations):
    """Open a new browser context with the given device settings. Requests anywhere but the live
    server are aborted and fail the test, and so does anything the Content-Security-Policy
    refuses (or, in report-only mode, would refuse) on any page the journey opens."""
    stray_requests = []

    def only_the_live_server(route):
        if route.request.url.startswith(live_server.url + "/"):
            route.continue_()
        else:
            stray_requests.append(route.request.url)
            route.abort("blockedbyclient")

    def record_violation(source, violation):
        csp_violations.append(violation)

    def record_console(message):
        # Chromium also writes each refusal to the console, including those no event reaches
        # (a page that navigates away at once).
        if message.type in ("error", "warning") and "Content Security Policy" in message.text:
            csp_violations.append({"page": message.page.url if message.page else "", "console": message.text})

    def open_context_with(**device):
        context = new_context(**device)
        context.route("**/*", only_the_live_server)
        context.expose_binding("__cspViolation", record_violation)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("console", record_console)
        return context

    yield open_context_with
    assert not stray_requests, f"pages tried to leave the live server: {stray_requests}"
    assert not csp_violations, f"the Content-Security-Policy refused something: {csp_violations}"


@pytest.fixture
def open_page(open_context):
    """Open a page in a new browser context with the given device settings (see `open_context`)."""
    return lambda **device: open_context(**device).new_page()


@pytest.fixture
def desktop(open_page):
    """A page in a desktop browser window, 1280×800."""
    return open_page(**DESKTOP)


@pytest.fixture
def ipad(open_page):
    """A page on an iPad held upright: 820×1180 CSS pixels, touch, Safari's user agent."""
    return open_page(**IPAD)


@pytest.fixture
def screenshot_path(pytestconfig):
    """Where a journey saves a screenshot for a person to look at: pytest-playwright's --output
    folder (test-results/ by default, emptied by pytest-playwright when a run starts)."""
    folder = Path(pytestconfig.getoption("--output"))
    folder.mkdir(parents=True, exist_ok=True)
    return lambda name: folder / name
