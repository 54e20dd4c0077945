"""Every sign-in and sign-in security page a person can reach speaks the portal's words, in the
portal's layout: its own heading, a sentence on why it is there, labelled inputs that password
managers and iOS autofill understand, and a way on."""

import html
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.core import mail
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Role

from ..factories import PASSWORD, enable_totp, make_member, totp_code

# allauth's own headings: seeing one of these alone means a stock page slipped through.
STOCK_HEADINGS = {
    "Sign In",
    "Sign Out",
    "Confirm Access",
    "Recovery Codes",
    "Two-Factor Authentication",
    "Authenticator App",
    "Activate Authenticator App",
    "Deactivate Authenticator App",
    "Password Reset",
    "Change Password",
    "Set Password",
    "Bad Token",
    "Account Inactive",
    "Email Addresses",
    "Confirm Email Address",
    "Verify Your Email Address",
    "Trust this Browser?",
    "Alternative options",
}
INPUTS_WITHOUT_AUTOCOMPLETE = {"hidden", "submit", "button", "radio", "checkbox"}


class PageShape(HTMLParser):
    """What a person (or their screen reader) finds on a page: headings, landmarks, inputs, labels."""

    CAPTURED = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "a"}

    def __init__(self, html: str):
        super().__init__()
        self.headings: list[tuple[int, str]] = []
        self.ids: set[str] = set()
        self.label_for: set[str] = set()
        self.inputs: list[dict] = []
        self.tags: set[str] = set()
        self.stylesheets: list[str] = []
        self.paragraphs: list[str] = []
        self.links: dict[str, str] = {}
        self._open: dict[str, list[str]] = {}
        self._href = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "label" and attrs.get("for"):
            self.label_for.add(attrs["for"])
        if tag in ("input", "textarea", "select"):
            self.inputs.append({"tag": tag, **attrs})
        if tag == "link" and attrs.get("rel") == "stylesheet":
            self.stylesheets.append(attrs["href"])
        if tag in self.CAPTURED:
            self._open[tag] = []
            if tag == "a":
                self._href = attrs.get("href", "")

    def handle_data(self, data):
        for text in self._open.values():
            text.append(data)

    def handle_endtag(self, tag):
        if tag not in self._open:
            return
        text = " ".join("".join(self._open.pop(tag)).split())
        if tag == "p":
            self.paragraphs.append(text)
        elif tag == "a":
            self.links[text] = self._href
        else:
            self.headings.append((int(tag[1]), text))

    @property
    def h1(self) -> str:
        h1s = [text for level, text in self.headings if level == 1]
        assert len(h1s) == 1, f"one h1 per page, found {h1s}"
        return h1s[0]


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def assert_portal_page(response, heading: str) -> PageShape:
    assert response.status_code == 200, response.status_code
    page = PageShape(response.content.decode())
    assert page.h1 == heading
    # The portal's layout (templates/base.html), with the sign-in pages' stylesheet.
    assert {"header", "main"} <= page.tags
    assert "Policy Portal" in page.links
    assert any(href.endswith("css/signin.css") for href in page.stylesheets)
    # Headings go down one level at a time, and none is one of allauth's.
    levels = [level for level, _ in page.headings]
    assert all(later - earlier <= 1 for earlier, later in zip(levels, levels[1:], strict=False)), page.headings
    assert not STOCK_HEADINGS & {text for _, text in page.headings}, page.headings
    # It says why it is there: a sentence, not a bare form.
    assert any(len(paragraph.split()) >= 8 for paragraph in page.paragraphs), page.paragraphs
    for field in page.inputs:
        if field.get("type") in {"hidden", "submit", "button"}:
            continue
        assert field.get("id") in page.label_for, f"{field} has no label"
        if field.get("type") not in INPUTS_WITHOUT_AUTOCOMPLETE:
            assert field.get("autocomplete"), f"{field} has no autocomplete attribute"
        for described_by in field.get("aria-describedby", "").split():
            assert described_by in page.ids, f"{field} points at missing #{described_by}"
    return page


