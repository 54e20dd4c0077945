"""Issue 14: the two jobs the portal exists for, done with the keyboard alone (Tab, Shift+Tab, Enter
and Space; typing into fields): a class teacher signs in, writes a post and sends it for approval;
the headteacher finds it and approves it. At every stop the focused control shows that it has the
focus (WCAG 2.4.7), and the controls come in the order a person reads the page (WCAG 2.4.3)."""

import re

from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from moderation.services import policy_acknowledge, policy_seed_default
from posts.models import Post, PostStatus
from posts.services import post_create, post_submit

from ..factories import PASSWORD
from .conftest import DESKTOP
from .navigation import menu_button, nav_link
from .sessions import sign_in
from .test_sign_in_journeys import dashboard_url

POST_TEXT = "Year 3 made bird feeders for the school garden this afternoon."
# Enough Tab presses to cross the busiest page once: a control not reached by then is not reachable.
MAX_STOPS = 60

# What the browser says about the focused element: what it is, and whether anything marks it.
_FOCUSED = """() => {
    const element = document.activeElement;
    if (!element || element === document.body) return null;
    const style = getComputedStyle(element);
    const box = element.getBoundingClientRect();
    const label = element.labels && element.labels.length ? element.labels[0].innerText : "";
    return {
        description: `<${element.tagName.toLowerCase()}> ${(element.getAttribute("aria-label") || label
            || element.innerText || element.value || element.name || "").trim().slice(0, 60)}`,
        outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
        shadow: style.boxShadow !== "none",
        style: `outline: ${style.outlineStyle} ${style.outlineWidth}; box-shadow: ${style.boxShadow}`,
        onScreen: box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < innerHeight,
    };
}"""


class KeyboardWalk:
    """Moves the focus with Tab and Shift+Tab, checking every stop is visible and on the screen."""

    def __init__(self, page: Page):
        self.page = page
        self.stops: list[str] = []
        # A walk starts on a page that has loaded: keys pressed while its script is still on the
        # way race with what the script does to the focus.
        page.wait_for_load_state("load")

    def activate(self, key: str = "Enter") -> None:
        """Press the focused control (Enter or Space); the page may move on, so no focus to check."""
        self.page.keyboard.press(key)

    def press(self, key: str) -> dict:
        """Move the focus (Tab, Shift+Tab) and check where it went."""
        self.page.keyboard.press(key)
        focused = self.page.evaluate(_FOCUSED)
        assert focused is not None, f"after {self.stops[-3:]}, {key} left nothing focused on {self.page.url}"
        self.stops.append(focused["description"])
        assert focused["outline"] or focused["shadow"], (
            f"{focused['description']} on {self.page.url} has the focus but nothing shows it ({focused['style']})"
        )
        assert focused["onScreen"], f"{focused['description']} on {self.page.url} has the focus off the screen"
        return focused

    def tab_through(self, *controls: Locator) -> None:
        """Tab to each control in turn. Reaching a later one first fails: the order would be wrong."""
        for position, control in enumerate(controls):
            for _ in range(MAX_STOPS):
                self.press("Tab")
                if is_focused(control):
                    break
                early = next((later for later in controls[position + 1 :] if is_focused(later)), None)
                assert early is None, f"Tab reached {early} before {control} on {self.page.url}: {self.stops}"
            else:
                raise AssertionError(f"Tab never reached {control} on {self.page.url}; it went {self.stops}")

    def shift_tab_to(self, control: Locator) -> None:
        self.press("Shift+Tab")
        assert is_focused(control), f"Shift+Tab went to {self.stops[-1]}, not back to {control}"


def is_focused(control: Locator) -> bool:
    return control.evaluate("element => element === document.activeElement")


def open_menu_item(walk: KeyboardWalk, page: Page, item: str, *, open_with: str = "Enter") -> None:
    """Follow one of the main navigation's links from the keyboard: where the navigation is folded
    away behind the Menu button, open it first (Enter or Space)."""
    link = nav_link(page, item)
    if not link.is_visible():
        walk.tab_through(menu_button(page))
        walk.activate(open_with)
        expect(menu_button(page)).to_have_attribute("aria-expanded", "true")
    walk.tab_through(link)
    walk.activate("Enter")


