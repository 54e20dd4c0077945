"""Issue 17, done when: one post to several accounts, end to end in a real browser.

A senior leader, on an iPad, writes one post with a photo for the school's own whole-school account
and also for its Bluesky account (connected to the stub Bluesky server) and a second account on the
local network. The Bluesky words she first writes are too long for Bluesky, and the counter says so;
she shortens them. The headteacher, at a desk, sees one preview per network with what the checks
found for each, and approves once. Every account publishes with its own link; she takes one account's
post down alone, then the rest with "Take down everywhere", and each is gone from its network.

Then the case where Bluesky refuses the post for good: the page says it is only partly published,
which account it went out on and which it did not.
"""

import io
import re

from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from accounts.models import SocialAccount
from moderation.services import policy_acknowledge, policy_seed_default
from networks.local.adapter import LocalNetwork
from posts.models import Post, PostStatus
from posts.services import post_create, post_set_destinations, post_submit

from ..factories import make_account
from .axe import wcag_violations
from .ipad import assert_big_enough, assert_fits_the_ipad
from .navigation import go_to
from .sessions import sign_in
from .test_consent_journey import sign_in_with_code
from .test_post_journey import approve_now

LOCAL_WORDS = "Our choir sang at the town's winter fair on Saturday. Thank you to every family who came to listen!"
BLUESKY_TOO_LONG = (
    "Our choir sang at the town's winter fair on Saturday, in the square beside the library, with the "
    "brass band from the secondary school joining in for the last two carols. Thank you to every family "
    "who came to listen, to the fair's organisers for the stage and the warm drinks, and to the staff who "
    "gave up their weekend to rehearse with the children. #SchoolChoir #WinterFair"
)
BLUESKY_WORDS = "Our choir sang at the town's winter fair on Saturday. Thank you to everyone who came! #SchoolChoir"
ALT_TEXT = "The school choir in red jumpers singing on a stage decorated with lights."
PHOTO_NAME = "choir.jpg"
UPLOAD_TIMEOUT_MS = 20_000
BLUESKY_HANDLE = "alpha.bsky.social"
BLUESKY_LABEL = f"@{BLUESKY_HANDLE} (Bluesky)"


def choir_photo() -> bytes:
    """A stage with lights: no faces for the detector to ask about."""
    picture = Image.new("RGB", (1200, 900), (30, 30, 60))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((100, 600, 1100, 880), fill=(150, 30, 30))
    for x in range(120, 1100, 80):
        draw.ellipse((x, 80, x + 30, 110), fill=(250, 220, 120))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def connect_bluesky(school, bluesky_stub):
    """The school's Bluesky account, connected to its account on the stub server."""
    user = bluesky_stub.add_user(BLUESKY_HANDLE)
    account = SocialAccount.objects.create(
        school=school,
        kind=SocialAccount.Kind.WHOLE_SCHOOL,
        network="bluesky",
        handle=user.handle,
        display_name="Alpha Primary on Bluesky",
        credentials=bluesky_stub.credentials(user),
        network_settings={"did": user.did, "handle": user.handle, "pds": bluesky_stub.base_url},
    )
    return user, account


def outcome(page: Page, label: str):
    """One account's line in "Where it goes"."""
    where = page.locator("#accounts")
    return where.get_by_role("listitem").filter(has=page.get_by_text(label, exact=True))


def assert_accessible(page: Page) -> None:
    found = wcag_violations(page)
    assert not found, f"{page.url}: " + "; ".join(violation.describe() for violation in found)


