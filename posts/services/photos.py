"""Faces and tags on a post's photos: what the author says each face is, and who the photo shows.

Every detected face must be resolved before approval: it is a pupil (who is then tagged), not a
pupil (a parent or member of staff who agreed), or covered up. A box the detector drew on something
that is not a face at all (a helmet, a pattern, a picture on the wall) is dismissed as not a face:
it stays on the photo, uncovered, and the approver sees it marked as dismissed. Boxes the detector
missed can be drawn by hand, and pupils seen without a face (the back of a head, a name on their
work) are tagged directly.

Who may change them: the post's author while it is a draft, or an approver (not the author)
while it waits for approval. Nothing here removes a tag on its own: a tag can only make the
consent check stricter, so taking one off is always the author's explicit choice.

``photo_render_for_publishing`` is what the publisher sends: the rendition with a solid shape
burned over every covered face (never a blur, which can be undone).
"""

import io

from django.core.exceptions import PermissionDenied
from django.db import transaction
from PIL import Image

from accounts.models import Membership
from accounts.permissions import may_approve_for, may_draft_for
from audit.services import record
from consent.models import Pupil

from ..images import redact
from ..models import FaceRegion, Post, PostImage, PostStatus

WAITING_FOR_APPROVAL = (
    "This post is waiting for approval. Open it in the editor to change it: it goes back to your drafts."
)
OUTSIDE_THE_PHOTO = "That box is outside the photo."
DRAWN_BOX_NOT_A_FACE = "You marked this box by hand. If it is not on a face, remove the box instead."
NOT_ON_REGISTER = "That pupil is not on this school's register."


class PhotoChangeRefused(Exception):
    """The change cannot be made as things stand; the message tells the person why, in plain words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def photo_edit_check(*, actor: Membership, post: Post) -> None:
    """Raise unless `actor` may change the faces and tags of this post's photos now.

    PermissionDenied: this person never may (not the author nor an approver, or another school).
    PhotoChangeRefused: they could, but not in the post's current status.
    """
    account = post.account
    if actor is None or not actor.is_active or actor.school_id != account.school_id:
        raise PermissionDenied("This post belongs to another school.")
    if post.author_id == actor.user_id:
        if not may_draft_for(actor, account):
            raise PermissionDenied("You no longer post for this account, so you cannot change this post.")
        if post.status == PostStatus.DRAFT:
            return
        if post.status == PostStatus.SUBMITTED:
            raise PhotoChangeRefused(WAITING_FOR_APPROVAL)
        raise PhotoChangeRefused(_too_late(post))
    if may_approve_for(actor, account):
        if post.status == PostStatus.SUBMITTED:
            return
        if post.status == PostStatus.DRAFT:
            raise PermissionDenied("Only the author can change the photos while the post is a draft.")
        raise PhotoChangeRefused(_too_late(post))
    raise PermissionDenied("You can only change the photos of your own posts.")


def _too_late(post: Post) -> str:
    return f"Photos can only be changed before a post is approved. This post is “{post.get_status_display()}”."


def _locked_check(*, actor: Membership, post: Post) -> Post:
    """Inside a transaction: re-read the post with its row locked and check again.

    The lock makes a submit (or an approval) that races with this change wait for it, so a
    change can never land on a post that has already moved on.
    """
    current = Post.objects.select_for_update().select_related("account").get(pk=post.pk)
    photo_edit_check(actor=actor, post=current)
    return current


def _check_pupil(pupil: Pupil | None, post: Post) -> Pupil:
    if pupil is None:
        raise PhotoChangeRefused("Choose which pupil this is.")
    if pupil.school_id != post.account.school_id:
        raise PhotoChangeRefused(NOT_ON_REGISTER)
    return pupil


def _audit(action: str, *, actor: Membership, post: Post, image: PostImage, **data) -> None:
    record(action=action, actor=actor.user, school=post.account.school, target=image, data={"post_id": post.pk, **data})


def _dismiss_check(*, actor: Membership, post: Post, face: FaceRegion) -> None:
    """Raise unless `actor` may dismiss this box as not a face.

    Only the author dismisses: it is their word against the detector's, and the approver is the one
    who checks it. An approver who doubts a box covers it or sends the post back. A box drawn by hand
    was drawn on a face; if it was drawn by mistake, it is removed instead.
    """
    if post.author_id != actor.user_id:
        raise PermissionDenied(
            "Only the author can say a box is not a face. Cover the face, or send the post back for changes."
        )
    if face.source == FaceRegion.Source.DRAWN:
        raise PhotoChangeRefused(DRAWN_BOX_NOT_A_FACE)


def face_resolve(*, actor: Membership, face: FaceRegion, resolution: str, pupil: Pupil | None = None) -> FaceRegion:
    """Say what a face is. A face resolved to a pupil tags that pupil in the photo.

    A pupil without photo consent may be chosen (the page then says so at once, and the consent
    check refuses the post until the face is covered and the tag removed).

    "Not a face" dismisses a box the detector drew on something else; it has its own entry in the
    audit trail ("photo.face_dismissed"), and resolving the face any other way undoes it.
    """
    try:
        resolution = FaceRegion.Resolution(resolution)
    except ValueError:
        raise PhotoChangeRefused("Choose a pupil, “Not a pupil”, “Cover it” or “Not a face”.") from None
    image = face.image
    dismissing = resolution == FaceRegion.Resolution.NOT_FACE
    with transaction.atomic():
        post = _locked_check(actor=actor, post=image.post)
        if dismissing:
            _dismiss_check(actor=actor, post=post, face=face)
        pupil = _check_pupil(pupil, post) if resolution == FaceRegion.Resolution.PUPIL else None
        previous = {"resolution": face.resolution, "pupil_id": face.pupil_id}
        face.resolution = resolution
        face.pupil = pupil
        face.save(update_fields=["resolution", "pupil"])
        if pupil is not None:
            image.tagged_pupils.add(pupil)
        _audit(
            "photo.face_dismissed" if dismissing else "photo.face_resolved",
            actor=actor,
            post=post,
            image=image,
            face_id=face.pk,
            resolution=resolution.value,
            pupil_id=face.pupil_id,
            previous=previous,
        )
    return face


def face_add(*, actor: Membership, image: PostImage, x: int, y: int, w: int, h: int) -> FaceRegion:
    """Mark a face the detector missed: a box in the rendition's pixels, unresolved."""
    with transaction.atomic():
        post = _locked_check(actor=actor, post=image.post)
        if w <= 0 or h <= 0:
            raise PhotoChangeRefused("That box has no size. Drag across the whole face.")
        if x < 0 or y < 0 or x + w > image.width or y + h > image.height:
            raise PhotoChangeRefused(OUTSIDE_THE_PHOTO)
        face = FaceRegion.objects.create(image=image, x=x, y=y, w=w, h=h, source=FaceRegion.Source.DRAWN)
        _audit("photo.face_added", actor=actor, post=post, image=image, face_id=face.pk, box=[x, y, w, h])
    return face


