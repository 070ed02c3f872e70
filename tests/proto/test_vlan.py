"""skb.proto.vlan: skb_vlan_push / skb_vlan_pop move tags between the
accelerated slot (vlan_proto/vlan_tci) and the frame, exactly as the kernel
leaves bytes, header offsets, protocol and a CHECKSUM_COMPLETE sum."""

from __future__ import annotations

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Dot1AD, Dot1Q, Ether

from skb.proto import vlan
from skb.proto.ip import CHECKSUM_COMPLETE, CHECKSUM_PARTIAL

from .protohelp import packet

MACS = dict(src="02:00:00:00:01:01", dst="02:00:00:00:01:02")
PAYLOAD = IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1, dport=2) / (b"z" * 20)
PLAIN = bytes(Ether(**MACS) / PAYLOAD)


def frame(backend, raw: bytes, protocol: int, headroom: int = 64):
    """A received-style frame: data and mac header at the Ethernet header,
    the network header 14 bytes on."""
    s = packet(backend, raw, headroom=headroom, protocol=protocol)
    s.reset_mac_header()
    s.set_network_header(14)
    s.reset_mac_len()
    return s


def headers(s):
    return (s.mac_offset, s.network_offset, s.mac_len, s.protocol, s.vlan_proto, s.vlan_tci)


def test_push_without_an_accelerated_tag_only_sets_it(backend):
    s = frame(backend, PLAIN, 0x0800)
    vlan.vlan_push(s, 0x8100, 0x2064)
    assert s.to_bytes() == PLAIN
    assert headers(s) == (0, 14, 14, 0x0800, 0x8100, 0x2064)
    s.kfree()


def test_push_moves_the_accelerated_tag_into_the_frame(backend):
    s = frame(backend, PLAIN, 0x0800)
    headroom = s.headroom
    vlan.vlan_push(s, 0x8100, 100)
    vlan.vlan_push(s, 0x88A8, 30)
    assert s.to_bytes() == bytes(Ether(**MACS) / Dot1Q(vlan=100) / PAYLOAD)
    # the in-band tag went in after the MACs; the network header names it,
    # as skb_vlan_push leaves it (network_header -= VLAN_HLEN)
    assert headers(s) == (0, 14, 14, 0x8100, 0x88A8, 30)
    assert s.headroom == headroom - 4
    vlan.vlan_push(s, 0x8100, 7)
    assert s.to_bytes() == bytes(Ether(**MACS) / Dot1AD(vlan=30) / Dot1Q(vlan=100) / PAYLOAD)
    assert headers(s) == (0, 14, 14, 0x88A8, 0x8100, 7)
    s.kfree()


def test_pop_clears_the_accelerated_tag(backend):
    s = frame(backend, PLAIN, 0x0800)
    s.vlan_proto, s.vlan_tci = 0x8100, 5
    vlan.vlan_pop(s)
    assert headers(s) == (0, 14, 14, 0x0800, 0, 0)
    assert s.to_bytes() == PLAIN
    vlan.vlan_pop(s)  # untagged: nothing to do
    assert headers(s) == (0, 14, 14, 0x0800, 0, 0)
    s.kfree()


def test_pop_in_band_then_the_next_tag_becomes_accelerated(backend):
    qinq = bytes(Ether(**MACS) / Dot1AD(prio=3, vlan=30) / Dot1Q(prio=1, vlan=100) / PAYLOAD)
    s = frame(backend, qinq, 0x88A8)
    vlan.vlan_pop(s)
    # outer 802.1ad tag gone from the frame; the 802.1Q one moved to the slot
    assert s.to_bytes() == PLAIN
    assert headers(s) == (0, 14, 14, 0x0800, 0x8100, 1 << 13 | 100)
    vlan.vlan_pop(s)
    assert headers(s) == (0, 14, 14, 0x0800, 0, 0)
    s.kfree()


def test_pop_after_an_accelerated_tag_takes_an_in_band_one_up(backend):
    tagged = bytes(Ether(**MACS) / Dot1Q(vlan=9) / PAYLOAD)
    s = frame(backend, tagged, 0x8100)
    s.vlan_proto, s.vlan_tci = 0x88A8, 4
    vlan.vlan_pop(s)
    assert s.to_bytes() == PLAIN
    assert headers(s) == (0, 14, 14, 0x0800, 0x8100, 9)
    s.kfree()


def test_push_then_pop_round_trips(backend):
    s = frame(backend, PLAIN, 0x0800)
    for tci in (1, 2, 3):
        vlan.vlan_push(s, 0x8100, tci)
    for _ in range(3):
        vlan.vlan_pop(s)
    assert s.to_bytes() == PLAIN
    assert headers(s) == (0, 14, 14, 0x0800, 0, 0)
    s.kfree()


