"""Publishing approved posts: exactly once, on time, or failed with a reason a headteacher can act on.

The shape (DESIGN.md, "Post lifecycle"):

1. **Claim.** A conditional UPDATE moves the post from approved/scheduled to publishing; only
   the worker whose UPDATE changed one row goes on. Pacing is decided in the same
   transaction, under a lock on the account's row, so a burst of approvals queues.
2. **Check again.** What the post sends out besides its own words (the quoted post, link
   previews) is read again, since it may have changed after approval; then consent and the
   school's blocking rules are checked at the PUBLISH stage on what was just read: consent can
   be withdrawn after approval. A post that no longer passes goes back to its author as a draft.
3. **Call the network outside any transaction**: upload each photo with its description,
   then publish.
4. **Record** the external id and address, or the failure.

Whenever an earlier attempt may have reached the network (a timeout after sending, a 5xx, a
duplicate-content refusal, a worker killed mid-call), the account's own recent posts are read
before anything is sent again: a post found there is recorded as published, not posted twice.
Transient failures retry with exponential backoff and jitter (honouring the network's reset
time); the beat sweep (`sweep`) finds due posts, retries and posts stuck in "publishing", so
nothing depends on a long countdown surviving in the broker.
"""

from __future__ import annotations

import contextlib
import logging
import random
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Count, Exists, F, Min, OuterRef, Q
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import SocialAccount
from accounts.permissions import may_approve_for
from audit.services import record
from consent.checks import PostContent, Stage, check_post_consent
from networks.base import (
    ExternalRef,
    Network,
    NetworkError,
    OwnPost,
    PostPayload,
    ReconnectNeeded,
)
from networks.registry import get_network
from policy_portal.storage import is_store_failure

# Module imports, not names: the tasks call this module, and consent_changes reaches review,
# which hands approved posts to this module.
from .. import consent_changes, notifications, tasks
from ..models import OutsideContent, Post, PostComment, PostStatus
from ..outside import post_read_outside_content
from ..quote_links import parse_quote_url, parse_repost_url
from ..selectors import consent_content, with_content
from . import copies
from .checks import post_rules_findings
from .photos import photo_render_for_publishing
from .transitions import transition

log = logging.getLogger(__name__)

DUE_STATUSES = (PostStatus.APPROVED, PostStatus.SCHEDULED)
# How long a worker keeps trying to record a post the network took, when the database went away
# meanwhile (a PostgreSQL restart takes a few seconds), and the pause between tries.
RECORD_RETRY_SECONDS = 60.0
RECORD_RETRY_PAUSE_SECONDS = 1.0


class Outcome:
    PUBLISHED = "published"
    RECONCILED = "reconciled"  # found already on the network: recorded, not sent again
    RETRY = "retry"
    DEFERRED = "deferred"  # pacing: the account has published its share for now
    FAILED = "failed"
    STOPPED = "stopped"  # the publish-time checks refused it: back to the author
    NOT_DUE = "not_due"  # someone else has it, or it is not due yet


# --- Enqueueing -------------------------------------------------------------------------------


def enqueue_after_commit(post_id: int) -> None:
    """Ask a worker to publish this post once the current transaction has committed (at once
    when there is none). A lost message costs at most a minute: the beat sweep finds the post."""
    transaction.on_commit(lambda: tasks.publish_post.delay(post_id))


def due_posts(now: datetime | None = None):
    now = now or timezone.now()
    return Post.objects.filter(
        Q(publish_at__isnull=True) | Q(publish_at__lte=now),
        Q(retry_at__isnull=True) | Q(retry_at__lte=now),
        status__in=DUE_STATUSES,
    )


def stuck_posts(now: datetime | None = None):
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.PUBLISH_STUCK_AFTER_SECONDS)
    return Post.objects.filter(status=PostStatus.PUBLISHING, publishing_started_at__lt=cutoff)


