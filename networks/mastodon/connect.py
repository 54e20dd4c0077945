"""Connecting a school's Mastodon account: the admin names the server, the portal registers itself
there once (kept in MastodonApp for every school on that server), the admin signs in on the
server and approves the portal, and the server sends them back with a code the portal exchanges
for an access token (OAuth 2.0 authorization code, as docs.joinmastodon.org/client/authorized/).

Tokens are only ever in the encrypted `SocialAccount.credentials`; nothing here logs them,
audits them or hands them to a template. Calls to the server happen outside any transaction.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError, MastodonError, MastodonNetworkError, MastodonUnauthorizedError

from accounts.models import Membership, Network, SocialAccount
from audit.services import record
from networks.base import NetworkUser
from networks.connections import Ability, CheckResult, run_check
from networks.connections import check_may_manage as _check_may_manage

from .adapter import capabilities_from, client, read_instance, server_limits
from .models import MastodonApp
from .servers import ServerAddressError, check_server_reachable_safely, normalise_server, server_domain

# The least the portal needs, by Mastodon's granular scope names (docs.joinmastodon.org/api/oauth-scopes/).
REQUIRED_SCOPES = (
    "read:accounts",
    "read:statuses",
    "read:notifications",
    "write:statuses",
    "write:media",
    "write:mutes",
    "write:blocks",
    "write:reports",
    "write:follows",
    # Reposts (issue 18): a post on another server is found through the account's server's search.
    "read:search",
)

_SCOPE_PURPOSES = {
    "read:accounts": "see who it is signed in as and read its followers",
    "read:statuses": "read its own posts",
    "read:notifications": "read its mentions",
    "write:statuses": "publish and delete posts",
    "write:media": "attach photos",
    "write:mutes": "mute accounts",
    "write:blocks": "block accounts",
    "write:reports": "report accounts to the server's moderators",
    "write:follows": "follow accounts and remove followers",
    "read:search": "find a post on another server to repost it",
}


class MastodonConnectError(Exception):
    """A connection step that did not work, with a message the admin can act on."""


def _check_is_mastodon(account: SocialAccount) -> None:
    if account.network != Network.MASTODON:
        raise MastodonConnectError(
            f"@{account.handle} is on {account.get_network_display()}, which needs no connection to Mastodon."
        )


def _host(base_url: str) -> str:
    return server_domain(base_url)


def _unreachable(base_url: str, exc: Exception) -> MastodonConnectError:
    return MastodonConnectError(
        f"The portal could not reach {_host(base_url)}. Check the server's address; if it is right, the server "
        "may be down: try again later."
    )


def _not_mastodon(base_url: str) -> MastodonConnectError:
    return MastodonConnectError(
        f"{_host(base_url)} answered, but not as a Mastodon server does. Check the address of the school's "
        "Mastodon server (it is the part after the second @ in the account's handle)."
    )


# --- Starting: the server and the portal's app on it ---------------------------------------------


def read_server(server_address: str) -> tuple[str, dict]:
    """The server's base URL and its limits, from what the admin typed; MastodonConnectError when
    the address is refused, does not answer, or is not a Mastodon server."""
    try:
        base_url = normalise_server(server_address)
        check_server_reachable_safely(base_url)
    except ServerAddressError as exc:
        raise MastodonConnectError(str(exc)) from exc
    api = client(base_url)
    try:
        instance = read_instance(api)
    except MastodonNetworkError as exc:
        raise _unreachable(base_url, exc) from exc
    except MastodonError as exc:
        raise _not_mastodon(base_url) from exc
    limits = server_limits(instance)
    if not isinstance(instance, dict) or "configuration" not in instance:
        raise _not_mastodon(base_url)
    return base_url, limits


def _app_for(base_url: str, redirect_uri: str) -> MastodonApp:
    """The portal's registration on this server, registering it the first time."""
    scopes = " ".join(REQUIRED_SCOPES)
    existing = MastodonApp.objects.filter(server=base_url, redirect_uri=redirect_uri, scopes=scopes).first()
    if existing is not None:
        return existing
    try:
        client_id, client_secret = Mastodon.create_app(
            settings.MASTODON_APP_NAME,
            scopes=list(REQUIRED_SCOPES),
            redirect_uris=redirect_uri,
            website=settings.SITE_URL,
            api_base_url=base_url,
            request_timeout=settings.MASTODON_TIMEOUT_SECONDS,
            session=client(base_url).session,
            user_agent=settings.MASTODON_APP_NAME,
        )
    except MastodonNetworkError as exc:
        # Mastodon.py reports an answer it cannot read the same way as no answer.
        raise MastodonConnectError(
            f"{_host(base_url)} did not let the portal register itself there (or did not answer). Some servers "
            "close registration to new apps; try again later, or ask the server's administrators."
        ) from exc
    except (KeyError, TypeError) as exc:
        raise MastodonConnectError(
            f"{_host(base_url)} refused to register the portal as an app. Try again later, or ask the server's "
            "administrators whether they allow apps."
        ) from exc
    app = MastodonApp(server=base_url, redirect_uri=redirect_uri, scopes=scopes, client_id=client_id)
    app.client_secret = client_secret
    try:
        with transaction.atomic():
            app.save()
    except IntegrityError:
        # Another admin registered the portal on the same server at the same moment: use theirs.
        return MastodonApp.objects.get(server=base_url, redirect_uri=redirect_uri, scopes=scopes)
    return app


