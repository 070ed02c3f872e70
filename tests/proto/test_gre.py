"""skb.proto.gre: what encap builds is dissected by scapy (GRE options,
checksum over header and payload, outer IPv4); the template fast path gives
the same bytes as encap; scapy-built frames decap to the exact inner bytes;
GreTunnels looks tunnels up as ip_gre does; per-tunnel checks and counters."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scapy.layers.inet import GRE, ICMP, IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Dot1Q, Ether

from skb import SKB_GSO, Drop, DropReason
from skb.proto import gre
from skb.proto.headers import ip_bytes
from skb.proto.ip import CHECKSUM_NONE, CHECKSUM_PARTIAL, PACKET_HOST

from .protohelp import (LOCAL4, OUTER_DST_MAC, OUTER_SRC_MAC, REMOTE4, drop_delta, l4_ok,
                        ones, packet)

IN_SRC, IN_DST = "02:00:00:00:01:01", "02:00:00:00:01:02"
TAP_MAC = "02:00:00:00:09:09"
IP4 = IP(src="10.0.0.1", dst="10.0.0.2", tos=0x28, flags="DF", ttl=17) / \
    TCP(sport=4321, dport=80) / (b"x" * 31)
IP6 = IPv6(src="fd00::1", dst="fd00::2", tc=0x01, hlim=5) / UDP(sport=1, dport=2) / b"six"
TEB = Ether(src=IN_SRC, dst=TAP_MAC) / IP4
HSETTINGS = settings(max_examples=40, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])


def inner(backend, pkt, headroom=128, frags=()):
    """An skb as the stack hands it to the tunnel: an IP packet (network
    header at data) or, for a tap, an Ethernet frame."""
    raw = bytes(pkt)
    if Ether in pkt:
        s = packet(backend, raw, headroom=headroom, frags=frags,
                   protocol=0x8100 if Dot1Q in pkt else 0x0800)
        s.set_network_header(18 if Dot1Q in pkt else 14)
    else:
        s = packet(backend, raw, headroom=headroom, frags=frags,
                   protocol=0x0800 if IP in pkt and not isinstance(pkt, IPv6) else 0x86DD)
        s.set_network_header(0)
    return s


def tunnel(tap=False, **kw) -> gre.GreTunnel:
    kw.setdefault("src_mac", OUTER_SRC_MAC)
    kw.setdefault("dst_mac", OUTER_DST_MAC)
    return gre.GreTunnel(LOCAL4, REMOTE4, tap=tap, **kw)


def peer(tap=False, **kw) -> gre.GreTunnel:
    """The receiving end of tunnel()."""
    kw.setdefault("mac", TAP_MAC)
    return gre.GreTunnel(REMOTE4, LOCAL4, tap=tap, **kw)


def finish(s) -> bytes:
    if s.ip_summed == CHECKSUM_PARTIAL:
        s.checksum_help()
    return s.to_bytes()


OPTIONS = [dict(), dict(csum=True), dict(key=0xABCD), dict(seq=True),
           dict(csum=True, key=5, seq=True), dict(okey=7, oseq=True)]


@pytest.mark.parametrize("kw", OPTIONS)
@pytest.mark.parametrize("payload", ["ipv4", "ipv6", "tap"])
def test_encap_as_scapy_reads_it(backend, kw, payload):
    t = tunnel(tap=payload == "tap", ip_id=11, o_seqno=100, **kw)
    frame = {"ipv4": IP4, "ipv6": IP6, "tap": TEB}[payload]
    for n in range(2):
        s = inner(backend, frame)
        assert gre.encap(s, t) is s
        if kw.get("csum"):
            assert (s.ip_summed, s.csum_offset, s.csum_start) == (
                CHECKSUM_PARTIAL, 4, s.transport_header)
        pkt = Ether(finish(s))
        assert (pkt.src, pkt.dst, pkt.type) == (OUTER_SRC_MAC, OUTER_DST_MAC, 0x0800)
        ip = pkt[IP]
        assert (ip.src, ip.dst, ip.proto, ip.ttl, ip.id, ip.flags.value, ip.len) == (
            LOCAL4, REMOTE4, 47, 64, 11 + n, 2, len(ip))
        assert ones(bytes(ip)[:20]) == 0xFFFF
        # ECN follows the inner packet: 0x28 has none, IPv6 tc 0x01 is ECT(1)
        assert ip.tos == (1 if payload == "ipv6" else 0)
        g = pkt[GRE]
        key = kw.get("key", kw.get("okey"))
        seq = kw.get("seq") or kw.get("oseq")
        assert (g.chksum_present, g.key_present, g.seqnum_present, g.routing_present,
                g.version) == (int(bool(kw.get("csum"))), int(key is not None),
                               int(bool(seq)), 0, 0)
        assert g.proto == {"ipv4": 0x0800, "ipv6": 0x86DD, "tap": 0x6558}[payload]
        if key is not None:
            assert g.key == key
        if seq:
            assert g.sequence_number == 100 + n
        if kw.get("csum"):
            assert ones(bytes(g)) == 0xFFFF  # the GRE header and all its payload
        assert bytes(g.payload) == bytes(frame)
        s.kfree()
    assert t.stats.tx_packets == 2 and t.o_seqno == (102 if seq else 100)


def test_encap_headers_and_offsets(backend):
    s = inner(backend, TEB)
    data = s.data_offset
    gre.encap(s, tunnel(tap=True, key=1))
    assert (s.data_offset, s.mac_header, s.network_header, s.transport_header) == (
        data - 42, data - 42, data - 28, data - 8)
    assert (s.inner_mac_header, s.inner_network_header, s.protocol, s.inner_protocol) == (
        data, data + 14, 0x0800, 0x6558)
    assert (s.encapsulation, s.ip_summed, s.mac_len) == (0, CHECKSUM_NONE, 14)
    s.kfree()


def partial_inner(s, off):
    ip = IP4[IP]
    s.set_transport_header(off + 20)
    s.ip_summed = CHECKSUM_PARTIAL
    s.csum_start = s.transport_header
    s.csum_offset = 16
    n = len(bytes(IP4)) - 20
    s.store_bits(off + 36, struct.pack("!H", ones(ip_bytes(ip.src) + ip_bytes(ip.dst) +
                                                  struct.pack("!BBH", 0, 6, n))))


def test_checksum_with_an_offloaded_inner_checksum(backend):
    s = inner(backend, IP4)
    partial_inner(s, 0)
    gre.encap(s, tunnel(csum=True))
    assert (s.ip_summed, s.csum_start, s.encapsulation) == (
        CHECKSUM_PARTIAL, s.inner_transport_header, 1)
    before = Ether(s.to_bytes())[GRE].chksum
    s.checksum_help()
    g = Ether(s.to_bytes())[GRE]
    assert g.chksum == before != 0 and ones(bytes(g)) == 0xFFFF
    assert l4_ok(ip_bytes("10.0.0.1"), ip_bytes("10.0.0.2"), 6, bytes(g.payload[TCP]))
    s.kfree()


def test_gso_packet_leaves_the_gre_checksum_to_segmentation(backend):
    s = inner(backend, IP4)
    partial_inner(s, 0)
    s.gso_size, s.gso_segs, s.gso_type = 8, 4, SKB_GSO.TCPV4
    t = tunnel(csum=True, ip_id=9)
    gre.encap(s, t)
    assert s.gso_type == SKB_GSO.TCPV4 | SKB_GSO.GRE | SKB_GSO.GRE_CSUM
    assert Ether(s.to_bytes())[GRE].chksum == 0 and t.ip_id == 13
    s.kfree()


@pytest.mark.parametrize("kw, payload, want", [
    (dict(ttl=0), "ipv4", dict(ttl=17, tos=0x00, df=True)),       # TTL inherit
    (dict(ttl=0), "ipv6", dict(ttl=5, tos=0x01, df=True)),
    (dict(ttl=0), "tap", dict(ttl=17, tos=0x00, df=True)),
    (dict(tos=1), "ipv4", dict(ttl=64, tos=0x28, df=True)),       # TOS inherit
    (dict(tos=0x10), "ipv6", dict(ttl=64, tos=0x11, df=True)),    # ECT(1) from inside
    (dict(tos=0x11), "ipv6", dict(ttl=64, tos=0x01, df=True)),    # bit 0: inherit
    (dict(pmtudisc=False), "ipv4", dict(ttl=64, tos=0, df=True)),  # DF from the inner header
    (dict(pmtudisc=False), "ipv6", dict(ttl=64, tos=1, df=False)),
])
def test_ttl_tos_df(backend, kw, payload, want):
    t = tunnel(tap=payload == "tap", **kw)
    assert (t.template(0x0800) is None) == ("tos" in kw and kw["tos"] & 1 or
                                            kw.get("ttl") == 0 or "pmtudisc" in kw)
    s = inner(backend, {"ipv4": IP4, "ipv6": IP6, "tap": TEB}[payload])
    t.xmit(s)
    ip = Ether(s.to_bytes())[IP]
    assert dict(ttl=ip.ttl, tos=ip.tos, df=bool(ip.flags.DF)) == want
    s.kfree()


def test_encap_refuses_a_short_packet_and_needs_addresses(backend):
    t = tunnel()
    s = inner(backend, IP4)
    s.trim(12)
    with drop_delta(backend) as d:
        assert gre.encap(s, t) == Drop(DropReason.PKT_TOO_SMALL)
    assert d == ({DropReason.PKT_TOO_SMALL: 1} if backend.engine else {})
    assert t.stats.tx_dropped == 1
    rx_only = gre.GreTunnel(LOCAL4, None)
    s = inner(backend, IP4)
    with pytest.raises(ValueError, match="local, remote and dst_mac"):
        gre.encap(s, rx_only)
    s.kfree()
    with pytest.raises(ValueError, match="32 bits"):
        gre.GreTunnel(LOCAL4, REMOTE4, key=1 << 32)
    with pytest.raises(ValueError, match="IPv4"):
        gre.GreTunnel("2001:db8::1", REMOTE4)


# ----------------------------------------------------------------------
# the template fast path is byte-identical to encap

TEMPLATE_KW = [dict(), dict(csum=True), dict(key=3, seq=True), dict(csum=True, key=3, seq=True),
               dict(tos=0x20, ttl=9, ip_id=0xFFFF, o_seqno=0xFFFFFFFF)]


@pytest.mark.parametrize("kw", TEMPLATE_KW)
@pytest.mark.parametrize("payload", ["ipv4", "tap"])
@pytest.mark.parametrize("shape", ["plain", "partial", "gso", "paged", "cloned"])
def test_template_and_generic_encap_agree(backend, kw, payload, shape):
    frame = IP4 if payload == "ipv4" else TEB
    off = 0 if payload == "ipv4" else 14
    a_t, b_t = tunnel(tap=payload == "tap", **kw), tunnel(tap=payload == "tap", **kw)
    skbs = []
    for _ in range(2):
        s = inner(backend, frame, frags=(30, 50) if shape == "paged" else (),
                  headroom=10 if shape == "cloned" else 128)
        if shape in ("partial", "gso"):
            partial_inner(s, off)
        if shape == "gso":
            s.gso_size, s.gso_segs, s.gso_type = 10, 3, SKB_GSO.TCPV4
        skbs.append(s)
    clone = skbs[1].clone() if shape == "cloned" else None
    a, b = skbs
    assert gre.encap(a, a_t) is a
    assert b_t.xmit(b) is b
    rel = [(x.mac_offset, x.network_offset, x.transport_offset, x.inner_mac_offset,
            x.inner_network_offset, x.protocol, x.inner_protocol, x.mac_len,
            x.encapsulation, x.ip_summed, x.gso_type, x.len) for x in (a, b)]
    assert rel[0] == rel[1]
    if a.ip_summed == CHECKSUM_PARTIAL:
        assert a.csum_start - a.data_offset == b.csum_start - b.data_offset
        assert a.csum_offset == b.csum_offset
    assert a.to_bytes() == b.to_bytes()
    assert (a_t.ip_id, a_t.o_seqno) == (b_t.ip_id, b_t.o_seqno)
    if clone is not None:
        assert clone.to_bytes() == bytes(frame)
        clone.kfree()
    a.kfree()
    b.kfree()


def test_one_counter_across_payload_protocols(backend):
    """A GRE (not tap) tunnel has a template per payload protocol; the IPv4
    ID and the sequence number stay one counter, as the kernel's are."""
    a_t, b_t = tunnel(seq=True, key=1), tunnel(seq=True, key=1)
    for frame in (IP4, IP6, IP4, IP6, IP6, IP4):
        a, b = inner(backend, frame), inner(backend, frame)
        gre.encap(a, a_t)
        b_t.xmit(b)
        assert a.to_bytes() == b.to_bytes()
        a.kfree()
        b.kfree()
    assert (b_t.ip_id, b_t.o_seqno) == (a_t.ip_id, a_t.o_seqno) == (6, 6)


