import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from difflib import SequenceMatcher
from enum import StrEnum
from itertools import groupby

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import ApprovalCover, ApprovalStep, Membership, Role, RoleAssignment
from consent.checks import FaceInput, OutsideText, PhotoInput, PostContent
from consent.models import ConsentPurpose, ConsentRecord, Pupil
from consent.selectors import ConsentState, effective_consent

from .models import (
    CALENDAR_MOMENT,
    CALENDAR_STATUSES,
    FaceRegion,
    OutsideContent,
    Post,
    PostComment,
    PostDestination,
    PostImage,
    PostRevision,
    PostStatus,
    StepDecision,
)
from .outside import outside_label, outside_words


def posts_for_school(*, school) -> QuerySet[Post]:
    return Post.objects.filter(account__school=school).select_related("account", "author")


def with_destinations(posts: QuerySet[Post]) -> QuerySet[Post]:
    """Each post's other accounts (issue 17) with the copy approval made for each, so a list can say
    where each one stands: one query more for the whole list, whatever its length."""
    destinations = PostDestination.objects.select_related("account", "copy").defer("account__credentials")
    return posts.prefetch_related(Prefetch("destinations", queryset=destinations.order_by("position", "pk")))


# What an author's lists show as a post of its own: a post written for one or more accounts, not the
# copies approval made of it for its other accounts (those show under it), unless a copy was stopped
# before publishing and came back to its author as a draft.
AUTHORS_OWN = Q(part_of__isnull=True) | Q(status=PostStatus.DRAFT)


def post_for_school(*, school, pk: int) -> Post:
    return posts_for_school(school=school).prefetch_related(*_CONTENT_PREFETCH).get(pk=pk)


_CONTENT_PREFETCH = (
    Prefetch(
        "images",
        queryset=PostImage.objects.order_by("position", "pk").prefetch_related(
            "tagged_pupils", Prefetch("faces", queryset=FaceRegion.objects.order_by("pk"))
        ),
    ),
    Prefetch("outside_content", queryset=OutsideContent.objects.order_by("pk")),
)


def consent_content(post: Post) -> PostContent:
    """What the consent check needs to know about a post: its account, text, tags, faces and
    photo descriptions, and the words it sends out that nobody typed (posts.outside)."""
    images = post.images.all()
    return PostContent(
        account=post.account,
        text=post.text,
        photos=tuple(
            PhotoInput(
                label=f"Photo {index}",
                tagged_pupil_ids=tuple(p.pk for p in image.tagged_pupils.all()),
                faces=tuple(FaceInput(resolution=f.resolution, pupil_id=f.pupil_id) for f in image.faces.all()),
                alt_text=image.alt_text,
            )
            for index, image in enumerate(images, start=1)
        ),
        outside=tuple(
            OutsideText(
                label=outside_label(row),
                # The quoted post's author is shown with it (a handle can be a child's name).
                text=outside_words(row),
                read=not row.error and row.read_at is not None,
                error=row.error,
            )
            for row in post.outside_content.all()
        ),
    )


def with_content(posts: QuerySet[Post]) -> QuerySet[Post]:
    return posts.prefetch_related(*_CONTENT_PREFETCH)


def is_author(membership: Membership, post: Post) -> bool:
    return post.author_id == membership.user_id


# The approvers' pages: the review queue, the review page and the calendar.


class QueueFilter(StrEnum):
    SUBMITTED = "submitted"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    ALL = "all"


QUEUE_FILTER_LABELS = {
    QueueFilter.SUBMITTED: "Waiting for approval",
    QueueFilter.SCHEDULED: "Scheduled",
    QueueFilter.PUBLISHED: "Published",
    QueueFilter.ALL: "All",
}

