"""skb.flow.jhash, SkBuff.get_hash (skb_get_hash) and
SkBuff.udp_flow_src_port, against an independent lookup3 written here and
the flow-key layout the engine documents."""

from __future__ import annotations

import socket
import struct

import pytest

import skb
from skb.flow import FLOW_HASH_SEED, jhash

M32 = 0xFFFFFFFF


def rol(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


def lookup3(data: bytes, initval: int) -> int:
    """Bob Jenkins' hashlittle, written from lookup3.c's description."""
    n = len(data)
    a = b = c = (0xDEADBEEF + n + initval) & M32
    k = data
    while n > 12:
        a = (a + int.from_bytes(k[0:4], "little")) & M32
        b = (b + int.from_bytes(k[4:8], "little")) & M32
        c = (c + int.from_bytes(k[8:12], "little")) & M32
        a = (a - c) & M32; a ^= rol(c, 4); c = (c + b) & M32
        b = (b - a) & M32; b ^= rol(a, 6); a = (a + c) & M32
        c = (c - b) & M32; c ^= rol(b, 8); b = (b + a) & M32
        a = (a - c) & M32; a ^= rol(c, 16); c = (c + b) & M32
        b = (b - a) & M32; b ^= rol(a, 19); a = (a + c) & M32
        c = (c - b) & M32; c ^= rol(b, 4); b = (b + a) & M32
        k, n = k[12:], n - 12
    if n == 0:
        return c
    tail = k + bytes(12 - n)
    a = (a + int.from_bytes(tail[0:4], "little")) & M32
    b = (b + int.from_bytes(tail[4:8], "little")) & M32
    c = (c + int.from_bytes(tail[8:12], "little")) & M32
    c ^= b; c = (c - rol(b, 14)) & M32
    a ^= c; a = (a - rol(c, 11)) & M32
    b ^= a; b = (b - rol(a, 25)) & M32
    c ^= b; c = (c - rol(b, 16)) & M32
    a ^= c; a = (a - rol(c, 4)) & M32
    b ^= a; b = (b - rol(a, 14)) & M32
    c ^= b; c = (c - rol(b, 24)) & M32
    return c


def flow_hash(ethertype, ip_proto, src, dst, ports):
    """The documented key: proto word, ports word (lower address first, its
    port in the high half), then the two addresses, little-endian words."""
    if src > dst or (src == dst and (ports >> 16) > (ports & 0xFFFF)):
        src, dst = dst, src
        ports = ((ports << 16) | (ports >> 16)) & M32
    key = struct.pack("<II", ethertype << 16 | ip_proto, ports) + src + dst
    return lookup3(key, FLOW_HASH_SEED) or 1


def src_port(h, lo=32768, hi=60999):
    h = (h ^ (h << 16)) & M32
    return ((h * (hi - lo)) >> 32) + lo


A = socket.inet_aton("10.1.2.3")
B = socket.inet_aton("10.9.8.7")


def ipv4_frame(src=A, dst=B, proto=6, sport=1234, dport=80, frag=0x4000, payload=20):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + payload, 1, frag, 64, proto, 0,
                     src, dst)
    l4 = struct.pack("!HHHH", sport, dport, 8 + payload, 0) + bytes(payload)
    return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" + ip + l4


def make(frame, protocol=0x0800, nh=14):
    s = skb.alloc_skb(256)
    s.reserve(64)
    s.put_data(frame)
    s.protocol = protocol
    s.set_network_header(nh)
    return s


# ----------------------------------------------------------------------
# jhash

@pytest.mark.parametrize("data, initval, expected", [
    (b"", 0, 0xDEADBEEF),
    (b"Four score and seven years ago", 0, 0x17770551),
    (b"Four score and seven years ago", 1, 0xCD628161),
])
def test_jhash_matches_lookup3_published_vectors(data, initval, expected):
    assert jhash(data, initval) == expected