def test_burst(backend):
    one, burst = tunnel(tap=True, seq=True), tunnel(tap=True, seq=True)
    a = [inner(backend, TEB) for _ in range(5)]
    b = [inner(backend, TEB) for _ in range(5)]
    for s in a:
        one.xmit(s)
    assert burst.xmit_burst(b) == []
    assert [s.to_bytes() for s in a] == [s.to_bytes() for s in b]
    assert burst.o_seqno == 5 and burst.stats.tx_packets == 5
    with pytest.raises(ValueError, match="per packet"):
        tunnel(ttl=0).xmit_burst([])
    with pytest.raises(ValueError, match="payload protocol"):
        tunnel().xmit_burst([])
    l3 = tunnel(seq=True)
    c = [inner(backend, IP6) for _ in range(3)]
    assert l3.xmit_burst(c, 0x86DD) == []
    assert [Ether(s.to_bytes())[GRE].sequence_number for s in c] == [0, 1, 2]
    assert all(Ether(s.to_bytes())[GRE].proto == 0x86DD for s in c)
    for s in c:
        s.kfree()
    for s in a + b:
        s.kfree()


# ----------------------------------------------------------------------
# decap

def wire(inner_pkt=IP4, proto=None, src=LOCAL4, dst=REMOTE4, outer_kw=None, **gre_kw):
    outer_kw = outer_kw or {}
    if proto is None:
        proto = 0x6558 if Ether in inner_pkt else 0x86DD if IPv6 in inner_pkt else 0x0800
    return bytes(Ether(src=OUTER_SRC_MAC, dst=OUTER_DST_MAC) /
                 IP(src=src, dst=dst, **outer_kw) / GRE(proto=proto, **gre_kw) / inner_pkt)


