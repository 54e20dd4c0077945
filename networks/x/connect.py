"""Connecting a school's X account to the portal, disconnecting it, and how healthy the connection is.

Two ways in, both ending in the credentials format `networks.x.adapter` reads:
- OAuth 2.0 with PKCE ("Connect to X"): the headteacher signs in on X and approves the portal's
  app; X sends them back with a code, exchanged here for an access token and a refresh token.
- OAuth 1.0a user tokens, for a school that already holds them from an app of its own; they
  are checked with X before they are stored.

Tokens are only ever in the encrypted `SocialAccount.credentials`; nothing here logs them,
audits them or hands them to a template. Calls to X happen outside any transaction: call,
then record (CONVENTIONS.md).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from requests_oauthlib import OAuth1

from accounts.models import Membership, Network, SocialAccount
from audit.services import record
from networks.connections import Ability as TierAbility
from networks.connections import CheckResult, publishing_history, run_check
from networks.connections import check_may_manage as _check_may_manage

# What the portal asks X for, by X's scope names (the OAuth2UserToken scheme in X's OpenAPI
# description): posting and media, reading mentions and followers, following, muting,
# blocking (used only on the Enterprise tier), hiding replies, private messages (paid tiers),
# and a refresh token.
REQUIRED_SCOPES = (
    "tweet.read",
    "tweet.write",
    "tweet.moderate.write",
    "users.read",
    "media.write",
    "follows.read",
    "follows.write",
    "mute.read",
    "mute.write",
    "block.read",
    "block.write",
    "dm.read",
    "dm.write",
    "offline.access",
)

# What each scope lets the portal do, for the "missing permissions" line on the account page.
_SCOPE_PURPOSES = {
    "tweet.read": "read its own posts and mentions",
    "tweet.write": "publish posts",
    "tweet.moderate.write": "hide replies",
    "users.read": "see who it is signed in as",
    "media.write": "attach photos",
    "follows.read": "read its followers",
    "follows.write": "follow accounts",
    "mute.read": "see muted accounts",
    "mute.write": "mute accounts",
    "block.read": "see blocked accounts",
    "block.write": "block accounts",
    "dm.read": "read private messages sent to it",
    "dm.write": "send private messages",
    "offline.access": "stay connected without you signing in again",
}

PAID_TIERS = ("basic", "pro", "enterprise")


class XConnectError(Exception):
    """A connection step that did not work, with a message a headteacher can act on."""


# --- Permission and configuration checks --------------------------------------------------


def _check_is_x(account: SocialAccount) -> None:
    if account.network != Network.X:
        raise XConnectError(f"@{account.handle} is on {account.get_network_display()}, which needs no connection to X.")


def oauth2_configured() -> bool:
    return bool(settings.X_CLIENT_ID)


def oauth1_configured() -> bool:
    return bool(settings.X_CONSUMER_KEY and settings.X_CONSUMER_SECRET)


def _timeout() -> float:
    return settings.X_TIMEOUT_SECONDS


def _client_auth() -> tuple[str, str] | None:
    """A confidential client (one with a secret) authenticates to X's token endpoints with HTTP Basic."""
    if settings.X_CLIENT_SECRET:
        return (settings.X_CLIENT_ID, settings.X_CLIENT_SECRET)
    return None


# --- OAuth 2.0 with PKCE --------------------------------------------------------------------


def _code_challenge(code_verifier: str) -> str:
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def start_connection(*, actor: Membership, account: SocialAccount, redirect_uri: str) -> tuple[str, str, str]:
    """Where to send the headteacher to approve the portal on X, and the state and PKCE verifier
    the callback must present. The caller keeps state and verifier server-side (the session)."""
    _check_may_manage(actor, account)
    _check_is_x(account)
    if not oauth2_configured():
        raise XConnectError(
            "This portal is not set up to connect to X yet: whoever runs it needs to register an app "
            "with X and set X_CLIENT_ID (the README explains how)."
        )
    state = secrets.token_urlsafe(32)
    # 86 characters from the unreserved set, inside RFC 7636's 43-128.
    code_verifier = secrets.token_urlsafe(64)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.X_CLIENT_ID,
            "redirect_uri": redirect_uri,
            "scope": " ".join(REQUIRED_SCOPES),
            "state": state,
            "code_challenge": _code_challenge(code_verifier),
            "code_challenge_method": "S256",
        }
    )
    return f"{settings.X_AUTHORIZE_URL}?{query}", state, code_verifier


