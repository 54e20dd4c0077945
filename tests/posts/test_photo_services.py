"""Faces and tags on a post's photo (posts.services.photos): who may change them, what each change
does, and the JPEG the publisher sends, with covered faces burned in as solid blocks."""

import io
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from PIL import Image

from accounts.models import Role
from audit.models import AuditEvent
from consent.models import Pupil
from posts.images import REDACTION_COLOUR
from posts.models import FaceRegion, Post, PostImage, PostStatus
from posts.services import photos
from posts.services.photos import WAITING_FOR_APPROVAL
from tests.factories import make_class, make_member

WIDTH, HEIGHT = 240, 160


def _gradient_jpeg(width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """A colourful photo stand-in: every pixel differs from its neighbours and from the grey block."""
    red = Image.linear_gradient("L").resize((width, height))
    green = red.transpose(Image.Transpose.ROTATE_90).resize((width, height))
    blue = Image.new("L", (width, height), 230)
    buffer = io.BytesIO()
    Image.merge("RGB", (red, green, blue)).save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def _pixels(jpeg: bytes) -> Image.Image:
    return Image.open(io.BytesIO(jpeg)).convert("RGB")


def _near(pixel, expected, tolerance: int) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def photo(media, make_post):
    """A Year 3 draft by the class teacher with one prepared photo and one detected face."""
    post = make_post()
    image = PostImage.objects.create(post=post, width=WIDTH, height=HEIGHT, alt_text="Paper volcanoes")
    image.rendition.save("photo.jpg", ContentFile(_gradient_jpeg()), save=True)
    face = FaceRegion.objects.create(image=image, x=20, y=20, w=40, h=40)
    return SimpleNamespace(post=post, image=image, face=face)


def _set_status(post: Post, status: str) -> None:
    Post.objects.filter(pk=post.pk).update(status=status)
    post.refresh_from_db()


# Resolving faces.


def test_resolving_a_face_as_a_pupil_tags_them_and_is_audited(staff, photo, pupils):
    photos.face_resolve(actor=staff.teacher, face=photo.face, resolution="pupil", pupil=pupils.amara)

    photo.face.refresh_from_db()
    assert (photo.face.resolution, photo.face.pupil) == ("pupil", pupils.amara)
    assert list(photo.image.tagged_pupils.all()) == [pupils.amara]
    event = AuditEvent.objects.get(action="photo.face_resolved")
    assert event.data["pupil_id"] == pupils.amara.pk and event.data["face_id"] == photo.face.pk


@pytest.mark.parametrize("resolution", ["not_pupil", "redacted"])
def test_resolving_a_face_as_not_a_pupil_or_covered_keeps_no_pupil_on_it(staff, photo, pupils, resolution):
    photos.face_resolve(actor=staff.teacher, face=photo.face, resolution="pupil", pupil=pupils.amara)

    photos.face_resolve(actor=staff.teacher, face=photo.face, resolution=resolution, pupil=pupils.amara)

    photo.face.refresh_from_db()
    assert (photo.face.resolution, photo.face.pupil) == (resolution, None)
    # The tag stays until the author removes it: only a person may say a pupil is not in the photo.
    assert list(photo.image.tagged_pupils.all()) == [pupils.amara]


def test_a_pupil_without_photo_consent_may_be_chosen_for_a_face(staff, photo, pupils):
    photos.face_resolve(actor=staff.teacher, face=photo.face, resolution="pupil", pupil=pupils.ben)

    photo.face.refresh_from_db()
    assert photo.face.pupil == pupils.ben


def test_resolving_as_a_pupil_needs_a_pupil(staff, photo):
    with pytest.raises(photos.PhotoChangeRefused, match="Choose which pupil"):
        photos.face_resolve(actor=staff.teacher, face=photo.face, resolution="pupil")


def test_an_unknown_resolution_is_refused(staff, photo):
    with pytest.raises(photos.PhotoChangeRefused):
        photos.face_resolve(actor=staff.teacher, face=photo.face, resolution="blurred")


def test_a_pupil_of_another_school_is_refused(staff, photo, outsider):
    theirs = Pupil.objects.create(school=outsider.school, first_name="Zed", surname="Other")

    with pytest.raises(photos.PhotoChangeRefused, match="not on this school's register"):
        photos.face_resolve(actor=staff.teacher, face=photo.face, resolution="pupil", pupil=theirs)
    with pytest.raises(photos.PhotoChangeRefused, match="not on this school's register"):
        photos.photo_tag(actor=staff.teacher, image=photo.image, pupil=theirs)

    photo.face.refresh_from_db()
    assert photo.face.resolution == "" and not photo.image.tagged_pupils.exists()


# Boxes on something that is not a face at all (a helmet, a pattern).


def test_a_detected_box_can_be_dismissed_as_not_a_face_with_its_own_audit_entry(staff, photo):
    photos.face_resolve(actor=staff.teacher, face=photo.face, resolution="not_face")

    photo.face.refresh_from_db()
    assert (photo.face.resolution, photo.face.pupil) == ("not_face", None)
    assert not photo.image.tagged_pupils.exists()
    event = AuditEvent.objects.get(action="photo.face_dismissed")
    assert event.actor == staff.teacher.user and event.school == photo.post.account.school
    assert event.data["face_id"] == photo.face.pk and event.data["post_id"] == photo.post.pk
    assert event.data["previous"] == {"resolution": "", "pupil_id": None}
    assert not AuditEvent.objects.filter(action="photo.face_resolved").exists()


def test_dismissing_a_box_is_undone_by_saying_what_the_face_is(staff, photo, pupils):
    photos.face_resolve(actor=staff.teacher, face=photo.face, resolution="not_face")

    photos.face_resolve(actor=staff.teacher, face=photo.face, resolution="pupil", pupil=pupils.amara)

    photo.face.refresh_from_db()
    assert (photo.face.resolution, photo.face.pupil) == ("pupil", pupils.amara)
    events = list(AuditEvent.objects.filter(action__startswith="photo.face_").order_by("pk"))
    assert [e.action for e in events] == ["photo.face_dismissed", "photo.face_resolved"]
    assert events[1].data["previous"] == {"resolution": "not_face", "pupil_id": None}


def test_a_pupil_on_a_face_dismissed_as_not_a_face_keeps_their_tag(staff, photo, pupils):
    photos.face_resolve(actor=staff.teacher, face=photo.face, resolution="pupil", pupil=pupils.amara)

    photos.face_resolve(actor=staff.teacher, face=photo.face, resolution="not_face")

    photo.face.refresh_from_db()
    assert (photo.face.resolution, photo.face.pupil) == ("not_face", None)
    assert list(photo.image.tagged_pupils.all()) == [pupils.amara]


def test_a_box_drawn_by_hand_is_removed_rather_than_dismissed(staff, photo):
    drawn = photos.face_add(actor=staff.teacher, image=photo.image, x=100, y=50, w=60, h=60)

    with pytest.raises(photos.PhotoChangeRefused, match="remove the box instead"):
        photos.face_resolve(actor=staff.teacher, face=drawn, resolution="not_face")

    drawn.refresh_from_db()
    assert drawn.resolution == ""
    assert not AuditEvent.objects.filter(action="photo.face_dismissed").exists()


def test_only_the_author_dismisses_a_box_and_only_while_it_is_a_draft(staff, photo):
    with pytest.raises(PermissionDenied):
        photos.face_resolve(actor=staff.head, face=photo.face, resolution="not_face")

    _set_status(photo.post, PostStatus.SUBMITTED)
    photo.face.refresh_from_db()
    with pytest.raises(photos.PhotoChangeRefused) as refused:
        photos.face_resolve(actor=staff.teacher, face=photo.face, resolution="not_face")
    assert refused.value.message == WAITING_FOR_APPROVAL
    # The approver, who may cover a face on a submitted post, may not dismiss one: that is the
    # author's word, and the approver is the one who checks it.
    with pytest.raises(PermissionDenied, match="Only the author"):
        photos.face_resolve(actor=staff.head, face=photo.face, resolution="not_face")

    photo.face.refresh_from_db()
    assert photo.face.resolution == ""
    assert not AuditEvent.objects.filter(action="photo.face_dismissed").exists()


def test_nobody_else_dismisses_a_box(school, staff, photo, outsider):
    year4 = make_class(school, "Year 4", 4)
    other_class = make_member(school, "teacher4@alpha.test", [Role.CLASS_TEACHER], [year4])

    for actor in (staff.ta, other_class, outsider.head):
        with pytest.raises(PermissionDenied):
            photos.face_resolve(actor=actor, face=photo.face, resolution="not_face")

    photo.face.refresh_from_db()
    assert photo.face.resolution == ""


# Boxes drawn by hand.


def test_a_drawn_box_is_added_unresolved(staff, photo):
    face = photos.face_add(actor=staff.teacher, image=photo.image, x=100, y=50, w=60, h=60)

    assert (face.source, face.resolution, face.x, face.y, face.w, face.h) == ("drawn", "", 100, 50, 60, 60)
    assert AuditEvent.objects.filter(action="photo.face_added").exists()


def test_a_box_touching_the_edges_fits(staff, photo):
    face = photos.face_add(actor=staff.teacher, image=photo.image, x=0, y=0, w=WIDTH, h=HEIGHT)
    assert face.pk


@pytest.mark.parametrize(
    "box",
    [
        (WIDTH - 10, 0, 11, 10),  # past the right edge
        (0, HEIGHT - 10, 10, 11),  # past the bottom
        (-1, 0, 10, 10),
        (0, -5, 10, 10),
        (WIDTH + 5, HEIGHT + 5, 10, 10),
    ],
)
def test_a_drawn_box_outside_the_photo_is_refused(staff, photo, box):
    x, y, w, h = box
    with pytest.raises(photos.PhotoChangeRefused, match="^That box is outside the photo.$"):
        photos.face_add(actor=staff.teacher, image=photo.image, x=x, y=y, w=w, h=h)
    assert photo.image.faces.count() == 1


def test_a_box_with_no_size_is_refused(staff, photo):
    with pytest.raises(photos.PhotoChangeRefused, match="no size"):
        photos.face_add(actor=staff.teacher, image=photo.image, x=10, y=10, w=0, h=10)


def test_only_drawn_boxes_can_be_deleted(staff, photo):
    drawn = photos.face_add(actor=staff.teacher, image=photo.image, x=100, y=50, w=60, h=60)

    with pytest.raises(photos.PhotoChangeRefused, match="Only boxes marked by hand"):
        photos.face_delete(actor=staff.teacher, face=photo.face)
    photos.face_delete(actor=staff.teacher, face=drawn)

    assert list(photo.image.faces.all()) == [photo.face]
    assert AuditEvent.objects.filter(action="photo.face_deleted").count() == 1


# Tags.


def test_pupils_can_be_tagged_without_a_face_and_untagged(staff, photo, pupils):
    photos.photo_tag(actor=staff.teacher, image=photo.image, pupil=pupils.amara)
    assert list(photo.image.tagged_pupils.all()) == [pupils.amara]

    photos.photo_untag(actor=staff.teacher, image=photo.image, pupil=pupils.amara)
    assert not photo.image.tagged_pupils.exists()
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="photo.").order_by("pk")] == [
        "photo.tagged",
        "photo.untagged",
    ]


