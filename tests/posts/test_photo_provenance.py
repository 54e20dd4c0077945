"""Where a photo came from (issue 18): the school device it was uploaded from, the camera named in
its EXIF before the metadata went, the account's warn-or-block choice re-checked at submit and
approval, the copyright source and its credit, and copies for other accounts keeping all of it."""

import io

import pytest
from django.urls import reverse
from PIL import Image

from accounts import services_devices as devices
from accounts.models import DeviceCheck, SocialAccount
from posts import faces, services
from posts.models import PhotoSource, Post, PostDestination, PostImage, PostStatus
from tests.factories import make_account

MAKE, MODEL = 0x010F, 0x0110
WORDS = "Year 3 planted bulbs in the school garden this morning."


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture(autouse=True)
def no_faces(monkeypatch):
    monkeypatch.setattr(faces, "_detect_raw", lambda grey: [])


def camera_jpeg(make="Apple", model="iPad (10th generation)") -> bytes:
    exif = Image.Exif()
    if make:
        exif[MAKE] = make
    if model:
        exif[MODEL] = model
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (60, 140, 90)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


@pytest.fixture
def ipad(staff):
    """An enrolled Year 3 iPad and the cookie its browser holds."""
    enrolment = devices.device_add(actor=staff.head, name="Year 3 iPad")
    return devices.device_enrol(actor=staff.teacher, token=enrolment.token)


def _set_check(account: SocialAccount, choice: str) -> None:
    SocialAccount.objects.filter(pk=account.pk).update(device_check=choice)
    account.refresh_from_db()


def _add(staff, post, *, cookie=None, data=None, alt_text="Bulbs in a row") -> PostImage:
    return services.post_add_image(
        actor=staff.teacher, post=post, data=data or camera_jpeg(), alt_text=alt_text, device_cookie=cookie
    )


def _blocks(staff, post) -> list[str]:
    with pytest.raises(services.PostBlocked) as blocked:
        services.post_send_for_approval(actor=staff.teacher, post=post)
    return [problem.message for problem in blocked.value.problems]


# Devices and cameras


def test_an_upload_from_an_enrolled_ipad_records_the_device_and_the_camera_from_its_exif(staff, make_post, ipad):
    device, cookie = ipad
    image = _add(staff, make_post(WORDS), cookie=cookie)

    image.refresh_from_db()
    assert image.device == device and image.from_school_device
    assert (image.camera_make, image.camera_model) == ("Apple", "iPad (10th generation)")
    assert services.provenance.where_taken(image) == "Taken on Year 3 iPad · camera: Apple iPad (10th generation)"
    with Image.open(image.rendition) as rendition:  # the published copy still carries none of it
        assert MAKE not in rendition.getexif()


def test_an_upload_without_the_cookie_is_not_from_a_school_device(staff, make_post, ipad):
    image = _add(staff, make_post(WORDS), data=camera_jpeg(make="", model=""))
    assert image.device is None and not image.from_school_device
    assert services.provenance.where_taken(image) == "Not from a school device"


def test_a_revoked_ipads_cookie_no_longer_counts(staff, make_post, ipad):
    device, cookie = ipad
    devices.device_revoke(actor=staff.head, device=device)
    image = _add(staff, make_post(WORDS), cookie=cookie)
    assert image.device is None and not image.from_school_device


def test_block_refuses_an_upload_from_elsewhere_and_says_what_to_do(staff, accounts, make_post, ipad):
    _set_check(accounts.year3, DeviceCheck.BLOCK)
    post = make_post(WORDS)

    with pytest.raises(services.ContentRefused, match="school iPad.*enrol this device"):
        _add(staff, post, cookie="forged")
    assert not post.images.exists()
    assert _add(staff, post, cookie=ipad[1]).from_school_device


def test_warn_lets_the_photo_in_and_the_approver_is_told(staff, accounts, make_post, ipad):
    post = make_post(WORDS)
    _add(staff, post)
    services.post_send_for_approval(actor=staff.teacher, post=post)

    problems = services.provenance.photo_provenance_problems(post, stage="approve")
    assert [(p.severity, p.message.split(" (")[0]) for p in problems] == [
        ("warn", "Photo 1 is not from a school device")
    ]
    page = _review_page(staff, post)
    assert "Not from a school device" in page and "Photo 1 is not from a school device" in page


def test_no_warning_while_the_school_has_no_enrolled_device(staff, make_post):
    post = make_post(WORDS)
    _add(staff, post)
    assert services.provenance.photo_provenance_problems(post) == []


def test_dont_check_says_nothing_even_with_devices_enrolled(staff, accounts, make_post, ipad):
    _set_check(accounts.year3, DeviceCheck.OFF)
    post = make_post(WORDS)
    _add(staff, post)
    assert services.provenance.photo_provenance_problems(post) == []


def test_block_is_checked_again_at_submit_when_the_setting_changed_after_upload(staff, accounts, make_post, ipad):
    post = make_post(WORDS)
    _add(staff, post)
    _set_check(accounts.year3, DeviceCheck.BLOCK)

    assert any("Photo 1 was not taken on a school device" in message for message in _blocks(staff, post))
    assert Post.objects.get(pk=post.pk).status == PostStatus.DRAFT


