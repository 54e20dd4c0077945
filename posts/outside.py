"""Reading what a post sends out that nobody typed into the portal (issue 12): the text of the
post it quotes, and the preview card a network shows for each link in its text. The consent
check and the approver read them from `OutsideContent` rows, kept here.

`post_read_outside_content` is called after a draft's text or quote changes, before it is sent
for approval and again at publish. Every read is a network call, so it runs outside any
database transaction: read everything first, then write the rows in one short transaction.
A read that fails keeps the last text read and says why in `error`; the approver must then
open the link themself before approving.

Link previews are read here, not by a library: what the check needs is the handful of
<meta> tags a network shows in its card, read with hard limits (time, size, redirects) and a
guard against being pointed at the portal's own network. The stdlib HTML parser is enough.
"""

from __future__ import annotations

import codecs
import logging
import re
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.urls import Resolver404, resolve
from django.utils import timezone
from urllib3.exceptions import HTTPError, ReadTimeoutError

from networks.base import NetworkError, PostNotFound
from networks.guarded_http import guarded_adapter, resolves_to_forbidden
from networks.local import adapter as local
from networks.registry import get_network, network_class
from networks.x.tweet_text import url_spans

from .models import OutsideContent, Post, PostStatus
from .quote_links import QuotedPost, parse_quote_url, parse_repost_url

log = logging.getLogger(__name__)

# A link read this recently is not read again when the draft is saved once more.
FRESH_FOR = timedelta(minutes=5)
PREVIEW_TIMEOUT_SECONDS = 4.0
PREVIEW_MAX_BYTES = 512 * 1024
PREVIEW_MAX_REDIRECTS = 3
# More links than a post of 280 characters can hold: a limit on work, never reached in use.
MAX_LINKS = 12
_URL_FIELD_LENGTH = OutsideContent._meta.get_field("url").max_length
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_USER_AGENT = "PolicyPortalLinkPreview/1.0 (reads the preview card a link will show)"


class PreviewRefused(Exception):
    """The linked page could not be read; the message is the reason, for the approver."""


# --- Reading one linked page ------------------------------------------------------------------


@dataclass(frozen=True)
class LinkPreview:
    """What a network's card shows for a link: the page's titles, descriptions and picture description."""

    url: str
    site: str
    titles: tuple[str, ...]
    descriptions: tuple[str, ...]
    image_descriptions: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """Every line the card may show, title first: what the consent check reads."""
        lines = [*self.titles, *self.descriptions]
        lines += [f"Picture: {alt}" for alt in self.image_descriptions]
        return "\n".join(lines)


def read_link_preview(url: str) -> LinkPreview:
    """Read the preview card of an http(s) page: og:/twitter: titles and descriptions, the
    picture's description, else the page's <title>. PreviewRefused says why not.

    At most PREVIEW_MAX_REDIRECTS redirects, each checked again; at most PREVIEW_MAX_BYTES
    read (enough for any page's <head>); PREVIEW_TIMEOUT_SECONDS in all. Addresses on a
    private, loopback, link-local, reserved or multicast network are refused unless
    LINK_PREVIEW_ALLOW_PRIVATE_HOSTS is on, both before connecting and on the connection itself
    (so a name that changes address between the two is caught).
    """
    deadline = time.monotonic() + PREVIEW_TIMEOUT_SECONDS
    with requests.Session() as session:
        session.trust_env = False  # no proxies or .netrc from the environment: the checks are ours
        adapter = _guarded_adapter()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        current = url
        for _redirect in range(PREVIEW_MAX_REDIRECTS + 1):
            _check_address(current)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PreviewRefused("the site did not answer in time.")
            try:
                response = session.get(
                    current,
                    allow_redirects=False,
                    stream=True,
                    timeout=remaining,
                    headers={"User-Agent": _USER_AGENT, "Accept": "text/html,application/xhtml+xml"},
                )
            except _ForbiddenAddress as exc:
                raise PreviewRefused(str(exc)) from None
            except requests.Timeout:
                raise PreviewRefused("the site did not answer in time.") from None
            except requests.RequestException as exc:
                raise PreviewRefused(f"the site could not be reached ({_reason(exc)}).") from None
            with response:
                if response.is_redirect:
                    location = response.headers.get("location", "")
                    current = urljoin(current, location)
                    continue
                return _preview_from(response, current, deadline)
    raise PreviewRefused(f"the link redirects more than {PREVIEW_MAX_REDIRECTS} times.")


