"""Sign-in limits that slow a guesser without locking the owner out (OWASP's "device cookie").

A browser that has signed in to an account is given a signed cookie naming that account (one
cookie holds several, for a shared iPad). At the password step and at the code step:

- a browser with the account's device cookie is judged only by its own failures
  (SIGN_IN_LIMITS["device_account"]), so nobody else's guesses, from anywhere, refuse it;
- any other browser meets limits per address (every account), per address and account, and per
  account across all such browsers, each with waits that grow as failures go on.

What an attacker meets: from one address, growing waits on each account (16 guesses in two days at
most) and a cap across accounts, never enough to reach the per-account limit, so the owner still
signs in from anywhere else; from many addresses, the per-account limit, which pauses new
browsers only, while the owner's usual browser carries on.

Why allauth's rate-limit machinery rather than django-axes: axes locks by username, address or
both (or a callable) but has no notion of a browser that has earned trust, so a lock on the
username keeps the owner out as well, which is the fault being fixed. allauth's `consume` and
`clear` keep sliding windows in the Django cache with its rate syntax, its per-address key
honours ALLAUTH_TRUSTED_PROXY_COUNT and the IPv6 prefix, and several windows of growing length
make waits that double. What it lacks is how long a refused person must wait, worked out here
from the same cached history.
"""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass, field
from enum import StrEnum

from allauth.core.internal import ratelimit as allauth_ratelimit
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from audit.services import record

from .selectors import active_memberships_for_user, sign_in_failure_summary, sign_in_failure_summary_key

RATE_LIMIT_APP = "accounts.sign_in"
DEVICE_COOKIE = "portal_signin_device"
DEVICE_COOKIE_PATH = "/accounts/"
_DEVICE_SALT = "accounts.sign_in.device"
# A browser shared by a class's staff remembers this many accounts, most recent first.
_DEVICES_PER_COOKIE = 20
# A run of refusals for one account is one episode in the audit trail until an hour goes by
# without another.
EPISODE_SECONDS = 60 * 60
# How long after the latest wrong attempt the owner's Sign-in security page still mentions them.
FAILURE_SUMMARY_SECONDS = 30 * 24 * 60 * 60
PAUSED = "sign_in_paused"


class Step(StrEnum):
    PASSWORD = "password"  # noqa: S105 - the name of a sign-in step, not a secret
    CODE = "code"


class Scope(StrEnum):
    ATTEMPTS = "attempts"
    ADDRESS = "address"
    ADDRESS_ACCOUNT = "address_account"
    ACCOUNT = "account"
    DEVICE_ACCOUNT = "device_account"


# Scopes whose counters are this person's own: a right answer shows they are no guesser, so
# they start again. Counters others share (the address, the account) only give the right
# attempt back, or a guesser could sign in to their own account now and then to reset them.
_CLEARED_BY_SUCCESS = {Scope.ADDRESS_ACCOUNT, Scope.DEVICE_ACCOUNT}
# Every attempt counts here, right or wrong (allauth's "login" limit, kept for floods).
_COUNTS_SUCCESS = {Scope.ATTEMPTS}
_ABOUT_AN_ACCOUNT = {Scope.ADDRESS_ACCOUNT, Scope.ACCOUNT, Scope.DEVICE_ACCOUNT}


@dataclass(frozen=True)
class Pause:
    scope: Scope
    seconds: int

    @property
    def message(self) -> str:
        wait = wait_in_words(self.seconds)
        if self.scope == Scope.ACCOUNT:
            return (
                f"There have been too many wrong attempts to sign in with this email address from devices "
                f"it hasn't been used on. Try again in {wait}, sign in on a device you have used before, "
                "or reset your password."
            )
        if self.scope in (Scope.ADDRESS, Scope.ATTEMPTS):
            return f"Too many sign-in attempts from this internet connection. Try again in {wait}."
        return f"Too many attempts from this device. Try again in {wait}."


def wait_in_words(seconds: int) -> str:
    """40 seconds, 3 minutes, 2 hours 5 minutes: rounded up, so the person never comes back early."""
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return f"{minutes} minutes"
    hours, minutes = divmod(minutes, 60)
    hours_text = f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{hours_text} {minutes} minute{'s' if minutes != 1 else ''}" if minutes else hours_text