def test_a_pupil_marked_on_a_face_cannot_be_untagged_until_the_face_changes(staff, photo, pupils):
    photos.face_resolve(actor=staff.teacher, face=photo.face, resolution="pupil", pupil=pupils.amara)

    with pytest.raises(photos.PhotoChangeRefused, match="Face 1 is marked as Amara"):
        photos.photo_untag(actor=staff.teacher, image=photo.image, pupil=pupils.amara)
    assert photo.image.tagged_pupils.filter(pk=pupils.amara.pk).exists()


# Who may change a photo, and when.


def test_the_author_cannot_change_a_submitted_post(staff, photo, pupils):
    _set_status(photo.post, PostStatus.SUBMITTED)
    photo.image.refresh_from_db()

    changes = [
        lambda: photos.face_resolve(actor=staff.teacher, face=photo.face, resolution="redacted"),
        lambda: photos.face_add(actor=staff.teacher, image=photo.image, x=1, y=1, w=5, h=5),
        lambda: photos.photo_tag(actor=staff.teacher, image=photo.image, pupil=pupils.amara),
    ]
    for change in changes:
        with pytest.raises(photos.PhotoChangeRefused) as refused:
            change()
        assert refused.value.message == WAITING_FOR_APPROVAL
    photo.face.refresh_from_db()
    assert photo.face.resolution == "" and photo.image.faces.count() == 1


