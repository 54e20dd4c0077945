"""The compose pages: new post, edit draft, photo uploads and files, live text feedback and
"My posts". Every request goes through the real views, forms and services; files go to a
temporary MEDIA_ROOT and pictures are made on the fly."""

import io
import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from networks.local.adapter import post_url
from networks.local.models import LocalNetworkPost
from posts import faces, services, views_compose
from posts.models import FaceRegion, Post, PostComment, PostImage, PostStatus

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture(autouse=True)
def two_faces(monkeypatch):
    """The detector finds two faces on every photo: what it finds is tested in test_images."""
    monkeypatch.setattr(faces, "_detect_raw", lambda grey: [(10, 10, 20, 20), (40, 10, 20, 20)])


@pytest.fixture
def teacher(client_for, staff, accounts):
    return client_for(staff.teacher)


def jpeg(size=(160, 120), colour=(30, 140, 200), name="IMG_0001.JPG") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def new_post(client, **fields):
    data = {"client_token": str(uuid.uuid4()), "text": "", "quote_url": "", "publish_at": "", "action": "save"}
    data.update(fields)
    return client.post(reverse("post_compose"), data)


def edit(client, post, **fields):
    data = {"text": post.text, "quote_url": post.quote_url, "publish_at": "", "action": "save"}
    data.update({f"alt_{image.pk}": image.alt_text for image in post.images.all()})
    data.update(fields)
    return client.post(reverse("post_edit", args=[post.pk]), data)


def page(response) -> str:
    return response.content.decode()


# New post


def test_a_class_teacher_sees_only_their_class_account_already_chosen(teacher, accounts):
    response = teacher.get(reverse("post_compose"))

    assert response.status_code == 200
    body = page(response)
    assert "@alpha_year3" in body and "@alpha_school" not in body
    assert f'value="{accounts.year3.pk}"' in body and "checked" in body
    # The photo library and the camera both offered (no "capture"), HEIC kept as it is.
    assert 'accept="image/jpeg,image/png,image/heic,image/heif,image/webp,image/gif"' in body and "capture" not in body


def test_a_senior_leader_posts_to_the_whole_school_account(client_for, staff, accounts):
    body = page(client_for(staff.slt).get(reverse("post_compose")))
    assert "@alpha_school" in body and "@alpha_year3" not in body


def test_saving_a_new_post_makes_a_draft_and_opens_it(teacher, staff, accounts):
    response = new_post(teacher, account=accounts.year3.pk, text="We planted beans today.")

    post = Post.objects.get()
    assert response.status_code == 302 and response.url == reverse("post_edit", args=[post.pk])
    assert (post.author, post.account, post.text, post.status) == (
        staff.teacher.user,
        accounts.year3,
        "We planted beans today.",
        PostStatus.DRAFT,
    )


def test_a_teaching_assistant_of_the_class_may_draft(client_for, staff, accounts):
    response = new_post(client_for(staff.ta), account=accounts.year3.pk, text="Story time in the library.")
    assert response.status_code == 302
    assert Post.objects.get().author == staff.ta.user


def test_the_same_form_sent_twice_makes_one_post(teacher, accounts):
    data = {"account": accounts.year3.pk, "text": "Sports day!", "client_token": str(uuid.uuid4())}
    first = new_post(teacher, action="submit", **data)
    second = new_post(teacher, action="submit", **data)

    post = Post.objects.get()
    assert post.status == PostStatus.SUBMITTED
    assert first.status_code == second.status_code == 302
    assert second.url == reverse("post_list_mine")


def test_an_account_you_do_not_draft_for_is_forbidden(teacher, accounts, outsider):
    for account in (accounts.whole_school, outsider.account):
        response = new_post(teacher, account=account.pk, text="Hello from the whole school")
        assert response.status_code == 403
    assert not Post.objects.exists()


def test_nothing_to_say_and_no_photo_is_refused(teacher, accounts):
    response = new_post(teacher, account=accounts.year3.pk, text="   ")
    assert response.status_code == 400
    assert "Write something or add a photo." in page(response)
    assert not Post.objects.exists()


