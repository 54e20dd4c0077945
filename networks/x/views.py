"""The account page's connection to X: connect (OAuth 2.0 with PKCE, or existing OAuth 1.0a
tokens), disconnect, check, and the health panel. Thin: the work is in `networks.x.connect`."""

import secrets

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import school_member_required
from accounts.models import Network, SocialAccount
from accounts.permissions import Perm

from . import connect as x_connect

# What the callback needs from the start of the flow, kept server-side in the session
# (one connection at a time per signed-in person; a new start replaces an unfinished one).
PENDING_SESSION_KEY = "x_connect_pending"


def callback_url() -> str:
    """The one address registered with X as the app's callback, for every school and account."""
    return settings.SITE_URL + reverse("x_connect_callback")


def _account_or_404(request, pk: int) -> SocialAccount:
    return get_object_or_404(SocialAccount, school=request.school, pk=pk)


def _back_to_account(account: SocialAccount):
    return redirect(reverse("social_account_edit", args=[account.pk]) + "#connection")


@require_GET
@school_member_required(Perm.MANAGE_SOCIAL_ACCOUNTS)
def x_connection(request, pk: int):
    """The connection panel: embedded in the account page through htmx, or a page of its own."""
    account = _account_or_404(request, pk)
    context = {"account": account, "health": x_connect.connection_health(account), "callback_url": callback_url()}
    template = "networks/x/connection_panel.html" if request.htmx else "networks/x/connection.html"
    return render(request, template, context)


@require_POST
@school_member_required(Perm.MANAGE_SOCIAL_ACCOUNTS)
def x_connect_start(request, pk: int):
    account = _account_or_404(request, pk)
    try:
        authorize_url, state, code_verifier = x_connect.start_connection(
            actor=request.membership, account=account, redirect_uri=callback_url()
        )
    except x_connect.XConnectError as exc:
        messages.error(request, str(exc))
        return _back_to_account(account)
    request.session[PENDING_SESSION_KEY] = {
        "state": state,
        "code_verifier": code_verifier,
        "account_id": account.pk,
        "school_id": request.school.pk,
    }
    return redirect(authorize_url)


@require_GET
@school_member_required(Perm.MANAGE_SOCIAL_ACCOUNTS)
def x_connect_callback(request):
    """Where X sends the headteacher back, with a code (approved) or an error (declined)."""
    pending = request.session.pop(PENDING_SESSION_KEY, None)
    state = request.GET.get("state", "")
    if (
        not pending
        or not state
        or not secrets.compare_digest(state, pending["state"])
        or pending["school_id"] != request.school.pk
    ):
        return render(request, "networks/x/callback_invalid.html", status=400)
    account = _account_or_404(request, pending["account_id"])

    error = request.GET.get("error", "")
    if error:
        x_connect.record_connection_declined(actor=request.membership, account=account, error=error, request=request)
        if error == "access_denied":
            messages.warning(
                request,
                f"You did not allow the portal on X, so @{account.handle} is not connected. "
                "Nothing has changed; use Connect to X again whenever you are ready.",
            )
        else:
            messages.error(request, f"X stopped the connection ({error[:60]}). Try Connect to X again.")
        return _back_to_account(account)

    code = request.GET.get("code", "")
    if not code:
        return render(request, "networks/x/callback_invalid.html", status=400)
    try:
        account = x_connect.finish_connection(
            actor=request.membership,
            account=account,
            code=code,
            code_verifier=pending["code_verifier"],
            redirect_uri=callback_url(),
            request=request,
        )
    except x_connect.XConnectError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"Connected to X as @{account.credentials['username']}. Approved posts will now publish there."
        )
    return _back_to_account(account)


class OAuth1TokensForm(forms.Form):
    # Password inputs that never render their value: a token typed here is not sent back to the page.
    access_token = forms.CharField(
        label="Access token",
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    access_token_secret = forms.CharField(
        label="Access token secret",
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


@require_http_methods(["GET", "POST"])
@school_member_required(Perm.MANAGE_SOCIAL_ACCOUNTS)
def x_connect_oauth1(request, pk: int):
    account = _account_or_404(request, pk)
    if account.network != Network.X:
        messages.info(request, f"@{account.handle} is on {account.get_network_display()}, which needs no connection.")
        return _back_to_account(account)
    form = OAuth1TokensForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            account = x_connect.connect_with_oauth1(
                actor=request.membership,
                account=account,
                access_token=form.cleaned_data["access_token"],
                access_token_secret=form.cleaned_data["access_token_secret"],
                request=request,
            )
        except x_connect.XConnectError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Connected to X as @{account.credentials['username']} with the school's tokens.")
            return _back_to_account(account)
    return render(
        request,
        "networks/x/oauth1_form.html",
        {"account": account, "form": form, "available": x_connect.oauth1_configured()},
    )


@require_http_methods(["GET", "POST"])
@school_member_required(Perm.MANAGE_SOCIAL_ACCOUNTS)
def x_disconnect(request, pk: int):
    """GET asks for confirmation; POST disconnects."""
    account = _account_or_404(request, pk)
    if account.network != Network.X:
        messages.info(request, f"@{account.handle} is on {account.get_network_display()}, which needs no connection.")
        return _back_to_account(account)
    if request.method == "GET":
        health = x_connect.connection_health(account)
        return render(request, "networks/x/disconnect_confirm.html", {"account": account, "health": health})
    result = x_connect.disconnect(actor=request.membership, account=account, request=request)
    if result.revoked:
        messages.success(
            request, f"@{account.handle} is disconnected: X has cancelled the portal's access and the portal forgot it."
        )
    else:
        messages.warning(request, result.problem)
    return _back_to_account(account)


@require_POST
@school_member_required(Perm.MANAGE_SOCIAL_ACCOUNTS)
def x_check_connection(request, pk: int):
    account = _account_or_404(request, pk)
    result = x_connect.check_connection(actor=request.membership, account=account, request=request)
    (messages.success if result.ok else messages.error)(request, result.message)
    return _back_to_account(account)
