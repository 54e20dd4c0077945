"""Every change to a post's status happens here.

Each transition checks the actor's permission and the source status, runs in a transaction,
claims the row with a conditional UPDATE (so of two approvers acting at once, one wins and
the other is told), and writes the audit trail.
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, SocialAccount
from accounts.networks.base import NetworkError, PostNotFound
from accounts.networks.registry import get_network
from accounts.permissions import may_approve_for, may_draft_for
from audit.services import record
from consent.checks import ConsentCheck, Stage, check_post_consent

from .models import PENDING_STATUSES, Post, PostComment, PostStatus, TakeDownRequest
from .selectors import consent_content, with_content


class TransitionError(Exception):
    """The post is not in a state that allows this; the message says what happened instead."""


class PostBlocked(Exception):
    """The checks refuse the post. `.problems` lists why, each with a message for the author."""

    def __init__(self, message: str, problems):
        super().__init__(message)
        self.problems = problems


def _claim(post: Post, *, from_statuses, to: str, **fields) -> None:
    """Move the post from one of `from_statuses` to `to`, or say who got there first."""
    updated = Post.objects.filter(pk=post.pk, status__in=list(from_statuses)).update(
        status=to, updated_at=timezone.now(), **fields
    )
    if updated != 1:
        current = Post.objects.filter(pk=post.pk).values_list("status", flat=True).first()
        label = PostStatus(current).label.lower() if current else "deleted"
        raise TransitionError(f"This post is now {label}, so that cannot be done. Reload the page to see it.")
    post.status = to
    for name, value in fields.items():
        setattr(post, name, value)


def _consent_check(post: Post, stage: Stage) -> ConsentCheck:
    post = with_content(Post.objects.filter(pk=post.pk)).select_related("account").get()
    return check_post_consent(consent_content(post), stage=stage)


def _refuse_if_blocked(check: ConsentCheck) -> None:
    if not check.allowed:
        blocks = [p for p in check.problems if p.severity == "block"]
        raise PostBlocked(" ".join(p.message for p in blocks), blocks)


def post_create(
    *,
    actor: Membership,
    account: SocialAccount,
    text: str = "",
    quote_url: str = "",
    publish_at: datetime | None = None,
) -> Post:
    if not may_draft_for(actor, account):
        raise PermissionDenied("You do not post for this account.")
    post = Post(account=account, author=actor.user, text=text, quote_url=quote_url, publish_at=publish_at)
    with transaction.atomic():
        post.full_clean()
        post.save()
        record(action="post.created", actor=actor.user, school=account.school, target=post)
    return post


def post_submit(*, actor: Membership, post: Post) -> ConsentCheck:
    """Send a draft to the approvers. Consent problems that block stop it here, with reasons."""
    if post.author_id != actor.user_id or not may_draft_for(actor, post.account):
        raise PermissionDenied("Only the author can submit this post.")
    check = _consent_check(post, Stage.SUBMIT)
    _refuse_if_blocked(check)
    with transaction.atomic():
        _claim(post, from_statuses=[PostStatus.DRAFT], to=PostStatus.SUBMITTED, submitted_at=timezone.now())
        record(action="post.submitted", actor=actor.user, school=post.account.school, target=post)
    return check


def post_approve(*, actor: Membership, post: Post, publish_at: datetime | None = None) -> ConsentCheck:
    """Approve a submitted post, storing the consent it was approved under."""
    if not may_approve_for(actor, post.account):
        raise PermissionDenied("You cannot approve posts for this account.")
    if post.author_id == actor.user_id:
        raise PermissionDenied("Nobody approves their own post: ask another senior leader.")
    if publish_at is not None and publish_at <= timezone.now():
        raise TransitionError("The publish time has already passed. Choose a later time, or publish now.")
    check = _consent_check(post, Stage.APPROVE)
    _refuse_if_blocked(check)
    with transaction.atomic():
        _claim(
            post,
            from_statuses=[PostStatus.SUBMITTED],
            to=PostStatus.SCHEDULED if publish_at else PostStatus.APPROVED,
            decided_by=actor.user,
            decided_at=timezone.now(),
            consent_snapshot=check.snapshot,
            **({"publish_at": publish_at} if publish_at else {}),
        )
        record(
            action="post.approved",
            actor=actor.user,
            school=post.account.school,
            target=post,
            data={"publish_at": publish_at.isoformat() if publish_at else None, "consent": check.snapshot},
        )
    return check


def post_request_changes(*, actor: Membership, post: Post, comment: str) -> None:
    if not may_approve_for(actor, post.account):
        raise PermissionDenied("You cannot review posts for this account.")
    if not comment.strip():
        raise TransitionError("Say what needs changing, so the author knows what to do.")
    with transaction.atomic():
        _claim(post, from_statuses=[PostStatus.SUBMITTED], to=PostStatus.DRAFT, decided_by=actor.user)
        PostComment.objects.create(
            post=post, author=actor.user, kind=PostComment.Kind.CHANGES_REQUESTED, body=comment.strip()
        )
        record(action="post.changes_requested", actor=actor.user, school=post.account.school, target=post)


def post_reject(*, actor: Membership, post: Post, reason: str) -> None:
    if not may_approve_for(actor, post.account):
        raise PermissionDenied("You cannot review posts for this account.")
    if not reason.strip():
        raise TransitionError("Give the author a reason for the rejection.")
    with transaction.atomic():
        _claim(
            post,
            from_statuses=[PostStatus.SUBMITTED],
            to=PostStatus.REJECTED,
            decided_by=actor.user,
            decided_at=timezone.now(),
        )
        PostComment.objects.create(post=post, author=actor.user, kind=PostComment.Kind.REJECTION, body=reason.strip())
        record(action="post.rejected", actor=actor.user, school=post.account.school, target=post)


def post_withdraw(*, actor: Membership, post: Post) -> None:
    """The author takes back a post that has not gone out yet."""
    if post.author_id != actor.user_id:
        raise PermissionDenied("Only the author can withdraw this post.")
    with transaction.atomic():
        _claim(post, from_statuses=[PostStatus.DRAFT, *PENDING_STATUSES], to=PostStatus.WITHDRAWN)
        record(action="post.withdrawn", actor=actor.user, school=post.account.school, target=post)


def post_stop_for_consent(*, post: Post, reason: str) -> bool:
    """Consent changed under a post on its way out: send it back to its author as a draft.

    Returns False when the post had already moved on (published or publishing), in which case
    the publish-time re-check or a take-down request handles it.
    """
    with transaction.atomic():
        try:
            _claim(post, from_statuses=PENDING_STATUSES, to=PostStatus.DRAFT)
        except TransitionError:
            return False
        PostComment.objects.create(post=post, kind=PostComment.Kind.SYSTEM, body=reason)
        record(action="post.stopped_for_consent", school=post.account.school, target=post, data={"reason": reason})
    return True


class TakeDownFailed(Exception):
    """The network would not delete the post; the message says why, the request stays open."""


def post_take_down(*, actor: Membership, post: Post) -> None:
    """Delete a published post from its network, then record it. The network call is made
    outside any transaction; a post the network no longer has counts as taken down."""
    if not may_approve_for(actor, post.account):
        raise PermissionDenied("Only the headteacher or a senior leader can take a post down.")
    if post.status != PostStatus.PUBLISHED:
        raise TransitionError(f"This post is {post.get_status_display().lower()}, not published.")
    try:
        get_network(post.account).delete(post.external_id)
    except PostNotFound:
        pass
    except NetworkError as exc:
        with transaction.atomic():
            TakeDownRequest.objects.filter(post=post, resolved_at__isnull=True).update(outcome_message=exc.message)
            record(
                action="post.take_down_failed",
                actor=actor.user,
                school=post.account.school,
                target=post,
                data={"error": exc.message, "permanent": exc.permanent},
            )
        raise TakeDownFailed(f"The network did not remove the post: {exc.message}") from exc
    now = timezone.now()
    with transaction.atomic():
        _claim(post, from_statuses=[PostStatus.PUBLISHED], to=PostStatus.TAKEN_DOWN, taken_down_at=now)
        TakeDownRequest.objects.filter(post=post, resolved_at__isnull=True).update(
            outcome=TakeDownRequest.Outcome.TAKEN_DOWN, outcome_message="", resolved_by=actor.user, resolved_at=now
        )
        record(action="post.taken_down", actor=actor.user, school=post.account.school, target=post)