def test_a_link_that_is_not_a_post_is_refused_and_the_text_kept(teacher, accounts):
    for url in ("https://example.com/news", "https://x.com/someone", "https://x.com/someone/likes/1"):
        response = new_post(teacher, account=accounts.year3.pk, text="Look at this!", quote_url=url)
        assert response.status_code == 400
        body = page(response)
        assert "That link is not a post on X, on Bluesky or on this portal&#x27;s timeline." in body
        assert "Look at this!" in body
    assert not Post.objects.exists()


def test_a_post_on_x_or_on_the_local_timeline_may_be_quoted(teacher, accounts):
    new_post(
        teacher, account=accounts.year3.pk, text="Well done!", quote_url="https://twitter.com/DfE/status/1234567?s=20"
    )
    assert Post.objects.get().quote_url == "https://x.com/DfE/status/1234567"

    local = LocalNetworkPost.objects.create(account=accounts.whole_school, text="Our new library opens today")
    new_post(
        teacher,
        account=accounts.year3.pk,
        text="Read all about it",
        quote_url=post_url(accounts.whole_school, local.pk),
    )
    assert Post.objects.filter(quote_url=post_url(accounts.whole_school, local.pk)).exists()


def test_a_bluesky_post_may_be_quoted_by_its_bsky_app_link(teacher, accounts):
    new_post(
        teacher,
        account=accounts.year3.pk,
        text="Well done!",
        quote_url="https://bsky.app/profile/dfe.bsky.social/post/3lbq2xyzabc22/",
    )
    assert Post.objects.get().quote_url == "https://bsky.app/profile/dfe.bsky.social/post/3lbq2xyzabc22"
    response = new_post(
        teacher, account=accounts.year3.pk, text="Nope", quote_url="https://bsky.app/profile/dfe.bsky.social"
    )
    assert response.status_code == 400 and "not a post on X, on Bluesky" in page(response)


def test_a_local_post_that_does_not_exist_cannot_be_quoted(teacher, accounts):
    missing = post_url(accounts.whole_school, 999)
    response = new_post(teacher, account=accounts.year3.pk, text="Quote", quote_url=missing)
    assert response.status_code == 400 and "not a post on X, on Bluesky" in page(response)


def test_a_publish_time_that_has_passed_is_refused(teacher, accounts):
    earlier = timezone.localtime() - timedelta(hours=1)
    response = new_post(teacher, account=accounts.year3.pk, text="Trip", publish_at=earlier.strftime("%Y-%m-%dT%H:%M"))
    assert response.status_code == 400
    assert "That time has passed. Choose a later time or leave it empty to publish once approved." in page(response)


def test_a_publish_time_is_read_in_the_schools_time_zone(teacher, accounts, settings):
    response = new_post(teacher, account=accounts.year3.pk, text="Concert", publish_at="2099-07-01T09:30")
    assert response.status_code == 302
    published = timezone.localtime(Post.objects.get().publish_at)
    assert (published.hour, published.minute, str(published.tzinfo)) == (9, 30, settings.TIME_ZONE)


# Sending for approval


def test_text_over_the_limit_is_saved_but_not_sent_and_says_its_count(teacher, accounts):
    response = new_post(teacher, account=accounts.year3.pk, text="a" * 300, action="submit")

    assert response.status_code == 400
    body = page(response)
    assert "Your post is 300 characters long and the limit is 280. Take out 20 characters." in body
    assert "300 / 280" in body
    post = Post.objects.get()
    assert post.status == PostStatus.DRAFT and post.text == "a" * 300
    assert f'action="{reverse("post_edit", args=[post.pk])}"' in body  # the next try edits this draft


def test_each_consent_problem_is_shown_and_the_text_kept(teacher, staff, make_post, pupils):
    post = make_post("Ben and Amara at the science fair", tagged=[pupils.ben])

    response = edit(teacher, post, action="submit")

    assert response.status_code == 400
    body = page(response)
    assert "Ben" in body and "Ben and Amara at the science fair" in body
    assert Post.objects.get(pk=post.pk).status == PostStatus.DRAFT


