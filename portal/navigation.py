"""The main navigation: the pages this person's roles open, in groups, each with the work that waits
behind it ("Posts to approve, 3 waiting"), and the page they are on marked.

`navigation` is a context processor. What it gives templates is lazy: a response that never shows
the navigation (an htmx fragment, a form error swapped in place) costs nothing, and a page that
does show it costs one query for all its counts together.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from accounts.models import Membership, School
from accounts.permissions import Perm, has_perm, may_review_posts
from community.selectors_audience import followers_to_review
from community.selectors_inbox import mention_items, new_concerns
from posts.models import Post, PostStatus, TakeDownRequest
from posts.selectors import posts_for_school, queue_rows
from posts.selectors_dashboard import SENT_BACK as CAME_BACK_AS_DRAFT

from .counting import counts_together


@dataclass(frozen=True)
class Waiting:
    """Work that waits behind an entry: the rows, and the word said after their number."""

    words: str
    rows: Callable[[Membership], QuerySet]


def _sent_back(member: Membership) -> QuerySet[Post]:
    """The person's own posts that went to the approvers and came back as drafts: sent back for
    changes, or stopped because consent changed."""
    return posts_for_school(school=member.school).filter(CAME_BACK_AS_DRAFT, author_id=member.user_id)


def _take_downs(member: Membership) -> QuerySet[TakeDownRequest]:
    # The same rows as the open requests on the "Posts to take down" page (posts.views.take_down_list).
    return TakeDownRequest.objects.filter(post__account__school=member.school, resolved_at__isnull=True)


SENT_BACK = Waiting("sent back", _sent_back)
TO_APPROVE = Waiting("waiting", lambda member: queue_rows(school=member.school, approver=member.user))
FAILED = Waiting("failed", lambda member: posts_for_school(school=member.school).filter(status=PostStatus.FAILED))
TO_TAKE_DOWN = Waiting("waiting", _take_downs)
FLAGGED_MENTIONS = Waiting("flagged", lambda member: mention_items(school=member.school).filter(flagged=True))
FOLLOWERS_TO_REVIEW = Waiting("to review", lambda member: followers_to_review(school=member.school))
NEW_CONCERNS = Waiting("new", lambda member: new_concerns(school=member.school))


@dataclass(frozen=True)
class Page:
    """One entry of the navigation as the roles table describes it.

    `perm` None: anyone on the school's staff. `within`: the other pages (URL names) that belong to
    this entry, so that, say, one post's review page marks "Posts to approve"."""

    url_name: str
    label: str
    perm: Perm | Callable[[Membership], bool] | None = None  # a callable: a question roles alone do not answer
    within: tuple[str, ...] = ()
    waiting: Waiting | None = None


@dataclass(frozen=True)
class Section:
    slug: str
    label: str
    pages: tuple[Page, ...]


HOME = Page("dashboard", "Home")

SECTIONS = (
    Section(
        "posts",
        "Posts",
        (
            Page("post_compose", "New post", Perm.DRAFT_POSTS),
            Page("post_list_mine", "My posts", Perm.DRAFT_POSTS, within=("post_edit",), waiting=SENT_BACK),
            Page("review_queue", "Posts to approve", may_review_posts, within=("review_post",), waiting=TO_APPROVE),
            Page("post_calendar", "Calendar", Perm.APPROVE_POSTS, waiting=FAILED),
            Page("take_down_list", "Posts to take down", Perm.APPROVE_POSTS, waiting=TO_TAKE_DOWN),
            Page("delegation_list", "Trip mode", Perm.MANAGE_SOCIAL_ACCOUNTS, within=("delegation_create",)),
            Page(
                "message_list",
                "Private messages",
                Perm.DRAFT_POSTS,
                within=("message_compose", "message_detail", "message_edit"),
            ),
            Page("approval_covers", "Cover while away", may_review_posts, within=("approval_cover_create",)),
        ),
    ),
    Section(
        "consent",
        "Pupils and consent",
        (
            Page(
                "consent_register",
                "Pupils and consent",
                Perm.MANAGE_CONSENT,
                within=(
                    "consent_pupil",
                    "consent_bulk_entry",
                    "consent_import",
                    "consent_import_map",
                    "consent_import_preview",
                    "consent_import_job",
                ),
            ),
            Page("consent_coverage", "Consent coverage", Perm.VIEW_CONSENT_COVERAGE),
        ),
    ),
    Section(
        "audience",
        "Audience",
        (
            Page("inbox_list", "Mentions and replies", Perm.REVIEW_AUDIENCE, waiting=FLAGGED_MENTIONS),
            Page(
                "audience_followers",
                "Followers and blocks",
                Perm.REVIEW_AUDIENCE,
                within=("audience_blocked",),
                waiting=FOLLOWERS_TO_REVIEW,
            ),
            Page("audience_following", "Accounts we follow"),
            Page(
                "incident_list",
                "Concerns and incidents",
                Perm.VIEW_INCIDENTS,
                within=("incident_detail", "incident_create", "concern_list", "concern_detail"),
                waiting=NEW_CONCERNS,
            ),
            Page("concern_raise", "Raise a concern"),
        ),
    ),
    Section(
        "school",
        "School settings",
        (
            Page("staff_list", "Staff", Perm.INVITE_STAFF, within=("staff_edit",)),
            Page("staff_handles_school", "Staff's own accounts", Perm.MANAGE_STAFF),
            Page(
                "social_account_list",
                "Accounts",
                Perm.MANAGE_SOCIAL_ACCOUNTS,
                within=("social_account_create", "social_account_edit", "x_connect_oauth1", "x_disconnect"),
            ),
            Page("device_list", "School devices", Perm.MANAGE_DEVICES),
            Page("approval_settings", "Approval steps", Perm.MANAGE_SOCIAL_ACCOUNTS, within=("approval_chain_edit",)),
            Page("rules_list", "Rules for posts", Perm.EDIT_RULES, within=("rule_create", "rule_edit")),
            Page("policy_current", "Social media policy", within=("policy_edit", "policy_sign_off")),
            Page("website_feed", "Website feed", Perm.VIEW_WEBSITE_FEED),
            Page("audit_log", "Audit trail", Perm.VIEW_AUDIT),
            Page("email_preferences", "Email preferences", may_review_posts),
            Page("staff_handles", "My own accounts"),
        ),
    ),
)