# The device cookie.


def _account_digest(email: str) -> str:
    return salted_hmac(_DEVICE_SALT, email.strip().lower()).hexdigest()[:24]


def _device_entries(request: HttpRequest) -> list[list[str]]:
    value = request.COOKIES.get(DEVICE_COOKIE)
    if not value:
        return []
    try:
        entries = signing.loads(value, salt=_DEVICE_SALT, max_age=settings.SIGN_IN_DEVICE_COOKIE_DAYS * 24 * 60 * 60)
    except signing.BadSignature:
        return []
    if not isinstance(entries, list):
        return []
    return [entry for entry in entries if isinstance(entry, list) and len(entry) == 2]


def device_for_account(request: HttpRequest, email: str) -> str | None:
    """This browser's id for the account, if it carries a valid device cookie for it."""
    digest = _account_digest(email)
    return next((device for account, device in _device_entries(request) if account == digest), None)


def remember_device(request: HttpRequest, response: HttpResponse, email: str) -> None:
    """After a complete sign-in: this browser is one the account's owner uses."""
    digest = _account_digest(email)
    entries = _device_entries(request)
    device = next((device for account, device in entries if account == digest), None) or secrets.token_urlsafe(16)
    entries = [[digest, device]] + [entry for entry in entries if entry[0] != digest]
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps(entries[:_DEVICES_PER_COOKIE], salt=_DEVICE_SALT, compress=True),
        max_age=settings.SIGN_IN_DEVICE_COOKIE_DAYS * 24 * 60 * 60,
        path=DEVICE_COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


# Counters, in allauth's machinery.


def _rates(scope: Scope) -> list[allauth_ratelimit.Rate]:
    # Every counter here is keyed by this module (address, account or both), whatever `per` the
    # setting names: LOGIN_RATE_LIMIT is written "30/m/ip" in older configurations.
    return [
        allauth_ratelimit.Rate(rate.amount, rate.duration, "key")
        for rate in allauth_ratelimit.parse_rates(settings.SIGN_IN_LIMITS[scope])
    ]


def _config(step: Step, scope: Scope) -> tuple[str, dict[str, str]]:
    action = f"{step}:{scope}"
    return action, {action: ",".join(f"{rate.amount}/{rate.duration}s/key" for rate in _rates(scope))}


def _seconds_to_wait(request: HttpRequest, step: Step, scope: Scope, key: str) -> int:
    """How long until the counter lets one more attempt through: for each window that is full,
    until its oldest counted failure leaves it."""
    action, _config_unused = _config(step, scope)
    now, wait = time.time(), 0.0
    for rate in _rates(scope):
        cache_key = allauth_ratelimit.get_cache_key(request, app=RATE_LIMIT_APP, action=action, rate=rate, key=key)
        history = [stamp for stamp in cache.get(cache_key, []) if stamp > now - rate.duration]
        if len(history) >= rate.amount:
            wait = max(wait, history[rate.amount - 1] + rate.duration - now)
    return max(1, math.ceil(wait))


@dataclass
class Attempt:
    """One try at a sign-in step, counted before the answer is checked (so that many tries sent
    at once cannot all slip through), then settled by `succeeded` or `failed`."""

    request: HttpRequest
    step: Step
    email: str
    checks: list[tuple[Scope, str]]
    user: object | None = None
    _usages: dict[Scope, allauth_ratelimit.RateLimitUsage] = field(default_factory=dict)

    def succeeded(self) -> None:
        for scope, key in self.checks:
            action, config = _config(self.step, scope)
            if scope in _CLEARED_BY_SUCCESS:
                allauth_ratelimit.clear(self.request, app=RATE_LIMIT_APP, action=action, config=config, key=key)
            elif scope not in _COUNTS_SUCCESS and scope in self._usages:
                self._usages[scope].rollback()

    def failed(self) -> None:
        user = self.user if self.user is not None else _user_for_email(self.email)
        if user is not None:
            _note_failure(user=user, step=self.step)