def face_delete(*, actor: Membership, face: FaceRegion) -> None:
    """Remove a box drawn by hand. Faces the portal found stay: resolve them instead."""
    image = face.image
    with transaction.atomic():
        post = _locked_check(actor=actor, post=image.post)
        if face.source != FaceRegion.Source.DRAWN:
            raise PhotoChangeRefused(
                "Only boxes marked by hand can be removed. If the portal marked something that is not a "
                "face at all, choose “Not a face”."
            )
        box = [face.x, face.y, face.w, face.h]
        face_id = face.pk
        face.delete()
        _audit("photo.face_deleted", actor=actor, post=post, image=image, face_id=face_id, box=box)


def photo_tag(*, actor: Membership, image: PostImage, pupil: Pupil) -> None:
    """Say that a pupil appears in the photo, with or without a face box."""
    with transaction.atomic():
        post = _locked_check(actor=actor, post=image.post)
        pupil = _check_pupil(pupil, post)
        image.tagged_pupils.add(pupil)
        _audit("photo.tagged", actor=actor, post=post, image=image, pupil_id=pupil.pk)


def photo_untag(*, actor: Membership, image: PostImage, pupil: Pupil) -> None:
    """Say that a pupil does not appear after all. A face still marked as them must change first."""
    with transaction.atomic():
        post = _locked_check(actor=actor, post=image.post)
        pupil = _check_pupil(pupil, post)
        faces = list(image.faces.order_by("pk").values_list("pupil_id", flat=True))
        if pupil.pk in faces:
            number = faces.index(pupil.pk) + 1
            raise PhotoChangeRefused(
                f"Face {number} is marked as {pupil.known_as}. Change that face first, then remove the tag."
            )
        image.tagged_pupils.remove(pupil)
        _audit("photo.untagged", actor=actor, post=post, image=image, pupil_id=pupil.pk)


def photo_thumbnail_as_published(*, image: PostImage) -> bytes:
    """The thumbnail with the covered faces covered, as every list shows it: nobody should see a
    face the author covered in a smaller copy of the photo."""
    source = image.thumbnail or image.rendition
    with source.open("rb") as stream:
        jpeg = stream.read()
    faces = list(image.faces.filter(resolution=FaceRegion.Resolution.REDACTED).order_by("pk"))
    if not faces or not image.width:
        return jpeg
    with Image.open(io.BytesIO(jpeg)) as opened:
        scale = opened.width / image.width
    boxes = [(face.x * scale, face.y * scale, max(face.w * scale, 1), max(face.h * scale, 1)) for face in faces]
    return redact(jpeg, boxes)


def photo_render_for_publishing(*, image: PostImage) -> bytes:
    """The JPEG to publish: the rendition, with a solid shape burned over every covered face.

    The stored rendition is left as it is, so a face covered by mistake can still be uncovered
    before approval. Whether every face is resolved is the consent check's question, asked
    before publishing; this only draws.

    The faces are read through `image.faces.all()`, so the publisher, which has them already
    (prefetched with the post), makes no query here.
    """
    with image.rendition.open("rb") as stream:
        jpeg = stream.read()
    covered = sorted(
        (face for face in image.faces.all() if face.resolution == FaceRegion.Resolution.REDACTED),
        key=lambda face: face.pk,
    )
    boxes = [(face.x, face.y, face.w, face.h) for face in covered]
    return redact(jpeg, boxes) if boxes else jpeg
