"""axe-core in the browser: WCAG 2.2 A and AA checks of the page a journey is on.

axe-core comes from the npm registry (package.json at the repository root, pinned in
package-lock.json); `make install` puts it in node_modules/. The browser gets it from there, through
a script tag or an init script: nothing of it is in the portal's own pages.
"""

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# WCAG 2.0, 2.1 and 2.2 at levels A and AA: axe's tags for them (2.2 added AA rules only).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# How many of a violation's elements a report names: enough to find them, few enough to read.
TARGETS_SHOWN = 3

# Starts the check and leaves it running in the page, so a caller can do something else meanwhile
# (open the same page in another browser); false when axe is not in the page yet.
_START = """tags => {
    if (typeof axe !== "object") return false;
    window.__wcagCheck = axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})
        .then(results => results.violations.map(v => ({
            rule: v.id,
            impact: v.impact || "",
            help: v.help,
            help_url: v.helpUrl,
            targets: v.nodes.map(node => node.target.flat(Infinity).join(" >>> ")),
            html: v.nodes.map(node => node.html),
        })));
    return true;
}"""
_RESULT = "() => window.__wcagCheck"


@dataclass(frozen=True)
class Violation:
    """One axe rule an open page breaks, with the elements that break it."""

    rule: str
    impact: str
    help: str
    help_url: str
    targets: tuple[str, ...]
    html: tuple[str, ...]

    def describe(self) -> str:
        shown = ", ".join(self.targets[:TARGETS_SHOWN])
        more = len(self.targets) - TARGETS_SHOWN
        if more > 0:
            shown += f" and {more} more"
        return f"{self.rule} ({self.impact}): {self.help}. Elements: {shown}. See {self.help_url}"


def axe_script() -> Path:
    """The axe-core file the checks inject. Missing, the check fails (not skips): it must run in CI."""
    if not AXE_SCRIPT.exists():
        pytest.fail(
            f"axe-core is not installed ({AXE_SCRIPT} is missing): run `make install`, which runs "
            "`npm ci` for package.json (install Node.js and npm first: apt-get install nodejs npm).",
            pytrace=False,
        )
    return AXE_SCRIPT


def start_wcag_check(page: Page) -> None:
    """Start checking the page as it is now. A page without axe-core gets it first (a browser context
    made with `add_axe_to_every_page` has it in every page already). It is evaluated from outside the
    page rather than added as a script tag, which the portal's Content-Security-Policy refuses."""
    if not page.evaluate(_START, WCAG_TAGS):
        page.evaluate(axe_script().read_text(encoding="utf-8"))
        page.evaluate(_START, WCAG_TAGS)


def wcag_check_result(page: Page) -> list[Violation]:
    """What the check `start_wcag_check` started found: everything that breaks a WCAG 2.2 A or AA rule
    axe can test."""
    return [
        Violation(
            rule=item["rule"],
            impact=item["impact"],
            help=item["help"],
            help_url=item["help_url"],
            targets=tuple(item["targets"]),
            html=tuple(item["html"]),
        )
        for item in page.evaluate(_RESULT)
    ]


def wcag_violations(page: Page) -> list[Violation]:
    """Check the page as it is now (see `wcag_check_result`)."""
    start_wcag_check(page)
    return wcag_check_result(page)


def add_axe_to_every_page(context: BrowserContext) -> None:
    """Have axe-core in every page the context opens, from the same file: cheaper than a script tag
    for each of hundreds of pages, since Playwright sends the file to the browser once."""
    context.add_init_script(path=axe_script())


@dataclass
class AxeTally:
    """What the accessibility checks of this run covered, for the terminal summary."""

    checks: int = 0
    pages: set[str] = field(default_factory=set)
    visitors: set[str] = field(default_factory=set)
    sizes: set[str] = field(default_factory=set)
    violations: int = 0

    def add(self, *, page: str, visitor: str, size: str, violations: int) -> None:
        self.checks += 1
        self.pages.add(page)
        self.visitors.add(visitor)
        self.sizes.add(size)
        self.violations += violations

    def summary(self) -> str:
        line = (
            f"axe-core: {self.checks} pages × roles × sizes checked ({len(self.pages)} different pages; "
            f"{len(self.visitors)} roles and sign-in states; {', '.join(sorted(self.sizes))}), "
            f"{self.violations} violations"
        )
        return line


AXE_TALLY = pytest.StashKey[AxeTally]()


def axe_tally(config: pytest.Config) -> AxeTally:
    if AXE_TALLY not in config.stash:
        config.stash[AXE_TALLY] = AxeTally()
    return config.stash[AXE_TALLY]