def test_a_cloned_header_is_copied_before_it_is_written(backend):
    tagged = bytes(Ether(**MACS) / Dot1Q(vlan=9) / PAYLOAD)
    s = frame(backend, tagged, 0x8100)
    c = s.clone()
    vlan.vlan_pop(c)
    assert s.to_bytes() == tagged and c.to_bytes() == PLAIN
    assert not c.is_cloned() and not s.is_cloned()
    c.kfree()
    s2 = frame(backend, PLAIN, 0x0800)
    s2.vlan_proto, s2.vlan_tci = 0x8100, 3
    c2 = s2.clone()
    vlan.vlan_push(c2, 0x8100, 4)
    assert s2.to_bytes() == PLAIN
    assert c2.to_bytes() == bytes(Ether(**MACS) / Dot1Q(vlan=3) / PAYLOAD)
    c2.kfree()
    s2.kfree()
    s.kfree()


def test_short_headroom_is_made(backend):
    s = frame(backend, PLAIN, 0x0800, headroom=0)
    s.vlan_proto, s.vlan_tci = 0x8100, 3
    vlan.vlan_push(s, 0x8100, 4)
    assert s.to_bytes() == bytes(Ether(**MACS) / Dot1Q(vlan=3) / PAYLOAD)
    assert headers(s) == (0, 14, 14, 0x8100, 0x8100, 4)
    s.kfree()


def full_sum(s) -> int:
    c = s.checksum(0, s.len)
    return c


@pytest.mark.parametrize("op", ["push", "pop"])
def test_checksum_complete_follows_the_bytes(backend, op):
    raw = PLAIN if op == "push" else bytes(Ether(**MACS) / Dot1Q(vlan=9) / PAYLOAD)
    s = frame(backend, raw, 0x0800 if op == "push" else 0x8100)
    s.ip_summed = CHECKSUM_COMPLETE
    s.csum = full_sum(s)
    if op == "push":
        s.vlan_proto, s.vlan_tci = 0x8100, 0x1234
        vlan.vlan_push(s, 0x8100, 1)
    else:
        vlan.vlan_pop(s)

    def fold(c):
        c = (c & 0xFFFF) + (c >> 16)
        return (c & 0xFFFF) + (c >> 16)

    assert fold(s.csum) == fold(full_sum(s))
    s.kfree()


def test_802_3_length_behind_the_tag(backend):
    llc = bytes(Ether(**MACS) / Dot1Q(vlan=5, type=40) / (b"\xaa\xaa\x03" + b"q" * 37))
    raw_ipx = bytes(Ether(**MACS) / Dot1Q(vlan=5, type=40) / (b"\xff\xff" + b"q" * 38))
    for raw, want in ((llc, 0x0004), (raw_ipx, 0x0001)):
        s = frame(backend, raw, 0x8100)
        vlan.vlan_pop(s)
        assert (s.protocol, s.vlan_proto, s.vlan_tci) == (want, 0, 0)
        s.kfree()


def test_errors_are_the_kernel_codes(backend):
    s = frame(backend, PLAIN, 0x0800)
    s.vlan_proto, s.vlan_tci = 0x8100, 3
    s.pull(14)  # data no longer at the mac header
    with pytest.raises(ValueError, match="EINVAL"):
        vlan.vlan_push(s, 0x8100, 4)
    s.push(14)
    s.kfree()
    short = frame(backend, PLAIN[:16], 0x8100)
    with pytest.raises(MemoryError):  # skb_ensure_writable(18) on 16 bytes: -ENOMEM
        vlan.vlan_pop(short)
    assert short.to_bytes() == PLAIN[:16]
    short.kfree()
    tiny = frame(backend, PLAIN[:10], 0x0800)
    tiny.vlan_proto, tiny.vlan_tci = 0x8100, 1
    with pytest.raises(ValueError, match="EINVAL"):
        vlan.vlan_push(tiny, 0x8100, 2)
    tiny.kfree()
    s = frame(backend, PLAIN, 0x0800)
    with pytest.raises(ValueError):
        vlan.vlan_push(s, 0x10000, 1)
    s.kfree()


def test_partial_checksum_is_kept_when_its_start_stays(backend):
    s = frame(backend, bytes(Ether(**MACS) / Dot1Q(vlan=9) / PAYLOAD), 0x8100)
    s.ip_summed = CHECKSUM_PARTIAL
    s.csum_start = s.data_offset + 18 + 20
    s.csum_offset = 6
    vlan.vlan_pop(s)
    assert s.ip_summed == CHECKSUM_PARTIAL
    s.kfree()


def test_insert_tag_at_a_deeper_mac_len(backend):
    tagged = bytes(Ether(**MACS) / Dot1AD(vlan=30) / PAYLOAD)
    s = frame(backend, tagged, 0x88A8)
    vlan.vlan_insert_tag(s, 0x8100, 100, mac_len=18)
    assert s.to_bytes() == bytes(Ether(**MACS) / Dot1AD(vlan=30) / Dot1Q(vlan=100) / PAYLOAD)
    assert s.protocol == 0x88A8 and s.mac_offset == 0
    s.kfree()