def test_class_teacher_writes_and_sends_a_post_with_the_keyboard_alone(open_page, live_server, school, staff, accounts):
    version = policy_seed_default(school=school, signed_off_by=staff.head)
    policy_acknowledge(actor=staff.teacher, version=version)
    page = open_page(**DESKTOP)
    walk = KeyboardWalk(page)

    # Signing in: the fields, then Enter.
    page.goto(live_server.url + reverse("account_login"))
    email, password = page.get_by_label("Email"), page.get_by_label("Password")
    walk.tab_through(email)
    page.keyboard.type(staff.teacher.user.email)
    walk.tab_through(password)
    page.keyboard.type(PASSWORD)
    walk.activate("Enter")
    page.wait_for_url(dashboard_url(live_server))

    # The skip link comes first and takes the focus past the header; the menu leads to "New post".
    walk.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    open_menu_item(walk, page, "New post")
    expect(page.get_by_role("heading", name="New post", level=1)).to_be_visible()

    walk = KeyboardWalk(page)
    walk.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    walk.activate("Enter")
    expect(page.locator("main")).to_be_focused()  # the next Tab starts inside the page's content
    my_posts = page.get_by_role("main").get_by_role("link", name="My posts")
    account = page.get_by_role("radio", name=re.compile(r"@alpha_year3"))
    text = page.get_by_label("What do you want to say?")
    quote = page.get_by_label("Quote a post (optional)")
    publish_at = page.get_by_label("Publish at (optional)")
    photos = page.get_by_label("Add photos")
    save = page.get_by_role("button", name="Save draft", exact=True).last
    send = page.get_by_role("button", name="Send for approval")
    walk.tab_through(my_posts, account, text)
    expect(account).to_be_checked()
    page.keyboard.type(POST_TEXT)
    walk.tab_through(quote, publish_at, photos, save, send)
    walk.shift_tab_to(save)
    walk.tab_through(send)
    walk.activate("Enter")

    expect(page).to_have_url(re.compile(re.escape(reverse("post_list_mine")) + "$"))
    post = Post.objects.get(author=staff.teacher.user)
    assert (post.text, post.status) == (POST_TEXT, PostStatus.SUBMITTED)
    expect(page.get_by_role("main")).to_contain_text("Waiting for approval")


def test_headteacher_finds_and_approves_a_post_with_the_keyboard_alone(
    open_page, live_server, school, staff, accounts, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)  # what the local network publishes
    version = policy_seed_default(school=school, signed_off_by=staff.head)
    policy_acknowledge(actor=staff.teacher, version=version)
    post = post_create(actor=staff.teacher, account=accounts.year3, text=POST_TEXT)
    post_submit(actor=staff.teacher, post=post)
    # A small laptop's window, where the navigation folds behind the Menu button.
    page = open_page(viewport={"width": 1024, "height": 768})
    sign_in(page.context, live_server, staff.head.user, school=school)
    page.goto(live_server.url + "/")
    walk = KeyboardWalk(page)

    open_menu_item(walk, page, "Posts to approve", open_with="Space")
    expect(page.get_by_role("heading", name=re.compile("approve"), level=1)).to_be_visible()
    walk = KeyboardWalk(page)
    walk.tab_through(page.get_by_role("link", name=re.compile(re.escape(POST_TEXT[:30]))))
    walk.activate("Enter")

    expect(page).to_have_url(re.compile(re.escape(reverse("review_post", args=[post.pk])) + "$"))
    decision = page.locator("section").filter(has=page.get_by_role("heading", name="Decision"))
    now = decision.get_by_role("radio", name="Now", exact=True)
    approve = decision.get_by_role("button", name="Approve", exact=True)
    walk = KeyboardWalk(page)
    walk.tab_through(now, approve)
    expect(now).to_be_checked()
    walk.activate("Space")

    expect(page.get_by_text("Approved. It will be published on @alpha_year3 now")).to_be_visible()
    post.refresh_from_db()
    assert post.status in (PostStatus.APPROVED, PostStatus.PUBLISHING, PostStatus.PUBLISHED)
    assert post.decided_by == staff.head.user