def test_block_is_checked_again_at_approval(staff, accounts, make_post, ipad):
    post = make_post(WORDS)
    _add(staff, post)
    services.post_send_for_approval(actor=staff.teacher, post=post)
    _set_check(accounts.year3, DeviceCheck.BLOCK)

    with pytest.raises(services.PostBlocked, match="Photo 1 was not taken on a school device"):
        services.post_approve(actor=staff.head, post=Post.objects.get(pk=post.pk))
    assert Post.objects.get(pk=post.pk).status == PostStatus.SUBMITTED


# Copyright source


def test_a_new_photo_is_taken_by_staff_unless_the_author_says_otherwise(staff, make_post):
    assert _add(staff, make_post(WORDS)).source == PhotoSource.STAFF


def test_a_photo_from_elsewhere_without_its_credit_in_the_words_stops_submission(staff, make_post):
    post = make_post(WORDS)
    image = _add(staff, post)
    services.post_set_photo_source(
        actor=staff.teacher, image=image, source=PhotoSource.ELSEWHERE, credit="Jo Bloggs", licence="CC BY 4.0"
    )

    assert (
        "Photo 1 is from elsewhere: add its credit “Jo Bloggs” to the post's words or to the photo's description."
        in (_blocks(staff, post))
    )


def test_a_photo_from_elsewhere_with_no_credit_at_all_stops_submission(staff, make_post):
    post = make_post(WORDS)
    image = _add(staff, post)
    services.post_set_photo_source(actor=staff.teacher, image=image, source=PhotoSource.ELSEWHERE)
    assert any("say who made it" in message for message in _blocks(staff, post))


def test_with_the_credit_in_the_description_it_goes_and_the_approver_sees_credit_and_licence(staff, make_post):
    post = make_post(WORDS)
    image = _add(staff, post, alt_text="A map of the school garden. Photo: Jo Bloggs")
    services.post_set_photo_source(
        actor=staff.teacher, image=image, source=PhotoSource.ELSEWHERE, credit="Jo  Bloggs", licence="CC BY 4.0"
    )
    services.post_send_for_approval(actor=staff.teacher, post=post)

    page = _review_page(staff, post)
    assert "Photo 1 is from elsewhere: credit Jo Bloggs, licence CC BY 4.0." in page
    services.post_approve(actor=staff.head, post=Post.objects.get(pk=post.pk))
    assert Post.objects.get(pk=post.pk).status != PostStatus.SUBMITTED


def test_changing_the_source_of_a_waiting_post_takes_it_back_to_drafts_and_is_kept_as_a_change(staff, make_post):
    post = make_post(WORDS)
    image = _add(staff, post)
    services.post_send_for_approval(actor=staff.teacher, post=post)

    changed = services.post_set_photo_source(actor=staff.teacher, image=image, source=PhotoSource.PUPILS)

    assert changed and Post.objects.get(pk=post.pk).status == PostStatus.DRAFT
    revision = post.revisions.get()
    assert (revision.before, revision.after) == ("Photo 1: Taken by staff", "Photo 1: Pupils' own work")
    assert not services.post_set_photo_source(actor=staff.teacher, image=image, source=PhotoSource.PUPILS)


def test_the_compose_page_saves_the_source_with_the_draft(client_for, staff, make_post):
    post = make_post(WORDS)
    image = _add(staff, post)
    client_for(staff.teacher).post(
        reverse("post_edit", args=[post.pk]),
        {
            "text": WORDS + " Map by Jo Bloggs.",
            f"alt_{image.pk}": image.alt_text,
            f"source_{image.pk}": "elsewhere",
            f"credit_{image.pk}": "Jo Bloggs",
            f"licence_{image.pk}": "CC BY 4.0",
        },
    )
    image.refresh_from_db()
    assert (image.source, image.source_credit, image.source_licence) == ("elsewhere", "Jo Bloggs", "CC BY 4.0")
    page = client_for(staff.teacher).get(reverse("post_edit", args=[post.pk])).content.decode()
    assert "Where photo" in page and "Not from a school device" in page


# Copies


def test_copies_for_other_accounts_keep_where_each_photo_came_from(staff, accounts, school, ipad):
    second = make_account(school, "alpha_second")
    post = services.post_create(actor=staff.slt, account=accounts.whole_school, text=WORDS + " Photo: Jo Bloggs")
    image = services.post_add_image(
        actor=staff.slt, post=post, data=camera_jpeg(), alt_text="Bulbs", device_cookie=ipad[1]
    )
    services.post_set_photo_source(
        actor=staff.slt, image=image, source=PhotoSource.ELSEWHERE, credit="Jo Bloggs", licence="CC BY 4.0"
    )
    PostDestination.objects.create(post=post, account=second, text="", position=0)
    services.post_send_for_approval(actor=staff.slt, post=post)
    services.post_approve(actor=staff.head, post=Post.objects.get(pk=post.pk))

    copied = Post.objects.get(part_of=post).images.get()
    assert (copied.device, copied.from_school_device, copied.camera_make, copied.camera_model) == (
        ipad[0],
        True,
        "Apple",
        "iPad (10th generation)",
    )
    assert (copied.source, copied.source_credit, copied.source_licence) == ("elsewhere", "Jo Bloggs", "CC BY 4.0")


def _review_page(staff, post) -> str:
    from django.test import Client

    client = Client()
    client.force_login(staff.head.user, backend="django.contrib.auth.backends.ModelBackend")
    return client.get(reverse("review_post", args=[post.pk])).content.decode()