@pytest.mark.parametrize("n", [1, 3, 4, 11, 12, 13, 24, 25, 100])
def test_jhash_matches_the_reference_at_every_tail_length(n):
    data = bytes((i * 37 + 11) & 0xFF for i in range(n))
    assert jhash(data, 0x1234) == lookup3(data, 0x1234)
    assert jhash(bytearray(data), 7) == jhash(memoryview(data), 7) == lookup3(data, 7)


def test_jhash_refuses_non_buffers_and_out_of_range_seeds():
    with pytest.raises(TypeError):
        jhash("text")
    with pytest.raises(OverflowError):
        jhash(b"x", -1)
    with pytest.raises(OverflowError):
        jhash(b"x", 2**32)


# ----------------------------------------------------------------------
# skb_get_hash

def test_get_hash_ipv4_tcp_is_the_documented_key_and_is_cached():
    s = make(ipv4_frame())
    expected = flow_hash(0x0800, 6, A, B, 1234 << 16 | 80)
    assert s.get_hash() == expected
    assert s.hash == expected
    s.store_bits(14 + 12, socket.inet_aton("192.0.2.1"))  # cached: not recomputed
    assert s.get_hash() == expected
    s.kfree()


def test_get_hash_records_how_it_was_made():
    s = make(ipv4_frame())
    assert (s.hash, s.sw_hash, s.l4_hash) == (0, 0, 0)
    h = s.get_hash()
    assert (s.hash, s.sw_hash, s.l4_hash) == (h, 1, 1)
    c = s.clone()
    assert (c.hash, c.sw_hash, c.l4_hash) == (h, 1, 1)
    c.kfree()
    s.kfree()
    f = make(ipv4_frame(frag=0x2000))
    f.get_hash()
    assert (f.sw_hash, f.l4_hash) == (1, 0)
    f.kfree()


def test_a_hash_set_by_hand_is_not_a_cached_one_and_clear_hash_forgets():
    s = make(ipv4_frame())
    h = flow_hash(0x0800, 6, A, B, 1234 << 16 | 80)
    s.hash = 12345
    assert s.get_hash() == h
    s.hash = 777
    s.sw_hash = 1  # as skb_set_hash would leave it: trusted
    assert s.get_hash() == 777
    s.clear_hash()
    assert (s.hash, s.sw_hash, s.l4_hash) == (0, 0, 0)
    assert s.get_hash() == h
    s.kfree()


def test_get_hash_is_symmetric():
    fwd = make(ipv4_frame(A, B, 17, 5000, 53))
    rev = make(ipv4_frame(B, A, 17, 53, 5000))
    assert fwd.get_hash() == rev.get_hash() == flow_hash(0x0800, 17, A, B, 5000 << 16 | 53)
    fwd.kfree()
    rev.kfree()


def test_get_hash_same_addresses_orders_by_port():
    one = make(ipv4_frame(A, A, 6, 9, 7))
    two = make(ipv4_frame(A, A, 6, 7, 9))
    assert one.get_hash() == two.get_hash() == flow_hash(0x0800, 6, A, A, 7 << 16 | 9)
    one.kfree()
    two.kfree()


@pytest.mark.parametrize("frag", [0x2000, 0x0001, 0x2005])
def test_get_hash_of_a_fragment_leaves_ports_out(frag):
    s = make(ipv4_frame(frag=frag))
    assert s.get_hash() == flow_hash(0x0800, 6, A, B, 0)
    s.kfree()


def test_get_hash_ignores_ports_of_other_protocols():
    s = make(ipv4_frame(proto=47))
    assert s.get_hash() == flow_hash(0x0800, 47, A, B, 0)
    s.kfree()


def test_get_hash_skips_ipv4_options():
    ip = struct.pack("!BBHHHBBH4s4s", 0x46, 0, 24 + 8, 1, 0, 64, 17, 0, A, B) + bytes(4)
    s = make(bytes(14) + ip + struct.pack("!HHHH", 4789, 4790, 8, 0))
    assert s.get_hash() == flow_hash(0x0800, 17, A, B, 4789 << 16 | 4790)
    s.kfree()