def sweep(now: datetime | None = None) -> dict[str, int]:
    """The beat task's work: reconcile stuck posts, then hand every due post to a worker."""
    reconciled = 0
    for post in stuck_posts(now).select_related("account"):
        reconcile_stuck(post)
        reconciled += 1
    due_ids = list(due_posts(now).order_by("publish_at", "decided_at").values_list("pk", flat=True)[:500])
    for post_id in due_ids:
        tasks.publish_post.delay(post_id)
    return {"enqueued": len(due_ids), "stuck_reconciled": reconciled}


# --- Publishing one post ----------------------------------------------------------------------


def publish(post_id: int) -> str:
    """Publish one post if it is due and nobody else has it. Returns an `Outcome`."""
    claimed = _claim_for_publishing(post_id)
    if isinstance(claimed, str):
        return claimed
    post = claimed
    network = None
    try:
        post = _reread_outside(post)  # before the checks, which must judge what goes out now
        content = consent_content(post)
        stop_reason = _publish_time_refusal(post, content)
        if stop_reason:
            _stop(post, stop_reason)
            return Outcome.STOPPED
        network = get_network(post.account)
        if post.publish_attempts > 1:
            # An earlier attempt may have got through before it was cut off: look first.
            found = _find_on_network(network, post)
            if found is not None:
                _record_published(post, found, reconciled=True)
                return Outcome.RECONCILED
        if post.repost_url:
            ref = network.repost(reposted_id(post))
            _record_published(post, ref, content=content)
            return Outcome.PUBLISHED
        try:
            photos = _photos(post)
        except (OSError, ValueError) as exc:
            # A photo missing from storage: nothing was sent, and retrying will not bring it back.
            detail = getattr(exc, "strerror", None) or exc
            _fail(
                post,
                f"A photo of this post could not be read from the portal's storage ({detail}). "
                "Open the post, add the photo again, and submit it.",
            )
            return Outcome.FAILED
        except Exception as exc:
            if not is_store_failure(exc):
                raise
            # The object store did not answer: nothing was sent, so trying again later is safe.
            raise NetworkError(
                "The portal's photo store did not answer, so nothing was sent. It will try again.",
                permanent=False,
            ) from exc
        media = [network.upload_media(jpeg, alt) for jpeg, alt in photos]
        ref = network.publish(
            PostPayload(text=post.text, media=media, quote_of=_quoted_id(post)),
            idempotency_key=str(post.idempotency_key),
        )
    except NetworkError as exc:
        return _after_error(post, network, exc)
    _record_published(post, ref, content=content)
    return Outcome.PUBLISHED


def _claim_for_publishing(post_id: int) -> Post | str:
    """Claim the post in three statements (lock the account, count its recent posts, move the
    post to publishing), then read it with everything the checks and the network call need.

    Nothing is read before the claim: a repeated delivery, or a post someone else has, costs
    one query. Nothing is read inside it either, so the account's lock is held only for the
    pacing decision."""
    now = timezone.now()
    with transaction.atomic():
        # One decision at a time per account, so two workers cannot both take the last slot. The
        # account is found through the post, and only while the post is due.
        account = (
            SocialAccount.objects.select_for_update()
            .filter(pk__in=due_posts(now).filter(pk=post_id).values("account_id"))
            .first()
        )
        if account is None:
            return Outcome.NOT_DUE
        wait_until = _pacing_wait(account, now)
        if wait_until is not None:
            shown = date_format(timezone.localtime(wait_until), "H:i")
            Post.objects.filter(pk=post_id, status__in=DUE_STATUSES).update(
                retry_at=wait_until,
                last_publish_error=(
                    f"Waiting its turn: @{account.handle} has published {settings.PUBLISH_MAX_PER_WINDOW} posts "
                    f"recently, so this one goes at {shown}."
                ),
            )
            return Outcome.DEFERRED
        claimed = transition(
            Post(pk=post_id, account=account),
            from_statuses=DUE_STATUSES,
            to=PostStatus.PUBLISHING,
            among=due_posts(now),
            missing_ok=True,
            publishing_started_at=now,
            publish_attempts=F("publish_attempts") + 1,
            retry_at=None,
            updated_at=now,
        )
        if not claimed:
            return Outcome.NOT_DUE
    return _post_to_publish(post_id)


