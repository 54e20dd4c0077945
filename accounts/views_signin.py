"""The portal's own steps around allauth's sign-in pages: why an approver must set up a second
step, and the way on once they have (allauth's set-up ends on the recovery codes page); and
allauth's password and code pages answering 429 while sign-in is paused, giving the browser its
device cookie once the person is in."""

from allauth.account.views import LoginView
from allauth.mfa.base.views import AuthenticateView
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from . import services_sign_in
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


def _answer_pause(request, response):
    """The page as allauth drew it (the form keeps the email), with 429 and Retry-After if the
    attempt was refused for being one too many."""
    pause = getattr(request, "sign_in_pause", None)
    if pause is not None:
        response.status_code = 429
        response["Retry-After"] = str(pause.seconds)
    return response


def _remember_device(request, response):
    email = getattr(request, "sign_in_device_email", None)
    if email:
        services_sign_in.remember_device(request, response, email)
    return response


class PasswordStepView(LoginView):
    def form_valid(self, form):
        return _remember_device(self.request, super().form_valid(form))

    def form_invalid(self, form):
        return _answer_pause(self.request, super().form_invalid(form))


class CodeStepView(AuthenticateView):
    def form_valid(self, form):
        return _remember_device(self.request, super().form_valid(form))

    def form_invalid(self, form):
        return _answer_pause(self.request, super().form_invalid(form))


password_step = PasswordStepView.as_view()
code_step = CodeStepView.as_view()
