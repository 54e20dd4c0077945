"""The portal's own steps around allauth's sign-in pages: why an approver must set up a second
step, and the way on once they have (allauth's set-up ends on the recovery codes page)."""

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from .middleware import SIGN_IN_NEXT_SESSION_KEY
from .permissions import requires_second_factor


@require_GET
@login_required
def second_factor_required(request):
    """Where RequireSecondFactorMiddleware sends an approver who has no authenticator app yet."""
    if is_mfa_enabled(request.user, [Authenticator.Type.TOTP]):
        return redirect("signin_continue")
    if not requires_second_factor(request.membership):
        return redirect("mfa_index")
    return render(request, "mfa/required.html")


@require_GET
@login_required
def signin_continue(request):
    """On to the page the person was heading for before the set-up, or their dashboard."""
    destination = request.session.pop(SIGN_IN_NEXT_SESSION_KEY, None)
    if destination and url_has_allowed_host_and_scheme(
        destination, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(destination)
    return redirect("dashboard")