def _preview_from(response: requests.Response, url: str, deadline: float) -> LinkPreview:
    if response.status_code != 200:
        raise PreviewRefused(f"the site answered with an error (HTTP {response.status_code}).")
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in _HTML_TYPES:
        raise PreviewRefused(f"the link is not a web page (it is {content_type or 'of an unknown type'}).")
    parser = _CardParser()
    received = 0
    decoder = None
    try:
        # One receive at a time (read1), so a site that sends a byte now and then still meets the deadline.
        while chunk := response.raw.read1(16 * 1024, decode_content=True):
            if time.monotonic() > deadline:
                raise PreviewRefused("the site did not answer in time.")
            chunk = chunk[: PREVIEW_MAX_BYTES - received]
            received += len(chunk)
            if decoder is None:
                decoder = _decoder(_encoding(response, chunk))
            parser.feed(decoder.decode(chunk))
            if parser.done or received >= PREVIEW_MAX_BYTES:
                break
    except ReadTimeoutError:
        raise PreviewRefused("the site did not answer in time.") from None
    except (HTTPError, OSError) as exc:
        raise PreviewRefused(f"the page could not be read ({_reason(exc)}).") from None
    if not parser.done and received >= PREVIEW_MAX_BYTES:
        limit = PREVIEW_MAX_BYTES // 1024
        raise PreviewRefused(f"the page is too large to read (more than {limit} KB before its preview details).")
    parser.close()
    return parser.preview(url)


class _CardParser(HTMLParser):
    """The <meta> tags and <title> of a page's <head>; stops at the body."""

    _TITLES = ("og:title", "twitter:title")
    _DESCRIPTIONS = ("og:description", "twitter:description")
    _IMAGE_DESCRIPTIONS = ("og:image:alt", "twitter:image:alt")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, list[str]] = {}
        self.title_parts: list[str] = []
        self._in_title = False
        self.done = False

    def handle_starttag(self, tag, attrs):
        if self.done:
            return
        if tag == "body":
            self.done = True
        elif tag == "title":
            self._in_title = True
        elif tag == "meta":
            values = dict(attrs)
            key = (values.get("property") or values.get("name") or "").strip().lower()
            content = values.get("content")
            if key and content is not None:
                self.meta.setdefault(key, []).append(content)

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        elif tag == "head":
            self.done = True

    def handle_data(self, data):
        if self._in_title and not self.done:
            self.title_parts.append(data)

    def _values(self, keys: tuple[str, ...]) -> tuple[str, ...]:
        found: dict[str, None] = {}
        for key in keys:
            for value in self.meta.get(key, []):
                value = " ".join(value.split())
                if value:
                    found.setdefault(value[:1000])
        return tuple(found)

    def preview(self, url: str) -> LinkPreview:
        titles = self._values(self._TITLES)
        if not titles:
            title = " ".join("".join(self.title_parts).split())
            titles = (title[:1000],) if title else ()
        site = self._values(("og:site_name",))
        return LinkPreview(
            url=url,
            site=site[0] if site else (urlsplit(url).hostname or ""),
            titles=titles,
            descriptions=self._values(self._DESCRIPTIONS),
            image_descriptions=self._values(self._IMAGE_DESCRIPTIONS),
        )


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)


def _encoding(response: requests.Response, first_chunk: bytes) -> str:
    declared = requests.utils.get_encoding_from_headers(response.headers)
    # requests assumes ISO-8859-1 for any text/* without a charset; the page's own <meta> knows better.
    if declared and "charset" in response.headers.get("content-type", "").lower():
        return declared
    found = _META_CHARSET.search(first_chunk[:4096])
    return found[1].decode("ascii") if found else "utf-8"


def _decoder(encoding: str):
    try:
        return codecs.getincrementaldecoder(encoding)(errors="replace")
    except LookupError:
        return codecs.getincrementaldecoder("utf-8")(errors="replace")


def _reason(exc: Exception) -> str:
    return type(exc).__name__.replace("Error", " error").strip().lower() or "no answer"


# The guard against being used to reach the portal's own network (server-side request forgery).


class _ForbiddenAddress(Exception):
    """Raised from inside the connection, so requests and urllib3 let it through unwrapped."""


