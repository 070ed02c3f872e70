"""Public test vectors (tests/vectors/, copied with their README and
attribution from PcapPlusPlus and ryu) decode with the facts their
expected.json lists: header fields through the views, checksums through the
helpers, and the decaps' verdicts as the kernel would give them."""

from __future__ import annotations

import json
import pathlib

import pytest

from skb import Drop, DropReason
from skb.proto import gre, vlan, vxlan
from skb.proto import headers as H

from .protohelp import packet, pcap_frames

VECTORS = pathlib.Path(__file__).resolve().parent.parent / "vectors"
PPP = json.loads((VECTORS / "pcapplusplus" / "expected.json").read_text())
RYU = json.loads((VECTORS / "ryu" / "expected.json").read_text())


def hexfile(name: str) -> bytes:
    return bytes.fromhex((VECTORS / "pcapplusplus" / name).read_text())


def pcap(directory: str, name: str) -> list[bytes]:
    return pcap_frames((VECTORS / directory / name).read_bytes())


def num(text: str) -> int:
    return int(text, 16)


IP_EXTRAS = {"icmp_type", "offset"}  # facts about other layers, checked by the tests


def check_ip(ip: H.IPv4, want: dict) -> None:
    """The IPv4 facts of an expected.json entry, read through the view."""
    facts = dict(src=H.ip_str(ip.src), dst=H.ip_str(ip.dst), total_length=ip.len, id=ip.id,
                 ttl=ip.ttl, protocol=ip.proto, DF=ip.df,
                 header_checksum_valid=H.ip_fast_csum(ip) == 0)
    assert set(want) - set(facts) <= IP_EXTRAS, set(want) - set(facts)
    assert {k: facts[k] for k in want if k in facts} == {k: v for k, v in want.items()
                                                         if k in facts}


def test_every_hex_vector_has_its_length():
    for name, entry in PPP.items():
        if name.endswith(".hex") and "frame_len" in entry:
            assert len(hexfile(name)) == entry["frame_len"], name


# ----------------------------------------------------------------------
# GRE, version 0

def test_grev0_1(backend):
    facts = PPP["GREv0_1.hex"]
    raw = hexfile("GREv0_1.hex")
    s = packet(backend, raw)
    g = H.Gre.at(s, facts["decoded"]["gre_offset"])
    a = facts["asserted"]
    assert (g.hdr_len, g.c, g.r, g.k, g.s, g.recur, g.reserved0, g.a) == (
        a["gre_header_len"], a["C"], a["R"], 0, a["S"], a["recur"], a["flags"], a["A"])
    assert (g.proto, g.checksum, g.key, g.seq, g.reserved1) == (
        num(a["protocol"]), a["checksum"], None, None, facts["decoded"]["reserved1"])
    region = facts["decoded"]["gre_checksum_region_len"]
    assert len(raw) - 34 == region and H.inet_sum(s, 34, region) == 0xFFFF
    check_ip(H.IPv4.at(s, 14), facts["decoded"]["outer_ipv4"])
    r = gre.decap(s)
    info = r[1]
    assert (info.flags, info.proto, info.hdr_len, info.key, info.seq) == (
        num(facts["decoded"]["gre_flags_word"]), 0x0800, 8, None, None)
    inner = H.IPv4.at(s, 0)
    want = facts["decoded"]["inner_ipv4"]
    assert (H.ip_str(inner.src), H.ip_str(inner.dst), inner.len, inner.id, inner.proto) == (
        want["src"], want["dst"], want["total_length"], want["id"], want["protocol"])
    assert H.Icmp.at(s, 20).type == want["icmp_type"]
    s.kfree()


def test_grev0_2_nested(backend):
    facts = PPP["GREv0_2.hex"]["decoded"]
    s = packet(backend, hexfile("GREv0_2.hex"))
    names = [type(h).__name__ for h in H.walk(s)]
    assert names == ["Ethernet", "IPv4", "Gre", "IPv4", "Gre", "IPv4", "Udp"]
    r = gre.decap(s)
    assert (r[1].hdr_len, r[1].proto, r[1].flags) == (4, 0x0800, 0)
    ip2, g2, ip3, udp = list(H.walk(s, 0, H.ETH_P_IP))
    check_ip(ip2, facts["ipv4_2"])
    assert (g2.hdr_len, g2.proto) == (4, 0x0800)
    check_ip(ip3, facts["ipv4_3"])
    assert (udp.sport, udp.dport, udp.len) == (520, 520, 32)
    assert all(H.ip_fast_csum(ip) == 0 for ip in (ip2, ip3))
    s.kfree()


