"""Connecting a school's Bluesky account to the portal, disconnecting it, and how healthy it is.

Bluesky's OAuth needs a client that holds DPoP keys and a published client metadata document, and
the `atproto` SDK (0.0.73) has no OAuth client at all: it signs in with a handle and a password
(`Client.login`). So the portal connects with an **app password**, which Bluesky makes for exactly
this (Settings → Privacy and security → App passwords), never the account's own password. The
portal keeps the session it gets (access and refresh tokens, the DID, the PDS) encrypted in
`SocialAccount.credentials`, and forgets the app password straight away; the DID, PDS and handle
also go in `network_settings`, which are not secret.

Calls to Bluesky happen outside any transaction: call, then record (CONVENTIONS.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from atproto_client import exceptions as atp
from django.conf import settings
from django.db import transaction

from accounts.models import Membership, Network, SocialAccount
from audit.services import record
from networks.connections import Ability, CheckResult, publishing_history, run_check
from networks.connections import check_may_manage as _check_may_manage

from .adapter import new_client

# What Bluesky makes when someone creates an app password: four groups of four letters and digits.
APP_PASSWORD = re.compile(r"[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}")
# A handle is a domain name: name.bsky.social, or the school's own domain.
HANDLE = re.compile(r"([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?")


class BlueskyConnectError(Exception):
    """A connection step that did not work, with a message a headteacher can act on."""


def _check_is_bluesky(account: SocialAccount) -> None:
    if account.network != Network.BLUESKY:
        raise BlueskyConnectError(f"@{account.handle} is on {account.get_network_display()}, not Bluesky.")


def clean_handle(handle: str) -> str:
    handle = handle.strip().lstrip("@").lower()
    if not HANDLE.fullmatch(handle):
        raise BlueskyConnectError(
            f"“{handle}” is not a Bluesky handle. A handle looks like schoolname.bsky.social, or the school's "
            "own web address if it uses one on Bluesky."
        )
    return handle


def clean_app_password(app_password: str) -> str:
    app_password = app_password.strip().lower()
    if not APP_PASSWORD.fullmatch(app_password):
        raise BlueskyConnectError(
            "That is not an app password. Bluesky's app passwords look like abcd-efgh-ijkl-mnop (four groups of "
            "four letters or numbers). Create one in Bluesky under Settings → Privacy and security → App "
            "passwords, and never use the account's own password here."
        )
    return app_password


def connect_with_app_password(
    *, actor: Membership, account: SocialAccount, handle: str, app_password: str, request=None
) -> SocialAccount:
    """Sign in to Bluesky with an app password, check it is this account, and keep the session."""
    _check_may_manage(actor, account)
    _check_is_bluesky(account)
    handle, app_password = clean_handle(handle), clean_app_password(app_password)
    if handle != account.handle.lower():
        raise BlueskyConnectError(
            f"This account is @{account.handle} in the portal, but you entered @{handle}. Nothing was connected. "
            "Enter the account's own handle (or correct the handle in the form above first)."
        )
    client = new_client(settings.BLUESKY_SERVICE_URL)
    try:
        client.com.atproto.identity.resolve_handle({"handle": handle})
    except atp.BadRequestError as exc:
        raise BlueskyConnectError(
            f"Bluesky has no account @{handle}. Check the handle as Bluesky shows it on the account's profile."
        ) from exc
    except atp.RequestErrorBase as exc:
        raise BlueskyConnectError(_unreachable(exc)) from exc
    try:
        client.login(handle, app_password, fetch_bsky_profile=False)
    except (atp.UnauthorizedError, atp.BadRequestError) as exc:
        raise BlueskyConnectError(
            f"Bluesky did not accept this app password for @{handle}. Check it was copied in full; if it was "
            "revoked, create a new one in Bluesky under Settings → Privacy and security → App passwords."
        ) from exc
    except atp.RequestErrorBase as exc:
        raise BlueskyConnectError(_unreachable(exc)) from exc
    session = client._session
    pds = (session.pds_endpoint or settings.BLUESKY_SERVICE_URL).removesuffix("/xrpc")
    credentials = {
        "auth": "app_password",
        "did": session.did,
        "handle": session.handle,
        "pds": pds,
        "access_jwt": session.access_jwt,
        "refresh_jwt": session.refresh_jwt,
    }
    facts = {"did": session.did, "handle": session.handle, "pds": pds}
    with transaction.atomic():
        account = SocialAccount.objects.select_for_update().get(pk=account.pk)
        account.credentials = credentials
        account.network_settings = {**(account.network_settings or {}), **facts}
        account.status = SocialAccount.Status.ACTIVE
        account.last_error = ""
        account.save(update_fields=["credentials", "network_settings", "status", "last_error"])
        record(
            action="social_account.connected",
            actor=actor.user,
            school=actor.school,
            target=account,
            data={"network": account.network, "auth": "app_password", "username": session.handle, "did": session.did},
            request=request,
        )
    return account


def _unreachable(exc: atp.RequestErrorBase) -> str:
    if exc.response is not None and exc.response.status_code == 429:
        return "Bluesky is limiting sign-ins just now. Wait a few minutes, then try again."
    if exc.response is None or exc.response.status_code >= 500 or isinstance(exc.__cause__, httpx.HTTPError):
        return "The portal could not reach Bluesky to connect the account. Try again in a few minutes."
    return f"Bluesky could not connect the account just now (it answered {exc.response.status_code}). Try again."


@dataclass(frozen=True)
class DisconnectResult:
    ended_session: bool
    message: str


def disconnect(*, actor: Membership, account: SocialAccount, request=None) -> DisconnectResult:
    """End the portal's session on Bluesky (best effort), then forget it whatever Bluesky said."""
    _check_may_manage(actor, account)
    _check_is_bluesky(account)
    credentials = SocialAccount.objects.get(pk=account.pk).credentials or {}
    ended = _end_session(credentials)
    with transaction.atomic():
        account = SocialAccount.objects.select_for_update().get(pk=account.pk)
        account.credentials = {}
        account.status = SocialAccount.Status.NOT_CONNECTED
        account.last_error = ""
        account.save(update_fields=["credentials", "status", "last_error"])
        record(
            action="social_account.disconnected",
            actor=actor.user,
            school=actor.school,
            target=account,
            data={"network": account.network, "username": credentials.get("handle", ""), "ended_session": ended},
            request=request,
        )
    revoke = (
        "The app password itself still works until you revoke it: in Bluesky, go to Settings → Privacy and "
        "security → App passwords and delete the one made for the portal."
    )
    if ended:
        return DisconnectResult(
            True, f"@{account.handle} is disconnected: Bluesky ended the portal's session. {revoke}"
        )
    return DisconnectResult(
        False, f"The portal has forgotten @{account.handle}'s session, but Bluesky could not be told. {revoke}"
    )