def finish_connection(
    *, actor: Membership, account: SocialAccount, code: str, code_verifier: str, redirect_uri: str, request=None
) -> SocialAccount:
    """Exchange the code X gave for tokens, find out which X account they belong to, and store them."""
    _check_may_manage(actor, account)
    _check_is_x(account)
    tokens = _exchange_code(code=code, code_verifier=code_verifier, redirect_uri=redirect_uri)
    access_token = tokens.get("access_token")
    if not access_token:
        raise XConnectError("X did not send an access token. Try Connect to X again.")
    try:
        me = _users_me(auth_headers={"Authorization": f"Bearer {access_token}"})
        _check_same_account(account, me)
    except XConnectError:
        _revoke_quietly(access_token, "access_token")
        _revoke_quietly(tokens.get("refresh_token", ""), "refresh_token")
        raise
    credentials = {
        "auth": "oauth2",
        "access_token": access_token,
        "scope": tokens.get("scope", ""),
        "user_id": me["id"],
        "username": me["username"],
    }
    if tokens.get("refresh_token"):
        credentials["refresh_token"] = tokens["refresh_token"]
    if tokens.get("expires_in"):
        credentials["expires_at"] = time.time() + float(tokens["expires_in"])
    return _store_connection(actor=actor, account=account, credentials=credentials, request=request)


def _exchange_code(*, code: str, code_verifier: str, redirect_uri: str) -> dict:
    try:
        response = requests.post(
            f"{settings.X_API_BASE_URL}/2/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
                "client_id": settings.X_CLIENT_ID,
            },
            auth=_client_auth(),
            timeout=_timeout(),
        )
    except requests.RequestException as exc:
        raise XConnectError("The portal could not reach X to finish connecting. Try again in a few minutes.") from exc
    if response.status_code in (400, 401):
        raise XConnectError(
            "X did not accept the sign-in (the approval may have expired, or the portal's app details "
            "are wrong). Try Connect to X again; if it keeps failing, ask whoever runs the portal to "
            "check X_CLIENT_ID, X_CLIENT_SECRET and the callback address registered with X."
        )
    if not response.ok:
        raise XConnectError(f"X could not finish connecting just now (it answered {response.status_code}). Try again.")
    try:
        return response.json()
    except ValueError as exc:
        raise XConnectError("X sent an answer the portal could not read. Try Connect to X again.") from exc


# --- OAuth 1.0a user tokens -------------------------------------------------------------------


def connect_with_oauth1(
    *, actor: Membership, account: SocialAccount, access_token: str, access_token_secret: str, request=None
) -> SocialAccount:
    """Store a school's existing OAuth 1.0a user tokens once X confirms they work for this account."""
    _check_may_manage(actor, account)
    _check_is_x(account)
    if not oauth1_configured():
        raise XConnectError(
            "Tokens from an older X app need that app's consumer key and secret on the portal "
            "(X_CONSUMER_KEY and X_CONSUMER_SECRET), and they are not set. Use Connect to X instead, "
            "or ask whoever runs the portal to set them."
        )
    access_token, access_token_secret = access_token.strip(), access_token_secret.strip()
    signer = OAuth1(
        settings.X_CONSUMER_KEY,
        client_secret=settings.X_CONSUMER_SECRET,
        resource_owner_key=access_token,
        resource_owner_secret=access_token_secret,
    )
    me = _users_me(auth=signer, refused_message="X did not accept these tokens. Check both were copied in full.")
    _check_same_account(account, me)
    credentials = {
        "auth": "oauth1",
        "access_token": access_token,
        "access_token_secret": access_token_secret,
        "user_id": me["id"],
        "username": me["username"],
    }
    return _store_connection(actor=actor, account=account, credentials=credentials, request=request)


# --- Shared steps -------------------------------------------------------------------------------


def _users_me(*, auth_headers: dict | None = None, auth=None, refused_message: str = "") -> dict:
    """GET /2/users/me: who these credentials act for, as {"id", "username"}."""
    try:
        response = requests.get(
            f"{settings.X_API_BASE_URL}/2/users/me", headers=auth_headers or {}, auth=auth, timeout=_timeout()
        )
    except requests.RequestException as exc:
        raise XConnectError("The portal could not reach X to check the account. Try again in a few minutes.") from exc
    if response.status_code in (401, 403):
        raise XConnectError(refused_message or "X did not accept the new connection. Try Connect to X again.")
    try:
        data = response.json()["data"] if response.ok else None
        user = {"id": str(data["id"]), "username": str(data["username"])} if data else None
    except (ValueError, KeyError, TypeError):
        user = None
    if user is None:
        raise XConnectError("X would not say which account these details belong to. Try again in a few minutes.")
    return user