def _post_to_publish(post_id: int) -> Post:
    """The claimed post with its account, school and author, its photos with their tags and
    faces, and its outside content: two to five queries (no photos, no tag or face query),
    after which nothing the publisher does reads the post again."""
    return (
        with_content(Post.objects.select_related("account__school", "author"))
        .annotate(has_copies=Exists(Post.objects.filter(part_of=OuterRef("pk"))))
        .get(pk=post_id)
    )


def _after_settling(post: Post) -> None:
    """A post written for several accounts, or one of its copies, has published, failed or been
    stopped: once all of them have, the approvers hear if only some went out (copies). A post
    for one account costs nothing here."""
    if post.part_of_id is None and getattr(post, "has_copies", True) is False:
        return
    transaction.on_commit(lambda: copies.tell_if_partly_published(post))


def _pacing_wait(account: SocialAccount, now: datetime) -> datetime | None:
    """When the account may publish again, or None if it may now.

    Posts published in the window and posts being published are counted in one query: counted
    in two, a post that another worker finished between them (publishing, then published)
    would be missed by both, and the account would get one post more than its share."""
    window_start = now - timedelta(seconds=settings.PUBLISH_WINDOW_SECONDS)
    recent = Q(published_at__gte=window_start)
    taken = Post.objects.filter(recent | Q(status=PostStatus.PUBLISHING), account=account).aggregate(
        count=Count("pk"), oldest=Min("published_at", filter=recent)
    )
    if taken["count"] < settings.PUBLISH_MAX_PER_WINDOW:
        return None
    oldest = taken["oldest"] or now
    return max(oldest + timedelta(seconds=settings.PUBLISH_WINDOW_SECONDS), now + timedelta(seconds=1))


def _reread_outside(post: Post) -> Post:
    """Read the quoted post and link previews again (network calls, outside any transaction).
    A change since approval is kept in the audit trail, and the post is read again, so the
    consent check judges the new words. A post without links makes no call and no query."""
    if post_read_outside_content(post=post, known_rows=list(post.outside_content.all())):
        record(
            action="post.outside_content_changed",
            school=post.account.school,
            target=post,
            data={
                "outside": [
                    {"kind": row.kind, "url": row.url, "text": row.text, "error": row.error}
                    for row in OutsideContent.objects.filter(post=post)
                ]
            },
        )
        return _post_to_publish(post.pk)
    return post


def _publish_time_refusal(post: Post, content: PostContent) -> str:
    """Why the post may not go out now (consent, the school's rules, the account), or "".

    `content` is the post as just read, its outside content read again: the same check as at
    submission and approval, run on what goes out now, with consent read afresh."""
    if post.account.status == SocialAccount.Status.DISABLED:
        return f"The account @{post.account.handle} is disabled, so nothing is published to it."
    check = check_post_consent(content, stage=Stage.PUBLISH)
    blocks = [p for p in check.problems if p.severity == "block"]
    if blocks:
        return f"Consent changed after approval: {blocks[0].message}"
    findings = post_rules_findings(post, has_images=bool(content.photos)) or []
    blocking = [f for f in findings if f.severity == "block"]
    if blocking:
        return f"The school's rules changed after approval: {blocking[0].message}"
    return ""


def _stop(post: Post, reason: str) -> None:
    with transaction.atomic():
        if not transition(
            post,
            from_statuses=[PostStatus.PUBLISHING],
            to=PostStatus.DRAFT,
            action="post.stopped_at_publish",
            data={"reason": reason},
            missing_ok=True,
            publishing_started_at=None,
        ):
            return
        body = f"Not published. {reason} Change the post, then submit it again."
        PostComment.objects.create(post=post, kind=PostComment.Kind.SYSTEM, body=body)
        notifications.notify_decision(post, decision="was stopped before publishing", note=reason)
        _after_settling(post)


