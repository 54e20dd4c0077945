"""The photo page (posts.views_photos): boxes over the faces, the three choices per face, the pupil
picker with photo consent, tags, boxes drawn by hand, and who may see and change it."""

import io
import re
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

from accounts.models import Role
from consent.models import Pupil
from posts.models import FaceRegion, Post, PostImage, PostStatus
from posts.services.photos import WAITING_FOR_APPROVAL
from tests.factories import make_class, make_member

NEVER_PUBLISH_REASON = "Lives with foster carers under a court order"


def _jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 170, 140)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def photo(media, make_post, pupils):
    """A Year 3 draft by the class teacher: a 400×200 photo with two faces the portal found."""
    Pupil.objects.filter(pk=pupils.cleo.pk).update(never_publish_reason=NEVER_PUBLISH_REASON)
    post = make_post()
    image = PostImage.objects.create(post=post, width=400, height=200, alt_text="Paper volcanoes")
    image.rendition.save("photo.jpg", ContentFile(_jpeg(400, 200)), save=True)
    first = FaceRegion.objects.create(image=image, x=100, y=50, w=40, h=40)
    second = FaceRegion.objects.create(image=image, x=300, y=100, w=60, h=80)
    return SimpleNamespace(post=post, image=image, faces=[first, second])


def _page_url(photo) -> str:
    return reverse("post_photo", args=[photo.post.pk, photo.image.pk])


def _page(client, photo) -> str:
    response = client.get(_page_url(photo))
    assert response.status_code == 200
    return response.content.decode()


def _resolve(client, photo, face, resolution, pupil=None, **extra):
    data = {"face": face.pk, "resolution": resolution, **({"pupil": pupil.pk} if pupil else {})}
    return client.post(reverse("post_photo_face_resolve", args=[photo.post.pk]), data, **extra)


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def _submit(post) -> None:
    Post.objects.filter(pk=post.pk).update(status=PostStatus.SUBMITTED)


@pytest.fixture
def year4_teacher(school):
    return make_member(school, "teacher4@alpha.test", [Role.CLASS_TEACHER], [make_class(school, "Year 4", 4)])


# The page.


def test_the_author_sees_the_photo_with_a_numbered_box_over_each_face(client_for, staff, photo):
    page = _page(client_for(staff.teacher), photo)

    assert f'src="{reverse("post_image_file", args=[photo.image.pk, "rendition"])}"' in page
    # Percentages of the photo (left, top, width, height), so the boxes stay on the faces at any
    # size; static/js/portal.js places them (the Content-Security-Policy refuses style attributes).
    assert 'data-box="25.000 25.000 10.000 20.000"' in page
    assert 'data-box="75.000 50.000 15.000 40.000"' in page
    assert '<span class="face-number">1</span>' in page and '<span class="face-number">2</span>' in page
    assert "2 of 2 faces still to check" in page
    assert f'href="{reverse("post_edit", args=[photo.post.pk])}"' in page
    for choice in ("A pupil", "Not a pupil", "Cover it"):
        assert choice in page


def test_without_a_photo_named_the_page_opens_the_first_photo(client_for, staff, photo):
    response = client_for(staff.teacher).get(reverse("post_photo", args=[photo.post.pk]))
    assert response.status_code == 302 and response.url == _page_url(photo)


def test_a_post_without_photos_says_so(client_for, staff, make_post):
    post = make_post()
    page = client_for(staff.teacher).get(reverse("post_photo", args=[post.pk])).content.decode()
    assert "This post has no photos yet." in page


def test_the_class_pupils_are_offered_with_their_photo_consent(client_for, school, staff, photo, pupils):
    year4 = make_class(school, "Year 4", 4)
    Pupil.objects.create(school=school, class_group=year4, first_name="Dev", surname="Year-Four")

    page = _page(client_for(staff.teacher), photo)

    assert re.search(r"Amara Okafor</span>\s*<span class=\"badge consent-given\">.*?Yes</span>", page)
    assert re.search(r"Ben Ruiz</span>\s*<span class=\"badge consent-none\">.*?No</span>", page)
    assert re.search(r"Cleo Hart</span>\s*<span class=\"badge consent-never_publish\">.*?Do not publish</span>", page)
    assert "Year-Four" not in page  # a class account offers its own class


