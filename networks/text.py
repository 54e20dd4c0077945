"""How each network counts a post's length, by the name in `Capabilities.length_rule`.

One function for every caller (the rules engine, the live counter on the compose page, the
preview, the adapters' own checks), so a post the portal says fits is a post the network takes.
"""

from __future__ import annotations

import regex

from .base import Capabilities, LengthRule
from .x.tweet_text import weighted_length

# A link as Mastodon finds it in a status: a scheme and what follows up to white space.
_MASTODON_URL = regex.compile(r"https?://[^\s<>\"]+", regex.IGNORECASE)
# A mention of someone on another server: "@name@server.example" counts as "@name".
_MASTODON_REMOTE_MENTION = regex.compile(r"(?<![\w/@])(@[\w.]+)@[\w.-]+\.[a-z][\w-]*", regex.IGNORECASE)
_GRAPHEME = regex.compile(r"\X")


def grapheme_count(text: str) -> int:
    """What a reader sees as characters: "👩‍👩‍👧" and "é" written as e + accent are one each."""
    return len(_GRAPHEME.findall(text))


def mastodon_length(text: str, *, url_length: int = 23) -> int:
    """Mastodon's count: characters, each link as `url_length`, a remote mention as its @name."""
    text = _MASTODON_REMOTE_MENTION.sub(lambda match: match.group(1), text)
    links = _MASTODON_URL.findall(text)
    return len(_MASTODON_URL.sub("", text)) + url_length * len(links)


def mastodon_link_spans(text: str) -> list[tuple[int, int]]:
    """Where Mastodon sees links (the ones it counts at a fixed length): (start, end) pairs."""
    return [match.span() for match in _MASTODON_URL.finditer(text)]


def count(text: str, rule: str, *, url_length: int = 23) -> int:
    """The length of `text` under a network's rule (a `LengthRule` value)."""
    if rule == LengthRule.X_WEIGHTED:
        return weighted_length(text)
    if rule == LengthRule.GRAPHEMES:
        return grapheme_count(text)
    if rule == LengthRule.MASTODON:
        return mastodon_length(text, url_length=url_length)
    return len(text)


def unit(rule: str) -> str:
    """How a message names what was counted: "The post is 312 characters as X counts them"."""
    return {
        LengthRule.X_WEIGHTED: "characters as X counts them",
        LengthRule.GRAPHEMES: "characters as Bluesky counts them",
        LengthRule.MASTODON: "characters as Mastodon counts them",
    }.get(rule, "characters")


def length_of(text: str, capabilities: Capabilities) -> int:
    return count(text, capabilities.length_rule, url_length=capabilities.url_length)


def bytes_over(text: str, capabilities: Capabilities) -> int:
    """How many UTF-8 bytes the text is over the network's byte cap (0 when within it or uncapped).
    Bluesky's 300 characters can still be too big: a family emoji is one character but 18 bytes."""
    if capabilities.max_text_bytes is None:
        return 0
    return max(0, len(text.encode("utf-8")) - capabilities.max_text_bytes)


def bytes_message(text: str, capabilities: Capabilities) -> str:
    """Why the text is too big for the network's byte cap, or "" when it is not."""
    if not bytes_over(text, capabilities):
        return ""
    size = len(text.encode("utf-8"))
    return (
        f"The post takes {size:,} bytes and the network allows {capabilities.max_text_bytes:,}: an emoji counts as one "
        "character but takes 4 bytes or more (a family emoji takes 18). Use fewer emoji or shorten it."
    )
