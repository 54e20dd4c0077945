"""Every change to a post's status happens here.

Each transition checks the actor's permission and the source status, runs in a transaction,
claims the row with a conditional UPDATE (so of two approvers acting at once, one wins and
the other is told), and writes the audit trail.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import Membership, SocialAccount
from accounts.permissions import may_approve_for, may_draft_for
from audit.services import record
from consent.checks import ConsentCheck, Stage, check_post_consent
from networks.base import NetworkError, PostNotFound
from networks.registry import get_network

from . import notifications
from .images import prepare_image
from .models import (
    PENDING_STATUSES,
    FaceRegion,
    Post,
    PostComment,
    PostImage,
    PostRevision,
    PostStatus,
    TakeDownRequest,
)
from .outside import FRESH_FOR, outside_label, post_read_outside_content, text_links, unread_outside
from .selectors import consent_content, with_content
from .tweet_text import TWITTER_TEXT_V3, is_valid_length, weighted_length

try:
    from moderation.engine import check_text as _check_text
except ImportError:  # the rules engine is optional: without it, submitting skips the school's wording rules
    _check_text = None


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
    # A quote or link never read (a post made by a script, or before links were read) is read
    # now: the check must see every word the post sends out. The compose page and "Send for
    # approval" have read them already, so this makes no network call on their way.
    post_read_outside_content(post=post, missing_only=True)
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
        from .delegation import post_approve_if_on_trip  # trip mode: approved on the author's authority

        if not post_approve_if_on_trip(actor=actor, post=post):
            notifications.notify_submitted(post)
    return check


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
) -> ConsentCheck:
    """Approve a submitted post, storing the consent it was approved under.

    When the portal could not read something the post sends out (the quoted post, a link's
    preview), nobody has checked those words for pupils, so the approver must say they have
    opened it themself (`confirm_unread_outside`); the audit entry records it.

    When it goes out: `now=True` publishes at once (even if the author had chosen a time);
    `publish_at` schedules it for that time; otherwise the author's chosen time stands, and
    with no time (or one that has passed) it publishes at once. Publishing itself is the
    workers' job (posts.publishing), started after this transaction commits.
    """
    if not may_approve_for(actor, post.account):
        raise PermissionDenied("You cannot approve posts for this account.")
    if post.author_id == actor.user_id:
        raise PermissionDenied("Nobody approves their own post: ask another senior leader.")
    moment = timezone.now()
    if publish_at is not None and publish_at <= moment:
        raise TransitionError("The publish time has already passed. Choose a later time, or publish now.")
    check = _consent_check(post, Stage.APPROVE)
    _refuse_if_blocked(check)
    unread = unread_outside(post)
    if unread and not confirm_unread_outside:
        raise TransitionError(unread_outside_message(unread))
    confirmed = {"unread_outside_confirmed": [_unread_entry(row) for row in unread]} if unread else None
    if now:
        when = None
    elif publish_at is not None:
        when = publish_at
    else:
        when = authors_time(post, moment)
    with transaction.atomic():
        approve_and_hand_over(actor=actor, post=post, check=check, when=when, moment=moment, data=confirmed)
        notifications.notify_decision(post, decision="was approved")
    return check


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
) -> None:
    """What every approval does once its checks have passed (an approver's, or trip mode's):
    claim the submitted post, store the consent it was approved under, audit it, and hand a
    post due now to the publisher once the transaction commits."""
    with transaction.atomic():
        _claim(
            post,
            from_statuses=[PostStatus.SUBMITTED],
            to=PostStatus.SCHEDULED if when else PostStatus.APPROVED,
            decided_by=actor.user,
            decided_at=moment,
            consent_snapshot=check.snapshot,
            publish_at=when,
        )
        record(
            action=action,
            actor=actor.user,
            school=post.account.school,
            target=post,
            data={**(data or {}), "publish_at": when.isoformat() if when else None, "consent": check.snapshot},
        )
        if when is None:
            from .publishing import enqueue_after_commit

            enqueue_after_commit(post.pk)


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
        notifications.notify_decision(post, decision="needs changes", note=comment.strip())


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
        notifications.notify_decision(post, decision="was not approved", note=reason.strip())


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


def post_comment(*, actor: Membership, post: Post, body: str) -> PostComment:
    """Add to a post's conversation. The author, whoever drafts for its account, and the approvers may."""
    on_staff = actor.is_active and actor.school_id == post.account.school_id
    involved = (
        post.author_id == actor.user_id or may_draft_for(actor, post.account) or may_approve_for(actor, post.account)
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


# Composing: drafts, edits and photos, for the compose page (posts/views_compose.py).
#
# The author changes a post while it is a draft. A post waiting for approval can be changed
# too: the change takes it back to the author's drafts (a conditional UPDATE, so an approver
# who acts at the same moment either wins or is told), and it is submitted again. Changes made
# after the first submission are kept as PostRevision rows, so the approver and the author see
# what changed since the approver last looked.

MAX_PHOTOS = 4
MAX_ALT_TEXT_CHARS = 1000
POST_LENGTH_LIMIT = TWITTER_TEXT_V3.max_weighted_length
EMPTY_POST = "Write something or add a photo."
TOO_MANY_PHOTOS = "A post can have at most 4 photos."
_EDITABLE_STATUSES = (PostStatus.DRAFT, PostStatus.SUBMITTED)
_ORIGINAL_EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "HEIF": ".heic", "WEBP": ".webp", "GIF": ".gif"}


