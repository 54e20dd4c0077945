"""The account page's connection to Bluesky: connect with an app password, disconnect, check, and
the panel. Thin: the work is in `networks.bluesky.connect`."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import school_member_required
from accounts.models import Network, SocialAccount
from accounts.permissions import Perm

from . import connect as bluesky_connect


def _account_or_404(request, pk: int) -> SocialAccount:
    return get_object_or_404(SocialAccount, school=request.school, pk=pk)


def _not_on_bluesky(request, account: SocialAccount):
    """Every page here is for a Bluesky account; any other goes back to its own page."""
    if account.network == Network.BLUESKY:
        return None
    messages.info(request, f"@{account.handle} is on {account.get_network_display()}, not Bluesky.")
    return _back_to_account(account)


def _back_to_account(account: SocialAccount):
    return redirect(reverse("social_account_edit", args=[account.pk]) + "#connection")


@require_GET
@school_member_required(Perm.MANAGE_SOCIAL_ACCOUNTS)
def bluesky_connection(request, pk: int):
    """The connection panel: embedded in the account page through htmx, or a page of its own."""
    account = _account_or_404(request, pk)
    if elsewhere := _not_on_bluesky(request, account):
        return elsewhere
    context = {"account": account, "health": bluesky_connect.connection_health(account)}
    template = "networks/bluesky/connection_panel.html" if request.htmx else "networks/bluesky/connection.html"
    return render(request, template, context)


class AppPasswordForm(forms.Form):
    handle = forms.CharField(
        label="Bluesky handle",
        max_length=253,
        help_text="As Bluesky shows it on the account's profile, for example alphaprimary.bsky.social.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}),
    )
    # A password input that never renders its value: an app password typed here is not sent back.
    app_password = forms.CharField(
        label="App password",
        max_length=64,
        help_text="Four groups of four letters or numbers, like abcd-efgh-ijkl-mnop.",
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}),
    )


@require_http_methods(["GET", "POST"])
@school_member_required(Perm.MANAGE_SOCIAL_ACCOUNTS)
def bluesky_connect_view(request, pk: int):
    account = _account_or_404(request, pk)
    if elsewhere := _not_on_bluesky(request, account):
        return elsewhere
    form = AppPasswordForm(request.POST if request.method == "POST" else None, initial={"handle": account.handle})
    if request.method == "POST" and form.is_valid():
        try:
            account = bluesky_connect.connect_with_app_password(
                actor=request.membership,
                account=account,
                handle=form.cleaned_data["handle"],
                app_password=form.cleaned_data["app_password"],
                request=request,
            )
        except bluesky_connect.BlueskyConnectError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"Connected to Bluesky as @{account.credentials['handle']}. Approved posts will now publish there.",
            )
            return _back_to_account(account)
    return render(request, "networks/bluesky/connect_form.html", {"account": account, "form": form}, status=200)


@require_http_methods(["GET", "POST"])
@school_member_required(Perm.MANAGE_SOCIAL_ACCOUNTS)
def bluesky_disconnect(request, pk: int):
    """GET asks for confirmation; POST disconnects."""
    account = _account_or_404(request, pk)
    if elsewhere := _not_on_bluesky(request, account):
        return elsewhere
    if request.method == "GET":
        health = bluesky_connect.connection_health(account)
        return render(request, "networks/bluesky/disconnect_confirm.html", {"account": account, "health": health})
    result = bluesky_connect.disconnect(actor=request.membership, account=account, request=request)
    (messages.success if result.ended_session else messages.warning)(request, result.message)
    return _back_to_account(account)


@require_POST
@school_member_required(Perm.MANAGE_SOCIAL_ACCOUNTS)
def bluesky_check_connection(request, pk: int):
    account = _account_or_404(request, pk)
    if elsewhere := _not_on_bluesky(request, account):
        return elsewhere
    result = bluesky_connect.check_connection(actor=request.membership, account=account, request=request)
    (messages.success if result.ok else messages.error)(request, result.message)
    return _back_to_account(account)
