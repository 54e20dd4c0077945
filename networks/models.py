# Django looks for an app's models in its `models` module: each network that stores rows keeps
# them in its own package, named here so Django finds them.
from networks.local.models import (
    LocalNetworkFollow,
    LocalNetworkMedia,
    LocalNetworkMention,
    LocalNetworkPost,
    LocalNetworkRelation,
    LocalNetworkReport,
    LocalNetworkUser,
)
from networks.mastodon.models import MastodonApp

__all__ = [
    "LocalNetworkFollow",
    "LocalNetworkMedia",
    "LocalNetworkMention",
    "LocalNetworkPost",
    "LocalNetworkRelation",
    "LocalNetworkReport",
    "LocalNetworkUser",
    "MastodonApp",
]