@pytest.fixture
def new_head(school):
    """A headteacher who has just joined: no authenticator app yet."""
    return make_member(school, "newhead@alpha.test", [Role.HEADTEACHER], first_name="Nadia")


def sign_in(client, email: str):
    return client.post(reverse("account_login"), {"login": email, "password": PASSWORD})


def confirm_password(client):
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})


# -- Signed out ---------------------------------------------------------------------------------


def test_sign_in_page(client, db):
    page = assert_portal_page(client.get(reverse("account_login")), "Sign in")
    fields = {field["name"]: field for field in page.inputs}
    assert fields["login"]["autocomplete"] == "email"
    assert fields["password"]["autocomplete"] == "current-password"
    assert page.links["Forgotten your password?"] == reverse("account_reset_password")
    assert not any(field.get("onpaste") for field in page.inputs), "paste must work"


def test_wrong_password_is_explained_on_the_sign_in_page(client, staff):
    response = client.post(reverse("account_login"), {"login": "teacher@alpha.test", "password": "not-it"})
    assert_portal_page(response, "Sign in")
    assert "don't match an account" in text_of(response)


def test_password_reset_pages(client, staff):
    page = assert_portal_page(client.get(reverse("account_reset_password")), "Reset your password")
    assert page.inputs[-1]["autocomplete"] == "email"

    response = client.post(reverse("account_reset_password"), {"email": "teacher@alpha.test"}, follow=True)
    assert_portal_page(response, "Check your email")
    assert "Back to sign in" in PageShape(response.content.decode()).links


def test_password_reset_email_is_in_the_portals_words(client, staff):
    client.post(reverse("account_reset_password"), {"email": "teacher@alpha.test"})
    email = mail.outbox[-1]
    assert email.subject == "Reset your Policy Portal password"
    assert "/accounts/password/reset/key/" in email.body


def test_a_reset_for_an_unknown_address_does_not_invite_anyone_to_sign_up(client, staff):
    client.post(reverse("account_reset_password"), {"email": "stranger@example.org"})
    email = mail.outbox[-1]
    assert email.to == ["stranger@example.org"]
    assert "sign up" not in email.body.lower()
    assert "invitation" in email.body


def test_choosing_a_new_password_from_the_emailed_link(client, staff):
    user = staff.teacher.user
    link = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)},
    )
    response = client.get(link, follow=True)
    page = assert_portal_page(response, "Choose a new password")
    assert [f["autocomplete"] for f in page.inputs if f.get("type") == "password"] == ["new-password"] * 2

    new_password = "a-brand-new-pass-phrase"
    response = client.post(
        response.redirect_chain[-1][0], {"password1": new_password, "password2": new_password}, follow=True
    )
    page = assert_portal_page(response, "Your password has been changed")
    assert page.links["Sign in"] == reverse("account_login")


def test_a_used_or_broken_reset_link_says_so_and_offers_a_new_one(client, staff):
    link = reverse("account_reset_password_from_key", kwargs={"uidb36": "1", "key": "not-a-real-key"})
    page = assert_portal_page(client.get(link), "This link no longer works")
    assert page.links["Send me a new link"] == reverse("account_reset_password")


def test_sign_up_is_closed_and_says_how_staff_join(client, db):
    page = assert_portal_page(client.get(reverse("account_signup")), "Staff join by invitation")
    assert page.links["Go to sign in"] == reverse("account_login")


def test_inactive_account_page(client, db):
    assert_portal_page(client.get(reverse("account_inactive")), "This account is switched off")


def test_code_step_at_sign_in_explains_the_recovery_code_alternative(client, staff):
    response = sign_in(client, "head@alpha.test")
    page = assert_portal_page(client.get(response.url), "Enter your sign-in code")
    code = next(field for field in page.inputs if field.get("name") == "code")
    assert code["autocomplete"] == "one-time-code"
    assert code["inputmode"] == "numeric"
    assert ("2", "Don't have your phone with you?") in {(str(level), text) for level, text in page.headings}
    assert any("recovery codes" in paragraph for paragraph in page.paragraphs)


