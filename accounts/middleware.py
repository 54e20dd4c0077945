import time

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.shortcuts import redirect
from django.urls import Resolver404, resolve

from .permissions import requires_second_factor
from .selectors import active_memberships_for_user

SCHOOL_SESSION_KEY = "school_id"
# Where someone was going when the portal stopped them to set up their second sign-in step:
# the recovery codes page's "continue" takes them there (accounts.views_signin.signin_continue).
SIGN_IN_NEXT_SESSION_KEY = "sign_in_next"
# When the session's expiry was last pushed back (seconds since the epoch).
SESSION_REFRESHED_AT_KEY = "refreshed_at"


class SessionActivityMiddleware:
    """Keeps a working person signed in and signs out an idle one, writing the session row at
    most once every SESSION_ACTIVITY_REFRESH_SECONDS instead of on every page.

    A database session ends SESSION_COOKIE_AGE after it was last saved. Saving it on every
    request (SESSION_SAVE_EVERY_REQUEST) made that an idle limit, at the price of an UPDATE per
    page, /healthz included. Here a page saves it only when the last save is older than the
    refresh interval, so the idle limit holds to within that interval. Goes right after
    SessionMiddleware, which then saves what this marks as changed.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if session.session_key is not None:  # no cookie, no session to keep alive
            self._refresh_if_due(session)
        response = self.get_response(request)
        if session.modified and not session.is_empty():
            # Saved anyway (a sign-in, a school chosen): stamp it, so the next pages need not.
            session[SESSION_REFRESHED_AT_KEY] = int(time.time())
        return response

    @staticmethod
    def _refresh_if_due(session) -> None:
        refreshed_at = session.get(SESSION_REFRESHED_AT_KEY)
        if session.is_empty():  # the cookie named a session that has ended: leave it ended
            return
        now = int(time.time())
        interval = settings.SESSION_ACTIVITY_REFRESH_SECONDS
        if refreshed_at is None or not 0 <= now - refreshed_at < interval:
            session[SESSION_REFRESHED_AT_KEY] = now


class SchoolMembershipMiddleware:
    """Sets request.membership and request.school: the signed-in person's place at the school
    they are working in (chosen in the session when they belong to more than one)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        request.school = None
        request.memberships = []
        if request.user.is_authenticated:
            request.memberships = list(active_memberships_for_user(user=request.user))
            chosen = request.session.get(SCHOOL_SESSION_KEY)
            membership = next((m for m in request.memberships if m.school_id == chosen), None)
            if membership is None and request.memberships:
                membership = request.memberships[0]
            if membership is not None:
                request.membership = membership
                request.school = membership.school
        return self.get_response(request)


# What an approver may still reach before setting up their authenticator app.
_SECOND_FACTOR_SETUP_VIEWS = {
    "second_factor_required",
    "mfa_index",
    "mfa_activate_totp",
    "mfa_view_recovery_codes",
    "mfa_download_recovery_codes",
    "mfa_generate_recovery_codes",
    "account_reauthenticate",
    "account_logout",
}


class RequireSecondFactorMiddleware:
    """Anyone whose roles need a second factor is sent to set one up before reaching any page.

    allauth MFA has no "required" switch, so it is enforced here for every view rather than
    view by view, where one forgotten decorator would leave a hole.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_set_up_second_factor(request):
            if request.method == "GET" and not getattr(request, "htmx", False):
                request.session[SIGN_IN_NEXT_SESSION_KEY] = request.get_full_path()
            return redirect("second_factor_required")
        return self.get_response(request)

    def _must_set_up_second_factor(self, request) -> bool:
        if not request.user.is_authenticated or not requires_second_factor(request.membership):
            return False
        if request.path.startswith(("/" + settings.STATIC_URL.lstrip("/"),)):
            return False
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        if match.url_name in _SECOND_FACTOR_SETUP_VIEWS or getattr(match.func, "public_page", False):
            return False
        return not is_mfa_enabled(request.user, [Authenticator.Type.TOTP])
