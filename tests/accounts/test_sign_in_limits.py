"""Sign-in limits (accounts/services_sign_in.py): guessers are slowed, with waits that grow, and
the owner is never kept out by somebody else's wrong guesses."""

import html
import re
import time

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.core import signing
from django.test import Client
from django.urls import reverse

from accounts.services_sign_in import DEVICE_COOKIE, wait_in_words
from audit.describe import describe_events
from audit.models import AuditEvent

from ..factories import PASSWORD, totp_code

ATTACKER = "203.0.113.66"
HOME = "198.51.100.7"
LOGIN = reverse("account_login")
CODE = reverse("mfa_authenticate")


@pytest.fixture
def clock(monkeypatch):
    """The rate limits' clock, stopped, and moved on by hand: the waits a test reads do not
    depend on how fast the machine runs it."""
    now = [time.time()]
    monkeypatch.setattr(time, "time", lambda: now[0])

    class Clock:
        def advance(self, seconds):
            now[0] += seconds

    return Clock()


def _password(client, email, password, address):
    return client.post(LOGIN, {"login": email, "password": password}, REMOTE_ADDR=address)


def _code(client, code, address):
    return client.post(CODE, {"code": code}, REMOTE_ADDR=address)


def _fail_until_paused(client, email, address, *, limit=20):
    for tries in range(1, limit + 1):
        response = _password(client, email, "not-the-password", address)
        if response.status_code == 429:
            return tries, response
        assert response.status_code == 200
    raise AssertionError(f"{limit} wrong passwords were all let through")


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _signed_in(client) -> bool:
    return client.get(reverse("dashboard")).status_code == 200


def _wait_stated(response) -> str:
    match = re.search(r"Try again in ([^.,]+)[.,]", response.content.decode())
    assert match, "the page says how long to wait"
    return match.group(1)


def _owners_browser(email, address=HOME, totp_secret=None):
    """The owner's usual browser: it has signed in before (and so holds the device cookie), then signed out."""
    browser = Client()
    response = _password(browser, email, PASSWORD, address)
    if totp_secret:
        response = _code(browser, totp_code(totp_secret), address)
    assert response.status_code == 302 and DEVICE_COOKIE in browser.cookies
    browser.post(reverse("account_logout"))
    assert not _signed_in(browser)
    return browser


# The password step.


def test_an_attacker_is_paused_after_five_wrong_passwords_with_status_429_and_the_email_kept(client, staff, clock):
    tries, response = _fail_until_paused(client, "teacher@alpha.test", ATTACKER)

    assert tries == 6, "five wrong passwords are let through, the sixth attempt waits"
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert "Too many attempts from this device. Try again in 60 seconds." in page
    assert 'value="teacher@alpha.test"' in page


def test_the_owner_signs_in_from_another_address_while_the_attacker_waits(client, staff):
    _fail_until_paused(client, "teacher@alpha.test", ATTACKER)

    owner = Client()
    response = _password(owner, "teacher@alpha.test", PASSWORD, HOME)

    assert response.status_code == 302
    assert _signed_in(owner)


def test_the_owner_signs_in_from_the_attackers_own_address_with_their_device_cookie(client, staff):
    owner = _owners_browser("teacher@alpha.test", address=ATTACKER)
    _fail_until_paused(client, "teacher@alpha.test", ATTACKER)
    # The attacker keeps trying from the same address; the flood of attempts is theirs alone.
    for _ in range(40):
        _password(client, "teacher@alpha.test", "not-the-password", ATTACKER)

    response = _password(owner, "teacher@alpha.test", PASSWORD, ATTACKER)

    assert response.status_code == 302
    assert _signed_in(owner)


def test_without_the_device_cookie_the_same_address_is_paused(client, staff):
    _fail_until_paused(client, "teacher@alpha.test", ATTACKER)
    response = _password(Client(), "teacher@alpha.test", PASSWORD, ATTACKER)
    assert response.status_code == 429


