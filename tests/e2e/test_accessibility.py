"""Issue 14: every page passes WCAG 2.2 A and AA, for everyone who can open it, on the class iPad and
at a desk, as far as axe-core can tell (it cannot judge everything: the keyboard journeys and the
200% zoom checks beside this file cover some of the rest).

"Every page" is read from the URL configuration, not from a list kept by hand: each URL pattern is
filled in from one rich school (tests/e2e/rich_school.py) and tried as each role, as an approver who
has not set up an authenticator yet, and signed out. What answers with an HTML page is checked; what
answers 403, 404 or a redirect is someone else's page (the 403 and 404 pages themselves are checked
once for each visitor). A pattern that is neither listed below as not a page nor filled in fails
the first test here, and one nobody could open fails the last: a new page cannot slip past.
"""

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from playwright.sync_api import Page, expect

from accounts.models import Role
from accounts.services_devices import device_add
from consent.views_import import SESSION_KEY as IMPORT_SESSION_KEY

from ..factories import PASSWORD
from .axe import (
    Violation,
    add_axe_to_every_page,
    axe_tally,
    start_wcag_check,
    wcag_check_result,
    wcag_violations,
)
from .conftest import DESKTOP, IPAD
from .rich_school import RichSchool, build_rich_school
from .sessions import sign_in

SIZES = {"iPad": IPAD, "desktop": DESKTOP}

SIGNED_OUT = "signed out"
# A senior leader on their first day: every page sends them to set up an authenticator app.
NEW_APPROVER = "approver without an authenticator"
VISITORS = [*Role.values, NEW_APPROVER, SIGNED_OUT]

# Actions: they take POST only, and answer with a redirect to a page checked here.
ACTIONS = {
    "staff_deactivate",
    "staff_reactivate",
    "invitation_revoke",
    "school_switch",
    "x_connect_start",
    "x_check_connection",
    "bluesky_check_connection",
    "mastodon_connect_start",
    "mastodon_check_connection",
    "consent_record_create",
    "consent_never_publish",
    "consent_pupil_other_names",
    "consent_withdraw",
    "consent_import_apply",
    "post_image_upload",
    "post_image_remove",
    "post_image_alt_text",
    "post_take_down",
    "post_take_down_everywhere",
    "post_retry_publish",
    "review_approve",
    "review_request_changes",
    "review_reject",
    "review_comment",
    "delegation_create",
    "delegation_revoke",
    "post_photo_face_resolve",
    "post_photo_face_add",
    "post_photo_face_delete",
    "post_photo_tag",
    "post_photo_untag",
    "policy_acknowledge",
    "rules_try",
    "rule_delete",
    "audience_sync_now",
    "audience_follower_decide",
    "audience_block_done",
    "audience_block_lift",
    "audience_blocked_report",
    "audience_blocked_remove_follower",
    "audience_follower_report",
    "audience_follower_remove",
    "audience_follow_propose",
    "audience_follow_decide",
    "audience_unfollow",
    "inbox_fetch",
    "mention_mark_ok",
    "mention_hide_reply",
    "mention_mute_author",
    "mention_block_author",
    "mention_mark_reported",
    "mention_report_author",
    "mention_limit_replies",
    "mention_escalate",
    "concern_open_incident",
    "concern_add_to_incident",
    "concern_resolve",
    "incident_add_entry",
    "incident_refer",
    "incident_set_severity",
    "incident_close",
    "incident_reopen",
    "device_rename",
    "device_revoke",
    "device_new_link",
    "staff_handle_delete",
    "staff_handles_check",
    "message_submit",
    "message_review",
    "message_retry",
    "approval_cover_create",
    "approval_cover_revoke",
}

