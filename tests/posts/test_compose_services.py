"""The compose services: drafts made once per form, edits, photos and their files, and what
stops a post being sent for approval. Pictures are made on the fly; files go to a temporary
MEDIA_ROOT."""

import io
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from PIL import Image

from audit.models import AuditEvent
from posts import faces, services
from posts.images import ImageRejected
from posts.models import FaceRegion, Post, PostComment, PostImage, PostRevision, PostStatus

GPS_IFD = 0x8825
MAKE = 0x010F


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def no_faces(monkeypatch):
    monkeypatch.setattr(faces, "_detect_raw", lambda grey: [])


def jpeg_with_exif(size=(640, 480), colour=(200, 120, 40)) -> bytes:
    """A camera-like JPEG: maker and GPS position in its EXIF."""
    exif = Image.Exif()
    exif[MAKE] = "Apple"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)})
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def files_under(root) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


# Drafts made once per form


def test_the_same_form_token_twice_makes_one_draft(staff, accounts):
    token = uuid.uuid4()
    first, created = services.post_draft_create(
        actor=staff.teacher, account=accounts.year3, client_token=token, text="Sports day!"
    )
    again, created_again = services.post_draft_create(
        actor=staff.teacher, account=accounts.year3, client_token=token, text="Sports day!"
    )

    assert created and not created_again
    assert again.pk == first.pk
    assert Post.objects.count() == 1
    assert AuditEvent.objects.filter(action="post.created").count() == 1


def test_someone_else_cannot_reuse_a_form_token(staff, accounts):
    token = uuid.uuid4()
    services.post_draft_create(actor=staff.teacher, account=accounts.year3, client_token=token, text="Hello")
    with pytest.raises(PermissionDenied):
        services.post_draft_create(actor=staff.ta, account=accounts.year3, client_token=token, text="Hello")


def test_a_teaching_assistant_of_the_class_may_draft_for_its_account(staff, accounts):
    post, created = services.post_draft_create(
        actor=staff.ta, account=accounts.year3, client_token=uuid.uuid4(), text="Reading corner"
    )
    assert created and post.author == staff.ta.user and post.account == accounts.year3


def test_a_class_teacher_cannot_draft_for_the_whole_school_account(staff, accounts):
    with pytest.raises(PermissionDenied):
        services.post_draft_create(actor=staff.teacher, account=accounts.whole_school, client_token=uuid.uuid4())
    assert not Post.objects.exists()


# Edits


def test_only_the_author_changes_a_draft(staff, make_post):
    post = make_post()
    with pytest.raises(PermissionDenied):
        services.post_update(actor=staff.ta, post=post, text="Changed by someone else")
    assert Post.objects.get(pk=post.pk).text == post.text


def test_edits_before_the_first_submission_are_not_kept_as_history(staff, make_post):
    post = make_post("First go")
    assert services.post_update(actor=staff.teacher, post=post, text="Second go") == []
    assert Post.objects.get(pk=post.pk).text == "Second go"
    assert not PostRevision.objects.exists()


def test_changing_a_submitted_post_takes_it_back_to_drafts_and_keeps_what_changed(staff, make_post):
    post = make_post("We went to the zoo")
    services.post_submit(actor=staff.teacher, post=post)
    later = timezone.now() + timedelta(days=2)

    services.post_update(actor=staff.teacher, post=post, text="We went to the farm", publish_at=later)

    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT and post.text == "We went to the farm"
    changes = {r.what: (r.before, r.after) for r in PostRevision.objects.filter(post=post)}
    assert changes[PostRevision.What.TEXT] == ("We went to the zoo", "We went to the farm")
    assert changes[PostRevision.What.PUBLISH_AT][0] == "As soon as it is approved"
    assert PostComment.objects.filter(post=post, kind=PostComment.Kind.SYSTEM, body__contains="draft again").exists()
    assert AuditEvent.objects.filter(action="post.reopened", target_id=str(post.pk)).exists()


def test_saving_a_submitted_post_unchanged_leaves_it_waiting(staff, make_post):
    post = make_post("Unchanged")
    services.post_submit(actor=staff.teacher, post=post)
    services.post_update(actor=staff.teacher, post=post, text="Unchanged")
    assert Post.objects.get(pk=post.pk).status == PostStatus.SUBMITTED


def test_an_approved_post_can_no_longer_be_changed(staff, make_post):
    post = make_post("Approved words")
    services.post_submit(actor=staff.teacher, post=post)
    services.post_approve(actor=staff.head, post=post)
    with pytest.raises(services.TransitionError, match="approved"):
        services.post_update(actor=staff.teacher, post=post, text="Sneaky change")
    assert Post.objects.get(pk=post.pk).text == "Approved words"


# Photos


def test_a_jpeg_is_kept_as_a_private_original_and_a_rendition_without_exif_with_its_faces(
    staff, make_post, media_root, monkeypatch
):
    monkeypatch.setattr(faces, "_detect_raw", lambda grey: [(100, 80, 60, 60), (300, 200, 50, 50)])
    upload = jpeg_with_exif()
    post = make_post()

    image = services.post_add_image(actor=staff.teacher, post=post, data=upload, alt_text="Our class garden")

    image.refresh_from_db()
    assert image.original.name.startswith("posts/originals/")
    with Image.open(image.original.open("rb")) as original, Image.open(io.BytesIO(upload)) as uploaded:
        # The same pixels and the camera's make, without the position (tests/posts/test_upload_limits.py).
        assert original.tobytes() == uploaded.tobytes()
        assert original.getexif()[MAKE] == "Apple" and not original.getexif().get_ifd(GPS_IFD)
    with Image.open(image.rendition.open("rb")) as rendition:
        assert rendition.format == "JPEG" and rendition.size == (640, 480)
        assert not rendition.getexif() and "exif" not in rendition.info
    with Image.open(image.thumbnail.open("rb")) as thumbnail:
        assert max(thumbnail.size) <= 480
    assert (image.width, image.height, image.alt_text, image.position) == (640, 480, "Our class garden", 0)
    found = list(FaceRegion.objects.filter(image=image).values_list("source", "resolution", "pupil"))
    assert found == [(FaceRegion.Source.DETECTED, "", None)] * 2
    assert AuditEvent.objects.filter(action="post.photo_added", target_id=str(post.pk)).exists()