def test_the_status_is_read_again_when_changing(staff, photo):
    """A post submitted after the page was loaded is still refused (the row is re-read, locked)."""
    stale = photo.image.post
    Post.objects.filter(pk=stale.pk).update(status=PostStatus.SUBMITTED)

    with pytest.raises(photos.PhotoChangeRefused, match="waiting for approval"):
        photos.face_resolve(actor=staff.teacher, face=photo.face, resolution="redacted")


def test_an_approver_may_change_a_submitted_post_but_not_a_draft(staff, photo):
    with pytest.raises(PermissionDenied):
        photos.face_resolve(actor=staff.head, face=photo.face, resolution="redacted")

    _set_status(photo.post, PostStatus.SUBMITTED)
    photo.face.refresh_from_db()
    photos.face_resolve(actor=staff.head, face=photo.face, resolution="redacted")

    photo.face.refresh_from_db()
    assert photo.face.resolution == "redacted"


@pytest.mark.parametrize("status", [PostStatus.APPROVED, PostStatus.PUBLISHED, PostStatus.REJECTED])
def test_nobody_changes_a_photo_once_the_post_is_decided(staff, photo, status):
    Post.objects.filter(pk=photo.post.pk).update(status=status, external_id="1")
    for actor in (staff.teacher, staff.head):
        with pytest.raises(photos.PhotoChangeRefused, match="before a post is approved"):
            photos.face_resolve(actor=actor, face=photo.face, resolution="redacted")