# URL patterns that are not pages, so nobody reads them as one; each says why. Everything else
# the URL configuration has is checked.
NOT_PAGES = {
    "healthz": "plain text for the load balancer",
    # Files and downloads.
    "consent_export": "the register as CSV",
    "audit_export": "the audit trail as CSV",
    "audience_blocked_csv": "the blocked accounts as CSV",
    "post_image_file": "a photo (JPEG)",
    "local_network_media": "a published photo (JPEG)",
    "feed_photo": "a published photo on the website feed (JPEG)",
    "feed_school_atom": "the website feed (Atom XML)",
    "feed_account_atom": "an account's website feed (Atom XML)",
    "mfa_download_recovery_codes": "the recovery codes as a text file",
    # Fragments htmx swaps into a page; each page that uses one is checked with it in place.
    "post_photo_pupils": "the pupil picker's search results, on the photo page (checked with ?for=&q=)",
    "post_text_feedback": "the compose page's live findings (POST)",
    # Pages only a step of sign-in leads to, with state that step leaves in the session.
    "mfa_authenticate": "the second sign-in step: checked signed out, after the password step",
    "account_confirm_login_code": "sign-in by emailed code is off (ACCOUNT_LOGIN_BY_CODE_ENABLED)",
    "account_set_password": "everyone has a password; it sends them to change it",
    "signin_continue": "after the authenticator set-up, a redirect on to where the person was going",
    # GET answers 405: test_actions_are_not_pages_to_get checks it.
    **dict.fromkeys(ACTIONS, "an action (POST only)"),
}
# Links from emails, for the person they were sent to: opening one signed in as someone else signs
# them out (allauth), so only the signed-out visitor opens them.
SIGNED_OUT_ONLY = {"account_confirm_email", "account_reset_password_from_key"}
# Patterns without a name: the community pages' old addresses under /policy/ redirect (issue 13).
UNNAMED_REDIRECTS = {r"^policy/(?P<rest>(?:audience|mentions|concerns|incidents)/.*)$"}
# Django's own admin is for the operator, not the school's staff; its pages are Django's.
NOT_CHECKED_NAMESPACES = {"admin"}


@dataclass(frozen=True)
class Visit:
    """One way to open a URL pattern: its path parameters, a query string, and the status its page
    answers with (an error page a person is meant to see, such as an expired invitation's, says so)."""

    kwargs: dict = field(default_factory=dict)
    query: str = ""
    status: int = 200


def _visit_pupils(s: RichSchool) -> list[Visit]:
    # Consent given, "never publish" set by the headteacher, and a pupil who has left.
    return [Visit({"pk": s.pupils[name].pk}) for name in ("amara", "cleo", "harry")]


