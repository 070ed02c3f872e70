"""skb.proto.headers: zero-copy views read and write packet bytes in place,
field by field as scapy sees them; checksum helpers agree with RFC 1071
computed here and with scapy, on linear and paged packets."""

from __future__ import annotations

import struct

import pytest
from scapy.layers.inet import GRE, ICMP, IP, TCP, UDP, IPOption_NOP, IPOption_RR
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Dot1Q, Ether
from scapy.layers.vxlan import VXLAN

from skb.proto import headers as H

from .protohelp import eth, l4_ok, ones, packet

MAC1, MAC2 = "02:00:00:00:01:01", "02:00:00:00:01:02"


def eth_ip_tcp(**tcp_kw) -> Ether:
    return (Ether(src=MAC1, dst=MAC2) /
            IP(src="10.0.0.1", dst="10.0.0.2", tos=0xB9, id=0x1234, flags="DF", frag=0,
               ttl=63, options=[IPOption_NOP(), IPOption_RR(routers=["1.2.3.4"])]) /
            TCP(sport=4321, dport=80, seq=0xDEADBEEF, ack=7, flags="SA", window=512,
                options=[("MSS", 1460), ("NOP", None), ("WScale", 7), ("SAckOK", b""),
                         ("Timestamp", (11, 22))], **tcp_kw) /
            (b"payload" * 3))


# ----------------------------------------------------------------------
# reading

def test_views_read_every_field_as_scapy_does(backend):
    pkt = eth_ip_tcp()
    raw = bytes(pkt)
    s = packet(backend, raw)
    eth = H.Ethernet.at(s, 0)
    assert (eth.dst, eth.src, eth.type) == (H.mac_bytes(MAC2), H.mac_bytes(MAC1), 0x0800)
    ip = H.IPv4.at(s, 14)
    sip = Ether(raw)[IP]
    assert (ip.version, ip.ihl, ip.hdr_len, ip.tos, ip.dscp, ip.ecn) == (
        4, sip.ihl, sip.ihl * 4, 0xB9, 0xB9 >> 2, 1)
    assert (ip.len, ip.id, ip.rf, ip.df, ip.mf, ip.frag_offset, ip.ttl, ip.proto, ip.check) == (
        sip.len, 0x1234, 0, 1, 0, 0, 63, 6, sip.chksum)
    assert (H.ip_str(ip.src), H.ip_str(ip.dst)) == ("10.0.0.1", "10.0.0.2")
    assert bytes(ip.options) == raw[34:14 + sip.ihl * 4]
    # NOP, then record route: type 7, length 7, pointer 4, one address slot
    assert sip.ihl == 7
    assert H.options(ip.options) == [(1, b""), (7, b"\x04" + bytes([1, 2, 3, 4]))]
    tcp = H.Tcp.at(s, 14 + ip.hdr_len)
    stcp = Ether(raw)[TCP]
    assert (tcp.sport, tcp.dport, tcp.seq, tcp.ack_seq, tcp.doff, tcp.window, tcp.check) == (
        4321, 80, 0xDEADBEEF, 7, stcp.dataofs, 512, stcp.chksum)
    assert tcp.flags == H.TCP_SYN | H.TCP_ACK
    assert tcp.hdr_len == stcp.dataofs * 4
    assert H.options(tcp.options) == [
        (2, struct.pack("!H", 1460)), (1, b""), (3, b"\x07"), (4, b""),
        (8, struct.pack("!II", 11, 22))]
    assert eth.readonly  # skb_header_pointer views are for reading
    assert not H.Ethernet(s.data).readonly
    s.kfree()


def test_ipv4_option_record_route_parsed():
    raw = bytes(IP(src="1.1.1.1", dst="2.2.2.2",
                   options=[IPOption_NOP(), IPOption_RR(routers=["1.2.3.4", "5.6.7.8"])]))
    ip = H.IPv4(bytearray(raw))
    # NOP, then RR: type 7, length 3 + 8, pointer 4, the two addresses
    assert H.options(ip.options) == [(1, b""), (7, b"\x04" + bytes([1, 2, 3, 4, 5, 6, 7, 8]))]
    assert ip.hdr_len == 32 and ip.ihl == 8


@pytest.mark.parametrize("data", [b"\x02", b"\x02\x05\x00", b"\x08\x01xxxxxx", b"\x03\x00"])
def test_options_refuse_truncated_or_bad_lengths(data):
    with pytest.raises(ValueError):
        H.options(data)


def test_options_stop_at_end_of_list():
    assert H.options(b"\x01\x00\x02\x04\x05\xb4") == [(1, b"")]


