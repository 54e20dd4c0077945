"""What each network lets the portal do about the school's audience, worded in one place.

The audience pages and the mentions inbox offer an action only where the account's network
allows it (`Network.capabilities_for(account)`, per account); where it does not, they say so
plainly and say what the admin can do by hand on the network instead. The services ask the
same question before calling out, so a page and a service never disagree.

Each explanation is one sentence or two: a generic one per action, replaced where a network has
something specific to say (X's API tiers, Mastodon's lack of hidden replies, Bluesky's lack of
a "remove follower").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.utils.text import capfirst

from accounts.models import SocialAccount
from networks import registry
from networks.base import Capabilities, Network, NetworkError


class Action(StrEnum):
    READ_FOLLOWERS = "read_followers"
    READ_MENTIONS = "read_mentions"
    MUTE = "mute"
    BLOCK = "block"
    REPORT = "report"
    REMOVE_FOLLOWER = "remove_follower"
    HIDE_REPLY = "hide_reply"
    LIMIT_REPLIES = "limit_replies"


# The panel's rows, in order: what the row is about, and how a refusal starts.
_WHAT = {
    Action.READ_FOLLOWERS: ("Read the followers", "Reading the follower list"),
    Action.READ_MENTIONS: ("Read mentions and replies", "Reading mentions and replies"),
    Action.MUTE: ("Mute an account", "Muting accounts"),
    Action.BLOCK: ("Block an account", "Blocking accounts through the portal"),
    Action.REPORT: ("Report an account to moderators", "Reporting accounts to moderators"),
    Action.REMOVE_FOLLOWER: ("Remove a follower", "Removing followers"),
    Action.HIDE_REPLY: ("Hide a reply", "Hiding replies"),
    Action.LIMIT_REPLIES: ("Limit who may reply", "Limiting who may reply"),
}

# When the network allows it: what happens. `{network}` is the network's name.
_YES = {
    Action.READ_FOLLOWERS: "The portal reads new followers every 15 minutes for you to review.",
    Action.READ_MENTIONS: "The portal reads mentions and replies into the inbox every few minutes.",
    Action.MUTE: "Their posts stop reaching the account's timeline; the inbox still shows their mentions.",
    Action.BLOCK: "Blocked on {network} itself: they can no longer follow the account or reply to it.",
    Action.REPORT: "Sent to {network}'s moderators with your reason, and with their post when you report "
    "from the inbox.",
    Action.REMOVE_FOLLOWER: "They stop following the account. They can follow it again unless you block them.",
    Action.HIDE_REPLY: "Only replies in conversations the school's account started.",
    Action.LIMIT_REPLIES: "From a reply in the inbox, for the conversation the school's post started.",
}

# When it does not: what to do by hand instead.
_BY_HAND = {
    Action.READ_FOLLOWERS: "Check the account's followers on {network} itself.",
    Action.READ_MENTIONS: "Check the account's notifications on {network} itself.",
    Action.MUTE: "Mute them on {network} itself, from their profile.",
    Action.BLOCK: "The portal mutes them where it can, records the block and links to their profile, "
    "so you can block them there and then confirm it here.",
    Action.REPORT: "Report them on {network} itself, from their profile or their post, then record here that you did.",
    Action.REMOVE_FOLLOWER: "Block them instead, or remove them from the account's followers on {network} itself.",
    Action.HIDE_REPLY: "Hide the reply on {network} itself, or block or report its author.",
    Action.LIMIT_REPLIES: "Change who may reply on {network} itself, from the school's post.",
}

# What a network has to say in its own words, replacing the generic sentence above.
_NETWORK_YES = {
    "mastodon": {
        Action.REPORT: "Sent to the moderators of the account's Mastodon server with your reason, and with "
        "their post when you report from the inbox.",
    },
    "local": {
        Action.REPORT: "Kept by the local network as a report. Nobody moderates it: it shows how reporting works.",
    },
}
_NETWORK_BY_HAND = {
    "x": {
        Action.READ_FOLLOWERS: "X lets apps read followers only with paid API access (this portal's X app is on "
        "the {tier} tier). Check the account's followers on x.com meanwhile.",
        Action.READ_MENTIONS: "X lets apps read mentions only with paid API access (this portal's X app is on "
        "the {tier} tier). Check the account's notifications on x.com meanwhile.",
        Action.MUTE: "Open their profile on x.com, press ··· and choose Mute.",
        Action.BLOCK: "X lets apps block only on its Enterprise tier (this portal's X app is on the {tier} "
        "tier). The portal mutes them, records the block and links to their profile on x.com, so you can "
        "block them there and then confirm it here.",
        Action.REPORT: "X does not let apps report accounts. Open their post or profile on x.com, press ··· "
        "and choose Report, then record here that you did.",
        Action.REMOVE_FOLLOWER: "X does not let apps remove a follower. Block them, or on x.com open the "
        "account's followers, press ··· beside them and choose Remove this follower.",
        Action.HIDE_REPLY: "Open the reply on x.com, press ··· and choose Hide reply.",
        Action.LIMIT_REPLIES: "Open the school's post on x.com, press ··· and choose Change who can reply.",
    },
    "bluesky": {
        Action.REMOVE_FOLLOWER: "Bluesky has no way to remove a follower other than blocking them: block them instead.",
        Action.MUTE: "Open their profile on bsky.app, press ··· and choose Mute account.",
        Action.REPORT: "Open their post or profile on bsky.app, press ··· and choose Report, then record here "
        "that you did.",
    },
    "mastodon": {
        Action.HIDE_REPLY: "Mastodon has no hidden replies. Block or report the author instead, or ask them to "
        "delete the reply.",
        Action.LIMIT_REPLIES: "Mastodon does not let anyone limit who may reply to a post. Block or report "
        "authors who reply badly, or take the school's post down if the replies get out of hand.",
        Action.MUTE: "Open their profile on the account's Mastodon server, press ⋯ and choose Mute.",
    },
}


@dataclass(frozen=True)
class Ability:
    kind: Action
    what: str
    allowed: bool
    # One line for the panel: what happens, or what the network cannot do and what to do instead.
    explanation: str


@dataclass(frozen=True)
class NetworkAbilities:
    """What one account's network lets the portal do; `abilities["mute"].allowed` and so on."""

    network: str
    label: str
    abilities: dict[str, Ability]

    @property
    def title(self) -> str:
        return f"What {self.label} lets the portal do"

    @property
    def name(self) -> str:
        """The network's name at the start of a sentence."""
        return capfirst(self.label)

    @property
    def rows(self) -> list[Ability]:
        return list(self.abilities.values())

    def refusal(self, act: Action) -> str | None:
        """None when the action is allowed; otherwise the plain explanation to show instead."""
        ability = self.abilities[act]
        return None if ability.allowed else ability.explanation