def test_the_attackers_waits_double_with_each_further_failure(client, staff, clock):
    waits = []
    _fail_until_paused(client, "teacher@alpha.test", ATTACKER)
    for _ in range(4):
        response = _password(client, "teacher@alpha.test", "not-the-password", ATTACKER)
        assert response.status_code == 429
        seconds = int(response["Retry-After"])
        waits.append(seconds)
        clock.advance(seconds)
        assert _password(client, "teacher@alpha.test", "not-the-password", ATTACKER).status_code == 200

    assert waits == [60, 120, 240, 480]
    response = _password(client, "teacher@alpha.test", "not-the-password", ATTACKER)
    assert _wait_stated(response) == "16 minutes"


def test_a_refused_attempt_does_not_lengthen_the_wait(client, staff, clock):
    _fail_until_paused(client, "teacher@alpha.test", ATTACKER)
    clock.advance(30)
    assert _password(client, "teacher@alpha.test", "not-the-password", ATTACKER)["Retry-After"] == "30"
    clock.advance(30)
    assert _password(client, "teacher@alpha.test", PASSWORD, ATTACKER).status_code == 302


def test_the_owners_own_typos_pause_only_their_device_and_a_right_password_clears_them(staff, clock):
    owner = _owners_browser("teacher@alpha.test")
    for _ in range(5):
        assert _password(owner, "teacher@alpha.test", "typo", HOME).status_code == 200
    response = _password(owner, "teacher@alpha.test", PASSWORD, HOME)
    assert response.status_code == 429
    assert "Too many attempts from this device. Try again in 60 seconds." in response.content.decode()

    # Someone else, elsewhere, is not held up by the owner's typos.
    assert _password(Client(), "teacher@alpha.test", PASSWORD, "192.0.2.10").status_code == 302

    clock.advance(60)
    assert _password(owner, "teacher@alpha.test", PASSWORD, HOME).status_code == 302
    owner.post(reverse("account_logout"))
    for _ in range(5):
        assert _password(owner, "teacher@alpha.test", "typo", HOME).status_code == 200


def test_one_address_trying_many_accounts_is_paused_across_all_of_them(client, staff, settings, clock):
    settings.SIGN_IN_LIMITS = {**settings.SIGN_IN_LIMITS, "address": "8/10m"}
    emails = [f"guess{number}@alpha.test" for number in range(8)]
    for email in emails:
        assert _password(client, email, "Summer2026!", ATTACKER).status_code == 200

    response = _password(client, "teacher@alpha.test", "Summer2026!", ATTACKER)

    assert response.status_code == 429
    assert "Too many sign-in attempts from this internet connection. Try again in 10 minutes." in (
        response.content.decode()
    )
    assert _password(Client(), "teacher@alpha.test", PASSWORD, HOME).status_code == 302


def test_many_addresses_guessing_one_account_pause_new_browsers_but_not_the_owners(staff, clock):
    owner = _owners_browser("teacher@alpha.test")
    for bot in range(10):
        bot_browser = Client()
        for _ in range(3):
            _password(bot_browser, "teacher@alpha.test", "not-the-password", f"192.0.2.{bot + 1}")

    new_browser = _password(Client(), "teacher@alpha.test", PASSWORD, "192.0.2.200")
    assert new_browser.status_code == 429
    assert "from devices it hasn't been used on. Try again in 60 minutes" in _page(new_browser)

    response = _password(owner, "teacher@alpha.test", PASSWORD, HOME)
    assert response.status_code == 302
    assert _signed_in(owner)


