"""Reads for the dashboard: what waits for an approver, and where a person's own posts are.

Each function costs a fixed number of queries whatever the number of posts; lists hold at most
`rows` posts, and the counts beside them say how many there are, up to COUNT_CAP (a panel says
"more than 1,000" past it, where an exact number would mean reading every one). The navigation
can use the counts alone (`waiting_for_approval(...).count`, `authors_posts(...).sent_back_count`).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from .models import Post, PostComment, PostStatus
from .selectors import decidable_by, with_destinations

# What an author reads under a post that came back to them: an approver's request, or the
# portal's note (consent changed, or they reopened it while it waited).
SENT_BACK_NOTE_KINDS = (PostComment.Kind.CHANGES_REQUESTED, PostComment.Kind.SYSTEM)
# An author's posts that are approved but not out yet, or that did not go out.
ON_THE_WAY_STATUSES = (PostStatus.APPROVED, PostStatus.SCHEDULED, PostStatus.PUBLISHING, PostStatus.FAILED)
RECENTLY_PUBLISHED_DAYS = 14
# A post that went to the approvers and came back as a draft: sent back for changes, or stopped
# because consent changed. The dashboard lists them; the navigation counts them.
SENT_BACK = Q(status=PostStatus.DRAFT, submitted_at__isnull=False)
# How far a dashboard count goes: a count past it reads as "more than COUNT_CAP".
COUNT_CAP = 1000


def capped_count(posts: QuerySet) -> int:
    """How many rows, up to COUNT_CAP + 1: one query that stops reading once it has seen enough."""
    return posts.order_by().values("pk")[: COUNT_CAP + 1].count()


def _listed(posts: QuerySet[Post]) -> QuerySet[Post]:
    """What a dashboard row shows: the account, the author and how many photos (`photo_count`)."""
    return posts.select_related("account", "author").defer("account__credentials").annotate(photo_count=Count("images"))


@dataclass(frozen=True)
class WaitingForApproval:
    count: int  # at most COUNT_CAP + 1: more than that reads as "more than COUNT_CAP"
    oldest_submitted_at: datetime | None
    posts: list[Post] = field(default_factory=list)  # oldest first


def approvals_waiting(*, school, approver) -> QuerySet[Post]:
    """Posts at the school waiting for this approver: every submitted post but their own (nobody
    approves their own post); for an account with approval steps, those whose current step they
    may decide (`decidable_by`)."""
    return (
        Post.objects.filter(account__school=school, status=PostStatus.SUBMITTED)
        .exclude(author=approver)
        .filter(decidable_by(school=school, approver=approver))
    )


def waiting_for_approval(*, school, approver, rows: int, count: int | None = None) -> WaitingForApproval:
    """The posts waiting for this approver: how many (up to COUNT_CAP + 1), then the oldest `rows`,
    the first of which is the oldest of all. Two queries, or one when the caller has counted
    `approvals_waiting` already (with the page's other counts)."""
    waiting = approvals_waiting(school=school, approver=approver)
    count = capped_count(waiting) if count is None else count
    if not count:
        return WaitingForApproval(count=0, oldest_submitted_at=None)
    posts = list(_listed(waiting).order_by("submitted_at", "pk")[:rows])
    return WaitingForApproval(count=count, oldest_submitted_at=posts[0].submitted_at, posts=posts)


@dataclass(frozen=True)
class AuthorsPosts:
    """One person's posts at one school, by what they need next. Each list holds at most `rows`."""

    sent_back: list[Post]  # drafts that were in the queue and came back; each with `notes`, newest first
    sent_back_count: int
    drafts: list[Post]  # drafts never sent for approval, last changed first
    drafts_count: int
    waiting: list[Post]  # waiting for approval, oldest first
    waiting_count: int
    on_the_way: list[Post]  # approved, scheduled, being published or failed, soonest first
    on_the_way_count: int
    published: list[Post]  # published in the last RECENTLY_PUBLISHED_DAYS, newest first
    published_count: int

    @property
    def anything(self) -> bool:
        return any(
            (self.sent_back_count, self.drafts_count, self.waiting_count, self.on_the_way_count, self.published_count)
        )


def authors_posts(*, school, author, rows: int, now: datetime | None = None) -> AuthorsPosts:
    """Six queries whatever the number of posts: the counts, then each list (and, for each list
    but the drafts, one more for the other accounts its posts go to).

    A draft that has a `submitted_at` has been in the approvers' queue and came back: an approver
    asked for changes, consent changed under it, or the author changed it while it waited. The
    notes that say which are prefetched for the listed ones only.
    """
    now = now or timezone.now()
    since = now - timedelta(days=RECENTLY_PUBLISHED_DAYS)
    mine = Post.objects.filter(account__school=school, author=author)
    sent_back = SENT_BACK
    draft = Q(status=PostStatus.DRAFT, submitted_at__isnull=True)
    waiting = Q(status=PostStatus.SUBMITTED)
    # A post written for several accounts is one row, its copies' outcomes shown under it.
    on_the_way = Q(status__in=ON_THE_WAY_STATUSES, part_of__isnull=True)
    published = Q(status=PostStatus.PUBLISHED, published_at__gte=since, part_of__isnull=True)
    # Counted over the rows that can match one of the lists: an author's published posts pile up
    # for years, and only the last RECENTLY_PUBLISHED_DAYS of them count.
    listed_statuses = [PostStatus.DRAFT, PostStatus.SUBMITTED, *ON_THE_WAY_STATUSES, PostStatus.PUBLISHED]
    counts = mine.filter(status__in=listed_statuses).exclude(status=PostStatus.PUBLISHED, published_at__lt=since)
    counts = counts.aggregate(
        sent_back=Count("pk", filter=sent_back),
        drafts=Count("pk", filter=draft),
        waiting=Count("pk", filter=waiting),
        on_the_way=Count("pk", filter=on_the_way),
        published=Count("pk", filter=published),
    )

    def listed(condition: Q, count: str, *order, where_it_goes: bool = True) -> list[Post]:
        if not counts[count]:
            return []
        posts = _listed(mine.filter(condition))
        if where_it_goes:
            posts = with_destinations(posts)
        return list(posts.order_by(*order)[:rows])

    notes = Prefetch(
        "comments",
        queryset=PostComment.objects.filter(kind__in=SENT_BACK_NOTE_KINDS)
        .select_related("author")
        .order_by("-created_at", "-pk"),
        to_attr="notes",
    )
    sent_back_posts = (
        list(_listed(mine.filter(sent_back)).prefetch_related(notes).order_by("-updated_at", "-pk")[:rows])
        if counts["sent_back"]
        else []
    )
    return AuthorsPosts(
        sent_back=sent_back_posts,
        sent_back_count=counts["sent_back"],
        drafts=listed(draft, "drafts", "-updated_at", "-pk", where_it_goes=False),
        drafts_count=counts["drafts"],
        waiting=listed(waiting, "waiting", "submitted_at", "pk"),
        waiting_count=counts["waiting"],
        on_the_way=listed(on_the_way, "on_the_way", F("publish_at").asc(nulls_first=True), "decided_at", "pk"),
        on_the_way_count=counts["on_the_way"],
        published=listed(published, "published", "-published_at", "-pk"),
        published_count=counts["published"],
    )


def publishing_problem_posts(*, school) -> QuerySet[Post]:
    """Posts that did not go out (failed) or are being retried after an error."""
    return Post.objects.filter(account__school=school, status__in=[PostStatus.FAILED, PostStatus.SCHEDULED]).filter(
        Q(status=PostStatus.FAILED) | ~Q(last_publish_error="")
    )


def publishing_problems(*, school, rows: int, count: int | None = None) -> tuple[list[Post], int]:
    """The newest `rows` of `publishing_problem_posts`, and how many there are (up to COUNT_CAP + 1).
    Two queries, or one when the caller has counted them already."""
    problems = publishing_problem_posts(school=school)
    total = capped_count(problems) if count is None else count
    if not total:
        return [], 0
    listed = problems.select_related("account", "author").defer("account__credentials").order_by("-updated_at", "-pk")
    return list(listed[:rows]), total