@pytest.mark.parametrize("frame", [IP4, IP6, TEB], ids=["ipv4", "ipv6", "tap"])
def test_decap_without_tunnels_parses_and_strips(backend, frame):
    s = packet(backend, wire(frame, key_present=1, key=77, seqnum_present=1,
                             sequence_number=9, chksum_present=1))
    r = gre.decap(s)
    assert type(r) is tuple and r[0] is s
    info = r[1]
    tap = Ether in frame
    assert (info.proto, info.flags, info.key, info.seq, info.hdr_len, info.tunnel) == (
        0x6558 if tap else 0x86DD if IPv6 in frame else 0x0800, 0xB000, 77, 9, 16, None)
    assert (info.saddr, info.daddr) == (ip_bytes(LOCAL4), ip_bytes(REMOTE4))
    assert s.to_bytes() == bytes(frame)
    assert (s.mac_offset, s.network_offset) == (0, 14 if tap else 0)
    assert s.protocol == (0x0800 if tap else info.proto)
    s.kfree()


@pytest.mark.parametrize("tap", [False, True])
def test_decap_through_a_tunnel_counts(backend, tap):
    p = peer(tap=tap, key=5)
    frame = TEB if tap else IP4
    s = packet(backend, wire(frame, key_present=1, key=5))
    r = gre.decap(s, p)
    assert r[1].tunnel is p and s.to_bytes() == bytes(frame)
    moved = {k: v for k, v in p.stats.as_dict().items() if v}
    assert moved == dict(rx_packets=1, rx_bytes=len(bytes(frame)))
    if tap:
        assert (s.pkt_type, s.protocol) == (PACKET_HOST, 0x0800)
    s.kfree()
    assert p.rcv(packet(backend, wire(frame, key_present=1, key=6))) == Drop(
        DropReason.NO_SOCKET)