# How to fill each URL pattern's parameters (and which variants of a page to check besides): a
# list of visits, by URL name. A pattern with parameters that is neither here nor in NOT_PAGES
# fails `test_every_url_pattern_is_checked_or_said_not_to_be_a_page`.
PAGE_VISITS: dict[str, Callable[[RichSchool], list[Visit]]] = {
    "staff_edit": lambda s: [Visit({"pk": s.staff[Role.CLASS_TEACHER].pk}), Visit({"pk": s.former.pk})],
    "invitation_accept": lambda s: [
        Visit({"token": s.invitation_token}),
        Visit({"token": "no-such-invitation"}, status=410),
    ],
    "social_account_edit": lambda s: [Visit({"pk": s.accounts["whole_school"].pk}), Visit({"pk": s.accounts["x"].pk})],
    "x_connection": lambda s: [Visit({"pk": s.accounts["x"].pk}), Visit({"pk": s.accounts["year3"].pk})],
    "x_connect_oauth1": lambda s: [Visit({"pk": s.accounts["x"].pk})],
    "x_disconnect": lambda s: [Visit({"pk": s.accounts["x"].pk})],
    # X sends the browser back here; without a sign-in X started, it is the "that did not work" page.
    "x_connect_callback": lambda s: [Visit(query="state=stale&code=none", status=400)],
    # Bluesky and Mastodon (issue 17): each account's connection panel, the app-password form, and
    # the "disconnect?" question; Mastodon's callback without a sign-in it started is refused.
    "bluesky_connection": lambda s: [Visit({"pk": s.accounts["bluesky"].pk})],
    "bluesky_connect": lambda s: [Visit({"pk": s.accounts["bluesky"].pk})],
    "bluesky_disconnect": lambda s: [Visit({"pk": s.accounts["bluesky"].pk})],
    "mastodon_connection": lambda s: [Visit({"pk": s.accounts["mastodon"].pk})],
    "mastodon_disconnect": lambda s: [Visit({"pk": s.accounts["mastodon"].pk})],
    "mastodon_connect_callback": lambda s: [Visit(query="state=stale&code=none", status=400)],
    "local_timeline": lambda s: [Visit({"handle": s.accounts["year3"].handle})],
    "local_person": lambda s: [Visit({"handle": s.person_handle})],
    # The list of published posts for the school's website (issue 17), with the published post's photo.
    "feed_school_list": lambda s: [Visit({"school": s.school.slug})],
    "feed_account_list": lambda s: [Visit({"school": s.school.slug, "account": s.accounts["year3"].pk})],
    "consent_pupil": _visit_pupils,
    "consent_import_job": lambda s: [Visit(), Visit(query=f"job={s.import_job.pk}")],
    "post_edit": lambda s: [Visit({"pk": s.posts["draft"].pk}), Visit({"pk": s.posts["changes_requested"].pk})],
    "review_queue": lambda s: [Visit(), Visit(query="status=all")],
    # The month (with today), a week, a busy day, the list, and an address it cannot read.
    "post_calendar": lambda s: [
        Visit(),
        Visit(query="view=week"),
        Visit(query="view=day"),
        Visit(query="view=list"),
        Visit(query="date=not-a-date"),
    ],
    # The register by class, searched, filtered by an answer, and a second page of everyone.
    "consent_register": lambda s: [
        Visit(),
        Visit(query="q=a"),
        Visit(query="purpose=social_photo&answer=refused"),
        Visit(query="page=2"),
    ],
    # The audit trail filtered by kind and dates, and a filter it refuses.
    "audit_log": lambda s: [
        Visit(),
        Visit(query="kind=posts&from=2026-01-01"),
        Visit(query="person=999999", status=400),
    ],
    "review_post": lambda s: [
        Visit({"pk": s.posts[name].pk})
        for name in ("submitted", "submitted_whole_school", "published", "repost_submitted")
    ],
    "post_photo": lambda s: [
        # A post with no photo; the draft's photo, with a face of every kind; that photo while the
        # author searches for a pupil without JavaScript; a photo on a post waiting for approval.
        Visit({"pk": s.posts["changes_requested"].pk}),
        Visit({"pk": s.posts["draft"].pk, "image_pk": s.photo.pk}),
        Visit(
            {"pk": s.posts["draft"].pk, "image_pk": s.photo.pk},
            query=f"for=face-{s.faces['unresolved'].pk}&q=a",
        ),
        Visit({"pk": s.posts["submitted"].pk, "image_pk": s.posts["submitted"].images.get().pk}),
    ],
    "rule_create": lambda s: [Visit(), Visit(query="type=offensive_language"), Visit(query="type=length")],
    "rule_edit": lambda s: [Visit({"pk": s.rule.pk})],
    "audience_followers": lambda s: [Visit(), Visit(query="show=accepted")],
    "audience_blocked": lambda s: [Visit(), Visit(query="show=lifted")],
    "inbox_list": lambda s: [Visit(), Visit(query="status=")],
    "concern_raise": lambda s: [
        Visit(),
        Visit(query=f"post={s.posts['published'].pk}"),
        Visit(query=f"mention={s.mention.pk}"),
    ],
    "concern_detail": lambda s: [Visit({"pk": s.concern.pk})],
    "incident_detail": lambda s: [Visit({"pk": s.incident.pk}), Visit({"pk": s.closed_incident.pk})],
    "account_confirm_email": lambda s: [Visit({"key": _email_confirmation_key(s)})],
    "account_reset_password_from_key": lambda s: [Visit(_password_reset_kwargs(s))],
    # A school device's enrolment page, opened on the device (issue 18).
    "device_enrol": lambda s: [
        Visit({"token": device_add(actor=s.staff[Role.HEADTEACHER], name="Year 4 iPad").token}),
    ],
    # Reposts (issue 18): a repost's draft page (its review page is among review_post's visits).
    "post_repost_edit": lambda s: [Visit({"pk": s.posts["repost_submitted"].pk})],
    # Private messages (issue 18): each state of a message, its form, and the inbox showing messages.
    "message_detail": lambda s: [Visit({"pk": message.pk}) for message in s.outgoing_messages.values()],
    "message_edit": lambda s: [Visit({"pk": s.outgoing_messages["draft"].pk})],
    # Approval in more than one step (issue 18): an account's steps, as the headteacher edits them.
    "approval_chain_edit": lambda s: [Visit({"pk": s.accounts["year3"].pk}), Visit({"pk": s.accounts["x"].pk})],
}


