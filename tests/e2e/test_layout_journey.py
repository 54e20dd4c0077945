"""Issue 14, end to end: finding one's way and seeing what happened.

At a desk the headteacher sees every part of the portal her role opens, grouped, with the work that
waits ("Posts to approve 2 waiting"), and where she is marked by more than a colour; the account menu
opens and closes from the keyboard. On an iPad held upright (and at 200% zoom on a desktop) the
navigation folds into a Menu button opened by a tap. When approval is refused, the iPad shows the
reason and puts focus on it, even though the decision sits far down the page; and a button pressed
says it is working and does not send its form twice."""

import re

from django.utils import timezone
from playwright.sync_api import Page, expect

from posts.models import FaceRegion, Post, PostImage, PostStatus
from posts.services import post_create

from .ipad import assert_big_enough, assert_fits_the_ipad
from .navigation import go_to, main_nav, menu_button, nav_link
from .test_consent_journey import sign_in_with_code
from .test_live_findings_journey import sign_in

FINE_TEXT = "Year 3 planted sunflowers in the school garden today."
FACE_TEXT = "Year 3 on the climbing frame at lunchtime."


def submitted(staff, accounts, text: str, *, unresolved_face: bool = False) -> Post:
    """The Year 3 teacher's post, waiting for approval; with a face on its photo nobody answered for
    (a post sent before the portal refused that at submission: approval refuses it)."""
    post = post_create(actor=staff.teacher, account=accounts.year3, text=text)
    if unresolved_face:
        image = PostImage.objects.create(post=post, alt_text="Children on the climbing frame", width=800, height=600)
        FaceRegion.objects.create(image=image, x=100, y=100, w=80, h=80)
    Post.objects.filter(pk=post.pk).update(status=PostStatus.SUBMITTED, submitted_at=timezone.now())
    return post


