"""Issue 17, a short check in a real browser: the headteacher, on an iPad, ticks the school's
Bluesky account under "Also post to"; its text box appears only then, and the counter counts
for both networks while the text is typed. (The whole journey, to publishing and taking down,
is a test of its own.)"""

from playwright.sync_api import Page, expect

from moderation.services import policy_acknowledge, policy_seed_default
from posts.models import PostDestination

from ..posts.network_accounts import network_account
from .ipad import assert_big_enough, assert_fits_the_ipad
from .sessions import sign_in

FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467"


def test_ticking_an_account_shows_its_words_box_and_its_counter(ipad: Page, live_server, school, staff, accounts):
    version = policy_seed_default(school=school, signed_off_by=staff.head)
    policy_acknowledge(actor=staff.head, version=version)
    bluesky = network_account(school, "bluesky", "alpha.bsky.social")
    sign_in(ipad.context, live_server, staff.head.user, school=school)

    ipad.goto(live_server.url + "/posts/new/")
    ipad.get_by_label("Alpha School (@alpha_school, Local (built in))").check()
    words = ipad.get_by_label("Words for @alpha.bsky.social (Bluesky) (optional)")
    expect(words).to_be_hidden()
    tick = ipad.get_by_role("checkbox", name="@alpha.bsky.social (Bluesky)")
    assert_big_enough(ipad.locator(".also-to .account-choice").first)
    tick.tap()
    expect(words).to_be_visible()

    ipad.get_by_label("What do you want to say?").fill(FAMILY * 5)
    counter = ipad.locator("#text-feedback .counter")
    expect(counter).to_contain_text("Local 10 / 280")
    expect(counter).to_contain_text("Bluesky 5 / 300")
    words.fill("a" * 301)
    expect(ipad.locator("#text-feedback")).to_contain_text("Bluesky: 1 over. Shorten the words for @alpha.bsky.social.")
    assert_fits_the_ipad(ipad)

    ipad.get_by_role("button", name="Save draft").tap()
    expect(ipad.get_by_text("Draft saved.")).to_be_visible()
    assert PostDestination.objects.get().account == bluesky
    expect(ipad.get_by_role("article", name="Preview of the post on Bluesky for @alpha.bsky.social")).to_be_visible()