def test_a_teacher_of_another_class_cannot_change_the_photo(school, staff, photo):
    year4 = make_class(school, "Year 4", 4)
    other = make_member(school, "teacher4@alpha.test", [Role.CLASS_TEACHER], [year4])

    with pytest.raises(PermissionDenied):
        photos.face_resolve(actor=other, face=photo.face, resolution="redacted")
    with pytest.raises(PermissionDenied):
        photos.face_add(actor=other, image=photo.image, x=1, y=1, w=5, h=5)


def test_a_colleague_on_the_same_class_is_not_the_author(staff, photo):
    with pytest.raises(PermissionDenied):
        photos.face_resolve(actor=staff.ta, face=photo.face, resolution="redacted")


def test_another_schools_headteacher_cannot_change_the_photo(photo, outsider):
    with pytest.raises(PermissionDenied):
        photos.face_resolve(actor=outsider.head, face=photo.face, resolution="redacted")


# The JPEG the publisher sends.


def test_covered_faces_are_burned_in_as_solid_blocks_and_nothing_else_changes(staff, photo, pupils):
    photos.face_resolve(actor=staff.teacher, face=photo.face, resolution="redacted")
    kept = FaceRegion.objects.create(image=photo.image, x=150, y=60, w=50, h=50, resolution="not_pupil")
    original = _pixels(photo.image.rendition.open("rb").read())

    published = _pixels(photos.photo_render_for_publishing(image=photo.image))

    assert published.size == (WIDTH, HEIGHT)
    box = photo.face
    inside = [(x, y) for x in range(box.x, box.x + box.w) for y in range(box.y, box.y + box.h)]
    # Solid: the brightness is the block's everywhere; JPEG's halved colour resolution lets a little
    # of the surrounding tint into the colour channels, never any of the face.
    grey = published.convert("L")
    block_grey = Image.new("RGB", (1, 1), REDACTION_COLOUR).convert("L").getpixel((0, 0))
    assert all(abs(grey.getpixel(point) - block_grey) <= 4 for point in inside)
    assert all(_near(published.getpixel(point), REDACTION_COLOUR, 24) for point in inside)
    # Beyond the block (the box grown by its padding) and the JPEG blocks that touch it, every pixel
    # is as it was, give or take re-encoding; the face resolved as not a pupil is left alone.
    margin = round(box.w * 0.15) + 16
    far = [
        (x, y)
        for x in range(WIDTH)
        for y in range(HEIGHT)
        if not (box.x - margin <= x < box.x + box.w + margin and box.y - margin <= y < box.y + box.h + margin)
    ]
    assert len(far) > WIDTH * HEIGHT // 2
    assert all(_near(published.getpixel(p), original.getpixel(p), 6) for p in far)
    assert (kept.x, kept.y) in far and (kept.x + kept.w - 1, kept.y + kept.h - 1) in far


