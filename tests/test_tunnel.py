"""skb.tunnel.TunnelTemplate and SkBuff.tnl_push: the pushed headers are
dissected by scapy and compared field by field."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.inet import GRE, IP, UDP, TCP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether
from scapy.layers.vxlan import VXLAN

import skb
from skb import CHECKSUM_NONE, CHECKSUM_PARTIAL, SKB_GSO
from skb.testing import check
from skb.testing.faults import fail_nth_alloc
from skb.tunnel import MAX_HEADER_LEN, TunnelTemplate
from skbhelp import ones, snapshot

OUTER_MACS = dict(src="02:00:00:00:00:aa", dst="02:00:00:00:00:bb")
INNER = (Ether(src="02:00:00:00:01:01", dst="02:00:00:00:01:02") /
         IP(src="10.0.0.1", dst="10.0.0.2", tos=0x03, flags="DF") /
         TCP(sport=4321, dport=80) / (b"x" * 30))


def inner_skb(frame=INNER, headroom=128) -> skb.SkBuff:
    raw = bytes(frame)
    s = skb.alloc_skb(len(raw))
    s.reserve(headroom)
    s.put_data(raw)
    s.protocol = 0x0800 if IP in frame else 0x86DD
    s.set_network_header(14)
    return s


def vxlan_template(**kw) -> TunnelTemplate:
    hdr = bytes(Ether(**OUTER_MACS) / IP(src="192.0.2.1", dst="192.0.2.2", ttl=64, id=0) /
                UDP(sport=0, dport=4789, chksum=0) / VXLAN(vni=42))
    # scapy fills len and chksum: the template's values are overwritten anyway
    return TunnelTemplate(hdr, 14, 34, udp=True, **kw)


def gre_template(csum=False, key=None, seq=False, **kw) -> TunnelTemplate:
    flags = (0x8000 if csum else 0) | (0x2000 if key is not None else 0) | \
        (0x1000 if seq else 0)
    gre = struct.pack("!HH", flags, 0x6558)
    if csum:
        gre += bytes(4)
    if key is not None:
        gre += struct.pack("!I", key)
    seq_offset = 0
    if seq:
        seq_offset = len(gre)
        gre += bytes(4)
    hdr = bytes(Ether(**OUTER_MACS) / IP(src="192.0.2.1", dst="192.0.2.2", proto=47))
    return TunnelTemplate(hdr + gre, 14, 34, gre=True, csum=csum, seq_offset=seq_offset,
                          **kw)


def pseudo4(ip, proto: int, length: int) -> bytes:
    return bytes(map(int, ip.src.split("."))) + bytes(map(int, ip.dst.split("."))) + \
        struct.pack("!BBH", 0, proto, length)


def header_checksum_ok(ip) -> bool:
    return ones(bytes(ip)[:ip.ihl * 4]) == 0xFFFF


def l4_checksum_ok(ip, proto: int) -> bool:
    """The TCP/UDP checksum over the IPv4 pseudo-header verifies."""
    l4 = bytes(ip)[ip.ihl * 4:ip.len]
    return ones(pseudo4(ip, proto, len(l4)) + l4) == 0xFFFF


# ----------------------------------------------------------------------
# VXLAN over IPv4

def test_vxlan_push_fields_as_scapy_reads_them():
    t = vxlan_template(ip_id=7)
    s = inner_skb()
    sport = s.udp_flow_src_port()
    s.tnl_push(t)
    pkt = Ether(s.to_bytes())
    ip, udp = pkt[IP], pkt[UDP]
    assert (pkt.src, pkt.dst, pkt.type) == (OUTER_MACS["src"], OUTER_MACS["dst"], 0x0800)
    assert (ip.src, ip.dst, ip.len, ip.id, ip.ttl, ip.proto) == (
        "192.0.2.1", "192.0.2.2", 20 + 8 + 8 + len(INNER), 7, 64, 17)
    assert header_checksum_ok(ip)
    assert (udp.sport, udp.dport, udp.len, udp.chksum) == (sport, 4789, 16 + len(INNER), 0)
    assert 32768 <= sport < 60999
    assert (pkt[VXLAN].vni, pkt[VXLAN].flags) == (42, 0x08)
    assert bytes(pkt[VXLAN].payload) == bytes(INNER)
    assert t.ip_id == 8
    s.kfree()


def test_vxlan_push_sets_headers_protocol_and_inner_offsets():
    s = inner_skb()
    data = s.data_offset
    s.tnl_push(vxlan_template())
    assert (s.data_offset, s.mac_header, s.network_header, s.transport_header) == (
        data - 50, data - 50, data - 36, data - 16)
    assert (s.inner_mac_header, s.inner_network_header) == (data, data + 14)
    assert (s.protocol, s.inner_protocol, s.mac_len) == (0x0800, 0x6558, 14)
    # a non-offloaded inner packet: no encapsulation offload state (the kernel's rule)
    assert (s.encapsulation, s.ip_summed) == (0, CHECKSUM_NONE)
    s.kfree()


def test_ip_id_advances_per_packet_and_per_gso_segment():
    t = vxlan_template(ip_id=0xFFFE)
    ids = []
    for segs in (0, 3, 0):
        s = inner_skb()
        if segs:
            s.gso_size = 10
            s.gso_segs = segs
            s.gso_type = SKB_GSO.TCPV4
        s.tnl_push(t)
        ids.append(Ether(s.to_bytes())[IP].id)
        s.kfree()
    assert ids == [0xFFFE, 0xFFFF, 2]
    assert t.ip_id == 3


def test_source_port_range_and_flow_stability():
    t = vxlan_template(sport_min=1000, sport_max=1010)
    ports = set()
    for sport in range(50):
        frame = INNER.copy()
        frame[TCP].sport = sport
        a, b = inner_skb(frame), inner_skb(frame)
        a.tnl_push(t)
        b.tnl_push(t)
        pa, pb = Ether(a.to_bytes())[UDP].sport, Ether(b.to_bytes())[UDP].sport
        assert pa == pb and 1000 <= pa < 1010
        ports.add(pa)
        a.kfree()
        b.kfree()
    assert len(ports) == 10


def test_udp_checksum_left_partial_then_finished_in_software():
    s = inner_skb()
    s.tnl_push(vxlan_template(csum=True))
    assert (s.ip_summed, s.csum_start, s.csum_offset) == (CHECKSUM_PARTIAL, s.transport_header, 6)
    s.checksum_help()
    pkt = Ether(s.to_bytes())
    assert pkt[UDP].chksum != 0 and l4_checksum_ok(pkt[IP], 17)
    s.kfree()


def partial_tcp(s: skb.SkBuff) -> None:
    """Leave the inner TCP checksum to the device: CHECKSUM_PARTIAL with the
    pseudo-header sum (not complemented) in the check field."""
    s.set_transport_header(34)
    s.ip_summed = CHECKSUM_PARTIAL
    s.csum_start = s.transport_header
    s.csum_offset = 16
    ip = Ether(s.to_bytes())[IP]
    s.store_bits(34 + 16, struct.pack("!H", ones(pseudo4(ip, 6, ip.len - 20))))


def test_udp_checksum_with_an_offloaded_inner_checksum_uses_lco():
    s = inner_skb()
    partial_tcp(s)
    s.tnl_push(vxlan_template(csum=True))
    assert (s.ip_summed, s.encapsulation, s.csum_start) == (
        CHECKSUM_PARTIAL, 1, s.inner_transport_header)
    outer = Ether(s.to_bytes())
    assert outer[UDP].chksum != 0
    # once the device fills the inner checksum, the outer one verifies too
    s.checksum_help()
    pkt = Ether(s.to_bytes())
    assert l4_checksum_ok(pkt[VXLAN].payload[IP], 6)
    assert pkt[UDP].chksum == outer[UDP].chksum and l4_checksum_ok(pkt[IP], 17)
    s.kfree()


def test_gso_packet_gets_tunnel_gso_bits_and_pseudo_header_udp_checksum():
    s = inner_skb()
    partial_tcp(s)
    s.gso_size = 10
    s.gso_segs = 3
    s.gso_type = SKB_GSO.TCPV4
    s.tnl_push(vxlan_template(csum=True,
                              gso_type=SKB_GSO.UDP_TUNNEL | SKB_GSO.UDP_TUNNEL_CSUM))
    assert s.gso_type == SKB_GSO.TCPV4 | SKB_GSO.UDP_TUNNEL | SKB_GSO.UDP_TUNNEL_CSUM
    assert s.encapsulation == 1
    pkt = Ether(s.to_bytes())
    # ~csum_tcpudp_magic(saddr, daddr, len, UDP, 0): the pseudo-header sum
    assert pkt[UDP].chksum == ones(pseudo4(pkt[IP], 17, pkt[UDP].len))
    s.kfree()


def test_ecn_and_df_inheritance():
    frame = INNER.copy()
    frame[IP].tos = 0x03  # CE
    s = inner_skb(frame)
    s.tnl_push(vxlan_template(ecn=True, df_inherit=True))
    ip = Ether(s.to_bytes())[IP]
    assert (ip.tos & 3, ip.flags.DF) == (2, True)  # CE goes out as ECT(0)
    s.kfree()
    frame[IP].tos = 0x01  # ECT(1)
    frame[IP].flags = 0
    s = inner_skb(frame)
    s.tnl_push(vxlan_template(ecn=True, df_inherit=True))
    ip = Ether(s.to_bytes())[IP]
    assert (ip.tos & 3, ip.flags.DF) == (1, False)
    s.kfree()
    s = inner_skb(frame)
    s.tnl_push(vxlan_template())
    assert Ether(s.to_bytes())[IP].tos == 0
    s.kfree()


# ----------------------------------------------------------------------
# VXLAN over IPv6

def test_vxlan_over_ipv6():
    hdr = bytes(Ether(**OUTER_MACS) / IPv6(src="2001:db8::1", dst="2001:db8::2", hlim=64) /
                UDP(sport=0, dport=4789, chksum=0) / VXLAN(vni=7))
    t = TunnelTemplate(hdr, 14, 54, ipv6=True, udp=True, csum=True)
    s = inner_skb()
    s.tnl_push(t)
    assert s.protocol == 0x86DD
    s.checksum_help()
    pkt = Ether(s.to_bytes())
    assert (pkt[IPv6].plen, pkt[IPv6].nh, pkt[UDP].len) == (
        16 + len(INNER), 17, 16 + len(INNER))
    ip6 = pkt[IPv6]
    pseudo = bytes(ip6)[8:40] + struct.pack("!IxxxB", ip6.plen, 17)
    assert pkt[UDP].chksum != 0 and ones(pseudo + bytes(pkt[UDP])) == 0xFFFF
    assert bytes(pkt[VXLAN].payload) == bytes(INNER)
    s.kfree()


# ----------------------------------------------------------------------
# GRE

@pytest.mark.parametrize("csum, key, seq", [(False, None, False), (True, None, False),
                                            (False, 0xABCD, False), (True, 5, True),
                                            (False, None, True)])
def test_gre_push(csum, key, seq):
    t = gre_template(csum=csum, key=key, seq=seq)
    t.seq = 100
    for n in range(2):
        s = inner_skb()
        s.tnl_push(t)
        if csum:
            assert (s.ip_summed, s.csum_offset) == (CHECKSUM_PARTIAL, 4)
            s.checksum_help()
        pkt = Ether(s.to_bytes())
        gre = pkt[GRE]
        assert (gre.chksum_present, gre.key_present, gre.seqnum_present, gre.proto) == (
            int(csum), int(key is not None), int(seq), 0x6558)
        if key is not None:
            assert gre.key == key
        if seq:
            assert gre.sequence_number == 100 + n
        if csum:
            assert ones(bytes(gre)) == 0xFFFF  # covers the GRE header and payload
        assert (pkt[IP].len, pkt[IP].proto) == (len(pkt[IP]), 47)
        assert header_checksum_ok(pkt[IP])
        assert bytes(gre.payload) == bytes(INNER)
        s.kfree()
    assert t.seq == (102 if seq else 100)


# ----------------------------------------------------------------------
# headroom, sharing, failure, burst

def test_short_headroom_is_made_and_a_shared_head_is_not_written():
    s = inner_skb(headroom=0)
    c = s.clone()
    s.tnl_push(vxlan_template())
    assert c.to_bytes() == bytes(INNER)
    assert Ether(s.to_bytes())[VXLAN].vni == 42
    assert s.headroom >= 0 and not s.cloned
    c.kfree()
    s.kfree()


def test_allocation_failure_leaves_the_packet_and_the_counters():
    t = vxlan_template(ip_id=5)
    s = inner_skb(headroom=0)
    before = snapshot(s)
    with fail_nth_alloc(1), pytest.raises(MemoryError):
        s.tnl_push(t)
    after = snapshot(s)
    flow = ("hash", "sw_hash", "l4_hash")  # the source port's flow hash stays cached
    assert {k: v for k, v in after.items() if k not in flow} == \
        {k: v for k, v in before.items() if k not in flow}
    assert (after["hash"], after["sw_hash"]) == (s.get_hash(), 1)
    assert t.ip_id == 5
    s.kfree()


def test_burst_equals_one_by_one():
    one, burst = vxlan_template(ip_id=1), vxlan_template(ip_id=1)
    frames = []
    for sport in range(8):
        f = INNER.copy()
        f[TCP].sport = sport
        frames.append(f)
    a = [inner_skb(f) for f in frames]
    b = [inner_skb(f) for f in frames]
    for s in a:
        one.push(s)
    assert burst.push_burst(b) == []
    assert [s.to_bytes() for s in a] == [s.to_bytes() for s in b]
    assert one.ip_id == burst.ip_id == 9
    for s in a + b:
        s.kfree()


def test_burst_reports_the_packets_that_failed():
    t = vxlan_template()
    skbs = [inner_skb(headroom=128), inner_skb(headroom=0), inner_skb(headroom=128)]
    before = skbs[1].to_bytes()
    with fail_nth_alloc(1):
        assert t.push_burst(skbs) == [1]
    assert skbs[1].to_bytes() == before
    assert all(Ether(skbs[i].to_bytes())[VXLAN].vni == 42 for i in (0, 2))
    for s in skbs:
        s.kfree()


def test_burst_of_borrowed_handles_takes_the_python_path():
    t = vxlan_template()
    owner = inner_skb()
    m = inner_skb()
    owner.frag_list_append(m)
    member = owner.frag_list[0]
    assert type(member) is not skb.SkBuff
    assert t.push_burst([member]) == []
    assert Ether(member.to_bytes())[VXLAN].vni == 42
    owner.kfree()


def test_burst_with_a_freed_skb_raises():
    t = vxlan_template()
    a, b = inner_skb(), inner_skb()
    b.kfree()
    with pytest.raises(skb.SkbUseAfterFree):
        t.push_burst([a, b])
    a.kfree()


# ----------------------------------------------------------------------
# template validation

def test_template_fields():
    t = vxlan_template(sport_min=10, sport_max=20, ecn=True, gso_type=SKB_GSO.UDP_TUNNEL)
    assert (t.l3_offset, t.l4_offset, t.sport_min, t.sport_max, t.inner_protocol) == (
        14, 34, 10, 20, 0x6558)
    assert t.options == {"udp", "ecn"} and t.gso_type == SKB_GSO.UDP_TUNNEL
    assert len(t.header) == 50 and t.header[12:14] == b"\x08\x00"


@pytest.mark.parametrize("make, match", [
    (lambda: TunnelTemplate(bytes(MAX_HEADER_LEN + 1), 14), "at most"),
    (lambda: TunnelTemplate(bytes(30), 14), "offsets"),                  # IPv4 past the end
    (lambda: TunnelTemplate(bytes(14) + b"\x65" + bytes(19), 14), "offsets"),  # version
    (lambda: TunnelTemplate(bytes(14) + b"\x44" + bytes(19), 14), "offsets"),  # ihl 4
    (lambda: TunnelTemplate(bytes(14) + b"\x45" + bytes(19), 14, csum=True), "offsets"),
    (lambda: TunnelTemplate(bytes(14) + b"\x45" + bytes(25), 14, 34, udp=True), "offsets"),
    (lambda: TunnelTemplate(bytes(14) + b"\x45" + bytes(40), 14, 30, udp=True), "offsets"),
    (lambda: TunnelTemplate(bytes(14) + b"\x45" + bytes(40), 14, 34, udp=True, gre=True),
     "offsets"),
    (lambda: TunnelTemplate(bytes(14) + b"\x45" + bytes(23), 14, 34, gre=True, csum=True),
     "offsets"),
    (lambda: TunnelTemplate(bytes(14) + b"\x45" + bytes(23), 14, 34, gre=True, seq_offset=4),
     "offsets"),
    (lambda: TunnelTemplate(bytes(54), 14, ipv6=True), "offsets"),
])
def test_template_refuses_headers_its_offsets_do_not_fit(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("kw", [dict(l3_offset=-1), dict(l3_offset=2**16),
                                dict(ip_id=2**16), dict(seq=2**32), dict(gso_type=-1)])
def test_template_integer_ranges(kw):
    args = dict(header=bytes(14) + b"\x45" + bytes(19), l3_offset=14)
    args.update(kw)
    with pytest.raises(OverflowError):
        TunnelTemplate(**args)


def test_tnl_push_refuses_other_objects():
    s = inner_skb()
    for bad in (None, b"header", object()):
        with pytest.raises(TypeError):
            s.tnl_push(bad)
    s.kfree()


@settings(max_examples=300, deadline=None)
@given(header=st.binary(min_size=0, max_size=MAX_HEADER_LEN),
       l3=st.integers(0, 140), l4=st.integers(0, 140), seq_offset=st.integers(0, 140),
       flags=st.sets(st.sampled_from(["ipv6", "udp", "gre", "csum", "ecn", "df_inherit"])),
       inner=st.sampled_from(["plain", "partial", "gso"]), headroom=st.integers(0, 200),
       version=st.sampled_from([None, 0x45, 0x46, 0x4F, 0x60]))
def test_any_template_is_refused_or_pushed_within_the_skb(header, l3, l4, seq_offset, flags,
                                                            inner, headroom, version):
    """Whatever the template says, construction refuses it or every push
    stays inside the packet (the sanitizer run makes any stray write loud)."""
    if version is not None and l3 < len(header):
        header = header[:l3] + bytes([version]) + header[l3 + 1:]
    try:
        t = TunnelTemplate(header, l3, l4, seq_offset=seq_offset,
                           **{f: True for f in flags})
    except ValueError:
        return
    s = inner_skb(headroom=headroom)
    if inner != "plain":
        s.set_transport_header(34)
        s.ip_summed = CHECKSUM_PARTIAL
        s.csum_start = s.transport_header
        s.csum_offset = 16
    if inner == "gso":
        s.gso_size = 10
        s.gso_segs = 3
        s.gso_type = SKB_GSO.TCPV4
    s.tnl_push(t)
    check(s)
    assert s.to_bytes()[len(header):] == bytes(INNER)
    s.kfree()