def build_grev0_3(backend, outer_kw: dict) -> bytes:
    """GREv0_3's layers built with skb.proto: inner IPv4 + empty GRE
    (protocol 0), then outer IPv4 + GRE with checksum, then Ethernet."""
    build = PPP["GREv0_3.hex"]["asserted_build"]
    s = packet(backend, b"", protocol=0)
    inner = gre.GreTunnel("127.0.0.1", "127.0.0.1", pmtudisc=False, ttl=64,
                          ip_id=build["inner_ipv4"]["id"], src_mac=bytes(6), dst_mac=bytes(6))
    gre.encap(s, inner, proto=0)
    s.pull(14)  # no Ethernet between the two tunnels
    s.protocol = 0x0800
    outer = gre.GreTunnel("127.0.0.1", "127.0.0.1", pmtudisc=False, ttl=64,
                          ip_id=build["outer_ipv4"]["id"], src_mac=build["eth"]["src"],
                          dst_mac=build["eth"]["dst"], **outer_kw)
    gre.encap(s, outer)
    if s.ip_summed == 3:
        s.checksum_help()
    raw = s.to_bytes()
    s.kfree()
    return raw


def test_grev0_3_built_and_its_edit_sequence(backend):
    facts = PPP["GREv0_3.hex"]
    assert build_grev0_3(backend, dict(ocsum=True)) == hexfile("GREv0_3.hex")
    steps = facts["asserted_edit_sequence"]["steps"]
    settings = [dict(ocsum=True, okey=2341, oseq=True, o_seqno=1234),
                dict(ocsum=True, okey=2341, oseq=True, o_seqno=5678),
                dict(ocsum=True, okey=2341), dict(okey=2341), dict(), dict(ocsum=True)]
    for step, kw in zip(steps, settings):
        raw = build_grev0_3(backend, kw)
        g = H.Gre(bytearray(raw), 34)
        assert g.hdr_len == step["header_len"], step["op"]
        if "checksum" in step:
            assert g.checksum == step["checksum"], step["op"]
        if "key" in step:
            assert g.key == step["key"]
        if "seq" in step:
            assert g.seq == step["seq"]
        assert len(raw) - 34 - g.hdr_len == facts["decoded"]["outer_gre_payload_len"]


def test_grev0_4_gretap_with_key(backend):
    facts = PPP["GREv0_4.hex"]
    s = packet(backend, hexfile("GREv0_4.hex"))
    tap = gre.GreTunnel("4.3.2.1", "1.2.3.4", tap=True, key=facts["asserted"]["key"])
    r = gre.decap(s, tap)
    info = r[1]
    assert (info.tunnel, info.key, info.proto, info.flags, info.hdr_len) == (
        tap, 65000, num(facts["asserted"]["protocol"]), 0x2000, 8)
    eth = H.Ethernet.at(s, 0)
    want = facts["decoded"]["inner_eth"]
    assert (H.mac_str(eth.dst), H.mac_str(eth.src), eth.type) == (
        want["dst"], want["src"], num(want["ethertype"]))
    check_ip(H.IPv4.at(s, 14), facts["decoded"]["inner_ipv4"])
    tcp = H.Tcp.at(s, 34)
    assert (tcp.sport, tcp.dport) == (facts["asserted"]["innermost_tcp_sport"], 80)
    s.kfree()


# ----------------------------------------------------------------------
# GRE, version 1 (PPTP): the views read it, ip_gre refuses it

