"""Signing in, as staff do it: in a browser, at a desk and on a class iPad."""

import re

import pyotp
from playwright.sync_api import Page, expect

from accounts.models import Role

from ..factories import PASSWORD, make_member, totp_code
from .ipad import assert_big_enough, assert_fits_the_ipad
from .navigation import main_nav, menu_button

TOTP_PERIOD = 30  # allauth's MFA_TOTP_PERIOD
LOGIN_URL = re.compile(r"/accounts/login/")
CODE_URL = re.compile(r"/accounts/2fa/authenticate/$")
REAUTHENTICATE_URL = re.compile(r"/accounts/reauthenticate/")
TOTP_SETUP_URL = re.compile(r"/accounts/2fa/totp/activate/$")
RECOVERY_CODES_URL = re.compile(r"/accounts/2fa/recovery-codes/$")


def dashboard_url(live_server):
    return re.compile(re.escape(live_server.url) + r"/$")


def fill_sign_in_form(page: Page, email: str, *, tap: bool = False):
    expect(page).to_have_url(LOGIN_URL)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    for label, value in (("Email", email), ("Password", PASSWORD)):
        field = page.get_by_label(label)
        if tap:
            field.tap()
        field.fill(value)


def wait_for_a_fresh_code_window(page: Page, seconds_needed: int = 5):
    """allauth accepts only the current code (MFA_TOTP_TOLERANCE is 0), so a code typed in the
    last moments of its 30-second window could expire before the server checks it. Wait on the
    clock until the window has time left, as a person would for a new code in their app."""
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
    fill_sign_in_form(page, "head@alpha.test")
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(CODE_URL)
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
    fill_sign_in_form(page, "teacher@alpha.test", tap=True)
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

    expect(page.get_by_text("Incorrect code.")).to_be_visible()
    expect(page).to_have_url(CODE_URL)
    # The half-finished sign-in leads only back to the code step.
    page.goto(live_server.url + "/")
    expect(page).to_have_url(CODE_URL)
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^Hello"))).to_have_count(0)
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)


def test_new_approver_is_made_to_set_up_an_authenticator(desktop: Page, live_server, school):
    make_member(school, "newhead@alpha.test", [Role.HEADTEACHER], first_name="Nadia")
    page = desktop
    page.goto(live_server.url + "/")
    fill_sign_in_form(page, "newhead@alpha.test")
    page.get_by_role("button", name="Sign in").click()

    # Sent to set up an authenticator; adding one is a sensitive change, so allauth first asks
    # for the password again.
    page.wait_for_url(REAUTHENTICATE_URL)
    expect(page.get_by_text("Set up an authenticator app to continue.")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    page.wait_for_url(TOTP_SETUP_URL)
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    # The secret a person types into their app when they cannot scan the QR code.
    secret = page.get_by_label("Authenticator secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    wait_for_a_fresh_code_window(page)
    page.get_by_label("Six-digit code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Activate").click()

    # allauth shows the new recovery codes; from there the portal is open.
    page.wait_for_url(RECOVERY_CODES_URL)
    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()
    page.get_by_role("link", name="Policy Portal").click()
    page.wait_for_url(dashboard_url(live_server))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Nadia")
    expect(page.get_by_role("banner")).to_contain_text("Alpha Primary")