def test_ipv6_udp_icmp_views():
    raw = bytes(eth() / IPv6(src="2001:db8::1", dst="2001:db8::2", tc=0xA5, fl=0x12345,
                               hlim=9) / UDP(sport=5, dport=6) / b"abc")
    buf = bytearray(raw)
    ip6 = H.IPv6(buf, 14)
    assert (ip6.version, ip6.tclass, ip6.flow, ip6.plen, ip6.nexthdr, ip6.hop_limit) == (
        6, 0xA5, 0x12345, 11, 17, 9)
    assert H.ip_str(ip6.src) == "2001:db8::1" and H.ip_str(ip6.dst) == "2001:db8::2"
    udp = H.Udp(buf, 54)
    assert (udp.sport, udp.dport, udp.len, udp.check) == (5, 6, 11, Ether(raw)[UDP].chksum)
    icmp = H.Icmp(bytearray(bytes(ICMP(type=8, code=0, id=3, seq=4))))
    assert (icmp.type, icmp.code, icmp.rest) == (8, 0, 3 << 16 | 4)


def test_vlan_views():
    raw = bytes(Ether(src=MAC1, dst=MAC2) / Dot1Q(prio=5, dei=1, vlan=666) /
                Dot1Q(prio=2, vlan=200, type=0x0806) / (b"\0" * 28))
    buf = bytearray(raw)
    outer = H.VlanEthernet(buf)
    assert (outer.tpid, outer.tci, outer.pcp, outer.dei, outer.vid, outer.type) == (
        0x8100, 0xB29A, 5, 1, 666, 0x8100)
    inner = H.Vlan(buf, 18)
    assert (inner.tci, inner.pcp, inner.dei, inner.vid, inner.type) == (0x40C8, 2, 0, 200, 0x0806)


def test_vxlan_and_gbp_views():
    raw = bytes(VXLAN(vni=0xABCDEF, flags=0x08))
    v = H.Vxlan(bytearray(raw))
    assert (v.flags, v.reserved1, v.vni, v.reserved2, v.vx_flags) == (0x08, 0, 0xABCDEF, 0,
                                                                      H.VXLAN_HF_VNI)
    g = H.VxlanGbp(bytearray(bytes.fromhex("884800642dc6c100")))
    assert (g.g, g.i, g.dont_learn, g.policy_applied, g.policy_id, g.vni) == (1, 1, 1, 1, 100,
                                                                               3000001)


@pytest.mark.parametrize("csum, key, seq", [(0, None, None), (1, None, None), (0, 7, None),
                                            (1, 7, 99), (0, None, 99), (1, 0xFFFFFFFF, 0)])
def test_gre_view_options_follow_the_flags(csum, key, seq):
    kw = dict(proto=0x6558)
    if csum:
        kw.update(chksum_present=1, chksum=0x1234)
    if key is not None:
        kw.update(key_present=1, key=key)
    if seq is not None:
        kw.update(seqnum_present=1, sequence_number=seq)
    raw = bytes(GRE(**kw))
    g = H.Gre(bytearray(raw))
    assert g.hdr_len == len(raw) == H.gre_calc_hlen(g.flags_version)
    assert (g.c, g.k, g.s, g.proto, g.version) == (csum, int(key is not None),
                                                   int(seq is not None), 0x6558, 0)
    assert (g.checksum, g.key, g.seq) == (0x1234 if csum else None, key, seq)
    assert g.reserved1 == (0 if csum else None)
    if key is None:
        with pytest.raises(ValueError, match="no key"):
            g.key = 1
    else:
        g.key = 0x01020304
        assert GRE(bytes(g.buf)).key == 0x01020304
    if seq is not None:
        g.seq = 5
        assert GRE(bytes(g.buf)).sequence_number == 5


def test_gre_version1_fields():
    # PPTP: K and S and A, payload length 8, call id 6, seq 34, ack 17
    raw = bytes.fromhex("3081880b00080006" "00000022" "00000011")
    g = H.Gre(bytearray(raw))
    assert (g.version, g.k, g.s, g.a, g.hdr_len) == (1, 1, 1, 1, 16)
    assert (g.payload_len, g.call_id, g.seq, g.ack) == (8, 6, 34, 17)
    assert g.as_dict()["call_id"] == 6


def test_header_at_returns_none_past_the_end_and_copies_paged_bytes(backend):
    raw = bytes(eth_ip_tcp())
    s = packet(backend, raw, frags=[20, 40])
    assert H.Ethernet.at(s, 0).type == 0x0800
    ip = H.IPv4.at(s, 14)  # straddles the linear part and two frags: a copy
    assert ip.readonly and ip.hdr_len == 28 and bytes(ip) == raw[14:42]
    assert H.Udp.at(s, len(raw) - 7) is None
    assert H.Ethernet.at(s, len(raw)) is None
    s.kfree()


