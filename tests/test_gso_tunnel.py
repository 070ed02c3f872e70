"""Tunnel GSO: a TCP super-packet inside VXLAN (SKB_GSO_UDP_TUNNEL[_CSUM])
or GRE (SKB_GSO_GRE[_CSUM]) segmented by skb.gso_segment.  Every segment
is dissected by scapy; checksums are verified with an RFC 1071 sum written
here."""

from __future__ import annotations

import struct

import pytest
from scapy.layers.inet import GRE, IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether
from scapy.layers.vxlan import VXLAN

import skb
from skb import CHECKSUM_NONE, CHECKSUM_PARTIAL, NETIF_F, SKB_GSO
from skb.tunnel import TunnelTemplate
from skbhelp import ones

MSS = 1000
PAYLOAD = bytes((i * 7 + 3) & 0xFF for i in range(3 * MSS + 345))
INNER = (Ether(src="02:00:00:00:01:01", dst="02:00:00:00:01:02") /
         IP(src="10.0.0.1", dst="10.0.0.2", id=100, flags="DF") /
         TCP(sport=1000, dport=80, seq=5000, flags="PA"))
OUTER_MACS = dict(src="02:00:00:00:00:aa", dst="02:00:00:00:00:bb")


def addr(a: str) -> bytes:
    return bytes(map(int, a.split(".")))


def l4_ok(ip, proto: int, l4: bytes) -> bool:
    if isinstance(ip, IPv6):
        import socket
        pseudo = socket.inet_pton(socket.AF_INET6, ip.src) + \
            socket.inet_pton(socket.AF_INET6, ip.dst) + struct.pack("!IxxxB", len(l4), proto)
    else:
        pseudo = addr(ip.src) + addr(ip.dst) + struct.pack("!BBH", 0, proto, len(l4))
    return ones(pseudo + l4) == 0xFFFF


def super_packet(paged: bool = False) -> skb.SkBuff:
    """The inner TSO packet as TCP hands it down: CHECKSUM_PARTIAL, the
    pseudo-header sum in th->check, gso_size MSS."""
    hdr = bytes(INNER)
    s = skb.alloc_skb(len(hdr) + (0 if paged else len(PAYLOAD)))
    s.reserve(128)
    s.put_data(hdr)
    if paged:
        for i in range(0, len(PAYLOAD), 1500):
            p = skb.alloc_page()
            chunk = PAYLOAD[i:i + 1500]
            p.data[:len(chunk)] = chunk
            s.add_rx_frag(s.nr_frags, p, 0, len(chunk), 4096)
    else:
        s.put_data(PAYLOAD)
    s.protocol = 0x0800
    s.set_network_header(14)
    s.set_transport_header(34)
    ip = bytearray(s.copy_bits(14, 20))
    ip[2:4] = struct.pack("!H", s.len - 14)
    ip[10:12] = b"\0\0"
    ip[10:12] = struct.pack("!H", 0xFFFF - ones(bytes(ip)))
    s.store_bits(14, bytes(ip))
    seed = ones(addr("10.0.0.1") + addr("10.0.0.2") + struct.pack("!BBH", 0, 6, s.len - 34))
    s.store_bits(34 + 16, struct.pack("!H", seed))
    s.ip_summed = CHECKSUM_PARTIAL
    s.csum_start = s.transport_header
    s.csum_offset = 16
    s.gso_size = MSS
    s.gso_segs = 4
    s.gso_type = SKB_GSO.TCPV4
    return s


def vxlan(csum: bool, ipv6: bool = False) -> TunnelTemplate:
    gso = SKB_GSO.UDP_TUNNEL | (SKB_GSO.UDP_TUNNEL_CSUM if csum else 0)
    if ipv6:
        hdr = bytes(Ether(**OUTER_MACS) / IPv6(src="2001:db8::1", dst="2001:db8::2") /
                    UDP(sport=0, dport=4789, chksum=0) / VXLAN(vni=42))
        return TunnelTemplate(hdr, 14, 54, ipv6=True, udp=True, csum=csum, gso_type=gso)
    hdr = bytes(Ether(**OUTER_MACS) / IP(src="192.0.2.1", dst="192.0.2.2", id=0) /
                UDP(sport=0, dport=4789, chksum=0) / VXLAN(vni=42))
    return TunnelTemplate(hdr, 14, 34, udp=True, csum=csum, gso_type=gso, ip_id=7)


