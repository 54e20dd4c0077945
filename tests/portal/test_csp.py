"""Issue 16: the Content-Security-Policy. Every page carries it, whoever asks; no page or
template needs anything it refuses (inline scripts, on*="" handlers, javascript: links, style
attributes or <style> elements), so nothing has to be let through with 'unsafe-inline'.

The browser journeys (tests/e2e) fail on any violation a real browser reports; these tests
find the same mistakes without a browser, naming the template and line."""

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

HEADER = "Content-Security-Policy"

# Pages of the portal that every role can ask for (some answer 403 or send elsewhere: those
# answers carry the policy too).
PAGES = [
    "dashboard",
    "staff_list",
    "email_preferences",
    "social_account_list",
    "social_account_create",
    "audience_followers",
    "audience_blocked",
    "audience_following",
    "inbox_list",
    "concern_list",
    "concern_raise",
    "incident_list",
    "incident_create",
    "consent_register",
    "consent_bulk_entry",
    "consent_coverage",
    "consent_import",
    "policy_current",
    "policy_edit",
    "rules_list",
    "rule_create",
    "audit_log",
    "post_compose",
    "post_list_mine",
    "take_down_list",
    "review_queue",
    "post_calendar",
    "delegation_list",
    "mfa_index",
]
SIGNED_OUT_PAGES = ["account_login", "account_reset_password", "healthz"]


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_strict_policy(response, where: str) -> None:
    assert HEADER in response, f"{where} answered {response.status_code} without a {HEADER} header"
    policy = directives(response[HEADER])
    assert policy["script-src"] == ["'self'"], f"{where}: script-src is {policy['script-src']}"
    assert policy["style-src"] == ["'self'"], f"{where}: style-src is {policy['style-src']}"
    for name, values in policy.items():
        assert "'unsafe-inline'" not in values and "'unsafe-eval'" not in values, f"{where}: {name} {values}"
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:", "blob:"]


class InlineCodeFinder(HTMLParser):
    """Collects, with line numbers, what the policy would refuse in a piece of HTML."""

    # <script> elements of these types hold data, which the browser never runs.
    DATA_TYPES = {"application/json", "application/ld+json", "text/template"}
    URL_ATTRIBUTES = {"href", "src", "action", "formaction"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._inline_script_from: int | None = None

    def handle_starttag(self, tag, attrs):
        line = self.getpos()[0]
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append((line, f'an event handler attribute {name}="…" on <{tag}>'))
            elif name == "style":
                self.found.append((line, f"a style attribute on <{tag}>"))
            elif name in self.URL_ATTRIBUTES and (value or "").strip().lower().startswith("javascript:"):
                self.found.append((line, f"a javascript: URL in {name} on <{tag}>"))
        attributes = dict(attrs)
        if tag == "style":
            self.found.append((line, "a <style> element"))
        if tag == "script" and "src" not in attributes and attributes.get("type") not in self.DATA_TYPES:
            self._inline_script_from = line

    def handle_data(self, data):
        if self._inline_script_from is not None and data.strip():
            self.found.append((self._inline_script_from, "an inline <script> body"))
            self._inline_script_from = None

    def handle_endtag(self, tag):
        if tag == "script":
            self._inline_script_from = None


def inline_code(html: str) -> list[tuple[int, str]]:
    finder = InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder.found


# As Django reads them: {# … #} within one line, {% comment %} … {% endcomment %} across lines.
DJANGO_COMMENT = re.compile(r"{#[^\n]*?#}|{%\s*comment\b[^%]*%}.*?{%\s*endcomment\s*%}", re.DOTALL)


def without_template_comments(source: str) -> str:
    """Comments may talk about <script> or style=""; keep their lines so line numbers stay right."""
    return DJANGO_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), source)


def every_template() -> list[Path]:
    base = Path(settings.BASE_DIR)
    folders = [base / "templates", *base.glob("*/templates"), *base.glob("*/*/templates")]
    return sorted(path for folder in folders for path in folder.rglob("*.html"))


def test_a_comment_is_not_scanned_but_a_comment_django_would_not_recognise_is():
    source = """{# a <style> element, mentioned #}
{% comment "why" %}<script>old()</script>
{% endcomment %}
{# not closed on this line: Django prints it, <p style="x">
#}"""
    assert inline_code(without_template_comments(source)) == [(4, "a style attribute on <p>")]


