"""Photos in S3-compatible object storage (issue 16): a real S3 API (moto's server on 127.0.0.1,
the `s3_store` fixture) behind the portal's unchanged storage code. Uploads go through the real
compose view; links are fetched over real HTTP."""

import io
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from urllib.request import urlopen

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from posts import faces, services, views_compose
from posts.models import FaceRegion, OrphanFile, Post, PostImage, PostStatus
from posts.retention import delete_expired_originals
from posts.services import compose
from posts.services.stored_files import orphan_files_delete

HTMX = {"HTTP_HX_REQUEST": "true"}
STORE_DOWN = "The photo store is not answering; your photo was not saved. Try again in a minute."
PUBLIC_GROUPS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


@pytest.fixture(autouse=True)
def one_face(monkeypatch):
    monkeypatch.setattr(faces, "_detect_raw", lambda grey: [(10, 10, 20, 20)])


def jpeg_bytes(size=(320, 240), colour=(30, 140, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def upload(client, post, data=None):
    photo = SimpleUploadedFile("IMG_0001.JPG", data or jpeg_bytes(), content_type="image/jpeg")
    return client.post(reverse("post_image_upload", args=[post.pk]), {"photo": [photo]}, **HTMX)


def local_files(settings):
    from pathlib import Path

    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def test_an_uploaded_photo_lands_in_the_buckets_and_not_on_the_disk(s3_store, settings, client_for, staff, make_post):
    post = make_post()
    data = jpeg_bytes()

    response = upload(client_for(staff.teacher), post, data)

    assert response.status_code == 200
    image = PostImage.objects.get(post=post)
    assert s3_store.keys(s3_store.private_bucket) == [f"private/{image.original.name}"]
    assert image.original.name.startswith("posts/originals/")
    assert s3_store.read(s3_store.private_bucket, f"private/{image.original.name}") == data
    assert s3_store.keys(s3_store.media_bucket) == sorted(
        [f"media/{image.rendition.name}", f"media/{image.thumbnail.name}"]
    )
    assert local_files(settings) == []


def test_no_original_has_a_public_grant_nor_opens_without_a_signature(s3_store, staff, make_post):
    post = make_post()
    image = services.post_add_image(actor=staff.teacher, post=post, data=jpeg_bytes())

    for bucket, key in (
        (s3_store.private_bucket, f"private/{image.original.name}"),
        (s3_store.media_bucket, f"media/{image.rendition.name}"),
    ):
        grants = s3_store.client.get_object_acl(Bucket=bucket, Key=key)["Grants"]
        assert grants, "the owner's grant is listed"
        assert not [g for g in grants if g["Grantee"].get("URI") in PUBLIC_GROUPS]
    bucket_grants = s3_store.client.get_bucket_acl(Bucket=s3_store.private_bucket)["Grants"]
    assert not [g for g in bucket_grants if g["Grantee"].get("URI") in PUBLIC_GROUPS]


def test_the_rendition_is_a_redirect_to_a_link_that_works_for_five_minutes(s3_store, client_for, staff, make_post):
    post = make_post()
    image = services.post_add_image(actor=staff.teacher, post=post, data=jpeg_bytes())
    before = timezone.now().replace(microsecond=0)

    response = client_for(staff.head).get(reverse("post_image_file", args=[image.pk, "rendition"]))

    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    link = response["Location"]
    parts = urlsplit(link)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}" == s3_store.endpoint
    assert parts.path == f"/{s3_store.media_bucket}/media/{image.rendition.name}"
    assert query["X-Amz-Expires"] == ["300"]
    assert query["X-Amz-Signature"][0]
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert before - timedelta(seconds=1) <= signed_at <= timezone.now()
    with urlopen(link, timeout=5) as answer:  # noqa: S310 - the test's own server on 127.0.0.1
        assert answer.headers["Content-Type"] == "image/jpeg"
        assert answer.headers["Cache-Control"] == "private, no-store"
        with image.rendition.open("rb") as stored:
            assert answer.read() == stored.read()


def test_links_are_signed_for_the_address_browsers_use(s3_store, settings, client_for, staff, make_post):
    settings.AWS_S3_PUBLIC_ENDPOINT_URL = "https://photos.portal.example.org"
    settings.MEDIA_SIGNED_LINK_SECONDS = 120
    image = services.post_add_image(actor=staff.teacher, post=make_post(), data=jpeg_bytes())

    link = client_for(staff.teacher).get(reverse("post_image_file", args=[image.pk, "rendition"]))["Location"]

    assert link.startswith(f"https://photos.portal.example.org/{s3_store.media_bucket}/media/posts/renditions/")
    assert parse_qs(urlsplit(link).query)["X-Amz-Expires"] == ["120"]


def test_with_links_off_the_portal_streams_the_photo_itself(s3_store, settings, client_for, staff, make_post):
    settings.MEDIA_SIGNED_LINK_SECONDS = 0
    image = services.post_add_image(actor=staff.teacher, post=make_post(), data=jpeg_bytes())

    response = client_for(staff.teacher).get(reverse("post_image_file", args=[image.pk, "rendition"]))

    assert response.status_code == 200
    with image.rendition.open("rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()


def test_the_thumbnail_is_read_from_the_bucket_with_covered_faces_covered(s3_store, client_for, staff, make_post):
    image = services.post_add_image(actor=staff.teacher, post=make_post(), data=jpeg_bytes(colour=(250, 250, 250)))
    image.faces.update(resolution=FaceRegion.Resolution.REDACTED)

    response = client_for(staff.teacher).get(reverse("post_image_file", args=[image.pk, "thumbnail"]))

    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(response.content)) as shown, image.thumbnail.open("rb") as stored:
        assert shown.size == Image.open(stored).size
        assert shown.convert("L").getpixel((int(20 * shown.width / 320), int(20 * shown.width / 320))) < 100


def test_another_schools_photo_is_not_found_and_no_link_is_made(s3_store, monkeypatch, client_for, staff, outsider):
    theirs = services.post_create(actor=outsider.head, account=outsider.account, text="Beta news")
    image = services.post_add_image(actor=outsider.head, post=theirs, data=jpeg_bytes())
    links_made = []
    real_signed_link = views_compose.signed_link
    monkeypatch.setattr(views_compose, "signed_link", lambda *a, **k: links_made.append(a) or real_signed_link(*a, **k))

    for member in (staff.head, staff.teacher):
        for kind in ("rendition", "thumbnail", "original"):
            response = client_for(member).get(reverse("post_image_file", args=[image.pk, kind]))
            assert response.status_code == 404
            assert "Location" not in response
    assert links_made == []
    # Its own head still gets a link, so the refusal above is the school check's doing.
    assert client_for(outsider.head).get(reverse("post_image_file", args=[image.pk, "rendition"])).status_code == 302
    assert len(links_made) == 1


def test_the_original_never_has_an_address(s3_store, client_for, staff, make_post):
    image = services.post_add_image(actor=staff.teacher, post=make_post(), data=jpeg_bytes())

    response = client_for(staff.head).get(reverse("post_image_file", args=[image.pk, "original"]))

    assert response.status_code == 404
    assert image.original.name not in response.content.decode()


def test_retention_deletes_the_original_from_the_bucket_and_keeps_the_rendition(s3_store, settings, staff, make_post):
    settings.ORIGINAL_PHOTO_RETENTION_DAYS = 30
    post = make_post()
    image = services.post_add_image(actor=staff.teacher, post=post, data=jpeg_bytes())
    Post.objects.filter(pk=post.pk).update(
        status=PostStatus.PUBLISHED, external_id="1", updated_at=timezone.now() - timedelta(days=31)
    )

    assert delete_expired_originals() == 1

    assert s3_store.keys(s3_store.private_bucket) == []
    assert f"media/{image.rendition.name}" in s3_store.keys(s3_store.media_bucket)
    assert PostImage.objects.get(pk=image.pk).original.name == ""


def test_removing_a_photo_deletes_its_objects(s3_store, django_capture_on_commit_callbacks, staff, make_post):
    post = make_post()
    image = services.post_add_image(actor=staff.teacher, post=post, data=jpeg_bytes())

    with django_capture_on_commit_callbacks(execute=True):
        services.post_remove_image(actor=staff.teacher, image=image)

    assert s3_store.keys(s3_store.private_bucket) == [] and s3_store.keys(s3_store.media_bucket) == []


# The store stops answering


def test_a_store_that_is_down_refuses_the_upload_with_a_clear_message(s3_store, client_for, staff, make_post):
    post = make_post()
    s3_store.stop()

    response = upload(client_for(staff.teacher), post)

    assert response.status_code == 400
    assert STORE_DOWN in response.content.decode()
    assert not PostImage.objects.exists()
    s3_store.start()
    assert s3_store.keys(s3_store.private_bucket) == [] and s3_store.keys(s3_store.media_bucket) == []


def test_a_store_that_stops_mid_upload_leaves_no_row_and_no_object_behind(
    s3_store, settings, client_for, staff, make_post
):
    """The original is written, then the store stops before the rendition: the teacher is told,
    no row is made, and the original the portal could not delete then goes once the store is back."""
    from django.core.files.storage import storages

    post = make_post()
    private = storages["private"]
    stopped = []

    def stop_after_the_original(**kwargs):
        if not stopped:
            stopped.append(True)
            s3_store.stop()

    private.connection.meta.client.meta.events.register("after-call.s3.PutObject", stop_after_the_original)

    response = upload(client_for(staff.teacher), post)

    assert stopped
    assert response.status_code == 400 and STORE_DOWN in response.content.decode()
    assert not PostImage.objects.exists()
    assert not FaceRegion.objects.exists()
    [orphan] = OrphanFile.objects.all()
    assert orphan.storage == "private" and orphan.name.startswith("posts/originals/")

    assert orphan_files_delete() == {"deleted": 0, "waiting": 1}  # still down: kept for later
    s3_store.start()
    assert s3_store.keys(s3_store.private_bucket) == [f"private/{orphan.name}"]
    assert orphan_files_delete() == {"deleted": 1, "waiting": 0}

    assert s3_store.keys(s3_store.private_bucket) == [] and s3_store.keys(s3_store.media_bucket) == []
    assert not OrphanFile.objects.exists()
    # The store is back: the same photo now goes in.
    assert upload(client_for(staff.teacher), post).status_code == 200
    assert PostImage.objects.filter(post=post).count() == 1


def test_a_database_failure_after_the_files_were_written_deletes_them(
    s3_store, monkeypatch, client_for, staff, make_post
):
    post = make_post()

    def broken(*args, **kwargs):
        raise DatabaseError("the database went away")

    monkeypatch.setattr(compose.FaceRegion.objects, "bulk_create", broken)

    with pytest.raises(DatabaseError):
        services.post_add_image(actor=staff.teacher, post=post, data=jpeg_bytes())

    assert not PostImage.objects.exists()
    assert s3_store.keys(s3_store.private_bucket) == [] and s3_store.keys(s3_store.media_bucket) == []
    assert not OrphanFile.objects.exists()


def test_a_photo_view_says_so_when_the_store_is_down(s3_store, client_for, staff, make_post):
    image = services.post_add_image(actor=staff.teacher, post=make_post(), data=jpeg_bytes())
    s3_store.stop()

    response = client_for(staff.teacher).get(reverse("post_image_file", args=[image.pk, "thumbnail"]))

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "The photo store is not answering" in response.content.decode()


# Publishing reads the photos from the store


def _approved_photo_post(staff, accounts):
    post = services.post_create(actor=staff.teacher, account=accounts.year3, text="Our sunflowers are taller than us!")
    services.post_add_image(actor=staff.teacher, post=post, data=jpeg_bytes(), alt_text="A sunflower")
    FaceRegion.objects.filter(image__post=post).update(resolution=FaceRegion.Resolution.NOT_PUPIL)
    services.post_submit(actor=staff.teacher, post=post)
    services.post_approve(actor=staff.head, post=post)
    return post


def test_a_store_down_at_publishing_time_means_a_retry_and_nothing_sent(s3_store, staff, accounts):
    from networks.local.models import LocalNetworkPost
    from posts.services.publishing import Outcome, publish

    post = _approved_photo_post(staff, accounts)
    s3_store.stop()

    assert publish(post.pk) == Outcome.RETRY

    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED
    assert post.last_publish_error == "The portal's photo store did not answer, so nothing was sent. It will try again."
    assert not LocalNetworkPost.objects.exists()

    s3_store.start()
    Post.objects.filter(pk=post.pk).update(retry_at=timezone.now())
    assert publish(post.pk) == Outcome.PUBLISHED
    [published] = LocalNetworkPost.objects.all()
    [media] = published.media.all()
    # The local network's copy of the photo is in the media bucket too, not on the disk.
    assert f"media/{media.file.name}" in s3_store.keys(s3_store.media_bucket)