def test_negative_offset_reads_in_front_of_data(backend):
    raw = bytes(eth_ip_tcp())
    s = packet(backend, raw)
    s.pull(14)
    eth = H.Ethernet.at(s, -14)
    assert eth.type == 0x0800 and eth.readonly
    assert H.Ethernet.at(s, -129 - 14) is None
    s.kfree()


# ----------------------------------------------------------------------
# writing

def test_fields_write_in_place_and_bit_fields_keep_their_neighbours(backend):
    raw = bytes(eth_ip_tcp())
    s = packet(backend, raw)
    ip = H.IPv4.writable(s, 14)
    ip.dscp = 0x0A
    ip.mf = 1
    ip.frag_offset = 0x123
    ip.ttl = 1
    ip.src = "192.168.1.1"
    H.ip_send_check(ip)
    eth = H.Ethernet.writable(s, 0)
    eth.dst = "ff:ff:ff:ff:ff:ff"
    tcp = H.Tcp.writable(s, 14 + ip.hdr_len)
    tcp.flags = H.TCP_FIN | H.TCP_PSH | H.TCP_AE
    pkt = Ether(s.to_bytes())
    assert pkt.dst == "ff:ff:ff:ff:ff:ff"
    assert (pkt[IP].tos, pkt[IP].flags.value, pkt[IP].frag, pkt[IP].ttl, pkt[IP].src) == (
        0x0A << 2 | 1, 0b011, 0x123, 1, "192.168.1.1")
    assert ones(s.to_bytes()[14:14 + ip.hdr_len]) == 0xFFFF
    seg = TCP(bytes(pkt[IP].payload))  # a non-first fragment to scapy: parse by hand
    assert seg.flags.value == 0x109 and seg.dataofs == 10
    with pytest.raises(ValueError, match="13 bits"):
        ip.frag_offset = 0x2000
    with pytest.raises(ValueError, match="6 bytes"):
        eth.src = b"\x01\x02"
    s.kfree()


def test_views_of_a_clone_are_read_only_and_writable_unshares(backend):
    raw = bytes(eth_ip_tcp())
    s = packet(backend, raw)
    c = s.clone()
    shared = H.Ethernet(c.data)
    assert shared.readonly
    with pytest.raises(TypeError):
        shared.type = 0x86DD
    eth = H.Ethernet.writable(c, 0)
    eth.type = 0x86DD
    assert s.to_bytes() == raw  # the original's bytes did not move
    assert c.to_bytes()[12:14] == b"\x86\xdd" and not c.is_cloned()
    c.kfree()
    s.kfree()


def test_push_views_the_new_bytes(backend):
    s = packet(backend, b"inner")
    udp = H.Udp.push(s)
    udp.sport, udp.dport, udp.len, udp.check = 1, 2, 13, 0
    assert s.to_bytes() == struct.pack("!HHHH", 1, 2, 13, 0) + b"inner"
    s.kfree()


def test_header_needs_its_size_in_the_buffer():
    with pytest.raises(ValueError, match="needs 20 bytes"):
        H.IPv4(bytearray(19))
    with pytest.raises(ValueError):
        H.Udp(bytearray(10), -1)


def test_repr_and_as_dict():
    u = H.Udp(bytearray(struct.pack("!HHHH", 1, 4789, 30, 0)))
    assert u.as_dict() == dict(sport=1, dport=4789, len=30, check=0)
    assert repr(u) == "Udp(sport=1, dport=0x12b5, len=0x1e, check=0)"


def test_address_helpers():
    assert H.mac_bytes("02-00-00-00-00-0A") == bytes.fromhex("02000000000a")
    assert H.mac_str(bytes.fromhex("02000000000a")) == "02:00:00:00:00:0a"
    assert H.ip_bytes("::1") == bytes(15) + b"\x01"
    with pytest.raises(ValueError):
        H.mac_bytes("02:00")
    with pytest.raises(ValueError):
        H.ip_bytes(b"\x01\x02\x03")


# ----------------------------------------------------------------------
# checksums

def test_ip_send_check_matches_scapy():
    for opts in ([], [IPOption_NOP()] * 4):
        ref = IP(bytes(IP(src="10.1.2.3", dst="10.3.2.1", id=99, options=opts) / (b"x" * 3)))
        ip = H.IPv4(bytearray(bytes(ref)))
        want = ip.check
        ip.check = 0xBEEF
        H.ip_send_check(ip)
        assert ip.check == want == ref.chksum
        assert H.ip_fast_csum(ip) == 0