def test_the_scan_finds_every_kind_of_inline_code():
    html = """<p style="color: red">a</p>
<button onclick="go()">b</button>
<a href="javascript:void(0)">c</a>
<script>alert(1)</script>
<style>p { color: red }</style>
<script src="/static/js/portal.js" defer></script>
<script type="application/json" id="data">{"a": 1}</script>"""
    assert inline_code(html) == [
        (1, "a style attribute on <p>"),
        (2, 'an event handler attribute onclick="…" on <button>'),
        (3, "a javascript: URL in href on <a>"),
        (4, "an inline <script> body"),
        (5, "a <style> element"),
    ]


def test_no_template_has_inline_script_handlers_or_style_attributes():
    templates = every_template()
    assert len(templates) > 50, "the scan found too few templates to be looking in the right place"
    problems = []
    for path in templates:
        source = without_template_comments(path.read_text(encoding="utf-8"))
        for line, what in inline_code(source):
            problems.append(f"{path.relative_to(settings.BASE_DIR)}:{line}: {what}")
    assert not problems, "the Content-Security-Policy would refuse:\n" + "\n".join(problems)


def test_signed_out_pages_carry_the_policy(client, db):
    for name in SIGNED_OUT_PAGES:
        response = client.get(reverse(name))
        assert_strict_policy(response, name)
        if response["Content-Type"].startswith("text/html"):
            assert inline_code(response.content.decode()) == [], name


@pytest.mark.parametrize("role", ["head", "slt", "teacher", "ta", "computing", "office"])
def test_every_page_carries_the_policy_and_needs_nothing_it_refuses(client_for, staff, accounts, role):
    client = client_for(getattr(staff, role))
    answered = set()
    for name in PAGES:
        response = client.get(reverse(name))
        answered.add(response.status_code)
        assert_strict_policy(response, f"{name} for {role}")
        if response["Content-Type"].startswith("text/html"):
            assert inline_code(response.content.decode()) == [], f"{name} for {role}"
    assert 200 in answered


def test_an_unknown_page_and_a_refused_page_carry_the_policy(client_for, staff):
    client = client_for(staff.teacher)
    assert_strict_policy(client.get("/no-such-page/"), "a 404")
    refused = client.get(reverse("audit_log"))
    assert refused.status_code == 403
    assert_strict_policy(refused, "a 403")


def _policy_headers(env: dict) -> subprocess.CompletedProcess:
    """The headers the middleware adds, with the settings read afresh from `env`."""
    code = (
        "import django; django.setup()\n"
        "from csp.middleware import CSPMiddleware\n"
        "from django.http import HttpResponse\n"
        "from django.test import RequestFactory\n"
        "response = CSPMiddleware(lambda request: HttpResponse())(RequestFactory().get('/'))\n"
        "for name in ('Content-Security-Policy', 'Content-Security-Policy-Report-Only'):\n"
        "    print(name, '=', response.get(name, '-'))\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CSP_")}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "policy_portal.settings_test", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _headers(result: subprocess.CompletedProcess) -> dict[str, str]:
    assert result.returncode == 0, result.stderr
    return dict(line.split(" = ", 1) for line in result.stdout.splitlines())


def test_enforced_by_default():
    headers = _headers(_policy_headers({}))
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["Content-Security-Policy-Report-Only"] == "-"


def test_report_only_mode_reports_the_same_policy_without_enforcing_it():
    headers = _headers(
        _policy_headers({"CSP_REPORT_ONLY": "true", "CSP_REPORT_URI": "https://reports.example.org/csp"})
    )
    assert headers["Content-Security-Policy"] == "-"
    report_only = directives(headers["Content-Security-Policy-Report-Only"])
    assert report_only["script-src"] == ["'self'"]
    assert report_only["report-uri"] == ["https://reports.example.org/csp"]


def test_forms_may_go_to_the_portal_and_to_the_x_sign_in_page_only():
    headers = _headers(_policy_headers({"X_AUTHORIZE_URL": "https://x.example.net/i/oauth2/authorize"}))
    policy = directives(headers["Content-Security-Policy"])
    assert policy["form-action"] == ["'self'", "https://x.example.net"]