def test_a_forged_or_altered_device_cookie_earns_no_trust(client, staff):
    _fail_until_paused(client, "teacher@alpha.test", ATTACKER)
    forger = Client()
    forger.cookies[DEVICE_COOKIE] = signing.dumps([["0" * 24, "x"]], salt="guessed", compress=True)
    assert _password(forger, "teacher@alpha.test", PASSWORD, ATTACKER).status_code == 429

    owner = _owners_browser("head@alpha.test", address=HOME, totp_secret=staff.totp["head@alpha.test"])
    someone_else = Client()
    someone_else.cookies[DEVICE_COOKIE] = owner.cookies[DEVICE_COOKIE].value
    assert _password(someone_else, "teacher@alpha.test", PASSWORD, ATTACKER).status_code == 429, (
        "a device cookie speaks only for the accounts that signed in with it"
    )


def test_an_email_with_no_account_is_answered_exactly_like_one_with_an_account(client, staff, clock):
    _, real = _fail_until_paused(client, "teacher@alpha.test", ATTACKER)
    _, unknown = _fail_until_paused(client, "nobody@alpha.test", ATTACKER)

    def message(response):
        return re.search(r'class="signin-alert"[^>]*>(.*?)</div>', response.content.decode(), re.S).group(1)

    assert (real.status_code, real["Retry-After"]) == (unknown.status_code, unknown["Retry-After"])
    assert message(real) == message(unknown)
    first_wrong = _password(Client(), "teacher@alpha.test", "not-the-password", HOME)
    first_unknown = _password(Client(), "nobody@alpha.test", "not-the-password", "192.0.2.55")
    assert message(first_wrong) == message(first_unknown)


def test_a_password_reset_lets_the_owner_in_from_a_new_device_after_a_botnet(staff, mailoutbox):
    for bot in range(10):
        for _ in range(3):
            _password(Client(), "teacher@alpha.test", "not-the-password", f"192.0.2.{bot + 1}")
    assert _password(Client(), "teacher@alpha.test", PASSWORD, HOME).status_code == 429

    owner = Client()
    owner.post(reverse("account_reset_password"), {"email": "teacher@alpha.test"}, REMOTE_ADDR=HOME)
    link = re.search(r"https?://[^/]+(/accounts/password/reset/key/\S+)", mailoutbox[-1].body).group(1)
    form_page = owner.get(link, follow=True, REMOTE_ADDR=HOME)
    new_password = "a-fresh-password-for-term"
    owner.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"password1": new_password, "password2": new_password},
        REMOTE_ADDR=HOME,
    )

    assert _password(owner, "teacher@alpha.test", new_password, HOME).status_code == 302


