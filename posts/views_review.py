"""The approvers' side: the review queue, the review page with its decisions, and the calendar
of scheduled and published posts. Views are thin: reads through posts.selectors, every
decision through posts.services, whose errors become messages on the page."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import school_member_required
from accounts.permissions import Perm, has_perm, may_approve_for, may_review_posts
from accounts.selectors import social_accounts_for_school
from consent.checks import Stage, check_post_consent
from networks.x.tweet_text import TWITTER_TEXT_V3, weighted_length

from . import calendar as dates
from . import selectors, services
from .forms_review import ApproveForm, CommentForm, RejectForm, RequestChangesForm
from .getters import get_post
from .models import OutsideContent, Post, PostStatus, repost_label
from .outside import outside_label, reposted_content
from .selectors_chains import chain_progress, may_review_post
from .services import copies
from .services.destination_checks import destinations_check
from .services.provenance import photo_provenance_problems

QUEUE_PAGE_SIZE = 20  # a screenful on an iPad; the queue is oldest first, so the next page is rarely needed


@dataclass(frozen=True)
class QueueRow:
    post: Post
    consent: selectors.QueueConsent
    findings: dict[str, int]
    outside_unread: int = 0  # things the post sends out that the portal could not read


def _unread_count(post: Post) -> int:
    """From the list selectors' prefetch (`listed_outside`): no query."""
    return sum(1 for row in post.listed_outside if row.error or row.read_at is None)


@require_GET
@school_member_required(may_review_posts)
def review_queue(request):
    """Posts waiting for approval, oldest first; or scheduled, published, or all, by account."""
    try:
        status = selectors.QueueFilter(request.GET.get("status", selectors.QueueFilter.SUBMITTED))
    except ValueError:
        status = selectors.QueueFilter.SUBMITTED
    # Someone named on an approval step (not an approver) sees only the posts waiting for them.
    approver = has_perm(request.membership, Perm.APPROVE_POSTS)
    if not approver:
        status = selectors.QueueFilter.SUBMITTED
    accounts = list(social_accounts_for_school(school=request.school).defer("credentials"))
    chosen_account = next((a for a in accounts if str(a.pk) == request.GET.get("account")), None)

    posts = selectors.review_queue(
        school=request.school,
        status=status,
        account_id=chosen_account.pk if chosen_account else None,
        approver=request.user,
    )
    page = selectors.queue_page(posts, page=request.GET.get("page"), per_page=QUEUE_PAGE_SIZE)
    listed = page.posts
    consent = selectors.queue_consent_status(listed)
    rows = [
        QueueRow(post=p, consent=consent[p.pk], findings=selectors.finding_counts(p), outside_unread=_unread_count(p))
        for p in listed
    ]
    return render(
        request,
        "posts/review_queue.html",
        {
            "rows": rows,
            "page": page,
            "status": status,
            "show_status": status == selectors.QueueFilter.ALL,
            "filters": selectors.QUEUE_FILTER_LABELS if approver else {},
            "accounts": accounts,
            "chosen_account": chosen_account,
        },
    )


@dataclass(frozen=True)
class ReviewOutside:
    """Something the post sends out that nobody typed, as the approver sees it under the preview."""

    label: str
    is_quote: bool
    url: str
    author: str
    title: str
    description: str
    read: bool
    error: str


def _review_outside(post: Post) -> list[ReviewOutside]:
    shown = []
    for row in post.outside_content.all():
        if row.kind == OutsideContent.Kind.REPOST:
            continue  # shown as the post itself (posts/_reposted.html)
        is_quote = row.kind == OutsideContent.Kind.QUOTE
        # A preview's text is its title, then its descriptions (posts.outside.LinkPreview.text).
        title, _, description = ("", "", row.text) if is_quote else row.text.partition("\n")
        shown.append(
            ReviewOutside(
                label=outside_label(row),
                is_quote=is_quote,
                url=row.url,
                author=row.author,
                title=title,
                description=description,
                read=not row.error and row.read_at is not None,
                error=row.error,
            )
        )
    return shown


def _may_review(membership, post: Post) -> None:
    if not may_review_post(membership, post):
        raise PermissionDenied("This post is not waiting for you to decide.")


def _post_or_404(request, pk: int) -> Post:
    """The school's post, for those who may review it (selectors_chains.may_review_post): 403 else."""
    return get_post(request, pk, queryset=selectors.posts_for_review(school=request.school), check=_may_review)


