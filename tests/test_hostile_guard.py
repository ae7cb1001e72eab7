"""The network guard (issue J, item 7): every address that is not globally routable is
refused by the module's own list of networks, whatever Python's `ipaddress` tables say, and
neither the refusal nor the stored check detail reveals the address a name resolved to."""

import ipaddress
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.transports import guard
from tests.helpers import make_shop, run

pytestmark = pytest.mark.usefixtures("no_remembered_secrets")

# Addresses the testers found let through, and the rest of the special-purpose registries.
NOT_GLOBAL = [
    "fec0::1",  # IPv6 site-local (deprecated)
    "feff::1",
    "192.0.0.8",  # IPv4 dummy address
    "192.0.0.170",  # NAT64 discovery
    "192.88.99.1",  # 6to4 relay anycast (deprecated)
    "3fff::1",  # IPv6 documentation (RFC 9637)
    "3fff:fff:ffff::1",
    "100.64.0.1",  # shared address space (CGN)
    "100.127.255.254",
    "198.18.0.1",  # benchmarking
    "198.19.255.255",
    "2001:db8::1",  # documentation
    "192.0.2.1",
    "198.51.100.7",
    "203.0.113.9",
    "0.1.2.3",  # "this network"
    "240.0.0.1",  # reserved
    "255.255.255.255",  # broadcast
    "224.0.0.251",  # multicast
    "239.255.255.250",
    "ff02::1",
    "100::1",  # discard-only
    "2001:2::1",  # benchmarking
    "2001:10::1",  # ORCHID
    "2001:20::1",  # ORCHIDv2
    "2001::1",  # Teredo
    "5f00::1",  # segment routing
    "4000::1",  # outside 2000::/3: not allocated
    "::2",  # IPv4-compatible
    "::ffff:10.0.0.1",  # IPv4-mapped
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b:1::1",
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "fc00::1",
    "fd12:3456::1",
    "fe80::1%eth0",
    "10.1.2.3",
    "172.31.255.255",
    "192.168.0.1",
    "169.254.169.254",
]


@pytest.mark.parametrize("address", NOT_GLOBAL)
def test_every_address_that_is_not_global_is_refused(settings, address):
    settings.CONNECTION_GUARD_ALLOW_LOOPBACK = False
    assert guard.refusal_reason(address) is not None, address


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_loopback_is_refused_unless_the_test_settings_allow_it(address):
    assert guard.refusal_reason(address) == "loopback"
    assert guard.refusal_reason(address, allow_loopback=True) is None


@pytest.mark.parametrize(
    "address",
    ["93.184.216.34", "133.237.16.1", "8.8.8.8", "2606:4700::1111", "2404:6800:4004::200e"],
)
def test_global_addresses_pass(address):
    assert guard.refusal_reason(address) is None


def test_the_list_is_the_modules_own():
    """Written as networks in the module; no is_private/is_global from the Python version."""
    source = open(guard.__file__, encoding="utf-8").read()
    for attribute in ("is_private", "is_global", "is_reserved", "is_link_local"):
        assert attribute not in source


@pytest.mark.django_db
def test_the_refusal_never_reveals_the_resolved_address(settings, monkeypatch):
    settings.CONNECTION_GUARD_ALLOW_LOOPBACK = False
    real = socket.getaddrinfo

    def fake_dns(host, *args, **kwargs):
        if host == "files.savaway.example.jp":
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("fec0::10:20", 21, 0, 0))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    with pytest.raises(guard.GuardRefused) as refused:
        guard.checked_address("files.savaway.example.jp", 21)
    assert "fec0" not in str(refused.value) and "site-local" in str(refused.value)

    shop = make_shop(
        "rakuten",
        {
            "ftp.protocol": "ftp",
            "ftp.host": "files.savaway.example.jp",
            "ftp.port": 21,
            "ftp.user": "savaway",
        },
        {"ftp.password": "ftp-pass-guard-1"},
    )
    check = run(shop, "ftp")
    assert check.code == "refused_host"
    assert "files.savaway.example.jp" in check.detail
    assert "fec0" not in check.detail and "10:20" not in check.detail


# ---- properties --------------------------------------------------------------------------------


def _address_in(network, offset: int) -> str:
    return str(network.network_address + offset % network.num_addresses)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(entry=st.sampled_from(guard.REFUSED), offset=st.integers(min_value=0, max_value=2**128))
def test_property_every_address_of_a_refused_network_is_refused(entry, offset):
    network, _kind = entry
    assert guard.refusal_reason(_address_in(network, offset)) is not None


# Blocks of global unicast with no special-purpose range inside (regional registries).
PUBLIC_V4 = [
    ipaddress.ip_network(n)
    for n in ["1.0.0.0/8", "8.0.0.0/8", "45.0.0.0/8", "133.0.0.0/8", "210.0.0.0/8"]
]
PUBLIC_V6 = [
    ipaddress.ip_network(n)
    for n in ["2400::/12", "2600::/12", "2800::/12", "2a00::/12", "2c00::/12"]
]


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    network=st.sampled_from(PUBLIC_V4 + PUBLIC_V6),
    offset=st.integers(min_value=0, max_value=2**128),
)
def test_property_generated_global_addresses_pass(network, offset):
    assert guard.refusal_reason(_address_in(network, offset)) is None


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(
    address=st.one_of(
        st.ip_addresses(v=4),
        st.ip_addresses(v=6),
        st.ip_addresses(v=4, network="192.0.0.0/16"),
        st.ip_addresses(v=6, network="fe00::/8"),
        st.ip_addresses(v=6, network="2001::/16"),
    )
)
def test_property_nothing_pythons_tables_call_non_global_gets_through(address):
    """Python's tables are a lower bound: what they call non-global, the guard refuses."""
    if not address.is_global:
        assert guard.refusal_reason(str(address)) is not None, address
