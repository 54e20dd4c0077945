"""Which post a quote link points to: a post on X or Bluesky, or a live post on this portal's local
timeline. Read by the compose form (to check the link), the outside-content reader (to read the
quoted words) and the publisher (to quote the post on its network)."""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import Resolver404, resolve

from networks.local.adapter import post_url as local_post_url
from networks.local.models import LocalNetworkPost

_X_HOSTS = {"x.com", "www.x.com", "mobile.x.com", "twitter.com", "www.twitter.com", "mobile.twitter.com"}
# /<user>/status/<id>, as X shares it; /i/web/status/<id> is X's own link when it hides the user.
_BLUESKY_HOSTS = {"bsky.app", "www.bsky.app"}
_X_STATUS_PATH = re.compile(r"/(?:i/web|[A-Za-z0-9_]{1,15})/status(?:es)?/(\d{1,19})/?")
_LOCAL_FRAGMENT = re.compile(r"post-(\d{1,19})")


@dataclass(frozen=True)
class QuotedPost:
    network: str  # "x", "bluesky" or "local"
    post_id: str
    url: str  # the address as the portal stores it (tracking parameters dropped)


def parse_quote_url(url: str, *, portal_hosts: tuple[str, ...] = ()) -> QuotedPost | None:
    """The post a link points to: one on X or Bluesky (bsky.app/profile/<handle>/post/<id>), or a
    live post on this portal's local timeline (`/local/<handle>/#post-<id>`, on SITE_URL's host or
    one of `portal_hosts`). None otherwise."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:  # a malformed address, such as an unclosed [ in the host
        return None
    if parts.scheme not in ("http", "https"):
        return None
    if host in _X_HOSTS:
        match = _X_STATUS_PATH.fullmatch(parts.path)
        if match is None:
            return None
        return QuotedPost(network="x", post_id=match[1], url=f"https://x.com{parts.path.rstrip('/')}")
    if host in _BLUESKY_HOSTS:
        # Imported here: the Bluesky adapter brings the AT Protocol SDK, which only this link needs.
        from networks.bluesky.adapter import post_id_from_url

        post_id = post_id_from_url(url)
        if post_id is None:
            return None
        return QuotedPost(network="bluesky", post_id=post_id, url=f"https://bsky.app{parts.path.rstrip('/')}")
    if host not in {urlsplit(settings.SITE_URL).hostname, *portal_hosts}:
        return None
    try:
        route = resolve(parts.path)
    except Resolver404:
        return None
    fragment = _LOCAL_FRAGMENT.fullmatch(parts.fragment)
    if route.url_name != "local_timeline" or fragment is None:
        return None
    post = (
        LocalNetworkPost.objects.select_related("account")
        .filter(
            pk=int(fragment[1]),
            account__handle=route.kwargs["handle"],
            account__network="local",
            deleted_at__isnull=True,
        )
        .first()
    )
    if post is None:
        return None
    return QuotedPost(network="local", post_id=str(post.pk), url=local_post_url(post.account, post.pk))


# A post's address on a Mastodon server: https://<server>/@<user>/<id> (or @user@other.server, or
# the ActivityPub form /users/<user>/statuses/<id>). Any server may host Mastodon, so the host
# cannot tell; the path can, and only a Mastodon account is offered this reading.
_MASTODON_STATUS_PATH = re.compile(r"/(?:@[\w.-]+(?:@[\w.-]+)?|users/[\w.-]+/statuses)/(\d{1,20})/?")


def parse_repost_url(url: str, *, network: str, portal_hosts: tuple[str, ...] = ()) -> QuotedPost | None:
    """The post a repost link points to, for an account on `network`: what `parse_quote_url`
    knows, and for a Mastodon account any Mastodon post's address (its id there is the address
    itself: the account's server resolves it to its own copy)."""
    quoted = parse_quote_url(url, portal_hosts=portal_hosts)
    if quoted is not None or network != "mastodon":
        return quoted
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme != "https" or not parts.hostname or _MASTODON_STATUS_PATH.fullmatch(parts.path) is None:
        return None
    clean = f"https://{parts.netloc.lower()}{parts.path.rstrip('/')}"
    return QuotedPost(network="mastodon", post_id=clean, url=clean)