def test_decap_of_a_tunnel_gso_packet_unshares_it_and_drops_the_tunnel_bits(backend):
    """iptunnel_pull_offloads: a gretap GSO packet comes out as a plain
    inner GSO packet on a head of its own, its Ethernet header read there;
    the clone keeps the old head and shared info, tunnel bits included."""
    s = inner(backend, TEB)
    partial_inner(s, 14)
    s.gso_size, s.gso_segs, s.gso_type = 8, 4, SKB_GSO.TCPV4
    gre.encap(s, tunnel(tap=True, key=5))
    c = s.clone()
    outer = s.to_bytes()
    r = gre.decap(s, peer(tap=True, key=5))
    assert type(r) is tuple and r[0] is s and r[1].hdr_len == 8
    assert s.to_bytes() == outer[42:]
    assert (s.gso_size, s.gso_segs, s.gso_type, s.encapsulation, s.is_cloned()) == (
        8, 4, SKB_GSO.TCPV4, 0, False)
    assert (s.mac_offset, s.network_offset, s.protocol, s.pkt_type) == (
        0, 14, 0x0800, PACKET_HOST)
    assert c.to_bytes() == outer
    assert (c.gso_type, c.encapsulation, c.is_cloned()) == (SKB_GSO.TCPV4 | SKB_GSO.GRE, 1,
                                                            False)
    s.kfree()
    c.kfree()