def test_the_never_publish_reason_is_never_shown(client_for, staff, photo, pupils):
    client = client_for(staff.teacher)

    resolved = _resolve(client, photo, photo.faces[0], "pupil", pupils.cleo, follow=True)
    search = client.get(
        reverse("post_photo_pupils", args=[photo.post.pk]),
        {"image": photo.image.pk, "for": f"face-{photo.faces[1].pk}", "q": "cle"},
    )

    for content in (resolved.content.decode(), search.content.decode(), _page(client, photo)):
        assert "Do not publish" in content
        assert NEVER_PUBLISH_REASON not in content
    assert "Cleo must never appear in a post" in resolved.content.decode()


def test_the_whole_school_account_offers_every_pupil_by_search(client_for, school, staff, accounts, media, make_post):
    year4 = make_class(school, "Year 4", 4)
    Pupil.objects.create(school=school, class_group=year4, first_name="Dev", surname="Patel")
    post = make_post(author=staff.head, account=accounts.whole_school)
    image = PostImage.objects.create(post=post, width=100, height=100)
    image.rendition.save("p.jpg", ContentFile(_jpeg(100, 100)), save=True)
    face = FaceRegion.objects.create(image=image, x=10, y=10, w=20, h=20)
    client = client_for(staff.head)

    page = client.get(reverse("post_photo", args=[post.pk, image.pk])).content.decode()
    found = client.get(
        reverse("post_photo_pupils", args=[post.pk]), {"image": image.pk, "for": f"face-{face.pk}", "q": "dev"}
    ).content.decode()

    assert "Type part of a name to find the pupil." in page
    assert '<select name="pupil"' in page and "Dev Patel, Year 4 (photo consent: No)" in page
    assert "Dev Patel" in found and "Year 4" in found and "Amara Okafor" not in found


def test_search_as_you_type_finds_pupils_by_the_start_of_their_names(client_for, staff, photo, pupils):
    url = reverse("post_photo_pupils", args=[photo.post.pk])
    face = photo.faces[0]

    found = client_for(staff.teacher).get(url, {"image": photo.image.pk, "for": f"face-{face.pk}", "q": "am ok"})

    content = found.content.decode()
    assert found.status_code == 200
    assert (
        "Amara Okafor" in content and "Ben Ruiz" not in content
    )  # a whole name: the page's random CSRF token may hold "Ben"
    assert f'name="face" value="{face.pk}"' in content and 'name="pupil"' in content


def test_without_javascript_the_search_reloads_the_page_with_the_matches(client_for, staff, photo, pupils):
    face = photo.faces[1]
    response = client_for(staff.teacher).get(_page_url(photo), {"for": f"face-{face.pk}", "q": "ben"})

    picker = response.content.decode().split(f'id="results-face-{face.pk}"')[1].split("</ul>")[0]
    assert "Ben Ruiz" in picker and "Amara Okafor" not in picker


# Resolving faces.


def test_resolving_a_face_as_a_pupil_tags_them(client_for, staff, photo, pupils):
    response = _resolve(client_for(staff.teacher), photo, photo.faces[0], "pupil", pupils.amara, follow=True)

    face = FaceRegion.objects.get(pk=photo.faces[0].pk)
    assert (face.resolution, face.pupil) == ("pupil", pupils.amara)
    assert list(photo.image.tagged_pupils.all()) == [pupils.amara]
    assert "Face 1 is marked as Amara Okafor, who is now tagged in this photo." in _messages(response)
    assert response.redirect_chain[-1][0] == _page_url(photo) + "#face-1"


@pytest.mark.parametrize(
    ("resolution", "message"),
    [
        ("not_pupil", "Face 2 is marked as not a pupil."),
        ("redacted", "Face 2 will be covered with a solid block when the photo is published."),
    ],
)
def test_a_face_can_be_marked_not_a_pupil_or_covered(client_for, staff, photo, resolution, message):
    response = _resolve(client_for(staff.teacher), photo, photo.faces[1], resolution, follow=True)

    assert FaceRegion.objects.get(pk=photo.faces[1].pk).resolution == resolution
    assert message in _messages(response)
    assert "1 of 2 faces still to check" in response.content.decode()


