"""Issue 18, end to end on the local network: the Year 3 teacher, on the class iPad, proposes a
repost of the village news account's post by pasting its link; the headteacher, at a desk and
signed in with her authenticator code, sees the post it shares and approves it; the repost shows
on the class account's timeline; she undoes it and it is gone. Both repost pages pass axe-core."""

import re

from playwright.sync_api import Page, expect

from moderation.services import policy_acknowledge, policy_seed_default
from networks.base import PostPayload
from networks.local.adapter import LocalNetwork
from networks.local.models import LocalNetworkPost
from posts.models import Post, PostStatus

from ..factories import make_account
from .axe import wcag_violations
from .ipad import assert_big_enough, assert_fits_the_ipad
from .test_consent_journey import open_from_menu, sign_in_with_code
from .test_live_findings_journey import sign_in, tap_in_menu

NEWS = "The village library opens on Saturdays from next week, with a new children's corner."


def test_a_repost_is_proposed_on_the_ipad_approved_shown_and_undone(
    desktop: Page, ipad: Page, live_server, school, staff, accounts, screenshot_path
):
    version = policy_seed_default(school=school, signed_off_by=staff.head)
    policy_acknowledge(actor=staff.teacher, version=version)
    village = make_account(school, "village_news")
    shared = LocalNetwork(village).publish(PostPayload(text=NEWS))

    # The teacher, on the iPad, chooses "Repost someone's post" on the New post page.
    teacher = ipad
    sign_in(teacher, live_server, "teacher@alpha.test", tap=True)
    tap_in_menu(teacher, "New post")
    repost_choice = teacher.get_by_role("link", name="Repost someone's post")
    assert_big_enough(repost_choice)
    repost_choice.tap()
    expect(teacher.get_by_role("heading", name="Repost a post", level=1)).to_be_visible()
    assert not wcag_violations(teacher), wcag_violations(teacher)

    teacher.get_by_label("Link of the post to repost").fill(shared.url)
    show = teacher.get_by_role("button", name="Show the post")
    assert_big_enough(show)
    show.tap()

    # The draft shows the post it shares, as the portal read it.
    expect(teacher.get_by_role("heading", name="Repost draft", level=1)).to_be_visible()
    shares = teacher.locator("section").filter(has=teacher.get_by_role("heading", name="The post it shares"))
    expect(shares).to_contain_text("@village_news")
    expect(shares).to_contain_text(NEWS)
    assert_fits_the_ipad(teacher)
    assert not wcag_violations(teacher), wcag_violations(teacher)
    teacher.screenshot(path=screenshot_path("repost-journey-draft.png"), full_page=True)
    teacher.get_by_role("button", name="Send for approval").tap()
    expect(teacher.get_by_role("heading", name="My posts", level=1)).to_be_visible()
    mine = teacher.get_by_role("article").filter(has_text="Repost of @village_news")
    expect(mine).to_contain_text("Waiting for approval")
    post = Post.objects.get(repost_url=shared.url)
    assert post.status == PostStatus.SUBMITTED

    # The headteacher, at her desk, signs in with her code and finds it in the queue.
    head = desktop
    sign_in_with_code(head, live_server, "head@alpha.test", staff.totp["head@alpha.test"])
    open_from_menu(head, "Posts to approve")
    row = head.get_by_role("listitem").filter(has_text="Repost of @village_news")
    expect(row).to_have_count(1)
    row.get_by_role("link").first.click()
    expect(head.locator(".rv-repost")).to_contain_text("Repost of @village_news on @alpha_year3, without comment")
    expect(head.locator("[data-reposted]")).to_contain_text(NEWS)
    assert not wcag_violations(head), wcag_violations(head)
    head.get_by_role("button", name="Approve", exact=True).click()

    # The eager worker reposts it at once: it is on the class account's timeline.
    expect(head.get_by_role("status")).to_be_visible()
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    head.goto(f"{live_server.url}/local/{accounts.year3.handle}/")
    repost = head.locator(f"#post-{post.external_id}")
    expect(repost).to_contain_text("@alpha_year3 reposted")
    expect(repost).to_contain_text(NEWS)

    # She undoes it from the post's page; it leaves the timeline, and the original stays.
    head.goto(f"{live_server.url}/posts/review/{post.pk}/")
    head.get_by_role("button", name="Undo the repost").click()
    expect(head.get_by_role("status")).to_contain_text(re.compile(r"The repost was undone on"))
    post.refresh_from_db()
    assert post.status == PostStatus.TAKEN_DOWN
    head.goto(f"{live_server.url}/local/{accounts.year3.handle}/")
    expect(head.locator(f"#post-{post.external_id}")).to_have_count(0)
    assert LocalNetworkPost.objects.get(pk=int(shared.id)).deleted_at is None
