"""Checksum offload helpers on SkBuff: ensure_writable, checksum_help,
lco_csum, iptunnel_handle_offloads.  Checksums are checked against an
RFC 1071 sum written here."""

from __future__ import annotations

import socket
import struct

import pytest

import skb
from skb import CHECKSUM_COMPLETE, CHECKSUM_NONE, CHECKSUM_PARTIAL, SKB_GSO
from skb.testing.faults import fail_nth_alloc
from skbhelp import ones, snapshot

SRC = socket.inet_aton("192.0.2.1")
DST = socket.inet_aton("198.51.100.7")


def udp_checksum(src, dst, udp: bytes) -> int:
    pseudo = src + dst + struct.pack("!BBH", 0, 17, len(udp))
    c = 0xFFFF - ones(pseudo + udp[:6] + b"\0\0" + udp[8:])
    return c or 0xFFFF


def udp_frame(payload: bytes, sport=1000, dport=2000) -> bytes:
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0, SRC, DST)
    return bytes(14) + ip + udp


def partial_udp(payload: bytes, headroom=64) -> skb.SkBuff:
    """A CHECKSUM_PARTIAL UDP packet as a stack hands it to a device: the
    check field holds the folded pseudo-header sum, not complemented."""
    frame = bytearray(udp_frame(payload))
    pseudo = ones(SRC + DST + struct.pack("!BBH", 0, 17, 8 + len(payload)))
    frame[40:42] = struct.pack("!H", pseudo)
    s = skb.alloc_skb(len(frame) + 64)
    s.reserve(headroom)
    s.put_data(bytes(frame))
    s.reset_mac_header()
    s.set_network_header(14)
    s.set_transport_header(34)
    s.protocol = 0x0800
    s.ip_summed = CHECKSUM_PARTIAL
    s.csum_start = s.transport_header
    s.csum_offset = 6
    return s


# ----------------------------------------------------------------------
# skb_ensure_writable

def test_ensure_writable_on_a_private_linear_skb_changes_nothing():
    s = partial_udp(b"abcd")
    before = snapshot(s)
    s.ensure_writable(s.len)
    assert snapshot(s) == before
    s.kfree()


def test_ensure_writable_unshares_a_cloned_head():
    s = partial_udp(b"abcd")
    c = s.clone()
    s.ensure_writable(20)
    assert (s.header_cloned(), s.cloned, c.dataref) == (False, False, 1)
    s.data[0] = 0xAA
    assert c.data[0] == 0
    assert s.to_bytes()[1:] == c.to_bytes()[1:]
    c.kfree()
    s.kfree()


def test_ensure_writable_within_hdr_len_of_a_clone_keeps_sharing():
    s = partial_udp(b"abcd")
    s.header_release()  # the headroom is the clone's alone (TCP's transmit clone)
    c = s.clone()
    assert c.hdr_len == 64
    c.push(14)
    before = snapshot(c)
    c.ensure_writable(14)
    assert snapshot(c) == before
    c.ensure_writable(15)  # one byte into the shared data: a private head
    assert (c.cloned, s.dataref, bytes(s.data) == c.to_bytes()[14:]) == (False, 0x10001, True)
    c.kfree()
    s.kfree()


def test_ensure_writable_pulls_paged_bytes():
    p = skb.alloc_page()
    p.data[:8] = b"01234567"
    s = skb.alloc_skb(64)
    s.put_data(b"ab")
    s.add_rx_frag(0, p, 0, 8, 4096)
    s.ensure_writable(6)
    assert (s.headlen, s.data_len, bytes(s.data)) == (6, 4, b"ab0123")
    s.kfree()


def test_ensure_writable_past_the_packet_is_memory_error_and_changes_nothing():
    s = partial_udp(b"abcd")
    before = snapshot(s)
    with pytest.raises(MemoryError, match="46 bytes asked of a 46-byte|47 bytes"):
        s.ensure_writable(s.len + 1)
    assert snapshot(s) == before
    s.kfree()