def test_a_pupil_without_photo_consent_may_be_chosen_but_the_problem_shows_at_once(client_for, staff, photo, pupils):
    response = _resolve(client_for(staff.teacher), photo, photo.faces[0], "pupil", pupils.ben, follow=True)

    assert FaceRegion.objects.get(pk=photo.faces[0].pk).pupil == pupils.ben
    page = response.content.decode()
    assert "Ben has no consent for photos. No consent has been recorded for this." in page
    assert "Cover this face instead (“Cover it”), then remove Ben&#x27;s tag." in page
    assert 'class="face-box state-problem"' in page


def test_changing_a_face_away_from_a_pupil_keeps_their_tag_and_says_so(client_for, staff, photo, pupils):
    client = client_for(staff.teacher)
    _resolve(client, photo, photo.faces[0], "pupil", pupils.ben)

    response = _resolve(client, photo, photo.faces[0], "redacted", follow=True)

    assert "Ben is still tagged in this photo." in _messages(response)
    assert list(photo.image.tagged_pupils.all()) == [pupils.ben]


def test_a_pupil_of_another_school_is_refused(client_for, staff, photo, outsider):
    theirs = Pupil.objects.create(school=outsider.school, first_name="Zed", surname="Other")
    client = client_for(staff.teacher)

    resolved = _resolve(client, photo, photo.faces[0], "pupil", theirs, follow=True)
    tagged = client.post(
        reverse("post_photo_tag", args=[photo.post.pk]), {"image": photo.image.pk, "pupil": theirs.pk}, follow=True
    )

    for response in (resolved, tagged):
        assert "That pupil is not on this school&#x27;s register." in response.content.decode()
        assert "Zed" not in response.content.decode()
    assert FaceRegion.objects.get(pk=photo.faces[0].pk).resolution == ""
    assert not photo.image.tagged_pupils.exists()


# Dismissing a box that is not on a face at all.


def _card(page: str, number: int) -> str:
    return page.split(f'id="face-{number}"')[1].split("</article>")[0]


def test_not_a_face_is_offered_apart_from_not_a_pupil_for_boxes_the_portal_drew(client_for, staff, photo):
    FaceRegion.objects.create(image=photo.image, x=1, y=1, w=10, h=10, source=FaceRegion.Source.DRAWN)

    page = _page(client_for(staff.teacher), photo)

    detected = _card(page, 1)
    assert 'value="not_face"' in detected and 'value="not_pupil"' in detected
    assert "Not a face<small>The box is on something else: a helmet, a pattern, a picture</small>" in detected
    assert 'class="not-a-face"' in detected
    # A box drawn by hand is removed instead.
    drawn = _card(page, 3)
    assert 'value="not_face"' not in drawn and "Remove this box" in drawn


def test_a_box_dismissed_as_not_a_face_stays_on_the_photo_marked_apart(client_for, staff, photo):
    response = _resolve(client_for(staff.teacher), photo, photo.faces[1], "not_face", follow=True)

    assert FaceRegion.objects.get(pk=photo.faces[1].pk).resolution == "not_face"
    assert "Box 2 is dismissed as not a face." in _messages(response)
    assert response.redirect_chain[-1][0] == _page_url(photo) + "#face-2"
    page = response.content.decode()
    assert '<a href="#face-2" class="face-box state-not_face"' in page
    assert "Not a face (dismissed)" in _card(page, 2)
    assert 'aria-pressed="true"' in _card(page, 2).split('value="not_face"')[1]
    assert "1 of 2 faces still to check" in page
    assert "1 box dismissed as not a face" in page


def test_dismissing_a_box_is_undone_by_choosing_what_it_is(client_for, staff, photo):
    client = client_for(staff.teacher)
    _resolve(client, photo, photo.faces[0], "not_face", follow=True)

    response = _resolve(client, photo, photo.faces[0], "redacted", follow=True)

    assert FaceRegion.objects.get(pk=photo.faces[0].pk).resolution == "redacted"
    assert "Face 1 will be covered" in _messages(response)
    assert "dismissed as not a face" not in response.content.decode()