def _end_session(credentials: dict) -> bool:
    if not credentials.get("refresh_jwt"):
        return True
    client = new_client(credentials.get("pds") or settings.BLUESKY_SERVICE_URL)
    try:
        client.com.atproto.server.delete_session(headers={"Authorization": f"Bearer {credentials['refresh_jwt']}"})
    except atp.RequestErrorBase:
        return False
    return True


# Checking the connection.


def check_connection(*, actor: Membership, account: SocialAccount, request=None) -> CheckResult:
    _check_may_manage(actor, account)
    if not (account.credentials or {}).get("access_jwt"):
        return CheckResult(ok=False, message=f"@{account.handle} is not connected to Bluesky yet. Connect it first.")
    return run_check(
        actor=actor,
        account=account,
        request=request,
        connected=lambda user: f"Connected to Bluesky as @{user.handle}.",
    )


# Health, for the account page.


@dataclass(frozen=True)
class BlueskyHealth:
    connected: bool
    handle: str = ""
    did: str = ""
    pds: str = ""
    status: str = ""
    status_label: str = ""
    last_error: str = ""
    last_published_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_failure: str = ""
    abilities: list[Ability] = field(default_factory=list)


def connection_health(account: SocialAccount) -> BlueskyHealth:
    published_at, failure_at, failure = publishing_history(account)
    credentials = account.credentials or {}
    connected = bool(credentials.get("access_jwt"))
    return BlueskyHealth(
        connected=connected,
        handle=credentials.get("handle", "") if connected else "",
        did=credentials.get("did", "") if connected else "",
        pds=credentials.get("pds", "") if connected else "",
        status=account.status,
        status_label=account.get_status_display(),
        last_error=account.last_error,
        last_published_at=published_at,
        last_failure_at=failure_at,
        last_failure=failure,
        abilities=ABILITIES,
    )


ABILITIES = [
    Ability("Publishing posts with up to 4 photos and their descriptions", True, "Photos go out under 1 MB each."),
    Ability("Links, @mentions and #hashtags that work as links", True),
    Ability("Taking a post down", True),
    Ability(
        "Reading followers and mentions",
        True,
        "Through Bluesky's app view: an account on a self-hosted server without one cannot.",
    ),
    Ability(
        "Muting and blocking accounts",
        True,
        "A block on Bluesky is public, as it is in Bluesky's app. Muting needs Bluesky's app view, as above.",
    ),
    Ability("Hiding replies", True, "Only in conversations the school's account started."),
    Ability("Choosing who may reply to a post", True),
    Ability("Reporting an account or post to Bluesky's moderators", True),
    Ability("Link preview cards", False, "The portal sends none, so a post shows only the words and photos approved."),
    Ability("Removing a follower", False, "Bluesky has no such feature; block the account instead."),
    Ability(
        "Signing in through Bluesky's own page (OAuth)",
        False,
        "The SDK the portal uses has no OAuth client yet, so the portal connects with an app password.",
    ),
]