# Each filter's rows and order. Waiting posts oldest first, so nothing sits at the bottom for
# days; "all" leaves out drafts, which are the author's until they submit them (said as "not a
# draft": a list of the nine other statuses would have PostgreSQL look each one up in turn).
_QUEUE_VIEWS = {
    QueueFilter.SUBMITTED: (Q(status=PostStatus.SUBMITTED), ("submitted_at", "pk")),
    QueueFilter.SCHEDULED: (Q(status=PostStatus.SCHEDULED), ("publish_at", "pk")),
    QueueFilter.PUBLISHED: (Q(status=PostStatus.PUBLISHED), ("-published_at", "-pk")),
    QueueFilter.ALL: (~Q(status=PostStatus.DRAFT), ("-created_at", "-pk")),
}

# The pupil fields the approvers' pages read: never `never_publish_reason`, so no page can show it.
_PUPIL_DISPLAY_FIELDS = ("id", "school_id", "first_name", "preferred_name", "surname", "leaving_date", "never_publish")


def _listed_posts(*, school) -> QuerySet[Post]:
    """Posts with what a list row shows: account, author and photos, with tags and faces as ids only.

    The photos are plain lists (`post.listed_images`, and on each `image.listed_tags` and
    `image.listed_faces`): on a page of 50 rows, asking a prefetched manager for `.all()` again
    and again builds a queryset each time, which costs more than the queries themselves.
    """
    return (
        posts_for_school(school=school)
        .defer("account__credentials")
        .prefetch_related(
            Prefetch(
                "images",
                queryset=PostImage.objects.order_by("position", "pk").prefetch_related(
                    Prefetch("tagged_pupils", queryset=Pupil.objects.only("id"), to_attr="listed_tags"),
                    Prefetch(
                        "faces",
                        queryset=FaceRegion.objects.only("id", "image_id", "resolution", "pupil_id"),
                        to_attr="listed_faces",
                    ),
                ),
                to_attr="listed_images",
            ),
            Prefetch(
                "outside_content",
                queryset=OutsideContent.objects.only("id", "post_id", "read_at", "error"),
                to_attr="listed_outside",
            ),
        )
    )


def decidable_by(*, school, approver) -> Q:
    """Of the school's waiting posts, those `approver` (a user) may decide now.

    An account without approval steps: every post, for the headteacher and senior leaders, as
    before (nobody else). An account with steps
    (accounts.approval_chains): the posts whose current step names the approver (in person or by
    role), or someone they cover for today, or, once the step was escalated, the headteacher;
    never their own post, nor a step they have already approved in this round. All in SQL, so a
    queue or a count costs no extra query."""
    today = timezone.localdate()
    my_roles = RoleAssignment.objects.filter(
        membership__user=approver, membership__school=school, membership__is_active=True
    ).values("role")
    covered = ApprovalCover.objects.filter(
        school=school,
        delegate__user=approver,
        delegate__is_active=True,
        revoked_at__isnull=True,
        starts_on__lte=today,
        ends_on__gte=today,
    ).values("absent")
    covered_roles = RoleAssignment.objects.filter(membership__in=covered).values("role")
    step_now = ApprovalStep.objects.filter(account=OuterRef("account"), position=OuterRef("approval_step")).filter(
        Q(people__user=approver)
        | Q(step_roles__role__in=my_roles)
        | Q(people__in=covered)
        | Q(step_roles__role__in=covered_roles)
    )
    is_head = RoleAssignment.objects.filter(
        membership__user=approver, membership__school=school, membership__is_active=True, role=Role.HEADTEACHER
    )
    already = StepDecision.objects.filter(
        post=OuterRef("pk"),
        round=OuterRef("approval_round"),
        step=OuterRef("approval_step"),
        outcome=StepDecision.Outcome.APPROVED,
    ).filter(Q(counts_for=approver) | Q(decided_by=approver))
    chained = Exists(ApprovalStep.objects.filter(account=OuterRef("account")))
    # Accounts without steps: the headteacher and senior leaders only. Someone a step names (a
    # class teacher, say) decides only the posts at their step.
    approves = RoleAssignment.objects.filter(
        membership__user=approver,
        membership__school=school,
        membership__is_active=True,
        role__in=(Role.HEADTEACHER, Role.SENIOR_LEADER),
    )
    return (~chained & Exists(approves)) | (
        ~Q(author=approver)
        & (Exists(step_now) | (Q(step_escalated_at__isnull=False) & Exists(is_head)))
        & ~Exists(already)
    )