def start_connection(
    *, actor: Membership, account: SocialAccount, server_address: str, redirect_uri: str
) -> tuple[str, str, str]:
    """Where to send the admin to approve the portal on their server, the state the callback must
    present, and the server's base URL (both kept server-side, in the session)."""
    _check_may_manage(actor, account)
    _check_is_mastodon(account)
    base_url, _limits = read_server(server_address)
    app = _app_for(base_url, redirect_uri)
    state = secrets.token_urlsafe(32)
    api = client(base_url, client_id=app.client_id, client_secret=app.client_secret)
    try:
        url = api.auth_request_url(
            redirect_uris=redirect_uri,
            scopes=list(REQUIRED_SCOPES),
            state=state,
            force_login=True,
            allow_http=settings.MASTODON_ALLOW_PRIVATE_SERVERS,
        )
    except MastodonError as exc:
        raise _not_mastodon(base_url) from exc
    return url, state, base_url


# --- Finishing: the code, the token, and whose account it is -------------------------------------


def finish_connection(
    *, actor: Membership, account: SocialAccount, server: str, code: str, redirect_uri: str, request=None
) -> SocialAccount:
    _check_may_manage(actor, account)
    _check_is_mastodon(account)
    app = MastodonApp.objects.filter(server=server, redirect_uri=redirect_uri, scopes=" ".join(REQUIRED_SCOPES)).first()
    if app is None:
        raise MastodonConnectError("The portal's registration on that server is missing. Start connecting again.")
    api = client(server, client_id=app.client_id, client_secret=app.client_secret)
    try:
        access_token = api.log_in(
            code=code,
            redirect_uri=redirect_uri,
            scopes=list(REQUIRED_SCOPES),
            allow_http=settings.MASTODON_ALLOW_PRIVATE_SERVERS,
        )
    except MastodonAPIError as exc:
        raise MastodonConnectError(
            f"{_host(server)} did not give the portal every permission it needs ({exc.args[0] if exc.args else ''}). "
            "Connect again and approve everything on the server's page."
        ) from exc
    except (MastodonError, ValueError) as exc:
        raise MastodonConnectError(
            f"{_host(server)} did not accept the sign-in (the approval may have expired or been used already). "
            "Start connecting again."
        ) from exc
    try:
        me = api.account_verify_credentials()
        instance = read_instance(api)
    except MastodonError as exc:
        _revoke_quietly(api)
        raise MastodonConnectError(
            f"{_host(server)} would not say which account approved the portal. Try again in a few minutes."
        ) from exc
    try:
        _check_same_account(account, me, server)
    except MastodonConnectError:
        _revoke_quietly(api)
        raise
    credentials = {"access_token": access_token, "scope": " ".join(REQUIRED_SCOPES)}
    facts = {
        **server_limits(instance),
        "server": server,
        "domain": _host(server),
        "account_id": str(me["id"]),
        "username": str(me["username"]),
    }
    return _store_connection(actor=actor, account=account, credentials=credentials, facts=facts, request=request)