def _render_review(request, post: Post, *, status: int = 200, blocked=None, refused: str = "", **forms):
    """The review page; after a refused decision, with the form that was sent (`forms`) and why
    approval was refused (`blocked`, the checks' problems, or `refused`), shown beside the form."""
    check = check_post_consent(selectors.consent_content(post), stage=Stage.APPROVE)
    is_author = selectors.is_author(request.membership, post)
    change_request, changes = selectors.changes_since_last_request(post)
    photos = selectors.review_photos(post, check.snapshot)
    outside = _review_outside(post)
    reposted = reposted_content(post)
    # Several accounts (issue 17): before approval, each other account's preview with what the
    # checks find for it; after, where the post and each of its copies stand.
    destination_reports = (
        destinations_check(post, stage=Stage.APPROVE, lead_check=check).reports
        if post.status in (PostStatus.DRAFT, PostStatus.SUBMITTED)
        else []
    )
    outcomes = copies.group_outcomes(post) if post.part_of_id is None and post.copies.exists() else []
    went_out = [outcome for outcome in outcomes if outcome.published]
    partly_published = (
        bool(went_out)
        and len(went_out) < len(outcomes)
        and all(outcome.post.status in copies.SETTLED for outcome in outcomes)
    )
    may_take_down = bool(outcomes) and may_approve_for(request.membership, post.account)
    # Approval in more than one step: the chain, and whether this person decides its current step.
    chain = chain_progress(post, viewer=request.membership)
    if chain is not None:
        may_decide = post.status == PostStatus.SUBMITTED and chain.may_decide
    else:
        may_decide = post.status == PostStatus.SUBMITTED and may_approve_for(request.membership, post.account)
    context = {
        "chain": chain,
        "destination_reports": destination_reports,
        "outcomes": outcomes,
        "partly_published": partly_published,
        "went_out_labels": [o.label for o in went_out],
        "not_out_labels": [o.label for o in outcomes if not o.published],
        "may_take_down": may_take_down,
        # One account's published post (a repost, say) comes down from its own page too.
        "may_take_down_this": not outcomes
        and post.status == PostStatus.PUBLISHED
        and may_approve_for(request.membership, post.account),
        "may_take_down_everywhere": may_take_down and any(o.post.status == PostStatus.PUBLISHED for o in outcomes),
        "lead": post.part_of if post.part_of_id else None,
        "outside": outside,
        "outside_unread": [item for item in outside if not item.read]
        + ([{"label": outside_label(reposted)}] if reposted and (reposted.error or not reposted.read_at) else []),
        "confirm_unread_outside_label": services.UNREAD_OUTSIDE_CONFIRMATION,
        "reposted": reposted,
        "repost_pictures": reposted.media if reposted else [],
        "confirm_repost_pictures_label": services.REPOST_PICTURES_CONFIRMATION,
        "post": post,
        "photos": photos,
        "unresolved_faces": sum(photo.unresolved_faces for photo in photos),
        "photo_problems": photo_provenance_problems(post, stage="approve") if photos else [],
        "named": selectors.review_named_pupils(check.snapshot),
        "consent_problems": check.problems,
        "consent_blocks": [p for p in check.problems if p.severity == "block"],
        "blocked": blocked,
        "refused": refused,
        "refused_form": next((form for form in forms.values() if form is not None and form.errors), None),
        "findings": selectors.review_findings(post),
        "length": weighted_length(post.text),
        "max_length": TWITTER_TEXT_V3.max_weighted_length,
        "comments": post.comments.all(),
        "change_request": change_request,
        "changes": changes,
        "is_author": is_author,
        "may_decide": may_decide,
        "approve_form": forms.get("approve_form") or ApproveForm(authors_time=post.publish_at),
        "changes_form": forms.get("changes_form") or RequestChangesForm(),
        "reject_form": forms.get("reject_form") or RejectForm(),
        "comment_form": forms.get("comment_form") or CommentForm(),
    }
    return render(request, "posts/review_post.html", context, status=status)


@require_GET
@school_member_required(may_review_posts)
def review_post(request, pk: int):
    return _render_review(request, _post_or_404(request, pk))


def _to_review(post: Post):
    return redirect("review_post", post.pk)