def _photos(post: Post) -> list[tuple[bytes, str]]:
    """Each photo as it goes out, in the post's order (read with the post: no query here)."""
    return [(photo_render_for_publishing(image=image), image.alt_text) for image in post.images.all()]


def _quoted_id(post: Post) -> str | None:
    if not post.quote_url:
        return None
    quoted = parse_quote_url(post.quote_url)
    if quoted is None or quoted.network != post.account.network:
        raise NetworkError(
            f"The quoted post ({post.quote_url}) is not on {post.account.get_network_display()}, where this "
            "account is, so it cannot be quoted. Edit the post to remove or change the quote.",
            permanent=True,
        )
    return quoted.post_id


def reposted_id(post: Post) -> str:
    reposted = parse_repost_url(post.repost_url, network=post.account.network)
    if reposted is None or reposted.network != post.account.network:
        raise NetworkError(
            f"The reposted post ({post.repost_url}) is not on {post.account.get_network_display()}, where this "
            "account is, so it cannot be reposted. Edit the post to change the link.",
            permanent=True,
        )
    return reposted.post_id


# --- Reconciling ------------------------------------------------------------------------------

_URL = re.compile(r"https?://\S+")


def _comparable(text: str) -> str:
    """Text as a network may echo it back: links rewritten (X's t.co), photo links appended,
    entities escaped, spacing changed."""
    text = _URL.sub("", text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))
    return " ".join(text.split()).casefold()


def _key_still_remembered(network: Network, post: Post) -> bool:
    """True when the network's idempotency key is sure to cover every earlier attempt: the first
    attempt cannot have been before the post was approved and due, so a network that remembers
    keys for a while (Mastodon: an hour) is trusted only within most of that while."""
    limits = network.limits
    if not limits.supports_idempotency_key:
        return False
    if limits.idempotency_key_seconds is None:
        return True
    earliest = max(moment for moment in (post.decided_at, post.publish_at, post.created_at) if moment is not None)
    return timezone.now() - earliest < timedelta(seconds=limits.idempotency_key_seconds * 0.8)


def _find_on_network(network: Network, post: Post) -> ExternalRef | None:
    """Our post among the account's recent posts, if an earlier attempt got it there.

    A network with idempotency keys answers that itself (publishing again with the same key
    returns the existing post), so this reading is for networks without them, such as X, and for
    a network whose memory of keys may have run out since the first attempt (Mastodon's hour)."""
    if post.repost_url:
        # A repost has no text to look for: the network says whether the account reposts the post
        # (X's and Mastodon's "reposted by me", Bluesky's viewer state). An account reposts a post
        # once, so a repost found is ours.
        return network.find_repost(reposted_id(post))
    if _key_still_remembered(network, post):
        return None
    since = (post.decided_at or post.created_at) - timedelta(minutes=2)
    wanted = _comparable(post.text)
    own: list[OwnPost] = network.recent_own_posts(limit=50)
    for candidate in own:
        if candidate.created_at >= since and _comparable(candidate.text) == wanted:
            return ExternalRef(id=candidate.id, url=candidate.url)
    return None


