"""Malformed input for both decaps, table-driven: every bad packet gives its
documented drop reason, is freed (counted once under that reason), leaves
nothing behind and raises nothing.  Truncation is tried at every byte, both
raw (the frame cut short) and consistent (lengths and checksums rewritten to
the cut, so only the inner layers are short)."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scapy.layers.inet import GRE, IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether
from scapy.layers.vxlan import VXLAN

import skb
from skb import Drop, DropReason as R
from skb.proto import gre, vxlan

from .protohelp import drop_delta, ones, packet

DEV_MAC = "02:00:00:00:09:09"
INNER = bytes(Ether(src="02:00:00:00:01:01", dst="02:00:00:00:01:02") /
              IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1, dport=2) / (b"d" * 12))
OUTER = dict(src="02:00:00:00:00:aa", dst="02:00:00:00:00:bb")
V4 = dict(src="192.0.2.1", dst="192.0.2.2")


def vx_frame(vni=42, vx_flags=0x08, udp_chksum=None, inner=INNER, **ip_kw) -> bytes:
    """A VXLAN frame; ip_kw go to the outer IPv4 header."""
    udp = UDP(sport=5000, dport=4789)
    if udp_chksum is not None:
        udp.chksum = udp_chksum
    return bytes(Ether(**OUTER) / IP(**V4, **ip_kw) / udp / VXLAN(vni=vni, flags=vx_flags) / inner)


def gre_frame(payload=INNER, proto=0x6558, **kw) -> bytes:
    return bytes(Ether(**OUTER) / IP(**V4) / GRE(proto=proto, **kw) / payload)


def device():
    return vxlan.VxlanDevice(42, "192.0.2.2", mac=DEV_MAC, learning=False)


def set_ip_len(raw: bytearray, total: int) -> None:
    """Give the outer IPv4 header a new total length and a valid checksum."""
    raw[16:18] = struct.pack("!H", total)
    raw[24:26] = b"\0\0"
    raw[24:26] = struct.pack("!H", 0xFFFF - ones(bytes(raw[14:34])))


def edit(raw: bytes, at: int, data: bytes) -> bytes:
    b = bytearray(raw)
    b[at:at + len(data)] = data
    return bytes(b)


def run(backend, decap, raw: bytes, want, frags=()):
    """decap raw; check the drop reason, that the skb was freed exactly
    once under it and that the device state is consistent."""
    s = packet(backend, raw, frags=frags)
    before = skb.counters() if backend.engine else None
    with drop_delta(backend) as d:
        r = decap(s)
    assert r == Drop(want), f"{r} for {raw.hex()}"
    if backend.engine:
        assert d == {want: 1}
        assert skb.counters().live_skbs == before.live_skbs - 1


# ----------------------------------------------------------------------
# VXLAN

VX_CASES = [
    ("empty", b"", R.PKT_TOO_SMALL),
    ("13 bytes", vx_frame()[:13], R.PKT_TOO_SMALL),
    ("not IP", edit(vx_frame(), 12, b"\x08\x06"), R.UNHANDLED_PROTO),
    ("vlan outer", edit(vx_frame(), 12, b"\x81\x00"), R.UNHANDLED_PROTO),
    ("IPv4 header cut", vx_frame()[:30], R.IP_INHDR),
    ("IP version 5", edit(vx_frame(), 14, b"\x55"), R.IP_INHDR),
    ("IHL 4", edit(vx_frame(), 14, b"\x44"), R.IP_INHDR),
    ("IHL 15 past the frame", edit(vx_frame()[:40], 14, b"\x4f"), R.IP_INHDR),
    ("IP checksum", edit(vx_frame(), 24, b"\x12\x34"), R.IP_CSUM),
    ("total length past the frame", vx_frame(len=200), R.PKT_TOO_SMALL),
    ("total length below IHL", vx_frame(len=19), R.IP_INHDR),
    ("fragment", vx_frame(flags="MF"), R.UNHANDLED_PROTO),
    ("fragment offset", vx_frame(frag=8), R.UNHANDLED_PROTO),
    ("not UDP", vx_frame(proto=6), R.IP_NOPROTO),
    ("UDP header cut", vx_frame(len=24), R.PKT_TOO_SMALL),
    ("UDP length past IP", edit(vx_frame(udp_chksum=0), 38, b"\x01\x00"), R.PKT_TOO_SMALL),
    ("UDP length 7", edit(vx_frame(udp_chksum=0), 38, b"\x00\x07"), R.PKT_TOO_SMALL),
    ("UDP checksum", vx_frame(udp_chksum=0x1234), R.UDP_CSUM),
    ("other port", edit(vx_frame(udp_chksum=0), 36, b"\x21\x18"), R.NO_SOCKET),
    ("I flag clear", vx_frame(vx_flags=0x00, udp_chksum=0), R.VXLAN_INVALID_HDR),
    ("reserved flag", vx_frame(vx_flags=0x0C, udp_chksum=0), R.VXLAN_INVALID_HDR),
    ("reserved word bits", edit(vx_frame(udp_chksum=0), 45, b"\x01"), R.VXLAN_INVALID_HDR),
    ("reserved VNI byte", edit(vx_frame(udp_chksum=0), 49, b"\x01"), R.VXLAN_INVALID_HDR),
    ("unknown VNI", vx_frame(vni=7), R.VXLAN_VNI_NOT_FOUND),
    ("unknown VNI and reserved bits", vx_frame(vni=7, vx_flags=0x88, udp_chksum=0),
     R.VXLAN_VNI_NOT_FOUND),
    ("own MAC", vx_frame(inner=edit(INNER, 6, bytes.fromhex("020000000909"))), R.LOCAL_MAC),
    ("outer CE, not-ECT inside", vx_frame(tos=3), R.IP_TUNNEL_ECN),
]


@pytest.mark.parametrize("name, raw, want", VX_CASES, ids=[c[0] for c in VX_CASES])
def test_vxlan_bad_packets(backend, name, raw, want):
    dev = device()
    run(backend, lambda s: vxlan.decap(s, dev), raw, want)
    frame_errors = want == R.VXLAN_INVALID_HDR and "reserved" in name
    assert dev.stats.rx_frame_errors == int(frame_errors or want == R.IP_TUNNEL_ECN)
    assert dev.stats.rx_packets == 0


@pytest.mark.parametrize("cut", range(0, len(vx_frame())))
def test_vxlan_truncated_at_every_byte(backend, cut):
    raw = vx_frame()[:cut]
    want = R.PKT_TOO_SMALL if cut < 14 or cut >= 34 else R.IP_INHDR
    dev = device()
    run(backend, lambda s: vxlan.decap(s, dev), raw, want)


def vx_consistent(cut: int) -> bytes:
    """The frame cut after byte `cut`, the IPv4 and UDP lengths (and the IP
    checksum) telling the truth about it, the UDP checksum off."""
    raw = bytearray(vx_frame(udp_chksum=0)[:cut])
    set_ip_len(raw, cut - 14)
    raw[38:40] = struct.pack("!H", cut - 34)
    return bytes(raw)


@pytest.mark.parametrize("cut", range(42, 84))
def test_vxlan_consistent_lengths_truncated_inside(backend, cut):
    if cut < 50:
        want = R.PKT_TOO_SMALL  # vxlan_rcv: UDP + VXLAN < 16 bytes
    elif cut < 64:
        want = R.HDR_TRUNC  # the inner Ethernet header
    else:
        want = R.PKT_TOO_SMALL  # the inner IPv4 header (rx_length_errors)
    dev = device()
    run(backend, lambda s: vxlan.decap(s, dev), vx_consistent(cut), want, frags=(40,))
    assert dev.stats.rx_length_errors == int(cut >= 64)


def test_vxlan_consistent_cut_after_the_inner_ip_header_is_accepted(backend):
    """Only the base inner IPv4 header must be there (pskb_inet_may_pull)."""
    s = packet(backend, vx_consistent(84))
    r = vxlan.decap(s, device())
    assert type(r) is tuple and s.to_bytes() == INNER[:34]
    s.kfree()


def test_vxlan_ipv6_outer_malformed(backend):
    dev = vxlan.VxlanDevice(42, "2001:db8::2", mac=DEV_MAC, learning=False)
    good = bytes(Ether(**OUTER) / IPv6(src="2001:db8::1", dst="2001:db8::2") /
                 UDP(sport=1, dport=4789) / VXLAN(vni=42) / INNER)
    for raw, want in ((good[:50], R.IP_INHDR),
                      (edit(good, 14, b"\x50"), R.UNHANDLED_PROTO),
                      (edit(good, 18, b"\x10\x00"), R.PKT_TOO_SMALL),
                      (edit(good, 20, b"\x06"), R.IP_NOPROTO),
                      (edit(good, 20, b"\x00"), R.IP_NOPROTO)):  # a hop-by-hop header
        run(backend, lambda s: vxlan.decap(s, dev), raw, want)


def test_oversized_valid_frame_is_accepted(backend):
    """A 64 KiB jumbo inner frame spread over frags decaps fine."""
    big_inner = bytes(Ether(src="02:00:00:00:01:01", dst="02:00:00:00:01:02") /
                      IP(src="10.0.0.1", dst="10.0.0.2") / UDP() / (b"J" * 65000))
    raw = bytes(Ether(**OUTER) / IP(**V4) / UDP(sport=1, dport=4789, chksum=0) /
                VXLAN(vni=42) / big_inner)[:14 + 65535]
    raw = bytearray(raw)
    set_ip_len(raw, len(raw) - 14)
    raw[38:40] = struct.pack("!H", len(raw) - 34)
    s = packet(backend, bytes(raw), frags=list(range(60, len(raw), 4096)))
    r = vxlan.decap(s, device())
    assert type(r) is tuple and s.to_bytes() == bytes(raw[50:])
    s.kfree()


# ----------------------------------------------------------------------
# GRE

def tap_tunnel():
    return gre.GreTunnel("192.0.2.2", "192.0.2.1", tap=True, mac=DEV_MAC)


GRE_CASES = [
    ("empty", b"", R.PKT_TOO_SMALL),
    ("not GRE", bytes(Ether(**OUTER) / IP(**V4) / UDP()), R.IP_NOPROTO),
    ("IPv6 outer", bytes(Ether(**OUTER) / IPv6() / GRE() / INNER), R.UNHANDLED_PROTO),
    ("IP checksum", edit(gre_frame(), 24, b"\x00\x01"), R.IP_CSUM),
    ("11 bytes of GRE", bytes(Ether(**OUTER) / IP(**V4) / GRE() / b"1234567"),
     R.PKT_TOO_SMALL),
    ("version 1", gre_frame(version=1), R.UNHANDLED_PROTO),
    ("version 7", gre_frame(version=7), R.UNHANDLED_PROTO),
    ("reserved flag bits", edit(gre_frame(), 35, b"\x08"), R.UNHANDLED_PROTO),
    ("routing bit", gre_frame(routing_present=1), R.UNHANDLED_PROTO),
    ("bad checksum", edit(gre_frame(chksum_present=1), 38, b"\xde\xad"), R.SKB_CSUM),
    ("payload corrupted under C", gre_frame(chksum_present=1)[:-1] + b"\x01", R.SKB_CSUM),
    ("options announced, not there",
     bytes(Ether(**OUTER) / IP(proto=47, **V4) / (bytes.fromhex("b0006558") + bytes(10))),
     R.HDR_TRUNC),
    ("inner Ethernet cut", gre_frame(payload=INNER[:12]), R.HDR_TRUNC),
    ("no tunnel", gre_frame(key_present=1, key=5), R.NO_SOCKET),
    ("checksum the tunnel does not want", gre_frame(chksum_present=1), R.SKB_CSUM),
    ("inner IPv4 cut", gre_frame(payload=INNER[:30]), R.PKT_TOO_SMALL),
    ("outer CE, not-ECT inside", bytes(Ether(**OUTER) / IP(tos=3, **V4) / GRE(proto=0x6558) /
                                       INNER), R.IP_TUNNEL_ECN),
]


@pytest.mark.parametrize("name, raw, want", GRE_CASES, ids=[c[0] for c in GRE_CASES])
def test_gre_bad_packets(backend, name, raw, want):
    t = tap_tunnel()
    run(backend, lambda s: gre.decap(s, t), raw, want)
    counters = {k: v for k, v in t.stats.as_dict().items() if v}
    if name.startswith("checksum the tunnel"):
        assert counters == dict(rx_crc_errors=1, rx_errors=1)
    elif name.startswith("inner IPv4"):
        assert counters == dict(rx_length_errors=1, rx_errors=1)
    elif name.startswith("outer CE"):
        assert counters == dict(rx_frame_errors=1, rx_errors=1)
    else:
        assert counters == {}


@pytest.mark.parametrize("cut", range(0, len(gre_frame(key_present=1, key=9,
                                                        chksum_present=1))))
def test_gre_truncated_at_every_byte(backend, cut):
    raw = gre_frame(key_present=1, key=9, chksum_present=1)[:cut]
    want = R.PKT_TOO_SMALL if cut < 14 or cut >= 34 else R.IP_INHDR
    run(backend, gre.decap, raw, want)


@pytest.mark.parametrize("cut", range(34, 34 + 12 + 14 + 20))
def test_gre_consistent_lengths_truncated_inside(backend, cut):
    full = gre_frame(key_present=1, key=9, seqnum_present=1)
    raw = bytearray(full[:cut])
    set_ip_len(raw, cut - 14)
    if cut < 34 + 12:
        want = R.PKT_TOO_SMALL  # gre_demux wants 12 bytes
    elif cut < 34 + 12 + 14:
        want = R.HDR_TRUNC  # the inner Ethernet header
    else:
        want = R.PKT_TOO_SMALL  # the inner IPv4 header
    run(backend, gre.decap, bytes(raw), want, frags=(20,))


# ----------------------------------------------------------------------
# anything at all: a verdict, never an exception, nothing left behind

HSETTINGS = settings(max_examples=150, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
GOOD = [vx_frame(), vx_frame(udp_chksum=0), gre_frame(), gre_frame(chksum_present=1, key=3,
                                                                   key_present=1)]


@HSETTINGS
@given(base=st.sampled_from(GOOD), flips=st.lists(st.tuples(st.integers(0, 200),
                                                             st.integers(0, 255)), max_size=6),
       cut=st.integers(0, 200), split=st.integers(0, 120), proto=st.sampled_from(["vx", "gre"]))
def test_mutated_frames_give_a_verdict(backend, base, flips, cut, split, proto):
    raw = bytearray(base[:cut] if cut < len(base) else base)
    for at, value in flips:
        if at < len(raw):
            raw[at] = value
    s = packet(backend, bytes(raw), frags=(split,) if split else ())
    if proto == "vx":
        r = vxlan.decap(s, {42: device()})
    else:
        r = gre.decap(s, gre.GreTunnels([tap_tunnel()]))
    if type(r) is tuple:
        r[0].kfree()
    else:
        assert type(r) is Drop and isinstance(r.reason, R)