def test_a_pdf_named_like_a_photo_is_refused_and_nothing_is_kept(staff, make_post, media_root):
    post = make_post()
    with pytest.raises(ImageRejected, match="PDF"):
        services.post_add_image(actor=staff.teacher, post=post, data=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj")
    assert not PostImage.objects.exists()
    assert files_under(media_root) == []


def test_a_fifth_photo_is_refused(staff, make_post, no_faces, media_root):
    post = make_post()
    for _ in range(4):
        services.post_add_image(actor=staff.teacher, post=post, data=jpeg_with_exif((160, 120)))
    stored = files_under(media_root)

    with pytest.raises(services.ContentRefused, match="at most 4 photos"):
        services.post_add_image(actor=staff.teacher, post=post, data=jpeg_with_exif((160, 120)))

    assert post.images.count() == 4
    assert files_under(media_root) == stored


def test_removing_a_photo_deletes_its_files_and_moves_the_later_ones_up(
    staff, make_post, no_faces, media_root, django_capture_on_commit_callbacks
):
    post = make_post()
    first, second, third = (
        services.post_add_image(actor=staff.teacher, post=post, data=jpeg_with_exif((160, 120)), alt_text=alt)
        for alt in ("One", "Two", "Three")
    )
    second_files = [second.original.name, second.rendition.name, second.thumbnail.name]

    with django_capture_on_commit_callbacks(execute=True):
        services.post_remove_image(actor=staff.teacher, image=second)

    assert list(post.images.values_list("alt_text", "position")) == [("One", 0), ("Three", 1)]
    assert not any((media_root / name).exists() for name in second_files)
    assert (media_root / first.original.name).exists()


def test_a_photo_description_is_limited_to_1000_characters(staff, make_post, no_faces):
    post = make_post()
    image = services.post_add_image(actor=staff.teacher, post=post, data=jpeg_with_exif((160, 120)))
    with pytest.raises(services.ContentRefused, match="photo 1 under 1,000 characters"):
        services.post_set_alt_text(actor=staff.teacher, image=image, alt_text="x" * 1001)
    assert services.post_set_alt_text(actor=staff.teacher, image=image, alt_text="  A rainbow  ")
    assert PostImage.objects.get(pk=image.pk).alt_text == "A rainbow"


# Sending for approval


def _problems(staff, post) -> list[str]:
    with pytest.raises(services.PostBlocked) as blocked:
        services.post_send_for_approval(actor=staff.teacher, post=post)
    assert Post.objects.get(pk=post.pk).status == PostStatus.DRAFT
    return [problem.message for problem in blocked.value.problems]


def test_a_post_with_no_text_and_no_photo_cannot_be_sent(staff, make_post):
    assert _problems(staff, make_post("   ")) == ["Write something or add a photo."]


def test_a_post_over_the_limit_cannot_be_sent_and_says_by_how_much(staff, make_post):
    assert _problems(staff, make_post("a" * 290)) == [
        "Your post is 290 characters long and the limit is 280. Take out 10 characters."
    ]


def test_every_photo_needs_a_description_before_it_is_sent(staff, make_post, no_faces):
    post = make_post()
    services.post_add_image(actor=staff.teacher, post=post, data=jpeg_with_exif((160, 120)), alt_text="Painting")
    services.post_add_image(actor=staff.teacher, post=post, data=jpeg_with_exif((160, 120)))
    assert _problems(staff, post) == ["Describe photo 2 for people who cannot see it."]


def test_a_photo_only_post_may_be_sent(staff, make_post, no_faces):
    post = make_post("")
    services.post_add_image(actor=staff.teacher, post=post, data=jpeg_with_exif((160, 120)), alt_text="Painting")
    services.post_send_for_approval(actor=staff.teacher, post=post)
    assert Post.objects.get(pk=post.pk).status == PostStatus.SUBMITTED


def test_the_schools_blocking_rules_stop_a_post_and_their_findings_are_kept_when_it_goes(school, staff, make_post):
    pytest.importorskip("moderation.engine")
    pytest.importorskip("moderation.services").seed_default_rules(school)
    assert any("crap" in message for message in _problems(staff, make_post("What a crap day")))

    post = make_post("We had a brilliant day at the museum.")
    services.post_send_for_approval(actor=staff.teacher, post=post)
    post.refresh_from_db()
    assert post.status == PostStatus.SUBMITTED
    assert all({"rule", "severity", "message", "start", "end"} <= set(f) for f in post.findings)


def test_sending_twice_is_refused_the_second_time_without_harm(staff, make_post):
    post = make_post()
    services.post_send_for_approval(actor=staff.teacher, post=post)
    with pytest.raises(services.TransitionError):
        services.post_send_for_approval(actor=staff.teacher, post=post)
    assert Post.objects.get(pk=post.pk).status == PostStatus.SUBMITTED
