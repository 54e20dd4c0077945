"""How a post's text looks on the network, for previews: links, #hashtags and @mentions
picked out, line breaks kept, everything else escaped."""

import re

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

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


@register.filter
def as_posted(text: str) -> SafeString:
    text = (text or "").replace("\r\n", "\n")
    # Links are the spans X counts as links (posts.tweet_text), so the preview and the length agree.
    entities = [(start, end, "link") for start, end in url_spans(text)]
    for pattern, kind in ((_HASHTAG, "hashtag"), (_MENTION, "mention")):
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
                    _shown_url(written),
                )
            )
        else:
            pieces.append(format_html('<span class="pv-entity pv-{}">{}</span>', kind, written))
        position = end
    pieces.append(escape(text[position:]))
    return mark_safe("".join(pieces).replace("\n", "<br>"))  # noqa: S308 - every piece is escaped above