def test_every_photo_needs_a_description_before_it_is_sent(teacher, staff, make_post):
    post = make_post("Art week")
    for alt in ("A painted sunflower", ""):
        services.post_add_image(actor=staff.teacher, post=post, data=jpeg().read(), alt_text=alt)

    response = edit(teacher, post, action="submit")

    assert response.status_code == 400
    assert "Describe photo 2 for people who cannot see it." in page(response)


def test_descriptions_typed_in_the_form_are_saved_with_it_and_then_it_goes(teacher, staff, make_post):
    post = make_post("Art week")
    image = services.post_add_image(actor=staff.teacher, post=post, data=jpeg().read())
    image.faces.update(resolution="not_pupil")  # whatever the detector found on the test picture

    response = edit(teacher, post, action="submit", **{f"alt_{image.pk}": "A painted sunflower"})

    assert response.status_code == 302 and response.url == reverse("post_list_mine")
    assert PostImage.objects.get(pk=image.pk).alt_text == "A painted sunflower"
    assert Post.objects.get(pk=post.pk).status == PostStatus.SUBMITTED


def test_changing_a_post_waiting_for_approval_brings_it_back_as_a_draft(teacher, staff, make_post):
    post = make_post("Harvest festival")
    services.post_submit(actor=staff.teacher, post=post)
    post.refresh_from_db()

    edit(teacher, post, text="Harvest festival: thank you for the donations")
    body = page(teacher.get(reverse("post_edit", args=[post.pk])))

    assert Post.objects.get(pk=post.pk).status == PostStatus.DRAFT
    assert "Changed since it was first sent for approval" in body
    assert "thank you for the donations" in body


def test_another_persons_draft_cannot_be_opened(client_for, staff, make_post):
    post = make_post()
    assert client_for(staff.ta).get(reverse("post_edit", args=[post.pk])).status_code == 403


# Live feedback


def test_the_text_feedback_gives_the_weighted_count(teacher):
    response = teacher.post(reverse("post_text_feedback"), {"text": "a" * 121 + " 🦔"}, **HTMX)
    assert response.status_code == 200
    assert "124 / 280" in page(response)


def test_the_text_feedback_marks_findings_and_escapes_the_text(teacher, school, accounts):
    pytest.importorskip("moderation.services").seed_default_rules(school)
    text = "<script>alert(1)</script> what a crap day"

    body = page(teacher.post(reverse("post_text_feedback"), {"text": text, "account": accounts.year3.pk}, **HTMX))

    assert "<script" not in body and "</script" not in body
    assert "&gt;alert(1)&lt;/script&gt; what a " in body
    assert '<mark class="finding finding-block">crap</mark>' in body
    assert "Must change" in body


def test_without_javascript_the_same_feedback_shows_after_saving(teacher, accounts):
    response = new_post(teacher, account=accounts.year3.pk, text="Hello & welcome")
    body = page(teacher.get(response.url))
    assert "15 / 280" in body and "Hello &amp; welcome" in body


# Photos


def upload(client, post, *files, **headers):
    return client.post(reverse("post_image_upload", args=[post.pk]), {"photo": list(files)}, **headers)


def test_an_uploaded_jpeg_becomes_a_card_with_its_faces_waiting_to_be_resolved(teacher, make_post):
    post = make_post()

    response = upload(teacher, post, jpeg(), **HTMX)

    assert response.status_code == 200
    image = PostImage.objects.get(post=post)
    body = page(response)
    assert reverse("post_image_file", args=[image.pk, "thumbnail"]) in body
    assert "2 faces found" in body and "Describe photo <span data-photo-number>1</span>" in body
    assert FaceRegion.objects.filter(image=image, source="detected", resolution="").count() == 2