def _check_same_account(account: SocialAccount, me: dict) -> None:
    """Refuse a different X account: a headteacher signed in to X as themselves would otherwise
    connect their own account, and the school's posts would go out under their name."""
    if me["username"].lower() != account.handle.lower():
        raise XConnectError(
            f"You approved the portal as @{me['username']} on X, but this account is @{account.handle}. "
            f"Nothing was connected. Sign out of X, sign in as @{account.handle} and try again "
            "(or correct the account's handle here first)."
        )


def _store_connection(*, actor: Membership, account: SocialAccount, credentials: dict, request=None) -> SocialAccount:
    with transaction.atomic():
        account = SocialAccount.objects.select_for_update().get(pk=account.pk)
        account.credentials = credentials
        account.status = SocialAccount.Status.ACTIVE
        account.last_error = ""
        account.save(update_fields=["credentials", "status", "last_error"])
        record(
            action="social_account.connected",
            actor=actor.user,
            school=actor.school,
            target=account,
            data={
                "network": account.network,
                "auth": credentials["auth"],
                "username": credentials["username"],
                "scopes": credentials.get("scope", "").split(),
            },
            request=request,
        )
    return account


def record_connection_declined(*, actor: Membership, account: SocialAccount, error: str, request=None) -> None:
    """The headteacher said no on X's approval page (or X refused): nothing changes but the trail."""
    _check_may_manage(actor, account)
    record(
        action="social_account.connect_declined",
        actor=actor.user,
        school=actor.school,
        target=account,
        data={"error": error[:100]},
        request=request,
    )


# --- Disconnecting ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DisconnectResult:
    revoked: bool
    # Why X was not told to forget the tokens (empty when it was), for the headteacher.
    problem: str = ""


def disconnect(*, actor: Membership, account: SocialAccount, request=None) -> DisconnectResult:
    """Ask X to revoke the tokens (best effort), then forget them whatever X said."""
    _check_may_manage(actor, account)
    _check_is_x(account)
    # Fresh from the database: a worker may have renewed the tokens since the page was loaded.
    credentials = SocialAccount.objects.get(pk=account.pk).credentials or {}
    result = _revoke_at_x(credentials)
    with transaction.atomic():
        account = SocialAccount.objects.select_for_update().get(pk=account.pk)
        renewed_meanwhile = account.credentials if account.credentials != credentials else {}
        account.credentials = {}
        account.status = SocialAccount.Status.NOT_CONNECTED
        account.last_error = result.problem
        account.save(update_fields=["credentials", "status", "last_error"])
        record(
            action="social_account.disconnected",
            actor=actor.user,
            school=actor.school,
            target=account,
            data={
                "network": account.network,
                "username": credentials.get("username", ""),
                "revoked_at_x": result.revoked,
                "revoke_problem": result.problem,
            },
            request=request,
        )
    if renewed_meanwhile:
        # Renewed by a worker while X was revoking the old ones: these must not outlive the disconnect.
        _revoke_at_x(renewed_meanwhile)
    return result


def _revoke_at_x(credentials: dict) -> DisconnectResult:
    if not credentials.get("access_token"):
        return DisconnectResult(revoked=True)
    if credentials.get("auth") != "oauth2":
        # X revokes OAuth 1.0a tokens only through its retired v1.1 host; the school does it on X.
        return DisconnectResult(
            revoked=False,
            problem=(
                "The portal has forgotten this account's tokens. They came from the school's own X app, "
                "so X still honours them: to cancel them, regenerate them in that app, or remove the app "
                "from the connected apps in the X account's settings."
            ),
        )
    problems = [
        problem
        for token, hint in (
            (credentials.get("refresh_token", ""), "refresh_token"),
            (credentials["access_token"], "access_token"),
        )
        if token and (problem := _revoke(token, hint))
    ]
    if problems:
        return DisconnectResult(
            revoked=False,
            problem=(
                f"The portal has forgotten this account's tokens, but X could not be told to cancel them "
                f"({problems[0]}). To be sure, remove the portal from the connected apps in the X account's "
                "settings."
            ),
        )
    return DisconnectResult(revoked=True)


def _revoke(token: str, token_type_hint: str) -> str:
    """Revoke one token at X; returns what went wrong, or "" when X confirmed."""
    try:
        response = requests.post(
            f"{settings.X_API_BASE_URL}/2/oauth2/revoke",
            data={"token": token, "token_type_hint": token_type_hint, "client_id": settings.X_CLIENT_ID},
            auth=_client_auth(),
            timeout=_timeout(),
        )
    except requests.RequestException:
        return "X could not be reached"
    if not response.ok:
        return f"X answered {response.status_code}"
    return ""


