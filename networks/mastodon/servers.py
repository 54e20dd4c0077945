"""Which Mastodon server an admin means, and the guard that keeps the portal from being pointed at
its own network.

A school types its server's address ("mastodon.social", "https://toot.example/"). The portal then
makes requests to that host from the server it runs on, so an address that resolves to a private,
loopback or link-local network would let anyone who can manage accounts probe the portal's own
network (server-side request forgery). Such addresses are refused before connecting, and every
connection checks the address it actually reached, so a name that changes its answer between the
check and the request is refused too. settings.MASTODON_ALLOW_PRIVATE_SERVERS turns both off, for
tests and a demo on one machine.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings

from ..guarded_http import guarded_adapter, resolves_to_forbidden


class ServerAddressError(Exception):
    """An address the portal will not use as a Mastodon server, with a message the admin can act on."""


def normalise_server(address: str) -> str:
    """The server's base URL ("https://mastodon.social") from what the admin typed; ServerAddressError
    when it is not a web address the portal may use."""
    address = (address or "").strip()
    if not address:
        raise ServerAddressError("Type the address of the school's Mastodon server, for example mastodon.social.")
    if address.startswith("@") or address.count("@") == 1 and "://" not in address:
        # "@school@mastodon.social" or "school@mastodon.social": the server is after the last @.
        address = address.rsplit("@", 1)[1]
    if "://" not in address:
        address = "https://" + address
    try:
        parts = urlsplit(address)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ServerAddressError(
            f"“{address}” is not a web address. Type just the server's name, such as mastodon.social."
        ) from None
    allowed_schemes = ("https", "http") if settings.MASTODON_ALLOW_PRIVATE_SERVERS else ("https",)
    if parts.scheme not in allowed_schemes or not host:
        raise ServerAddressError(
            "The portal only connects to Mastodon servers over https. Type the server's name, such as mastodon.social."
        )
    if parts.username or parts.password or parts.query or parts.fragment or parts.path.strip("/"):
        raise ServerAddressError(
            "Type only the server's name (such as mastodon.social), without a path or anything after it."
        )
    netloc = host if port is None else f"{host}:{port}"
    if ":" in host:  # an IPv6 literal keeps its brackets
        netloc = f"[{host}]" if port is None else f"[{host}]:{port}"
    return f"{parts.scheme}://{netloc.lower()}"


def server_domain(base_url: str) -> str:
    """How people write the server in a handle: "mastodon.social" in @school@mastodon.social."""
    return urlsplit(base_url).netloc


def check_server_reachable_safely(base_url: str) -> None:
    """Refuse, before any request, a server whose name resolves to a private address; a name that
    does not resolve gets its own message (the commonest typing mistake)."""
    if settings.MASTODON_ALLOW_PRIVATE_SERVERS:
        return
    parts = urlsplit(base_url)
    try:
        private = resolves_to_forbidden(parts.hostname, parts.port or 443)
    except (socket.gaierror, UnicodeError):
        raise ServerAddressError(
            f"There is no server called {parts.hostname}. Check the spelling of the school's Mastodon server."
        ) from None
    if private:
        raise ServerAddressError(
            f"{parts.hostname} points to a private network address, which the portal does not connect to. "
            "Type the public address of the school's Mastodon server."
        )


class ForbiddenPeer(Exception):
    """Raised inside the connection, so requests and urllib3 pass it on unwrapped."""


def guarded_session() -> requests.Session:
    """A requests session (for Mastodon.py's `session=`) whose connections refuse private addresses
    and which never follows a redirect to another host."""
    session = requests.Session()
    adapter = guarded_adapter(
        allowed=lambda: settings.MASTODON_ALLOW_PRIVATE_SERVERS,
        refuse=lambda host: ForbiddenPeer(
            f"{host} points to a private network address, which the portal does not connect to."
        ),
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.max_redirects = 3
    return session