def _check_same_account(account: SocialAccount, me, server: str) -> None:
    """Refuse a different account: an admin signed in as themselves would otherwise connect their
    own account, and the school's posts would go out under their name."""
    wanted_name, _, wanted_domain = account.handle.lstrip("@").partition("@")
    got = f"@{me['username']}@{_host(server)}"
    if me["username"].lower() != wanted_name.lower() or (wanted_domain and wanted_domain.lower() != _host(server)):
        raise MastodonConnectError(
            f"You approved the portal as {got}, but this account is @{account.handle}. Nothing was connected. "
            f"Sign out on {_host(server)}, sign in as the school's account and try again (or correct the "
            "account's handle here first)."
        )


def _store_connection(
    *, actor: Membership, account: SocialAccount, credentials: dict, facts: dict, request=None
) -> SocialAccount:
    with transaction.atomic():
        account = SocialAccount.objects.select_for_update().get(pk=account.pk)
        account.credentials = credentials
        account.network_settings = facts
        account.status = SocialAccount.Status.ACTIVE
        account.last_error = ""
        account.save(update_fields=["credentials", "network_settings", "status", "last_error"])
        record(
            action="social_account.connected",
            actor=actor.user,
            school=actor.school,
            target=account,
            data={
                "network": account.network,
                "server": facts["server"],
                "username": facts["username"],
                "scopes": credentials["scope"].split(),
            },
            request=request,
        )
    return account


def record_connection_declined(*, actor: Membership, account: SocialAccount, error: str, request=None) -> None:
    _check_may_manage(actor, account)
    record(
        action="social_account.connect_declined",
        actor=actor.user,
        school=actor.school,
        target=account,
        data={"network": account.network, "error": error[:100]},
        request=request,
    )


def _revoke_quietly(api: Mastodon) -> None:
    with contextlib.suppress(MastodonError, ValueError):
        api.revoke_access_token(allow_http=settings.MASTODON_ALLOW_PRIVATE_SERVERS)


# --- Disconnecting --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DisconnectResult:
    revoked: bool
    problem: str = ""


def disconnect(*, actor: Membership, account: SocialAccount, request=None) -> DisconnectResult:
    """Ask the server to cancel the token (best effort), then forget it whatever the server said.
    The server's address is kept, so connecting again starts from it."""
    _check_may_manage(actor, account)
    _check_is_mastodon(account)
    account = SocialAccount.objects.get(pk=account.pk)
    credentials = account.credentials or {}
    server = (account.network_settings or {}).get("server", "")
    result = _revoke_at_server(server, credentials)
    with transaction.atomic():
        account = SocialAccount.objects.select_for_update().get(pk=account.pk)
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
                "server": server,
                "revoked_at_server": result.revoked,
                "revoke_problem": result.problem,
            },
            request=request,
        )
    return result


