"""The approvers' side of a post's life: approve (and hand over to the publisher), ask for
changes, reject, take down a published post, comment; and stopping a post whose consent changed."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership
from accounts.permissions import may_approve_for, may_draft_for
from audit.services import record
from consent.checks import ConsentCheck, Stage
from networks.base import NetworkError, PostNotFound
from networks.registry import get_network

from .. import notifications
from ..models import (
    PENDING_STATUSES,
    Post,
    PostComment,
    PostStatus,
    TakeDownRequest,
)
from ..outside import outside_label, reposted_content, unread_outside
from ..selectors_chains import may_review_post
from . import chains, copies, publishing
from .checks import PostBlocked, consent_check
from .destination_checks import DestinationsCheck, account_label, destinations_check
from .destination_checks import refuse_if_blocked as refuse_if_destinations_blocked
from .provenance import photo_provenance_problems
from .transitions import TransitionError, transition

REPOST_PICTURES_CONFIRMATION = "I have looked at the reposted post's pictures and they show no pupil without consent"
UNREAD_OUTSIDE_CONFIRMATION = (
    "I have opened the quoted post / linked page myself and it names or shows no pupil without consent"
)


def post_approve(
    *,
    actor: Membership,
    post: Post,
    publish_at: datetime | None = None,
    now: bool = False,
    confirm_unread_outside: bool = False,
    confirm_repost_pictures: bool = False,
) -> ConsentCheck:
    """Approve a submitted post, storing the consent it was approved under.

    When the portal could not read something the post sends out (the quoted post, a link's
    preview), nobody has checked those words for pupils, so the approver must say they have
    opened it themself (`confirm_unread_outside`); the audit entry records it. A repost whose
    post has pictures needs the same of them (`confirm_repost_pictures`): the portal reads their
    descriptions, not the faces in them.

    When it goes out: `now=True` publishes at once (even if the author had chosen a time);
    `publish_at` schedules it for that time; otherwise the author's chosen time stands, and
    with no time (or one that has passed) it publishes at once. Publishing itself is the
    workers' job (posts.services.publishing), started after this transaction commits.
    """
    state = chains.chain_state(post)
    if state is None and not may_approve_for(actor, post.account):
        raise PermissionDenied("You cannot approve posts for this account.")
    if post.author_id == actor.user_id:
        raise PermissionDenied("Nobody approves their own post: ask another senior leader.")
    capacity = chains.capacity_for(actor, state, verb="approve") if state is not None else None
    moment = timezone.now()
    if publish_at is not None and publish_at <= moment:
        raise TransitionError("The publish time has already passed. Choose a later time, or publish now.")
    check = consent_check(post, Stage.APPROVE)
    # Each other account the post goes to: its words, its network's rules, consent for it, and
    # whether it may still be posted to. One refusal names every problem, the post's own first.
    destinations = destinations_check(post, stage=Stage.APPROVE, lead_check=check)
    refuse_if_destinations_blocked([p for p in check.problems if p.severity == "block"], destinations)
    # Where the photos came from, again: the account's choice or a photo's credit may have
    # changed since the post was submitted.
    photo_blocks = [p for p in photo_provenance_problems(post, stage="approve") if p.severity == "block"]
    if photo_blocks:
        raise PostBlocked(" ".join(problem.message for problem in photo_blocks), photo_blocks)
    unread = unread_outside(post)
    if unread and not confirm_unread_outside:
        raise TransitionError(unread_outside_message(unread))
    confirmed = {"unread_outside_confirmed": [_unread_entry(row) for row in unread]} if unread else {}
    pictures = reposted_pictures(post)
    if pictures and not confirm_repost_pictures:
        raise TransitionError(
            f"The reposted post has {len(pictures)} picture{'s' if len(pictures) != 1 else ''}. Look at "
            f"{'them' if len(pictures) != 1 else 'it'}, then tick “{REPOST_PICTURES_CONFIRMATION}” to approve, "
            "or send the post back."
        )
    if pictures:
        confirmed["repost_pictures_confirmed"] = [each.get("url", "") for each in pictures]
    if now:
        when = None
    elif publish_at is not None:
        when = publish_at
    else:
        when = authors_time(post, moment)
    with transaction.atomic():
        # Approval in more than one step: a step that is not the last moves the post on (it stays
        # submitted); the last one approves it below, claiming it only at the step it was decided.
        among = None
        if state is not None:
            if not chains.approve_step(actor=actor, post=post, state=state, capacity=capacity, moment=moment):
                return check
            among = chains.this_step(post, state)
        approve_and_hand_over(
            actor=actor,
            post=post,
            check=check,
            when=when,
            moment=moment,
            data=confirmed,
            destinations=destinations,
            among=among,
        )
        notifications.notify_decision(post, decision="was approved")
    return check


def reposted_pictures(post: Post) -> list[dict]:
    """The pictures of the post a repost shares, as last read (none for other posts)."""
    row = reposted_content(post) if post.repost_url else None
    return list(row.media) if row is not None else []


def unread_outside_message(unread) -> str:
    what = ", ".join(outside_label(row) for row in unread)
    return (
        f"The portal could not read {what}, so nobody has checked it for pupils. Open it yourself, then tick "
        f"“{UNREAD_OUTSIDE_CONFIRMATION}” to approve, or send the post back."
    )


def _unread_entry(row) -> dict:
    return {"kind": row.kind, "url": row.url, "error": row.error, "text_last_read": row.text}


def authors_time(post: Post, moment: datetime) -> datetime | None:
    """The publish time the author chose, if it is still ahead."""
    chosen = Post.objects.filter(pk=post.pk).values_list("publish_at", flat=True).first()
    return chosen if chosen and chosen > moment else None


def approve_and_hand_over(
    *,
    actor: Membership,
    post: Post,
    check: ConsentCheck,
    when: datetime | None,
    moment: datetime,
    action: str = "post.approved",
    data: dict | None = None,
    destinations: DestinationsCheck | None = None,
    among=None,
) -> list[Post]:
    """What every approval does once its checks have passed (an approver's, or trip mode's):
    claim the submitted post, store the consent it was approved under, audit it, make its copy
    for each other account it goes to (`destinations`, as checked), and hand the post and its
    copies, when due now, to the publisher once the transaction commits. Returns the copies."""
    if destinations is None:  # a caller that has not checked the post's other accounts: check them now
        destinations = destinations_check(post, stage=Stage.APPROVE, lead_check=check)
        refuse_if_destinations_blocked([], destinations)
    with transaction.atomic():
        transition(
            post,
            from_statuses=[PostStatus.SUBMITTED],
            to=PostStatus.SCHEDULED if when else PostStatus.APPROVED,
            action=action,
            actor=actor,
            data={**(data or {}), "publish_at": when.isoformat() if when else None, "consent": check.snapshot},
            decided_by=actor.user,
            decided_at=moment,
            consent_snapshot=check.snapshot,
            publish_at=when,
            among=among,
        )
        # After the claim: of two approvals at once, only the one whose UPDATE won gets here.
        made = (
            copies.make_copies(post=post, actor=actor, destinations=destinations, moment=moment, when=when)
            if destinations.reports
            else []
        )
        if when is None:
            for each in (post, *made):
                publishing.enqueue_after_commit(each.pk)
    return made


def _step_decider(actor: Membership, post: Post):
    """For an account with a chain: its state and how `actor` may decide the current step (or
    PermissionDenied); for one without: (None, None) once `may_approve_for` allows it."""
    state = chains.chain_state(post)
    if state is None:
        if not may_approve_for(actor, post.account):
            raise PermissionDenied("You cannot review posts for this account.")
        return None, None
    return state, chains.capacity_for(actor, state)


def _end_round(actor, post, state, capacity, outcome, comment) -> tuple[dict, object]:
    """A chain's decision that ends the round at any step: recorded, and the claim narrowed to the step."""
    if state is None:
        return {}, None
    data = chains.end_round(actor=actor, post=post, state=state, capacity=capacity, outcome=outcome, comment=comment)
    return data, chains.this_step(post, state)