@require_POST
@school_member_required(may_review_posts)
def review_approve(request, pk: int):
    post = _post_or_404(request, pk)
    form = ApproveForm(request.POST, authors_time=post.publish_at)
    if not form.is_valid():
        return _render_review(request, post, status=400, approve_form=form)
    step_before = post.approval_step
    try:
        services.post_approve(
            actor=request.membership,
            post=post,
            publish_at=form.cleaned_data["publish_at"],
            now=form.cleaned_data["when"] == ApproveForm.NOW,
            # A plain checkbox beside the form's fields: only the service decides whether it is needed.
            confirm_unread_outside=request.POST.get("confirm_unread_outside") == "on",
            confirm_repost_pictures=request.POST.get("confirm_repost_pictures") == "on",
        )
    except services.PostBlocked as exc:
        return _render_review(request, post, status=400, blocked=exc.problems, approve_form=form)
    except services.TransitionError as exc:
        # Shown beside the Approve button, not at the top of a long page: an unticked confirmation, a
        # time that has passed, or a post someone else has decided on meanwhile (read again to show it).
        return _render_review(request, _post_or_404(request, pk), status=400, refused=str(exc), approve_form=form)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return _to_review(post)
    if post.status == PostStatus.SUBMITTED:
        # Approval in more than one step: this approval was one step's, or one person's of an "all of" step.
        if post.approval_step != step_before:
            messages.success(
                request, f"Approved step {step_before + 1}. It now waits for step {post.approval_step + 1}."
            )
        else:
            messages.success(request, "Your approval is recorded. The step now waits for its other approvers.")
        return redirect("review_queue")
    # What the service decided: the author's time may have passed while the page was open.
    where = f"@{post.account.handle}"
    if post.status == PostStatus.SCHEDULED and post.publish_at:
        when = format_date(timezone.localtime(post.publish_at), "l j F Y \\a\\t H:i")
        messages.success(request, f"Approved. It will be published on {where} on {when}.")
    else:
        messages.success(request, f"Approved. It will be published on {where} now, within a minute or so.")
    return redirect("review_queue")


@require_POST
@school_member_required(may_review_posts)
def review_request_changes(request, pk: int):
    post = _post_or_404(request, pk)
    form = RequestChangesForm(request.POST)
    if not form.is_valid():
        return _render_review(request, post, status=400, changes_form=form)
    try:
        services.post_request_changes(actor=request.membership, post=post, comment=form.cleaned_data["comment"])
    except (PermissionDenied, services.TransitionError) as exc:
        messages.error(request, str(exc))
        return _to_review(post)
    messages.success(request, f"Sent back to {post.author} with your comments. It is a draft again.")
    return redirect("review_queue")