def test_the_proxys_forwarded_address_is_the_one_counted(client, staff, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"

    def through_proxy(browser, password, visitor):
        return browser.post(
            LOGIN,
            {"login": "teacher@alpha.test", "password": password},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=visitor,
        )

    for _ in range(5):
        through_proxy(client, "not-the-password", ATTACKER)
    assert through_proxy(client, "not-the-password", ATTACKER).status_code == 429
    assert through_proxy(Client(), PASSWORD, HOME).status_code == 302


# The second-factor step.


def _past_the_password(email, address):
    browser = Client()
    response = _password(browser, email, PASSWORD, address)
    assert response.url == CODE
    return browser


def test_wrong_codes_pause_the_browser_guessing_them(staff, clock):
    attacker = _past_the_password("head@alpha.test", ATTACKER)
    for _ in range(5):
        assert _code(attacker, "000000", ATTACKER).status_code == 200
    response = _code(attacker, totp_code(staff.totp["head@alpha.test"]), ATTACKER)

    assert response.status_code == 429
    assert "Too many attempts from this device. Try again in 60 seconds." in response.content.decode()
    assert not _signed_in(attacker)
    clock.advance(60)
    assert _code(attacker, "000000", ATTACKER).status_code == 200
    assert _code(attacker, "000000", ATTACKER)["Retry-After"] == "120"


def test_the_owners_right_code_works_after_someone_elses_wrong_codes(staff):
    attacker = _past_the_password("head@alpha.test", ATTACKER)
    for _ in range(8):
        _code(attacker, "000000", ATTACKER)
    assert _code(attacker, "000000", ATTACKER).status_code == 429

    owner = _past_the_password("head@alpha.test", HOME)
    response = _code(owner, totp_code(staff.totp["head@alpha.test"]), HOME)

    assert response.status_code == 302
    assert _signed_in(owner)


def test_the_owners_usual_browser_passes_the_code_step_after_many_addresses_guessed(staff):
    secret = staff.totp["head@alpha.test"]
    owner = _owners_browser("head@alpha.test", totp_secret=secret)
    for bot in range(10):
        bot_browser = _past_the_password("head@alpha.test", f"192.0.2.{bot + 1}")
        for _ in range(4):
            _code(bot_browser, "000000", f"192.0.2.{bot + 1}")
    new_browser = _past_the_password("head@alpha.test", "192.0.2.200")
    assert _code(new_browser, totp_code(secret), "192.0.2.200").status_code == 429

    assert _password(owner, "head@alpha.test", PASSWORD, ATTACKER).url == CODE
    # The next 30-second window's code (accepted either side): the current one was used already.
    response = _code(owner, pyotp.TOTP(secret).at(time.time() + 30), ATTACKER)

    assert response.status_code == 302
    assert _signed_in(owner)


def test_wrong_recovery_codes_count_and_the_owners_recovery_code_still_works(staff):
    recovery = RecoveryCodes.activate(staff.head.user)
    attacker = _past_the_password("head@alpha.test", ATTACKER)
    for _ in range(5):
        assert _code(attacker, "12345678", ATTACKER).status_code == 200
    assert _code(attacker, recovery.get_unused_codes()[0], ATTACKER).status_code == 429

    owner = _past_the_password("head@alpha.test", HOME)
    assert _code(owner, recovery.get_unused_codes()[0], HOME).status_code == 302
    assert _signed_in(owner)
    assert len(Authenticator.objects.get(pk=recovery.instance.pk).wrap().get_unused_codes()) == 9


# What the audit trail and the owner learn.


def test_a_pause_is_recorded_once_per_episode_in_the_audit_trail(client, staff, clock):
    for _ in range(3):
        _fail_until_paused(client, "teacher@alpha.test", ATTACKER)
        for _ in range(5):
            _password(client, "teacher@alpha.test", "not-the-password", ATTACKER)
        clock.advance(60)
    _fail_until_paused(client, "nobody@alpha.test", ATTACKER)

    paused = AuditEvent.objects.filter(action="auth.sign_in_paused")
    assert paused.count() == 1
    event = paused.get()
    assert event.target_id == str(staff.teacher.user.pk) and event.school == staff.teacher.school
    sentence = describe_events([event], school=staff.teacher.school, viewer=staff.head)[0].text
    assert sentence == (
        "The portal paused sign-in to Teacher's account for 60 seconds after repeated wrong passwords "
        "from one internet address"
    )

    clock.advance(2 * 60 * 60)
    _fail_until_paused(client, "teacher@alpha.test", ATTACKER, limit=40)
    assert paused.count() == 2, "a new episode after a quiet hour"


def test_the_owner_sees_that_wrong_attempts_were_made_on_their_sign_in_security_page(client, client_for, staff):
    for _ in range(3):
        _password(client, "teacher@alpha.test", "not-the-password", ATTACKER)
    page = client_for(staff.teacher).get(reverse("mfa_index")).content.decode()

    assert "Wrong attempts to sign in" in page
    assert "3 wrong passwords and 0 wrong sign-in codes" in page
    assert "Wrong attempts to sign in" not in client_for(staff.ta).get(reverse("mfa_index")).content.decode()


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "1 second"),
        (40, "40 seconds"),
        (89, "89 seconds"),
        (120, "2 minutes"),
        (121, "3 minutes"),
        (3600, "60 minutes"),
        (5400, "1 hour 30 minutes"),
        (7200, "2 hours"),
        (86400, "24 hours"),
    ],
)
def test_waits_are_said_in_plain_words_rounded_up(seconds, words):
    assert wait_in_words(seconds) == words