def outline_of(locator) -> tuple[str, float]:
    return locator.evaluate(
        "el => { const s = getComputedStyle(el); return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )


def test_at_a_desk_the_navigation_is_grouped_and_shows_what_waits(
    desktop: Page, live_server, staff, accounts, screenshot_path
):
    submitted(staff, accounts, FINE_TEXT)
    submitted(staff, accounts, FACE_TEXT, unresolved_face=True)
    page = desktop
    sign_in_with_code(page, live_server, "head@alpha.test", staff.totp["head@alpha.test"])

    # Everything is there without opening anything: no Menu button at this width.
    nav = main_nav(page)
    expect(menu_button(page)).to_be_hidden()
    for group in ("Posts", "Pupils and consent", "Audience", "School settings"):
        expect(nav.locator(".nav-group-title", has_text=re.compile(f"^{group}$"))).to_be_visible()
    to_approve = nav.get_by_role("link", name="Posts to approve 2 waiting")
    expect(to_approve).to_be_visible()
    expect(to_approve).to_contain_text("2")
    expect(nav.get_by_role("link", name="Audit trail", exact=True)).to_be_visible()
    home = nav.get_by_role("link", name="Home", exact=True)
    expect(home).to_have_attribute("aria-current", "page")

    to_approve.click()
    expect(page.get_by_role("heading", name="Posts to approve", level=1)).to_be_visible()

    # The skip link is the first thing the keyboard reaches, visible, with a focus ring; it leads
    # past the navigation to the page itself.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    style, width = outline_of(skip)
    assert style == "solid" and width >= 2
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null"), "Tab went back to the navigation"

    here = nav_link(page, "Posts to approve")
    expect(here).to_have_attribute("aria-current", "page")
    expect(home).not_to_have_attribute("aria-current", re.compile("."))
    # Marked by a bar at its edge and bold text, not only by its tint.
    assert here.evaluate("el => getComputedStyle(el).borderLeftWidth") == "4px"
    assert int(here.evaluate("el => getComputedStyle(el).fontWeight")) >= 700
    page.screenshot(path=screenshot_path("layout-desktop-queue.png"), full_page=True)

    # The account menu: opened from the keyboard, closed with Escape, focus back where it was.
    account = page.get_by_role("navigation", name="Your account")
    summary = account.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")
    sign_out = account.get_by_role("button", name="Sign out")
    expect(sign_out).to_be_visible()
    expect(account.get_by_role("link", name="Sign-in security")).to_be_visible()
    page.keyboard.press("Escape")
    expect(sign_out).to_be_hidden()
    expect(summary).to_be_focused()
    # And closed by a click anywhere else.
    summary.click()
    expect(sign_out).to_be_visible()
    page.get_by_role("heading", name="Posts to approve", level=1).click()
    expect(sign_out).to_be_hidden()


def test_at_200_percent_zoom_the_navigation_folds_into_a_menu(open_page, live_server, staff, accounts):
    # A 1280-pixel window at 200% zoom lays the page out 640 CSS pixels wide.
    page = open_page(viewport={"width": 640, "height": 400}, device_scale_factor=2)
    sign_in(page, live_server, "teacher@alpha.test")

    menu = menu_button(page)
    expect(menu).to_be_visible()
    expect(main_nav(page)).to_be_hidden()
    menu.click()
    expect(main_nav(page)).to_be_visible()
    page.keyboard.press("Escape")
    expect(main_nav(page)).to_be_hidden()
    expect(menu).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"


def test_on_an_ipad_the_menu_opens_by_touch_and_a_refused_approval_shows_why(
    ipad: Page, live_server, staff, accounts, screenshot_path
):
    post = submitted(staff, accounts, FACE_TEXT, unresolved_face=True)
    page = ipad
    sign_in_with_code(page, live_server, "head@alpha.test", staff.totp["head@alpha.test"])

    # Upright, the navigation waits behind the Menu button, which says that work is waiting.
    menu = menu_button(page)
    expect(menu).to_have_accessible_name("Menu 1 waiting")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(main_nav(page)).to_be_hidden()
    assert_big_enough(menu)
    menu.tap()
    expect(menu).to_have_attribute("aria-expanded", "true")
    to_approve = nav_link(page, "Posts to approve")
    expect(to_approve).to_be_visible()
    assert_big_enough(to_approve)
    assert_fits_the_ipad(page)
    page.screenshot(path=screenshot_path("layout-ipad-menu.png"), full_page=True)
    to_approve.tap()

    expect(page.get_by_role("heading", name="Posts to approve", level=1)).to_be_visible()
    expect(main_nav(page)).to_be_hidden()
    menu.tap()  # open again: the page is marked
    expect(nav_link(page, "Posts to approve")).to_have_attribute("aria-current", "page")
    menu.tap()
    expect(main_nav(page)).to_be_hidden()
    page.get_by_role("listitem").filter(has_text=FACE_TEXT).get_by_role("link").tap()
    expect(page.get_by_role("heading", name="Post for Alpha Year3", level=1)).to_be_visible()

    # The decision is below the preview and the checks, out of sight; the approval is refused.
    decision = page.locator("section").filter(has=page.get_by_role("heading", name="Decision"))
    approve = decision.get_by_role("button", name="Approve", exact=True)
    approve.tap()

    reason = page.locator("#approve-refused")
    expect(reason).to_contain_text("Not approved.")
    expect(reason).to_contain_text("not resolved")
    expect(reason).to_be_focused()
    expect(reason).to_be_in_viewport()
    # It is further down the page than one screen: the page was scrolled to it.
    top_on_the_page = reason.evaluate("el => el.getBoundingClientRect().top + window.scrollY")
    assert top_on_the_page > page.viewport_size["height"], "the reason was in view without scrolling"
    # The top of the page says so too, with a way to the reason.
    summary = page.locator("[data-error-summary]")
    expect(summary.get_by_role("heading", name="Not approved")).to_have_count(1)
    expect(summary.get_by_role("link", name=re.compile("not resolved"))).to_have_attribute("href", "#approve-refused")
    assert_fits_the_ipad(page)
    page.screenshot(path=screenshot_path("layout-ipad-refused.png"))
    post.refresh_from_db()
    assert post.status == PostStatus.SUBMITTED


def test_a_pressed_button_says_it_is_working_and_sends_once(desktop: Page, live_server, staff, accounts):
    post = submitted(staff, accounts, FINE_TEXT)
    page = desktop
    sign_in_with_code(page, live_server, "head@alpha.test", staff.totp["head@alpha.test"])
    go_to(page, "Posts to approve")
    page.get_by_role("listitem").filter(has_text=FINE_TEXT[:30]).get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/posts/review/{post.pk}/$"))
    page.wait_for_load_state("load")  # the portal's script is listening before this test's listener
    page.get_by_label("What needs changing").fill("Please say which class planted them.")

    # What the page shows as the form leaves, and whether the form really leaves, noted where the next
    # page can read it (a page on its way cannot be asked). This listener hears each sending after
    # the portal's own.
    page.evaluate(
        """() => document.addEventListener("submit", (event) => {
            const button = event.submitter;
            const seen = JSON.parse(sessionStorage.getItem("seen") || "[]");
            seen.push({
                sent: !event.defaultPrevented,
                busy: button.getAttribute("aria-busy"),
                disabled: button.getAttribute("aria-disabled"),
                text: button.textContent.trim(),
            });
            sessionStorage.setItem("seen", JSON.stringify(seen));
        })"""
    )
    # An impatient double click. Each request waits for this test to let it through, which it can only
    # do once both clicks are done: the second click comes while the first request is on its way.
    sent = []

    def let_through(route):
        sent.append(route.request.url)
        route.continue_()

    page.route("**/request-changes/", let_through)
    page.get_by_role("button", name="Send back for changes", exact=True).dblclick(no_wait_after=True)

    expect(page.get_by_role("heading", name="Posts to approve", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Sent back to")
    expect(page.get_by_role("alert")).to_have_count(0)  # no second sending, refused as too late
    assert len(sent) == 1, "the form was sent twice"
    seen = page.evaluate("JSON.parse(sessionStorage.getItem('seen'))")
    assert [entry for entry in seen if entry["sent"]] == [
        {"sent": True, "busy": "true", "disabled": "true", "text": "Send back for changesWorking…"}
    ]
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT
    assert post.comments.count() == 1
