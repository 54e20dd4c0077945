"""From a network's name to its adapter class, imported on first use, so the portal starts (and
the local network works) without any one network's client library installed."""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING

from .base import Network, NetworkError

if TYPE_CHECKING:
    from accounts.models import SocialAccount

NETWORKS = {
    "local": "networks.local.adapter.LocalNetwork",
    "x": "networks.x.adapter.XNetwork",
    "bluesky": "networks.bluesky.adapter.BlueskyNetwork",
    "mastodon": "networks.mastodon.adapter.MastodonNetwork",
}

# How "not set up" messages name a network.
_NAMES = {"local": "the local network", "x": "X", "bluesky": "Bluesky", "mastodon": "Mastodon"}


@cache
def network_class(name: str) -> type[Network]:
    try:
        dotted_path = NETWORKS[name]
    except KeyError:
        raise NetworkError(f"The network “{name}” is not known to this portal.", permanent=True) from None
    module_path, class_name = dotted_path.rsplit(".", 1)
    try:
        module = importlib.import_module(module_path)
    except ModuleNotFoundError as exc:
        # Only the adapter's own module being absent means "not set up"; a library the adapter
        # imports being absent is an installation fault and should fail loudly.
        if exc.name != module_path:
            raise
        raise NetworkError(
            f"Publishing to {_NAMES.get(name, name)} is not set up yet on this portal.", permanent=True
        ) from exc
    return getattr(module, class_name)


def get_network(account: SocialAccount) -> Network:
    """The adapter for a school's account; NetworkError (permanent) when its network is unusable here."""
    return network_class(account.network)(account)
