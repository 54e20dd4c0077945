"""Issue 12, end to end: a box on something that is not a face. The Year 3 teacher, on the class iPad,
uploads a photo on which the portal finds a "face" that is really a painted face on the class display,
dismisses that box as not a face, marks a child seen from behind by hand and forgets to answer for it.
"Send for approval" refuses at once, at the top of the page, with the message the approver would see and
a way straight to the faces; she covers the child's head and sends it. The headteacher, at a desk, sees
the dismissed box drawn on the photo, labelled, and counted."""

import io
import re

from PIL import Image, ImageDraw, ImageFilter
from playwright.sync_api import Page, expect

from audit.models import AuditEvent
from moderation.services import policy_acknowledge, policy_seed_default
from posts.models import FaceRegion, Post, PostStatus

from ..posts.test_images import draw_face
from .ipad import assert_big_enough, assert_fits_the_ipad
from .test_consent_journey import open_from_menu, sign_in_with_code
from .test_live_findings_journey import TEXT_LABEL, sign_in, tap_in_menu
from .test_post_journey import UPLOAD_TIMEOUT_MS, drag_a_finger, face_card

POST_TEXT = "Year 3 painted faces for our class display about feelings, then talked about how each one looks."
ALT_TEXT = "The Year 3 display board with a painted face, and a child seen from behind looking at it."
PHOTO_NAME = "IMG_0107.JPG"
ALT_LABEL = "Describe photo 1 for people who cannot see it"
NOT_RESOLVED = re.compile(r"Face (\d+) in photo 1 is not resolved", re.IGNORECASE)

# The photo, 1200 × 900: a painted face on the display (the portal takes it for a face; where it puts the
# box is read from the page), and a child seen from behind on the right, whose head the teacher marks.
PHOTO_SIZE = (1200, 900)
PAINTED_FACE = {"centre": (330, 400), "size": 220}
HEAD_FROM_BEHIND = (780, 250, 1000, 510)


def display_photo() -> bytes:
    picture = Image.new("RGB", PHOTO_SIZE, (200, 200, 200))
    draw_face(picture, PAINTED_FACE["centre"], PAINTED_FACE["size"])
    draw = ImageDraw.Draw(picture)
    left, top, right, bottom = HEAD_FROM_BEHIND
    draw.ellipse(HEAD_FROM_BEHIND, fill=(60, 40, 30))  # hair
    draw.rectangle((left - 40, bottom, right + 40, PHOTO_SIZE[1]), fill=(40, 70, 150))  # school jumper
    picture = picture.filter(ImageFilter.GaussianBlur(PAINTED_FACE["size"] / 60))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def box_style(page: Page, number: int) -> str:
    """Where the photo page draws box `number`, in percentages of the photo (as the page places it)."""
    return page.locator(f'#photo-stage a.face-box[href="#face-{number}"]').get_attribute("style")