def reconcile_stuck(post: Post) -> str:
    """A post left in publishing (its worker died or lost touch): find out what happened."""
    try:
        network = get_network(post.account)
        found = _find_on_network(network, post)
    except NetworkError as exc:
        log.warning("Could not reconcile post %s yet: %s", post.pk, exc.message)
        # Keep it in publishing; the next sweep tries again, and time makes it a failure.
        if post.publishing_started_at and timezone.now() - post.publishing_started_at > timedelta(hours=24):
            _fail(post, f"The portal lost track of this post and could not check @{post.account.handle}: {exc.message}")
            return Outcome.FAILED
        return Outcome.NOT_DUE
    if found is not None:
        _record_published(post, found, reconciled=True)
        return Outcome.RECONCILED
    if post.publish_attempts >= settings.PUBLISH_MAX_ATTEMPTS:
        # Attempts that keep being cut off (a worker that crashes on this post) must end somewhere.
        _fail(
            post,
            f"Publishing was interrupted {post.publish_attempts} times and the post is not on "
            f"@{post.account.handle}. Try again from the dashboard, or tell whoever runs the portal.",
        )
        return Outcome.FAILED
    if _key_still_remembered(network, post):
        # Publishing again with the same key is safe: the network returns the post if it has it.
        note = "The last attempt was interrupted; trying again (the network recognises repeats)."
    else:
        note = f"The last attempt was interrupted and the post is not on @{post.account.handle}; trying again."
    _schedule_retry(post, note, delay=0)
    return Outcome.RETRY


# --- Recording --------------------------------------------------------------------------------


def _record_published(
    post: Post, ref: ExternalRef, *, reconciled: bool = False, content: PostContent | None = None
) -> None:
    """Record the post as published, with its audit entry and the author's email, then check
    consent once more (`content`: what was checked before sending, when the caller has it).

    The network already has the post, so losing the database now (PostgreSQL restarting, the
    connection dropping) must not lose the record: it is written again on a new connection for
    up to RECORD_RETRY_SECONDS, after which the sweep finds the post stuck and reconciles it."""
    deadline = time.monotonic() + RECORD_RETRY_SECONDS
    first_try = True
    while True:
        try:
            if first_try or not _already_recorded(post, ref):
                _save_published(post, ref, reconciled=reconciled)
            break
        except (OperationalError, InterfaceError) as exc:
            if connection.in_atomic_block or time.monotonic() >= deadline:
                raise
            log.warning("Post %s is on the network as %s; recording it again after: %s", post.pk, ref.id, exc)
            with contextlib.suppress(DatabaseError):
                connection.close()  # the next query opens a new connection
            first_try = False
            time.sleep(RECORD_RETRY_PAUSE_SECONDS)
    consent_changes.recheck_after_publish(post, content)


def _already_recorded(post: Post, ref: ExternalRef) -> bool:
    """True when an attempt whose answer was lost with the connection had in fact committed."""
    return Post.objects.filter(pk=post.pk, status=PostStatus.PUBLISHED, external_id=ref.id).exists()


def _save_published(post: Post, ref: ExternalRef, *, reconciled: bool) -> None:
    now = timezone.now()
    with transaction.atomic():
        published = {"external_id": ref.id, "external_url": ref.url, "published_at": now}
        if not transition(
            post,
            from_statuses=[PostStatus.PUBLISHING],
            to=PostStatus.PUBLISHED,
            missing_ok=True,
            publishing_started_at=None,
            last_publish_error="",
            failure_reason="",
            updated_at=now,
            **published,
        ):
            # Someone marked it failed meanwhile: the network has it, so the record must say so.
            log.error("Post %s was published as %s but was no longer publishing here", post.pk, ref.id)
            transition(post, from_statuses=PostStatus.values, to=PostStatus.PUBLISHED, network_has_it=True, **published)
        if post.account.status == SocialAccount.Status.ERROR:
            # The network took the post, so the connection works again. An account that went
            # into error after this attempt began is left as it is: that news is newer.
            SocialAccount.objects.filter(pk=post.account_id, status=SocialAccount.Status.ERROR).update(
                status=SocialAccount.Status.ACTIVE, last_error=""
            )
        record(
            action="post.published",
            school=post.account.school,
            target=post,
            data={"external_id": ref.id, "url": ref.url, "attempts": post.publish_attempts, "reconciled": reconciled},
        )
        notifications.notify_published(post)
        _after_settling(post)


