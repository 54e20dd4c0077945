"""Issue 7, end to end: the office admin reviews the new followers of the whole-school account,
sees the one with an offensive bio first, blocks it with a reason, and finds it on the blocked
accounts page with that reason. The followers come from the local network's simulated people."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import Page, expect

from community.audience import sync_followers
from community.models import BlockedAccount
from moderation.services import seed_default_rules
from networks.local import adapter as local
from networks.local.models import LocalNetworkRelation

from .ipad import assert_fits_the_ipad
from .test_consent_journey import open_from_menu, sign_in_with_code

REASON = "Insults the school's staff in their bio"


def followed_by_the_public(school, account):
    """Three people follow the whole-school account: a parent, someone with an offensive bio, and
    an empty account made this week; the portal's sync has screened them."""
    seed_default_rules(school)
    now = timezone.now()
    people = [
        local.simulate_person(
            "reading_with_rosie",
            display_name="Rosie Patel",
            bio="Mum of two, school governor, always reading.",
            created_at=now - timedelta(days=1900),
            posts_count=420,
        ),
        local.simulate_person(
            "the_grumpy_truth",
            display_name="Grumpy Truth",
            bio="Teachers are scum. Unfollow if offended.",
            created_at=now - timedelta(days=200),
            posts_count=2600,
        ),
        local.simulate_person("user48213907", created_at=now - timedelta(days=3)),
    ]
    for person in people:
        local.simulate_follow(person, account)
    sync_followers(account)
    return people[1]


def test_office_admin_blocks_a_follower_with_an_offensive_bio(
    desktop: Page, live_server, staff, accounts, school, screenshot_path
):
    troll = followed_by_the_public(school, accounts.whole_school)
    page = desktop

    sign_in_with_code(page, live_server, "office@alpha.test", staff.totp["office@alpha.test"])
    expect(page.get_by_role("heading", name="Followers waiting for review")).to_be_visible()
    open_from_menu(page, "Followers and blocks")

    expect(page.get_by_role("heading", name="Followers", exact=True)).to_be_visible()
    queue = page.get_by_role("list", name="Followers waiting for review")
    items = queue.get_by_role("listitem").filter(has=page.get_by_role("heading"))
    expect(items).to_have_count(3)
    first = items.first
    expect(first.get_by_role("heading")).to_contain_text("Grumpy Truth")
    expect(first).to_contain_text("Flagged")
    expect(first).to_contain_text("Teachers are scum. Unfollow if offended.")
    expect(first).to_contain_text("Their bio contains “scum”: offensive or unsuitable.")
    expect(items.last.get_by_role("heading")).to_contain_text("Rosie Patel")  # nothing flagged: last
    assert_fits_the_ipad(page)
    page.screenshot(path=screenshot_path("audience-followers-queue.png"), full_page=True)

    first.get_by_text("Block…").click()
    first.get_by_label("Why block @the_grumpy_truth?").fill(REASON)
    first.get_by_role("button", name="Block @the_grumpy_truth").click()

    expect(page.get_by_text("@the_grumpy_truth is blocked from @alpha_school.")).to_be_visible()
    expect(page.get_by_role("list", name="Followers waiting for review")).not_to_contain_text("Grumpy Truth")
    page.get_by_role("link", name="Blocked accounts").click()

    expect(page.get_by_role("heading", name="Blocked accounts")).to_be_visible()
    blocks = page.get_by_role("list", name="Blocks in force")
    block = blocks.get_by_role("listitem").filter(has_text="@the_grumpy_truth").first
    expect(block).to_contain_text(REASON)
    expect(block).to_contain_text("Blocked through the network's API")
    expect(block).to_contain_text("Teachers are scum. Unfollow if offended.")  # the evidence, as seen
    expect(block).to_contain_text("Office")  # who decided
    page.screenshot(path=screenshot_path("audience-blocked-accounts.png"), full_page=True)

    recorded = BlockedAccount.objects.get()
    assert (recorded.handle, recorded.reason, recorded.decided_by) == ("the_grumpy_truth", REASON, staff.office.user)
    assert LocalNetworkRelation.objects.filter(user=troll, account=accounts.whole_school, kind="block").exists()