def test_a_wrong_code_at_sign_in_is_explained(client, staff):
    sign_in(client, "head@alpha.test")
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    page = assert_portal_page(response, "Enter your sign-in code")
    code = next(field for field in page.inputs if field.get("name") == "code")
    assert code["aria-invalid"] == "true"
    assert "id_code_error" in code["aria-describedby"].split()
    assert "That code didn't work" in text_of(response)


def test_a_recovery_code_signs_an_approver_in(client, staff):
    recovery_code = RecoveryCodes.activate(staff.head.user).get_unused_codes()[0]
    sign_in(client, "head@alpha.test")
    client.post(reverse("mfa_authenticate"), {"code": recovery_code})
    assert client.get(reverse("dashboard")).status_code == 200


# -- Signed in ----------------------------------------------------------------------------------


def test_sign_out_asks_first_and_offers_to_stay(client_for, staff):
    page = assert_portal_page(client_for(staff.teacher).get(reverse("account_logout")), "Sign out?")
    assert page.links["Stay signed in"] == reverse("dashboard")


def test_change_password_page_and_where_it_leads(client_for, staff):
    client = client_for(staff.teacher)
    page = assert_portal_page(client.get(reverse("account_change_password")), "Change your password")
    assert [f["autocomplete"] for f in page.inputs if f.get("type") == "password"] == [
        "current-password",
        "new-password",
        "new-password",
    ]
    new_password = "a-brand-new-pass-phrase"
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert "Your password has been changed" in response.content.decode()


def test_sign_in_security_for_a_teacher_offers_an_optional_authenticator(client_for, staff):
    page = assert_portal_page(client_for(staff.teacher).get(reverse("mfa_index")), "Sign-in security")
    assert page.links["Set up an authenticator app"] == reverse("mfa_activate_totp")
    assert page.links["Change password"] == reverse("account_change_password")
    assert any("does not need a second step" in paragraph for paragraph in page.paragraphs)


def test_sign_in_security_for_an_approver_says_the_app_stays_on(client_for, staff):
    client = client_for(staff.head)
    confirm_password(client)
    client.post(reverse("mfa_generate_recovery_codes"))
    page = assert_portal_page(client.get(reverse("mfa_index")), "Sign-in security")
    assert "Switch off the authenticator app" not in page.links
    assert any("stays on" in paragraph for paragraph in page.paragraphs)
    assert any("10 unused recovery codes out of 10" in paragraph for paragraph in page.paragraphs)


def test_confirm_its_you_says_why_and_what_comes_next(client_for, staff):
    client = client_for(staff.teacher)
    response = client.get(reverse("mfa_activate_totp"))
    assert response.url.startswith(reverse("account_reauthenticate"))
    page = assert_portal_page(client.get(response.url), "Confirm it's you")
    assert any("set up your authenticator app" in paragraph for paragraph in page.paragraphs)
    assert next(f for f in page.inputs if f.get("type") == "password")["autocomplete"] == "current-password"
    assert page.links["Forgotten your password?"] == reverse("account_reset_password")


def test_confirm_its_you_by_code_for_someone_with_an_authenticator(client_for, staff):
    client = client_for(staff.head)
    next_url = reverse("mfa_deactivate_totp")
    password_page = assert_portal_page(
        client.get(reverse("account_reauthenticate"), {"next": next_url}), "Confirm it's you"
    )
    assert any("switch off your authenticator app" in paragraph for paragraph in password_page.paragraphs)
    by_code = password_page.links["Use a code from your authenticator app instead"]
    assert by_code.startswith(reverse("mfa_reauthenticate"))

    page = assert_portal_page(client.get(by_code), "Confirm it's you")
    code = next(field for field in page.inputs if field.get("name") == "code")
    assert (code["autocomplete"], code["inputmode"]) == ("one-time-code", "numeric")
    assert "Use your password instead" in page.links

    response = client.post(by_code, {"code": totp_code(staff.totp["head@alpha.test"]), "next": next_url})
    assert response.url == next_url


def test_an_approver_is_told_why_the_app_cannot_be_switched_off(client_for, staff):
    client = client_for(staff.head)
    confirm_password(client)
    page = assert_portal_page(client.get(reverse("mfa_deactivate_totp")), "Your authenticator app stays on")
    assert page.links["Back to sign-in security"] == reverse("mfa_index")