class ContentRefused(Exception):
    """The change cannot be made (a fifth photo, a description that is too long); the message says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ContentProblem:
    """Something in the post itself that stops it being submitted. Shaped like a consent
    problem (`.message`, `.severity`), so PostBlocked carries both kinds alike."""

    code: str
    message: str
    severity: str = "block"


def post_length_problem(text: str) -> str | None:
    """Why X would refuse this text as a post's text, or None. Empty text is the caller's question."""
    length = weighted_length(text)
    if length > POST_LENGTH_LIMIT:
        over = length - POST_LENGTH_LIMIT
        return (
            f"Your post is {length} characters long and the limit is {POST_LENGTH_LIMIT}. "
            f"Take out {over} character{'s' if over != 1 else ''}."
        )
    if text and not is_valid_length(text):
        return "Your text contains an invisible character that X does not accept. Retype the text, or paste it again."
    return None


def post_content_problems(post: Post) -> list[ContentProblem]:
    """What must change before the post can be submitted: it says nothing, it is too long, or a
    photo has no description."""
    photos = list(post.images.all())
    problems = []
    if not post.text.strip() and not photos:
        problems.append(ContentProblem("empty", EMPTY_POST))
    too_long = post_length_problem(post.text)
    if too_long:
        problems.append(ContentProblem("length", too_long))
    for number, photo in enumerate(photos, start=1):
        if not photo.alt_text.strip():
            problems.append(ContentProblem("alt_text", f"Describe photo {number} for people who cannot see it."))
    return problems


def rules_findings(
    *, text: str, school=None, account: SocialAccount | None = None, has_images: bool = False
) -> list | None:
    """The school's rules' findings about the text (for `account` when given), or None while
    the rules engine is not installed."""
    if _check_text is None:
        return None
    return _check_text(text, school=school or account.school, account=account, has_images=has_images)


def post_draft_create(
    *,
    actor: Membership,
    account: SocialAccount,
    client_token: uuid.UUID,
    text: str = "",
    quote_url: str = "",
    publish_at: datetime | None = None,
) -> tuple[Post, bool]:
    """A new draft from the "New post" form; `(post, created)`.

    The form carries a one-time token, stored on the draft: the same form posted twice (a
    double tap, a resent request) finds the first draft instead of making a second one.
    """
    existing = Post.objects.select_related("account").filter(client_token=client_token).first()
    if existing is not None:
        return _same_author(actor, existing), False
    if not may_draft_for(actor, account):
        raise PermissionDenied("You do not post for this account.")
    post = Post(
        account=account,
        author=actor.user,
        text=text,
        quote_url=quote_url,
        publish_at=publish_at,
        client_token=client_token,
    )
    post.full_clean(validate_unique=False)  # the token's uniqueness is the database's to decide, below
    try:
        with transaction.atomic():
            post.save()
            record(action="post.created", actor=actor.user, school=account.school, target=post)
    except IntegrityError:
        # The other copy of the request inserted first: its draft is this one.
        existing = Post.objects.select_related("account").filter(client_token=client_token).first()
        if existing is None:
            raise
        return _same_author(actor, existing), False
    if post.quote_url or text_links(post.text):
        post_read_outside_content(post=post, fresh_for=FRESH_FOR)
    return post, True


def _same_author(actor: Membership, post: Post) -> Post:
    if post.author_id != actor.user_id or post.account.school_id != actor.school_id:
        raise PermissionDenied("That form belongs to someone else's post.")
    return post


def post_edit_check(*, actor: Membership, post: Post) -> None:
    """Raise unless `actor` may change this post's text and photos now.

    PermissionDenied: not the author, or no longer posting for the account.
    TransitionError: the post has gone past approval.
    """
    account = post.account
    if actor is None or not actor.is_active or actor.school_id != account.school_id:
        raise PermissionDenied("This post belongs to another school.")
    if post.author_id != actor.user_id:
        raise PermissionDenied("Only the author can change this post.")
    if not may_draft_for(actor, account):
        raise PermissionDenied("You no longer post for this account, so you cannot change this post.")
    if post.status not in _EDITABLE_STATUSES:
        raise TransitionError(f"This post is {post.get_status_display().lower()}, so it can no longer be changed.")


def _locked_for_edit(actor: Membership, post: Post) -> Post:
    """Inside a transaction: the post re-read with its row locked, and checked again."""
    current = Post.objects.select_for_update().select_related("account__school").get(pk=post.pk)
    post_edit_check(actor=actor, post=current)
    return current


def _reopen_if_submitted(actor: Membership, post: Post) -> None:
    """A change to a post waiting for approval takes it back to the author's drafts."""
    if post.status != PostStatus.SUBMITTED:
        return
    _claim(post, from_statuses=[PostStatus.SUBMITTED], to=PostStatus.DRAFT)
    PostComment.objects.create(
        post=post,
        kind=PostComment.Kind.SYSTEM,
        body=f"{actor.user} changed the post while it was waiting for approval, so it is a draft again "
        "until they submit it.",
    )
    record(action="post.reopened", actor=actor.user, school=post.account.school, target=post)


