"""Issue 14, end to end: each person starts from their dashboard and finds their next job first.

A class teacher on the class iPad writes a post from "New post" and sees it waiting; the
headteacher, at a desk, sees "Waiting for you" with it, goes through to the queue and approves it;
the teacher opens a post sent back to them from the dashboard, reads the comment and sends it again;
the office types in a class's paper forms from the dashboard. Each role's dashboard is saved as a
screenshot at desktop and iPad sizes."""

import re

from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from community.incidents import concern_raise
from consent.models import Pupil
from moderation.services import policy_acknowledge, policy_seed_default, seed_default_rules
from posts.models import Post, PostStatus
from posts.services import post_create, post_request_changes, post_submit

from .conftest import DESKTOP, IPAD
from .ipad import assert_big_enough, assert_fits_the_ipad
from .test_consent_journey import open_from_menu, sign_in_with_code
from .test_live_findings_journey import TEXT_LABEL, sign_in, tap_in_menu
from .test_post_journey import approve_now

FIRST_POST = "Year 3 planted sunflower seeds in the school garden today and measured them with rulers."
SENT_BACK_POST = "Our class visited the museum and saw a real mummy!"
COMMENT = "Please say which museum it was, so parents can visit too."
FIXED_POST = "Our class visited the city museum and saw a real mummy!"


def panel(page: Page, heading: str) -> Locator:
    """The dashboard panel with this heading (its h2), as a person reads it."""
    return page.locator("section").filter(has=page.get_by_role("heading", name=heading, level=2, exact=True))


def first_panel_heading(page: Page) -> Locator:
    return page.get_by_role("main").get_by_role("heading", level=2).first


def ready_to_write(school, staff) -> None:
    """The school's policy is signed off and the class teacher has read it."""
    version = policy_seed_default(school=school, signed_off_by=staff.head)
    policy_acknowledge(actor=staff.teacher, version=version)


def save_at_both_sizes(page: Page, screenshot_path, name: str) -> None:
    """Screenshots of the dashboard at desktop size and at an upright iPad's size. People whose
    sign-in needs an authenticator code sign in once; their page is resized to the iPad's width."""
    page.screenshot(path=screenshot_path(f"dashboard-{name}-desktop.png"), full_page=True)
    desktop_size = page.viewport_size
    page.set_viewport_size(IPAD["viewport"])
    page.reload()
    assert_fits_the_ipad(page)
    page.screenshot(path=screenshot_path(f"dashboard-{name}-ipad.png"), full_page=True)
    page.set_viewport_size(desktop_size)