@require_POST
@school_member_required(may_review_posts)
def review_reject(request, pk: int):
    post = _post_or_404(request, pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _render_review(request, post, status=400, reject_form=form)
    try:
        services.post_reject(actor=request.membership, post=post, reason=form.cleaned_data["reason"])
    except (PermissionDenied, services.TransitionError) as exc:
        messages.error(request, str(exc))
        return _to_review(post)
    messages.success(request, f"Rejected. {post.author} can see your reason.")
    return redirect("review_queue")


@require_POST
@school_member_required(may_review_posts)
def review_comment(request, pk: int):
    post = _post_or_404(request, pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _render_review(request, post, status=400, comment_form=form)
    services.post_comment(actor=request.membership, post=post, body=form.cleaned_data["body"])
    messages.success(request, "Comment added.")
    return redirect(reverse("review_post", args=[post.pk]) + "#comments")


# The calendar: month, week and day views of what goes out when, and the list of what is on its way.

# Entries a month's day shows before "+N more", so a busy day keeps the grid readable on an iPad.
MONTH_ENTRIES_PER_DAY = 3

# Each status in words (never colour alone), and the class that gives it its look and icon.
_CALENDAR_STATUS = {
    PostStatus.SCHEDULED: ("Scheduled", "scheduled"),
    PostStatus.APPROVED: ("Going out now", "going"),
    PostStatus.PUBLISHING: ("Going out now", "going"),
    PostStatus.PUBLISHED: ("Published", "published"),
    PostStatus.FAILED: ("Failed: not published", "failed"),
    PostStatus.TAKEN_DOWN: ("Taken down", "taken-down"),
}


@dataclass(frozen=True)
class CalendarEntry:
    """One post as a calendar shows it: its time (school time), account, first words and status."""

    pk: int
    handle: str
    text: str
    at: datetime
    status_label: str
    status_class: str
    failed: bool


def _calendar_entry(post: selectors.CalendarPost) -> CalendarEntry:
    label, css = _CALENDAR_STATUS.get(post.status, (PostStatus(post.status).label, "other"))
    return CalendarEntry(
        pk=post.pk,
        handle=post.handle,
        text=repost_label(post.repost_url) if post.repost_url else post.text,
        at=timezone.localtime(post.at),
        status_label=label,
        status_class=css,
        failed=post.status == PostStatus.FAILED,
    )


def _day_label(day: dates.Day) -> str:
    """A month's day as a screen reader says it: "Today, Tuesday 8 December, 2 posts" (with the
    year for the days of the months around it, which may be another year)."""
    name = dates.day_name(day.day, year=not day.in_period)
    count = f"{day.count} post{'s' if day.count != 1 else ''}" if day.count else "no posts"
    return f"{'Today, ' if day.is_today else ''}{name}, {count}"


def _calendar_links(chosen: dates.Chosen, today: date, account) -> dict:
    """The addresses of the other periods and views, each keeping the account chosen."""
    period = chosen.period

    def url(view: dates.View, when: str | None = None) -> str:
        query = {"view": view.value}
        if when:
            query["date"] = when
        if account is not None:
            query["account"] = account.pk
        return f"{reverse('post_calendar')}?{urlencode(query)}"

    focus = period.focus_day(today) if chosen.view != dates.View.LIST else today
    previous, following = period.previous, period.next
    return {
        "previous": url(period.view, previous.param) if previous else "",
        "next": url(period.view, following.param) if following else "",
        "today": url(period.view, dates.period_for(period.view, today).param),
        "views": [
            (dates.View.MONTH, "Month", url(dates.View.MONTH, dates.period_for(dates.View.MONTH, focus).param)),
            (dates.View.WEEK, "Week", url(dates.View.WEEK, dates.period_for(dates.View.WEEK, focus).param)),
            (dates.View.LIST, "List", url(dates.View.LIST)),
        ],
    }


@require_GET
@school_member_required(Perm.APPROVE_POSTS)
def post_calendar(request):
    """What goes out when, for all the accounts the approver may see or one of them: a month (the
    default), a week or a day of scheduled, published and failed posts, or the list of what is on
    its way. Days and times are the school's (its time zone); the period is in the address."""
    today = timezone.localdate()
    chosen = dates.choose(request.GET.get("view"), request.GET.get("date"), today=today)
    if chosen.problem:
        messages.warning(request, chosen.problem)
    accounts = [
        account
        for account in social_accounts_for_school(school=request.school).defer("credentials").order_by("kind", "handle")
        if may_approve_for(request.membership, account)
    ]
    account = next((a for a in accounts if str(a.pk) == request.GET.get("account")), None)
    links = _calendar_links(chosen, today, account)
    context = {
        "view": chosen.view,
        "period": chosen.period,
        "accounts": accounts,
        "chosen_account": account,
        "links": links,
        "today": today,
        "timezone_name": timezone.get_current_timezone_name(),
    }
    if chosen.view == dates.View.LIST:
        return render(
            request,
            "posts/review_calendar.html",
            {
                **context,
                **_calendar_list(
                    school=request.school, account_id=account.pk if account else None, page=request.GET.get("page")
                ),
            },
        )

    start, end = dates.bounds(chosen.period, timezone.get_current_timezone())
    posts = selectors.calendar_posts(
        school=request.school, start=start, end=end, account_id=account.pk if account else None
    )
    days = dates.lay_out(
        chosen.period, [_calendar_entry(post) for post in posts], day_of=lambda entry: entry.at.date(), today=today
    )
    context.update(
        days=days,
        weeks=[
            [(day, _day_label(day), *dates.preview(day.items, MONTH_ENTRIES_PER_DAY)) for day in days[at : at + 7]]
            for at in range(0, len(days), 7)
        ],
        posts_in_period=sum(day.count for day in days if day.in_period),
        failed_in_period=sum(1 for day in days if day.in_period for entry in day.items if entry.failed),
        weekdays=[f"{day.day:%A}" for day in days[:7]],
    )
    return render(request, "posts/review_calendar.html", context)


def _calendar_list(*, school, account_id: int | None, page) -> dict:
    """One page of the list view: posts on their way by day (school time), then on the first page
    those published lately."""
    calendar = selectors.post_calendar(school=school, account_id=account_id, page=page)
    consent = selectors.queue_consent_status(calendar.page.posts)

    def rows(posts):
        return [
            QueueRow(
                post=p, consent=consent[p.pk], findings=selectors.finding_counts(p), outside_unread=_unread_count(p)
            )
            for p in posts
        ]

    today = timezone.localdate()
    return {
        "list_page": calendar.page,
        "going_out": rows(calendar.going_out),
        "failed": rows(calendar.failed),
        "list_days": [(day.day, rows(day.posts)) for day in calendar.days],
        "published": calendar.published,
        "tomorrow": today + timedelta(days=1),
        "published_days": selectors.CALENDAR_PUBLISHED_DAYS,
    }
