"""Issue 18, end to end: school devices. The headteacher adds the Year 3 iPad on the School devices
page and the class iPad enrols itself with the one-time link. The Year 3 teacher uploads a photo
there ("Taken on Year 3 iPad", with the camera its EXIF names); from another browser that is not
enrolled, her photo is "Not from a school device" and the approver is warned; once the account
refuses photos from elsewhere, the same upload is refused with what to do. The headteacher sees
where each photo came from on the review page."""

import io
import re

from django.urls import reverse
from PIL import Image
from playwright.sync_api import Page, expect

from accounts.models import DeviceCheck, SchoolDevice, SocialAccount
from moderation.services import policy_acknowledge, policy_seed_default
from posts.models import Post, PostStatus

from .conftest import DESKTOP, IPAD
from .ipad import assert_fits_the_ipad
from .sessions import sign_in
from .test_live_findings_journey import TEXT_LABEL
from .test_post_journey import UPLOAD_TIMEOUT_MS

MAKE, MODEL = 0x010F, 0x0110
ALT_LABEL = "Describe photo 1 for people who cannot see it"


def ipad_photo(colour=(70, 140, 200)) -> bytes:
    """A small JPEG whose EXIF names the iPad's camera, as the camera app writes it."""
    exif = Image.Exif()
    exif[MAKE], exif[MODEL] = "Apple", "iPad (10th generation)"
    buffer = io.BytesIO()
    Image.new("RGB", (900, 600), colour).save(buffer, "JPEG", quality=88, exif=exif)
    return buffer.getvalue()


def write_post(page: Page, live_server, text: str, *, name: str):
    page.goto(live_server.url + reverse("post_compose"))
    page.get_by_label(TEXT_LABEL).fill(text)
    page.get_by_label("Add photos").set_input_files({"name": name, "mimeType": "image/jpeg", "buffer": ipad_photo()})


def test_a_photo_from_the_enrolled_ipad_and_one_from_elsewhere(
    open_context, live_server, school, staff, accounts, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    version = policy_seed_default(school=school, signed_off_by=staff.head)
    policy_acknowledge(actor=staff.teacher, version=version)

    # The headteacher, at a desk, adds the class iPad.
    head_context = open_context(**DESKTOP)
    sign_in(head_context, live_server, staff.head.user, school=school)
    head = head_context.new_page()
    head.goto(live_server.url + reverse("device_list"))
    expect(head.get_by_role("heading", name="School devices", level=1)).to_be_visible()
    head.get_by_label("Device name").fill("Year 3 iPad")
    head.get_by_role("button", name="Add and make an enrolment link").click()
    expect(head.get_by_role("heading", name="Enrol Year 3 iPad")).to_be_visible()
    link = head.locator("[data-enrolment-link]").get_attribute("href")
    expect(head.locator("#devices-heading + ul")).to_contain_text("Waiting to be enrolled")

    # On the class iPad, the teacher opens the link and enrols it.
    ipad_context = open_context(**IPAD)
    sign_in(ipad_context, live_server, staff.teacher.user, school=school)
    ipad = ipad_context.new_page()
    ipad.goto(link)
    ipad.get_by_role("button", name="Enrol this device").tap()
    expect(ipad.get_by_role("heading", name="This device is now “Year 3 iPad”")).to_be_visible()
    assert_fits_the_ipad(ipad)
    cookie = next(c for c in ipad_context.cookies() if c["name"] == "pp_school_device")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    # The link is spent: opening it again says so plainly.
    ipad.goto(link)
    expect(ipad.get_by_text("This enrolment link has been used already.")).to_be_visible()

    # A photo uploaded on the iPad says where it was taken, and on what camera.
    write_post(ipad, live_server, "Year 3 planted bulbs in the garden this morning.", name="IMG_0201.JPG")
    card = ipad.locator("[data-photo-card]")
    expect(card).to_have_count(1, timeout=UPLOAD_TIMEOUT_MS)
    expect(card.locator("[data-photo-where]")).to_have_text(
        "Taken on Year 3 iPad · camera: Apple iPad (10th generation)"
    )
    expect(card.get_by_role("radio", name="Taken by staff")).to_be_checked()
    ipad.get_by_label(ALT_LABEL).fill("Rows of bulbs in a raised bed.")
    ipad.get_by_role("button", name="Send for approval").tap()
    expect(ipad.get_by_text("Sent for approval.")).to_be_visible()
    from_ipad = Post.objects.get(status=PostStatus.SUBMITTED)

    # From another browser that was never enrolled: the photo goes in (the account warns), marked.
    other_context = open_context(**IPAD)
    sign_in(other_context, live_server, staff.teacher.user, school=school)
    other = other_context.new_page()
    write_post(other, live_server, "Year 3 watered the bulbs after lunch.", name="IMG_0202.JPG")
    card = other.locator("[data-photo-card]")
    expect(card).to_have_count(1, timeout=UPLOAD_TIMEOUT_MS)
    expect(card.locator("[data-photo-where]")).to_have_text(
        "Not from a school device · camera: Apple iPad (10th generation)"
    )
    other.get_by_label(ALT_LABEL).fill("A watering can over the raised bed.")
    other.get_by_role("button", name="Send for approval").tap()
    expect(other.get_by_text("Sent for approval.")).to_be_visible()
    from_elsewhere = Post.objects.filter(status=PostStatus.SUBMITTED).exclude(pk=from_ipad.pk).get()

    # The approver sees where each photo came from, and is warned about the second.
    head.goto(live_server.url + _review(from_ipad))
    expect(head.locator("[data-photo-where]")).to_have_text(
        "Taken on Year 3 iPad · camera: Apple iPad (10th generation)"
    )
    expect(head.locator("#photo-provenance")).to_have_count(0)
    head.goto(live_server.url + _review(from_elsewhere))
    expect(head.locator("[data-photo-where]")).to_have_text(
        "Not from a school device · camera: Apple iPad (10th generation)"
    )
    expect(head.locator("#photo-provenance")).to_contain_text("Photo 1 is not from a school device")

    # The headteacher makes the class account refuse photos from elsewhere.
    head.goto(live_server.url + reverse("social_account_edit", args=[accounts.year3.pk]))
    head.get_by_role("radio", name="Refuse the photo").check()
    head.get_by_role("button", name="Save").click()
    assert SocialAccount.objects.get(pk=accounts.year3.pk).device_check == DeviceCheck.BLOCK

    # The unenrolled browser's next upload is refused, saying why and what to do.
    write_post(other, live_server, "Year 3 counted the shoots today.", name="IMG_0203.JPG")
    refused = other.get_by_text(re.compile("only takes photos from the school's devices"))
    expect(refused).to_be_visible(timeout=UPLOAD_TIMEOUT_MS)
    expect(refused).to_contain_text("ask the headteacher to enrol this device")
    expect(other.locator("[data-photo-card]")).to_have_count(0)

    # The approval of the second post is now refused too; the first goes.
    head.goto(live_server.url + _review(from_elsewhere))
    head.get_by_role("button", name="Approve").click()
    expect(head.locator("[data-error-summary]")).to_contain_text("Photo 1 was not taken on a school device")
    head.goto(live_server.url + reverse("device_list"))
    expect(head.locator("#devices-heading + ul")).to_contain_text("Enrolled")
    assert SchoolDevice.objects.get().last_seen_at is not None


def _review(post: Post) -> str:
    return reverse("review_post", args=[post.pk])