# The person's own things, in the top bar, for anyone signed in. The authenticator pages are
# allauth's, all named "mfa_…".
PERSONAL = (
    Page("mfa_index", "Sign-in security", within=("mfa_",)),
    Page("account_change_password", "Change password"),
)


@dataclass(frozen=True)
class Entry:
    """An entry as a template shows it. `current` is the value of aria-current: "page" on the page
    itself, "true" on a page within it, "" elsewhere."""

    label: str
    url: str
    current: str = ""
    waiting: int = 0
    waiting_words: str = ""

    @property
    def waiting_figure(self) -> str:
        """The count as the badge shows it: "999+" past the point where counting stops."""
        return f"{WAITING_COUNT_CAP}+" if self.waiting > WAITING_COUNT_CAP else str(self.waiting)


@dataclass(frozen=True)
class Group:
    slug: str
    label: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Navigation:
    home: Entry
    groups: tuple[Group, ...]
    personal: tuple[Entry, ...]

    @property
    def waiting(self) -> int:
        """Everything waiting, for the compact menu's button."""
        return sum(entry.waiting for group in self.groups for entry in group.entries)


def _current(page: Page, url_name: str) -> str:
    if url_name == page.url_name:
        return "page"
    if any(url_name == other or (other.endswith("_") and url_name.startswith(other)) for other in page.within):
        return "true"
    return ""


# A badge counts no further than this: past it, "999+" says as much as an exact figure, and
# counting a school's every waiting post on every page would not be cheap.
WAITING_COUNT_CAP = 999


def waiting_counts(*, school: School, rows: dict[str, QuerySet]) -> dict[str, int]:
    """Every count in one query, each stopping at WAITING_COUNT_CAP + 1 rows."""
    return counts_together(school=school, rows=rows, caps=dict.fromkeys(rows, WAITING_COUNT_CAP))


def _open_to(member: Membership | None, page: Page) -> bool:
    if member is None:
        return False
    if page.perm is None:
        return member.is_active
    return page.perm(member) if callable(page.perm) else has_perm(member, page.perm)


def build_navigation(*, membership: Membership | None, url_name: str) -> Navigation:
    """The navigation for one person on one page: only the pages their roles open."""
    shown = [(section, [page for page in section.pages if _open_to(membership, page)]) for section in SECTIONS]
    counted = {page.url_name: page.waiting for _, pages in shown for page in pages if page.waiting}
    counts = (
        waiting_counts(
            school=membership.school, rows={name: waiting.rows(membership) for name, waiting in counted.items()}
        )
        if membership is not None
        else {}
    )

    def entry(page: Page) -> Entry:
        return Entry(
            label=page.label,
            url=reverse(page.url_name),
            current=_current(page, url_name),
            waiting=counts.get(page.url_name, 0),
            waiting_words=page.waiting.words if page.waiting else "",
        )

    return Navigation(
        home=entry(HOME),
        groups=tuple(
            Group(slug=section.slug, label=section.label, entries=tuple(entry(page) for page in pages))
            for section, pages in shown
            if pages
        ),
        personal=tuple(entry(page) for page in PERSONAL),
    )


def navigation(request):
    """Context processor: `main_nav` for anyone signed in, built only if the page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"main_nav": None}
    match = getattr(request, "resolver_match", None)
    url_name = match.url_name if match and match.url_name else ""
    return {
        "main_nav": SimpleLazyObject(
            lambda: build_navigation(membership=getattr(request, "membership", None), url_name=url_name)
        )
    }