def _revise(post: Post, actor: Membership, changes: list[tuple[str, str, str]]) -> list[PostRevision]:
    """Keep the changes made after the post was first submitted; earlier drafting is not history."""
    if post.submitted_at is None or not changes:
        return []
    return PostRevision.objects.bulk_create(
        PostRevision(post=post, edited_by=actor.user, what=what, before=before, after=after)
        for what, before, after in changes
    )


def _shown_time(moment: datetime | None) -> str:
    if moment is None:
        return "As soon as it is approved"
    return date_format(timezone.localtime(moment), "j F Y, H:i")


def post_update(
    *,
    actor: Membership,
    post: Post,
    text: str,
    quote_url: str = "",
    publish_at: datetime | None = None,
) -> list[PostRevision]:
    """Change a post's text, quoted post and publish time. Returns the revisions kept (none
    before the first submission, or when nothing changed)."""
    with transaction.atomic():
        current = _locked_for_edit(actor, post)
        changes = []
        if current.text != text:
            changes.append((PostRevision.What.TEXT, current.text, text))
        if current.quote_url != quote_url:
            changes.append((PostRevision.What.QUOTE_URL, current.quote_url, quote_url))
        if current.publish_at != publish_at:
            changes.append((PostRevision.What.PUBLISH_AT, _shown_time(current.publish_at), _shown_time(publish_at)))
        if not changes:
            return []
        _reopen_if_submitted(actor, current)
        current.text, current.quote_url, current.publish_at = text, quote_url, publish_at
        current.full_clean(validate_unique=False)
        current.save(update_fields=["text", "quote_url", "publish_at", "updated_at"])
        revisions = _revise(current, actor, changes)
        record(
            action="post.edited",
            actor=actor.user,
            school=current.account.school,
            target=current,
            data={"changed": [what for what, _, _ in changes]},
        )
    post.text, post.quote_url, post.publish_at = text, quote_url, publish_at
    post.status, post.updated_at = current.status, current.updated_at
    if any(what in (PostRevision.What.TEXT, PostRevision.What.QUOTE_URL) for what, _, _ in changes):
        # After the commit: reading a link is a network call.
        post_read_outside_content(post=post, fresh_for=FRESH_FOR)
    return revisions


def post_add_image(*, actor: Membership, post: Post, data: bytes, alt_text: str = "") -> PostImage:
    """Add a photo: checked and cleaned by `prepare_image` (ImageRejected says why not), kept as
    the private original, the publishable rendition and a thumbnail, with the faces the
    detector found waiting to be resolved."""
    post_edit_check(actor=actor, post=post)
    if PostImage.objects.filter(post=post).count() >= MAX_PHOTOS:
        raise ContentRefused(TOO_MANY_PHOTOS)
    alt_text = _clean_alt_text(alt_text, number=None)
    prepared = prepare_image(data)  # slow (decoding, faces): before any transaction

    image = PostImage(post=post, width=prepared.width, height=prepared.height, alt_text=alt_text)
    # Random names: a file name says nothing about the school or the pupils.
    stem = uuid.uuid4().hex
    try:
        image.original.save(stem + _ORIGINAL_EXTENSIONS.get(prepared.source_format, ""), ContentFile(data), save=False)
        image.rendition.save(f"{stem}.jpg", ContentFile(prepared.jpeg), save=False)
        if prepared.thumbnail:
            image.thumbnail.save(f"{stem}.jpg", ContentFile(prepared.thumbnail), save=False)
        with transaction.atomic():
            current = _locked_for_edit(actor, post)
            count = current.images.count()
            if count >= MAX_PHOTOS:  # another upload for this post got there first
                raise ContentRefused(TOO_MANY_PHOTOS)
            _reopen_if_submitted(actor, current)
            image.post, image.position = current, count
            image.save()
            FaceRegion.objects.bulk_create(
                FaceRegion(image=image, x=x, y=y, w=w, h=h, source=FaceRegion.Source.DETECTED)
                for x, y, w, h in prepared.faces
            )
            _revise(current, actor, [(PostRevision.What.PHOTO_ADDED, "", f"Photo {count + 1}")])
            record(
                action="post.photo_added",
                actor=actor.user,
                school=current.account.school,
                target=current,
                data={"image_id": image.pk, "faces_found": len(prepared.faces), "format": prepared.source_format},
            )
    except BaseException:
        _delete_files([f.name for f in (image.original, image.rendition, image.thumbnail) if f])
        raise
    post.status = current.status
    return image