def queue_rows(*, school, status: QueueFilter = QueueFilter.SUBMITTED, approver=None) -> QuerySet[Post]:
    """The rows of one queue filter and nothing else, for counting them: the navigation's badge
    counts on every page, where building the list's prefetches would cost more than the count.
    With `approver`, the waiting posts are those they may decide now (`decidable_by`)."""
    rows, _ = _QUEUE_VIEWS[QueueFilter(status)]
    posts = Post.objects.filter(account__school=school).filter(rows)
    if approver is not None and status == QueueFilter.SUBMITTED:
        posts = posts.filter(decidable_by(school=school, approver=approver))
    return posts


def review_queue(*, school, status: QueueFilter = QueueFilter.SUBMITTED, account_id: int | None = None, approver=None):
    """The school's posts for the approvers' queue: one status filter, optionally one account.
    With `approver`, the waiting posts are those they may decide now (`decidable_by`).

    Rows come with their photos, tagged pupils and faces prefetched, ready for `queue_consent_status`.
    """
    rows, order = _QUEUE_VIEWS[QueueFilter(status)]
    posts = _listed_posts(school=school).filter(rows)
    if approver is not None and status == QueueFilter.SUBMITTED:
        posts = posts.filter(decidable_by(school=school, approver=approver))
    if account_id is not None:
        posts = posts.filter(account_id=account_id)
    return posts.order_by(*order)


# A list counts its rows only this far past the page it shows: enough to say "312 posts", and to
# say "more than 1,000" without PostgreSQL reading every one of a school's 10,000 posts to say it.
QUEUE_COUNT_CAP = 1000