def post_request_changes(*, actor: Membership, post: Post, comment: str) -> None:
    state, capacity = _step_decider(actor, post)
    if not comment.strip():
        raise TransitionError("Say what needs changing, so the author knows what to do.")
    with transaction.atomic():
        data, among = _end_round(actor, post, state, capacity, "changes_requested", comment.strip())
        transition(
            post,
            from_statuses=[PostStatus.SUBMITTED],
            to=PostStatus.DRAFT,
            action="post.changes_requested",
            actor=actor,
            data=data or None,
            among=among,
            decided_by=actor.user,
        )
        PostComment.objects.create(
            post=post, author=actor.user, kind=PostComment.Kind.CHANGES_REQUESTED, body=comment.strip()
        )
        notifications.notify_decision(post, decision="needs changes", note=comment.strip())


def post_reject(*, actor: Membership, post: Post, reason: str) -> None:
    state, capacity = _step_decider(actor, post)
    if not reason.strip():
        raise TransitionError("Give the author a reason for the rejection.")
    with transaction.atomic():
        data, among = _end_round(actor, post, state, capacity, "rejected", reason.strip())
        transition(
            post,
            from_statuses=[PostStatus.SUBMITTED],
            to=PostStatus.REJECTED,
            action="post.rejected",
            actor=actor,
            data=data or None,
            among=among,
            decided_by=actor.user,
            decided_at=timezone.now(),
        )
        PostComment.objects.create(post=post, author=actor.user, kind=PostComment.Kind.REJECTION, body=reason.strip())
        notifications.notify_decision(post, decision="was not approved", note=reason.strip())