def test_grev1_1(backend):
    a = PPP["GREv1_1.hex"]["asserted"]
    s = packet(backend, hexfile("GREv1_1.hex"))
    g = H.Gre.at(s, 34)
    assert (g.hdr_len, g.c, g.s, g.k, g.a, g.version, g.proto) == (
        a["header_len"], a["C"], a["S"], a["K"], a["A"], 1, 0x880B)
    assert (g.call_id, g.payload_len, g.seq, g.ack, g.flags_version) == (
        a["call_id"], a["payload_len"], None, a["ack"], 0x2081)
    assert s.len == 34 + g.hdr_len  # nothing after the header
    assert gre.decap(s) == Drop(DropReason.UNHANDLED_PROTO)


def test_grev1_2_over_vlan_and_ipv6(backend):
    facts = PPP["GREv1_2.hex"]
    s = packet(backend, hexfile("GREv1_2.hex"))
    headers = list(H.walk(s))
    assert [type(h).__name__ for h in headers] == ["Ethernet", "Vlan", "IPv6", "IPv4", "Gre"]
    eth, tag, ip6, ip4, g = headers
    d = facts["decoded"]
    assert (eth.type, tag.vid, tag.pcp) == (0x8100, 100, 0)
    assert (H.ip_str(ip6.src), H.ip_str(ip6.dst), ip6.plen, ip6.nexthdr, ip6.hop_limit) == (
        d["ipv6"]["src"], d["ipv6"]["dst"], d["ipv6"]["payload_length"],
        d["ipv6"]["next_header"], d["ipv6"]["hop_limit"])
    check_ip(ip4, d["ipv4_carrying_gre"])
    a = facts["asserted"]
    assert (g.hdr_len, g.c, g.s, g.k, g.a, g.call_id, g.payload_len, g.seq, g.flags_version) == (
        a["header_len"], a["C"], a["S"], a["K"], a["A"], a["call_id"], a["payload_len"],
        a["seq"], 0x3001)
    after = d["gre_offset"] + g.hdr_len
    assert s.len - after == d["bytes_after_gre_header"]
    ppp = s.copy_bits(after, 4)
    assert ppp == bytes.fromhex("ff030021")
    inner = H.IPv4.at(s, after + 4)
    assert (H.ip_str(inner.src), H.ip_str(inner.dst), inner.len, inner.proto) == (
        "8.8.8.8", "172.16.44.3", 174, 17)
    assert gre.decap(s) == Drop(DropReason.UNHANDLED_PROTO)  # an 802.1Q outer frame


def test_grev1_3(backend):
    d = PPP["GREv1_3.hex"]["decoded"]
    b = PPP["GREv1_3.hex"]["asserted_build"]
    s = packet(backend, hexfile("GREv1_3.hex"))
    ip = H.IPv4.at(s, 14)
    assert (ip.len, ip.id, ip.ttl, H.ip_str(ip.src), H.ip_str(ip.dst)) == (
        d["ipv4_total_length"], b["ipv4"]["id"], b["ipv4"]["ttl"], b["ipv4"]["src"],
        b["ipv4"]["dst"])
    g = H.Gre.at(s, d["gre_offset"])
    assert (g.flags_version, g.k, g.s, g.a, g.version, g.proto, g.payload_len, g.hdr_len) == (
        num(d["flags_word"]), d["K"], d["S"], d["A"], d["version"], num(d["protocol"]),
        d["payload_len"], d["header_len"])
    assert (g.call_id, g.ack, g.seq) == (b["grev1"]["call_id"], b["grev1"]["ack"],
                                         b["grev1"]["seq"])
    assert s.copy_bits(50, 8) == bytes.fromhex("ff0380fd") + bytes.fromhex(b["payload_hex"])
    assert gre.decap(s) == Drop(DropReason.UNHANDLED_PROTO)


# ----------------------------------------------------------------------
# VXLAN with group based policy bits