def test_a_pdf_named_photo_jpg_is_refused_with_the_reason_beside_it(teacher, make_post, media_root):
    post = make_post()
    pdf = SimpleUploadedFile("photo.jpg", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", content_type="image/jpeg")

    response = upload(teacher, post, pdf, **HTMX)

    assert response.status_code == 400
    body = page(response)
    assert "photo.jpg" in body and "it looks like a PDF" in body
    assert not PostImage.objects.exists()
    assert not any(path.is_file() for path in media_root.rglob("*"))


def test_a_fifth_photo_is_refused(teacher, staff, make_post):
    post = make_post()
    for _ in range(4):
        services.post_add_image(actor=staff.teacher, post=post, data=jpeg().read())

    response = upload(teacher, post, jpeg(), **HTMX)

    assert response.status_code == 400
    assert "A post can have at most 4 photos." in page(response)
    assert post.images.count() == 4


def test_a_photo_over_the_size_limit_is_dropped_while_it_streams_in(teacher, make_post, monkeypatch):
    monkeypatch.setattr(views_compose, "MAX_UPLOAD_BYTES", 2_000)
    # The upload handler drops the file, so the view never even sees it.
    monkeypatch.setattr(views_compose, "_add_photo", lambda *args: pytest.fail("an oversized upload reached the view"))
    post = make_post()

    response = upload(teacher, post, jpeg(size=(800, 600), name="huge.heic"), **HTMX)

    assert response.status_code == 400
    assert "huge.heic" in page(response) and "too big to upload" in page(response)
    assert not PostImage.objects.exists()


def test_without_javascript_photos_come_with_the_form_and_each_is_judged_alone(teacher, accounts):
    pdf = SimpleUploadedFile("notes.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg")
    response = new_post(teacher, account=accounts.year3.pk, photos=[jpeg(), pdf, jpeg(name="IMG_0002.JPG")])

    post = Post.objects.get()
    assert response.status_code == 302 and response.url == reverse("post_edit", args=[post.pk])
    assert post.images.count() == 2 and post.text == ""
    body = page(teacher.get(response.url))
    assert "notes.jpg: This file is not a photo we can use (it looks like a PDF)." in body


def test_without_javascript_an_oversized_photo_is_named_and_the_draft_still_saved(teacher, accounts, monkeypatch):
    monkeypatch.setattr(views_compose, "MAX_UPLOAD_BYTES", 2_000)

    response = new_post(teacher, account=accounts.year3.pk, text="Trip", photos=[jpeg(size=(800, 600), name="big.jpg")])

    post = Post.objects.get()
    assert post.text == "Trip" and not post.images.exists()
    assert "big.jpg: This photo is too big to upload" in page(teacher.get(response.url))


def test_after_a_save_the_next_page_says_which_copies_on_the_ipad_can_go(teacher, accounts):
    response = new_post(teacher, account=accounts.year3.pk, text="Saved")
    post = Post.objects.get()

    first, again = page(teacher.get(response.url)), page(teacher.get(response.url))

    assert f'data-saved-copies="compose:new compose:{post.pk}"' in first
    assert "data-saved-copies" not in again


def test_without_javascript_a_photo_is_removed_and_the_text_kept(teacher, staff, make_post):
    post = make_post("Before")
    first = services.post_add_image(actor=staff.teacher, post=post, data=jpeg().read(), alt_text="One")
    second = services.post_add_image(actor=staff.teacher, post=post, data=jpeg().read(), alt_text="Two")

    response = edit(teacher, post, text="After", remove_photo=str(first.pk))

    assert response.status_code == 302
    post.refresh_from_db()
    assert post.text == "After"
    assert list(post.images.values_list("pk", "position")) == [(second.pk, 0)]


def test_with_htmx_a_description_saves_on_its_own(teacher, staff, make_post):
    post = make_post()
    image = services.post_add_image(actor=staff.teacher, post=post, data=jpeg().read())

    response = teacher.post(
        reverse("post_image_alt_text", args=[image.pk]), {f"alt_{image.pk}": "Two children reading"}, **HTMX
    )

    assert response.status_code == 200 and "Description saved." in page(response)
    assert PostImage.objects.get(pk=image.pk).alt_text == "Two children reading"


def test_upload_views_still_check_the_csrf_token(staff, make_post):
    post = make_post()
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff.teacher.user, backend="django.contrib.auth.backends.ModelBackend")

    assert upload(client, post, jpeg()).status_code == 403
    assert client.post(reverse("post_compose"), {"text": "Hi"}).status_code == 403
    assert not PostImage.objects.exists() and Post.objects.count() == 1


