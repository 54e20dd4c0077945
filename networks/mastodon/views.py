"""The account page's connection to Mastodon: connect (the server's address, then OAuth on that
server), disconnect, check, and the panel. Thin: the work is in `networks.mastodon.connect`."""

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

from . import connect as mastodon_connect

# What the callback needs from the start of the flow, kept server-side in the session.
PENDING_SESSION_KEY = "mastodon_connect_pending"


def callback_url() -> str:
    """The one callback address the portal registers on every Mastodon server."""
    return settings.SITE_URL + reverse("mastodon_connect_callback")


class ServerForm(forms.Form):
    server = forms.CharField(
        label="The school's Mastodon server",
        max_length=253,
        help_text="The part after the second @ in the account's handle, such as mastodon.social.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "url"}),
    )


def _account_or_404(request, pk: int) -> SocialAccount:
    return get_object_or_404(SocialAccount, school=request.school, pk=pk)


def _back_to_account(account: SocialAccount):
    return redirect(reverse("social_account_edit", args=[account.pk]) + "#connection")


def _panel_context(account: SocialAccount, form: ServerForm | None = None) -> dict:
    health = mastodon_connect.connection_health(account)
    domain = health.domain or account.handle.partition("@")[2]
    return {"account": account, "health": health, "form": form or ServerForm(initial={"server": domain})}


@require_GET
@school_member_required(Perm.MANAGE_SOCIAL_ACCOUNTS)
def mastodon_connection(request, pk: int):
    """The connection panel: embedded in the account page through htmx, or a page of its own."""
    account = _account_or_404(request, pk)
    template = "networks/mastodon/connection_panel.html" if request.htmx else "networks/mastodon/connection.html"
    return render(request, template, _panel_context(account))


@require_POST
@school_member_required(Perm.MANAGE_SOCIAL_ACCOUNTS)
def mastodon_connect_start(request, pk: int):
    """Register the portal on the server if needed, then show the link to approve it there. A page
    with a link rather than a redirect: the browser's form-action policy would stop a form's
    redirect to a server the portal cannot list in advance."""
    account = _account_or_404(request, pk)
    if account.network != Network.MASTODON:
        messages.info(request, f"@{account.handle} is on {account.get_network_display()}, which needs no connection.")
        return _back_to_account(account)
    form = ServerForm(request.POST)
    if form.is_valid():
        try:
            authorize_url, state, server = mastodon_connect.start_connection(
                actor=request.membership,
                account=account,
                server_address=form.cleaned_data["server"],
                redirect_uri=callback_url(),
            )
        except mastodon_connect.MastodonConnectError as exc:
            form.add_error("server", str(exc))
        else:
            request.session[PENDING_SESSION_KEY] = {
                "state": state,
                "server": server,
                "account_id": account.pk,
                "school_id": request.school.pk,
            }
            return render(
                request,
                "networks/mastodon/continue.html",
                {"account": account, "authorize_url": authorize_url, "domain": server.split("://", 1)[1]},
            )
    return render(request, "networks/mastodon/connection.html", _panel_context(account, form), status=400)


@require_GET
@school_member_required(Perm.MANAGE_SOCIAL_ACCOUNTS)
def mastodon_connect_callback(request):
    """Where the server sends the admin back, with a code (approved) or an error (declined)."""
    pending = request.session.pop(PENDING_SESSION_KEY, None)
    state = request.GET.get("state", "")
    if (
        not pending
        or not state
        or not secrets.compare_digest(state, pending["state"])
        or pending["school_id"] != request.school.pk
    ):
        return render(request, "networks/mastodon/callback_invalid.html", status=400)
    account = _account_or_404(request, pending["account_id"])

    error = request.GET.get("error", "")
    if error:
        mastodon_connect.record_connection_declined(
            actor=request.membership, account=account, error=error, request=request
        )
        if error == "access_denied":
            messages.warning(
                request,
                f"You did not allow the portal on the server, so @{account.handle} is not connected. "
                "Nothing has changed; connect again whenever you are ready.",
            )
        else:
            messages.error(request, f"The server stopped the connection ({error[:60]}). Try connecting again.")
        return _back_to_account(account)

    code = request.GET.get("code", "")
    if not code:
        return render(request, "networks/mastodon/callback_invalid.html", status=400)
    try:
        account = mastodon_connect.finish_connection(
            actor=request.membership,
            account=account,
            server=pending["server"],
            code=code,
            redirect_uri=callback_url(),
            request=request,
        )
    except mastodon_connect.MastodonConnectError as exc:
        messages.error(request, str(exc))
    else:
        facts = account.network_settings
        messages.success(
            request,
            f"Connected to Mastodon as @{facts['username']}@{facts['domain']}. Approved posts will now publish there.",
        )
    return _back_to_account(account)


@require_http_methods(["GET", "POST"])
@school_member_required(Perm.MANAGE_SOCIAL_ACCOUNTS)
def mastodon_disconnect(request, pk: int):
    """GET asks for confirmation; POST disconnects."""
    account = _account_or_404(request, pk)
    if account.network != Network.MASTODON:
        messages.info(request, f"@{account.handle} is on {account.get_network_display()}, which needs no connection.")
        return _back_to_account(account)
    if request.method == "GET":
        health = mastodon_connect.connection_health(account)
        return render(request, "networks/mastodon/disconnect_confirm.html", {"account": account, "health": health})
    result = mastodon_connect.disconnect(actor=request.membership, account=account, request=request)
    if result.revoked:
        messages.success(
            request,
            f"@{account.handle} is disconnected: the server has cancelled the portal's access, "
            "and the portal has forgotten it.",
        )
    else:
        messages.warning(request, result.problem)
    return _back_to_account(account)


@require_POST
@school_member_required(Perm.MANAGE_SOCIAL_ACCOUNTS)
def mastodon_check_connection(request, pk: int):
    account = _account_or_404(request, pk)
    if account.network != Network.MASTODON:
        return _back_to_account(account)
    result = mastodon_connect.check_connection(actor=request.membership, account=account, request=request)
    (messages.success if result.ok else messages.error)(request, result.message)
    return _back_to_account(account)
