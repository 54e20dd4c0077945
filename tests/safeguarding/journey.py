"""One scenario = one post's journey through the real services, as the staff would make it.

The author (the senior leader for the whole-school account, the class teacher for a class
account) creates a draft, writes the text, adds photos (small generated JPEGs) with their
descriptions, tags pupils and marks or resolves faces, and sends it for approval; the
headteacher opens the review page and approves; the publisher (`posts.services.publishing.publish`,
what the worker runs) sends it to the local network. The scenario then asserts what a user
sees:

- BLOCKED: `PostBlocked` at "Send for approval" or at "Approve", its message naming the
  problem (`keyword`: as written, or in any case when the keyword is lower case), and the
  consent check blocking for each pupil in `about` (on its own, when the school's wording rules
  stopped the post first); nothing reaches the network.
- WARNED: it goes all the way out, and the approver is shown a warning with code
  "name_may_identify" for each pupil in `about` (in the check `post_approve` returns and on the
  review page).
- PUBLISHED: it goes all the way out with nothing blocking and no "name_may_identify" warning.
"""

import html
import io
import re
import uuid
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from consent.checks import Stage
from consent.models import Pupil
from networks.local.adapter import post_url
from networks.local.models import LocalNetworkMedia, LocalNetworkPost
from posts import services
from posts.models import Post, PostStatus
from posts.services import publishing
from posts.services.photos import face_add, face_resolve, photo_tag
from tests.posts.test_images import face_picture

BLOCKED, WARNED, PUBLISHED = "BLOCKED", "WARNED", "PUBLISHED"
MAY_IDENTIFY = "name_may_identify"


@dataclass(frozen=True)
class Photo:
    alt: str = "Children working together in the classroom"
    tags: tuple[str, ...] = ()  # pupil keys tagged directly
    # (resolution, pupil key or None) per face box drawn on the photo; resolution "" leaves it unresolved
    faces: tuple[tuple[str, str | None], ...] = ()
    # A photo in which the portal's detector finds one face, and how the author resolves it
    # ((resolution, pupil key or None); resolution "" leaves it unresolved). None: a faceless photo.
    detected: tuple[str, str | None] | None = None


@dataclass(frozen=True)
class Case:
    account: str  # "school" (whole-school), "y3", "y5"
    text: str
    expect: str  # BLOCKED, WARNED, PUBLISHED
    keyword: str = ""  # BLOCKED: in the message shown to the user (any case if written in lower case)
    about: tuple[str, ...] = ()  # the pupils the block or warning is about
    photos: tuple[Photo, ...] = ()
    quote: str = ""  # the text of an earlier local-network post that this post quotes
    stage: str = "any"  # BLOCKED: "send" when it must stop at "Send for approval"
    via: str = "send"  # "send": the compose page's post_send_for_approval; "submit": post_submit
    big_register: bool = False  # 5,000 more pupils on the register (bulk_create)


def scenario(
    case_id: str,
    account: str,
    text: str,
    expect: str,
    keyword: str = "",
    *,
    about: str | tuple[str, ...] = (),
    marks=(),
    **fields,
):
    """A table row: `pytest.param` with a readable id."""
    about = (about,) if isinstance(about, str) else tuple(about)
    case = Case(account=account, text=text, expect=expect, keyword=keyword, about=about, **fields)
    return pytest.param(case, id=case_id, marks=marks)


# Photos.

_JPEG_CACHE: dict = {}


def face_jpeg() -> bytes:
    """A photo with one (drawn) face that the real detector finds."""
    if "face" not in _JPEG_CACHE:
        buffer = io.BytesIO()
        face_picture((480, 360), centre=(240, 180), face_size=150).save(buffer, "JPEG", quality=90)
        _JPEG_CACHE["face"] = buffer.getvalue()
    return _JPEG_CACHE["face"]


def small_jpeg(width: int = 320, height: int = 240) -> bytes:
    """A faceless photo stand-in: smooth colour gradients (the face detector finds nothing)."""
    key = (width, height)
    if key not in _JPEG_CACHE:
        red = Image.linear_gradient("L").resize((width, height))
        green = red.transpose(Image.Transpose.ROTATE_90).resize((width, height))
        blue = Image.new("L", (width, height), 180)
        buffer = io.BytesIO()
        Image.merge("RGB", (red, green, blue)).save(buffer, "JPEG", quality=90)
        _JPEG_CACHE[key] = buffer.getvalue()
    return _JPEG_CACHE[key]


