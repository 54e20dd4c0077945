"""Issue 5, end to end: the Year 3 teacher writes a post on the class iPad with a photo of two children,
says who each face is (one pupil with photo consent, one child seen from behind whose head is covered),
and sends it for approval; the headteacher, at a desk, asks for a change; the teacher makes it and sends it
again; the headteacher sees what changed and approves; the post appears on the local network."""

import datetime as dt
import io
import re
import time

from django.utils import timezone
from PIL import Image, ImageDraw, ImageFilter
from playwright.sync_api import Locator, Page, expect

from consent.models import CarerRelationship, ConsentDecision, ConsentMethod, ConsentPurpose, ConsentRecord, Pupil
from moderation.services import policy_acknowledge, policy_seed_default
from networks.local.adapter import LocalNetwork
from networks.local.models import LocalNetworkMedia
from posts.images import REDACTION_COLOUR
from posts.models import FaceRegion, Post, PostComment, PostStatus

from ..posts.test_images import close_to, draw_face
from .ipad import assert_big_enough, assert_fits_the_ipad
from .test_consent_journey import open_from_menu, sign_in_with_code
from .test_live_findings_journey import TEXT_LABEL, sign_in, tap_in_menu

FIRST_TEXT = "Year 3 built paper volcanoes in science this week and made them erupt!"
CHANGE_ASKED = "Lovely post. Please say which science topic this is for the parents."
FIXED_TEXT = "Year 3 built paper volcanoes for our Rocks topic in science this week and made them erupt!"
ALT_TEXT = "Two Year 3 children in the classroom, one facing the camera and one with their back to it."
PHOTO_NAME = "IMG_0042.JPG"
ALT_LABEL = "Describe photo 1 for people who cannot see it"
UPLOAD_TIMEOUT_MS = 20_000

# The photo, 1600 × 1200: a child facing the camera on the left (the detector finds the face), and a
# child seen from behind on the right (no face for the detector: the teacher marks that head by hand).
PHOTO_SIZE = (1600, 1200)
FACING_CHILD = {"centre": (480, 560), "size": 320}
HEAD_FROM_BEHIND = (1080, 380, 1360, 700)


def class_photo() -> bytes:
    picture = Image.new("RGB", PHOTO_SIZE, (200, 200, 200))
    draw_face(picture, FACING_CHILD["centre"], FACING_CHILD["size"])
    draw = ImageDraw.Draw(picture)
    left, top, right, bottom = HEAD_FROM_BEHIND
    draw.ellipse(HEAD_FROM_BEHIND, fill=(60, 40, 30))  # hair
    draw.rectangle((left - 40, bottom, right + 40, PHOTO_SIZE[1]), fill=(40, 70, 150))  # school jumper
    picture = picture.filter(ImageFilter.GaussianBlur(FACING_CHILD["size"] / 60))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def year3_pupil(school, year3, office, first_name: str, surname: str, *, photo_consent: bool) -> Pupil:
    pupil = Pupil.objects.create(school=school, class_group=year3, first_name=first_name, surname=surname)
    if photo_consent:
        ConsentRecord.objects.create(
            pupil=pupil,
            purpose=ConsentPurpose.SOCIAL_PHOTO,
            decision=ConsentDecision.GIVEN,
            given_by_name=f"Parent of {first_name}",
            relationship=CarerRelationship.PARENT,
            method=ConsentMethod.ADMISSION_FORM,
            decided_on=timezone.localdate() - dt.timedelta(days=30),
            recorded_by=office.user,
        )
    return pupil


def face_card(page: Page, number: int) -> Locator:
    return page.get_by_role("article", name=re.compile(rf"\bFace {number}\b"))