# Photo files


def test_the_thumbnail_and_rendition_are_served_privately_to_staff_who_work_on_the_post(client_for, staff, make_post):
    post = make_post()
    image = services.post_add_image(actor=staff.teacher, post=post, data=jpeg().read())

    for member in (staff.teacher, staff.ta, staff.head, staff.slt):
        for kind in ("thumbnail", "rendition", "published"):
            response = client_for(member).get(reverse("post_image_file", args=[image.pk, kind]))
            assert response.status_code == 200
            assert response["Content-Type"] == "image/jpeg"
            assert response["Cache-Control"] == "private, no-store"
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert body[:2] == b"\xff\xd8"
    for member in (staff.office, staff.computing):
        assert client_for(member).get(reverse("post_image_file", args=[image.pk, "rendition"])).status_code == 403


def test_the_original_upload_has_no_address(teacher, staff, make_post, settings):
    post = make_post()
    image = services.post_add_image(actor=staff.teacher, post=post, data=jpeg().read())
    rendition = b"".join(teacher.get(reverse("post_image_file", args=[image.pk, "rendition"])).streaming_content)

    assert image.original.name.startswith("posts/originals/")
    assert rendition != image.original.read()
    for address in (
        f"/{settings.MEDIA_URL.strip('/')}/{image.original.name}",
        f"/{image.original.name}",
        reverse("post_image_file", args=[image.pk, "original"]),
    ):
        assert teacher.get(address).status_code == 404, address


# Another school


COMPOSE_VIEWS_FOR_ONE_POST = [
    ("get", "post_edit", "post"),
    ("post", "post_edit", "post"),
    ("post", "post_image_upload", "post"),
    ("post", "post_image_remove", "image"),
    ("post", "post_image_alt_text", "image"),
    ("get", "post_image_file", "image"),
]


@pytest.mark.parametrize(("method", "name", "kind"), COMPOSE_VIEWS_FOR_ONE_POST)
def test_another_schools_post_is_not_found(client_for, staff, outsider, method, name, kind):
    theirs = services.post_create(actor=outsider.head, account=outsider.account, text="Beta news")
    image = services.post_add_image(actor=outsider.head, post=theirs, data=jpeg().read(), alt_text="Beta")
    target = theirs if kind == "post" else image

    for member in (staff.head, staff.teacher):
        response = getattr(client_for(member), method)(reverse(name, args=[target.pk]), {"text": "Taken over"})
        assert response.status_code == 404

    theirs.refresh_from_db()
    assert theirs.text == "Beta news" and theirs.images.count() == 1


# My posts


def test_my_posts_lists_mine_newest_first_with_the_approvers_requests(teacher, staff, make_post):
    older = make_post("Older post")
    newer = make_post("Newer post")
    services.post_submit(actor=staff.teacher, post=older)
    services.post_request_changes(actor=staff.head, post=older, comment="Please leave out the surname.")
    make_post("Someone else's", author=staff.ta)

    body = page(teacher.get(reverse("post_list_mine")))

    assert body.index("Newer post") < body.index("Older post")
    assert "Please leave out the surname." in body and "Changes requested" in body
    assert "Someone else" not in body
    assert reverse("post_edit", args=[newer.pk]) in body


def _queries_for_my_posts(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("post_list_mine")).status_code == 200
    return len(queries)


def test_my_posts_takes_the_same_number_of_queries_for_3_or_20_posts(teacher, staff, make_post):
    def add_posts(count):
        for number in range(count):
            post = make_post(f"Post {number}")
            PostImage.objects.create(post=post, alt_text="A photo", position=0)
            PostComment.objects.create(post=post, kind=PostComment.Kind.CHANGES_REQUESTED, body="Shorter, please")

    add_posts(3)
    with_three = _queries_for_my_posts(teacher)
    add_posts(17)
    with_twenty = _queries_for_my_posts(teacher)

    assert with_three == with_twenty
    assert with_twenty <= 13  # one of them the main navigation's counts (portal/navigation.py)