def test_a_box_drawn_by_hand_cannot_be_dismissed(client_for, staff, photo):
    drawn = FaceRegion.objects.create(image=photo.image, x=1, y=1, w=10, h=10, source=FaceRegion.Source.DRAWN)

    response = _resolve(client_for(staff.teacher), photo, drawn, "not_face", follow=True)

    assert "You marked this box by hand. If it is not on a face, remove the box instead." in _messages(response)
    assert FaceRegion.objects.get(pk=drawn.pk).resolution == ""


def test_dismissing_is_a_post_only_action(client_for, staff, photo):
    url = reverse("post_photo_face_resolve", args=[photo.post.pk])

    response = client_for(staff.teacher).get(url, {"face": photo.faces[0].pk, "resolution": "not_face"})

    assert response.status_code == 405
    assert FaceRegion.objects.get(pk=photo.faces[0].pk).resolution == ""


def test_the_approver_may_cover_a_face_but_not_dismiss_it(client_for, staff, photo):
    _submit(photo.post)
    client = client_for(staff.head)

    page = _page(client, photo)
    refused = _resolve(client, photo, photo.faces[0], "not_face")

    assert "Cover it" in page and 'value="not_face"' not in page
    assert refused.status_code == 403
    assert FaceRegion.objects.get(pk=photo.faces[0].pk).resolution == ""


def test_nobody_but_the_author_dismisses_a_box(client_for, staff, photo, year4_teacher, outsider):
    assert _resolve(client_for(staff.ta), photo, photo.faces[0], "not_face").status_code == 403
    assert _resolve(client_for(year4_teacher), photo, photo.faces[0], "not_face").status_code == 403
    assert _resolve(client_for(outsider.head), photo, photo.faces[0], "not_face").status_code == 404
    assert _resolve(client_for(staff.head), photo, photo.faces[0], "not_face").status_code == 403
    assert FaceRegion.objects.get(pk=photo.faces[0].pk).resolution == ""


def test_a_submitted_post_refuses_the_authors_dismissal(client_for, staff, photo):
    _submit(photo.post)

    response = _resolve(client_for(staff.teacher), photo, photo.faces[0], "not_face", follow=True)

    assert WAITING_FOR_APPROVAL in _messages(response)
    assert FaceRegion.objects.get(pk=photo.faces[0].pk).resolution == ""


# The compose page: faces still to resolve, before and at "Send for approval".


def test_the_compose_page_says_how_many_faces_each_photo_has_to_resolve(client_for, staff, photo):
    FaceRegion.objects.filter(pk=photo.faces[0].pk).update(resolution=FaceRegion.Resolution.NOT_FACE)
    second = PostImage.objects.create(post=photo.post, position=1, width=400, height=200, alt_text="Lava")
    second.rendition.save("second.jpg", ContentFile(_jpeg(400, 200)), save=True)
    FaceRegion.objects.create(image=second, x=1, y=1, w=10, h=10, resolution=FaceRegion.Resolution.REDACTED)

    page = client_for(staff.teacher).get(reverse("post_edit", args=[photo.post.pk])).content.decode()

    first_card, second_card = page.split(f'id="photo-{photo.image.pk}"')[1], page.split(f'id="photo-{second.pk}"')[1]
    assert "1 face to resolve" in first_card.split("</li>")[0]
    assert "to resolve" not in second_card.split("</li>")[0]


def test_send_for_approval_with_a_face_to_resolve_is_refused_at_the_top_with_a_way_to_the_faces(
    client_for, staff, photo
):
    """The consent check refuses a post with an unresolved face when it is sent, with the message the
    approver would see; the compose page shows it first, with a link to that photo's faces."""
    FaceRegion.objects.filter(pk=photo.faces[0].pk).update(resolution=FaceRegion.Resolution.NOT_FACE)
    data = {"text": photo.post.text, "quote_url": "", "publish_at": "", "action": "submit"}
    data[f"alt_{photo.image.pk}"] = photo.image.alt_text

    response = client_for(staff.teacher).post(reverse("post_edit", args=[photo.post.pk]), data)

    assert response.status_code == 400
    assert Post.objects.get(pk=photo.post.pk).status == PostStatus.DRAFT
    page = response.content.decode()
    refusal = page.split('class="card compose-problems"')[1].split("</section>")[0]
    assert page.index('class="card compose-problems"') < page.index("data-compose-form")
    assert "Face 2 in Photo 1 is not resolved" in refusal or "Face 2 in photo 1 is not resolved" in refusal
    assert "Face 1" not in refusal  # dismissed as not a face: resolved
    faces_url = reverse("post_photo", args=[photo.post.pk, photo.image.pk])
    assert f'href="{faces_url}">Resolve the faces on photo 1</a>' in refusal