def gre(csum: bool, key: int = 0xBEEF) -> TunnelTemplate:
    flags = 0x2000 | (0x8000 if csum else 0)
    g = struct.pack("!HH", flags, 0x6558) + (bytes(4) if csum else b"") + struct.pack("!I", key)
    hdr = bytes(Ether(**OUTER_MACS) / IP(src="192.0.2.1", dst="192.0.2.2", proto=47, id=0))
    gso = SKB_GSO.GRE | (SKB_GSO.GRE_CSUM if csum else 0)
    return TunnelTemplate(hdr + g, 14, 34, gre=True, csum=csum, gso_type=gso, ip_id=7)


def free(segs) -> None:
    for g in segs:
        g.kfree()


def segment(s, features):
    segs = skb.gso_segment(s, features)
    out = []
    for g in segs:
        if g.ip_summed == CHECKSUM_PARTIAL:
            g.checksum_help()  # what the device would do
        out.append((g.to_bytes(), g.encapsulation))
    return segs, out


def check_inner(frames, layer) -> None:
    """Inner IPv4/TCP fixed as plain TCP GSO fixes them."""
    data = b""
    for n, frame in enumerate(frames):
        inner = Ether(frame)[layer].payload
        ip, tcp = inner[IP], inner[TCP]
        last = n == len(frames) - 1
        assert ip.id == 100 + n and ip.len == len(ip)
        assert ones(bytes(ip)[:20]) == 0xFFFF
        assert tcp.seq == 5000 + n * MSS
        assert str(tcp.flags) == ("PA" if last else "A")
        assert l4_ok(ip, 6, bytes(tcp))
        data += bytes(tcp.payload)
    assert data == PAYLOAD


FEATURES = [NETIF_F.SG, NETIF_F.SG | NETIF_F.HW_CSUM, NETIF_F(0)]


@pytest.mark.parametrize("features", FEATURES, ids=["sg", "sg+csum", "none"])
@pytest.mark.parametrize("csum", [False, True], ids=["nocsum", "csum"])
@pytest.mark.parametrize("paged", [False, True], ids=["linear", "paged"])
def test_vxlan_ipv4(features, csum, paged):
    s = super_packet(paged)
    t = vxlan(csum)
    sport = s.udp_flow_src_port()
    s.tnl_push(t)
    segs, out = segment(s, features)
    frames = [f for f, _ in out]
    assert len(frames) == 4
    for n, frame in enumerate(frames):
        p = Ether(frame)
        ip, udp = p[IP], p[UDP]
        assert (p.src, p.dst) == (OUTER_MACS["src"], OUTER_MACS["dst"])
        assert (ip.id, ip.len, ip.src, ip.dst) == (7 + n, len(frame) - 14, "192.0.2.1", "192.0.2.2")
        assert ones(bytes(ip)[:20]) == 0xFFFF
        assert (udp.sport, udp.dport, udp.len) == (sport, 4789, len(frame) - 34)
        if csum:
            assert udp.chksum != 0 and l4_ok(ip, 17, bytes(udp))
        else:
            assert udp.chksum == 0
        assert p[VXLAN].vni == 42
    check_inner(frames, VXLAN)
    # the device finishes inner checksums only when it was offered HW_CSUM
    assert [e for _, e in out] == [1 if features & NETIF_F.HW_CSUM else 0] * 4
    assert s.data_offset == s.mac_header  # the input is left at its mac header
    free(segs)
    s.kfree()


@pytest.mark.parametrize("features", FEATURES, ids=["sg", "sg+csum", "none"])
@pytest.mark.parametrize("csum", [False, True], ids=["nocsum", "csum"])
def test_gre_ipv4(features, csum):
    s = super_packet()
    s.tnl_push(gre(csum))
    segs, out = segment(s, features)
    frames = [f for f, _ in out]
    assert len(frames) == 4
    for n, frame in enumerate(frames):
        p = Ether(frame)
        ip, g = p[IP], p[GRE]
        assert (ip.id, ip.len, ip.proto) == (7 + n, len(frame) - 14, 47)
        assert ones(bytes(ip)[:20]) == 0xFFFF
        assert (g.proto, g.key_present, g.key, g.chksum_present) == (0x6558, 1, 0xBEEF, int(csum))
        if csum:
            assert ones(bytes(g)) == 0xFFFF  # GRE header and everything after it
    check_inner(frames, GRE)
    free(segs)
    s.kfree()


