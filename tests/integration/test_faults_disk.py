"""Disk full on a local media write: a teacher adds a photo when the disk that holds the portal's
photos has no room. They are told so plainly, with the photo's size, and nothing is half-stored:
no photo row, no partial file, not even the copies that did fit. The local timeline's own copy
of a published photo goes on the same disk: there the post waits and is tried again.

The disk is real: a small tmpfs mounted as MEDIA_ROOT (mounting needs root, which CI and the
development machines have), filled up to a chosen number of bytes before the upload."""

import io
import os
import random
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from networks.local.models import LocalNetworkMedia, LocalNetworkPost
from posts import faces, services
from posts.images import prepare_image
from posts.models import Post, PostImage, PostStatus
from posts.services import publishing
from posts.services.publishing import Outcome

DISK_BYTES = 1024 * 1024
PAGE = 4096  # tmpfs hands out space in pages


@pytest.fixture
def small_disk(settings):
    """A 1 MB filesystem as MEDIA_ROOT; `leave_free(n)` fills it so that about n bytes remain."""
    if os.geteuid() != 0:
        pytest.skip("Mounting a small filesystem to fill up needs root (CI runs as root).")
    mount_point = Path(tempfile.mkdtemp(prefix="portal-media-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(mount_point)], check=True)
    settings.MEDIA_ROOT = str(mount_point)
    try:
        yield SmallDisk(mount_point)
    finally:
        subprocess.run(["umount", "--lazy", str(mount_point)], check=True)
        mount_point.rmdir()


class SmallDisk:
    def __init__(self, root: Path):
        self.root = root
        self.filler = root / "filler.bin"

    def free(self) -> int:
        stats = os.statvfs(self.root)
        return stats.f_bavail * stats.f_frsize

    def leave_free(self, wanted: int) -> None:
        """Fill the disk with one file so that `wanted` bytes (rounded down to a page) are left."""
        size = max(0, self.free() - (wanted // PAGE) * PAGE)
        self.filler.write_bytes(b"\0" * size)
        assert abs(self.free() - wanted) <= PAGE

    def make_room(self) -> None:
        self.filler.unlink()

    def files(self) -> list[str]:
        return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file() and p != self.filler)


@pytest.fixture(autouse=True)
def no_faces(monkeypatch):
    """Face detection is tested elsewhere; here it only costs time."""
    monkeypatch.setattr(faces, "_detect_raw", lambda grey: [])


def _noisy_jpeg() -> bytes:
    """A photo that compresses badly, so each stored copy takes real room (about 200 KB)."""
    rng = random.Random(16)
    image = Image.frombytes("RGB", (400, 300), bytes(rng.getrandbits(8) for _ in range(400 * 300 * 3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def _upload(client, post, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("IMG_2041.JPG", data, content_type="image/jpeg")
    return client.post(reverse("post_image_upload", args=[post.pk]), {"photo": photo}, HTTP_HX_REQUEST="true")


@pytest.fixture
def draft(staff, make_post):
    return make_post("Our class trip to the coast.")


@pytest.mark.parametrize(
    "room",
    [
        pytest.param("none", id="the-original-does-not-fit"),
        pytest.param("original-only", id="the-original-fits-the-publishable-copy-does-not"),
    ],
)
def test_a_full_media_disk_refuses_the_photo_plainly_and_keeps_nothing(small_disk, client_for, staff, draft, room):
    data = _noisy_jpeg()
    if room == "none":
        small_disk.leave_free(len(data) // 2)
    else:
        small_disk.leave_free(len(data) + 2 * PAGE)
        assert len(prepare_image(data).jpeg) > 2 * PAGE  # so the second copy cannot fit
    teacher = client_for(staff.teacher)

    response = _upload(teacher, draft, data)

    assert response.status_code == 400
    body = response.content.decode()
    assert f"This photo ({len(data) / 1_000_000:.1f} MB) was not saved, and nothing of it was kept." in body
    assert "The portal&#x27;s storage for photos is full." in body
    assert not PostImage.objects.exists()
    assert small_disk.files() == []  # no partial file, and no copy that did fit

    small_disk.make_room()
    response = _upload(teacher, draft, data)
    assert response.status_code == 200
    image = PostImage.objects.get()
    with image.original.open("rb") as stored:
        assert stored.read() == data
    assert len(small_disk.files()) == 3  # original, publishable copy, thumbnail


def test_the_local_timeline_waits_for_room_then_publishes_the_photo_once(small_disk, staff, draft):
    """The local network keeps its own copy of each published photo on the same disk: when it
    has no room the post waits and is tried again, with the reason shown, and nothing is half-stored."""
    data = _noisy_jpeg()
    services.post_add_image(actor=staff.teacher, post=draft, data=data, alt_text="The beach at low tide")
    services.post_submit(actor=staff.teacher, post=draft)
    services.post_approve(actor=staff.head, post=draft)
    stored = small_disk.files()
    small_disk.leave_free(PAGE)

    assert publishing.publish(draft.pk) == Outcome.RETRY

    draft.refresh_from_db()
    assert draft.status == PostStatus.SCHEDULED
    assert "could not store this post's photo" in draft.last_publish_error
    assert "its storage is full" in draft.last_publish_error
    assert not LocalNetworkMedia.objects.exists() and not LocalNetworkPost.objects.exists()
    assert small_disk.files() == stored  # the photo's own copies, and nothing half-written

    small_disk.make_room()
    Post.objects.filter(pk=draft.pk).update(retry_at=timezone.now())
    assert publishing.publish(draft.pk) == Outcome.PUBLISHED
    assert LocalNetworkPost.objects.count() == 1 and LocalNetworkMedia.objects.count() == 1
    assert len(small_disk.files()) == len(stored) + 1


def test_a_full_disk_refuses_the_mis_file_plainly_and_keeps_nothing(small_disk, client_for, staff):
    """The office's MIS export goes to the same disk (the private storage, which shares it here)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    rows = "".join(f"UPN{n:06d},Pupil{n},Surname{n},Year 3\n" for n in range(4000))
    data = ("UPN,Forename,Surname,Class\n" + rows).encode()
    small_disk.leave_free(len(data) // 2)
    office = client_for(staff.office)

    response = office.post(reverse("consent_import"), {"file": SimpleUploadedFile("export.csv", data)})

    body = response.content.decode()
    assert f"The file ({len(data) / 1_000_000:.1f} MB) was not saved, and nothing of it was kept" in body
    assert "the portal&#x27;s storage is full" in body
    assert small_disk.files() == []

    small_disk.make_room()
    response = office.post(reverse("consent_import"), {"file": SimpleUploadedFile("export.csv", data)})
    assert response.status_code == 302
    assert len(small_disk.files()) == 1