def post_stop_for_consent(*, post: Post, reason: str) -> bool:
    """Consent changed under a post on its way out: send it back to its author as a draft.

    Returns False when the post had already moved on (published or publishing), in which case
    the publish-time re-check or a take-down request handles it.
    """
    with transaction.atomic():
        if not transition(
            post,
            from_statuses=PENDING_STATUSES,
            to=PostStatus.DRAFT,
            action="post.stopped_for_consent",
            data={"reason": reason},
            missing_ok=True,
        ):
            return False
        PostComment.objects.create(post=post, kind=PostComment.Kind.SYSTEM, body=reason)
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
        network = get_network(post.account)
        if post.repost_url:
            network.undo_repost(post.external_id, publishing.reposted_id(post))
        else:
            network.delete(post.external_id)
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
        transition(
            post,
            from_statuses=[PostStatus.PUBLISHED],
            to=PostStatus.TAKEN_DOWN,
            action="post.taken_down",
            actor=actor,
            taken_down_at=now,
        )
        TakeDownRequest.objects.filter(post=post, resolved_at__isnull=True).update(
            outcome=TakeDownRequest.Outcome.TAKEN_DOWN, outcome_message="", resolved_by=actor.user, resolved_at=now
        )


def post_comment(*, actor: Membership, post: Post, body: str) -> PostComment:
    """Add to a post's conversation. The author, whoever drafts for its account, and the approvers may."""
    on_staff = actor.is_active and actor.school_id == post.account.school_id
    involved = (
        post.author_id == actor.user_id
        or may_draft_for(actor, post.account)
        or may_approve_for(actor, post.account)
        or may_review_post(actor, post)
    )
    if not (on_staff and involved):
        raise PermissionDenied("Only the author, their class team and the school's approvers can comment on this post.")
    comment = PostComment(post=post, author=actor.user, kind=PostComment.Kind.COMMENT, body=body.strip())
    with transaction.atomic():
        comment.full_clean()
        comment.save()
        # The comment's words stay in the thread; the audit trail says only that one was added.
        record(
            action="post.commented",
            actor=actor.user,
            school=post.account.school,
            target=post,
            data={"comment_id": comment.pk},
        )
    return comment


@dataclass(frozen=True)
class TakeDownEverywhere:
    """What "Take down everywhere" did: the accounts it came down from and those it did not (why)."""

    taken_down: list[str]
    failed: list[tuple[str, str]]

    @property
    def message(self) -> str:
        parts = []
        if self.taken_down:
            parts.append(f"Taken down from {', '.join(self.taken_down)}.")
        for label, reason in self.failed:
            parts.append(f"Still up on {label}: {reason} Try again from this page, or remove it on the network itself.")
        return " ".join(parts) or "Nothing was published, so there was nothing to take down."


def post_take_down_everywhere(*, actor: Membership, post: Post) -> TakeDownEverywhere:
    """Take down a post and every published copy of it for its other accounts, each through its
    own network, one at a time, outside any transaction: one network refusing does not stop the
    others, and the result says which came down and which did not."""
    if not may_approve_for(actor, post.account):
        raise PermissionDenied("Only the headteacher or a senior leader can take a post down.")
    lead_id = post.part_of_id or post.pk
    group = sorted(
        (Post.objects.filter(pk=lead_id) | Post.objects.filter(part_of_id=lead_id))
        .filter(status=PostStatus.PUBLISHED, account__school_id=actor.school_id)
        .select_related("account__school"),
        key=lambda each: (each.part_of_id is not None, each.pk),  # the post itself first, then its copies
    )
    taken_down, failed = [], []
    for each in group:
        label = account_label(each.account)
        try:
            post_take_down(actor=actor, post=each)
        except (TakeDownFailed, TransitionError) as exc:
            failed.append((label, str(exc)))
        else:
            taken_down.append(label)
    result = TakeDownEverywhere(taken_down=taken_down, failed=failed)
    if group:
        lead = post if post.pk == lead_id else Post.objects.select_related("account__school").get(pk=lead_id)
        with transaction.atomic():
            record(
                action="post.taken_down_everywhere",
                actor=actor.user,
                school=lead.account.school,
                target=lead,
                data={"taken_down": taken_down, "failed": [{"account": label, "error": e} for label, e in failed]},
            )
    return result