@pytest.mark.parametrize("csum", [False, True], ids=["nocsum", "csum"])
def test_vxlan_ipv6_outer(csum):
    s = super_packet()
    s.tnl_push(vxlan(csum, ipv6=True))
    segs, out = segment(s, NETIF_F.SG)
    frames = [f for f, _ in out]
    for frame in frames:
        p = Ether(frame)
        ip6, udp = p[IPv6], p[UDP]
        assert (ip6.plen, udp.len) == (len(frame) - 54, len(frame) - 54)
        if csum:
            assert udp.chksum != 0 and l4_ok(ip6, 17, bytes(udp))
        else:
            assert udp.chksum == 0
    check_inner(frames, VXLAN)
    free(segs)
    s.kfree()


def test_outer_checksum_by_local_checksum_offload_needs_the_inner_one_finished():
    """With HW_CSUM the inner TCP checksum stays CHECKSUM_PARTIAL and the
    outer UDP checksum is computed as if it were done (lco): correct once
    the device fills the inner one, wrong before."""
    s = super_packet()
    s.tnl_push(vxlan(True))
    segs = skb.gso_segment(s, NETIF_F.SG | NETIF_F.HW_CSUM)
    for g in segs:
        assert (g.ip_summed, g.encapsulation, g.csum_start) == (
            CHECKSUM_PARTIAL, 1, g.inner_transport_header)
        before = Ether(g.to_bytes())
        assert not l4_ok(before[IP], 17, bytes(before[UDP]))
        g.checksum_help()
        after = Ether(g.to_bytes())
        assert after[UDP].chksum == before[UDP].chksum
        assert l4_ok(after[IP], 17, bytes(after[UDP]))
    free(segs)
    s.kfree()


def test_segments_carry_outer_and_inner_header_offsets():
    s = super_packet()
    s.tnl_push(vxlan(False))
    segs = skb.gso_segment(s, NETIF_F.SG | NETIF_F.HW_CSUM)
    for g in segs:
        d = g.data_offset
        assert (g.mac_header, g.network_header, g.transport_header) == (d, d + 14, d + 34)
        assert (g.inner_mac_header, g.inner_network_header, g.inner_transport_header) == (
            d + 50, d + 64, d + 84)
        assert (g.protocol, g.mac_len, g.gso_size) == (0x0800, 14, 0)
    free(segs)
    s.kfree()


def test_inner_failure_puts_the_packet_back():
    s = super_packet()
    s.tnl_push(vxlan(True))
    s.gso_type = SKB_GSO.UDP_TUNNEL | SKB_GSO.UDP_TUNNEL_CSUM  # no inner TCPV4: EINVAL
    before = (s.to_bytes(), s.protocol, s.encapsulation, s.mac_header, s.network_header,
              s.mac_len, s.data_offset)
    with pytest.raises(skb.SkbSegmentError) as e:
        skb.gso_segment(s, NETIF_F.SG)
    assert e.value.errno == 22
    assert (s.to_bytes(), s.protocol, s.encapsulation, s.mac_header, s.network_header,
            s.mac_len, s.data_offset) == before
    s.kfree()


def test_remote_checksum_offload_is_not_emulated():
    s = super_packet()
    s.tnl_push(vxlan(False))
    s.gso_type = s.gso_type | SKB_GSO.TUNNEL_REMCSUM
    with pytest.raises(skb.SkbSegmentError) as e:
        skb.gso_segment(s, NETIF_F.SG)
    assert e.value.errno == 93
    s.kfree()


def test_gre_without_encapsulation_is_einval():
    s = super_packet()
    s.tnl_push(gre(False))
    s.encapsulation = 0
    with pytest.raises(skb.SkbSegmentError) as e:
        skb.gso_segment(s, NETIF_F.SG)
    assert e.value.errno == 22
    s.kfree()


def test_device_that_does_tunnel_tso_gets_the_packet_back():
    s = super_packet()
    s.tnl_push(vxlan(False))
    features = NETIF_F.SG | NETIF_F.HW_CSUM | NETIF_F.TSO | NETIF_F.GSO_UDP_TUNNEL
    assert skb.gso_segment(s, features) is None
    assert s.gso_segs == 4
    s.kfree()


def test_plain_udp_packet_keeps_checksum_none_state():
    s = super_packet()
    s.ip_summed = CHECKSUM_NONE  # the handlers set the TCP offload up themselves
    s.store_bits(34 + 16, b"\0\0")
    s.tnl_push(vxlan(False))
    segs, out = segment(s, NETIF_F.SG)
    check_inner([f for f, _ in out], VXLAN)
    free(segs)
    s.kfree()
