"""Each network's published limits, kept in one place, and the limits for one account.

The compose page's counter, the preview and the rules engine ask `capabilities_for(account)`.
It asks the account's adapter first (an adapter knows its network best, and a Mastodon
adapter reads its server's own limits); where a network's adapter is not installed on this
portal, the table below still lets a teacher write for that network with the right counter.
The adapters may build their own `capabilities` from `DEFAULT_CAPABILITIES`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from .base import Capabilities, LengthRule, NetworkError
from .registry import network_class

if TYPE_CHECKING:
    from accounts.models import SocialAccount

_X = Capabilities(
    max_length=280,
    length_rule=LengthRule.X_WEIGHTED,
    max_images=4,
    max_image_bytes=5 * 1024 * 1024,
    alt_text_limit=1000,
    shows_link_previews=True,
)

DEFAULT_CAPABILITIES: dict[str, Capabilities] = {
    "x": _X,
    # The built-in network keeps X's limits, so what works there works on X.
    "local": _X,
    # Bluesky's post record: 300 graphemes; an image blob up to 1,000,000 bytes; links count in full.
    "bluesky": Capabilities(
        max_length=300,
        length_rule=LengthRule.GRAPHEMES,
        max_text_bytes=3000,
        max_images=4,
        max_image_bytes=1_000_000,
        alt_text_limit=2000,
        supports_block=True,
        supports_mute=True,
        supports_hide_reply=True,
        supports_reply_controls=True,
        supports_follower_list=True,
        shows_link_previews=True,
        image_formats=("jpeg", "png", "webp"),
    ),
    # Mastodon's defaults; each server may set its own (see `MASTODON_SERVER_KEYS`).
    "mastodon": Capabilities(
        max_length=500,
        length_rule=LengthRule.MASTODON,
        max_images=4,
        max_image_bytes=16 * 1024 * 1024,
        alt_text_limit=1500,
        url_length=23,
        supports_block=True,
        supports_mute=True,
        supports_report=True,
        supports_remove_follower=True,
        supports_follower_list=True,
        shows_link_previews=True,
        image_formats=("jpeg", "png", "webp", "gif"),
    ),
}

# Where a Mastodon server's own limits are kept in `SocialAccount.network_settings` (the names
# of its instance API's `configuration.statuses` and `media_attachments` fields), and the
# capability each one sets.
MASTODON_SERVER_KEYS = {
    "max_characters": "max_length",
    "characters_reserved_per_url": "url_length",
    "max_media_attachments": "max_images",
    "image_size_limit": "max_image_bytes",
}
# The server's address ("mastodon.example"), for showing a handle as @name@server.
MASTODON_SERVER = "server"

# How the counter and the preview name each network: short, as people say it.
SHORT_NAMES = {"x": "X", "local": "Local", "bluesky": "Bluesky", "mastodon": "Mastodon"}


def short_name(network: str) -> str:
    return SHORT_NAMES.get(network, network.title())


def with_server_settings(capabilities: Capabilities, network_settings: dict | None) -> Capabilities:
    """`capabilities` with the limits a Mastodon server told us about (positive whole numbers only)."""
    changes = {}
    for key, field in MASTODON_SERVER_KEYS.items():
        value = (network_settings or {}).get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            changes[field] = value
    return replace(capabilities, **changes) if changes else capabilities


def default_capabilities_for(account: SocialAccount) -> Capabilities:
    """From the table: the network's published limits, and a Mastodon server's own."""
    capabilities = DEFAULT_CAPABILITIES.get(account.network, _X)
    if account.network == "mastodon":
        capabilities = with_server_settings(capabilities, account.network_settings)
    return capabilities


def capabilities_for(account: SocialAccount) -> Capabilities:
    """What the account's network allows for it: its adapter's answer, or the table's."""
    try:
        adapter = network_class(account.network)
    except NetworkError:
        return default_capabilities_for(account)
    except ModuleNotFoundError as exc:
        # The network's own package is not on this portal yet (the registry names it ahead of
        # its adapter): its published limits still count. Any other missing module is a fault.
        if not (exc.name or "").startswith(f"networks.{account.network}"):
            raise
        return default_capabilities_for(account)
    return adapter.capabilities_for(account)


def shown_handle(account: SocialAccount) -> str:
    """The account's handle as people see it on its network: "@name@server" on Mastodon."""
    handle = account.handle.lstrip("@")
    if account.network == "mastodon" and "@" not in handle:
        server = str((account.network_settings or {}).get(MASTODON_SERVER, "")).strip()
        server = server.removeprefix("https://").removeprefix("http://").strip("/")
        if server:
            return f"@{handle}@{server}"
    return f"@{handle}"