def test_a_teacher_can_switch_their_optional_authenticator_off(client_for, staff):
    enable_totp(staff.teacher.user)
    client = client_for(staff.teacher)
    confirm_password(client)
    assert_portal_page(client.get(reverse("mfa_deactivate_totp")), "Switch off your authenticator app?")
    response = client.post(reverse("mfa_deactivate_totp"), follow=True)
    assert_portal_page(response, "Sign-in security")
    assert not Authenticator.objects.filter(user=staff.teacher.user, type=Authenticator.Type.TOTP).exists()
    assert "Your authenticator app is switched off" in response.content.decode()


def test_recovery_codes_pages(client_for, staff):
    client = client_for(staff.head)
    confirm_password(client)
    page = assert_portal_page(client.get(reverse("mfa_generate_recovery_codes")), "Make new recovery codes")
    response = client.post(reverse("mfa_generate_recovery_codes"), follow=True)
    page = assert_portal_page(response, "Keep your recovery codes safe")
    codes = Authenticator.objects.get(user=staff.head.user, type=Authenticator.Type.RECOVERY_CODES)
    unused = codes.wrap().get_unused_codes()
    assert all(code in response.content.decode() for code in unused)
    assert page.links["I've stored them, continue"] == reverse("signin_continue")
    assert [text for level, text in page.headings if level == 2] == ["Your codes", "Where to keep them"]

    page = assert_portal_page(client.get(reverse("mfa_generate_recovery_codes")), "Make new recovery codes")
    assert any("stop working" in paragraph for paragraph in page.paragraphs)
    assert page.links["Keep my current codes"] == reverse("mfa_index")


def test_downloaded_recovery_codes_say_what_they_are(client_for, staff):
    client = client_for(staff.head)
    confirm_password(client)
    client.post(reverse("mfa_generate_recovery_codes"))
    response = client.get(reverse("mfa_download_recovery_codes"))
    text = response.content.decode()
    assert response["Content-Disposition"].startswith("attachment")
    assert text.startswith("Policy Portal recovery codes for head@alpha.test")
    assert "Each code works once" in text
    unused = Authenticator.objects.get(user=staff.head.user, type=Authenticator.Type.RECOVERY_CODES)
    assert all(code in text for code in unused.wrap().get_unused_codes())


def test_email_addresses_page(client_for, staff):
    page = assert_portal_page(client_for(staff.teacher).get(reverse("account_email")), "Your email addresses")
    assert any(field.get("value") == "teacher@alpha.test" for field in page.inputs)


# -- An approver's first sign-in ----------------------------------------------------------------


def test_approver_without_an_authenticator_is_told_why_before_setting_one_up(client, new_head):
    sign_in(client, "newhead@alpha.test")
    response = client.get(reverse("dashboard"))
    assert response.url == reverse("second_factor_required")
    page = assert_portal_page(client.get(response.url), "Set up a second sign-in step")
    assert any("social media policy" in paragraph for paragraph in page.paragraphs)
    assert page.links["Set up my authenticator app"] == reverse("mfa_activate_totp")
    assert [text for level, text in page.headings if level == 2] == ["What you will need", "What happens next"]


def test_confirm_its_you_explains_itself_when_setting_up_just_after_signing_in(client, new_head):
    sign_in(client, "newhead@alpha.test")
    response = client.get(reverse("mfa_activate_totp"))
    page = assert_portal_page(client.get(response.url), "Confirm it's you")
    assert any("even if you have only just signed in" in paragraph for paragraph in page.paragraphs)
    assert page.links["Cancel"] == reverse("second_factor_required")


