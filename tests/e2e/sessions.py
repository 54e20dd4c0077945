"""Signing a browser in without the sign-in form, for checks that are about the pages behind it.

The sign-in journeys (test_sign_in_journeys.py) test the form itself; checks that visit many pages
as many people make the session the form would have made and hand the browser its cookie.
"""

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from playwright.sync_api import BrowserContext

from accounts.middleware import SCHOOL_SESSION_KEY


def signed_in_session(user, *, school, reauthenticated: bool = False, **extra) -> str:
    """A session for `user`, working at `school`, as signing in leaves it; returns its key.

    What the sign-in form leaves behind: Django's login, and allauth's record of how the person
    proved who they are (their password, then their authenticator code when they have one). The
    portal's own middleware (accounts.middleware.RequireSecondFactorMiddleware) asks no more of an
    approver's session than that their account has an authenticator app set up. allauth's
    sign-in security pages also want the password confirmed again in the last few minutes
    (ACCOUNT_REAUTHENTICATION_TIMEOUT): `reauthenticated` says it just was. `extra` is stored in the
    session as well.
    """
    session = SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[SCHOOL_SESSION_KEY] = school.pk
    session.update(extra)
    request = RequestFactory().get("/")
    request.session, request.user = session, user
    record_authentication(request, user, "password", email=user.email)
    if reauthenticated:
        record_authentication(request, user, "password", reauthenticated=True)
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is not None:
        record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
    session.save()
    return session.session_key


def sign_in(context: BrowserContext, live_server, user, *, school, reauthenticated: bool = False, **extra) -> None:
    """Sign the browser context in as `user` (see `signed_in_session`)."""
    key = signed_in_session(user, school=school, reauthenticated=reauthenticated, **extra)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": key, "url": live_server.url}])