def test_checksum_presence_must_match_the_tunnel(backend):
    for icsum, present in ((True, False), (False, True)):
        p = peer(icsum=icsum)
        kw = dict(chksum_present=1) if present else {}
        s = packet(backend, wire(**kw))
        with drop_delta(backend) as d:
            assert gre.decap(s, p) == Drop(DropReason.SKB_CSUM)
        assert d == ({DropReason.SKB_CSUM: 1} if backend.engine else {})
        assert (p.stats.rx_crc_errors, p.stats.rx_errors) == (1, 1)
    p = peer(csum=True)
    s = packet(backend, wire(chksum_present=1))
    assert type(gre.decap(s, p)) is tuple
    s.kfree()


def test_sequence_numbers_must_not_go_back(backend):
    p = peer(seq=True)
    got = []
    for seq in (10, 11, 11, 5, 13, 0x7FFFFFF0):
        s = packet(backend, wire(seqnum_present=1, sequence_number=seq))
        r = gre.decap(s, p)
        got.append(type(r) is tuple)
        if got[-1]:
            s.kfree()
    # serial arithmetic: 11 again and 5 are old; 0x7FFFFFF0 is still ahead of 14
    assert got == [True, True, False, False, True, True]
    assert (p.stats.rx_fifo_errors, p.i_seqno) == (2, 0x7FFFFFF1)
    s = packet(backend, wire())  # no sequence number at all
    assert gre.decap(s, p) == Drop(DropReason.NOT_SPECIFIED)
    assert p.stats.rx_fifo_errors == 3


def test_lookup_prefers_exact_addresses_then_wildcards():
    L, R, M = ip_bytes(REMOTE4), ip_bytes(LOCAL4), ip_bytes("239.1.1.1")
    exact = gre.GreTunnel(REMOTE4, LOCAL4)
    by_remote = gre.GreTunnel(None, LOCAL4)
    by_local = gre.GreTunnel(REMOTE4, None)
    wild = gre.GreTunnel(None, None)
    keyed = gre.GreTunnel(REMOTE4, LOCAL4, ikey=9)
    mcast = gre.GreTunnel(None, "239.1.1.1")
    table = gre.GreTunnels([wild, by_local, by_remote, exact, keyed, mcast])
    assert len(table) == 6 and set(table) == {wild, by_local, by_remote, exact, keyed, mcast}
    assert table.lookup(0x0800, 0, None, R, L) is exact
    assert table.lookup(0x0800, 0x2000, 9, R, L) is keyed
    assert table.lookup(0x0800, 0x2000, 8, R, L) is None  # no tunnel has key 8
    assert table.lookup(0x0800, 0, None, ip_bytes("203.0.113.1"), L) is by_local
    table.remove(by_local)
    assert table.lookup(0x0800, 0, None, ip_bytes("203.0.113.1"), L) is wild
    assert table.lookup(0x0800, 0, None, R, ip_bytes("203.0.113.9")) is by_remote
    assert table.lookup(0x0800, 0, None, ip_bytes("203.0.113.1"), M) is mcast
    assert table.lookup(0x6558, 0, None, R, L) is None  # gretap traffic wants a tap tunnel
    tap = gre.GreTunnel(REMOTE4, LOCAL4, tap=True)
    table.add(tap)
    assert table.lookup(0x6558, 0, None, R, L) is tap


def test_decap_through_a_table(backend):
    a, b = peer(key=1), peer(key=2)
    table = gre.GreTunnels([a, b])
    for key, want in ((1, a), (2, b)):
        s = packet(backend, wire(key_present=1, key=key))
        assert gre.decap(s, table)[1].tunnel is want
        s.kfree()
    s = packet(backend, wire())
    assert gre.decap(s, table) == Drop(DropReason.NO_SOCKET)


def test_wccp(backend):
    # WCCPv1: protocol 0x883E straight before IPv4; WCCPv2: a 4-byte redirect header first
    s = packet(backend, wire(IP4, proto=0x883E))
    r = gre.decap(s)
    assert (r[1].proto, r[1].hdr_len) == (0x0800, 4) and s.to_bytes() == bytes(IP4)
    s.kfree()
    s = packet(backend, wire(b"\x00\x11\x22\x33" / IP4, proto=0x883E))
    r = gre.decap(s)
    assert (r[1].proto, r[1].hdr_len) == (0x0800, 8) and s.to_bytes() == bytes(IP4)
    s.kfree()