def test_vxlan1_gbp(backend):
    facts = PPP["Vxlan1.hex"]
    a, d = facts["asserted"], facts["decoded"]
    raw = hexfile("Vxlan1.hex")
    s = packet(backend, raw)
    assert s.copy_bits(42, 8).hex() == d["vxlan_header_hex"]
    g = H.VxlanGbp.at(s, d["vxlan_offset"])
    assert (g.vni, g.policy_id, g.dont_learn, g.g, g.i, g.policy_applied) == (
        a["vni"], a["group_policy_id"], a["dont_learn_flag"], a["gbp_flag"],
        a["vni_present_flag"], a["policy_applied_flag"])
    ip = H.IPv4.at(s, 14)
    assert (H.ip_str(ip.src), H.ip_str(ip.dst)) == (a["outer_ipv4"]["src"],
                                                    a["outer_ipv4"]["dst"])
    check_ip(ip, d["outer_ipv4"])
    udp = H.Udp.at(s, 34)
    assert (udp.sport, udp.dport, udp.len, udp.check) == (
        d["udp"]["sport"], d["udp"]["dport"], d["udp"]["length"], num(d["udp"]["checksum"]))
    assert H.udp_checksum(s, 34, ip.src, ip.dst) == num(d["udp"]["checksum"])
    assert H.l4_checksum_ok(s, 34, udp.len, ip.src, ip.dst, H.IPPROTO_UDP)
    assert [type(h).__name__ for h in H.walk(s)].count("IPv4") == a["ipv4_layer_count"]
    # the G and D/A bits are reserved under RFC 7348: the kernel drops the frame
    dev = vxlan.VxlanDevice(a["vni"], a["outer_ipv4"]["dst"], learning=False)
    assert vxlan.decap(s, dev) == Drop(DropReason.VXLAN_INVALID_HDR)
    assert dev.stats.rx_frame_errors == 1
    # allowing them (reserved_bits (0, 0)) gives the inner frame
    s = packet(backend, raw)
    relaxed = vxlan.VxlanDevice(a["vni"], a["outer_ipv4"]["dst"], learning=False,
                                reserved_bits=(0, 0))
    r = vxlan.decap(s, relaxed)
    assert r[1].vni == a["vni"] and s.to_bytes() == raw[d["inner_eth_offset"]:]
    inner = H.IPv4.at(s, 14)
    assert (H.ip_str(inner.src), H.ip_str(inner.dst), inner.len, inner.proto) == (
        a["inner_ipv4"]["src"], a["inner_ipv4"]["dst"], d["inner_ipv4"]["total_length"],
        d["inner_ipv4"]["protocol"])
    assert H.Icmp.at(s, 34).type == d["inner_ipv4"]["icmp_type"]
    s.kfree()


def test_vxlan2_is_vxlan1_edited_through_the_views(backend):
    d2 = PPP["Vxlan2.hex"]["decoded"]
    one, two = hexfile("Vxlan1.hex"), hexfile("Vxlan2.hex")
    assert [i for i in range(len(one)) if one[i] != two[i]] == \
        d2["differs_from_Vxlan1_at_byte_offsets"]
    s = packet(backend, one)
    g = H.VxlanGbp.writable(s, 42)
    g.g, g.dont_learn, g.policy_id, g.vni = 0, 0, d2["group_policy_id"], d2["vni"]
    ip = H.IPv4.at(s, 14)
    H.set_udp_checksum(s, 34, ip.src, ip.dst)
    assert s.to_bytes() == two
    assert H.Udp.at(s, 34).check == num(d2["udp_checksum"])
    g = H.VxlanGbp.writable(s, 42)
    g.g, g.dont_learn, g.policy_id, g.vni = 1, 1, 100, 3000001
    H.set_udp_checksum(s, 34, ip.src, ip.dst)
    assert s.to_bytes() == one
    s.kfree()


# ----------------------------------------------------------------------
# VLAN

def test_arp_request_with_two_tags(backend):
    facts = PPP["ArpRequestWithVlan.hex"]
    a, d = facts["asserted"], facts["decoded"]
    raw = hexfile("ArpRequestWithVlan.hex")
    s = packet(backend, raw, protocol=0x8100)
    s.reset_mac_header()
    outer = H.VlanEthernet.at(s, 0)
    inner = H.Vlan.at(s, 18)
    assert (outer.tpid, outer.tci, outer.vid, outer.dei, outer.pcp) == (
        num(d["tpid_1"]), num(d["tci_1"]), a["vlan_1"]["vid"], a["vlan_1"]["cfi"],
        a["vlan_1"]["priority"])
    assert (outer.type, inner.tci, inner.vid, inner.dei, inner.pcp, inner.type) == (
        num(d["tpid_2"]), num(d["tci_2"]), a["vlan_2"]["vid"], a["vlan_2"]["cfi"],
        a["vlan_2"]["priority"], num(d["inner_ethertype"]))
    vlan.vlan_pop(s)
    # the outer tag is gone, the inner one is now the accelerated tag
    assert (s.protocol, s.vlan_proto, s.vlan_tci, s.len) == (0x0806, 0x8100, 0x40C8, 42)
    # rebuilding: the accelerated tag goes in-band under a new outer one
    vlan.vlan_push(s, 0x8100, 0xB29A)
    vlan.vlan_insert_tag(s, s.vlan_proto, s.vlan_tci)
    assert s.to_bytes() == raw  # no padding to 60 bytes
    s.kfree()


