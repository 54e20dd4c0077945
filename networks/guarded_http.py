"""HTTP to addresses someone typed (a Mastodon server, a link in a post), kept off private networks.

An address is checked twice: its name's addresses before connecting, and the address the
connection actually reached (so a name that changes address between the two, DNS rebinding, is
caught too). Used by the Mastodon connect flow and adapter, and by the link-preview reader.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


def forbidden_address(address: str) -> bool:
    """True for an address on a private, loopback, link-local, reserved, multicast or unspecified
    network (an IPv4 address written as IPv6 counts as itself)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


def resolves_to_forbidden(host: str, port: int) -> bool:
    """True when any address the name resolves to is forbidden; socket.gaierror (or UnicodeError)
    when it does not resolve."""
    addresses = {info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)}
    return any(forbidden_address(address) for address in addresses)


def guarded_adapter(*, allowed: Callable[[], bool], refuse: Callable[[str], Exception]) -> HTTPAdapter:
    """A requests adapter whose connections check the address they reached: unless `allowed()`
    (a setting, for tests and one-machine demos), a forbidden one closes the socket and raises
    `refuse(host)`, raised inside the connection so requests and urllib3 pass it on unwrapped."""

    def check_peer(sock: socket.socket, host: str) -> None:
        if not allowed() and forbidden_address(sock.getpeername()[0]):
            sock.close()
            raise refuse(host)

    class Connection(HTTPConnection):
        def _new_conn(self):
            sock = super()._new_conn()
            check_peer(sock, self.host)
            return sock

    class SecureConnection(HTTPSConnection):
        def _new_conn(self):
            sock = super()._new_conn()
            check_peer(sock, self.host)
            return sock

    class Pool(HTTPConnectionPool):
        ConnectionCls = Connection

    class SecurePool(HTTPSConnectionPool):
        ConnectionCls = SecureConnection

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs):
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": SecurePool}

    return Adapter()