def test_get_hash_ipv6_udp():
    a = socket.inet_pton(socket.AF_INET6, "2001:db8::2")
    b = socket.inet_pton(socket.AF_INET6, "2001:db8::1")
    ip6 = struct.pack("!IHBB16s16s", 6 << 28, 8, 17, 64, a, b)
    s = make(bytes(14) + ip6 + struct.pack("!HHHH", 100, 200, 8, 0), protocol=0x86DD)
    assert s.get_hash() == flow_hash(0x86DD, 17, a, b, 100 << 16 | 200)
    s.kfree()


def test_get_hash_reads_headers_in_frags():
    frame = ipv4_frame()
    p = skb.alloc_page()
    p.data[:40] = frame[14:54]
    s = make(frame[:14])
    s.add_rx_frag(0, p, 0, 40, 4096)
    assert s.get_hash() == flow_hash(0x0800, 6, A, B, 1234 << 16 | 80)
    assert s.headlen == 14  # read, not pulled
    s.kfree()


@pytest.mark.parametrize("case", ["arp", "version", "ihl", "truncated", "unset"])
def test_get_hash_without_a_flow_is_0_and_not_cached(case):
    frame = ipv4_frame()
    protocol = 0x0800
    if case == "arp":
        protocol = 0x0806
    elif case == "version":
        frame = frame[:14] + b"\x65" + frame[15:]
    elif case == "ihl":
        frame = frame[:14] + b"\x44" + frame[15:]
    elif case == "truncated":
        frame = frame[:14 + 19]
    s = make(frame, protocol)
    if case == "unset":
        s.set_network_header(s.len + 1)
    assert s.get_hash() == 0
    assert s.hash == 0
    s.kfree()


def test_get_hash_never_returns_0_for_a_flow():
    # whatever the key, a found flow hashes to 1..2**32-1
    s = make(ipv4_frame(A, B, 6, 0, 0))
    assert s.get_hash() == flow_hash(0x0800, 6, A, B, 0) != 0
    s.kfree()


# ----------------------------------------------------------------------
# udp_flow_src_port

def test_udp_flow_src_port_default_range_from_the_flow_hash():
    s = make(ipv4_frame())
    h = flow_hash(0x0800, 6, A, B, 1234 << 16 | 80)
    assert s.udp_flow_src_port() == src_port(h)
    assert s.udp_flow_src_port(100, 100) == src_port(h)  # max <= min: default
    assert s.udp_flow_src_port(1000, 2000) == src_port(h, 1000, 2000)
    assert s.udp_flow_src_port(0, 65536) == src_port(h, 0, 65536)
    assert s.udp_flow_src_port(5, 6) == 5
    s.kfree()


def test_udp_flow_src_port_covers_the_range_and_stays_inside_it():
    seen = set()
    for sport in range(200):
        s = make(ipv4_frame(sport=sport))
        port = s.udp_flow_src_port(40000, 40008)
        assert 40000 <= port < 40008
        seen.add(port)
        s.kfree()
    assert seen == set(range(40000, 40008))


def test_udp_flow_src_port_without_a_flow_hashes_the_ethernet_addresses():
    frame = ipv4_frame()
    s = make(frame, protocol=0x0806)
    # jhash(data, 12, (u32)skb->protocol): the big-endian field read natively
    h = lookup3(frame[:12], 0x0608)
    assert s.udp_flow_src_port() == src_port(h)
    assert s.udp_flow_src_port(use_eth=False) == src_port(FLOW_HASH_SEED)
    s.kfree()


def test_udp_flow_src_port_short_frame_without_a_flow_uses_the_seed():
    s = make(b"\x01" * 8, protocol=0x0806)
    assert s.udp_flow_src_port() == src_port(FLOW_HASH_SEED)
    s.kfree()


@pytest.mark.parametrize("lo, hi", [(-1, 10), (0, 65537), (70000, 80000)])
def test_udp_flow_src_port_refuses_a_range_outside_the_ports(lo, hi):
    s = make(ipv4_frame())
    with pytest.raises(ValueError):
        s.udp_flow_src_port(lo, hi)
    assert s.hash == 0
    s.kfree()