def test_ensure_writable_allocation_failure_changes_nothing():
    s = partial_udp(b"abcd")
    c = s.clone()
    before = snapshot(s)
    with fail_nth_alloc(1), pytest.raises(MemoryError):
        s.ensure_writable(10)
    assert snapshot(s) == before
    c.kfree()
    s.kfree()


# ----------------------------------------------------------------------
# skb_checksum_help

@pytest.mark.parametrize("payload", [b"", b"x", b"hello, world", bytes(range(256)) * 5])
def test_checksum_help_finishes_a_partial_udp_checksum(payload):
    s = partial_udp(payload)
    s.checksum_help()
    out = s.to_bytes()
    assert struct.unpack("!H", out[40:42])[0] == udp_checksum(SRC, DST, out[34:])
    assert s.ip_summed == CHECKSUM_NONE
    s.kfree()


def test_checksum_help_over_frags():
    payload = bytes(range(200))
    s = partial_udp(b"")
    p = skb.alloc_page()
    p.data[:200] = payload
    s.add_rx_frag(0, p, 0, 200, 4096)
    # the UDP length and pseudo-header cover the paged payload too
    frame = bytearray(s.to_bytes())
    frame[38:40] = struct.pack("!H", 208)
    pseudo = ones(SRC + DST + struct.pack("!BBH", 0, 17, 208))
    frame[40:42] = struct.pack("!H", pseudo)
    s.store_bits(0, bytes(frame[:42]))
    s.checksum_help()
    out = s.to_bytes()
    assert struct.unpack("!H", out[40:42])[0] == udp_checksum(SRC, DST, out[34:])
    assert (s.headlen, s.nr_frags) == (42, 1)
    s.kfree()


def test_checksum_help_writes_0xffff_for_a_zero_checksum():
    s = skb.alloc_skb(64)
    s.put_data(b"\0\0\xff\xff")  # sums to 0xffff, so the folded checksum is 0
    s.ip_summed = CHECKSUM_PARTIAL
    s.csum_start = s.data_offset
    s.csum_offset = 0
    s.checksum_help()
    assert s.to_bytes() == b"\xff\xff\xff\xff"
    s.kfree()


def test_checksum_help_on_a_shared_head_unshares_before_writing():
    s = partial_udp(b"data")
    c = s.clone()
    s.checksum_help()
    assert c.to_bytes()[40:42] != s.to_bytes()[40:42]
    assert c.ip_summed == CHECKSUM_PARTIAL and not s.cloned
    c.kfree()
    s.kfree()


@pytest.mark.parametrize("state, after", [(CHECKSUM_NONE, CHECKSUM_NONE),
                                          (CHECKSUM_COMPLETE, CHECKSUM_NONE),
                                          (1, 1)])
def test_checksum_help_other_states_only_reset_complete(state, after):
    s = partial_udp(b"data")
    s.ip_summed = state
    data = s.to_bytes()
    s.checksum_help()
    assert (s.ip_summed, s.to_bytes()) == (after, data)
    s.kfree()


def test_checksum_help_refuses_a_gso_packet():
    s = partial_udp(b"data")
    s.gso_size = 2
    s.gso_type = SKB_GSO.UDP_L4
    before = snapshot(s)
    with pytest.raises(ValueError, match="segmented first"):
        s.checksum_help()
    assert snapshot(s) == before
    s.kfree()


@pytest.mark.parametrize("start, offset", [(-1, 6), (46, 0), (44, 1), (34, 11)])
def test_checksum_help_offsets_outside_the_linear_data_are_a_bug(start, offset):
    s = partial_udp(b"data")  # headlen 46
    s.csum_start = s.data_offset + start
    s.csum_offset = offset
    before = snapshot(s)
    with pytest.raises(skb.SkbBug, match="csum_start/csum_offset"):
        s.checksum_help()
    assert snapshot(s) == before
    s.kfree()


# ----------------------------------------------------------------------
# lco_csum

def fold_native(csum: int) -> int:
    """A native (little-endian) 32-bit partial sum folded to 16 bits, as the
    big-endian word sum ones() would give."""
    while csum >> 16:
        csum = (csum & 0xFFFF) + (csum >> 16)
    return int.from_bytes(csum.to_bytes(2, "little"), "big")