def test_qinq_802_1ad(backend):
    facts = PPP["QinQ_802.1_AD.hex"]
    a, d = facts["asserted"], facts["decoded"]
    s = packet(backend, hexfile("QinQ_802.1_AD.hex"), protocol=0x88A8)
    s.reset_mac_header()
    outer, inner = H.VlanEthernet.at(s, 0), H.Vlan.at(s, 18)
    assert (outer.tpid, outer.vid, outer.pcp, outer.dei, outer.type) == (
        num(d["tpid_1"]), a["vlan_1"]["vid"], 0, 0, num(d["tpid_2"]))
    assert (inner.vid, inner.pcp, inner.dei, inner.type) == (
        a["vlan_2"]["vid"], 0, 0, num(d["inner_ethertype"]))
    check_ip(H.IPv4.at(s, 22), d["ipv4"])
    vlan.vlan_pop(s)
    assert (s.protocol, s.vlan_proto, s.vlan_tci) == (0x0800, 0x8100, a["vlan_2"]["vid"])
    check_ip(H.IPv4.at(s, 14), d["ipv4"])
    s.kfree()


# ----------------------------------------------------------------------
# IPv4 fragments and odd headers (views and checksums; reassembly is elsewhere)

@pytest.mark.parametrize("name", ["IPv4Frag1.hex", "IPv4Frag2.hex", "IPv4Frag3.hex"])
def test_ipv4_fragments(backend, name):
    facts = PPP[name]
    a, d = facts["asserted"], facts["decoded"]
    s = packet(backend, hexfile(name))
    ip = H.IPv4.at(s, 14)
    assert (ip.frag_offset * 8, ip.mf, ip.len, ip.id) == (
        a["frag_offset_bytes"], 1 if a["is_last"] is False else 0, d["total_length"], d["id"])
    assert ip.len - ip.hdr_len == d["payload_len"] and H.ip_fast_csum(ip) == 0
    if "header_checksum" in d:
        assert ip.check == num(d["header_checksum"])
    if "ipv4_header_hex" in d:
        assert bytes(ip).hex() == d["ipv4_header_hex"]
    # a fragment is not decapsulated (reassembly comes first)
    assert vxlan.decap(s, {}) == Drop(DropReason.UNHANDLED_PROTO)


def test_ipv4_tso_capture(backend):
    facts = PPP["IPv4-TSO.hex"]
    raw = hexfile("IPv4-TSO.hex")
    s = packet(backend, raw)
    ip = H.IPv4.at(s, 14)
    d = facts["decoded"]
    assert (ip.hdr_len, ip.len, s.len - 14, ip.check) == (
        facts["asserted"]["ipv4_header_len"], 0, facts["asserted"]["ipv4_data_len_from_frame"],
        num(d["header_checksum"]))
    assert H.ip_fast_csum(ip) != 0
    fixed = H.IPv4(bytearray(bytes(ip)))
    fixed.len = 60
    assert H.ip_fast_csum(fixed) == 0
    # ip_rcv_core checks the header checksum before the lengths
    assert gre.decap(s) == Drop(DropReason.IP_CSUM)