def _check_address(url: str) -> None:
    """Refuse, before connecting, a link that is not http(s) or whose host is on a private network."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise PreviewRefused("the link is not a valid web address.") from None
    if parts.scheme not in ("http", "https") or not host:
        raise PreviewRefused("the link is not a web address (http or https).")
    if settings.LINK_PREVIEW_ALLOW_PRIVATE_HOSTS:
        return
    try:
        private = resolves_to_forbidden(host, port or 443)
    except (socket.gaierror, UnicodeError):
        raise PreviewRefused(f"the site {host} could not be found.") from None
    if private:
        raise PreviewRefused(f"the link points to a private network address ({host}), which the portal does not read.")


def _guarded_adapter():
    """requests' adapter whose connections check the address they actually reached."""
    return guarded_adapter(
        allowed=lambda: settings.LINK_PREVIEW_ALLOW_PRIVATE_HOSTS,
        refuse=lambda host: _ForbiddenAddress(
            f"the link points to a private network address ({host}), which the portal does not read."
        ),
    )


# --- What a post sends out --------------------------------------------------------------------


@dataclass(frozen=True)
class _Wanted:
    kind: str
    url: str
    post_id: str = ""  # for a quote on the account's own network
    refusal: str = ""  # why it cannot be read at all (set without any network call)


@dataclass(frozen=True)
class _Read:
    wanted: _Wanted
    author: str = ""
    text: str = ""
    error: str = ""
    media: tuple[dict, ...] = ()


def outside_links(post: Post) -> list[_Wanted]:
    """What the post sends out besides its own words: the quoted post (the quote field, or a
    link in the text to a post on the account's network, which the network shows embedded), and
    a preview for each other link in the text when the account's network shows previews."""
    network = post.account.network
    wanted: dict[tuple[str, str], _Wanted] = {}

    def add(item: _Wanted) -> None:
        wanted.setdefault((item.kind, item.url), item)

    if post.repost_url:
        # A repost sends out the reposted post and nothing else (it has no words of its own).
        kind = OutsideContent.Kind.REPOST
        reposted = parse_repost_url(post.repost_url, network=network) or _quoted_post(post.repost_url)
        if reposted is None:
            add(_Wanted(kind, post.repost_url[:_URL_FIELD_LENGTH], refusal=_NOT_A_REPOSTABLE_POST))
        elif reposted.network != network:
            add(_Wanted(kind, reposted.url, refusal=_other_network(reposted.network, post, what="reposted")))
        else:
            add(_Wanted(kind, reposted.url, post_id=reposted.post_id))
        return list(wanted.values())
    if post.quote_url:
        quoted = _quoted_post(post.quote_url)
        if quoted is None:
            add(_Wanted(OutsideContent.Kind.QUOTE, post.quote_url[:_URL_FIELD_LENGTH], refusal=_NOT_A_POST))
        elif quoted.network != network:
            add(_Wanted(OutsideContent.Kind.QUOTE, quoted.url, refusal=_other_network(quoted.network, post)))
        else:
            add(_Wanted(OutsideContent.Kind.QUOTE, quoted.url, post_id=quoted.post_id))
    shows_previews = _shows_previews(post)
    for url in text_links(post.text):
        quoted = _quoted_post(url)
        if quoted is not None and quoted.network == network:
            add(_Wanted(OutsideContent.Kind.QUOTE, quoted.url, post_id=quoted.post_id))
        elif shows_previews:
            if len(url) > _URL_FIELD_LENGTH:
                add(_Wanted(OutsideContent.Kind.LINK_PREVIEW, url[:_URL_FIELD_LENGTH], refusal=_TOO_LONG))
            else:
                add(_Wanted(OutsideContent.Kind.LINK_PREVIEW, url))
    return list(wanted.values())[:MAX_LINKS]


def _quoted_post(url: str):
    """The post a link points to (posts.quote_links.parse_quote_url), including a post on the local
    timeline that has since been deleted: reading it then says so, rather than "not a post"."""
    quoted = parse_quote_url(url)
    if quoted is not None:
        return quoted
    try:
        parts = urlsplit(url.strip())
        if parts.hostname != urlsplit(settings.SITE_URL).hostname:
            return None
        route = resolve(parts.path)
    except (ValueError, Resolver404):
        return None
    post_id = re.fullmatch(r"post-(\d{1,19})", parts.fragment)
    if route.url_name != "local_timeline" or post_id is None:
        return None
    return QuotedPost(network="local", post_id=post_id[1], url=f"{settings.SITE_URL}{parts.path}#post-{post_id[1]}")


