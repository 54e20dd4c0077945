"""The author's side of a post's life: drafts, edits, photos and their descriptions, sending for
approval (submit) and withdrawing.

The author changes a post while it is a draft. A post waiting for approval can be changed
too: the change takes it back to the author's drafts (a conditional UPDATE, so an approver
who acts at the same moment either wins or is told), and it is submitted again. Changes made
after the first submission are kept as PostRevision rows, so the approver and the author see
what changed since the approver last looked.
"""

import contextlib
import errno
import logging
import uuid
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import Membership, SocialAccount
from accounts.permissions import may_draft_for
from accounts.services_devices import device_from_cookie
from audit.services import record
from consent.checks import ConsentCheck, Stage
from policy_portal.storage import PHOTO_STORE_DOWN, is_store_failure

from .. import notifications
from ..images import prepare_image
from ..metadata import ORIGINAL_EXTENSIONS
from ..models import (
    PENDING_STATUSES,
    FaceRegion,
    PhotoSource,
    Post,
    PostComment,
    PostImage,
    PostRevision,
    PostStatus,
)
from ..outside import FRESH_FOR, post_read_outside_content, text_links
from . import chains
from .checks import (
    ContentProblem,
    PostBlocked,
    consent_check,
    post_content_problems,
    post_rules_findings,
)
from .destination_checks import destinations_check
from .destination_checks import refuse_if_blocked as refuse_if_destinations_blocked
from .provenance import device_refused, not_from_device_refusal, source_in_words
from .stored_files import files_discard, files_not_shared, photo_files
from .transitions import TransitionError, transition
from .trip_mode import post_approve_if_on_trip


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
    """Send a draft to the approvers. Consent problems that block stop it here, with reasons,
    for the post's own words and for each other account it goes to (its destinations)."""
    if post.author_id != actor.user_id or not may_draft_for(actor, post.account):
        raise PermissionDenied("Only the author can submit this post.")
    check = consent_check(post, Stage.SUBMIT)
    destinations = destinations_check(post, stage=Stage.SUBMIT, author=actor, lead_check=check)
    refuse_if_destinations_blocked([p for p in check.problems if p.severity == "block"], destinations)
    moment = timezone.now()
    with transaction.atomic():
        transition(
            post,
            from_statuses=[PostStatus.DRAFT],
            to=PostStatus.SUBMITTED,
            action="post.submitted",
            actor=actor,
            submitted_at=moment,
            **chains.submission_fields(post, moment),
        )
        # Trip mode: approved on the author's authority. Otherwise the approvers hear of it: with
        # approval in more than one step, only the first step's.
        if not post_approve_if_on_trip(actor=actor, post=post) and not chains.after_submission(post):
            notifications.notify_submitted(post)
    return check


def post_withdraw(*, actor: Membership, post: Post) -> None:
    """The author takes back a post that has not gone out yet."""
    if post.author_id != actor.user_id:
        raise PermissionDenied("Only the author can withdraw this post.")
    with transaction.atomic():
        transition(
            post,
            from_statuses=[PostStatus.DRAFT, *PENDING_STATUSES],
            to=PostStatus.WITHDRAWN,
            action="post.withdrawn",
            actor=actor,
        )
        # Its copies for other accounts that have not started going out are withdrawn with it;
        # one already publishing or published is taken down by an approver, as any post is.
        for copy in Post.objects.filter(part_of=post, status__in=PENDING_STATUSES).select_related("account__school"):
            transition(
                copy,
                from_statuses=PENDING_STATUSES,
                to=PostStatus.WITHDRAWN,
                action="post.withdrawn",
                actor=actor,
                missing_ok=True,
            )


log = logging.getLogger(__name__)

MAX_PHOTOS = 4
MAX_ALT_TEXT_CHARS = 1000
TOO_MANY_PHOTOS = "A post can have at most 4 photos."
_EDITABLE_STATUSES = (PostStatus.DRAFT, PostStatus.SUBMITTED)


