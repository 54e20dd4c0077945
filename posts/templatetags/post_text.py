"""How a post's text looks on the network, for previews: links, #hashtags and @mentions
picked out as each network picks them out, line breaks kept, everything else escaped."""

import re

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from networks.limits import short_name, shown_handle
from networks.text import mastodon_link_spans
from networks.x.tweet_text import url_spans

register = template.Library()

# As X picks them out: a hashtag needs a letter (#2027 is not one); a handle is up to 15 word characters.
_HASHTAG = re.compile(r"(?<![\w&#＃])[#＃]\w*[^\W\d_]\w*")
_MENTION = re.compile(r"(?<![\w@＠!#$%&*])[@＠]\w{1,15}(?!\w)")
_SHOWN_URL_LENGTH = 25


def _shown_url(url: str) -> str:
    """A link as X displays it: without the scheme or "www.", shortened."""
    shown = re.sub(r"^(?:https?://)?(?:www\.)?", "", url, flags=re.IGNORECASE)
    return shown if len(shown) <= _SHOWN_URL_LENGTH else shown[: _SHOWN_URL_LENGTH - 1] + "…"


# Mastodon: "@name" or "@name@server"; Bluesky: a handle is a domain name ("@school.bsky.social").
_MASTODON_MENTION = re.compile(r"(?<![\w@/])@\w+(?:@[\w-]+(?:\.[\w-]+)+)?", re.IGNORECASE)
_BLUESKY_MENTION = re.compile(r"(?<![\w@])@[a-z0-9-]+(?:\.[a-z0-9-]+)+", re.IGNORECASE)
# How much of a link the network shows before "…": Mastodon hides the scheme and "www." and
# shows 30 characters; Bluesky shows the link as it is written.
_MASTODON_SHOWN_URL_LENGTH = 30


def _shown_as_written(url: str) -> str:
    return url


def _shown_on_mastodon(url: str) -> str:
    shown = re.sub(r"^https?://(?:www\.)?", "", url, flags=re.IGNORECASE)
    return shown if len(shown) <= _MASTODON_SHOWN_URL_LENGTH else shown[:_MASTODON_SHOWN_URL_LENGTH] + "…"


# Per network: where its links are, how it shows a link, and how it finds a mention.
_NETWORK_STYLES = {
    "x": (url_spans, _shown_url, _MENTION),
    "local": (url_spans, _shown_url, _MENTION),
    "bluesky": (url_spans, _shown_as_written, _BLUESKY_MENTION),
    "mastodon": (mastodon_link_spans, _shown_on_mastodon, _MASTODON_MENTION),
}


def _as_posted(text: str, network: str) -> SafeString:
    find_links, shown, mention = _NETWORK_STYLES.get(network, _NETWORK_STYLES["x"])
    text = (text or "").replace("\r\n", "\n")
    # Links are the spans the network counts as links (networks.text), so preview and length agree.
    entities = [(start, end, "link") for start, end in find_links(text)]
    for pattern, kind in ((_HASHTAG, "hashtag"), (mention, "mention")):
        for match in pattern.finditer(text):
            if not any(start < match.end() and match.start() < end for start, end, _ in entities):
                entities.append((match.start(), match.end(), kind))
    pieces = []
    position = 0
    for start, end, kind in sorted(entities):
        pieces.append(escape(text[position:start]))
        written = text[start:end]
        if kind == "link":
            href = written if re.match(r"https?://", written, re.IGNORECASE) else f"https://{written}"
            pieces.append(
                format_html(
                    '<a class="pv-entity" href="{}" title="{}" target="_blank" rel="noopener noreferrer">{}</a>',
                    href,
                    written,
                    shown(written),
                )
            )
        else:
            pieces.append(format_html('<span class="pv-entity pv-{}">{}</span>', kind, written))
        position = end
    pieces.append(escape(text[position:]))
    return mark_safe("".join(pieces).replace("\n", "<br>"))  # noqa: S308 - every piece is escaped above


@register.filter
def as_posted(text: str) -> SafeString:
    """As X shows it."""
    return _as_posted(text, "x")


@register.filter
def as_posted_on(text: str, account) -> SafeString:
    """As the account's network shows it: its links, mentions and hashtags."""
    return _as_posted(text, getattr(account, "network", "x"))


@register.filter
def handle_on_network(account) -> str:
    """ "@name@server" on Mastodon, "@school.bsky.social" on Bluesky, "@name" on X."""
    return shown_handle(account)


@register.filter
def network_name(account) -> str:
    return short_name(account.network)
