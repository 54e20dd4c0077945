"""Signing in, as staff do it: in a browser, at a desk and on a class iPad.

Every sign-in page a journey passes is also checked as a person would find it: one main heading
and no skipped levels, text that is dark enough on its background (WCAG 2.2 AA, 4.5:1), and
inputs that are labelled and say what they hold (autocomplete), so password managers and iOS
autofill can fill them."""

import re

import pyotp
import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.core import mail
from playwright.sync_api import Page, expect

from accounts.models import Role

from ..factories import PASSWORD, make_member, totp_code
from .ipad import assert_big_enough, assert_fits_the_ipad
from .navigation import main_nav, menu_button

TOTP_PERIOD = 30  # allauth's MFA_TOTP_PERIOD
SMALLEST_TARGET = 24  # CSS pixels: WCAG 2.2's minimum target size (2.5.8)
LOGIN_URL = re.compile(r"/accounts/login/")
CODE_URL = re.compile(r"/accounts/2fa/authenticate/$")
SECOND_STEP_URL = re.compile(r"/sign-in/second-step/$")
REAUTHENTICATE_URL = re.compile(r"/accounts/(2fa/)?reauthenticate/")
TOTP_SETUP_URL = re.compile(r"/accounts/2fa/totp/activate/$")
RECOVERY_CODES_URL = re.compile(r"/accounts/2fa/recovery-codes/$")
GENERATE_CODES_URL = re.compile(r"/accounts/2fa/recovery-codes/generate/$")

# Text contrast of everything visible on the page, against the first opaque background behind it.
TEXT_CONTRAST_PROBLEMS = """() => {
  const rgba = (css) => {
    const parts = css.match(/rgba?\\(([^)]+)\\)/)[1].split(",").map(Number);
    return {r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1};
  };
  const luminance = ({r, g, b}) => {
    const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  const background = (element) => {
    for (let e = element; e; e = e.parentElement) {
      const colour = rgba(getComputedStyle(e).backgroundColor);
      if (colour.a === 1) return colour;
    }
    return {r: 255, g: 255, b: 255, a: 1};
  };
  const problems = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim();
    const element = walker.currentNode.parentElement;
    const box = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    if (!text || box.width === 0 || box.height === 0 || box.right < 0 || style.visibility === "hidden") continue;
    const [a, b] = [luminance(rgba(style.color)), luminance(background(element))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (parseInt(style.fontWeight) >= 700 && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) problems.push(`"${text.slice(0, 40)}" is ${ratio.toFixed(2)}:1`);
  }
  return problems;
}"""

UNLABELLED_INPUTS = """() => [...document.querySelectorAll("main input, main select, main textarea")]
  .filter((input) => !["hidden", "submit", "button"].includes(input.type))
  .filter((input) => input.labels.length === 0
    || (!["radio", "checkbox"].includes(input.type) && !input.getAttribute("autocomplete")))
  .map((input) => input.outerHTML)"""


def assert_a_well_made_page(page: Page, heading: str) -> None:
    """The page has its own heading, headings in order, readable text and labelled inputs."""
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    page.wait_for_load_state("load")
    levels = page.eval_on_selector_all("h1, h2, h3, h4, h5, h6", "hs => hs.map(h => Number(h.tagName[1]))")
    assert levels.count(1) == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    assert page.get_by_role("main").count() == 1 and page.get_by_role("banner").count() == 1
    assert page.evaluate(TEXT_CONTRAST_PROBLEMS) == []
    assert page.evaluate(UNLABELLED_INPUTS) == []


def dashboard_url(live_server):
    return re.compile(re.escape(live_server.url) + r"/$")


def press(page: Page, target, *, on_ipad: bool) -> None:
    """Click at a desk; on the iPad, check the target is big enough for a finger and tap it."""
    if on_ipad:
        assert_big_enough(target)
        target.tap()
    else:
        target.click()