def test_a_box_dismissed_as_not_a_face_is_shown_to_the_approver_and_unresolved_faces_stop_sending(
    desktop: Page,
    ipad: Page,
    live_server,
    school,
    staff,
    accounts,
    settings,
    tmp_path,
    screenshot_path,
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    version = policy_seed_default(school=school, signed_off_by=staff.head)
    policy_acknowledge(actor=staff.teacher, version=version)

    # The teacher writes the post on the class iPad and adds the photo; the portal looks for faces.
    teacher = ipad
    sign_in(teacher, live_server, "teacher@alpha.test", tap=True)
    tap_in_menu(teacher, "New post")
    expect(teacher.get_by_role("heading", name="New post", level=1)).to_be_visible()
    text = teacher.get_by_label(TEXT_LABEL)
    text.tap()
    text.fill(POST_TEXT)
    teacher.get_by_label("Add photos").set_input_files(
        {"name": PHOTO_NAME, "mimeType": "image/jpeg", "buffer": display_photo()}
    )
    photo = teacher.locator("[data-photo-card]")
    expect(photo).to_have_count(1, timeout=UPLOAD_TIMEOUT_MS)
    expect(teacher.get_by_role("heading", name="Edit draft", level=1)).to_be_visible()
    post = Post.objects.get()
    detected = FaceRegion.objects.filter(image__post=post, source=FaceRegion.Source.DETECTED).count()
    assert detected >= 1, "the portal found no face on the painted face: the journey needs one"
    expect(photo).to_contain_text(f"{detected} face{'s' if detected > 1 else ''} found")
    expect(photo).to_contain_text(f"{detected} face{'s' if detected > 1 else ''} to resolve")
    description = teacher.get_by_label(ALT_LABEL)
    description.tap()
    description.press_sequentially(ALT_TEXT)
    expect(photo.get_by_text("Description saved.")).to_be_visible()
    photo.get_by_role("link", name="Faces and names").tap()

    # The photo page: the box is on the painted face. "Not a face", apart from "Not a pupil", says so.
    expect(teacher.get_by_role("heading", name="Faces and tags", level=1)).to_be_visible()
    face1 = face_card(teacher, 1)
    expect(face1.locator(".face-status")).to_have_text("Not checked yet")
    not_a_face = face1.get_by_role("button", name=re.compile(r"^Not a face"))
    expect(not_a_face).to_contain_text("a helmet, a pattern, a picture")
    expect(face1.get_by_role("button", name=re.compile(r"^Not a pupil"))).to_contain_text("A parent or member of staff")
    assert_big_enough(not_a_face, face1.get_by_role("button", name=re.compile(r"^Cover it")))
    assert_fits_the_ipad(teacher)
    not_a_face.tap()
    expect(teacher.get_by_role("status")).to_contain_text("Box 1 is dismissed as not a face.")
    face1 = face_card(teacher, 1)
    expect(face1.locator(".face-status")).to_have_text("Not a face (dismissed)")
    expect(face1.get_by_role("button", name=re.compile(r"^Not a face"))).to_have_attribute("aria-pressed", "true")
    expect(teacher.locator("#photo-stage .face-box.state-not_face")).to_have_count(1)
    dismissed_box = box_style(teacher, 1)
    # Any other box the portal drew is on the display too (the child has her back to the camera).
    for number in range(2, detected + 1):
        face_card(teacher, number).get_by_role("button", name=re.compile(r"^Not a face")).tap()
        expect(teacher.get_by_role("status")).to_contain_text(f"Box {number} is dismissed as not a face.")
    expect(teacher.locator("#faces-summary")).to_contain_text("Every face is checked.")
    expect(teacher.locator("#faces-summary")).to_contain_text("dismissed as not a face")

    # The child seen from behind: marked by hand, then (by mistake) left unanswered.
    teacher.get_by_role("button", name="Mark a face on the photo").tap()
    left, top, right, bottom = HEAD_FROM_BEHIND
    width, height = PHOTO_SIZE
    drag_a_finger(
        teacher,
        teacher.locator("#photo-stage"),
        start=((left - 20) / width, (top - 20) / height),
        end=((right + 20) / width, (bottom + 20) / height),
    )
    head = detected + 1
    expect(teacher.get_by_role("status")).to_contain_text(f"Face {head} added. Now say who it is, or cover it.")
    expect(face_card(teacher, head)).to_contain_text("(marked by hand)")
    expect(face_card(teacher, head).get_by_role("button", name=re.compile(r"^Not a face"))).to_have_count(0)
    expect(teacher.locator("#faces-summary")).to_contain_text(f"1 of {head} faces still to check.")
    teacher.screenshot(path=screenshot_path("faces-journey-dismissed-ipad.png"), full_page=True)

    # Back on the post, the photo says a face is still to resolve; she sends it anyway and is refused.
    teacher.get_by_role("link", name="Back to the post").tap()
    expect(teacher.get_by_role("heading", name="Edit draft", level=1)).to_be_visible()
    expect(teacher.locator("[data-photo-card]")).to_contain_text("1 face to resolve")
    teacher.get_by_role("button", name="Send for approval").tap()
    refusal = teacher.locator("section.compose-problems")
    expect(refusal).to_be_visible()
    expect(refusal.get_by_role("heading")).to_have_text("Your draft is saved, but it cannot be sent for approval yet")
    expect(refusal).to_contain_text(NOT_RESOLVED)
    expect(refusal).to_contain_text("tag the pupil, mark it as not a pupil (or not a face), or cover it")
    assert int(NOT_RESOLVED.search(refusal.inner_text()).group(1)) == head
    # At the top, where it is seen without scrolling, above the text she wrote (which is kept).
    expect(refusal).to_be_in_viewport()
    assert refusal.bounding_box()["y"] < teacher.get_by_label(TEXT_LABEL).bounding_box()["y"]
    expect(teacher.get_by_label(TEXT_LABEL)).to_have_value(POST_TEXT)
    fix = refusal.get_by_role("link", name="Resolve the faces on photo 1")
    assert_big_enough(fix)
    assert_fits_the_ipad(teacher)
    teacher.screenshot(path=screenshot_path("faces-journey-refused-ipad.png"), full_page=True)
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT

    # Straight to the faces: she covers the child's head, then sends the post.
    fix.tap()
    expect(teacher.get_by_role("heading", name="Faces and tags", level=1)).to_be_visible()
    face_card(teacher, head).get_by_role("button", name=re.compile(r"^Cover it")).tap()
    expect(teacher.get_by_role("status")).to_contain_text(
        f"Face {head} will be covered with a solid block when the photo is published."
    )
    expect(teacher.locator("#faces-summary")).to_contain_text("Every face is checked.")
    teacher.get_by_role("link", name="Back to the post").tap()
    expect(teacher.locator("[data-photo-card]")).not_to_contain_text("to resolve")
    teacher.get_by_role("button", name="Send for approval").tap()
    expect(teacher.get_by_role("heading", name="My posts", level=1)).to_be_visible()
    expect(teacher.get_by_role("status")).to_contain_text("Sent for approval.")
    post.refresh_from_db()
    assert post.status == PostStatus.SUBMITTED
    resolutions = list(FaceRegion.objects.filter(image__post=post).order_by("pk").values_list("resolution", flat=True))
    assert resolutions == [FaceRegion.Resolution.NOT_FACE] * detected + [FaceRegion.Resolution.REDACTED]
    dismissals = AuditEvent.objects.filter(action="photo.face_dismissed")
    assert dismissals.count() == detected and {e.actor_id for e in dismissals} == {staff.teacher.user_id}

    # The headteacher finds it in the queue (nothing unresolved) and sees the dismissed box on the photo.
    approver = desktop
    sign_in_with_code(approver, live_server, "head@alpha.test", staff.totp["head@alpha.test"])
    open_from_menu(approver, "Posts to approve")
    row = approver.get_by_role("listitem").filter(has_text=POST_TEXT[:60])
    expect(row).to_have_count(1)
    expect(row).not_to_contain_text("problem")
    row.get_by_role("link").click()
    expect(approver.get_by_role("heading", name="Post for Alpha Year3", level=1)).to_be_visible()
    photos = approver.locator("section").filter(has=approver.get_by_role("heading", name="Photos and pupils"))
    expect(photos).to_contain_text("No unresolved faces.")
    boxes = photos.locator(".rv-photo-stage .rv-face-box")
    expect(boxes).to_have_count(head)
    dismissed = photos.locator(".rv-photo-stage .rv-face-not_face")
    expect(dismissed).to_have_count(detected)
    expect(dismissed.first).to_be_visible()
    expect(dismissed.first.get_by_text("Dismissed as not a face")).to_be_visible()
    # Drawn where the teacher saw it.
    assert dismissed.first.get_attribute("style") == dismissed_box
    expect(photos).to_contain_text(
        f"{detected} box{'es' if detected > 1 else ''} dismissed as not a face by the author"
    )
    approver.screenshot(path=screenshot_path("faces-journey-review.png"), full_page=True)