@pytest.mark.parametrize("frags", [(), (40,), (35, 50, 61)])
@pytest.mark.parametrize("v6", [False, True])
def test_udp_checksum_helpers_agree_with_scapy(backend, frags, v6):
    L3 = (IPv6(src="2001:db8::7", dst="2001:db8::9") if v6 else
          IP(src="10.9.8.7", dst="10.1.2.3"))
    pkt = eth() / L3 / UDP(sport=1000, dport=2000) / (b"0123456789" * 5 + b"odd")
    raw = bytes(pkt)
    off = 54 if v6 else 34
    src, dst = (bytes(raw[22:38]), bytes(raw[38:54])) if v6 else (raw[26:30], raw[30:34])
    s = packet(backend, raw, frags=frags)
    assert H.udp_checksum(s, off, src, dst) == pkt[UDP].__class__(raw[off:]).chksum
    assert H.l4_checksum_ok(s, off, len(raw) - off, src, dst, H.IPPROTO_UDP)
    s.store_bits(off + 6, b"\0\0")
    assert not H.l4_checksum_ok(s, off, len(raw) - off, src, dst, H.IPPROTO_UDP)
    H.set_udp_checksum(s, off, src, dst)
    assert s.to_bytes() == raw
    assert l4_ok(src, dst, 17, s.to_bytes()[off:])
    s.kfree()


@pytest.mark.parametrize("frags", [(), (60,)])
def test_tcp_checksum_helpers_agree_with_scapy(backend, frags):
    pkt = eth_ip_tcp()
    raw = bytes(pkt)
    ihl = Ether(raw)[IP].ihl * 4
    off = 14 + ihl
    n = len(raw) - off
    s = packet(backend, raw, frags=frags)
    assert H.tcp_checksum(s, off, raw[26:30], raw[30:34], n) == Ether(raw)[TCP].chksum
    s.store_bits(off + 16, b"\x12\x34")
    H.set_tcp_checksum(s, off, raw[26:30], raw[30:34], n)
    assert s.to_bytes() == raw
    s.kfree()


def test_udp_checksum_zero_goes_out_as_ffff(backend):
    src, dst = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    hdr = struct.pack("!HHHH", 1, 2, 10, 0)
    # two payload bytes chosen so that the sum is 0xFFFF: the checksum computes as 0
    word = 0xFFFF - ones(src + dst + struct.pack("!BBH", 0, 17, 10) + hdr)
    s = packet(backend, hdr + struct.pack("!H", word))
    assert H.udp_checksum(s, 0, src, dst) == 0xFFFF
    s.kfree()


def test_sum_helpers_fold_and_swap():
    assert H.fold16(0x1FFFE) == 0xFFFF
    assert H.fold16(0x12345678) == 0x1234 + 0x5678
    assert H.wsum_to_be(0x0000BBAA) == 0xAABB
    assert H.be_to_wsum(0xAABB) == 0xBBAA
    assert H.buffer_sum(b"\x00\x01\xf2", 0, 3) == 0x0001 + 0xF200
    assert H.pseudo_sum(bytes(4), bytes(4), 17, 0x10008) == 17 + 8 + 1


# ----------------------------------------------------------------------
# walking a frame

def test_walk_lists_headers_through_tunnels(backend):
    inner = Ether(src=MAC1, dst=MAC2) / IP() / TCP()
    vx = eth() / IP() / UDP(dport=4789) / VXLAN(vni=5) / inner
    gr = eth() / IP() / GRE(proto=0x6558, key_present=1, key=3) / eth() / Dot1Q(vlan=9) / \
        IPv6() / UDP()
    nested = eth() / IP() / GRE() / IP() / GRE() / IP() / ICMP()
    for pkt, names in ((vx, ["Ethernet", "IPv4", "Udp", "Vxlan", "Ethernet", "IPv4", "Tcp"]),
                       (gr, ["Ethernet", "IPv4", "Gre", "Ethernet", "Vlan", "IPv6", "Udp"]),
                       (nested, ["Ethernet", "IPv4", "Gre", "IPv4", "Gre", "IPv4", "Icmp"])):
        s = packet(backend, bytes(pkt))
        assert [type(h).__name__ for h in H.walk(s)] == names
        s.kfree()
    s = packet(backend, bytes(vx)[:60])
    assert [type(h).__name__ for h in H.walk(s)] == ["Ethernet", "IPv4", "Udp", "Vxlan"]
    s.kfree()


def test_views_are_zero_copy():
    buf = bytearray(bytes(Ether(src=MAC1, dst=MAC2)))
    eth = H.Ethernet(buf)
    buf[12:14] = b"\x88\xa8"
    assert eth.type == 0x88A8
    eth.type = 0x0800
    assert buf[12:14] == b"\x08\x00"


def test_checksum_helpers_need_no_engine_function():
    """skb.proto must not call the engine-only skb.csum on packet data:
    the helpers use the skb's own checksum(), so a minimal object with that
    method is enough."""
    data = bytes(range(40))

    class Fake:
        def checksum(self, off, n, csum=0):
            from skb.testing.model import csum_partial
            return csum_partial(data[off:off + n], csum)

        def copy_bits(self, off, n):
            return data[off:off + n]

    assert H.inet_sum(Fake(), 0, 40) == ones(data)
