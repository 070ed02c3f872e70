"""skb.proto.vxlan: every frame encap builds is dissected by scapy (outer
and inner fields, IPv4/UDP checksums); the template fast path gives the
same bytes as the header-by-header encap; scapy-built frames decap to the
exact inner bytes; VxlanDevice forwards, floods, learns and counts."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Dot1Q, Ether
from scapy.layers.vxlan import VXLAN

import skb
from skb import SKB_GSO, Drop, DropReason
from skb.proto import vxlan
from skb.proto.headers import ip_bytes
from skb.proto.ip import (CHECKSUM_COMPLETE, CHECKSUM_NONE, CHECKSUM_PARTIAL,
                          PACKET_BROADCAST, PACKET_HOST, PACKET_MULTICAST, PACKET_OTHERHOST)
from skb.testing.faults import fail_nth_alloc

from .protohelp import (ENGINE, LOCAL4, LOCAL6, OUTER_DST_MAC, OUTER_SRC_MAC, REMOTE4, REMOTE6,
                        Backend, drop_delta, l4_ok, ones, packet)

IN_SRC, IN_DST = "02:00:00:00:01:01", "02:00:00:00:01:02"
DEV_MAC = "02:00:00:00:09:09"
INNER = (Ether(src=IN_SRC, dst=IN_DST) /
         IP(src="10.0.0.1", dst="10.0.0.2", tos=0x28, flags="DF", ttl=17) /
         TCP(sport=4321, dport=80) / (b"x" * 30))
INNER_BYTES = bytes(INNER)
HSETTINGS = settings(max_examples=40, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])


def inner_skb(backend, frame=INNER, headroom=128, frags=()):
    raw = bytes(frame)
    proto = 0x8100 if Dot1Q in frame else 0x0800 if IP in frame else 0x86DD
    s = packet(backend, raw, headroom=headroom, protocol=proto, frags=frags)
    s.set_network_header(18 if Dot1Q in frame else 14)  # as the bridge hands it over
    return s


def tunnel(vni=42, v6=False, **kw) -> vxlan.VxlanTunnel:
    local, remote = (LOCAL6, REMOTE6) if v6 else (LOCAL4, REMOTE4)
    kw.setdefault("dst_mac", OUTER_DST_MAC)
    return vxlan.VxlanTunnel(vni, local, remote, src_mac=OUTER_SRC_MAC, **kw)


def finish(s) -> bytes:
    """What goes on the wire: a checksum left to the device is filled in."""
    if s.ip_summed == CHECKSUM_PARTIAL:
        s.checksum_help()
    return s.to_bytes()


# ----------------------------------------------------------------------
# encap: scapy dissects what we build

@pytest.mark.parametrize("v6", [False, True])
@pytest.mark.parametrize("csum", [False, True])
def test_encap_fields_as_scapy_reads_them(backend, v6, csum):
    t = tunnel(v6=v6, udp_csum=csum, ip_id=7)
    s = inner_skb(backend)
    sport = s.udp_flow_src_port()
    assert vxlan.encap(s, 42, t) is s
    pkt = Ether(finish(s))
    assert (pkt.src, pkt.dst, pkt.type) == (OUTER_SRC_MAC, OUTER_DST_MAC,
                                            0x86DD if v6 else 0x0800)
    udp = pkt[UDP]
    n = len(INNER_BYTES)
    assert (udp.sport, udp.dport, udp.len) == (sport, 4789, 16 + n)
    assert 32768 <= sport < 60999
    if v6:
        ip6 = pkt[IPv6]
        assert (ip6.src, ip6.dst, ip6.plen, ip6.nh, ip6.hlim, ip6.tc, ip6.fl) == (
            LOCAL6, REMOTE6, 16 + n, 17, 64, 0, 0)
        src, dst = ip_bytes(LOCAL6), ip_bytes(REMOTE6)
    else:
        ip = pkt[IP]
        assert (ip.src, ip.dst, ip.len, ip.id, ip.ttl, ip.proto, ip.tos, ip.flags.value) == (
            LOCAL4, REMOTE4, 36 + n, 7, 64, 17, 0, 0)
        assert ones(bytes(ip)[:20]) == 0xFFFF
        src, dst = ip_bytes(LOCAL4), ip_bytes(REMOTE4)
    if csum:
        assert udp.chksum != 0 and l4_ok(src, dst, 17, bytes(udp))
    else:
        assert udp.chksum == 0
    assert (pkt[VXLAN].flags, pkt[VXLAN].vni) == (0x08, 42)
    assert bytes(pkt[VXLAN].payload) == INNER_BYTES
    s.kfree()


def test_encap_sets_headers_protocol_and_inner_offsets(backend):
    s = inner_skb(backend)
    data = s.data_offset
    vxlan.encap(s, 5, tunnel())
    assert (s.data_offset, s.mac_header, s.network_header, s.transport_header) == (
        data - 50, data - 50, data - 36, data - 16)
    assert (s.inner_mac_header, s.inner_network_header) == (data, data + 14)
    assert (s.protocol, s.inner_protocol, s.mac_len) == (0x0800, 0x6558, 14)
    # a packet without checksum offload or GSO: the kernel leaves no
    # encapsulation state (iptunnel_handle_offloads clears it)
    assert (s.encapsulation, s.ip_summed) == (0, CHECKSUM_NONE)
    s.kfree()


def partial_inner(s):
    """Leave the inner TCP checksum to the device (CHECKSUM_PARTIAL, the
    pseudo-header sum in the field, as the TCP stack leaves it)."""
    s.set_transport_header(34)
    s.ip_summed = CHECKSUM_PARTIAL
    s.csum_start = s.transport_header
    s.csum_offset = 16
    ip = INNER[IP]
    n = len(INNER_BYTES) - 34
    s.store_bits(50, struct.pack("!H", ones(ip_bytes(ip.src) + ip_bytes(ip.dst) +
                                            struct.pack("!BBH", 0, 6, n))))


def test_encap_with_offloaded_inner_checksum_uses_local_checksum_offload(backend):
    s = inner_skb(backend)
    partial_inner(s)
    vxlan.encap(s, 9, tunnel(udp_csum=True))
    assert (s.ip_summed, s.encapsulation, s.csum_start) == (
        CHECKSUM_PARTIAL, 1, s.inner_transport_header)
    before = Ether(s.to_bytes())[UDP].chksum
    s.checksum_help()  # the device fills the inner checksum: the outer one then verifies
    pkt = Ether(s.to_bytes())
    assert pkt[UDP].chksum == before != 0
    assert l4_ok(ip_bytes(LOCAL4), ip_bytes(REMOTE4), 17, bytes(pkt[UDP]))
    inner = pkt[VXLAN].payload
    assert l4_ok(ip_bytes("10.0.0.1"), ip_bytes("10.0.0.2"), 6, bytes(inner[TCP]))
    s.kfree()


def test_encap_of_a_gso_packet_adds_the_tunnel_gso_type(backend):
    s = inner_skb(backend)
    partial_inner(s)
    s.gso_size, s.gso_segs, s.gso_type = 10, 3, SKB_GSO.TCPV4
    t = tunnel(udp_csum=True, ip_id=100)
    vxlan.encap(s, 9, t)
    assert s.gso_type == SKB_GSO.TCPV4 | SKB_GSO.UDP_TUNNEL_CSUM
    pkt = Ether(s.to_bytes())
    # ~udp_v4_check(len, saddr, daddr, 0): the pseudo-header sum only
    assert pkt[UDP].chksum == ones(ip_bytes(LOCAL4) + ip_bytes(REMOTE4) +
                                   struct.pack("!BBH", 0, 17, pkt[UDP].len))
    assert pkt[IP].id == 100 and t.ip_id == 103  # one ID per segment
    s.kfree()


@pytest.mark.parametrize("tos, df, inner_tos, inner_df, want_tos, want_df", [
    (0, "unset", 0x28, True, 0x00, False),
    (0, "unset", 0x2B, True, 0x02, False),       # inner CE goes out as ECT(0)
    (0x10, "set", 0x29, False, 0x11, True),      # inner ECT(1) copied
    (1, "inherit", 0x2A, True, 0x2A, True),      # TOS 1: inherit the DS field
    (1, "inherit", 0x2B, False, 0x2A, False),
])
def test_tos_ecn_and_df(backend, tos, df, inner_tos, inner_df, want_tos, want_df):
    frame = INNER.copy()
    frame[IP].tos = inner_tos
    frame[IP].flags = "DF" if inner_df else 0
    s = inner_skb(backend, frame)
    vxlan.encap(s, 1, tunnel(tos=tos, df=df))
    ip = Ether(s.to_bytes())[IP]
    assert (ip.tos, bool(ip.flags.DF)) == (want_tos, want_df)
    s.kfree()


def test_df_inherit_for_an_ipv6_inner_packet_and_ttl_choices(backend):
    frame = Ether(src=IN_SRC, dst=IN_DST) / IPv6(hlim=33, tc=0x03) / UDP() / b"v6"
    s = inner_skb(backend, frame)
    vxlan.encap(s, 1, tunnel(df="inherit", ttl_inherit=True))
    ip = Ether(s.to_bytes())[IP]
    assert (bool(ip.flags.DF), ip.ttl, ip.tos) == (True, 33, 0x02)
    s.kfree()
    s = inner_skb(backend)
    vxlan.encap(s, 1, tunnel(ttl=200))
    assert Ether(s.to_bytes())[IP].ttl == 200
    s.kfree()


def test_multicast_remote_gets_ttl_one_and_the_group_mac(backend):
    t = vxlan.VxlanTunnel(3, LOCAL4, "239.1.2.3", src_mac=OUTER_SRC_MAC)
    s = inner_skb(backend)
    t.xmit(s)
    pkt = Ether(s.to_bytes())
    assert (pkt.dst, pkt[IP].ttl, pkt[IP].dst) == ("01:00:5e:01:02:03", 1, "239.1.2.3")
    s.kfree()
    t6 = vxlan.VxlanTunnel(3, LOCAL6, "ff05::1:3", src_mac=OUTER_SRC_MAC)
    assert t6.dst_mac == bytes.fromhex("333300010003")


def test_port_8472_and_source_port_range(backend):
    t = tunnel(port=vxlan.VXLAN_LINUX_PORT, sport_min=1000, sport_max=1010)
    ports = set()
    for sp in range(40):
        frame = INNER.copy()
        frame[TCP].sport = sp
        a = inner_skb(backend, frame)
        want = a.udp_flow_src_port(1000, 1010)
        t.xmit(a)
        udp = Ether(a.to_bytes())[UDP]
        assert (udp.dport, udp.sport) == (8472, want)
        ports.add(udp.sport)
        a.kfree()
    assert ports <= set(range(1000, 1010)) and len(ports) == 10


def test_headroom_is_made_and_a_shared_header_is_not_written(backend):
    s = inner_skb(backend, headroom=0)
    c = s.clone()
    vxlan.encap(s, 7, tunnel())
    assert c.to_bytes() == INNER_BYTES
    assert Ether(s.to_bytes())[VXLAN].vni == 7 and not s.is_cloned()
    c.kfree()
    s.kfree()


def test_encap_drops_a_frame_shorter_than_its_headers(backend):
    t = tunnel()
    s = inner_skb(backend)
    s.trim(30)  # claims IPv4 but has 16 bytes of it
    with drop_delta(backend) as d:
        assert vxlan.encap(s, 1, t) == Drop(DropReason.NOMEM)
    assert d == ({DropReason.NOMEM: 1} if backend.engine else {})
    assert t.stats.tx_dropped == 1 and t.stats.tx_packets == 0


def test_encap_of_a_vlan_tagged_frame_reads_behind_the_tag(backend):
    frame = Ether(src=IN_SRC, dst=IN_DST) / Dot1Q(vlan=5) / IP(tos=0x03) / UDP() / b"q"
    for how in ("encap", "xmit"):
        s = inner_skb(backend, frame)
        t = tunnel()
        vxlan.encap(s, 1, t) if how == "encap" else t.xmit(s)
        pkt = Ether(s.to_bytes())
        assert pkt[IP].tos == 0x02 and bytes(pkt[VXLAN].payload) == bytes(frame)
        assert s.inner_network_header == s.inner_mac_header + 18
        s.kfree()


def test_vni_range():
    with pytest.raises(ValueError):
        tunnel(vni=1 << 24)
    with pytest.raises(ValueError):
        vxlan.VxlanTunnel(1, LOCAL4, REMOTE6, src_mac=OUTER_SRC_MAC, dst_mac=OUTER_DST_MAC)
    with pytest.raises(ValueError, match="dst_mac"):
        vxlan.VxlanTunnel(1, LOCAL4, REMOTE4, src_mac=OUTER_SRC_MAC)
    with pytest.raises(ValueError, match="df"):
        tunnel(df="maybe")


# ----------------------------------------------------------------------
# the template fast path is byte-identical to encap

GENERIC_VS_TEMPLATE = [
    dict(), dict(udp_csum=True), dict(v6=True), dict(v6=True, udp_csum=False),
    dict(tos=0x20, df="set"), dict(df="inherit"), dict(port=8472, sport_min=5, sport_max=9),
    dict(ttl=3, ip_id=0xFFFF),
]


@pytest.mark.parametrize("kw", GENERIC_VS_TEMPLATE)
@pytest.mark.parametrize("shape", ["plain", "partial", "gso", "paged", "cloned"])
def test_template_and_generic_encap_agree(backend, kw, shape):
    a_t, b_t = tunnel(**kw), tunnel(**kw)
    assert b_t.template is not None
    skbs = []
    for _ in range(2):
        s = inner_skb(backend, frags=(40, 60) if shape == "paged" else (),
                      headroom=20 if shape == "cloned" else 128)
        if shape in ("partial", "gso"):
            partial_inner(s)
        if shape == "gso":
            s.gso_size, s.gso_segs, s.gso_type = 10, 4, SKB_GSO.TCPV4
        skbs.append(s)
    clone = skbs[1].clone() if shape == "cloned" else None
    assert vxlan.encap(skbs[0], a_t.vni, a_t) is skbs[0]
    assert b_t.xmit(skbs[1]) is skbs[1]
    a, b = skbs
    rel = [(x.mac_offset, x.network_offset, x.transport_offset, x.inner_mac_offset,
            x.inner_network_offset, x.protocol, x.inner_protocol, x.mac_len,
            x.encapsulation, x.ip_summed, x.gso_type, x.len, x.data_len) for x in (a, b)]
    assert rel[0] == rel[1]
    if a.ip_summed == CHECKSUM_PARTIAL:
        assert a.csum_start - a.data_offset == b.csum_start - b.data_offset
        assert a.csum_offset == b.csum_offset
    assert a.to_bytes() == b.to_bytes()
    assert a_t.ip_id == b_t.ip_id
    if clone is not None:
        assert clone.to_bytes() == INNER_BYTES
        clone.kfree()
    a.kfree()
    b.kfree()


def test_burst_equals_one_by_one(backend):
    one, burst = tunnel(ip_id=1), tunnel(ip_id=1)
    a, b = [], []
    for sp in range(8):
        f = INNER.copy()
        f[TCP].sport = sp
        a.append(inner_skb(backend, f))
        s = inner_skb(backend, f)
        s.set_network_header(14)  # prepared as xmit_burst wants
        b.append(s)
    for s in a:
        one.xmit(s)
    assert burst.xmit_burst(b) == []
    assert [s.to_bytes() for s in a] == [s.to_bytes() for s in b]
    assert one.ip_id == burst.ip_id == 9
    assert burst.stats.tx_packets == 8
    for s in a + b:
        s.kfree()


def test_tunnels_that_inherit_have_no_template(backend):
    t = tunnel(tos=1)
    assert t.template is None
    with pytest.raises(ValueError, match="per packet"):
        t.xmit_burst([])
    s = inner_skb(backend)
    assert t.xmit(s) is s
    assert Ether(s.to_bytes())[IP].tos == 0x28
    s.kfree()


# ----------------------------------------------------------------------
# decap

def device(**kw):
    kw.setdefault("mac", DEV_MAC)
    local = kw.pop("local", REMOTE4)
    return vxlan.VxlanDevice(kw.pop("vni", 42), local, **kw)


def wire(vni=42, inner=INNER, v6=False, port=4789, udp_csum=None, outer_kw=None,
         vx_flags=0x08):
    """A VXLAN frame as scapy builds it."""
    outer_kw = outer_kw or {}
    L3 = (IPv6(src=LOCAL6, dst=REMOTE6, **outer_kw) if v6 else
          IP(src=LOCAL4, dst=REMOTE4, **outer_kw))
    udp = UDP(sport=5555, dport=port)
    if udp_csum is False:
        udp.chksum = 0
    return bytes(Ether(src=OUTER_SRC_MAC, dst=OUTER_DST_MAC) / L3 / udp /
                 VXLAN(vni=vni, flags=vx_flags) / inner)


@pytest.mark.parametrize("v6", [False, True])
def test_decap_leaves_the_inner_frame(backend, v6):
    dev = device(local=REMOTE6 if v6 else REMOTE4, learning=False)
    s = packet(backend, wire(v6=v6))
    r = vxlan.decap(s, dev)
    assert type(r) is tuple and r[0] is s
    info = r[1]
    assert (info.vni, info.device, info.sport, info.dport, info.flags) == (
        42, dev, 5555, 4789, 0x08000000)
    assert (info.saddr, info.daddr) == ((ip_bytes(LOCAL6), ip_bytes(REMOTE6)) if v6 else
                                        (ip_bytes(LOCAL4), ip_bytes(REMOTE4)))
    assert s.to_bytes() == INNER_BYTES
    assert (s.mac_offset, s.network_offset, s.mac_len, s.protocol, s.pkt_type) == (
        0, 14, 14, 0x0800, PACKET_OTHERHOST)
    assert (s.encapsulation, s.vlan_tci, s.vlan_proto) == (0, 0, 0)
    moved = {k: v for k, v in dev.stats.as_dict().items() if v}
    assert moved == dict(rx_packets=1, rx_bytes=len(INNER_BYTES) - 14)
    s.kfree()


def tunnel_gso_frame(backend):
    """A TCP super-packet (gso_size 10) encapsulated, and a clone of it."""
    s = inner_skb(backend)
    partial_inner(s)
    s.gso_size, s.gso_segs, s.gso_type = 10, 3, SKB_GSO.TCPV4
    vxlan.encap(s, 42, tunnel())
    return s, s.clone()


def test_decap_of_a_tunnel_gso_packet_unshares_it_and_drops_the_tunnel_bits(backend):
    """iptunnel_pull_offloads: the packet comes out as a plain inner GSO
    packet on a head of its own; the clone keeps the old head and shared
    info, tunnel bits included."""
    s, c = tunnel_gso_frame(backend)
    outer = s.to_bytes()
    r = vxlan.decap(s, device(learning=False))
    assert type(r) is tuple and r[0] is s
    assert s.to_bytes() == outer[50:]
    assert (s.gso_size, s.gso_segs, s.gso_type, s.encapsulation, s.is_cloned()) == (
        10, 3, SKB_GSO.TCPV4, 0, False)
    assert (s.mac_offset, s.network_offset, s.protocol) == (0, 14, 0x0800)
    assert c.to_bytes() == outer
    assert (c.gso_type, c.encapsulation, c.is_cloned()) == (
        SKB_GSO.TCPV4 | SKB_GSO.UDP_TUNNEL, 1, False)
    s.kfree()
    c.kfree()


def test_decap_of_a_tunnel_gso_packet_without_memory_drops_it():
    """(allocation faults are the engine's: skb.testing.faults)"""
    backend = Backend(ENGINE, skb)
    s, c = tunnel_gso_frame(backend)
    outer = s.to_bytes()
    dev = device(learning=False)
    with drop_delta(backend) as d, fail_nth_alloc(1):
        assert vxlan.decap(s, dev) == Drop(DropReason.NOMEM)
    assert d == {DropReason.NOMEM: 1}
    assert dev.stats.rx_packets == 0
    assert c.to_bytes() == outer and c.gso_type == SKB_GSO.TCPV4 | SKB_GSO.UDP_TUNNEL
    c.kfree()


@pytest.mark.parametrize("dst, want", [(DEV_MAC, PACKET_HOST),
                                       ("ff:ff:ff:ff:ff:ff", PACKET_BROADCAST),
                                       ("33:33:00:00:00:01", PACKET_MULTICAST)])
def test_decap_packet_type_is_eth_type_trans(backend, dst, want):
    inner = Ether(src=IN_SRC, dst=dst) / IP() / UDP()
    s = packet(backend, wire(inner=inner))
    _, info = vxlan.decap(s, device())
    assert s.pkt_type == want
    s.kfree()


def test_decap_keeps_a_complete_checksum_right(backend):
    s = packet(backend, wire(udp_csum=True))
    s.ip_summed = CHECKSUM_COMPLETE
    s.csum = s.checksum(0, s.len)
    vxlan.decap(s, device())

    def fold(c):
        c = (c & 0xFFFF) + (c >> 16)
        return (c & 0xFFFF) + (c >> 16)

    assert s.ip_summed == CHECKSUM_COMPLETE and fold(s.csum) == fold(s.checksum(0, s.len))
    s.kfree()


@pytest.mark.parametrize("cuts", [(20,), (14, 34, 42, 50, 64), (51,), (100,)])
def test_decap_of_paged_frames(backend, cuts):
    s = packet(backend, wire(udp_csum=True), frags=cuts)
    r = vxlan.decap(s, device())
    assert type(r) is tuple and s.to_bytes() == INNER_BYTES
    assert s.headlen >= 34  # the inner Ethernet and IPv4 headers were pulled in
    s.kfree()


def test_decap_trims_link_layer_padding(backend):
    inner = Ether(src=IN_SRC, dst=IN_DST) / IP(src="1.1.1.1", dst="2.2.2.2") / ICMP()
    raw = wire(inner=inner, udp_csum=True) + b"\0" * 20
    s = packet(backend, raw)
    assert type(vxlan.decap(s, device())) is tuple
    assert s.to_bytes() == bytes(inner)
    s.kfree()


def test_ecn_from_the_outer_header(backend):
    # outer CE, inner ECT(0): the inner header becomes CE, its checksum fixed
    inner = Ether(src=IN_SRC, dst=IN_DST) / IP(tos=0x02) / UDP() / b"e"
    s = packet(backend, wire(inner=inner, outer_kw=dict(tos=0x03)))
    assert type(vxlan.decap(s, device())) is tuple
    ip = Ether(s.to_bytes())[IP]
    assert ip.tos == 0x03 and ones(bytes(ip)[:20]) == 0xFFFF
    s.kfree()
    # outer ECT(1), inner ECT(0): ECT(1)
    s = packet(backend, wire(inner=inner, outer_kw=dict(tos=0x01)))
    vxlan.decap(s, device())
    ip = Ether(s.to_bytes())[IP]
    assert ip.tos == 0x01 and ones(bytes(ip)[:20]) == 0xFFFF
    s.kfree()
    # IPv6 inside, outer CE on ECT(1)
    inner6 = Ether(src=IN_SRC, dst=IN_DST) / IPv6(tc=0x01) / UDP()
    s = packet(backend, wire(inner=inner6, outer_kw=dict(tos=0x03)))
    vxlan.decap(s, device())
    assert Ether(s.to_bytes())[IPv6].tc == 0x03
    s.kfree()
    # outer CE, inner not-ECT: dropped
    plain = Ether(src=IN_SRC, dst=IN_DST) / IP(tos=0) / UDP()
    dev = device()
    s = packet(backend, wire(inner=plain, outer_kw=dict(tos=0x03)))
    with drop_delta(backend) as d:
        assert vxlan.decap(s, dev) == Drop(DropReason.IP_TUNNEL_ECN)
    assert d == ({DropReason.IP_TUNNEL_ECN: 1} if backend.engine else {})
    assert (dev.stats.rx_frame_errors, dev.stats.rx_errors, dev.stats.rx_packets) == (1, 1, 0)
    # outer ECT(0) on a not-ECT inner packet is accepted unchanged
    s = packet(backend, wire(inner=plain, outer_kw=dict(tos=0x02)))
    assert type(vxlan.decap(s, dev)) is tuple and s.to_bytes() == bytes(plain)
    s.kfree()


def test_devices_by_vni_and_the_port(backend):
    a, b = device(vni=1), device(vni=2)
    table = {1: a, 2: b}
    for vni, dev in ((1, a), (2, b)):
        s = packet(backend, wire(vni=vni))
        assert vxlan.decap(s, table)[1].device is dev
        s.kfree()
    s = packet(backend, wire(vni=3))
    assert vxlan.decap(s, table) == Drop(DropReason.VXLAN_VNI_NOT_FOUND)
    s = packet(backend, wire(port=8472))
    assert vxlan.decap(s, table) == Drop(DropReason.NO_SOCKET)
    s = packet(backend, wire(vni=2, port=8472))
    assert vxlan.decap(s, table, port=8472)[1].dport == 8472
    s.kfree()
    d8472 = device(port=8472)
    s = packet(backend, wire(port=8472))
    assert type(vxlan.decap(s, d8472)) is tuple
    s.kfree()


def test_ipv6_zero_udp_checksum(backend):
    s = packet(backend, wire(v6=True, udp_csum=False))
    assert vxlan.decap(s, device(local=REMOTE6)) == Drop(DropReason.UDP_CSUM)
    s = packet(backend, wire(v6=True, udp_csum=False))
    assert type(vxlan.decap(s, device(local=REMOTE6, udp_zero_csum6_rx=True))) is tuple
    s.kfree()
    # an IPv4 device does not take IPv6 outer packets for its VNI
    s = packet(backend, wire(v6=True))
    assert vxlan.decap(s, device()) == Drop(DropReason.VXLAN_VNI_NOT_FOUND)


def test_reserved_bits_can_be_allowed(backend):
    raw = bytearray(wire(udp_csum=False))
    raw[42 + 1] = 0x48  # GBP-style bits in the flag word
    raw[42 + 7] = 0x11  # and the low byte of the VNI word
    s = packet(backend, bytes(raw))
    dev = device()
    assert vxlan.decap(s, dev) == Drop(DropReason.VXLAN_INVALID_HDR)
    assert dev.stats.rx_frame_errors == 1
    s = packet(backend, bytes(raw))
    r = vxlan.decap(s, device(reserved_bits=(0, 0)))
    assert r[1].flags == 0x08480000 and s.to_bytes() == INNER_BYTES
    s.kfree()


def _inner_frame(kind: str, n: int, tos: int, vid: int) -> Ether:
    if kind == "udp":
        l3 = IP(src="10.1.1.1", dst="10.2.2.2", tos=tos) / UDP(sport=9, dport=n) / (b"u" * n)
    elif kind == "tcp6":
        l3 = IPv6(src="fd00::1", dst="fd00::2", tc=tos) / TCP(sport=n) / (b"t" * n)
    else:
        l3 = IP(src="10.1.1.1", dst="10.2.2.2", tos=tos) / ICMP() / (b"i" * n)
    eth = Ether(src=IN_SRC, dst=IN_DST)
    return eth / Dot1Q(vlan=vid) / l3 if vid else eth / l3


inner_frames = st.builds(_inner_frame, st.sampled_from(["udp", "tcp6", "icmp"]),
                         st.integers(0, 1400), st.integers(0, 255).map(lambda t: t & ~3),
                         st.sampled_from([0, 0, 17]))


@HSETTINGS
@given(vni=st.integers(0, (1 << 24) - 1), inner=inner_frames, v6=st.booleans(),
       udp_csum=st.booleans(), split=st.integers(0, 200))
def test_scapy_frames_decap_to_the_exact_inner_bytes(backend, vni, inner, v6, udp_csum,
                                                     split):
    raw = wire(vni=vni, inner=inner, v6=v6, udp_csum=None if udp_csum else False)
    dev = device(vni=vni, local=REMOTE6 if v6 else REMOTE4, udp_zero_csum6_rx=True)
    s = packet(backend, raw, frags=(split,) if split else ())
    r = vxlan.decap(s, dev)
    assert type(r) is tuple, r
    assert r[1].vni == vni and s.to_bytes() == bytes(inner)
    assert s.protocol == (0x8100 if Dot1Q in inner else 0x0800 if IP in inner else 0x86DD)
    s.kfree()


@HSETTINGS
@given(vni=st.integers(0, (1 << 24) - 1), inner=inner_frames, v6=st.booleans(),
       csum=st.booleans())
def test_encap_then_decap_round_trips(backend, vni, inner, v6, csum):
    t = tunnel(vni=vni, v6=v6, udp_csum=csum)
    s = inner_skb(backend, inner)
    assert t.xmit(s) is s
    wire_bytes = finish(s)
    pkt = Ether(wire_bytes)
    assert pkt[VXLAN].vni == vni and bytes(pkt[VXLAN].payload) == bytes(inner)
    dev = device(vni=vni, local=REMOTE6 if v6 else REMOTE4, udp_zero_csum6_rx=True)
    r = vxlan.decap(s, dev)
    assert type(r) is tuple and s.to_bytes() == bytes(inner)
    s.kfree()


# ----------------------------------------------------------------------
# the device: FDB, forwarding, learning, counters

def dev_with_fdb(**kw):
    kw.setdefault("remote", "198.51.100.1")
    kw.setdefault("dst_mac", OUTER_DST_MAC)
    kw.setdefault("src_mac", OUTER_SRC_MAC)
    return device(local=LOCAL4, **kw)


def test_fdb_add_append_replace_del_dump():
    dev = dev_with_fdb()
    assert dev.fdb_dump() == [vxlan.FdbEntry("00:00:00:00:00:00", "198.51.100.1", 4789, 42,
                                             True)]
    dev.fdb_add(IN_DST, "198.51.100.7", port=8472, vni=9)
    with pytest.raises(KeyError, match="EEXIST"):
        dev.fdb_add(IN_DST, "198.51.100.8")
    dev.fdb_append("00:00:00:00:00:00", "198.51.100.2")
    dev.fdb_append("00:00:00:00:00:00", "198.51.100.2")  # already there: no duplicate
    with pytest.raises(ValueError, match="several remotes"):
        dev.fdb_append(IN_DST, "198.51.100.9")
    dev.fdb_replace(IN_DST, "198.51.100.8")
    with pytest.raises(ValueError, match="EOPNOTSUPP"):
        dev.fdb_replace("ff:ff:ff:ff:ff:ff", "198.51.100.8")
    assert dev.fdb_get(IN_DST) == [vxlan.FdbEntry(IN_DST, "198.51.100.8", 4789, 42, True)]
    assert len(dev.fdb_dump()) == 3
    dev.fdb_del("00:00:00:00:00:00", "198.51.100.1")
    assert [e.remote for e in dev.fdb_get("00:00:00:00:00:00")] == ["198.51.100.2"]
    dev.fdb_del("00:00:00:00:00:00", "198.51.100.2")  # the last remote takes the entry
    assert dev.fdb_get("00:00:00:00:00:00") == []
    dev.fdb_del(IN_DST)
    with pytest.raises(KeyError, match="ENOENT"):
        dev.fdb_del(IN_DST)
    assert dev.fdb_dump() == []
    with pytest.raises(ValueError, match="family"):
        dev.fdb_add(IN_DST, "2001:db8::1")
    with pytest.raises(ValueError, match="remote or a group"):
        device(remote="1.1.1.1", group="239.0.0.1")


def test_xmit_known_unknown_and_flooded(backend):
    dev = dev_with_fdb()
    dev.fdb_add(IN_DST, "198.51.100.7")
    s = inner_skb(backend)
    out = dev.xmit(s)
    assert out == [s] and Ether(s.to_bytes())[IP].dst == "198.51.100.7"
    s.kfree()
    # unknown unicast and broadcast go to the all-zeros entry's remotes,
    # the extra ones as clones (sent first, as the kernel does)
    dev.fdb_append("00:00:00:00:00:00", "198.51.100.2")
    for dst in ("02:00:00:00:07:07", "ff:ff:ff:ff:ff:ff"):
        frame = INNER.copy()
        frame.dst = dst
        s = inner_skb(backend, frame)
        out = dev.xmit(s)
        assert out[-1] is s and len(out) == 2
        assert [Ether(x.to_bytes())[IP].dst for x in out] == ["198.51.100.2", "198.51.100.1"]
        assert all(bytes(Ether(x.to_bytes())[VXLAN].payload) == bytes(frame) for x in out)
        for x in out:
            x.kfree()
    assert (dev.stats.tx_packets, dev.stats.tx_dropped) == (5, 0)
    assert dev.stats.tx_bytes == 5 * (len(INNER_BYTES) - 14)


def test_xmit_to_a_group(backend):
    dev = device(local=LOCAL4, group="239.9.9.9", src_mac=OUTER_SRC_MAC)
    s = inner_skb(backend)
    out = dev.xmit(s)
    pkt = Ether(out[0].to_bytes())
    assert (pkt.dst, pkt[IP].dst, pkt[IP].ttl) == ("01:00:5e:09:09:09", "239.9.9.9", 1)
    s.kfree()


def test_xmit_without_a_target_drops(backend):
    dev = device(local=LOCAL4, dst_mac=OUTER_DST_MAC)
    s = inner_skb(backend)
    with drop_delta(backend) as d:
        assert dev.xmit(s) == []
    assert d == ({DropReason.NO_TX_TARGET: 1} if backend.engine else {})
    s = inner_skb(backend)
    s.trim(10)
    with drop_delta(backend) as d:
        assert dev.xmit(s) == []
    assert d == ({DropReason.NOMEM: 1} if backend.engine else {})
    assert dev.stats.tx_dropped == 2
    dev.fdb_add(IN_DST, "0.0.0.0")
    s = inner_skb(backend)
    assert dev.xmit(s) == []
    assert dev.stats.tx_dropped == 3


def test_learning_and_its_drops(backend):
    dev = device()
    s = packet(backend, wire())
    vxlan.decap(s, dev)
    s.kfree()
    assert dev.fdb_get(IN_SRC) == [vxlan.FdbEntry(IN_SRC, LOCAL4, 4789, 42, False)]
    # the same MAC behind another remote: a learned entry migrates
    raw = wire(udp_csum=False).replace(ip_bytes(LOCAL4), ip_bytes("192.0.2.99"))
    s = packet(backend, _fix_ip(raw))
    assert type(vxlan.decap(s, dev)) is tuple
    s.kfree()
    assert dev.fdb_get(IN_SRC)[0].remote == "192.0.2.99"
    # a static entry does not move: the packet is dropped
    dev.fdb_del(IN_SRC)
    dev.fdb_add(IN_SRC, "192.0.2.50")
    s = packet(backend, wire())
    with drop_delta(backend) as d:
        assert vxlan.decap(s, dev) == Drop(DropReason.VXLAN_ENTRY_EXISTS)
    assert d == ({DropReason.VXLAN_ENTRY_EXISTS: 1} if backend.engine else {})
    # multicast source MAC: not learnable
    bad = Ether(src="01:00:5e:00:00:01", dst=IN_DST) / IP() / UDP()
    s = packet(backend, wire(inner=bad))
    assert vxlan.decap(s, dev) == Drop(DropReason.MAC_INVALID_SOURCE)
    # without learning both are accepted and nothing is learned
    quiet = device(learning=False)
    s = packet(backend, wire(inner=bad))
    assert type(vxlan.decap(s, quiet)) is tuple
    s.kfree()
    assert quiet.fdb_dump() == []
    # our own MAC as the source: a loop
    own = Ether(src=DEV_MAC, dst=IN_DST) / IP() / UDP()
    s = packet(backend, wire(inner=own))
    assert vxlan.decap(s, quiet) == Drop(DropReason.LOCAL_MAC)


def _fix_ip(raw: bytes) -> bytes:
    """Recompute the outer IPv4 header checksum after an address edit."""
    b = bytearray(raw)
    b[24:26] = b"\0\0"
    b[24:26] = struct.pack("!H", 0xFFFF - ones(bytes(b[14:34])))
    return bytes(b)


def test_device_rcv_and_repr(backend):
    dev = device()
    s = packet(backend, wire())
    assert dev.rcv(s)[1].device is dev
    s.kfree()
    assert "vni=42" in repr(dev) and "VxlanTunnel(vni=42" in repr(tunnel())
    with pytest.raises(ValueError, match="dst_mac"):
        dev.tunnel("198.51.100.3")
    t = dev_with_fdb().tunnel("198.51.100.3", port=1, vni=2)
    assert (t.remote, t.port, t.vni) == (ip_bytes("198.51.100.3"), 1, 2)


def test_a_checksum_the_device_vouched_for_is_not_summed(backend):
    """skb_csum_unnecessary: CHECKSUM_UNNECESSARY (one level used up per
    checksum) or a local CHECKSUM_PARTIAL packet skip the UDP check."""
    raw = wire(udp_csum=True)
    bad = edit_udp_check(raw, 0x1111)
    s = packet(backend, bad)
    s.ip_summed, s.csum_level = 1, 1  # CHECKSUM_UNNECESSARY, two levels
    assert type(vxlan.decap(s, device())) is tuple
    assert (s.ip_summed, s.csum_level) == (1, 0)
    s.kfree()
    s = packet(backend, bad)
    s.ip_summed = 1
    assert type(vxlan.decap(s, device())) is tuple
    assert s.ip_summed == CHECKSUM_NONE  # the last verified level went to the outer UDP
    s.kfree()
    # a packet looped back before its UDP checksum was filled in
    s = packet(backend, bad)
    s.ip_summed, s.csum_start, s.csum_offset = CHECKSUM_PARTIAL, s.data_offset + 34, 6
    assert type(vxlan.decap(s, device())) is tuple
    s.kfree()
    # a partial checksum that starts before the UDP header vouches for nothing
    s = packet(backend, bad)
    s.ip_summed, s.csum_start, s.csum_offset = CHECKSUM_PARTIAL, s.data_offset + 14, 10
    assert vxlan.decap(s, device()) == Drop(DropReason.UDP_CSUM)


def edit_udp_check(raw: bytes, value: int) -> bytes:
    b = bytearray(raw)
    b[40:42] = struct.pack("!H", value)
    return bytes(b)