_NOT_A_POST = "The quoted post could not be read: the link is not a post on X, on Bluesky or on this portal's timeline."
_NOT_A_REPOSTABLE_POST = (
    "The reposted post could not be read: the link is not a post on X, on Bluesky, on Mastodon or on this "
    "portal's timeline."
)
_TOO_LONG = "The preview could not be read: the link is too long."


def _network_name(network: str) -> str:
    """How messages name a network: its adapter's label ("X", "the local network")."""
    try:
        return network_class(network).label
    except NetworkError:
        return network


def _other_network(quoted_network: str, post: Post, *, what: str = "quoted") -> str:
    return (
        f"The {what} post could not be read: it is on {_network_name(quoted_network)}, and this account is on "
        f"{_network_name(post.account.network)}."
    )


def _shows_previews(post: Post) -> bool:
    try:
        return get_network(post.account).capabilities.shows_link_previews
    except NetworkError:
        return True  # an unknown network may show them: read them rather than miss them


_SCHEME_URL = re.compile(r"""(?i)\bhttps?://[^\s<>"'\u201c\u201d\u2018\u2019]+""")
_TRAILING = ".,;:!?)]}'\""


def text_links(text: str) -> list[str]:
    """The links in a post's text, in order, once each: every http(s) address, and every bare
    domain X makes a link of (given https://). X does not link an address without a known
    top-level domain, but another network may, so those are read too."""
    found: list[tuple[int, str]] = []
    for start, end in url_spans(text):
        url = text[start:end]
        found.append((start, url if re.match(r"(?i)https?://", url) else "https://" + url))
    for match in _SCHEME_URL.finditer(text):
        found.append((match.start(), match[0].rstrip(_TRAILING)))
    links: dict[str, None] = {}
    for _, url in sorted(found, key=lambda item: item[0]):
        links.setdefault(url)
    return list(links)


def _read(item: _Wanted, post: Post) -> _Read:
    """One network call (or none): never raises for what the network or the site says."""
    if item.refusal:
        return _Read(item, error=item.refusal)
    if item.kind in (OutsideContent.Kind.QUOTE, OutsideContent.Kind.REPOST):
        what = "reposted" if item.kind == OutsideContent.Kind.REPOST else "quoted"
        try:
            fetched = get_network(post.account).fetch_post(item.post_id)
        except PostNotFound:
            return _Read(
                item,
                error=f"The {what} post could not be read: it is not on "
                f"{_network_name(post.account.network)} any more (it may have been deleted).",
            )
        except NetworkError as exc:
            return _Read(item, error=f"The {what} post could not be read: {exc.message}")
        media = tuple({"url": each.url[:1000], "alt_text": each.alt_text[:2000]} for each in fetched.media)
        return _Read(item, author=fetched.author_handle, text=fetched.text, media=media)
    try:
        preview = read_link_preview(item.url)
    except PreviewRefused as exc:
        return _Read(item, error=f"The preview could not be read: {exc}")
    return _Read(item, author=preview.site[:200], text=preview.text)


def post_read_outside_content(
    *,
    post: Post,
    fresh_for: timedelta | None = None,
    only_unread: bool = False,
    missing_only: bool = False,
    known_rows: list[OutsideContent] | None = None,
) -> bool:
    """Read what the post sends out and keep it in its OutsideContent rows: one per link (kept
    up to date in place), none for links no longer in the post. Returns whether any text or
    error changed.

    `fresh_for`: skip links read without error this recently. `only_unread`: skip every link
    already read without error. `missing_only`: read only links never tried (no row yet).
    Failures keep the text last read and set `error`.

    `known_rows`: the post's rows, read by the caller with the post itself (the publisher, which
    has just claimed the post, so nobody can change its text or quote meanwhile). The post is
    then taken as given, and a post without links and rows costs no query at all.
    """
    if known_rows is None:
        post = Post.objects.select_related("account").get(pk=post.pk)
        known_rows = list(OutsideContent.objects.filter(post=post))
    wanted = outside_links(post)
    rows = {(row.kind, row.url): row for row in known_rows}
    now = timezone.now()

    def current(item: _Wanted) -> bool:
        row = rows.get((item.kind, item.url))
        if missing_only:
            return row is not None
        if row is None or row.error or row.read_at is None:
            return False
        return only_unread or (fresh_for is not None and now - row.read_at < fresh_for)

    stale = set() if missing_only else {key for key in rows if key not in {(item.kind, item.url) for item in wanted}}
    to_read = [item for item in wanted if not current(item)]
    if not to_read and not stale:
        return False
    results = [_read(item, post) for item in to_read]  # the network calls, outside any transaction
    return _store(post, results)


