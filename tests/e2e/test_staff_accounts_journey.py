"""Issue 18, end to end: a class teacher records her own account on her iPad; it follows the
school's account and is public, so the office admin's follower review shows it marked as staff
and not private, and the teacher finds a reminder, for her only, on her home page."""

from django.core import mail
from playwright.sync_api import Page, expect

from community.audience import sync_followers
from moderation.services import seed_default_rules
from networks.local import adapter as local

from .ipad import assert_fits_the_ipad
from .test_consent_journey import open_from_menu, sign_in_with_code
from .test_live_findings_journey import sign_in


def test_a_teacher_records_her_account_and_is_reminded_privately_that_it_is_public(
    ipad: Page, desktop: Page, live_server, staff, accounts, school, screenshot_path
):
    seed_default_rules(school)
    teacher = ipad
    sign_in(teacher, live_server, "teacher@alpha.test", tap=True)
    open_from_menu(teacher, "My own accounts")
    expect(teacher.get_by_role("heading", name="My own accounts", exact=True)).to_be_visible()
    teacher.get_by_label("Network").select_option("local")
    teacher.get_by_label("Your handle").fill("@Ms_Green_Reads")
    teacher.get_by_role("button", name="Record this account").tap()
    expect(teacher.get_by_text("Recorded: @ms_green_reads on Local (built in).")).to_be_visible()
    assert_fits_the_ipad(teacher)
    teacher.screenshot(path=screenshot_path("staff-own-accounts.png"), full_page=True)

    # Her account follows the school's account; the portal's next sync reads it.
    local.simulate_follow(
        local.simulate_person("ms_green_reads", display_name="Jo Green", bio="Teacher, reader, gardener."),
        accounts.whole_school,
    )
    local.simulate_follow(local.simulate_person("a_parent_reads", bio="Parent."), accounts.whole_school)
    sync_followers(accounts.whole_school)

    office = desktop
    sign_in_with_code(office, live_server, "office@alpha.test", staff.totp["office@alpha.test"])
    open_from_menu(office, "Followers and blocks")
    queue = office.get_by_role("list", name="Followers waiting for review")
    theirs = queue.get_by_role("listitem").filter(has=office.get_by_role("heading", name="Jo Green"))
    expect(theirs).to_contain_text("Staff: Teacher")
    expect(theirs).to_contain_text("Their account is not private")
    parent = queue.get_by_role("listitem").filter(has_text="@a_parent_reads")
    expect(parent).not_to_contain_text("Staff:")
    office.screenshot(path=screenshot_path("staff-follower-marked.png"), full_page=True)

    [email] = mail.outbox
    assert email.to == ["teacher@alpha.test"]

    teacher.goto(live_server.url + "/")
    panel = teacher.get_by_role("region", name="Your own accounts")
    expect(panel).to_contain_text("Your account @ms_green_reads on Local (built in) is public.")
    expect(panel).to_contain_text("Only you see this.")
    assert_fits_the_ipad(teacher)

    office.goto(live_server.url + "/")
    expect(office.get_by_role("region", name="Your own accounts")).to_have_count(0)