def drag_a_finger(page: Page, area: Locator, start: tuple[float, float], end: tuple[float, float]) -> None:
    """A one-finger drag across `area`, from and to points given as fractions of its width and height,
    sent as touch input (as an iPad's screen sends it), not as a mouse.

    Each touch carries its own timestamp, a frame apart, and the finger rests at the end before it
    lifts, as a person's does. Without them every touch arrives in the same instant: Chromium reads an
    infinitely fast swipe, starts a fling, and swallows the next tap as the one that stops it.
    """
    area.scroll_into_view_if_needed()
    box = area.bounding_box()

    def point(fraction):
        return {"x": box["x"] + fraction[0] * box["width"], "y": box["y"] + fraction[1] * box["height"]}

    frame, steps = 1 / 60, 12
    began = time.time()
    touch = page.context.new_cdp_session(page)

    def send(kind: str, at: float, where=None):
        points = [point(where)] if where else []
        touch.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points, "timestamp": began + at})

    def along(share: float) -> tuple[float, float]:
        return (start[0] + share * (end[0] - start[0]), start[1] + share * (end[1] - start[1]))

    send("touchStart", 0, start)
    for step in range(1, steps + 1):
        send("touchMove", step * frame, along(step / steps))
    for rest in range(1, 11):  # the finger still on the glass for a moment
        send("touchMove", (steps + rest) * frame, end)
    send("touchEnd", (steps + 11) * frame)
    touch.detach()


def approve_now(page: Page) -> None:
    """Approve as it comes: the author chose no time, so "Now" is already chosen and the button alone
    publishes the post now."""
    decision = page.locator("section").filter(has=page.get_by_role("heading", name="Decision"))
    expect(decision.get_by_role("radio", name="Now", exact=True)).to_be_checked()
    expect(decision.get_by_role("radio", name=re.compile(r"^At the author's time"))).to_have_count(0)
    decision.get_by_role("button", name="Approve", exact=True).click()


