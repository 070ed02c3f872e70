"""skb.ip.fragment: what IPv4 output sends for a packet and a path MTU
(ip_fragment / ip_do_fragment).  Every fragment is dissected by scapy and
checked field by field; checksums with the RFC 1071 sum in iphelp."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings, strategies as st
from scapy.layers.inet import IP, UDP, defragment, fragment as scapy_fragment

import skb
from skb import CHECKSUM_NONE, CHECKSUM_PARTIAL, DropReason, FreedSkBuff, SkBuff, ip
from skb.testing import check, fail_nth_alloc

from iphelp import (datagram, dissect, fraglist, fragments_of, free_all, header_ok, linear,
                    member, ones, paged)

MF, DF = 1, 2          # scapy's flag bits


def payloads(frags) -> bytes:
    return b"".join(bytes(p.payload) for p in dissect(frags))


def with_options(data: bytes, options: bytes) -> bytes:
    """The datagram with IPv4 options inserted (ihl, length and checksum fixed)."""
    hdr = bytearray(data[:20] + options)
    hdr[0] = 0x40 | len(hdr) // 4
    struct.pack_into("!H", hdr, 2, len(hdr) + len(data) - 20)
    struct.pack_into("!H", hdr, 10, 0)
    struct.pack_into("!H", hdr, 10, 0xFFFF - ones(bytes(hdr)))
    return bytes(hdr) + data[20:]


def set_ipcb(s, flags: int = 0, frag_max_size: int = 0) -> None:
    cb = bytearray(s.cb)
    struct.pack_into("=HH", cb, 20, flags, frag_max_size)
    s.cb = bytes(cb)


# ---------------------------------------------------------------- slow path

def test_slow_path_cuts_a_linear_packet_into_mtu_sized_fragments():
    data = datagram(4000)                 # 20 + 8 UDP + 3992
    s = linear(skb, data)
    s.priority, s.mark, s.hash, s.pkt_type = 5, 0xBEEF, 0x1234567, 1
    before = skb.drop_counts().get(DropReason.CONSUMED, 0)
    segs = ip.fragment(s, 1500)
    assert type(s) is FreedSkBuff          # consumed: the slow path copies
    assert skb.drop_counts()[DropReason.CONSUMED] == before + 1
    pkts = dissect(segs)
    assert [p.frag for p in pkts] == [0, 185, 370]          # 8-byte units
    assert [int(p.flags) for p in pkts] == [MF, MF, 0]
    assert [p.len for p in pkts] == [1500, 1500, 1060]
    assert {p.id for p in pkts} == {0x1234}
    assert {p.ttl for p in pkts} == {64} and {p.proto for p in pkts} == {17}
    for g in segs:
        assert header_ok(g.to_bytes()[:20])
        check(g)
        assert (g.headroom, g.network_offset, g.transport_offset) == (16, 0, 20)
        assert g.mac_header is None and g.data_len == 0
        assert g.ip_summed == CHECKSUM_NONE
        assert (g.priority, g.mark, g.hash, g.pkt_type, g.protocol) == \
            (5, 0xBEEF, 0x1234567, 1, 0x0800)
        assert ip.ipcb(g) == ip.IPCB(ip.IPSKB_FRAG_COMPLETE, 0)
        assert g.truesize == 2304          # alloc_skb(1516): a 2048-byte kmalloc head
    assert payloads(segs) == data[20:]
    assert [g.next for g in segs] == [segs[1], segs[2], None]
    free_all(segs)


@pytest.mark.parametrize("mtu", [68, 69, 576, 1000, 1001, 1499, 1500, 4020, 4019])
def test_slow_path_matches_scapy_fragment(mtu):
    """scapy's fragment(fragsize) cuts as the kernel does: fragsize rounded
    down to 8 for all but the last, which may take the unrounded size."""
    data = datagram(4000)
    segs = ip.fragment(linear(skb, data), mtu)
    want = [bytes(p) for p in scapy_fragment(IP(data), fragsize=mtu - 20)]
    assert [g.to_bytes() for g in segs] == want
    assert all(g.len <= mtu for g in segs)
    free_all(segs)


def test_fragments_reassemble_in_scapy():
    data = datagram(5000, ident=77)
    segs = ip.fragment(linear(skb, data), 1280)
    got = defragment([IP(g.to_bytes()) for g in segs])
    assert len(got) == 1 and bytes(got[0]) == data
    free_all(segs)


@pytest.mark.parametrize("layout", ["paged", "frag_list"])
def test_slow_path_copies_paged_and_frag_list_data(layout):
    data = datagram(6000)
    if layout == "paged":
        s = paged(skb, data, 300, chunk=700)
    else:   # members whose sizes do not suit the fast path
        s = fraglist(skb, data, 700, [1001, 1003, 999])
    segs = ip.fragment(s, 1500)
    assert type(s) is FreedSkBuff
    assert [g.to_bytes() for g in segs] == fragments_of(data, [1480] * 4)
    for g in segs:
        assert g.data_len == 0 and g.headroom == 16
    free_all(segs)


@pytest.mark.parametrize("ll_rs", [0, 2, 16, 32, 100])
def test_new_fragments_get_ll_rs_headroom(ll_rs):
    segs = ip.fragment(linear(skb, datagram(3000)), 1500, ll_rs)
    assert [g.headroom for g in segs] == [ll_rs] * 3
    free_all(segs)


def test_a_fragment_is_refragmented_from_its_offset_keeping_mf():
    whole = datagram(3000)
    middle = fragments_of(whole, [1480, 1000])[1]      # offset 1480, MF
    segs = ip.fragment(linear(skb, middle), 576)
    pkts = dissect(segs)
    assert [p.frag for p in pkts] == [185, 185 + 69]   # 1480 / 8, then + 552 / 8
    assert [int(p.flags) for p in pkts] == [MF, MF]    # the original was not the last
    assert payloads(segs) == whole[20 + 1480:20 + 2480]
    free_all(segs)
    last = fragments_of(whole, [1480, 1000])[2]
    segs = ip.fragment(linear(skb, last), 300)          # 520 bytes: 280 + 240
    assert [(p.frag, int(p.flags)) for p in dissect(segs)] == [(310, MF), (345, 0)]
    free_all(segs)


def test_packet_that_fits_goes_out_as_it_is():
    data = datagram(1480)
    s = linear(skb, data)
    segs = ip.fragment(s, 1500)
    assert len(segs) == 1 and segs[0] is s
    assert type(s) is SkBuff and s.to_bytes() == data
    assert ip.ipcb(s).flags == 0       # ip_do_fragment never ran
    s.kfree()


def test_frag_max_size_makes_a_fitting_packet_fragment_to_it():
    """A reassembled packet (IPCB frag_max_size set) always goes through
    ip_fragment, cut to the size it arrived in."""
    data = datagram(1200)
    s = linear(skb, data)
    set_ipcb(s, frag_max_size=500)
    segs = ip.fragment(s, 1500)
    assert [p.len for p in dissect(segs)] == [500, 500, 260]
    assert payloads(segs) == data[20:]
    free_all(segs)


def test_frag_pmtu_keeps_df_on_every_fragment():
    s = linear(skb, datagram(3000))
    set_ipcb(s, flags=ip.IPSKB_FRAG_PMTU)
    segs = ip.fragment(s, 1500)
    assert [int(p.flags) for p in dissect(segs)] == [DF | MF, DF | MF, DF]
    assert all(ip.ipcb(g).flags == ip.IPSKB_FRAG_PMTU | ip.IPSKB_FRAG_COMPLETE for g in segs)
    free_all(segs)


# ---------------------------------------------------------------- DF

def test_df_packet_that_does_not_fit_is_dropped_with_the_mtu():
    s = linear(skb, datagram(2000, df=True))
    before = skb.drop_counts().get(DropReason.NOT_SPECIFIED, 0)
    verdict = ip.fragment(s, 1400)
    assert verdict == ip.FragNeeded(1400, DropReason.NOT_SPECIFIED)
    assert type(s) is FreedSkBuff
    assert skb.drop_counts()[DropReason.NOT_SPECIFIED] == before + 1


def test_df_packet_that_fits_is_sent():
    s = linear(skb, datagram(1000, df=True))
    segs = ip.fragment(s, 1400)
    assert list(segs) == [s]
    s.kfree()


def test_ignore_df_cuts_and_the_fragments_lose_df():
    s = linear(skb, datagram(2000, df=True))
    segs = ip.fragment(s, 1400, ignore_df=True)
    assert [int(p.flags) for p in dissect(segs)] == [MF, 0]
    free_all(segs)


def test_ignore_df_does_not_cut_below_the_size_it_came_in():
    s = linear(skb, datagram(2000, df=True))
    set_ipcb(s, flags=ip.IPSKB_FRAG_PMTU, frag_max_size=1500)
    assert ip.fragment(s, 1400, ignore_df=True) == ip.FragNeeded(1400)
    s = linear(skb, datagram(2000, df=True))
    set_ipcb(s, flags=ip.IPSKB_FRAG_PMTU, frag_max_size=1000)
    segs = ip.fragment(s, 1400, ignore_df=True)
    assert [(int(p.flags), p.len) for p in dissect(segs)] == [(DF | MF, 996), (DF | MF, 996),
                                                               (DF, 68)]
    free_all(segs)


# ---------------------------------------------------------------- fast path

def fast_packet(data: bytes, first: int = 1500, sizes=(1480, 1480), headroom: int = 64):
    s = fraglist(skb, data, first, list(sizes), member_headroom=headroom)
    return s, s.frag_list


def test_fast_path_sends_the_packet_and_its_members_without_copying():
    data = datagram(4400)                       # 20 + 4400: 1480 + 1480 + 1440
    s, members = fast_packet(data)
    truesize = s.truesize
    member_truesize = [m.truesize for m in members]
    assert [m.data_offset for m in members] == [64, 64]
    segs = ip.fragment(s, 1500)
    assert list(segs) == [s, *members]                    # the same skbs
    assert all(type(g) is SkBuff for g in segs)
    assert [g.to_bytes() for g in segs] == fragments_of(data, [1480, 1480])
    pkts = dissect(segs)
    assert [(p.frag, int(p.flags), p.len) for p in pkts] == \
        [(0, MF, 1500), (185, MF, 1500), (370, 0, 1460)]
    assert s.frag_list == [] and (s.len, s.data_len) == (1500, 0)
    assert s.truesize == truesize - sum(member_truesize)
    for m in members:
        assert m.data_offset == 44 and m.network_header == 44 and m.transport_header == 64
        assert m.ip_summed == CHECKSUM_NONE
        assert ip.ipcb(m).flags == ip.IPSKB_FRAG_COMPLETE
        check(m)
    assert [m.truesize for m in members] == member_truesize
    free_all(segs)


def test_fast_path_keeps_the_head_page_frags():
    data = datagram(3000)
    s = paged(skb, data[:1500], 500, chunk=500)        # 500 linear + 500 + 500 in frags
    s.frag_list_append(member(skb, data[1500:2980]))
    s.frag_list_append(member(skb, data[2980:]))
    segs = ip.fragment(s, 1500)
    assert segs[0] is s and (s.len, s.data_len, s.nr_frags) == (1500, 1000, 2)
    assert [g.to_bytes() for g in segs] == fragments_of(data, [1480, 1480])
    free_all(segs)


@pytest.mark.parametrize("why, build", [
    ("first payload not a multiple of 8", lambda d: fast_packet(d, first=1499, sizes=[1481])),
    ("first fragment too big", lambda d: fast_packet(d, first=1508, sizes=[1472])),
    ("member too big", lambda d: fast_packet(d, sizes=[1488])),
    ("member not a multiple of 8", lambda d: fast_packet(d, sizes=[1479, 1481])),
    ("member headroom below hlen + ll_rs", lambda d: fast_packet(d, headroom=35)),
])
def test_fast_path_geometry_violations_take_the_slow_path(why, build):
    data = datagram(4400)
    s, members = build(data)
    segs = ip.fragment(s, 1500)
    assert segs[0] is not s and type(s) is FreedSkBuff, why
    assert [g.to_bytes() for g in segs] == fragments_of(data, [1480, 1480])
    free_all(segs)


def test_fast_path_member_headroom_exactly_hlen_plus_ll_rs_is_enough():
    data = datagram(4400)
    s, members = fast_packet(data, headroom=36)
    segs = ip.fragment(s, 1500)
    assert list(segs) == [s, *members] and members[0].headroom == 16
    free_all(segs)


@pytest.mark.parametrize("why", ["cloned head", "head headroom", "already a fragment",
                                 "shared member", "member head shared with a clone"])
def test_fast_path_sharing_and_state_violations_take_the_slow_path(why):
    data = datagram(4400)
    keep = []
    if why == "head headroom":
        s = fraglist(skb, data, 1500, [1480], head_headroom=15)
    elif why == "already a fragment":
        frag = bytearray(data)
        struct.pack_into("!H", frag, 6, 0x2000)        # MF: a first fragment
        struct.pack_into("!H", frag, 10, 0)
        struct.pack_into("!H", frag, 10, 0xFFFF - ones(bytes(frag[:20])))
        data = bytes(frag)
        s = fraglist(skb, data, 1500, [1480])
    else:
        s = fraglist(skb, data, 1500, [1480])
    if why == "cloned head":
        keep.append(s.clone())
    elif why == "shared member":
        keep.append(s.frag_list[1].get())
    elif why == "member head shared with a clone":
        keep.append(s.frag_list[0].clone())
    members = s.frag_list
    segs = ip.fragment(s, 1500)
    assert segs[0] is not s and all(m not in list(segs) for m in members)
    if why == "already a fragment":       # a first fragment: every piece keeps MF
        assert [(p.frag, int(p.flags), p.len) for p in dissect(segs)] == \
            [(0, MF, 1500), (185, MF, 1500), (370, MF, 1460)]
        assert payloads(segs) == data[20:]
    else:
        assert [g.to_bytes() for g in segs] == fragments_of(data, [1480, 1480])
    free_all(segs)
    free_all(keep)


# ---------------------------------------------------------------- options

RR = bytes([7, 7, 4, 0, 0, 0, 0])                 # record route: copy bit clear
RA = bytes([0x94, 4, 0, 0])                       # router alert: copied
TS = bytes([68, 8, 5, 0, 0, 0, 0, 0])             # timestamp: copy bit clear
OPTIONS = RR + RA + TS + b"\0"                    # 20 bytes, ends with END
FIXED = b"\1" * 7 + RA + b"\1" * 8 + b"\0"


@pytest.mark.parametrize("path", ["slow", "fast"])
def test_options_without_copy_bit_only_in_the_first_fragment(path):
    data = with_options(datagram(3000), OPTIONS)      # 40-byte header
    if path == "slow":
        s = linear(skb, data)
    else:
        s = fraglist(skb, data, 40 + 1456, [1456])
    segs = ip.fragment(s, 1496)
    assert (segs[0] is s) == (path == "fast")
    frames = [g.to_bytes() for g in segs]
    assert [f[20:40] for f in frames] == [OPTIONS, FIXED, FIXED]
    assert all(header_ok(f[:40]) for f in frames)
    assert [IP(f).ihl for f in frames] == [10, 10, 10]
    assert [IP(f).frag for f in frames] == [0, 182, 364]
    assert b"".join(f[40:] for f in frames) == data[40:]
    free_all(segs)


def test_option_walk_stops_at_a_bad_length():
    bad = bytes([7, 30, 4, 0]) + TS[:4] + RA + bytes(4)     # RR claims 30 of 16 bytes
    data = with_options(datagram(2000), bad)
    segs = ip.fragment(linear(skb, data), 1000)
    assert {g.to_bytes()[20:36] for g in segs} == {bad}
    free_all(segs)


def test_option_walk_stops_at_end():
    opts = bytes([0x94, 4, 0, 0, 0]) + RR[:3]               # END, then stale bytes
    data = with_options(datagram(2000), opts)
    segs = ip.fragment(linear(skb, data), 1000)
    assert {g.to_bytes()[20:28] for g in segs} == {opts}
    free_all(segs)


# ---------------------------------------------------------------- checksums

def test_partial_checksum_is_finished_before_cutting():
    data = bytearray(datagram(3000))
    pseudo = ones(data[12:20] + struct.pack("!BBH", 0, 17, 3000))
    struct.pack_into("!H", data, 26, pseudo)          # what the UDP stack leaves
    s = linear(skb, bytes(data))
    s.ip_summed = CHECKSUM_PARTIAL
    s.csum_start = s.data_offset + 20
    s.csum_offset = 6
    segs = ip.fragment(s, 1500)
    udp = payloads(segs)
    assert ones(bytes(data[12:20]) + struct.pack("!BBH", 0, 17, len(udp)) + udp) == 0xFFFF
    assert UDP(udp).chksum == UDP(datagram(3000)[20:]).chksum
    free_all(segs)


def test_partial_checksum_outside_the_linear_data_is_refused():
    s = linear(skb, datagram(3000))
    s.ip_summed = CHECKSUM_PARTIAL
    s.csum_start = s.data_offset + 3016     # the field would end at 3024, past 3020
    s.csum_offset = 6
    with pytest.raises(skb.SkbBug, match="csum"):
        ip.fragment(s, 1500)
    assert type(s) is SkBuff and s.len == 3020
    s.kfree()


# ---------------------------------------------------------------- refusals

def _refused(s, mtu=1500, ll_rs=16, exc=ValueError):
    data, length = s.to_bytes(), s.len
    with pytest.raises(exc):
        ip.fragment(s, mtu, ll_rs)
    assert type(s) is SkBuff and s.to_bytes() == data and s.len == length
    s.kfree()


def test_data_not_at_the_network_header_is_refused():
    s = linear(skb, bytes(14) + datagram(3000))
    s.set_network_header(14)
    _refused(s)


@pytest.mark.parametrize("mutate", ["version 6", "ihl 4", "header past the linear part"])
def test_not_an_ipv4_header_is_refused(mutate):
    data = bytearray(datagram(3000))
    if mutate == "version 6":
        data[0] = 0x65
        s = linear(skb, bytes(data))
    elif mutate == "ihl 4":
        data[0] = 0x44
        s = linear(skb, bytes(data))
    else:
        data[0] = 0x46
        s = paged(skb, bytes(data), 20)
    _refused(s)


def test_gso_and_oversized_packets_are_refused():
    s = linear(skb, datagram(3000))
    s.gso_size = 1000
    _refused(s)
    _refused(paged(skb, datagram(3000) + bytes(62516), 100, chunk=4096))   # 65536 bytes


@pytest.mark.parametrize("mtu, ll_rs", [(67, 16), (0, 16), (1500, 65536)])
def test_mtu_and_ll_rs_out_of_range_are_refused(mtu, ll_rs):
    _refused(linear(skb, datagram(3000)), mtu, ll_rs)


def test_the_smallest_mtu_leaves_room_for_the_largest_header():
    data = with_options(datagram(100), bytes([1]) * 40)   # 60-byte header
    segs = ip.fragment(linear(skb, data), 68)
    assert [p.len for p in dissect(segs)] == [68] * 12 + [68 - 4]
    free_all(segs)


def test_frag_max_size_below_the_header_is_refused():
    s = linear(skb, datagram(3000))
    set_ipcb(s, frag_max_size=27)
    _refused(s)


def test_a_frag_list_member_taken_with_get_is_refused():
    s = fraglist(skb, datagram(3000), 1500, [1480])
    m = s.frag_list[0].get()
    with pytest.raises(skb.SkbBug, match="member"):
        ip.fragment(m, 1000)
    m.kfree()
    s.kfree()


def test_a_borrowed_or_freed_handle_is_refused():
    s = fraglist(skb, datagram(3000), 1500, [1480])
    with pytest.raises(skb.SkbBug, match="no reference"):
        ip.fragment(s.frag_list[0], 1000)
    s.kfree()
    with pytest.raises(skb.SkbUseAfterFree):
        ip.fragment(s, 1000)
    with pytest.raises(TypeError):
        ip.fragment(b"not an skb", 1000)


# ---------------------------------------------------------------- -ENOMEM

def test_allocation_failure_consumes_the_packet_and_leaks_nothing():
    """Three fragments (an skb and a head each), then the list for Python:
    each of the seven allocations fails in turn, the eighth is not made."""
    outcomes = []
    for n in range(1, 9):
        s = linear(skb, datagram(4000))
        with fail_nth_alloc(n):
            try:
                segs = ip.fragment(s, 1500)
            except MemoryError:
                outcomes.append("ENOMEM")
                assert type(s) is FreedSkBuff
                continue
        outcomes.append(len(segs))
        free_all(segs)
    assert outcomes == ["ENOMEM"] * 7 + [3]


def test_allocation_failure_while_finishing_the_checksum():
    data = bytearray(datagram(3000))
    s = linear(skb, bytes(data))
    keep = s.clone()                    # skb_checksum_help must unclone the head
    s.ip_summed = CHECKSUM_PARTIAL
    s.csum_start = s.data_offset + 20
    s.csum_offset = 6
    with fail_nth_alloc(1), pytest.raises(MemoryError):
        ip.fragment(s, 1500)
    assert type(s) is FreedSkBuff and keep.to_bytes() == bytes(data)
    keep.kfree()


# ---------------------------------------------------------------- properties

@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 7000), mtu=st.integers(68, 3000),
       layout=st.sampled_from(["linear", "paged", "frag_list"]), seed=st.integers(0, 255))
def test_fragments_are_the_datagram_cut_at_mtu(size, mtu, layout, seed):
    data = datagram(size, udp=False, seed=seed)
    if layout == "linear":
        s = linear(skb, data)
    elif layout == "paged":
        s = paged(skb, data, 20, chunk=997)
    else:
        s = fraglist(skb, data, min(len(data), 320), [700, 1300])
    segs = ip.fragment(s, mtu)
    if len(data) <= mtu:
        assert list(segs) == [s]
    else:
        sizes, left = [], size
        while left > mtu - 20:              # all but the last: a multiple of 8
            sizes.append((mtu - 20) // 8 * 8)
            left -= sizes[-1]
        assert [g.to_bytes() for g in segs] == fragments_of(data, sizes)
        assert [g.to_bytes() for g in segs] == \
            [bytes(p) for p in scapy_fragment(IP(data), fragsize=mtu - 20)]
    free_all(segs)