def _after_error(post: Post, network: Network | None, exc: NetworkError) -> str:
    if exc.outcome_unknown and network is not None:
        try:
            found = _find_on_network(network, post)
        except NetworkError as read_exc:
            return _retry_or_fail(
                post, f"{exc.message} The portal could not check @{post.account.handle} yet ({read_exc.message})."
            )
        if found is not None:
            _record_published(post, found, reconciled=True)
            return Outcome.RECONCILED
        if exc.permanent:  # a duplicate of an older post of ours, not of this attempt
            _fail(post, exc.message)
            return Outcome.FAILED
    if isinstance(exc, ReconnectNeeded):
        SocialAccount.objects.filter(pk=post.account_id).update(
            status=SocialAccount.Status.ERROR, last_error=exc.message
        )
    if exc.permanent:
        _fail(post, exc.message)
        return Outcome.FAILED
    return _retry_or_fail(post, exc.message, retry_after=exc.retry_after)


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter, never sooner than the network asked."""
    ceiling = min(settings.PUBLISH_RETRY_BASE_SECONDS * 2 ** max(attempt - 1, 0), settings.PUBLISH_RETRY_MAX_SECONDS)
    delay = random.uniform(ceiling / 2, ceiling)
    return max(delay, retry_after or 0.0)


def _retry_or_fail(post: Post, message: str, *, retry_after: float | None = None) -> str:
    if post.publish_attempts >= settings.PUBLISH_MAX_ATTEMPTS:
        _fail(post, f"Gave up after {post.publish_attempts} attempts. The last problem: {message}")
        return Outcome.FAILED
    _schedule_retry(post, message, delay=backoff_seconds(post.publish_attempts, retry_after))
    return Outcome.RETRY


def _schedule_retry(post: Post, message: str, *, delay: float) -> None:
    retry_at = timezone.now() + timedelta(seconds=delay)
    with transaction.atomic():
        moved = transition(
            post,
            from_statuses=[PostStatus.PUBLISHING],
            to=PostStatus.SCHEDULED,
            action="post.publish_retry",
            data={"error": message, "attempt": post.publish_attempts, "retry_at": retry_at.isoformat()},
            missing_ok=True,
            retry_at=retry_at,
            publishing_started_at=None,
            last_publish_error=message,
        )
        if not moved:
            return
        # Short waits go straight to a worker; long ones (a rate-limit reset) to the sweep.
        if delay <= 15 * 60:
            transaction.on_commit(lambda: tasks.publish_post.apply_async((post.pk,), countdown=delay))


def _fail(post: Post, reason: str) -> None:
    with transaction.atomic():
        moved = transition(
            post,
            from_statuses=[PostStatus.PUBLISHING],
            to=PostStatus.FAILED,
            action="post.publish_failed",
            data={"reason": reason, "attempts": post.publish_attempts},
            missing_ok=True,
            failure_reason=reason,
            publishing_started_at=None,
            retry_at=None,
        )
        if not moved:
            return
        notifications.notify_failed(post)
        _after_settling(post)


# --- After a failure --------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryResult:
    post: Post
    message: str


def post_retry_publish(*, actor, post: Post) -> RetryResult:
    """The headteacher's "Try again" on a failed post: back in the queue at once, same approval.
    Consent and rules are checked again when the worker takes it."""
    if not may_approve_for(actor, post.account):
        raise PermissionDenied("Only the headteacher or a senior leader can retry publishing.")
    with transaction.atomic():
        transition(
            post,
            from_statuses=[PostStatus.FAILED],
            to=PostStatus.APPROVED,
            action="post.publish_retried",
            actor=actor,
            refusal="This post is no longer marked as failed. Reload the page to see where it is.",
            publish_at=None,
            retry_at=None,
            publish_attempts=0,
            failure_reason="",
            last_publish_error="",
        )
        enqueue_after_commit(post.pk)
    post.refresh_from_db()
    return RetryResult(post=post, message=f"Trying again now to publish on @{post.account.handle}.")
