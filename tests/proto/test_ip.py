"""skb.proto.ip: the shared receive/transmit helpers, with exact values."""

from __future__ import annotations

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Dot1AD, Dot1Q, Ether

from skb.proto import ip as P
from skb.proto.headers import ip_bytes, mac_bytes

from .protohelp import eth, packet

M32 = 0xFFFFFFFF


def test_partial_sum_arithmetic():
    assert P.csum_add(0xFFFFFFFF, 1) == 1  # end-around carry
    assert P.csum_add(0x12345678, 0x11111111) == 0x23456789
    assert P.csum_sub(0x23456789, 0x11111111) == 0x12345678
    # a block at an odd offset is byte-rotated before it is added
    assert P.csum_block_add(0, 0x000000AB, 1) == 0xAB000000
    assert P.csum_block_sub(0xAB000000, 0x000000AB, 1) == 0xFFFFFFFF  # -0 in ones' complement
    assert P.csum_fold(0x0001FFFE) == 0x0000


def test_ecn_encapsulate():
    # outer DSCP kept, the inner ECN field copied, CE sent as ECT(0)
    assert [P.ecn_encapsulate(0xA1, inner) for inner in (0, 1, 2, 3)] == [0xA0, 0xA1, 0xA2,
                                                                          0xA2]


def test_multicast_addresses():
    assert P.multicast_mac(ip_bytes("239.129.2.3")) == mac_bytes("01:00:5e:01:02:03")
    assert P.multicast_mac(ip_bytes("ff02::1:ff00:1234")) == mac_bytes("33:33:ff:00:12:34")
    assert [P.is_multicast(ip_bytes(a)) for a in ("224.0.0.1", "223.255.255.255", "ff05::2",
                                                  "fe80::1")] == [True, False, True, False]


@pytest.mark.parametrize("dst, want", [("02:00:00:00:00:01", P.PACKET_HOST),
                                       ("02:00:00:00:00:02", P.PACKET_OTHERHOST),
                                       ("ff:ff:ff:ff:ff:ff", P.PACKET_BROADCAST),
                                       ("01:00:5e:00:00:01", P.PACKET_MULTICAST)])
def test_eth_type_trans(dst, want):
    frame = bytes(Ether(dst=dst, type=0x0800)) + bytes(20)
    assert P.eth_type_trans(frame, 0, mac_bytes("02:00:00:00:00:01")) == (0x0800, want)


def test_eth_type_trans_of_an_802_3_length():
    llc = bytes(Ether(dst="ff:ff:ff:ff:ff:ff", type=40)) + b"\xaa\xaa\x03"
    ipx = bytes(Ether(dst="ff:ff:ff:ff:ff:ff", type=40)) + b"\xff\xff"
    assert P.eth_type_trans(llc, 0, bytes(6))[0] == 0x0004
    assert P.eth_type_trans(ipx, 0, bytes(6))[0] == 0x0001


@pytest.mark.parametrize("frame, proto, want", [
    (eth() / IP() / UDP(), 0x0800, (14, 0x0800)),
    (eth() / IPv6() / UDP(), 0x86DD, (14, 0x86DD)),
    (eth() / Dot1AD(vlan=1) / Dot1Q(vlan=2) / IP(), 0x88A8, (22, 0x0800)),
    (Ether(type=0x0806) / (b"\0" * 28), 0x0806, (14, 0x0806)),
])
def test_vlan_inet_prepare(backend, frame, proto, want):
    s = packet(backend, bytes(frame), protocol=proto, frags=(16,))
    assert P.vlan_inet_prepare(s) == want
    assert s.network_offset == want[0]
    assert s.headlen >= want[0] + {0x0800: 20, 0x86DD: 40}.get(want[1], 0)
    s.kfree()


def test_vlan_inet_prepare_refuses_a_short_frame(backend):
    s = packet(backend, bytes(eth() / IP())[:30], protocol=0x0800)
    assert P.vlan_inet_prepare(s) is None
    s.kfree()
    s = packet(backend, bytes(eth() / Dot1Q(vlan=1))[:16], protocol=0x8100)
    assert P.vlan_inet_prepare(s) == (14, 0)  # the tag cannot be read: nothing behind it
    s.kfree()


def test_inner_ip_facts(backend):
    for frame, want in ((IP(tos=0xB9, flags="DF", ttl=9), (0xB9, True, 9)),
                        (IP(tos=0x02, ttl=200), (0x02, False, 200)),
                        (IPv6(tc=0x3C, hlim=7), (0x3C, True, 7))):
        s = packet(backend, bytes(eth() / frame))
        assert P.inner_ip_facts(s, 0x0800 if IP in frame else 0x86DD, 14) == want
        s.kfree()
    s = packet(backend, bytes(eth() / IP()))
    assert P.inner_ip_facts(s, 0x0806, 14) == (0, False, 0)
    assert P.inner_ip_facts(s, 0x86DD, 14) == (0, False, 0)  # version 4 bytes: not IPv6
    s.kfree()


def test_rcsum_helpers_keep_a_complete_sum(backend):
    raw = bytes(range(60))
    s = packet(backend, raw)
    s.ip_summed = P.CHECKSUM_COMPLETE
    s.csum = s.checksum(0, 60)

    def fold(c):
        c = (c & 0xFFFF) + (c >> 16)
        return (c & 0xFFFF) + (c >> 16)

    P.trim_rcsum(s, 51)  # an odd cut
    assert s.len == 51 and fold(s.csum) == fold(s.checksum(0, 51))
    P.pull_rcsum(s, 8)  # headers are whole 16-bit words (the kernel never rotates here)
    assert fold(s.csum) == fold(s.checksum(0, 43))
    s.kfree()


def test_pull_rcsum_gives_up_a_partial_checksum_it_pulls_past(backend):
    s = packet(backend, bytes(40))
    s.ip_summed, s.csum_start, s.csum_offset = P.CHECKSUM_PARTIAL, s.data_offset + 10, 2
    P.pull_rcsum(s, 10)
    assert s.ip_summed == P.CHECKSUM_PARTIAL
    P.pull_rcsum(s, 1)
    assert s.ip_summed == P.CHECKSUM_NONE
    s.kfree()


def test_csum_unnecessary_levels(backend):
    s = packet(backend, bytes(40))
    s.ip_summed, s.csum_level = P.CHECKSUM_UNNECESSARY, 2
    assert [P.csum_unnecessary(s, s.ip_summed, 0) for _ in range(4)] == [True, True, True,
                                                                          False]
    assert (s.ip_summed, s.csum_level) == (P.CHECKSUM_NONE, 0)
    s.kfree()


def test_link_stats():
    st = P.LinkStats()
    assert set(st.as_dict().values()) == {0} and repr(st) == "LinkStats()"
    st.rx_packets += 2
    assert repr(st) == "LinkStats(rx_packets=2)"


def test_ip_headers_built_here_match_scapy():
    h = P.ipv4_header(0x28, 60, 7, 0x4000, 64, 17, ip_bytes("10.0.0.1"), ip_bytes("10.0.0.2"))
    ref = IP(bytes(IP(src="10.0.0.1", dst="10.0.0.2", tos=0x28, id=7, flags="DF", ttl=64,
                      proto=17, len=60)))
    assert bytes(h) == bytes(ref)[:20]
    h6 = P.ipv6_header(0xAB, 0x12345, 8, 17, 3, ip_bytes("::1"), ip_bytes("::2"))
    assert h6 == bytes(IPv6(tc=0xAB, fl=0x12345, plen=8, nh=17, hlim=3, src="::1", dst="::2"))