@pytest.mark.parametrize("cuts", [(20,), (34, 38, 40), (40,), (60, 61)])
def test_checksum_verified_across_frags(backend, cuts):
    s = packet(backend, wire(TEB, chksum_present=1), frags=cuts)
    r = gre.decap(s, peer(tap=True, csum=True))
    assert type(r) is tuple and s.to_bytes() == bytes(TEB)
    s.kfree()
    raw = bytearray(wire(TEB, chksum_present=1))
    raw[-1] ^= 0x40  # payload bit flipped in the last frag
    s = packet(backend, bytes(raw), frags=cuts)
    assert gre.decap(s) == Drop(DropReason.SKB_CSUM)


def test_ecn_decap(backend):
    p = peer()
    s = packet(backend, wire(IP(tos=0x02) / UDP(), outer_kw=dict(tos=0x03)))
    gre.decap(s, p)
    ip = IP(s.to_bytes())
    assert ip.tos == 0x03 and ones(bytes(ip)[:20]) == 0xFFFF
    s.kfree()
    s = packet(backend, wire(IP(tos=0x00) / UDP(), outer_kw=dict(tos=0x03)))
    assert gre.decap(s, p) == Drop(DropReason.IP_TUNNEL_ECN)
    assert (p.stats.rx_frame_errors, p.stats.rx_packets) == (1, 1)


def _payload(kind: str, n: int):
    if kind == "ipv4":
        return IP(src="10.1.1.1", dst="10.2.2.2") / ICMP() / (b"p" * n)
    if kind == "ipv6":
        return IPv6(src="fd00::1", dst="fd00::2") / UDP() / (b"p" * n)
    return Ether(src=IN_SRC, dst=TAP_MAC) / IP() / TCP() / (b"p" * n)


@HSETTINGS
@given(kind=st.sampled_from(["ipv4", "ipv6", "tap"]), n=st.integers(0, 1400),
       key=st.none() | st.integers(0, 0xFFFFFFFF), seq=st.none() | st.integers(0, 0xFFFFFFFF),
       csum=st.booleans(), split=st.integers(0, 120))
def test_scapy_frames_decap_to_the_exact_inner_bytes(backend, kind, n, key, seq, csum, split):
    payload = _payload(kind, n)
    kw = {}
    if key is not None:
        kw.update(key_present=1, key=key)
    if seq is not None:
        kw.update(seqnum_present=1, sequence_number=seq)
    if csum:
        kw.update(chksum_present=1)
    s = packet(backend, wire(payload, **kw), frags=(split,) if split else ())
    r = gre.decap(s)
    assert type(r) is tuple, r
    info = r[1]
    assert (info.key, info.seq) == (key, seq)
    assert info.hdr_len == 4 + 4 * (csum + (key is not None) + (seq is not None))
    assert s.to_bytes() == bytes(payload)
    s.kfree()


@HSETTINGS
@given(kind=st.sampled_from(["ipv4", "ipv6", "tap"]), n=st.integers(0, 1400),
       key=st.none() | st.integers(0, 0xFFFFFFFF), seq=st.booleans(), csum=st.booleans())
def test_encap_then_decap_round_trips(backend, kind, n, key, seq, csum):
    tap = kind == "tap"
    t = tunnel(tap=tap, key=key, seq=seq, csum=csum)
    p = peer(tap=tap, key=key, seq=seq, csum=csum)
    payload = _payload(kind, n)
    s = inner(backend, payload)
    assert t.xmit(s) is s
    finish(s)
    r = gre.decap(s, p)
    assert type(r) is tuple and r[1].tunnel is p and s.to_bytes() == bytes(payload)
    s.kfree()


def test_checksum_unnecessary_skips_the_gre_checksum(backend):
    raw = bytearray(wire(TEB, chksum_present=1))
    raw[38:40] = b"\x00\x01"  # a wrong GRE checksum
    s = packet(backend, bytes(raw))
    s.ip_summed = 1  # CHECKSUM_UNNECESSARY
    assert type(gre.decap(s)) is tuple and s.ip_summed == CHECKSUM_NONE
    s.kfree()
    s = packet(backend, bytes(raw))
    assert gre.decap(s) == Drop(DropReason.SKB_CSUM)