def test_bad_fragment_after_mpls(backend):
    facts = PPP["ip4_bad_fragment.pcap"]["decoded"]
    (raw,) = pcap("pcapplusplus", "ip4_bad_fragment.pcap")
    assert len(raw) == facts["frame_len"]
    s = packet(backend, raw)
    assert H.Ethernet.at(s, 0).type == 0x8847
    assert s.copy_bits(14, 4) == bytes.fromhex("00008f01")  # label 8, TC 7, S, TTL 1
    want = facts["ipv4_at_offset_18"]
    assert H.IPv4.at(s, 18) is None  # IHL 60, only 42 bytes there
    ip = H.IPv4(memoryview(s.copy_bits(18, 20)))
    assert (ip.version, ip.hdr_len, ip.len, ip.id, ip.frag_off, ip.frag_offset * 8, ip.mf,
            ip.proto) == (want["version"], want["ihl_bytes"], want["total_length"], want["id"],
                          num(want["frag_field"]), want["frag_offset_bytes"], want["MF"],
                          want["protocol"])
    assert s.len - 18 == want["bytes_available"]
    assert vxlan.decap(s, {}) == Drop(DropReason.UNHANDLED_PROTO)


def test_http_fragments_pcap():
    facts = PPP["frag_http_req.pcap"]["decoded"]
    frames = pcap("pcapplusplus", "frag_http_req.pcap")
    assert [len(f) for f in frames] == facts["frame_lens"]
    key = facts["datagram_key"]
    for i, f in enumerate(frames):
        ip = H.IPv4(bytearray(f), 14)
        assert (ip.id, H.ip_str(ip.src), H.ip_str(ip.dst), ip.proto, ip.ttl) == (
            key["id"], key["src"], key["dst"], key["protocol"], facts["ttl"])
        assert (ip.frag_offset * 8, ip.mf) == (144 * i, int(i < 10))
        assert ip.len == (164 if i < 10 else 60) and H.ip_fast_csum(ip) == 0


def test_padded_fragments_pcap():
    facts = PPP["frag_with_padding.pcap"]["decoded"]
    frames = pcap("pcapplusplus", "frag_with_padding.pcap")
    offsets, lens, mfs = [], [], []
    for f in frames:
        tag = H.Vlan(bytearray(f), 14)
        assert (H.Ethernet(bytearray(f)).type, tag.vid, tag.type) == (0x8100, 19, 0x0800)
        ip = H.IPv4(bytearray(f), 18)
        assert (ip.id, ip.df, ip.ttl, H.ip_str(ip.dst)) == (
            facts["datagram_key"]["id"], facts["DF_on_every_fragment"], facts["ttl"],
            facts["datagram_key"]["dst"])
        offsets.append(ip.frag_offset * 8)
        lens.append(ip.len - ip.hdr_len)
        mfs.append(ip.mf)
    assert (offsets, lens, mfs) == (facts["arrival_order_offsets"], facts["payload_lens"],
                                    facts["MF"])
    last = frames[-1]
    assert len(last) == 60 and len(last) - 18 - H.IPv4(bytearray(last), 18).len == 14


@pytest.mark.parametrize("name, l4", [("frag_http_req_reassembled.hex", "tcp"),
                                      ("frag_with_padding_defragmented.hex", "udp")])
def test_reassembled_datagrams_check_out(backend, name, l4):
    d = PPP[name]["decoded"]
    raw = hexfile(name)
    s = packet(backend, raw, frags=range(100, len(raw), 3000))  # paged, to sum across frags
    nh = 18 if name.startswith("frag_with") else 14
    ip = H.IPv4.at(s, nh)
    assert bytes(ip).hex() == d["ipv4_header_hex"] and H.ip_fast_csum(ip) == 0
    assert (ip.len, ip.frag_off) == (d["total_length"], num(d.get("frag_field", "0")))
    off = nh + ip.hdr_len
    n = ip.len - ip.hdr_len
    if l4 == "tcp":
        tcp = H.Tcp.at(s, off)
        assert (tcp.sport, tcp.dport) == (d["tcp"]["sport"], d["tcp"]["dport"])
        assert H.l4_checksum_ok(s, off, n, ip.src, ip.dst, H.IPPROTO_TCP)
    else:
        udp = H.Udp.at(s, off)
        assert (udp.sport, udp.dport, udp.len) == (d["udp"]["sport"], d["udp"]["dport"],
                                                   d["udp"]["length"])
        assert H.l4_checksum_ok(s, off, n, ip.src, ip.dst, H.IPPROTO_UDP)
    s.kfree()