class ContentRefused(Exception):
    """The change cannot be made (a fifth photo, a description that is too long); the message says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def post_draft_create(
    *,
    actor: Membership,
    account: SocialAccount,
    client_token: uuid.UUID,
    text: str = "",
    quote_url: str = "",
    repost_url: str = "",
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
        repost_url=repost_url,
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
    if post.quote_url or post.repost_url or text_links(post.text):
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
    transition(post, from_statuses=[PostStatus.SUBMITTED], to=PostStatus.DRAFT, action="post.reopened", actor=actor)
    PostComment.objects.create(
        post=post,
        kind=PostComment.Kind.SYSTEM,
        body=f"{actor.user} changed the post while it was waiting for approval, so it is a draft again "
        "until they submit it.",
    )


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
    repost_url: str | None = None,
) -> list[PostRevision]:
    """Change a post's text, quoted post (or reposted post) and publish time. Returns the revisions kept (none
    before the first submission, or when nothing changed)."""
    with transaction.atomic():
        current = _locked_for_edit(actor, post)
        if repost_url is None:
            repost_url = current.repost_url
        changes = []
        if current.repost_url != repost_url:
            changes.append((PostRevision.What.REPOST_URL, current.repost_url, repost_url))
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
        current.repost_url = repost_url
        current.full_clean(validate_unique=False)
        current.save(update_fields=["text", "quote_url", "repost_url", "publish_at", "updated_at"])
        revisions = _revise(current, actor, changes)
        record(
            action="post.edited",
            actor=actor.user,
            school=current.account.school,
            target=current,
            data={"changed": [what for what, _, _ in changes]},
        )
    post.text, post.quote_url, post.publish_at, post.repost_url = text, quote_url, publish_at, repost_url
    post.status, post.updated_at = current.status, current.updated_at
    read_again = (PostRevision.What.TEXT, PostRevision.What.QUOTE_URL, PostRevision.What.REPOST_URL)
    if any(what in read_again for what, _, _ in changes):
        # After the commit: reading a link is a network call.
        post_read_outside_content(post=post, fresh_for=FRESH_FOR)
    return revisions


def post_add_image(
    *, actor: Membership, post: Post, data: bytes, alt_text: str = "", device_cookie: str | None = None
) -> PostImage:
    """Add a photo: checked and cleaned by `prepare_image` (ImageRejected says why not), kept as
    the private original, the publishable rendition and a thumbnail, with the faces the
    detector found waiting to be resolved.

    `device_cookie` is the school-device cookie the upload came with (the request's, as it came):
    it says which enrolled school device, if any, the photo was uploaded from. An account that
    refuses photos from elsewhere refuses the upload (ContentRefused says why and what to do)."""
    post_edit_check(actor=actor, post=post)
    if post.repost_url:
        raise ContentRefused("A repost shares someone else's post as it is, so it has no photos of its own.")
    if PostImage.objects.filter(post=post).count() >= MAX_PHOTOS:
        raise ContentRefused(TOO_MANY_PHOTOS)
    alt_text = _clean_alt_text(alt_text, number=None)
    device = device_from_cookie(school_id=post.account.school_id, value=device_cookie)
    if device_refused(account=post.account, from_school_device=device is not None):
        raise ContentRefused(not_from_device_refusal(post.account))
    prepared = prepare_image(data)  # slow (decoding, faces): before any transaction

    image = PostImage(
        post=post,
        width=prepared.width,
        height=prepared.height,
        alt_text=alt_text,
        device=device,
        from_school_device=device is not None,
        # Read from the upload's EXIF before its metadata was stripped (posts.metadata).
        camera_make=prepared.camera_make,
        camera_model=prepared.camera_model,
    )
    # Random names: a file name says nothing about the school or the pupils.
    stem = uuid.uuid4().hex
    try:
        try:
            # The original as cleaned on arrival: no GPS position, serial numbers or names (posts.metadata).
            original_name = stem + ORIGINAL_EXTENSIONS.get(prepared.original_format, "")
            _store(image.original, original_name, prepared.original)
            _store(image.rendition, f"{stem}.jpg", prepared.jpeg)
            if prepared.thumbnail:
                _store(image.thumbnail, f"{stem}.jpg", prepared.thumbnail)
        except OSError as exc:
            log.error("The media storage refused a photo of post %s: %s", post.pk, exc)
            raise ContentRefused(_storage_refusal(exc, len(data))) from exc
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
                data={
                    "image_id": image.pk,
                    "faces_found": len(prepared.faces),
                    "format": prepared.source_format,
                    "device": device.name if device else "",
                    "camera": image.camera,
                },
            )
    except BaseException as exc:
        # Files first, the row last: whatever was written goes, so no file is left without a row.
        files_discard(photo_files(image))
        if is_store_failure(exc):
            raise ContentRefused(PHOTO_STORE_DOWN) from exc
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
        # A photo a copy of this post for another account still uses keeps its files.
        files = files_not_shared(photo_files(removed), image_pk=removed.pk)
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
        transaction.on_commit(lambda: files_discard(files))
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


MAX_CREDIT_CHARS = 200


def post_set_photo_source(
    *, actor: Membership, image: PostImage, source: str, credit: str = "", licence: str = ""
) -> bool:
    """The author says who owns the photo: staff, pupils, or elsewhere with a credit and a
    licence. Returns whether anything changed."""
    if source not in PhotoSource.values:
        raise ContentRefused("Choose where the photo came from.")
    credit, licence = " ".join(credit.split()), " ".join(licence.split())
    if len(credit) > MAX_CREDIT_CHARS or len(licence) > MAX_CREDIT_CHARS:
        raise ContentRefused(f"Keep the credit and the licence under {MAX_CREDIT_CHARS} characters each.")
    if source != PhotoSource.ELSEWHERE:
        credit, licence = "", ""
    with transaction.atomic():
        current = _locked_for_edit(actor, image.post)
        photos = list(current.images.order_by("position", "pk"))
        photo = next((p for p in photos if p.pk == image.pk), None)
        if photo is None:
            raise ContentRefused("That photo has been removed from the post.")
        if (photo.source, photo.source_credit, photo.source_licence) == (source, credit, licence):
            return False
        _reopen_if_submitted(actor, current)
        number = photos.index(photo) + 1
        before = f"Photo {number}: {source_in_words(photo)}"
        photo.source, photo.source_credit, photo.source_licence = source, credit, licence
        PostImage.objects.filter(pk=photo.pk).update(source=source, source_credit=credit, source_licence=licence)
        _revise(current, actor, [(PostRevision.What.PHOTO_SOURCE, before, f"Photo {number}: {source_in_words(photo)}")])
        record(
            action="post.photo_source_changed",
            actor=actor.user,
            school=current.account.school,
            target=current,
            data={"image_id": photo.pk, "source": source, "credit": credit, "licence": licence},
        )
    image.source, image.source_credit, image.source_licence = source, credit, licence
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
        findings = post_rules_findings(current)
        if findings is not None:
            problems += [
                ContentProblem(f"rule:{finding.rule}", finding.message)
                for finding in findings
                if finding.severity == "block"
            ]
        # Every other account the post goes to, with its own words and rules, so the author hears
        # about all of them at once (consent, for every account, is post_submit's, below).
        destinations = destinations_check(current, stage=Stage.SUBMIT, author=actor)
        problems += [p for p in destinations.blocks if not p.code.startswith("consent:")]
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


def _store(field_file, filename: str, data: bytes) -> None:
    """Save one file through the storage API; a write that fails leaves nothing behind.

    Django's FileSystemStorage does not remove a file it could not finish writing (the disk
    filled up halfway), and the field learns the file's name only once the save succeeds. The
    name is ours, from a fresh random stem, so whatever the storage holds under it is what is
    left of this write, and it goes."""
    intended = field_file.field.generate_filename(field_file.instance, filename)
    try:
        field_file.save(filename, ContentFile(data), save=False)
    except BaseException:
        with contextlib.suppress(Exception):
            if field_file.storage.exists(intended):
                field_file.storage.delete(intended)
        raise


def _storage_refusal(exc: OSError, size: int) -> str:
    """What the person uploading is told when the portal's storage will not take the photo."""
    photo = f"This photo ({size / 1_000_000:.1f} MB) was not saved, and nothing of it was kept."
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"{photo} The portal's storage for photos is full. Tell whoever runs the portal, "
            "and add the photo again once they have made room."
        )
    return (
        f"{photo} The portal could not write it to its storage. Try again in a few minutes; if it "
        "happens again, tell whoever runs the portal."
    )