def test_the_stored_rendition_is_never_overwritten(staff, photo):
    photos.face_resolve(actor=staff.teacher, face=photo.face, resolution="redacted")
    before = photo.image.rendition.open("rb").read()

    photos.photo_render_for_publishing(image=photo.image)

    assert photo.image.rendition.open("rb").read() == before


def test_a_box_dismissed_as_not_a_face_is_never_covered(staff, photo):
    """Only covered faces are burned in: a box dismissed as not a face goes out as it was taken,
    in the published photo and in the thumbnails every list shows."""
    photo.image.thumbnail.save("thumb.jpg", ContentFile(_gradient_jpeg(WIDTH // 2, HEIGHT // 2)), save=True)
    covered = FaceRegion.objects.create(image=photo.image, x=150, y=60, w=50, h=50)
    photos.face_resolve(actor=staff.teacher, face=photo.face, resolution="not_face")
    photos.face_resolve(actor=staff.teacher, face=covered, resolution="redacted")
    original = _pixels(photo.image.rendition.open("rb").read())
    original_thumbnail = _pixels(photo.image.thumbnail.open("rb").read())

    published = _pixels(photos.photo_render_for_publishing(image=photo.image))
    thumbnail = _pixels(photos.photo_thumbnail_as_published(image=photo.image))

    box = photo.face
    inside = [(x, y) for x in range(box.x, box.x + box.w) for y in range(box.y, box.y + box.h)]
    assert all(_near(published.getpixel(p), original.getpixel(p), 6) for p in inside)
    small = [(x // 2, y // 2) for x, y in inside]
    assert all(_near(thumbnail.getpixel(p), original_thumbnail.getpixel(p), 6) for p in small)
    # The covered face beside it is covered in both, so the drawing did run.
    centre = (covered.x + covered.w // 2, covered.y + covered.h // 2)
    assert _near(published.getpixel(centre), REDACTION_COLOUR, 24)
    assert _near(thumbnail.getpixel((centre[0] // 2, centre[1] // 2)), REDACTION_COLOUR, 24)


def test_a_photo_with_nothing_covered_is_sent_as_prepared(photo):
    assert photos.photo_render_for_publishing(image=photo.image) == photo.image.rendition.open("rb").read()