def begin_attempt(request: HttpRequest, *, step: Step, email: str, user=None) -> Attempt:
    """Count an attempt at `email`'s account, or raise ValidationError(code="sign_in_paused")
    saying how long to wait (and set `request.sign_in_pause`, which the views answer with 429)."""
    email = email.strip().lower()
    device = device_for_account(request, email)
    if device:
        checks = [(Scope.DEVICE_ACCOUNT, f"{device}|{email}")]
    else:
        address = allauth_ratelimit.get_ip(request)
        checks = [
            (Scope.ADDRESS, address),
            (Scope.ADDRESS_ACCOUNT, f"{address}|{email}"),
            (Scope.ACCOUNT, email),
        ]
        if step == Step.PASSWORD:
            checks.insert(0, (Scope.ATTEMPTS, address))
    attempt = Attempt(request=request, step=step, email=email, checks=checks, user=user)
    # Look first, count after: a refused attempt is not counted, so waiting it out always works.
    refused = [
        (scope, key)
        for scope, key in checks
        if not allauth_ratelimit.consume(
            request,
            app=RATE_LIMIT_APP,
            action=_config(step, scope)[0],
            config=_config(step, scope)[1],
            key=key,
            dry_run=True,
        )
    ]
    if not refused:
        for scope, key in checks:
            action, config = _config(step, scope)
            usage = allauth_ratelimit.consume(request, app=RATE_LIMIT_APP, action=action, config=config, key=key)
            if usage is None:
                # Another attempt filled the window between the look and the count.
                refused = [(scope, key)]
                break
            attempt._usages[scope] = usage
    if refused:
        for usage in attempt._usages.values():
            usage.rollback()
        pause = max(
            (Pause(scope=scope, seconds=_seconds_to_wait(request, step, scope, key)) for scope, key in refused),
            key=lambda pause: pause.seconds,
        )
        request.sign_in_pause = pause
        if pause.scope in _ABOUT_AN_ACCOUNT:
            _note_pause(request, attempt=attempt, pause=pause)
        raise ValidationError(pause.message, code=PAUSED)
    return attempt


def forget_failures_at_account(*, email: str) -> None:
    """After a password reset: the owner proved they hold the email, so browsers new to the
    account start again (allauth clears its own counter at the same moment)."""
    request = HttpRequest()
    email = email.strip().lower()
    for step in Step:
        action, config = _config(step, Scope.ACCOUNT)
        allauth_ratelimit.clear(request, app=RATE_LIMIT_APP, action=action, config=config, key=email)


# What the owner and the audit trail learn.


def _user_for_email(email: str):
    return get_user_model().objects.filter(email__iexact=email).first()


def _note_failure(*, user, step: Step) -> None:
    """For the owner's Sign-in security page. Two failures at the same instant may count as one:
    this is a notice for the owner, the limits above are what stop a guesser."""
    now = timezone.now()
    summary = sign_in_failure_summary(user=user) or {"since": now, "passwords": 0, "codes": 0}
    summary["passwords" if step == Step.PASSWORD else "codes"] += 1
    summary["latest"] = now
    cache.set(sign_in_failure_summary_key(user), summary, FAILURE_SUMMARY_SECONDS)


def _note_pause(request: HttpRequest, *, attempt: Attempt, pause: Pause) -> None:
    """The first refusal of an episode goes in the audit trail of each school the person works at."""
    user = attempt.user if attempt.user is not None else _user_for_email(attempt.email)
    if user is None:
        return
    # The latest refusal's time is kept (not only the key's expiry) so that the episode's end
    # follows the same clock as the limits, whichever cache holds it.
    episode_key, now = f"accounts:sign_in:episode:{user.pk}", time.time()
    if not cache.add(episode_key, now, EPISODE_SECONDS):
        previous = cache.get(episode_key)
        cache.set(episode_key, now, EPISODE_SECONDS)
        if previous is not None and now - previous < EPISODE_SECONDS:
            return
    with transaction.atomic():
        for membership in active_memberships_for_user(user=user):
            record(
                action="auth.sign_in_paused",
                school=membership.school,
                target=user,
                data={
                    "step": str(attempt.step),
                    "scope": str(pause.scope),
                    "wait_seconds": pause.seconds,
                },
                request=request,
            )