def fill_sign_in_form(page: Page, email: str, *, tap: bool = False, password: str = PASSWORD):
    expect(page).to_have_url(LOGIN_URL)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    for label, value in (("Email address", email), ("Password", password)):
        field = page.get_by_label(label, exact=True)
        if tap:
            field.tap()
        field.fill(value)


def wait_for_a_fresh_code_window(page: Page, seconds_needed: int = 5):
    """A code typed in the last moments of its 30-second window could expire before the server
    checks it. Wait on the clock until the window has time left, as a person would for a new
    code in their app."""
    page.wait_for_function(
        "([period, needed]) => (Date.now() / 1000) % period < period - needed",
        arg=[TOTP_PERIOD, seconds_needed],
        polling=200,
    )


def main_menu(page: Page):
    """The main navigation, and the button in the top bar that opens it on narrow screens."""
    return main_nav(page), menu_button(page)


def test_headteacher_signs_in_with_authenticator_code_and_sees_dashboard(
    desktop: Page, live_server, staff, screenshot_path
):
    page = desktop
    page.goto(live_server.url + "/")
    assert_a_well_made_page(page, "Sign in")
    fill_sign_in_form(page, "head@alpha.test")
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(CODE_URL)
    assert_a_well_made_page(page, "Enter your sign-in code")
    expect(page.get_by_role("heading", name="Don't have your phone with you?")).to_be_visible()
    wait_for_a_fresh_code_window(page)
    page.get_by_label("Code").fill(totp_code(staff.totp["head@alpha.test"]))
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(dashboard_url(live_server))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Head")
    expect(page.get_by_role("banner")).to_contain_text("Alpha Primary")
    # At a desk the navigation is always there, beside the page: no menu to open.
    nav, menu = main_menu(page)
    expect(menu).to_be_hidden()
    expect(nav.get_by_role("link", name="Staff", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Audit trail", exact=True)).to_be_visible()
    page.screenshot(path=screenshot_path("head-dashboard.png"), full_page=True)


def test_class_teacher_signs_in_on_an_ipad(ipad: Page, live_server, staff, screenshot_path):
    page = ipad
    page.goto(live_server.url + "/")
    assert_a_well_made_page(page, "Sign in")
    assert_fits_the_ipad(page)
    fill_sign_in_form(page, "teacher@alpha.test", tap=True)
    assert_big_enough(page.get_by_role("link", name="Forgotten your password?"))
    sign_in = page.get_by_role("button", name="Sign in")
    assert_big_enough(sign_in)
    sign_in.tap()

    # No authenticator step: a class teacher cannot approve posts.
    page.wait_for_url(dashboard_url(live_server))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Teacher")
    expect(page.get_by_role("banner")).to_contain_text("Alpha Primary")
    assert_fits_the_ipad(page)

    nav, menu = main_menu(page)
    assert_big_enough(menu)
    menu.tap()
    expect(nav.get_by_role("link", name="Home")).to_be_visible()
    expect(nav.get_by_role("link", name="Staff", exact=True)).to_have_count(0)
    expect(nav.get_by_role("link", name="Audit trail", exact=True)).to_have_count(0)
    page.screenshot(path=screenshot_path("teacher-ipad.png"), full_page=True)


def test_wrong_code_keeps_the_headteacher_out(desktop: Page, live_server, staff):
    page = desktop
    page.goto(live_server.url + "/")
    fill_sign_in_form(page, "head@alpha.test")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(CODE_URL)

    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Sign in").click()

    # The error is read out with the field it belongs to.
    code = page.get_by_label("Code")
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(code).to_have_accessible_description(re.compile(r"That code didn't work"))
    expect(page).to_have_url(CODE_URL)
    assert_a_well_made_page(page, "Enter your sign-in code")
    # The half-finished sign-in leads only back to the code step.
    page.goto(live_server.url + "/")
    expect(page).to_have_url(CODE_URL)
    expect(page.get_by_role("heading", name=re.compile(r"^Hello"))).to_have_count(0)
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)


@pytest.mark.parametrize("where", ["desktop", "ipad"])
def test_new_approver_sets_up_an_authenticator_at_first_sign_in(request, where, live_server, school, screenshot_path):
    make_member(school, "newhead@alpha.test", [Role.HEADTEACHER], first_name="Nadia")
    page: Page = request.getfixturevalue(where)
    on_ipad = where == "ipad"
    page.goto(live_server.url + "/")
    fill_sign_in_form(page, "newhead@alpha.test", tap=on_ipad)
    press(page, page.get_by_role("button", name="Sign in"), on_ipad=on_ipad)

    # Why: the school's policy needs a second step for anyone who approves or manages.
    page.wait_for_url(SECOND_STEP_URL)
    assert_a_well_made_page(page, "Set up a second sign-in step")
    expect(page.get_by_text("social media policy says")).to_be_visible()
    if on_ipad:
        assert_fits_the_ipad(page)
    press(page, page.get_by_role("link", name="Set up my authenticator app"), on_ipad=on_ipad)

    # Adding an authenticator changes how they sign in, so the password is asked for again, and
    # the page says why even though they have only just signed in.
    page.wait_for_url(REAUTHENTICATE_URL)
    assert_a_well_made_page(page, "Confirm it's you")
    expect(page.get_by_text("even if you have only just signed in")).to_be_visible()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    press(page, page.get_by_role("button", name="Confirm and continue"), on_ipad=on_ipad)

    page.wait_for_url(TOTP_SETUP_URL)
    assert_a_well_made_page(page, "Set up your authenticator app")
    expect(page.get_by_role("img", name=re.compile(r"^QR code that adds Policy Portal"))).to_be_visible()
    if on_ipad:
        assert_fits_the_ipad(page)
    # The key a person types into their app when they cannot scan the QR code, in groups of four.
    shown_key = page.locator("#setup-key-groups").inner_text()
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", shown_key), shown_key
    secret = shown_key.replace(" ", "")
    expect(page.get_by_label("Setup key, to copy and paste")).to_have_value(secret)
    page.screenshot(path=screenshot_path(f"authenticator-setup-{where}.png"), full_page=True)
    wait_for_a_fresh_code_window(page)
    code = page.get_by_label("Six-digit code from the app")
    expect(code).to_have_attribute("autocomplete", "one-time-code")
    expect(code).to_have_attribute("inputmode", "numeric")
    code.fill(pyotp.TOTP(secret).now())
    press(page, page.get_by_role("button", name="Check the code and finish"), on_ipad=on_ipad)

    # The recovery codes, why they matter and where to keep them, then on to the dashboard.
    page.wait_for_url(RECOVERY_CODES_URL)
    assert_a_well_made_page(page, "Keep your recovery codes safe")
    expect(page.get_by_text("Your authenticator app is set up")).to_be_visible()
    expect(page.get_by_role("heading", name="Where to keep them")).to_be_visible()
    expect(page.get_by_role("list", name="Your codes").get_by_role("listitem")).to_have_count(10)
    page.screenshot(path=screenshot_path(f"recovery-codes-{where}.png"), full_page=True)
    press(page, page.get_by_role("link", name="I've stored them, continue"), on_ipad=on_ipad)

    page.wait_for_url(dashboard_url(live_server))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Nadia")
    expect(page.get_by_role("banner")).to_contain_text("Alpha Primary")


def test_headteacher_confirms_its_them_before_making_new_recovery_codes(desktop: Page, live_server, staff):
    page = desktop
    page.goto(live_server.url + "/")
    fill_sign_in_form(page, "head@alpha.test")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(CODE_URL)
    wait_for_a_fresh_code_window(page)
    page.get_by_label("Code").fill(totp_code(staff.totp["head@alpha.test"]))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(dashboard_url(live_server))

    page.goto(live_server.url + "/accounts/2fa/")
    assert_a_well_made_page(page, "Sign-in security")
    expect(page.get_by_text("this second step stays on")).to_be_visible()
    expect(page.get_by_role("link", name="Switch off the authenticator app")).to_have_count(0)
    page.get_by_role("link", name="Make recovery codes").click()

    # Confirm it's you: why, and what happens straight after.
    page.wait_for_url(REAUTHENTICATE_URL)
    assert_a_well_made_page(page, "Confirm it's you")
    expect(page.get_by_text("You are about to make new recovery codes")).to_be_visible()
    expect(page.get_by_text("Then you will go straight on to make new recovery codes")).to_be_visible()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Confirm and continue").click()

    page.wait_for_url(GENERATE_CODES_URL)
    assert_a_well_made_page(page, "Make new recovery codes")
    page.get_by_role("button", name="Make new codes").click()

    page.wait_for_url(RECOVERY_CODES_URL)
    assert_a_well_made_page(page, "Keep your recovery codes safe")
    expect(page.get_by_role("list", name="Your codes").get_by_role("listitem")).to_have_count(10)
    page.get_by_role("link", name="I've stored them, continue").click()
    page.wait_for_url(dashboard_url(live_server))


def test_on_an_ipad_a_recovery_code_signs_in_and_the_app_code_confirms_its_them(ipad: Page, live_server, staff):
    recovery_code = RecoveryCodes.activate(staff.head.user).get_unused_codes()[0]
    page = ipad
    page.goto(live_server.url + "/accounts/2fa/recovery-codes/generate/")
    fill_sign_in_form(page, "head@alpha.test", tap=True)
    press(page, page.get_by_role("button", name="Sign in"), on_ipad=True)

    # No phone to hand: a recovery code goes in the same box.
    page.wait_for_url(CODE_URL)
    expect(page.get_by_text("Type one of your recovery codes in the same box instead")).to_be_visible()
    page.get_by_label("Code").fill(recovery_code)
    press(page, page.get_by_role("button", name="Sign in"), on_ipad=True)

    page.wait_for_url(REAUTHENTICATE_URL)
    assert_a_well_made_page(page, "Confirm it's you")
    assert_fits_the_ipad(page)
    press(page, page.get_by_role("link", name="Use a code from your authenticator app instead"), on_ipad=True)
    page.wait_for_url(re.compile(r"/accounts/2fa/reauthenticate/"))
    assert_a_well_made_page(page, "Confirm it's you")
    wait_for_a_fresh_code_window(page)
    page.get_by_label("Code").fill(totp_code(staff.totp["head@alpha.test"]))
    press(page, page.get_by_role("button", name="Confirm and continue"), on_ipad=True)

    page.wait_for_url(GENERATE_CODES_URL)
    assert_a_well_made_page(page, "Make new recovery codes")
    expect(page.get_by_text("You still have 9 unused recovery codes")).to_be_visible()


@pytest.mark.parametrize("where", ["desktop", "ipad"])
def test_forgotten_password_link_is_big_enough_to_hit(request, where, live_server, db):
    page: Page = request.getfixturevalue(where)
    page.goto(live_server.url + "/accounts/login/")
    page.wait_for_load_state("load")
    box = page.get_by_role("link", name="Forgotten your password?").bounding_box()
    assert box is not None and box["height"] >= SMALLEST_TARGET, box


def test_teacher_resets_a_forgotten_password_from_the_email(desktop: Page, live_server, staff):
    page = desktop
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_role("link", name="Forgotten your password?").click()

    assert_a_well_made_page(page, "Reset your password")
    page.get_by_label("Email address").fill("teacher@alpha.test")
    page.get_by_role("button", name="Email me a link").click()
    assert_a_well_made_page(page, "Check your email")

    (link,) = re.findall(r"http://\S+/accounts/password/reset/key/\S+", mail.outbox[-1].body)
    page.goto(link)
    assert_a_well_made_page(page, "Choose a new password")
    new_password = "lighthouse-marmalade-tandem"
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_label("Type the new password again").fill(new_password)
    page.get_by_role("button", name="Save my new password").click()

    assert_a_well_made_page(page, "Your password has been changed")
    page.get_by_role("link", name="Sign in").click()
    fill_sign_in_form(page, "teacher@alpha.test", password=new_password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(dashboard_url(live_server))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Teacher")