def test_set_up_page_gives_the_key_in_groups_as_well_as_the_qr_code(client, new_head):
    sign_in(client, "newhead@alpha.test")
    confirm_password(client)
    response = client.get(reverse("mfa_activate_totp"))
    page = assert_portal_page(response, "Set up your authenticator app")
    secret = client.session[SECRET_SESSION_KEY]
    page_html = response.content.decode()
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in page_html
    key = next(field for field in page.inputs if field.get("id") == "authenticator_secret")
    assert key["value"] == secret and "readonly" in key and "disabled" not in key
    code = next(field for field in page.inputs if field.get("name") == "code")
    assert (code["autocomplete"], code["inputmode"]) == ("one-time-code", "numeric")
    assert 'alt="QR code that adds Policy Portal to your authenticator app' in page_html


def test_a_wrong_code_at_set_up_says_what_to_check(client, new_head):
    sign_in(client, "newhead@alpha.test")
    confirm_password(client)
    client.get(reverse("mfa_activate_totp"))
    response = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert_portal_page(response, "Set up your authenticator app")
    assert "scanned the QR code on this page" in response.content.decode()


def test_first_sign_in_continues_to_the_page_the_approver_was_going_to(client, new_head):
    response = client.get(reverse("staff_list"))
    response = client.post(response.url, {"login": "newhead@alpha.test", "password": PASSWORD})
    assert response.url == reverse("staff_list")
    assert client.get(response.url).url == reverse("second_factor_required")
    confirm_password(client)
    client.get(reverse("mfa_activate_totp"))
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(client.session[SECRET_SESSION_KEY])})
    assert response.url == reverse("mfa_view_recovery_codes")
    assert_portal_page(client.get(response.url), "Keep your recovery codes safe")

    response = client.get(reverse("signin_continue"))

    assert response.url == reverse("staff_list")
    assert client.get(response.url).status_code == 200


def test_continue_goes_to_the_dashboard_when_nothing_was_interrupted(client_for, staff):
    assert client_for(staff.head).get(reverse("signin_continue")).url == reverse("dashboard")


def test_continue_never_leaves_the_portal(client_for, staff):
    client = client_for(staff.head)
    session = client.session
    session["sign_in_next"] = "https://example.org/phish"
    session.save()
    assert client.get(reverse("signin_continue")).url == reverse("dashboard")


def test_the_second_step_page_sends_others_on(client_for, staff):
    assert client_for(staff.teacher).get(reverse("second_factor_required")).url == reverse("mfa_index")
    assert client_for(staff.head).get(reverse("second_factor_required")).url == reverse("signin_continue")


# -- Nothing of allauth's own slips through -----------------------------------------------------


def _allauth_urls():
    """Every URL allauth serves here, by name, with made-up keys where the URL needs one."""
    (allauth_include,) = (
        p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and str(p.pattern) == "accounts/"
    )

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield pattern

    for pattern in walk(allauth_include.url_patterns):
        kwargs = {name: "x" for name in pattern.pattern.regex.groupindex}
        yield pattern.name, reverse(pattern.name, kwargs=kwargs)


ALLAUTH_URLS = dict(_allauth_urls())


@pytest.mark.parametrize("who", ["signed out", "class teacher", "headteacher", "headteacher mid sign-in"])
def test_every_allauth_page_anyone_can_reach_is_the_portals_own(client, client_for, staff, who):
    if who == "class teacher":
        client = client_for(staff.teacher)
        confirm_password(client)
    elif who == "headteacher":
        client = client_for(staff.head)
        confirm_password(client)
        client.post(reverse("mfa_generate_recovery_codes"))
    elif who == "headteacher mid sign-in":
        sign_in(client, "head@alpha.test")
    pages = 0
    for name, url in ALLAUTH_URLS.items():
        response = client.get(url, follow=True)
        final_path = urlsplit(response.redirect_chain[-1][0]).path if response.redirect_chain else url
        if response.status_code != 200 or final_path not in ALLAUTH_URLS.values():
            continue  # sent on to one of the portal's own pages, or nothing there for this person
        if not response["Content-Type"].startswith("text/html"):
            continue  # the recovery codes download
        pages += 1
        page_html = response.content.decode()
        assert "css/signin.css" in page_html, f"{name} ({url}) is not in the sign-in pages' layout"
        headings = {text for _, text in PageShape(page_html).headings}
        assert not STOCK_HEADINGS & headings, f"{name} shows {headings}"
    assert pages >= 5