def _store(post: Post, results: list[_Read]) -> bool:
    changed = False
    read_at = timezone.now()
    with transaction.atomic():
        # The post as it is now: a link removed while the pages were being read is not kept.
        post = Post.objects.select_related("account").get(pk=post.pk)
        wanted = {(item.kind, item.url) for item in outside_links(post)}
        rows = {(row.kind, row.url): row for row in OutsideContent.objects.select_for_update().filter(post=post)}
        gone = [row.pk for key, row in rows.items() if key not in wanted]
        if gone:
            OutsideContent.objects.filter(pk__in=gone).delete()
            changed = True
        new = []
        for result in results:
            key = (result.wanted.kind, result.wanted.url)
            if key not in wanted:
                continue
            row = rows.get(key) or OutsideContent(post=post, kind=key[0], url=key[1])
            before = (row.text, row.error, row.author, row.media)
            if result.error:
                row.error = result.error  # the text last read stays, for the approver to compare
            else:
                row.text, row.author, row.error, row.read_at = result.text, result.author, "", read_at
                row.media = list(result.media)
            if row.pk is None:
                new.append(row)
            elif before != (row.text, row.error, row.author, row.media):
                row.save(update_fields=["text", "author", "error", "read_at", "media"])
                changed = True
            elif not result.error:
                row.save(update_fields=["read_at"])  # read again, unchanged: fresh for a while longer
        # Another save of the same draft may have read the same link at the same moment: its row stands.
        OutsideContent.objects.bulk_create(new, ignore_conflicts=True)
    return changed or bool(new)


def reposted_content(post: Post) -> OutsideContent | None:
    """The reposted post as last read, for a repost (None for any other post)."""
    if not post.repost_url:
        return None
    return next((row for row in post.outside_content.all() if row.kind == OutsideContent.Kind.REPOST), None)


def outside_words(row: OutsideContent) -> str:
    """Every word a piece of outside content shows, for the consent check and the rules: the
    author of a quoted or reposted post (a handle can be a child's name), its text, and the
    descriptions of the pictures a repost shows."""
    lines = []
    if row.author and row.kind in (OutsideContent.Kind.QUOTE, OutsideContent.Kind.REPOST):
        lines.append(f"@{row.author.lstrip('@')}")
    lines.append(row.text)
    lines += [f"Picture: {each['alt_text']}" for each in row.media or () if each.get("alt_text")]
    return "\n".join(lines)


def unread_outside(post: Post) -> list[OutsideContent]:
    """The post's outside content that could not be read (or not yet): what the approver must open themself."""
    return [row for row in OutsideContent.objects.filter(post=post) if row.error or row.read_at is None]


def outside_label(row: OutsideContent) -> str:
    """How the consent check and the approver name a piece of outside content."""
    if row.kind == OutsideContent.Kind.QUOTE:
        return f"the quoted post (@{row.author})" if row.author else "the quoted post"
    if row.kind == OutsideContent.Kind.REPOST:
        return f"the reposted post (@{row.author})" if row.author else "the reposted post"
    return f"the preview of {row.url}"


# The local network's timeline shows each published post's link cards (networks.local.adapter).


def _local_link_cards(posts) -> dict[int, list[local.LinkCard]]:
    """One query for a page of timeline posts, and none when no post on it has a link."""
    by_external_id = {str(post.pk): post for post in posts if text_links(post.text)}
    if not by_external_id:
        return {}
    account_ids = {post.account_id for post in posts}
    rows = (
        OutsideContent.objects.filter(
            kind=OutsideContent.Kind.LINK_PREVIEW,
            post__account_id__in=account_ids,
            post__external_id__in=list(by_external_id),
            post__status__in=[PostStatus.PUBLISHED, PostStatus.PUBLISHING],
            read_at__isnull=False,
        )
        .exclude(text="")
        .values_list("post__external_id", "post__account_id", "url", "author", "text")
        .order_by("pk")
    )
    cards: dict[int, list[local.LinkCard]] = {}
    for external_id, account_id, url, site, text in rows:
        shown = by_external_id[external_id]
        if shown.account_id != account_id:
            continue
        title, _, description = text.partition("\n")
        description = "\n".join(line for line in description.splitlines() if not line.startswith("Picture: "))
        cards.setdefault(shown.pk, []).append(
            local.LinkCard(url=url, site=site, title=title, description=" ".join(description.split()))
        )
    return cards


local.set_link_card_source(_local_link_cards)