def test_a_teacher_writes_from_the_dashboard_and_the_headteacher_approves_from_hers(
    ipad: Page, desktop: Page, live_server, school, staff, accounts, screenshot_path
):
    ready_to_write(school, staff)

    # The teacher, on the class iPad: nothing waits, and "New post" is the first thing to tap.
    teacher = ipad
    sign_in(teacher, live_server, "teacher@alpha.test", tap=True)
    expect(first_panel_heading(teacher)).to_have_text("Nothing is waiting for you")
    new_post = teacher.get_by_role("main").get_by_role("link", name="New post")
    expect(teacher.get_by_role("main").locator("a.button, button").first).to_have_text("New post")
    assert_big_enough(new_post)
    assert_fits_the_ipad(teacher)
    new_post.tap()

    expect(teacher.get_by_role("heading", name="New post", level=1)).to_be_visible()
    text = teacher.get_by_label(TEXT_LABEL)
    text.tap()
    text.fill(FIRST_POST)
    teacher.get_by_role("button", name="Send for approval").tap()
    expect(teacher.get_by_role("heading", name="My posts", level=1)).to_be_visible()
    expect(teacher.get_by_role("status")).to_contain_text("Sent for approval.")

    # Back home, the post is under "Waiting for approval".
    tap_in_menu(teacher, "Home")
    mine = panel(teacher, "Your posts on their way")
    expect(mine).to_contain_text("1 waiting for approval")
    waiting = mine.get_by_role("listitem").filter(has_text="Year 3 planted sunflower seeds")
    expect(waiting).to_contain_text("@alpha_year3")
    expect(waiting).to_contain_text("waiting less than an hour")
    assert_fits_the_ipad(teacher)

    # The headteacher, at a desk: "Waiting for you" comes first, with the post.
    head = desktop
    sign_in_with_code(head, live_server, "head@alpha.test", staff.totp["head@alpha.test"])
    expect(first_panel_heading(head)).to_have_text("Waiting for you")
    for_her = panel(head, "Waiting for you")
    expect(for_her.locator(".figure")).to_have_text("1")
    expect(for_her).to_contain_text("1 post waiting for your approval, oldest waiting less than an hour.")
    row = for_her.get_by_role("listitem").filter(has_text="Year 3 planted sunflower seeds")
    expect(row).to_contain_text("by Teacher")
    expect(row).to_contain_text("0 photos")
    head.screenshot(path=screenshot_path("dashboard-journey-headteacher-waiting.png"), full_page=True)

    for_her.get_by_role("link", name="Open the approval queue").click()
    expect(head.get_by_role("heading", name="Posts to approve", level=1)).to_be_visible()
    head.get_by_role("listitem").filter(has_text=FIRST_POST).get_by_role("link").click()
    expect(head.get_by_role("heading", name="Post for Alpha Year3", level=1)).to_be_visible()
    approve_now(head)
    expect(head.get_by_role("status")).to_contain_text("Approved.")
    assert Post.objects.get().status == PostStatus.PUBLISHED

    # Nothing waits for her now.
    open_from_menu(head, "Home")
    expect(first_panel_heading(head)).to_have_text("Nothing is waiting for you")
    expect(panel(head, "Waiting for you")).to_have_count(0)

    # The teacher sees it went out.
    teacher.reload()
    published = panel(teacher, "Your posts on their way")
    expect(published).to_contain_text("0 waiting for approval, 0 going out and 1 published in the last two weeks.")
    expect(published.get_by_role("listitem").filter(has_text="Year 3 planted sunflower seeds")).to_contain_text(
        "published"
    )


def test_a_teacher_opens_a_post_sent_back_from_the_dashboard_and_sends_it_again(
    ipad: Page, live_server, school, staff, accounts, screenshot_path
):
    ready_to_write(school, staff)
    post = post_create(actor=staff.teacher, account=accounts.year3, text=SENT_BACK_POST)
    post_submit(actor=staff.teacher, post=post)
    post_request_changes(actor=staff.head, post=post, comment=COMMENT)

    teacher = ipad
    sign_in(teacher, live_server, "teacher@alpha.test", tap=True)
    expect(first_panel_heading(teacher)).to_have_text("Sent back to you")
    sent_back = panel(teacher, "Sent back to you")
    expect(sent_back).to_contain_text("1 post came back to you.")
    expect(sent_back).to_contain_text(SENT_BACK_POST)
    expect(sent_back).to_contain_text("Changes requested by Head")
    expect(sent_back).to_contain_text(COMMENT)
    assert_fits_the_ipad(teacher)
    teacher.screenshot(path=screenshot_path("dashboard-journey-teacher-sent-back-ipad.png"), full_page=True)
    make_changes = sent_back.get_by_role("link", name="Make the changes")
    assert_big_enough(make_changes)
    make_changes.tap()

    expect(teacher.get_by_role("heading", name="Edit draft", level=1)).to_be_visible()
    text = teacher.get_by_label(TEXT_LABEL)
    expect(text).to_have_value(SENT_BACK_POST)
    text.tap()
    text.fill(FIXED_POST)
    teacher.get_by_role("button", name="Send for approval").tap()
    expect(teacher.get_by_role("status")).to_contain_text("Sent for approval.")

    tap_in_menu(teacher, "Home")
    expect(panel(teacher, "Sent back to you")).to_have_count(0)
    expect(
        panel(teacher, "Your posts on their way").get_by_role("listitem").filter(has_text=FIXED_POST)
    ).to_contain_text("waiting less than an hour")
    post.refresh_from_db()
    assert (post.status, post.text) == (PostStatus.SUBMITTED, FIXED_POST)