def test_ipad_post_with_a_photo_is_changed_approved_and_published(
    desktop: Page,
    ipad: Page,
    open_page,
    live_server,
    school,
    year3,
    staff,
    accounts,
    settings,
    tmp_path,
    screenshot_path,
):
    settings.MEDIA_ROOT = str(tmp_path / "media")  # photos, and what the local network publishes
    version = policy_seed_default(school=school, signed_off_by=staff.head)
    policy_acknowledge(actor=staff.teacher, version=version)
    amara = year3_pupil(school, year3, staff.office, "Amara", "Okafor", photo_consent=True)
    year3_pupil(school, year3, staff.office, "Ben", "Ruiz", photo_consent=False)

    # The teacher, on the class iPad, writes the post and adds a photo from the library.
    teacher = ipad
    sign_in(teacher, live_server, "teacher@alpha.test", tap=True)
    tap_in_menu(teacher, "New post")
    expect(teacher.get_by_role("heading", name="New post", level=1)).to_be_visible()
    expect(teacher.get_by_role("radio", name=re.compile(r"@alpha_year3"))).to_be_checked()
    text = teacher.get_by_label(TEXT_LABEL)
    text.tap()
    text.fill(FIRST_TEXT)
    # The photo uploads on its own (the new post is saved as a draft first to give it somewhere to go).
    # The upload is held on its way, as slow school Wi-Fi would, to see the page while it goes.
    held_uploads = []
    teacher.route("**/photos/upload/", lambda route: held_uploads.append(route))
    with teacher.expect_request(re.compile(r"/photos/upload/$")):
        teacher.get_by_label("Add photos").set_input_files(
            {"name": PHOTO_NAME, "mimeType": "image/jpeg", "buffer": class_photo()}
        )
    expect(teacher.get_by_role("progressbar", name=f"Uploading {PHOTO_NAME}")).to_be_visible()
    expect(teacher.get_by_text("Photos are still uploading…")).to_be_visible()
    teacher.get_by_role("button", name="Send for approval").tap()
    expect(teacher.get_by_text("Wait until the photos have finished uploading, then try again.")).to_be_visible()
    assert len(held_uploads) == 1
    held_uploads[0].continue_()
    teacher.unroute("**/photos/upload/")
    photo = teacher.locator("[data-photo-card]")
    # The server checks the photo and looks for faces before it answers: give a busy machine time.
    expect(photo).to_have_count(1, timeout=UPLOAD_TIMEOUT_MS)
    expect(photo).to_contain_text("Photo 1")
    expect(photo).to_contain_text("1 face found")
    expect(teacher.get_by_role("heading", name="Edit draft", level=1)).to_be_visible()
    expect(teacher).to_have_url(re.compile(r"/posts/\d+/edit/$"))
    post = Post.objects.get()
    assert (post.status, post.text, post.author_id) == (PostStatus.DRAFT, FIRST_TEXT, staff.teacher.user_id)

    description = teacher.get_by_label(ALT_LABEL)
    description.tap()
    description.press_sequentially(ALT_TEXT)
    expect(photo.get_by_text("Description saved.")).to_be_visible()
    assert_fits_the_ipad(teacher)
    assert_big_enough(
        photo.get_by_role("link", name="Faces and names"),
        teacher.get_by_role("button", name="Save draft", exact=True),
        teacher.get_by_role("button", name="Send for approval"),
    )
    teacher.screenshot(path=screenshot_path("post-journey-compose-ipad.png"), full_page=True)
    photo.get_by_role("link", name="Faces and names").tap()

    # The photo page: the face the portal found is Amara, who has photo consent.
    expect(teacher.get_by_role("heading", name="Faces and tags", level=1)).to_be_visible()
    expect(teacher.locator("#faces-summary")).to_contain_text("1 of 1 face still to check.")
    face1 = face_card(teacher, 1)
    expect(face1.locator(".face-status")).to_have_text("Not checked yet")
    a_pupil = face1.get_by_text("A pupil", exact=True)
    assert_big_enough(a_pupil, face1.get_by_role("button", name=re.compile(r"^Cover it")))
    a_pupil.tap()
    choose_amara = face1.get_by_role("button", name=re.compile(r"^Amara Okafor"))
    choose_ben = face1.get_by_role("button", name=re.compile(r"^Ben Ruiz"))
    expect(choose_amara).to_contain_text("Yes")
    expect(choose_ben).to_contain_text("No")
    assert_big_enough(choose_amara)
    choose_amara.tap()
    expect(teacher.get_by_role("status")).to_contain_text(
        "Face 1 is marked as Amara Okafor, who is now tagged in this photo."
    )
    expect(face_card(teacher, 1).locator(".face-status")).to_contain_text("Amara Okafor")
    expect(teacher.locator("#faces-summary")).to_contain_text("Every face is checked.")

    # The child seen from behind: the portal found no face, so the teacher marks the head with a finger...
    mark = teacher.get_by_role("button", name="Mark a face on the photo")
    assert_big_enough(mark)
    mark.tap()
    expect(teacher.get_by_role("button", name="Stop marking")).to_have_attribute("aria-pressed", "true")
    left, top, right, bottom = HEAD_FROM_BEHIND
    width, height = PHOTO_SIZE
    drag_a_finger(
        teacher,
        teacher.locator("#photo-stage"),
        start=((left - 20) / width, (top - 20) / height),
        end=((right + 20) / width, (bottom + 20) / height),
    )
    expect(teacher.get_by_role("status")).to_contain_text("Face 2 added. Now say who it is, or cover it.")
    face2 = face_card(teacher, 2)
    expect(face2).to_contain_text("(marked by hand)")
    expect(teacher.locator("#faces-summary")).to_contain_text("1 of 2 faces still to check.")
    # ...and has it covered: that child is not to be recognised.
    face2.get_by_role("button", name=re.compile(r"^Cover it")).tap()
    expect(teacher.get_by_role("status")).to_contain_text(
        "Face 2 will be covered with a solid block when the photo is published."
    )
    expect(face_card(teacher, 2).locator(".face-status")).to_have_text("Covered")
    expect(teacher.locator("#faces-summary")).to_contain_text("Every face is checked.")
    pupils_tagged = teacher.locator("#pupils")
    expect(pupils_tagged.get_by_role("listitem")).to_have_count(1)
    expect(pupils_tagged.get_by_role("listitem")).to_contain_text("Amara Okafor")
    assert_fits_the_ipad(teacher)
    teacher.screenshot(path=screenshot_path("post-journey-faces-ipad.png"), full_page=True)

    faces = {face.source: face for face in FaceRegion.objects.filter(image__post=post)}
    assert faces.keys() == {FaceRegion.Source.DETECTED, FaceRegion.Source.DRAWN}
    assert (faces[FaceRegion.Source.DETECTED].resolution, faces[FaceRegion.Source.DETECTED].pupil) == (
        FaceRegion.Resolution.PUPIL,
        amara,
    )
    drawn = faces[FaceRegion.Source.DRAWN]
    assert drawn.resolution == FaceRegion.Resolution.REDACTED
    # The box sits on the head that was traced, in the photo's own pixels.
    assert drawn.x < left < drawn.x + 60 and drawn.x + drawn.w > right
    assert drawn.y < top < drawn.y + 60 and drawn.y + drawn.h > bottom

    teacher.get_by_role("link", name="Back to the post").tap()
    expect(teacher.get_by_role("heading", name="Edit draft", level=1)).to_be_visible()
    expect(teacher.get_by_label(TEXT_LABEL)).to_have_value(FIRST_TEXT)
    expect(teacher.get_by_label(ALT_LABEL)).to_have_value(ALT_TEXT)
    expect(teacher.locator("[data-photo-card]")).to_contain_text("2 faces found")
    teacher.get_by_role("button", name="Send for approval").tap()
    expect(teacher.get_by_role("heading", name="My posts", level=1)).to_be_visible()
    expect(teacher.get_by_role("status")).to_contain_text(
        "Sent for approval. It will go to Alpha Year3 once it is approved."
    )
    expect(teacher.get_by_role("article").filter(has_text=FIRST_TEXT)).to_contain_text("Waiting for approval")
    post.refresh_from_db()
    assert post.status == PostStatus.SUBMITTED

    # The headteacher, at a desk, finds it in the queue with its photo and consent at a glance.
    head = desktop
    sign_in_with_code(head, live_server, "head@alpha.test", staff.totp["head@alpha.test"])
    open_from_menu(head, "Posts to approve")
    expect(head.get_by_role("heading", name="Posts to approve", level=1)).to_be_visible()
    row = head.get_by_role("listitem").filter(has_text=FIRST_TEXT)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("by Teacher")
    expect(row).to_contain_text("1 photo")
    expect(row.locator("img.rv-thumb")).to_have_count(1)
    expect(row).to_contain_text("All pupils have consent")
    row.get_by_role("link").click()

    expect(head.get_by_role("heading", name="Post for Alpha Year3", level=1)).to_be_visible()
    preview = head.get_by_role("article", name=re.compile(r"^Preview of the post"))
    expect(preview).to_contain_text(FIRST_TEXT)
    expect(preview.get_by_role("img", name=ALT_TEXT)).to_be_visible()
    photos_and_pupils = head.locator("section").filter(has=head.get_by_role("heading", name="Photos and pupils"))
    expect(photos_and_pupils).to_contain_text("Everyone shown or named may appear.")
    expect(photos_and_pupils).to_contain_text("No unresolved faces.")
    amara_line = photos_and_pupils.get_by_role("listitem").filter(has_text="Amara")
    expect(amara_line).to_contain_text("Consent given")
    expect(photos_and_pupils).not_to_contain_text("Ben")
    # The boxes on the photo: who each face is, and which is covered.
    photos_and_pupils.get_by_role("link", name="See the faces on photo 1").click()
    expect(head.get_by_role("heading", name="Faces and tags", level=1)).to_be_visible()
    expect(head.locator("#faces-summary")).to_contain_text("Every face is checked.")
    expect(face_card(head, 1).locator(".face-status")).to_contain_text("Amara Okafor")
    expect(face_card(head, 1).locator(".face-status")).to_contain_text("Yes")
    expect(face_card(head, 2).locator(".face-status")).to_have_text("Covered")
    expect(head.locator("#photo-stage .face-box.state-redacted")).to_have_count(1)
    head.get_by_role("link", name="Back to the review").click()
    expect(head.get_by_role("heading", name="Post for Alpha Year3", level=1)).to_be_visible()
    head.screenshot(path=screenshot_path("post-journey-review.png"), full_page=True)

    # She asks for a change.
    head.get_by_label("What needs changing").fill(CHANGE_ASKED)
    head.get_by_role("button", name="Send back for changes").click()
    expect(head.get_by_role("heading", name="Posts to approve", level=1)).to_be_visible()
    expect(head.get_by_role("status")).to_contain_text("with your comments. It is a draft again.")
    expect(head.get_by_text("Nothing is waiting for approval.")).to_be_visible()
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT
    assert post.comments.filter(kind=PostComment.Kind.CHANGES_REQUESTED, body=CHANGE_ASKED).exists()

    # The teacher sees the comment on "My posts", makes the change and sends the post again.
    tap_in_menu(teacher, "My posts")
    mine = teacher.get_by_role("article").filter(has_text=FIRST_TEXT)
    expect(mine).to_contain_text(CHANGE_ASKED)
    expect(mine).to_contain_text("Draft")
    carry_on = mine.get_by_role("link", name="Carry on writing")
    assert_big_enough(carry_on)
    assert_fits_the_ipad(teacher)
    carry_on.tap()

    expect(teacher.get_by_role("heading", name="Edit draft", level=1)).to_be_visible()
    said = teacher.locator("section").filter(has=teacher.get_by_role("heading", name="What the approvers said"))
    expect(said).to_contain_text(CHANGE_ASKED)
    text = teacher.get_by_label(TEXT_LABEL)
    expect(text).to_have_value(FIRST_TEXT)
    text.tap()
    text.fill(FIXED_TEXT)
    assert_fits_the_ipad(teacher)
    teacher.get_by_role("button", name="Send for approval").tap()
    expect(teacher.get_by_role("heading", name="My posts", level=1)).to_be_visible()
    expect(teacher.get_by_role("status")).to_contain_text("Sent for approval.")
    expect(teacher.get_by_role("article").filter(has_text=FIXED_TEXT)).to_contain_text("Waiting for approval")
    post.refresh_from_db()
    assert (post.status, post.text) == (PostStatus.SUBMITTED, FIXED_TEXT)

    # The headteacher sees what changed since she asked, and approves: it goes out now.
    head.reload()
    row = head.get_by_role("listitem").filter(has_text=FIXED_TEXT)
    expect(row).to_contain_text("All pupils have consent")
    row.get_by_role("link").click()
    expect(head.get_by_role("heading", name="Post for Alpha Year3", level=1)).to_be_visible()
    changed = head.locator("section").filter(has=head.get_by_role("heading", name="Since changes were asked for"))
    expect(changed).to_contain_text(CHANGE_ASKED)
    expect(changed.locator("ins").filter(has_text="Rocks")).to_have_count(1)
    expect(head.get_by_role("article", name=re.compile(r"^Preview of the post"))).to_contain_text(FIXED_TEXT)
    approve_now(head)

    expect(head.get_by_role("heading", name="Posts to approve", level=1)).to_be_visible()
    expect(head.get_by_role("status")).to_contain_text("Approved. It will be published on @alpha_year3 now")
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    assert post.external_id and post.external_url
    assert post.decided_by_id == staff.head.user_id

    # On the local network: the text, and the photo with its description.
    published = LocalNetwork(accounts.year3).recent_own_posts()
    assert [(p.id, p.text) for p in published] == [(post.external_id, FIXED_TEXT)]
    public = open_page(viewport=desktop.viewport_size)
    public.goto(f"{live_server.url}/local/alpha_year3/")
    expect(public.get_by_role("heading", name="Alpha Year3")).to_be_visible()
    on_the_network = public.locator("article.local-post").filter(has_text=FIXED_TEXT)
    expect(on_the_network).to_have_count(1)
    picture = on_the_network.get_by_role("img", name=ALT_TEXT)
    expect(picture).to_be_visible()
    expect(picture).to_have_js_property("complete", True)
    assert picture.evaluate("image => image.naturalWidth") > 0, "the published photo does not load"
    public.screenshot(path=screenshot_path("post-journey-local-network.png"), full_page=True)
    # What went out has the covered head burnt in as a solid block; Amara, who has consent, is shown.
    media = LocalNetworkMedia.objects.get(post__account=accounts.year3)
    assert media.alt_text == ALT_TEXT
    with media.file.open("rb") as stored:
        sent = Image.open(stored).convert("RGB")
    scale = sent.width / PHOTO_SIZE[0]
    head_centre = ((left + right) / 2 * scale, (top + bottom) / 2 * scale)
    amaras_nose = (FACING_CHILD["centre"][0] * scale, FACING_CHILD["centre"][1] * scale)
    assert close_to(sent.getpixel(head_centre), REDACTION_COLOUR), "the head marked by hand is not covered"
    assert not close_to(sent.getpixel(amaras_nose), REDACTION_COLOUR), "Amara's face is covered"

    # The teacher sees it went out.
    tap_in_menu(teacher, "My posts")
    expect(teacher.get_by_role("article").filter(has_text=FIXED_TEXT)).to_contain_text("Published")