# Tags.


def test_a_pupil_seen_without_a_face_can_be_tagged_and_untagged(client_for, staff, photo, pupils):
    client = client_for(staff.teacher)
    data = {"image": photo.image.pk, "pupil": pupils.amara.pk}

    tagged = client.post(reverse("post_photo_tag", args=[photo.post.pk]), data, follow=True)
    assert "Amara Okafor is tagged in this photo." in _messages(tagged)
    assert list(photo.image.tagged_pupils.all()) == [pupils.amara]

    untagged = client.post(reverse("post_photo_untag", args=[photo.post.pk]), data, follow=True)
    assert "Amara Okafor is no longer tagged in this photo." in _messages(untagged)
    assert not photo.image.tagged_pupils.exists()


def test_tagging_a_pupil_without_consent_warns_at_once(client_for, staff, photo, pupils):
    response = client_for(staff.teacher).post(
        reverse("post_photo_tag", args=[photo.post.pk]), {"image": photo.image.pk, "pupil": pupils.ben.pk}, follow=True
    )
    assert "Ben has no consent for photos. If Ben can be recognised in this photo" in response.content.decode()


# Boxes drawn by hand.


def test_a_box_drawn_in_percentages_becomes_an_unresolved_drawn_face(client_for, staff, photo):
    response = client_for(staff.teacher).post(
        reverse("post_photo_face_add", args=[photo.post.pk]),
        {"image": photo.image.pk, "x": "50", "y": "10", "w": "12.5", "h": "90"},
        follow=True,
    )

    face = photo.image.faces.order_by("pk").last()
    assert (face.source, face.resolution, face.x, face.y, face.w, face.h) == ("drawn", "", 200, 20, 50, 180)
    assert "Face 3 added." in _messages(response)
    assert "Remove this box" in response.content.decode()


def test_a_drawn_box_outside_the_photo_is_refused(client_for, staff, photo):
    response = client_for(staff.teacher).post(
        reverse("post_photo_face_add", args=[photo.post.pk]),
        {"image": photo.image.pk, "x": "95", "y": "10", "w": "10", "h": "10"},
        follow=True,
    )

    assert "That box is outside the photo." in _messages(response)
    assert photo.image.faces.count() == 2


def test_only_drawn_boxes_can_be_deleted(client_for, staff, photo):
    client = client_for(staff.teacher)
    drawn = FaceRegion.objects.create(image=photo.image, x=1, y=1, w=10, h=10, source=FaceRegion.Source.DRAWN)
    url = reverse("post_photo_face_delete", args=[photo.post.pk])

    refused = client.post(url, {"face": photo.faces[0].pk}, follow=True)
    deleted = client.post(url, {"face": drawn.pk}, follow=True)

    assert "Only boxes marked by hand can be removed." in _messages(refused)
    assert "The box for face 3 was removed." in _messages(deleted)
    assert list(photo.image.faces.order_by("pk")) == photo.faces
    # Only the drawn box ever offered a remove button.
    assert "Remove this box" not in refused.content.decode().split('id="face-1"')[1].split("</article>")[0]


# Who may see and change the photo.


def test_a_submitted_post_refuses_the_authors_changes(client_for, staff, photo, pupils):
    _submit(photo.post)
    client = client_for(staff.teacher)

    response = _resolve(client, photo, photo.faces[0], "redacted", follow=True)
    tagged = client.post(
        reverse("post_photo_tag", args=[photo.post.pk]), {"image": photo.image.pk, "pupil": pupils.amara.pk}
    )

    assert WAITING_FOR_APPROVAL in _messages(response)
    assert FaceRegion.objects.get(pk=photo.faces[0].pk).resolution == ""
    assert tagged.status_code == 302 and not photo.image.tagged_pupils.exists()
    # The page is read-only for the author until they withdraw the post.
    page = response.content.decode()
    assert "Cover it" not in page and "Remove this box" not in page and "Tag a pupil" not in page


