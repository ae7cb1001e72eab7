"""Where a connection check may connect.

Fixed mall hosts are pinned: the connector declares them and they are used as they are.
Hosts a user typed (MakeShop's host address, an FTP host changed from the mall's fixed one)
are resolved once here and refused when any address is not globally routable; the caller
then connects to the address that was checked, never resolving the name a second time.

"Not globally routable" is the explicit list below, written from the IANA registries (not
Python's `ipaddress` tables, which differ between Python versions):
IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and later), the IPv4 multicast
and IPv6 address space registries. Conservative choices: a whole block is refused where only
single anycast addresses inside it are global (192.0.0.0/24, 2001::/23), every IPv6 address
outside 2000::/3 (the global unicast space) is refused, and so are the transition forms
that embed an IPv4 address (6to4, Teredo, NAT64, IPv4-mapped or -compatible).

A refusal names the host and the kind of network, never the address the name resolved to:
the operator must not learn the layout of the internal network from the message.
"""

from __future__ import annotations

import ipaddress
import socket

from django.conf import settings

_N = ipaddress.ip_network

# (network, kind) in the order they are checked.
REFUSED_V4 = (
    (_N("0.0.0.0/8"), "this network"),  # RFC 791; 0.0.0.0/32 included
    (_N("10.0.0.0/8"), "private-use"),  # RFC 1918
    (_N("100.64.0.0/10"), "shared address space"),  # RFC 6598 (carrier-grade NAT)
    (_N("127.0.0.0/8"), "loopback"),  # RFC 1122
    (_N("169.254.0.0/16"), "link-local"),  # RFC 3927
    (_N("172.16.0.0/12"), "private-use"),  # RFC 1918
    # IETF protocol assignments, RFC 6890: 192.0.0.0/29 (DS-Lite), 192.0.0.8/32 (dummy),
    # 192.0.0.170-171 (NAT64 discovery); also 192.0.0.9-10 (anycast), refused with them.
    (_N("192.0.0.0/24"), "IETF protocol assignments"),
    (_N("192.0.2.0/24"), "documentation"),  # TEST-NET-1, RFC 5737
    (_N("192.88.99.0/24"), "6to4 relay anycast"),  # RFC 3068, deprecated by RFC 7526
    (_N("192.168.0.0/16"), "private-use"),  # RFC 1918
    (_N("198.18.0.0/15"), "benchmarking"),  # RFC 2544
    (_N("198.51.100.0/24"), "documentation"),  # TEST-NET-2, RFC 5737
    (_N("203.0.113.0/24"), "documentation"),  # TEST-NET-3, RFC 5737
    (_N("224.0.0.0/4"), "multicast"),  # RFC 5771
    (_N("240.0.0.0/4"), "reserved"),  # RFC 1112; 255.255.255.255/32 (broadcast) included
)
LOOPBACK_V4 = _N("127.0.0.0/8")

REFUSED_V6 = (
    (_N("::1/128"), "loopback"),  # RFC 4291
    (_N("::/128"), "unspecified"),  # RFC 4291
    (_N("::ffff:0:0/96"), "IPv4-mapped"),  # RFC 4291
    (_N("::/96"), "IPv4-compatible"),  # RFC 4291, deprecated
    (_N("64:ff9b::/96"), "IPv4/IPv6 translation"),  # RFC 6052 (NAT64)
    (_N("64:ff9b:1::/48"), "IPv4/IPv6 translation"),  # RFC 8215 (local-use NAT64)
    (_N("100::/64"), "discard-only"),  # RFC 6666
    (_N("100:0:0:1::/64"), "dummy prefix"),  # RFC 9780
    # IETF protocol assignments, RFC 2928: Teredo 2001::/32 (RFC 4380), benchmarking
    # 2001:2::/48 (RFC 5180), ORCHID 2001:10::/28 and ORCHIDv2 2001:20::/28 (RFC 7343),
    # and the few anycast addresses inside, refused with them.
    (_N("2001::/23"), "IETF protocol assignments"),
    (_N("2001:db8::/32"), "documentation"),  # RFC 3849
    (_N("2002::/16"), "6to4"),  # RFC 3056
    (_N("3fff::/20"), "documentation"),  # RFC 9637
    (_N("5f00::/16"), "segment routing"),  # RFC 9602
    (_N("fc00::/7"), "unique local"),  # RFC 4193
    (_N("fe80::/10"), "link-local"),  # RFC 4291
    (_N("fec0::/10"), "site-local"),  # RFC 3879, deprecated
    (_N("ff00::/8"), "multicast"),  # RFC 4291
)
LOOPBACK_V6 = _N("::1/128")
# The IPv6 address space registry: global unicast is allocated from 2000::/3 only.
GLOBAL_UNICAST_V6 = _N("2000::/3")

REFUSED = REFUSED_V4 + REFUSED_V6


class GuardRefused(Exception):
    """The host resolves to an address the console must not connect to.

    The message names the host and the kind of network, never the resolved address."""

    def __init__(self, host: str, reason: str):
        self.host, self.reason = host, reason
        super().__init__(f"{host} resolves to a {reason} address; refused.")


def refusal_reason(address: str, *, allow_loopback: bool = False) -> str | None:
    """The kind of network `address` belongs to when it is refused, else None."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if allow_loopback and (ip in LOOPBACK_V4 if ip.version == 4 else ip in LOOPBACK_V6):
        return None
    for net, kind in REFUSED_V4 if ip.version == 4 else REFUSED_V6:
        if ip in net:
            return kind
    if ip.version == 6 and ip not in GLOBAL_UNICAST_V6:
        return "unallocated"
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
            raise GuardRefused(host, reason)
    return addresses[0]