def _revoke_at_server(server: str, credentials: dict) -> DisconnectResult:
    if not credentials.get("access_token") or not server:
        return DisconnectResult(revoked=True)
    app = MastodonApp.objects.filter(server=server).order_by("-created_at").first()
    if app is None:
        return DisconnectResult(
            revoked=False,
            problem=(
                f"The portal has forgotten this account's access, but could not ask {_host(server)} to cancel it. "
                f"To be sure, remove the portal under Preferences → Account → Authorised apps on {_host(server)}."
            ),
        )
    api = client(
        server, access_token=credentials["access_token"], client_id=app.client_id, client_secret=app.client_secret
    )
    try:
        api.revoke_access_token(allow_http=settings.MASTODON_ALLOW_PRIVATE_SERVERS)
    except MastodonUnauthorizedError:
        return DisconnectResult(revoked=True)  # already cancelled at the server
    except (MastodonError, ValueError):
        return DisconnectResult(
            revoked=False,
            problem=(
                f"The portal has forgotten this account's access, but {_host(server)} could not be told to cancel "
                f"it. To be sure, remove the portal under Preferences → Account → Authorised apps on {_host(server)}."
            ),
        )
    return DisconnectResult(revoked=True)


# --- Checking ------------------------------------------------------------------------------------


def check_connection(*, actor: Membership, account: SocialAccount, request=None) -> CheckResult:
    """Ask the server who the portal is signed in as (and read its limits again); record the answer."""
    _check_may_manage(actor, account)
    _check_is_mastodon(account)
    if not (account.credentials or {}).get("access_token"):
        return CheckResult(ok=False, message=f"@{account.handle} is not connected to Mastodon yet. Connect it first.")

    def connected(user: NetworkUser) -> str:
        # The check read the server's limits again, into the account's network settings.
        domain = (account.network_settings or {}).get("domain", "")
        return f"Connected as @{user.handle}@{domain}. The server's limits were read again."

    return run_check(actor=actor, account=account, request=request, connected=connected)


# --- Health, for the account page -------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionHealth:
    connected: bool
    server: str = ""
    domain: str = ""
    username: str = ""
    status: str = ""
    status_label: str = ""
    last_error: str = ""
    max_characters: int = 500
    max_images: int = 4
    max_image_mb: float = 16
    description_limit: int = 1500
    server_version: str = ""
    missing_scopes: list[str] = field(default_factory=list)
    abilities: list[Ability] = field(default_factory=list)
    last_checked: datetime | None = None

    @property
    def missing_scope_purposes(self) -> list[str]:
        return [f"{scope} ({_SCOPE_PURPOSES.get(scope, 'needed by the portal')})" for scope in self.missing_scopes]


def connection_health(account: SocialAccount) -> ConnectionHealth:
    facts = account.network_settings or {}
    credentials = account.credentials or {}
    limits = capabilities_from(facts)
    connected = bool(credentials.get("access_token"))
    granted = set(credentials.get("scope", "").split())
    return ConnectionHealth(
        connected=connected,
        server=facts.get("server", ""),
        domain=facts.get("domain", ""),
        username=facts.get("username", "") if connected else "",
        status=account.status,
        status_label=account.get_status_display(),
        last_error=account.last_error,
        max_characters=limits.max_length,
        max_images=limits.max_images,
        max_image_mb=round(limits.max_image_bytes / 1_048_576, 1),
        description_limit=limits.alt_text_limit,
        server_version=facts.get("version", ""),
        missing_scopes=[s for s in REQUIRED_SCOPES if s not in granted] if connected else [],
        abilities=ABILITIES,
    )


ABILITIES = [
    Ability("Publishing posts with photos and their descriptions", True, "Public posts, within the server's limits."),
    Ability("Deleting a post when it is taken down", True),
    Ability("Reading followers and mentions", True),
    Ability("Muting and blocking accounts", True),
    Ability("Reporting an account to the server's moderators", True, "Also sent to the other person's server."),
    Ability("Removing a follower", True),
    Ability("Hiding replies", False, "Mastodon has no hidden replies: mute, block or report instead."),
    Ability(
        "Limiting who may reply",
        False,
        "Mastodon's API has no reply controls; the school can limit replies only by muting or blocking.",
    ),
    Ability("Quoting another post", False, "Put a link to the other post in the text instead."),
]
