from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from audit.services import record

from .permissions import requires_second_factor
from .selectors import active_memberships_for_user


@receiver(user_logged_in, dispatch_uid="accounts.audit_approver_sign_in")
def audit_approver_sign_in(sender, request, user, **kwargs):
    """Sign-ins of people who can approve or manage are part of the audit trail."""
    for membership in active_memberships_for_user(user=user):
        if requires_second_factor(membership):
            record(action="auth.signed_in", actor=user, school=membership.school, target=user, request=request)