@dataclass(frozen=True)
class QueuePage:
    """One page of a long list, with as much of the total as was worth counting.

    `counted` is the number of rows from the first one up to `offset + QUEUE_COUNT_CAP` past this
    page's start: the exact total when `exact`, else a lower bound. Moving on or back never needs
    the total, so the links work however long the list is.
    """

    posts: list[Post]
    number: int
    per_page: int
    counted: int
    exact: bool

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.offset + self.per_page < self.counted

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def num_pages(self) -> int | None:
        """None when the list is longer than was counted."""
        return max(1, -(-self.counted // self.per_page)) if self.exact else None


def _page_number(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return max(number, 1)


def queue_page(posts: QuerySet[Post], *, page, per_page: int, cap: int | None = None) -> QueuePage:
    """A page of an ordered list of posts: two queries (a count that stops at `cap` past the page,
    then the page's rows), plus the list's prefetches.

    The rows are read in two steps inside one query: the page's ids from the ordered list, which
    PostgreSQL finds in the post indexes alone, then those rows in full. Asking for the full rows
    straight away would have it read (or sort) every matching row to find the twenty to show.
    A page past the end shows the last page, as Django's paginator does.
    """
    cap = QUEUE_COUNT_CAP if cap is None else cap
    number = _page_number(page)
    offset = (number - 1) * per_page
    counted = posts.order_by().values("pk")[: offset + cap + 1].count()
    if counted and offset >= counted:
        number, offset = (counted - 1) // per_page + 1, ((counted - 1) // per_page) * per_page
    exact = counted <= offset + cap
    rows = list(_rows_by_id(posts, posts.values("pk")[offset : offset + per_page])) if counted else []
    return QueuePage(posts=rows, number=number, per_page=per_page, counted=counted, exact=exact)


def _rows_by_id(posts: QuerySet[Post], ids) -> QuerySet[Post]:
    """The rows `ids` names, read as `posts` reads them (its joins, deferred fields, prefetches and
    order) but by primary key alone: `ids` already applied the list's filters, and repeating them
    (an approver's "may decide this step" test is several subqueries) would lead PostgreSQL to check
    them row by row instead of reading the page's twenty rows."""
    if posts.query.annotations:  # nothing reads annotated rows this way today; keep them whole
        return posts.filter(pk__in=ids)
    rows = Post.objects.filter(pk__in=ids).order_by(*posts.query.order_by)
    rows.query.select_related = posts.query.select_related
    rows.query.deferred_loading = posts.query.deferred_loading
    return rows.prefetch_related(*posts._prefetch_related_lookups)


@dataclass(frozen=True)
class QueueConsent:
    """A post's photos at a glance: how many pupils they show, and how many things would stop approval."""

    photos: int
    pupils: int
    problems: int
    unresolved_faces: int

    @property
    def ok(self) -> bool:
        return self.problems == 0

    @property
    def summary(self) -> str:
        if self.problems:
            return f"{self.problems} problem{'s' if self.problems != 1 else ''}"
        if not self.photos:
            return "No photos"
        if not self.pupils:
            return "No pupils tagged"
        return "All pupils have consent"


def queue_consent_status(posts, *, on: date | None = None) -> dict[int, QueueConsent]:
    """Photo consent for a page of posts, as approval would judge it, in at most two queries.

    `consent.checks.check_post_consent` runs two queries per post (the school's register, then
    the records of the pupils shown), so calling it for each row of a 50-row queue is 100
    queries. This asks the same questions of the photos of every listed post at once: the
    pupils tagged in them or named on a face (one query, never the never-publish reason),
    then those pupils' consent records (one query), each judged by
    `consent.selectors.effective_consent`, the function the full check uses.

    Counted as problems, as the full check at the approval stage counts its blocks: a pupil
    (per photo) who may not appear (no consent, refused, withdrawn, expired, left, do not
    publish) or is not on the school's register, and a face not yet resolved. Names in the text
    are not part of this glance: the rules engine's findings, stored at submission, flag them,
    and the review page and the approval itself run the full check.

    `posts` must come from `review_queue` (or `post_calendar`), whose prefetches this reads.
    """
    on = on or timezone.localdate()
    shown_by_photo = {}
    unresolved = {}
    for post in posts:
        for image in post.listed_images:
            shown = dict.fromkeys(pupil.pk for pupil in image.listed_tags)
            for face in image.listed_faces:
                if face.resolution == FaceRegion.Resolution.PUPIL and face.pupil_id is not None:
                    shown.setdefault(face.pupil_id)
                # Not a pupil, covered and dismissed as not a face are all resolved.
                elif face.resolution in (FaceRegion.Resolution.UNRESOLVED, FaceRegion.Resolution.PUPIL):
                    unresolved[post.pk] = unresolved.get(post.pk, 0) + 1
            shown_by_photo[image.pk] = list(shown)

    pupil_ids = {pupil_id for ids in shown_by_photo.values() for pupil_id in ids}
    pupils = {}
    records = defaultdict(list)
    if pupil_ids:
        pupils = {pupil.pk: pupil for pupil in Pupil.objects.filter(pk__in=pupil_ids).only(*_PUPIL_DISPLAY_FIELDS)}
        # Grouped here rather than by prefetch_related_objects, which builds a queryset per pupil.
        for record in ConsentRecord.objects.filter(pupil_id__in=pupils, purpose=ConsentPurpose.SOCIAL_PHOTO):
            records[record.pupil_id].append(record)
    allowed = {
        pupil_id: effective_consent(pupil, ConsentPurpose.SOCIAL_PHOTO, on=on, records=records[pupil_id]).allowed
        for pupil_id, pupil in pupils.items()
    }

    statuses = {}
    for post in posts:
        shown_count = problems = 0
        for image in post.listed_images:
            for pupil_id in shown_by_photo[image.pk]:
                shown_count += 1
                pupil = pupils.get(pupil_id)
                on_register = pupil is not None and pupil.school_id == post.account.school_id
                problems += not (on_register and allowed[pupil_id])
        faces = unresolved.get(post.pk, 0)
        statuses[post.pk] = QueueConsent(
            photos=len(post.listed_images), pupils=shown_count, problems=problems + faces, unresolved_faces=faces
        )
    return statuses


def finding_counts(post: Post) -> dict[str, int]:
    """The stored rule findings of a post by severity: {"block": n, "warn": n}."""
    counts = {"block": 0, "warn": 0}
    for finding in post.findings or []:
        severity = finding.get("severity") if isinstance(finding, dict) else None
        counts[severity if severity in counts else "warn"] += 1
    return counts


def _faces_with_pupils() -> QuerySet[FaceRegion]:
    pupil_fields = (f"pupil__{field}" for field in _PUPIL_DISPLAY_FIELDS)
    return (
        FaceRegion.objects.order_by("pk")
        .select_related("pupil")
        .only("id", "image_id", "x", "y", "w", "h", "source", "resolution", "pupil_id", *pupil_fields)
    )


def post_for_review(*, school, pk: int) -> Post:
    """One of the school's posts with everything the review page shows. Another school's post is not found."""
    return posts_for_review(school=school).get(pk=pk)


def posts_for_review(*, school) -> QuerySet[Post]:
    """The school's posts with everything the review page shows."""
    return (
        posts_for_school(school=school)
        .defer("account__credentials")
        .select_related("decided_by")
        .prefetch_related(
            Prefetch(
                "images",
                queryset=PostImage.objects.order_by("position", "pk").prefetch_related(
                    Prefetch("tagged_pupils", queryset=Pupil.objects.only(*_PUPIL_DISPLAY_FIELDS)),
                    Prefetch("faces", queryset=_faces_with_pupils()),
                ),
            ),
            Prefetch("comments", queryset=PostComment.objects.select_related("author").order_by("created_at", "pk")),
            Prefetch("revisions", queryset=PostRevision.objects.select_related("edited_by")),
            Prefetch("outside_content", queryset=OutsideContent.objects.order_by("pk")),
        )
    )


@dataclass(frozen=True)
class ShownPupil:
    pupil_id: int
    name: str
    tagged: bool  # False: only named on a face, not tagged
    on_register: bool
    allowed: bool
    state: str
    label: str
    reason: str  # empty for "do not publish": the headteacher's reason is never shown here


@dataclass(frozen=True)
class ReviewFaceBox:
    """A face's box as the review page draws it over the photo, in percentages of the photo."""

    number: int
    left: str
    top: str
    width: str
    height: str
    resolution: str
    label: str

    @property
    def dismissed(self) -> bool:
        return self.resolution == FaceRegion.Resolution.NOT_FACE


@dataclass(frozen=True)
class ReviewPhoto:
    image: PostImage
    number: int
    pupils: tuple[ShownPupil, ...]
    faces: int
    unresolved_faces: int
    # Boxes the author dismissed as not a face (a helmet, a pattern): resolved, and shown apart.
    dismissed_faces: int = 0
    boxes: tuple[ReviewFaceBox, ...] = ()


_REVIEW_BOX_LABELS = {
    FaceRegion.Resolution.UNRESOLVED: "Not resolved",
    FaceRegion.Resolution.PUPIL: "A tagged pupil",
    FaceRegion.Resolution.NOT_PUPIL: "Not a pupil",
    FaceRegion.Resolution.REDACTED: "Covered",
    FaceRegion.Resolution.NOT_FACE: "Dismissed as not a face",
}


def _percent(value: int, whole: int) -> str:
    return f"{100 * value / whole:.3f}" if whole else "0"


def _review_boxes(image: PostImage, faces: list[FaceRegion]) -> tuple[ReviewFaceBox, ...]:
    return tuple(
        ReviewFaceBox(
            number=number,
            left=_percent(face.x, image.width),
            top=_percent(face.y, image.height),
            width=_percent(face.w, image.width),
            height=_percent(face.h, image.height),
            resolution=face.resolution,
            label=_REVIEW_BOX_LABELS.get(face.resolution, face.resolution),
        )
        for number, face in enumerate(faces, start=1)
    )


CONSENT_STATE_LABELS = {
    ConsentState.GIVEN: "Consent given",
    ConsentState.REFUSED: "Consent refused",
    ConsentState.WITHDRAWN: "Consent withdrawn",
    ConsentState.EXPIRED: "Consent ran out",
    ConsentState.LEFT: "Left the school",
    ConsentState.NEVER_PUBLISH: "Do not publish",
    ConsentState.NONE: "No consent recorded",
    ConsentState.DISPUTED: "Carers disagree",
}


def review_photos(post: Post, snapshot: dict) -> list[ReviewPhoto]:
    """Per photo of a post from `post_for_review`: who it shows and whether each may appear.

    `snapshot` is the `ConsentCheck.snapshot` of the check the page ran, so what the page says
    is what approval would store.
    """
    names = {}
    for image in post.images.all():
        names.update((pupil.pk, pupil) for pupil in image.tagged_pupils.all())
        names.update((face.pupil_id, face.pupil) for face in image.faces.all() if face.pupil_id is not None)
    photos = []
    for number, (image, checked) in enumerate(zip(post.images.all(), snapshot.get("photos", []), strict=False), 1):
        shown = []
        for entry in checked["pupils"]:
            pupil = names.get(entry["pupil_id"])
            if not entry["on_register"] or pupil is None:
                shown.append(
                    ShownPupil(
                        pupil_id=entry["pupil_id"],
                        name="A pupil from another school",
                        tagged=entry["source"] == "tag",
                        on_register=False,
                        allowed=False,
                        state="",
                        label="Not on this school's register",
                        reason="Remove the tag.",
                    )
                )
                continue
            status = entry["social_photo"]
            never = status["state"] == ConsentState.NEVER_PUBLISH
            shown.append(
                ShownPupil(
                    pupil_id=pupil.pk,
                    name=f"{pupil.known_as} {pupil.surname}",
                    tagged=entry["source"] == "tag",
                    on_register=True,
                    allowed=status["allowed"],
                    state=status["state"],
                    label=CONSENT_STATE_LABELS.get(status["state"], status["state"]),
                    reason="" if never else status["reason"],
                )
            )
        faces = list(image.faces.all())
        photos.append(
            ReviewPhoto(
                image=image,
                number=number,
                pupils=tuple(shown),
                faces=len(faces),
                unresolved_faces=sum(
                    1
                    for face in faces
                    if face.resolution == FaceRegion.Resolution.UNRESOLVED
                    or (face.resolution == FaceRegion.Resolution.PUPIL and face.pupil_id is None)
                ),
                dismissed_faces=sum(1 for face in faces if face.resolution == FaceRegion.Resolution.NOT_FACE),
                boxes=_review_boxes(image, faces),
            )
        )
    return photos


@dataclass(frozen=True)
class CalendarDay:
    day: date
    posts: list[Post]


@dataclass(frozen=True)
class PostCalendar:
    """One page of the list view: the posts on their way, soonest first, split by what they need."""

    page: QueuePage  # this page of every post on its way (approved, being published, scheduled, failed)
    going_out: list[Post]  # approved to publish now, or being published
    failed: list[Post]
    days: list[CalendarDay]  # scheduled, by day in the school's time zone
    published: list[Post]  # on the first page only: each with `photo_count`


# Posts on their way a page of the list shows: the queue's rows (photos, consent at a glance), so
# the queue's screenful; the rows, not the queries, are most of what the page costs.
CALENDAR_LIST_PAGE_SIZE = 20
CALENDAR_PUBLISHED_DAYS = 14
CALENDAR_PUBLISHED_LIMIT = 50
ON_THE_WAY = (PostStatus.APPROVED, PostStatus.PUBLISHING, PostStatus.SCHEDULED, PostStatus.FAILED)


def post_calendar(*, school, now: datetime | None = None, account_id: int | None = None, page=1) -> PostCalendar:
    """One page of the posts on their way out, grouped by the day they go (school time), and on the
    first page those published lately; all the school's accounts, or one.

    A fixed number of queries whatever the number of posts: the page of posts on their way (a
    capped count, the rows and their photos' prefetches, as the queue reads them), then the
    published ones with their photos counted in the same query.
    """
    now = now or timezone.now()
    listed = _listed_posts(school=school)
    if account_id is not None:
        listed = listed.filter(account_id=account_id)
    on_the_way = listed.filter(status__in=ON_THE_WAY).order_by(
        F("publish_at").asc(nulls_first=True), "decided_at", "pk"
    )
    shown = queue_page(on_the_way, page=page, per_page=CALENDAR_LIST_PAGE_SIZE)
    scheduled = [post for post in shown.posts if post.status == PostStatus.SCHEDULED]
    days = [
        CalendarDay(day=day, posts=list(group))
        for day, group in groupby(scheduled, key=lambda post: timezone.localdate(post.publish_at))
    ]
    return PostCalendar(
        page=shown,
        going_out=[post for post in shown.posts if post.status in (PostStatus.APPROVED, PostStatus.PUBLISHING)],
        failed=[post for post in shown.posts if post.status == PostStatus.FAILED],
        days=days,
        published=recently_published(school=school, account_id=account_id, now=now) if shown.number == 1 else [],
    )


def recently_published(*, school, account_id: int | None = None, now: datetime | None = None) -> list[Post]:
    """The posts published in the last CALENDAR_PUBLISHED_DAYS, newest first (at most
    CALENDAR_PUBLISHED_LIMIT), with only what the list's table shows: when, the account, the
    words, who approved it, where it is on the network and how many photos (`photo_count`,
    counted in the same query rather than by loading the photos)."""
    now = now or timezone.now()
    photos = PostImage.objects.filter(post=OuterRef("pk")).order_by().values("post").annotate(n=Count("pk"))
    posts = (
        Post.objects.filter(
            account__school=school,
            status=PostStatus.PUBLISHED,
            published_at__gte=now - timedelta(days=CALENDAR_PUBLISHED_DAYS),
        )
        .select_related("account", "decided_by")
        .only(
            "id",
            "text",
            "repost_url",
            "published_at",
            "external_url",
            "account__id",
            "account__handle",
            "account__display_name",
            "decided_by__id",
            "decided_by__first_name",
            "decided_by__last_name",
            "decided_by__email",
        )
        .annotate(photo_count=Coalesce(Subquery(photos.values("n"), output_field=IntegerField()), 0))
    )
    if account_id is not None:
        posts = posts.filter(account_id=account_id)
    return list(posts.order_by("-published_at", "-pk")[:CALENDAR_PUBLISHED_LIMIT])


@dataclass(frozen=True)
class CalendarPost:
    """What a month, week or day shows of a post, read as plain values: a busy school's month is
    hundreds of posts, most of them only counted ("+N more"), and a model instance for each
    would cost more than the query."""

    pk: int
    status: str
    text: str
    handle: str
    at: datetime  # the post's moment on the calendar (`calendar_at`)
    repost_url: str = ""


def calendar_posts(*, school, start: datetime, end: datetime, account_id: int | None = None) -> list[CalendarPost]:
    """The school's posts whose moment falls in [start, end), in order, in one query whatever their number.

    A post's moment (`calendar_at`) is when it was published; before that, when it is due to be
    (`publish_at`); for a post sent "now", when publishing began or, before that, when it was approved.
    """
    posts = (
        Post.objects.filter(account__school=school, status__in=CALENDAR_STATUSES)
        # The same expression as the index that serves this page (posts.models.CALENDAR_MOMENT).
        .annotate(calendar_at=CALENDAR_MOMENT)
        .filter(calendar_at__gte=start, calendar_at__lt=end)
    )
    if account_id is not None:
        posts = posts.filter(account_id=account_id)
    rows = posts.order_by("calendar_at", "pk").values_list(
        "pk", "status", "text", "account__handle", "calendar_at", "repost_url"
    )
    return [CalendarPost(*row) for row in rows]


@dataclass(frozen=True)
class NamedPupil:
    first_name: str
    full_name: bool
    allowed: bool
    label: str
    reason: str  # empty for "do not publish"


def review_named_pupils(snapshot: dict) -> list[NamedPupil]:
    """The pupils a post's text names, from a consent check's snapshot, with their name consent."""
    named = []
    for entry in snapshot.get("named", []):
        status = entry["social_name"]
        never = status["state"] == ConsentState.NEVER_PUBLISH
        named.append(
            NamedPupil(
                first_name=entry["first_name"],
                full_name=entry["full_name"],
                allowed=status["allowed"] and not entry["full_name"],
                label=CONSENT_STATE_LABELS.get(status["state"], status["state"]),
                reason="" if never else status["reason"],
            )
        )
    return named


@dataclass(frozen=True)
class ReviewFinding:
    severity: str
    message: str
    excerpt: str
    suggestion: str


def review_findings(post: Post) -> list[ReviewFinding]:
    """The rule findings stored on a post, blocks first, each with the words it is about."""
    findings = []
    for finding in post.findings or []:
        if not isinstance(finding, dict):
            continue
        start, end = finding.get("start"), finding.get("end")
        excerpt = post.text[start:end] if isinstance(start, int) and isinstance(end, int) and start < end else ""
        findings.append(
            ReviewFinding(
                severity="block" if finding.get("severity") == "block" else "warn",
                message=str(finding.get("message", "")),
                excerpt=excerpt,
                suggestion=str(finding.get("suggestion") or ""),
            )
        )
    return sorted(findings, key=lambda finding: finding.severity != "block")


@dataclass(frozen=True)
class RevisionChange:
    what: str
    edited_by: str
    at: datetime
    before: str
    after: str
    # For text: the words kept, removed and added, as ("same" | "removed" | "added", words).
    words: tuple[tuple[str, str], ...] = ()


def changes_since_last_request(post: Post) -> tuple[PostComment | None, list[RevisionChange]]:
    """The author's last change request on a post from `post_for_review`, and what the author changed after it.

    With no change request, the changes since the post was first submitted.
    """
    request = next(
        (c for c in reversed(post.comments.all()) if c.kind == PostComment.Kind.CHANGES_REQUESTED),
        None,
    )
    since = request.created_at if request else None
    changes = []
    for revision in post.revisions.all():
        if since is not None and revision.created_at < since:
            continue
        words = _word_changes(revision.before, revision.after) if revision.what == PostRevision.What.TEXT else ()
        changes.append(
            RevisionChange(
                what=revision.get_what_display(),
                edited_by=str(revision.edited_by),
                at=revision.created_at,
                before=revision.before,
                after=revision.after,
                words=words,
            )
        )
    return request, changes


def _word_changes(before: str, after: str) -> tuple[tuple[str, str], ...]:
    old, new = re.split(r"(\s+)", before), re.split(r"(\s+)", after)
    pieces = []
    for tag, old_start, old_end, new_start, new_end in SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            pieces.append(("same", "".join(old[old_start:old_end])))
            continue
        if old_end > old_start:
            pieces.append(("removed", "".join(old[old_start:old_end])))
        if new_end > new_start:
            pieces.append(("added", "".join(new[new_start:new_end])))
    return tuple(pieces)