# A register of 5,000 more pupils: 50 first names x 100 surnames, none of them words of the
# innocent texts, no consent recorded for any of them.
BIG_FIRST_NAMES = [
    "Olivia",
    "Noah",
    "Amelia",
    "Oliver",
    "Isla",
    "George",
    "Freya",
    "Arthur",
    "Ivy",
    "Leo",
    "Florence",
    "Harry",
    "Willow",
    "Theo",
    "Evie",
    "Jack",
    "Sophia",
    "Charlie",
    "Poppy",
    "Henry",
    "Lily",
    "Freddie",
    "Isabella",
    "Alfie",
    "Elsie",
    "Thomas",
    "Ella",
    "Jacob",
    "Mia",
    "Archie",
    "Daisy",
    "Lucas",
    "Phoebe",
    "Isaac",
    "Sienna",
    "Edward",
    "Harper",
    "Finley",
    "Matilda",
    "Tommy",
    "Esme",
    "Reuben",
    "Albert",
    "Maisie",
    "Rory",
    "Millie",
    "Hugo",
    "Ada",
    "Louis",
    "Penelope",
]
BIG_SURNAMES = [
    prefix + suffix
    for prefix in ("Ash", "Brook", "Clay", "Dun", "Fair", "Green", "Hall", "Kirk", "Lang", "Mill")
    for suffix in ("worth", "field", "ton", "ley", "bury", "ford", "wood", "by", "stead", "more")
]


def add_big_register(world) -> None:
    year5 = world.classes[5]
    Pupil.objects.bulk_create(
        (
            Pupil(school=world.school, class_group=year5, year_group=5, first_name=first, surname=surname)
            for first in BIG_FIRST_NAMES
            for surname in BIG_SURNAMES
        ),
        batch_size=1000,
    )
    assert Pupil.objects.filter(school=world.school).count() >= 5000


# The journey.


@dataclass
class Journey:
    post: Post
    blocked_at: str | None = None
    blocked: services.PostBlocked | None = None
    sent_check: object = None
    approved_check: object = None
    review_page: str = ""
    outcome: str | None = None
    quoted: LocalNetworkPost | None = None


def _problems(check) -> list:
    return list(getattr(check, "problems", ()) or ())


def _describe(problems) -> str:
    return "; ".join(
        f"[{getattr(p, 'severity', '?')}:{getattr(p, 'code', '?')}:{getattr(p, 'pupil_id', None)}] {p.message}"
        for p in problems
    )


def drive(case: Case, world) -> Journey:
    """Take the post as far as the services let it go."""
    if case.big_register:
        add_big_register(world)
    account = world.accounts[case.account]
    author = world.authors[case.account]
    quoted = None
    quote_url = ""
    if case.quote:
        # An earlier post on the local network (made before anyone checked it), quoted by link.
        quoted = LocalNetworkPost.objects.create(account=world.accounts["school"], text=case.quote)
        quote_url = post_url(quoted.account, quoted.pk)

    post, created = services.post_draft_create(actor=author, account=account, client_token=uuid.uuid4())
    assert created
    services.post_update(actor=author, post=post, text=case.text, quote_url=quote_url)
    for photo in case.photos:
        data = small_jpeg() if photo.detected is None else face_jpeg()
        image = services.post_add_image(actor=author, post=post, data=data)
        detected = list(image.faces.all())
        assert len(detected) == (0 if photo.detected is None else 1), f"faces detected: {detected}"
        if photo.detected is not None and photo.detected[0]:
            resolution, key = photo.detected
            face_resolve(
                actor=author, face=detected[0], resolution=resolution, pupil=world.pupils[key] if key else None
            )
        services.post_set_alt_text(actor=author, image=image, alt_text=photo.alt)
        for key in photo.tags:
            photo_tag(actor=author, image=image, pupil=world.pupils[key])
        for number, (resolution, key) in enumerate(photo.faces):
            face = face_add(actor=author, image=image, x=10 + 60 * number, y=20, w=50, h=50)
            if resolution:
                face_resolve(actor=author, face=face, resolution=resolution, pupil=world.pupils[key] if key else None)

    journey = Journey(post=post, quoted=quoted)
    try:
        if case.via == "submit":
            journey.sent_check = services.post_submit(actor=author, post=post)
        else:
            journey.sent_check = services.post_send_for_approval(actor=author, post=post)
    except services.PostBlocked as refused:
        journey.blocked_at, journey.blocked = "send", refused
        return journey

    approver = world.approver
    client = Client()
    client.force_login(approver.user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse("review_post", args=[post.pk]))
    assert response.status_code == 200
    journey.review_page = response.content.decode()

    try:
        journey.approved_check = services.post_approve(actor=approver, post=Post.objects.get(pk=post.pk))
    except services.PostBlocked as refused:
        journey.blocked_at, journey.blocked = "approve", refused
        return journey

    journey.outcome = publishing.publish(post.pk)
    return journey


