"""Where a connection check may connect.

Fixed mall hosts are pinned: the connector declares them and they are used as they are.
Hosts a user typed (MakeShop's host address, an FTP host changed from the mall's fixed one)
are resolved once here and refused when any address is loopback, private, link-local,
unspecified, reserved, multicast or an IPv6 transition form; the caller then connects to the
address that was checked, never resolving the name a second time.
"""

from __future__ import annotations

import ipaddress
import socket

from django.conf import settings

TRANSITION_NETS = [
    ipaddress.ip_network("::ffff:0:0/96"),  # IPv4-mapped
    ipaddress.ip_network("64:ff9b::/96"),  # NAT64
    ipaddress.ip_network("64:ff9b:1::/48"),  # local-use NAT64
    ipaddress.ip_network("2002::/16"),  # 6to4
    ipaddress.ip_network("2001::/32"),  # Teredo
    ipaddress.ip_network("::/96"),  # IPv4-compatible (deprecated)
]


class GuardRefused(Exception):
    """The host resolves to an address the console must not connect to."""

    def __init__(self, host: str, address: str, reason: str):
        self.host, self.address, self.reason = host, address, reason
        super().__init__(f"{host} resolves to {address} ({reason}); refused.")


def refusal_reason(address: str, *, allow_loopback: bool = False) -> str | None:
    ip = ipaddress.ip_address(address.split("%")[0])
    if ip.version == 6:
        for net in TRANSITION_NETS:
            if ip in net:
                return f"IPv6 transition range {net}"
    if ip.is_loopback:
        return None if allow_loopback else "loopback"
    for attr, reason in (
        ("is_unspecified", "unspecified"),
        ("is_link_local", "link-local"),
        ("is_private", "private"),
        ("is_multicast", "multicast"),
        ("is_reserved", "reserved"),
    ):
        if getattr(ip, attr):
            return reason
    if not ip.is_global:
        return "not globally routable"
    return None


def resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen = []
    for info in infos:
        addr = info[4][0]
        if addr not in seen:
            seen.append(addr)
    return seen


def checked_address(host: str, port: int, *, pinned: bool = False) -> str:
    """The address to connect to for host:port, after the guard's checks.

    Every address the name resolves to must pass; the first one is returned.
    """
    addresses = resolve(host, port)
    if not addresses:
        raise OSError(f"{host} has no address")
    if pinned:
        return addresses[0]
    allow_loopback = getattr(settings, "CONNECTION_GUARD_ALLOW_LOOPBACK", False)
    for address in addresses:
        reason = refusal_reason(address, allow_loopback=allow_loopback)
        if reason:
            raise GuardRefused(host, address, reason)
    return addresses[0]