def _email_confirmation_key(s: RichSchool) -> str:
    address = EmailAddress.objects.get(user=s.staff[Role.CLASS_TEACHER].user)
    return EmailConfirmationHMAC(address).key


def _password_reset_kwargs(s: RichSchool) -> dict:
    user = s.staff[Role.CLASS_TEACHER].user
    return {"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)}


# --- The URL configuration ---------------------------------------------------------------------


@dataclass(frozen=True)
class UrlPattern:
    name: str | None
    route: str
    params: frozenset[str]

    @property
    def key(self) -> tuple[str | None, frozenset[str]]:
        return (self.name, self.params)


def url_patterns() -> list[UrlPattern]:
    """Every URL pattern the portal answers, from Django's resolver."""

    def walk(entries, prefix: str, params: frozenset[str]):
        for entry in entries:
            route = prefix + str(entry.pattern)
            found = params | frozenset(entry.pattern.regex.groupindex)
            if isinstance(entry, URLResolver):
                if entry.namespace not in NOT_CHECKED_NAMESPACES:
                    yield from walk(entry.url_patterns, route, found)
            elif isinstance(entry, URLPattern):
                yield UrlPattern(entry.name, route, found)

    return list(walk(get_resolver().url_patterns, "", frozenset()))


def test_every_url_pattern_is_checked_or_said_not_to_be_a_page():
    patterns = url_patterns()
    names = {pattern.name for pattern in patterns}
    unfilled = [
        f"{pattern.name or '(no name)'}: /{pattern.route}"
        for pattern in patterns
        if pattern.name not in NOT_PAGES
        and pattern.route not in UNNAMED_REDIRECTS
        and (pattern.name is None or (pattern.params and pattern.name not in PAGE_VISITS))
    ]
    assert not unfilled, (
        "These URL patterns have parameters the accessibility check cannot fill: add them to PAGE_VISITS "
        "(how to fill them from the rich school) or, if they are not pages, to NOT_PAGES with the reason:\n"
        + "\n".join(unfilled)
    )
    stale = sorted((set(NOT_PAGES) | set(PAGE_VISITS)) - names)
    assert not stale, f"NOT_PAGES or PAGE_VISITS name URLs the portal no longer has: {stale}"


def test_actions_are_not_pages_to_get(client_for, staff):
    """Nothing to see hides among the actions: signed in as the headteacher, each answers GET with 405."""
    client = client_for(staff.head)
    answers = {}
    for pattern in (pattern for pattern in url_patterns() if pattern.name in ACTIONS):
        path = reverse(pattern.name, kwargs=dict.fromkeys(pattern.params, 1))
        answers[pattern.name] = client.get(path).status_code
    assert {name: status for name, status in answers.items() if status != 405} == {}
    assert set(answers) == ACTIONS


# --- Opening pages -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PageToTry:
    pattern: UrlPattern
    path: str
    status: int

    @property
    def label(self) -> str:
        if self.pattern.name in ERROR_PAGES:
            return self.pattern.name
        return f"{self.path} ({self.pattern.name})"


# The pages a person gets when a page is not theirs (403) or not there (404), checked once for each
# visitor: the first page that refuses them, and an address the portal does not have.
FORBIDDEN, NOT_FOUND = "the 403 page", "the 404 page"
ERROR_PAGES = {FORBIDDEN, NOT_FOUND}


def error_page(name: str, path: str, status: int) -> PageToTry:
    return PageToTry(UrlPattern(name, path.lstrip("/"), frozenset()), path, status)


def pages_to_try(s: RichSchool) -> list[PageToTry]:
    pages = []
    for pattern in url_patterns():
        if pattern.name in NOT_PAGES or pattern.route in UNNAMED_REDIRECTS:
            continue
        visits = PAGE_VISITS[pattern.name](s) if pattern.name in PAGE_VISITS else [Visit()]
        for visit in visits:
            if frozenset(visit.kwargs) != pattern.params:
                continue  # a visit of the other pattern with this name (post_photo with a photo, or without)
            path = reverse(pattern.name, kwargs=visit.kwargs) + (f"?{visit.query}" if visit.query else "")
            pages.append(PageToTry(pattern, path, visit.status))
    return pages


def open_page(tab: Page, live_server, page: PageToTry) -> str:
    """Open the page in the tab. Returns "" when it is the page, to be checked; otherwise what the
    visitor got instead (their 403 or 404 page, or a redirect elsewhere), for the report.

    A redirect to another address of the same pattern still reaches the page: allauth's password
    reset link keeps its key in the session and moves to an address without it."""
    response = tab.goto(live_server.url + page.path)
    assert response is not None, f"{page.path} gave the browser nothing"
    landed = urlsplit(response.url)
    moved = response.request.redirected_from is not None
    if moved and resolve(landed.path).url_name != page.pattern.name:
        return f"went to {landed.path}{'?' + landed.query if landed.query else ''}"
    if response.status != page.status or not response.headers.get("content-type", "").startswith("text/html"):
        return f"{response.status} {response.headers.get('content-type', '')}"
    # Panels that load themselves (hx-trigger="load") are part of the page a person sees.
    if tab.locator("[hx-trigger~='load']").count():
        tab.wait_for_load_state("networkidle")
    return ""


def visitor_tabs(open_context, live_server, s: RichSchool, visitor: str) -> dict[str, Page]:
    """A tab at each size for the visitor, signed in (each with a session of its own) unless signed out."""
    tabs = {}
    for size, device in SIZES.items():
        context = open_context(**device)
        add_axe_to_every_page(context)
        if visitor != SIGNED_OUT:
            user = s.new_approver.user if visitor == NEW_APPROVER else s.staff[visitor].user
            # Just after confirming their password again (allauth's security pages ask for it), and
            # with an MIS file half way through the import's steps (for the pages of those steps).
            extra = {IMPORT_SESSION_KEY: s.upload}
            sign_in(context, live_server, user, school=s.school, reauthenticated=True, **extra)
        tabs[size] = context.new_page()
    return tabs


# --- Checking ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    page: str
    visitor: str
    size: str
    violation: Violation

    def describe(self) -> str:
        return f"{self.page} as {self.visitor} on {self.size}: {self.violation.describe()}"


class Checker:
    """Collects what axe finds and keeps the tally for the terminal summary."""

    def __init__(self, tally):
        self.tally = tally
        self.found: list[Found] = []

    def record(self, violations: list[Violation], *, page: str, url_name: str, visitor: str, size: str) -> None:
        for violation in violations:
            self.found.append(Found(page, visitor, size, violation))
        self.tally.add(page=page, visitor=visitor, size=size, violations=len(violations))


def test_every_page_passes_wcag_2_2_aa_for_everyone_on_an_ipad_and_at_a_desk(
    open_context, live_server, settings, tmp_path, pytestconfig
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # allauth wants the password confirmed again within five minutes for its security pages; going
    # through every page as everyone takes longer than that.
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 3600
    s = build_rich_school()
    pages = pages_to_try(s)
    checker = Checker(axe_tally(pytestconfig))
    got_instead: dict[PageToTry, dict[str, str]] = defaultdict(dict)
    opened: set = set()
    problems: list[str] = []

    for visitor in VISITORS:
        tabs = visitor_tabs(open_context, live_server, s, visitor)
        first = next(iter(tabs.values()))
        forbidden_checked = False
        for page in pages:
            if visitor != SIGNED_OUT and page.pattern.name in SIGNED_OUT_ONLY:
                continue
            instead = open_page(first, live_server, page)
            if not instead:
                opened.add(page.pattern.key)
                problems += check_in_every_tab(tabs, live_server, page, visitor, checker)
                continue
            got_instead[page][visitor] = instead
            if instead.startswith("403 ") and not forbidden_checked:
                forbidden = error_page(FORBIDDEN, page.path, 403)
                problems += check_in_every_tab(tabs, live_server, forbidden, visitor, checker)
                forbidden_checked = True
        not_found = error_page(NOT_FOUND, "/no-such-page/", 404)
        assert not open_page(first, live_server, not_found), f"{not_found.path} is not a 404 page for {visitor}"
        problems += check_in_every_tab(tabs, live_server, not_found, visitor, checker)
        if visitor == SIGNED_OUT:
            for size, tab in tabs.items():
                check_second_sign_in_step(tab, live_server, s, checker, size)
        for tab in tabs.values():
            tab.context.close()

    problems[:0] = [found.describe() for found in checker.found]
    never_opened = [
        f"{page.label}: " + ", ".join(f"{visitor} {instead}" for visitor, instead in got_instead[page].items())
        for page in pages
        if page.pattern.key not in opened
    ]
    if never_opened:
        problems.append(
            "Nobody could open these pages, so they were not checked: give the rich school what they need "
            "(tests/e2e/rich_school.py) or fix PAGE_VISITS. What each visitor got instead:\n  "
            + "\n  ".join(never_opened)
        )
    assert not problems, f"{len(checker.found)} WCAG 2.2 A/AA violations, by page:\n" + "\n".join(problems)


def check_in_every_tab(tabs: dict[str, Page], live_server, page: PageToTry, visitor: str, checker) -> list[str]:
    """Check the page at every size; the first tab has it open already. Returns what went wrong."""
    problems = []
    (first_size, first), *others = tabs.items()
    # axe runs in one tab while the next tab opens the page: two browser processes, two cores.
    start_wcag_check(first)
    checking = [(first_size, first)]
    for size, tab in others:
        instead = open_page(tab, live_server, page)
        if instead:
            problems.append(f"{page.label} as {visitor} opened on {first_size}, but on {size} it gave {instead}")
        else:
            start_wcag_check(tab)
            checking.append((size, tab))
    for size, tab in checking:
        found = wcag_check_result(tab)
        checker.record(found, page=page.label, url_name=page.pattern.name, visitor=visitor, size=size)
    return problems


def check_second_sign_in_step(tab: Page, live_server, s: RichSchool, checker: Checker, size: str) -> None:
    """The page for the authenticator code, which only the password step leads to."""
    tab.goto(live_server.url + reverse("account_login"))
    tab.get_by_label("Email").fill(s.staff[Role.HEADTEACHER].user.email)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(re.compile(re.escape(reverse("mfa_authenticate")) + "$"))
    expect(tab.get_by_label("Code")).to_be_visible()
    label = f"{reverse('mfa_authenticate')} (mfa_authenticate)"
    checker.record(wcag_violations(tab), page=label, url_name="mfa_authenticate", visitor=SIGNED_OUT, size=size)