def _allowed(act: Action, network: str, cls: type[Network], caps: Capabilities) -> bool:
    if act == Action.READ_MENTIONS:
        # Capabilities have no flag for mentions: an adapter that reads them overrides the base
        # class. X reads them only on the paid tiers that also read followers.
        implemented = cls.mentions is not Network.mentions
        return implemented and (network != "x" or caps.supports_follower_list)
    return {
        Action.READ_FOLLOWERS: caps.supports_follower_list,
        Action.MUTE: caps.supports_mute,
        Action.BLOCK: caps.supports_block,
        Action.REPORT: caps.supports_report,
        Action.REMOVE_FOLLOWER: caps.supports_remove_follower,
        Action.HIDE_REPLY: caps.supports_hide_reply,
        Action.LIMIT_REPLIES: caps.supports_reply_controls,
    }[act]


def _explain(act: Action, network: str, label: str, allowed: bool) -> str:
    words = {"network": label, "tier": settings.X_API_TIER}
    if allowed:
        return _NETWORK_YES.get(network, {}).get(act, _YES[act]).format(**words)
    not_available = f"{_WHAT[act][1]} is not available on {label}."
    return f"{not_available} {_NETWORK_BY_HAND.get(network, {}).get(act, _BY_HAND[act]).format(**words)}"


def abilities_for(account: SocialAccount) -> NetworkAbilities:
    """What the account's network lets the portal do, each with its one-line explanation. A
    network that is not set up on this portal allows nothing, and says why."""
    try:
        cls = registry.network_class(account.network)
    except NetworkError as error:
        label = account.get_network_display()
        abilities = {act: Ability(act, _WHAT[act][0], False, error.message) for act in Action}
        return NetworkAbilities(account.network, label, abilities)
    caps = cls.capabilities_for(account)
    abilities = {}
    for act in Action:
        allowed = _allowed(act, account.network, cls, caps)
        abilities[act] = Ability(act, _WHAT[act][0], allowed, _explain(act, account.network, cls.label, allowed))
    return NetworkAbilities(account.network, cls.label, abilities)


def refusal(account: SocialAccount, act: Action) -> str | None:
    """None when the account's network allows the action; otherwise what to tell the admin."""
    return abilities_for(account).refusal(act)


def panels(accounts: Iterable[SocialAccount]) -> list[NetworkAbilities]:
    """One "What <network> lets the portal do" panel per network among the accounts, in the
    order the networks first appear (a Mastodon account's panel speaks for its server)."""
    seen: dict[str, NetworkAbilities] = {}
    for account in accounts:
        if account.network not in seen:
            seen[account.network] = abilities_for(account)
    return list(seen.values())