def test_one_post_goes_to_three_accounts_and_comes_down_from_each(
    desktop: Page,
    ipad: Page,
    open_page,
    live_server,
    school,
    staff,
    accounts,
    bluesky_stub,
    settings,
    tmp_path,
    screenshot_path,
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    version = policy_seed_default(school=school, signed_off_by=staff.head)
    policy_acknowledge(actor=staff.slt, version=version)
    bluesky_user, bluesky = connect_bluesky(school, bluesky_stub)
    news = make_account(school, "alpha_news")
    news_label = "@alpha_news (the local network)"
    school_label = "@alpha_school (the local network)"

    # The senior leader, on an iPad: the whole-school account, and Bluesky and the news account too.
    leader = ipad
    sign_in(leader.context, live_server, staff.slt.user, school=school)
    leader.goto(live_server.url + "/posts/new/")
    leader.get_by_role("radio", name="Alpha School (@alpha_school, Local (built in))").check()
    bluesky_tick = leader.get_by_role("checkbox", name=BLUESKY_LABEL)
    news_tick = leader.get_by_role("checkbox", name=re.compile(r"^@alpha_news\b"))
    assert_big_enough(leader.locator(".also-to .account-choice").first)
    bluesky_tick.tap()
    news_tick.tap()
    leader.get_by_label("What do you want to say?").fill(LOCAL_WORDS)
    bluesky_words = leader.get_by_label(f"Words for {BLUESKY_LABEL} (optional)")
    bluesky_words.fill(BLUESKY_TOO_LONG)
    feedback = leader.locator("#text-feedback")
    over = len(BLUESKY_TOO_LONG) - 300
    expect(feedback).to_contain_text(f"Bluesky: {over} over. Shorten the words for @{BLUESKY_HANDLE}.")
    bluesky_words.fill(BLUESKY_WORDS)
    expect(feedback.locator(".counter")).to_contain_text(f"Bluesky own words {len(BLUESKY_WORDS)} / 300")
    expect(feedback).not_to_contain_text("over.")

    leader.get_by_label("Add photos").set_input_files(
        {"name": PHOTO_NAME, "mimeType": "image/jpeg", "buffer": choir_photo()}
    )
    photo = leader.locator("[data-photo-card]")
    expect(photo).to_have_count(1, timeout=UPLOAD_TIMEOUT_MS)
    expect(leader.get_by_role("heading", name="Edit draft", level=1)).to_be_visible()
    description = leader.get_by_label("Describe photo 1 for people who cannot see it")
    description.tap()
    description.press_sequentially(ALT_TEXT)
    expect(photo.get_by_text("Description saved.")).to_be_visible()
    # The draft kept the other accounts and the Bluesky words.
    expect(leader.get_by_role("checkbox", name=BLUESKY_LABEL)).to_be_checked()
    expect(leader.get_by_label(f"Words for {BLUESKY_LABEL} (optional)")).to_have_value(BLUESKY_WORDS)
    assert_fits_the_ipad(leader)
    leader.screenshot(path=screenshot_path("several-accounts-compose-ipad.png"), full_page=True)
    leader.get_by_role("button", name="Send for approval").tap()
    expect(leader.get_by_role("heading", name="My posts", level=1)).to_be_visible()
    post = Post.objects.get(part_of__isnull=True)
    assert post.status == PostStatus.SUBMITTED
    assert {d.account: d.text for d in post.destinations.all()} == {bluesky: BLUESKY_WORDS, news: ""}
    mine = leader.get_by_role("article").filter(has_text=LOCAL_WORDS)
    expect(mine).to_contain_text("Waiting for approval")
    going_to = mine.locator(".destinations")
    expect(going_to).to_contain_text("Also to ")
    expect(going_to).to_contain_text(f"Bluesky @{BLUESKY_HANDLE}")
    expect(going_to).to_contain_text("Local @alpha_news")

    # The headteacher, at a desk: one preview per network, each with what the checks found.
    head = desktop
    sign_in_with_code(head, live_server, "head@alpha.test", staff.totp["head@alpha.test"])
    go_to(head, "Posts to approve")
    head.get_by_role("listitem").filter(has_text=LOCAL_WORDS).get_by_role("link").first.click()
    expect(head.get_by_role("heading", name="Post for Alpha School", level=1)).to_be_visible()
    on_bluesky = head.get_by_role("article", name=f"Preview of the post on Bluesky for @{BLUESKY_HANDLE}")
    expect(on_bluesky).to_contain_text(BLUESKY_WORDS)
    expect(on_bluesky.get_by_role("img", name=re.compile(re.escape(ALT_TEXT)))).to_have_count(1)
    expect(head.locator(".rv-destination")).to_have_count(2)
    expect(head.get_by_text(f"Nothing found for {BLUESKY_LABEL}.")).to_be_visible()
    expect(head.get_by_text(f"Nothing found for {news_label}.")).to_be_visible()
    assert_accessible(head)
    head.screenshot(path=screenshot_path("several-accounts-review.png"), full_page=True)
    approve_now(head)
    expect(head.get_by_role("status")).to_contain_text("Approved.")

    # Approved once: each account published, each with its own link.
    head.goto(f"{live_server.url}/posts/review/{post.pk}/")
    copies = {copy.account: copy for copy in Post.objects.filter(part_of=post)}
    assert set(copies) == {bluesky, news}
    post.refresh_from_db()
    everyone = [(school_label, post), (BLUESKY_LABEL, copies[bluesky]), (news_label, copies[news])]
    for label, each in everyone:
        each.refresh_from_db()
        assert each.status == PostStatus.PUBLISHED, (label, each.failure_reason)
        line = outcome(head, label)
        expect(line).to_contain_text("Published")
        expect(line.get_by_role("link", name="See it on the network")).to_have_attribute("href", each.external_url)
    assert len({each.external_url for _label, each in everyone}) == 3
    expect(head.locator("#partly-published")).to_have_count(0)
    on_the_stub = bluesky_stub.posts_by(bluesky_user)
    assert len(on_the_stub) == 1
    assert on_the_stub[0]["text"] == BLUESKY_WORDS
    assert [image["alt"] for image in on_the_stub[0]["embed"]["images"]] == [ALT_TEXT]
    assert copies[bluesky].external_id.endswith(on_the_stub[0]["uri"].rsplit("/", 1)[1])
    assert [p.text for p in LocalNetwork(accounts.whole_school).recent_own_posts()] == [LOCAL_WORDS]
    assert [p.text for p in LocalNetwork(news).recent_own_posts()] == [LOCAL_WORDS]
    public = open_page(viewport=desktop.viewport_size)
    public.goto(f"{live_server.url}/local/alpha_school/")
    expect(public.locator("article.local-post").filter(has_text=LOCAL_WORDS)).to_have_count(1)
    assert_accessible(head)
    head.screenshot(path=screenshot_path("several-accounts-published.png"), full_page=True)

    # The leader sees where it went, on "My posts" and on her dashboard.
    go_to(leader, "My posts", tap=True)
    where = leader.get_by_role("article").filter(has_text=LOCAL_WORDS).locator(".destinations")
    expect(where).to_contain_text("Local @alpha_school: published")
    expect(where).to_contain_text(f"Bluesky @{BLUESKY_HANDLE}: published")
    expect(where).to_contain_text("Local @alpha_news: published")
    expect(where.get_by_role("link", name=f"Bluesky @{BLUESKY_HANDLE}")).to_have_attribute(
        "href", copies[bluesky].external_url
    )
    expect(leader.get_by_role("article")).to_have_count(1)  # the copies are under the post, not beside it
    assert_accessible(leader)
    assert_fits_the_ipad(leader)
    leader.screenshot(path=screenshot_path("several-accounts-my-posts-ipad.png"), full_page=True)

    # Bluesky alone comes down first.
    outcome(head, BLUESKY_LABEL).get_by_role("button", name=f"Take down from {BLUESKY_LABEL}").click()
    expect(head.get_by_role("status")).to_contain_text(f"Taken down from {BLUESKY_LABEL}.")
    expect(outcome(head, BLUESKY_LABEL)).to_contain_text("Taken down")
    expect(outcome(head, school_label)).to_contain_text("Published")
    expect(outcome(head, news_label)).to_contain_text("Published")
    assert bluesky_stub.posts_by(bluesky_user) == []
    assert [p.text for p in LocalNetwork(accounts.whole_school).recent_own_posts()] == [LOCAL_WORDS]

    # Then everywhere else.
    head.get_by_role("button", name="Take down everywhere").click()
    expect(head.get_by_role("status")).to_contain_text("Taken down")
    for label, each in everyone:
        expect(outcome(head, label)).to_contain_text("Taken down")
        each.refresh_from_db()
        assert each.status == PostStatus.TAKEN_DOWN, label
    expect(head.get_by_role("button", name="Take down everywhere")).to_have_count(0)
    assert LocalNetwork(accounts.whole_school).recent_own_posts() == []
    assert LocalNetwork(news).recent_own_posts() == []
    public.reload()
    expect(public.locator("article.local-post").filter(has_text=LOCAL_WORDS)).to_have_count(0)
    head.screenshot(path=screenshot_path("several-accounts-taken-down.png"), full_page=True)


def test_when_bluesky_refuses_the_page_says_it_is_only_partly_published(
    desktop: Page, live_server, school, staff, accounts, bluesky_stub, settings, tmp_path, screenshot_path
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    version = policy_seed_default(school=school, signed_off_by=staff.head)
    policy_acknowledge(actor=staff.slt, version=version)
    bluesky_user, bluesky = connect_bluesky(school, bluesky_stub)
    post = post_create(actor=staff.slt, account=accounts.whole_school, text=LOCAL_WORDS)
    post_set_destinations(actor=staff.slt, post=post, choices=[(bluesky, BLUESKY_WORDS)])
    post_submit(actor=staff.slt, post=post)
    # Bluesky turns the post down for good (as it would an invalid record): no retry helps.
    bluesky_stub.fail_next(
        "com.atproto.repo.createRecord",
        status=400,
        body={"error": "InvalidRequest", "message": "Record is not valid"},
    )

    head = desktop
    sign_in_with_code(head, live_server, "head@alpha.test", staff.totp["head@alpha.test"])
    head.goto(f"{live_server.url}/posts/review/{post.pk}/")
    approve_now(head)
    expect(head.get_by_role("status")).to_contain_text("Approved.")
    head.goto(f"{live_server.url}/posts/review/{post.pk}/")

    copy = Post.objects.get(part_of=post)
    assert copy.status == PostStatus.FAILED
    partly = head.locator("#partly-published")
    expect(partly).to_contain_text("Only partly published.")
    expect(partly).to_contain_text(f"It went out on @alpha_school (the local network), but not on {BLUESKY_LABEL}.")
    expect(outcome(head, BLUESKY_LABEL)).to_contain_text("Not published: ")
    expect(outcome(head, BLUESKY_LABEL).get_by_role("button", name=f"Try again on {BLUESKY_LABEL}")).to_be_visible()
    expect(outcome(head, "@alpha_school (the local network)")).to_contain_text("Published")
    assert bluesky_stub.posts_by(bluesky_user) == []
    assert_accessible(head)
    head.screenshot(path=screenshot_path("several-accounts-partly-published.png"), full_page=True)

    # Trying again from this page comes back to it, and this time Bluesky takes it.
    outcome(head, BLUESKY_LABEL).get_by_role("button", name=f"Try again on {BLUESKY_LABEL}").click()
    expect(head).to_have_url(re.compile(rf"/posts/review/{post.pk}/$"))
    expect(outcome(head, BLUESKY_LABEL)).to_contain_text("Published")
    assert len(bluesky_stub.posts_by(bluesky_user)) == 1