def test_approvers_see_a_draft_read_only(client_for, staff, photo, pupils):
    FaceRegion.objects.filter(pk=photo.faces[0].pk).update(resolution="pupil", pupil=pupils.amara)
    photo.image.tagged_pupils.add(pupils.amara)

    page = _page(client_for(staff.head), photo)

    assert "only its author can change it while the post is a draft" in page
    assert f'href="{reverse("review_post", args=[photo.post.pk])}"' in page
    assert "Amara Okafor" in page and "Cover it" not in page and '<form method="post"' not in page.split("<main")[1]


def test_an_approver_may_change_a_submitted_post(client_for, staff, photo):
    _submit(photo.post)

    _resolve(client_for(staff.slt), photo, photo.faces[0], "redacted")

    assert FaceRegion.objects.get(pk=photo.faces[0].pk).resolution == "redacted"


def test_a_teacher_of_another_class_is_refused(client_for, staff, photo, year4_teacher):
    client = client_for(year4_teacher)

    assert client.get(_page_url(photo)).status_code == 403
    assert _resolve(client, photo, photo.faces[0], "redacted").status_code == 403
    assert FaceRegion.objects.get(pk=photo.faces[0].pk).resolution == ""


def test_another_schools_photo_is_not_found(client_for, photo, outsider):
    client = client_for(outsider.head)

    assert client.get(_page_url(photo)).status_code == 404
    assert client.get(reverse("post_photo_pupils", args=[photo.post.pk]), {"image": photo.image.pk}).status_code == 404
    assert _resolve(client, photo, photo.faces[0], "redacted").status_code == 404
    assert FaceRegion.objects.get(pk=photo.faces[0].pk).resolution == ""


def test_a_photo_or_face_of_another_post_is_not_found_through_this_one(client_for, staff, photo, make_post):
    other = make_post("Another post")
    client = client_for(staff.teacher)

    assert client.get(reverse("post_photo", args=[other.pk, photo.image.pk])).status_code == 404
    response = client.post(
        reverse("post_photo_face_resolve", args=[other.pk]), {"face": photo.faces[0].pk, "resolution": "redacted"}
    )
    assert response.status_code == 404


def test_an_incomplete_form_is_a_bad_request(client_for, staff, photo):
    response = client_for(staff.teacher).post(reverse("post_photo_face_resolve", args=[photo.post.pk]), {})
    assert response.status_code == 400


def _pixel(response, xy):
    with Image.open(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    ) as img:
        return img.convert("RGB").getpixel(xy)


def test_the_preview_and_thumbnail_show_a_covered_face_covered_and_the_photo_page_does_not(client_for, staff, photo):
    """What the approver previews is what will be published: a face the author covered is
    covered there and in every thumbnail; only the photo page, where faces are named, shows it."""
    photo.image.thumbnail.save("thumb.jpg", ContentFile(_jpeg(200, 100)), save=True)  # half size
    FaceRegion.objects.filter(pk=photo.faces[1].pk).update(resolution=FaceRegion.Resolution.REDACTED)
    client = client_for(staff.head)
    centre, thumb_centre = (330, 140), (165, 70)

    published = client.get(reverse("post_image_file", args=[photo.image.pk, "published"]))
    thumbnail = client.get(reverse("post_image_file", args=[photo.image.pk, "thumbnail"]))
    rendition = client.get(reverse("post_image_file", args=[photo.image.pk, "rendition"]))

    assert published["Content-Type"] == "image/jpeg" and published["Cache-Control"] == "private, no-store"
    assert max(abs(a - b) for a, b in zip(_pixel(published, centre), (70, 70, 70), strict=True)) < 12
    assert max(abs(a - b) for a, b in zip(_pixel(thumbnail, thumb_centre), (70, 70, 70), strict=True)) < 12
    assert max(abs(a - b) for a, b in zip(_pixel(rendition, centre), (200, 170, 140), strict=True)) < 12
    # The uncovered face stays as it is in the published photo.
    assert max(abs(a - b) for a, b in zip(_pixel(published, (120, 70)), (200, 170, 140), strict=True)) < 12
    assert client.get(reverse("post_image_file", args=[photo.image.pk, "original"])).status_code == 404