def _review_warnings(page: str) -> list[str]:
    return [
        html.unescape(re.sub(r"<[^>]+>", "", item))
        for item in re.findall(r'<li class="rv-problem-warn">(.*?)</li>', page, flags=re.S)
    ]


def _network_posts(journey: Journey):
    posts = LocalNetworkPost.objects.all()
    if journey.quoted is not None:
        posts = posts.exclude(pk=journey.quoted.pk)
    return posts


def check_outcome(case: Case, world, journey: Journey) -> None:
    pupils = world.pupils
    post = Post.objects.get(pk=journey.post.pk)

    if case.expect == BLOCKED:
        assert journey.blocked is not None, (
            f"expected BLOCKED, but it went through ({journey.outcome}, status {post.status}); "
            f"problems at approval: {_describe(_problems(journey.approved_check))}"
        )
        if case.stage == "send":
            assert journey.blocked_at == "send", f"blocked at {journey.blocked_at}, not at Send for approval"
        message = str(journey.blocked)
        if case.keyword:
            # A keyword with capitals is a name as written and must appear as written ("May", not
            # "may not be named"); a lower-case one ("full name", "face") in any case.
            named = case.keyword in message.casefold() if case.keyword.islower() else case.keyword in message
            assert named, f"the message does not name {case.keyword!r}: {message!r}"
        consent_blocks = [p for p in journey.blocked.problems if getattr(p, "pupil_id", None) is not None]
        if case.about:
            if consent_blocks:
                blocks = consent_blocks
            else:
                # The school's wording rules stopped it first (they name no pupil, and a school can
                # turn them down to a warning). The consent check, which approval and publishing
                # run whatever the rules say, must stop it on its own too.
                blocks = [p for p in services.consent_check(post, Stage.APPROVE).problems if p.severity == "block"]
            listed = {p.pupil_id for p in blocks}
            missing = [key for key in case.about if pupils[key].pk not in listed]
            assert not missing, f"the consent check does not block for {missing}: {_describe(blocks)}"
        assert post.status in (PostStatus.DRAFT, PostStatus.SUBMITTED)
        assert not _network_posts(journey).exists()
        return

    assert journey.blocked is None, (
        f"expected {case.expect}, but {journey.blocked_at} refused it: {_describe(journey.blocked.problems)}"
    )
    approved = _problems(journey.approved_check)
    warned_ids = {p.pupil_id for p in approved if p.code == MAY_IDENTIFY and p.severity == "warn"}
    if case.expect == WARNED:
        missing = [key for key in case.about if pupils[key].pk not in warned_ids]
        assert not missing, f"no {MAY_IDENTIFY} warning for {missing}: {_describe(approved)}"
        shown = _review_warnings(journey.review_page)
        for key in case.about:
            name = pupils[key].preferred_name or pupils[key].first_name
            assert any(name in warning for warning in shown), f"the review page does not warn about {name}: {shown}"
    else:
        assert case.expect == PUBLISHED
        assert not warned_ids, f"unexpected {MAY_IDENTIFY} warning: {_describe(approved)}"

    assert journey.outcome == publishing.Outcome.PUBLISHED, (
        f"publishing gave {journey.outcome!r}, status {post.status}, reason {post.failure_reason!r}"
    )
    assert post.status == PostStatus.PUBLISHED
    sent = LocalNetworkPost.objects.get(pk=int(post.external_id))
    assert sent.text == case.text
    assert list(
        LocalNetworkMedia.objects.filter(post=sent).order_by("position").values_list("alt_text", flat=True)
    ) == [photo.alt for photo in case.photos]
    if journey.quoted is not None:
        assert sent.quote_of_id == journey.quoted.pk


def run(case: Case, world) -> None:
    check_outcome(case, world, drive(case, world))