# ----------------------------------------------------------------------
# ryu's GRE captures (Apache-2.0)

def test_ryu_gre_full_options(backend):
    d = RYU["gre_full_options.pcap"]["decoded"]
    (raw,) = pcap("ryu", "gre_full_options.pcap")
    assert len(raw) == RYU["gre_full_options.pcap"]["pcap"]["frame_len"]
    s = packet(backend, raw)
    g = H.Gre.at(s, d["gre_offset"])
    assert (g.checksum, g.reserved1, g.key, g.seq) == (num(d["gre"]["checksum"]), 0,
                                                       d["gre"]["key"], d["gre"]["seq"])
    assert H.inet_sum(s, 34, d["gre_checksum_region_len"]) == 0xFFFF
    check_ip(H.IPv4.at(s, 14), d["outer_ipv4"])
    t = gre.GreTunnel(d["outer_ipv4"]["dst"], d["outer_ipv4"]["src"], key=1000, seq=True,
                      csum=True)
    r = gre.decap(s, t)
    info = r[1]
    assert (info.flags, info.proto, info.key, info.seq, info.hdr_len) == (
        num(d["gre"]["flags_word"]), num(d["gre"]["protocol"]), d["gre"]["key"],
        d["gre"]["seq"], d["gre"]["header_len"])
    assert t.i_seqno == 11
    check_ip(H.IPv4.at(s, 0), d["inner_ipv4"])
    assert H.Icmp.at(s, 20).type == d["inner_ipv4"]["icmp_type"]
    s.kfree()


def test_ryu_gre_no_option_is_the_same_inner_packet(backend):
    d = RYU["gre_no_option.pcap"]["decoded"]
    (raw,) = pcap("ryu", "gre_no_option.pcap")
    (full,) = pcap("ryu", "gre_full_options.pcap")
    s = packet(backend, raw)
    r = gre.decap(s)
    assert (r[1].flags, r[1].hdr_len, r[1].proto) == (0, d["gre"]["header_len"], 0x0800)
    assert s.to_bytes() == full[34 + 16:]
    s.kfree()


def test_ryu_nvgre(backend):
    d = RYU["gre_nvgre_option.pcap"]["decoded"]
    (raw,) = pcap("ryu", "gre_nvgre_option.pcap")
    s = packet(backend, raw)
    t = gre.GreTunnel(d["outer_ipv4"]["dst"], d["outer_ipv4"]["src"], tap=True,
                      key=d["gre"]["key"])
    info = gre.decap(s, t)[1]
    assert (info.flags, info.proto, info.key, info.hdr_len) == (
        num(d["gre"]["flags_word"]), num(d["gre"]["protocol"]), 100, 8)
    assert (info.key >> 8, info.key & 0xFF) == (d["nvgre"]["vsid"], d["nvgre"]["flow_id"])
    eth = H.Ethernet.at(s, 0)
    assert (H.mac_str(eth.dst), H.mac_str(eth.src), s.protocol) == (
        d["inner_eth"]["dst"], d["inner_eth"]["src"], 0x8100)
    tag = H.VlanEthernet.at(s, 0)
    assert (tag.vid, tag.pcp, tag.dei, tag.type) == (
        d["inner_vlan"]["vid"], d["inner_vlan"]["pcp"], d["inner_vlan"]["dei"],
        num(d["inner_vlan"]["ethertype"]))
    vlan.vlan_pop(s)  # skb_vlan_pop discards a lone in-band tag
    assert (s.vlan_tci, s.protocol, s.len) == (0, 0x0800, len(raw) - 42 - 4)
    check_ip(H.IPv4.at(s, 14), d["inner_ipv4"])
    udp = H.Udp.at(s, 34)
    assert (udp.sport, udp.dport, udp.len) == (d["inner_udp"]["sport"], d["inner_udp"]["dport"],
                                               d["inner_udp"]["length"])
    s.kfree()


def test_ryu_constants():
    a = RYU["_about"]["asserted_constants_not_tied_to_a_pcap"]
    key = a["key_split"]["key"]
    assert (key >> 8, key & 0xFF) == (a["key_split"]["vsid"], a["key_split"]["flow_id"])
