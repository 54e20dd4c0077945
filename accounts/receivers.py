import time

from allauth.account.signals import password_reset
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from audit.services import record

from . import services_sign_in
from .middleware import SESSION_REFRESHED_AT_KEY
from .permissions import requires_second_factor
from .selectors import active_memberships_for_user


@receiver(user_logged_in, dispatch_uid="accounts.audit_approver_sign_in")
def audit_approver_sign_in(sender, request, user, **kwargs):
    """Sign-ins of people who can approve or manage are part of the audit trail."""
    for membership in active_memberships_for_user(user=user):
        if requires_second_factor(membership):
            record(action="auth.signed_in", actor=user, school=membership.school, target=user, request=request)


@receiver(user_logged_in, dispatch_uid="accounts.stamp_session_at_sign_in")
def stamp_session_at_sign_in(sender, request, user, **kwargs):
    """A sign-in saves the session anyway: note when, so the pages that follow need not save it
    again to keep the person signed in (accounts.middleware.SessionActivityMiddleware)."""
    session = getattr(request, "session", None)
    if session is not None:
        session[SESSION_REFRESHED_AT_KEY] = int(time.time())


@receiver(user_logged_in, dispatch_uid="accounts.trust_the_browser")
def trust_the_browser(sender, request, user, **kwargs):
    """The sign-in views give this browser the account's device cookie on their way out
    (accounts.views_signin), so others' wrong guesses never refuse it."""
    if request is not None:
        request.sign_in_device_email = user.email


@receiver(password_reset, dispatch_uid="accounts.forget_failures_after_reset")
def forget_failures_after_reset(sender, request, user, **kwargs):
    services_sign_in.forget_failures_at_account(email=user.email)
