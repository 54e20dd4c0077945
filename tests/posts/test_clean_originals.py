"""`manage.py clean_originals`: originals stored before they were cleaned on arrival lose what
identifies a place, a person or a device, once, through the storage."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from PIL import Image

from audit.models import AuditEvent
from posts import faces, services
from posts.models import PostImage

ORIENTATION, MAKE, GPS_IFD, EXIF_IFD, SERIAL = 0x0112, 0x010F, 0x8825, 0x8769, 0xA431


@pytest.fixture(autouse=True)
def setting_up(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = str(tmp_path)
    monkeypatch.setattr(faces, "_detect_raw", lambda grey: [])


def camera_jpeg() -> bytes:
    exif = Image.Exif()
    exif[ORIENTATION], exif[MAKE] = 3, "Apple"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (51.0, 30.0, 12.5)})
    exif.get_ifd(EXIF_IFD)[SERIAL] = "DMPXK1234567"
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((320, 240)).convert("RGB").save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def stored_before_issue_16(image: PostImage, data: bytes) -> str:
    """Put back an original as uploads were kept before they were cleaned: the file as it came."""
    name = default_storage.save("posts/originals/2026/10/old-upload.jpg", ContentFile(data))
    PostImage.objects.filter(pk=image.pk).update(original=name)
    return name


def run(*args) -> str:
    out = io.StringIO()
    call_command("clean_originals", *args, stdout=out)
    return out.getvalue().strip()


def test_an_old_original_is_cleaned_once_and_keeps_its_pixels_and_orientation(staff, make_post):
    post = make_post()
    old, recent = (services.post_add_image(actor=staff.teacher, post=post, data=camera_jpeg()) for _ in range(2))
    dirty = camera_jpeg()
    old_name = stored_before_issue_16(old, dirty)

    assert run("--dry-run") == "1 original(s) would be cleaned, 1 already clean, 0 could not be read."
    assert PostImage.objects.get(pk=old.pk).original.name == old_name

    assert run() == "1 original(s) cleaned, 1 already clean, 0 could not be read."

    old.refresh_from_db()
    assert old.original.name != old_name and not default_storage.exists(old_name)
    with old.original.open("rb") as stored, Image.open(stored) as cleaned, Image.open(io.BytesIO(dirty)) as before:
        exif = cleaned.getexif()
        assert not exif.get_ifd(GPS_IFD) and SERIAL not in exif.get_ifd(EXIF_IFD)
        assert (exif[ORIENTATION], exif[MAKE]) == (3, "Apple")
        assert cleaned.tobytes() == before.tobytes()
    event = AuditEvent.objects.get(action="post.original_photo_cleaned")
    assert event.data == {"photo": old.pk, "format": "JPEG", "lossless": True}

    assert run() == "0 original(s) cleaned, 2 already clean, 0 could not be read."


def test_an_original_missing_from_storage_is_counted_and_the_rest_go_on(staff, make_post):
    post = make_post()
    gone, kept = (services.post_add_image(actor=staff.teacher, post=post, data=camera_jpeg()) for _ in range(2))
    default_storage.delete(gone.original.name)
    stored_before_issue_16(kept, camera_jpeg())

    assert run() == "1 original(s) cleaned, 0 already clean, 1 could not be read."