def post_remove_image(*, actor: Membership, image: PostImage) -> None:
    """Remove a photo and its files. The photos after it move up one place."""
    with transaction.atomic():
        current = _locked_for_edit(actor, image.post)
        photos = list(current.images.order_by("position", "pk"))
        removed = next((photo for photo in photos if photo.pk == image.pk), None)
        if removed is None:  # already removed, by another tab or a repeated request
            return
        _reopen_if_submitted(actor, current)
        number = photos.index(removed) + 1
        files = [f.name for f in (removed.original, removed.rendition, removed.thumbnail) if f]
        removed.delete()
        for position, photo in enumerate(p for p in photos if p.pk != removed.pk):
            if photo.position != position:
                PostImage.objects.filter(pk=photo.pk).update(position=position)
        _revise(current, actor, [(PostRevision.What.PHOTO_REMOVED, _photo_label(number, removed.alt_text), "")])
        record(
            action="post.photo_removed",
            actor=actor.user,
            school=current.account.school,
            target=current,
            data={"image_id": image.pk},
        )
        # The files go only once the removal is certain.
        transaction.on_commit(lambda: _delete_files(files))
    image.post.status = current.status


def post_set_alt_text(*, actor: Membership, image: PostImage, alt_text: str) -> bool:
    """Describe a photo for people who cannot see it. Returns whether anything changed."""
    with transaction.atomic():
        current = _locked_for_edit(actor, image.post)
        photos = list(current.images.order_by("position", "pk"))
        photo = next((p for p in photos if p.pk == image.pk), None)
        if photo is None:
            raise ContentRefused("That photo has been removed from the post.")
        number = photos.index(photo) + 1
        alt_text = _clean_alt_text(alt_text, number=number)
        if photo.alt_text == alt_text:
            return False
        _reopen_if_submitted(actor, current)
        PostImage.objects.filter(pk=photo.pk).update(alt_text=alt_text)
        _revise(
            current,
            actor,
            [(PostRevision.What.ALT_TEXT, _photo_label(number, photo.alt_text), _photo_label(number, alt_text))],
        )
        record(
            action="post.alt_text_changed",
            actor=actor.user,
            school=current.account.school,
            target=current,
            data={"image_id": photo.pk},
        )
    image.alt_text = alt_text
    image.post.status = current.status
    return True


def post_send_for_approval(*, actor: Membership, post: Post) -> ConsentCheck:
    """Submit from the compose page: the post's own content first (something to say, within
    the length, every photo described), then the school's rules, then `post_submit` and its
    consent check. PostBlocked lists every problem found, each with a message for the author.

    First, outside any transaction, whatever the post sends out that has not been read yet
    (the quoted post, link previews) is read, so the approver sees it."""
    post_edit_check(actor=actor, post=post)
    post_read_outside_content(post=post, only_unread=True)
    with transaction.atomic():
        # The lock makes an edit in another tab wait until this submission has been decided.
        current = _locked_for_edit(actor, post)
        problems = post_content_problems(current)
        findings = rules_findings(text=current.text, account=current.account, has_images=current.images.exists())
        if findings is not None:
            problems += [
                ContentProblem(f"rule:{finding.rule}", finding.message)
                for finding in findings
                if finding.severity == "block"
            ]
        if problems:
            raise PostBlocked(" ".join(problem.message for problem in problems), problems)
        if findings is not None:
            current.findings = [
                {
                    "rule": finding.rule,
                    "severity": finding.severity,
                    "message": finding.message,
                    "start": finding.start,
                    "end": finding.end,
                }
                for finding in findings
            ]
            current.save(update_fields=["findings"])
        return post_submit(actor=actor, post=post)


def _clean_alt_text(alt_text: str, *, number: int | None) -> str:
    alt_text = alt_text.strip()
    if len(alt_text) > MAX_ALT_TEXT_CHARS:
        which = f"photo {number}" if number else "the photo"
        raise ContentRefused(
            f"Keep the description of {which} under {MAX_ALT_TEXT_CHARS:,} characters (it is {len(alt_text):,})."
        )
    return alt_text


def _photo_label(number: int, alt_text: str) -> str:
    return f"Photo {number}: {alt_text}" if alt_text else f"Photo {number} (no description)"


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)