@pytest.mark.parametrize("payload", [b"", b"payload!", b"odd", bytes(range(99))])
def test_lco_csum_is_the_sum_the_outer_header_sees_once_the_inner_is_done(payload):
    s = partial_udp(payload)
    s.push(8)[:] = struct.pack("!HHHH", 7, 4789, s.len + 8, 0)  # an outer UDP header
    s.reset_transport_header()
    csum = s.lco_csum()
    # sum of the outer header and the inner frame with its final checksum
    full = bytearray(s.to_bytes())
    full[8 + 40:8 + 42] = struct.pack("!H", udp_checksum(SRC, DST, bytes(full[8 + 34:])))
    expected = ones(bytes(full))
    assert fold_native(csum) == expected or {fold_native(csum), expected} == {0, 0xFFFF}
    s.kfree()


def test_lco_csum_needs_a_partial_packet_with_the_transport_header_first():
    s = partial_udp(b"x")
    s.ip_summed = CHECKSUM_NONE
    with pytest.raises(skb.SkbBug):
        s.lco_csum()
    s.ip_summed = CHECKSUM_PARTIAL
    s.set_transport_header(40)  # after csum_start
    with pytest.raises(skb.SkbBug):
        s.lco_csum()
    s.kfree()


# ----------------------------------------------------------------------
# iptunnel_handle_offloads

def test_handle_offloads_plain_packet_loses_offload_and_encapsulation():
    s = partial_udp(b"data")
    s.ip_summed = CHECKSUM_COMPLETE
    s.iptunnel_handle_offloads(SKB_GSO.UDP_TUNNEL)
    assert (s.ip_summed, s.encapsulation) == (CHECKSUM_NONE, 0)
    # the inner headers were recorded before encapsulation was cleared
    assert (s.inner_mac_header, s.inner_network_header, s.inner_transport_header) == (
        s.mac_header, s.network_header, s.transport_header)
    assert s.gso_type == 0
    s.kfree()


def test_handle_offloads_partial_packet_keeps_encapsulation():
    s = partial_udp(b"data")
    s.iptunnel_handle_offloads(SKB_GSO.UDP_TUNNEL)
    assert (s.ip_summed, s.encapsulation, s.gso_type) == (CHECKSUM_PARTIAL, 1, 0)
    assert s.inner_transport_header == s.transport_header
    s.kfree()


def test_handle_offloads_records_inner_headers_only_once():
    s = partial_udp(b"data")
    s.iptunnel_handle_offloads(0)
    s.push(14)
    s.reset_mac_header()
    s.iptunnel_handle_offloads(0)
    assert s.inner_mac_header == s.mac_header + 14
    s.kfree()


def test_handle_offloads_gso_adds_the_tunnel_type_and_unshares_the_header():
    s = partial_udp(b"data" * 100)
    s.gso_size = 100
    s.gso_segs = 4
    s.gso_type = SKB_GSO.UDP_L4
    c = s.clone()
    s.iptunnel_handle_offloads(SKB_GSO.UDP_TUNNEL | SKB_GSO.UDP_TUNNEL_CSUM)
    assert s.gso_type == SKB_GSO.UDP_L4 | SKB_GSO.UDP_TUNNEL | SKB_GSO.UDP_TUNNEL_CSUM
    assert c.gso_type == SKB_GSO.UDP_L4
    assert not s.header_cloned()
    c.kfree()
    s.kfree()


def test_handle_offloads_gso_allocation_failure_changes_nothing_but_inner_headers():
    s = partial_udp(b"data")
    s.gso_size = 2
    s.gso_type = SKB_GSO.UDP_L4
    c = s.clone()
    with fail_nth_alloc(1), pytest.raises(MemoryError):
        s.iptunnel_handle_offloads(SKB_GSO.UDP_TUNNEL)
    assert (s.gso_type, s.cloned) == (SKB_GSO.UDP_L4, True)
    c.kfree()
    s.kfree()