def test_the_office_types_in_a_class_forms_from_the_dashboard(desktop: Page, live_server, school, year3, staff):
    for first_name, surname in (("Cara", "Lee"), ("Dev", "Shah")):
        Pupil.objects.create(school=school, class_group=year3, first_name=first_name, surname=surname)

    office = desktop
    sign_in_with_code(office, live_server, "office@alpha.test", staff.totp["office@alpha.test"])
    expect(first_panel_heading(office)).to_have_text("Paper forms to type in")
    forms = panel(office, "Paper forms to type in")
    expect(forms).to_contain_text("2 pupils on roll have no answer recorded")
    forms.get_by_role("link", name=re.compile(r"^Type in Year 3’s forms")).click()

    expect(office.get_by_role("heading", name="Type in paper forms", level=1)).to_be_visible()
    expect(office.get_by_role("link", name="Year 3")).to_have_attribute("aria-current", "page")
    # The date on the forms starts as today.
    expect(office.get_by_label("Date on the forms")).to_have_value(timezone.localdate().isoformat())
    for pupil in ("Cara Lee", "Dev Shah"):
        for purpose in ("Photo on social media", "First name on social media"):
            office.get_by_role("group", name=f"{purpose} for {pupil}").get_by_label("Yes").check()
    office.get_by_role("button", name="Save these decisions").click()
    expect(office.get_by_role("status").filter(has_text="Recorded")).to_contain_text("Recorded 4 decision(s)")

    open_from_menu(office, "Home")
    expect(panel(office, "Paper forms to type in")).to_have_count(0)
    expect(first_panel_heading(office)).to_have_text("Nothing is waiting for you")


def test_each_roles_dashboard_at_desktop_and_ipad_sizes(
    open_page, live_server, school, year3, staff, accounts, screenshot_path
):
    """Something for every role to see, then each person's dashboard: their first panel, and
    screenshots at both sizes. Everyone has read the policy."""
    version = policy_seed_default(school=school, signed_off_by=staff.head)
    for member in (staff.slt, staff.teacher, staff.ta, staff.computing, staff.office):
        policy_acknowledge(actor=member, version=version)
    seed_default_rules(school)
    waiting = post_create(actor=staff.teacher, account=accounts.year3, text="Harvest festival donations start Monday.")
    post_submit(actor=staff.teacher, post=waiting)
    sent_back = post_create(actor=staff.teacher, account=accounts.year3, text=SENT_BACK_POST)
    post_submit(actor=staff.teacher, post=sent_back)
    post_request_changes(actor=staff.head, post=sent_back, comment=COMMENT)
    post_create(actor=staff.teacher, account=accounts.year3, text="Notes for Friday's assembly")
    for first_name, surname in (("Cara", "Lee"), ("Dev", "Shah")):
        Pupil.objects.create(school=school, class_group=year3, first_name=first_name, surname=surname)
    concern_raise(
        actor=staff.ta, url="https://example.org/replies/12", description="A reply to our post names a Year 3 pupil."
    )

    # People who sign in with a password: in a desktop window, and on an iPad.
    for email, name, first_heading in (
        ("teacher@alpha.test", "teacher", "Sent back to you"),
        ("ta@alpha.test", "teaching-assistant", "Nothing is waiting for you"),
        ("computing@alpha.test", "computing-lead", "Nothing is waiting for you"),
    ):
        for size, device in (("desktop", DESKTOP), ("ipad", IPAD)):
            page = open_page(**device)
            sign_in(page, live_server, email, tap=size == "ipad")
            expect(first_panel_heading(page)).to_have_text(first_heading)
            if size == "ipad":
                assert_fits_the_ipad(page)
            page.screenshot(path=screenshot_path(f"dashboard-{name}-{size}.png"), full_page=True)

    # People with an authenticator: one sign-in each, the page seen at both sizes.
    for email, name, first_heading in (
        ("head@alpha.test", "headteacher", "Waiting for you"),
        ("slt@alpha.test", "senior-leader", "Waiting for you"),
        ("office@alpha.test", "office", "Paper forms to type in"),
    ):
        page = open_page(**DESKTOP)
        sign_in_with_code(page, live_server, email, staff.totp[email])
        expect(first_panel_heading(page)).to_have_text(first_heading)
        save_at_both_sizes(page, screenshot_path, name)