def _revoke_quietly(token: str, token_type_hint: str) -> None:
    if token:
        _revoke(token, token_type_hint)


# --- Checking the connection ----------------------------------------------------------------------


def check_connection(*, actor: Membership, account: SocialAccount, request=None) -> CheckResult:
    """Ask the network who the portal is signed in as, and record the answer on the account."""
    _check_may_manage(actor, account)
    if account.network == Network.X and not account.credentials.get("access_token"):
        return CheckResult(ok=False, message=f"@{account.handle} is not connected to X yet. Use Connect to X first.")
    return run_check(
        actor=actor, account=account, request=request, connected=lambda user: f"Connected as @{user.handle}."
    )


# --- Health, for the account page ------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionHealth:
    network: str
    needs_connection: bool
    connected: bool = False
    username: str = ""
    auth_kind: str = ""
    expires_at: datetime | None = None
    renews_automatically: bool = False
    token_expired: bool = False
    missing_scopes: list[str] = field(default_factory=list)
    last_published_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_failure: str = ""
    status: str = ""
    status_label: str = ""
    last_error: str = ""
    tier: str = ""
    tier_abilities: list[TierAbility] = field(default_factory=list)
    oauth2_available: bool = False
    oauth1_available: bool = False

    @property
    def missing_scope_purposes(self) -> list[str]:
        return [f"{scope} ({_SCOPE_PURPOSES.get(scope, 'needed by the portal')})" for scope in self.missing_scopes]

    @property
    def needs_reconnect(self) -> bool:
        return self.needs_connection and (
            not self.connected or (self.token_expired and not self.renews_automatically) or bool(self.missing_scopes)
        )


def connection_health(account: SocialAccount) -> ConnectionHealth:
    published_at, failure_at, failure = publishing_history(account)
    common = {
        "network": account.network,
        "status": account.status,
        "status_label": account.get_status_display(),
        "last_error": account.last_error,
        "last_published_at": published_at,
        "last_failure_at": failure_at,
        "last_failure": failure,
    }
    if account.network != Network.X:
        return ConnectionHealth(needs_connection=False, connected=True, username=account.handle, **common)

    credentials = account.credentials or {}
    connected = bool(credentials.get("access_token"))
    oauth2 = credentials.get("auth", "oauth2") == "oauth2"
    expires_at = None
    if connected and oauth2 and credentials.get("expires_at"):
        expires_at = datetime.fromtimestamp(float(credentials["expires_at"]), tz=UTC)
    granted = set(credentials.get("scope", "").split())
    return ConnectionHealth(
        needs_connection=True,
        connected=connected,
        username=credentials.get("username", "") if connected else "",
        auth_kind=("OAuth 2.0 (Connect to X)" if oauth2 else "OAuth 1.0a tokens from the school's own X app")
        if connected
        else "",
        expires_at=expires_at,
        renews_automatically=connected and oauth2 and bool(credentials.get("refresh_token")),
        token_expired=expires_at is not None and expires_at <= timezone.now(),
        missing_scopes=[s for s in REQUIRED_SCOPES if s not in granted] if connected and oauth2 else [],
        tier=settings.X_API_TIER,
        tier_abilities=tier_abilities(settings.X_API_TIER),
        oauth2_available=oauth2_configured(),
        oauth1_available=oauth1_configured(),
        **common,
    )


def tier_abilities(tier: str) -> list[TierAbility]:
    """What the portal can do on X with the portal's API access (settings.X_API_TIER)."""
    tier = (tier or "free").lower()
    paid = tier in PAID_TIERS
    return [
        TierAbility(
            "Publishing posts with photos",
            True,
            "" if paid else "Within the free tier's small monthly allowance of posts.",
        ),
        TierAbility(
            "Reading followers and mentions",
            paid,
            "" if paid else "Needs paid access to X's API; review followers on X itself meanwhile.",
        ),
        TierAbility("Muting accounts", paid, "" if paid else "Needs paid access to X's API."),
        TierAbility(
            "Hiding replies",
            paid,
            "Only replies in conversations the school's account started."
            if paid
            else "Needs paid access to X's API; hide replies on X itself meanwhile.",
        ),
        TierAbility(
            "Blocking accounts",
            tier == "enterprise",
            ""
            if tier == "enterprise"
            else "X allows it only on its Enterprise tier: the portal records "
            "the block and shows you where to block on X yourself.",
        ),
        TierAbility(
            "Replying to any post",
            tier == "enterprise",
            ""
            if tier == "enterprise"
            else "X allows replies through its API only to posts whose author "
            "mentioned or quoted the school's account.",
        ),
    ]
