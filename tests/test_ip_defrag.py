"""skb.ip.DefragQueue: IPv4 reassembly (ip_rcv_core's checks, then
ip_defrag) into one skb whose frag_list holds the later fragments.

Fragments arrive as a driver leaves them: an Ethernet header at the mac
header, pulled, data at IPv4, NET_SKB_PAD of headroom before the frame."""

from __future__ import annotations

import itertools
import random
import struct

import pytest
from hypothesis import given, settings, strategies as st
from scapy.layers.inet import IP, UDP, fragment as scapy_fragment

import skb
from skb import (CHECKSUM_COMPLETE, CHECKSUM_NONE, CHECKSUM_UNNECESSARY, Drop, DropReason,
                 FreedSkBuff, SkBuff, csum, ip)
from skb.testing import check, fail_nth_alloc

from iphelp import (DST, SRC, datagram, fragment_bytes, fragments_of, free_all, header_ok,
                    hexfile, linear, member, ones, pcap, received)

ETH = bytes.fromhex("020000000002" "020000000001" "0800")
TRUESIZE = 2304          # alloc_skb(64 + frame) for frames of up to 1664 bytes
ORDERS_3 = list(itertools.permutations(range(3)))


def rx(ipbytes: bytes, lib=skb):
    return received(lib, ETH + ipbytes)


def feed(q, frames, now=0.0, order=None):
    order = range(len(frames)) if order is None else order
    return [q.defrag(rx(frames[i]), now) for i in order]


def counts():
    return dict(skb.drop_counts())


def delta(before: dict) -> dict:
    after = counts()
    return {r: after.get(r, 0) - before.get(r, 0) for r in after if after[r] != before.get(r, 0)}


def header_of(frame: bytes) -> bytes:
    return frame[:(frame[0] & 0x0F) * 4]


DATA = datagram(4000)                                  # 4020 bytes
FRAGS = fragments_of(DATA, [1480, 1480])               # payloads 1480, 1480, 1040


# ---------------------------------------------------------------- the datagram

@pytest.mark.parametrize("order", ORDERS_3, ids=str)
def test_any_order_gives_the_datagram_on_frag_list(order):
    with ip.DefragQueue() as q:
        handles = [rx(FRAGS[i]) for i in order]
        verdicts = [q.defrag(h, 1.0) for h in handles]
        assert verdicts[:2] == [None, None]
        d = verdicts[2]
        assert d is handles[2] and type(d) is SkBuff          # the last one is the head
        assert all(type(h) is FreedSkBuff for h in handles[:2])  # queued: moved
        assert d.to_bytes() == DATA
        assert (d.len, d.data_len, d.headlen) == (4020, 2520, 1500)
        assert [m.len for m in d.frag_list] == [1480, 1040]
        assert (d.mac_offset, d.network_offset, d.transport_offset) == (-14, 0, 20)
        assert d.data_offset == 78 and d.copy_bits(-14, 14) == ETH
        for m, frame in zip(d.frag_list, FRAGS[1:]):
            assert m.data_offset == 98                    # 64 + 14 + 20 pulled
            assert m.copy_bits(-20, 20) == header_of(frame)   # old header in headroom
            assert m.copy_bits(-34, 14) == ETH
        assert ip.ipcb(d) == ip.IPCB(0, 1500)
        assert d.truesize == 3 * TRUESIZE
        check(d)
        assert q.stats == ip.DefragStats(3, 1, 0, 0, 0)
        assert (q.mem, q.queues) == (0, 0)
        d.kfree()


def test_memory_is_the_fragments_truesize_plus_the_queue():
    with ip.DefragQueue() as q:
        assert q.defrag(rx(FRAGS[1]), 0) is None
        assert (q.mem, q.queues) == (ip.IPQ_SIZE + TRUESIZE, 1)
        assert q.defrag(rx(FRAGS[0]), 0) is None
        assert q.mem == ip.IPQ_SIZE + 2 * TRUESIZE
        other = fragments_of(datagram(3000, ident=9), [1480])
        assert q.defrag(rx(other[0]), 0) is None
        assert (q.mem, q.queues) == (2 * ip.IPQ_SIZE + 3 * TRUESIZE, 2)
        q.defrag(rx(FRAGS[2]), 0).kfree()
        assert (q.mem, q.queues) == (ip.IPQ_SIZE + TRUESIZE, 1)


def test_a_packet_that_is_no_fragment_comes_back_as_it_is():
    with ip.DefragQueue() as q:
        s = rx(DATA + bytes(10))                     # with link-layer padding
        s.cb = bytes(range(48))
        assert q.defrag(s, 0) is s
        assert s.to_bytes() == DATA                  # trimmed to its total length
        assert s.transport_offset == 20
        assert s.cb[:24] == bytes(24) and s.cb[24:] == bytes(range(24, 48))
        assert q.stats.reasm_reqds == 0
        s.kfree()


def test_refragmenting_the_datagram_gives_back_the_fragments_without_copying():
    with ip.DefragQueue() as q:
        d = feed(q, FRAGS, order=[2, 0, 1])[-1]
        members = d.frag_list
        segs = ip.fragment(d, 1500)
        assert list(segs) == [d, *members]
        assert [g.to_bytes() for g in segs] == FRAGS
        free_all(segs)


def test_scapy_fragments_reassemble_to_the_original():
    pkt = IP(src=SRC, dst=DST, id=3) / UDP(sport=1, dport=2) / (b"z" * 5000)
    frames = [bytes(p) for p in scapy_fragment(pkt, fragsize=1000)]
    for order in ([*range(len(frames))], [*reversed(range(len(frames)))], [3, 1, 5, 0, 2, 4]):
        with ip.DefragQueue() as q:
            out = feed(q, frames, order=order)
            assert out[:-1] == [None] * (len(frames) - 1)
            assert out[-1].to_bytes() == bytes(pkt)
            out[-1].kfree()


def test_our_fragments_reassemble_here():
    data = datagram(9000, ident=5)
    segs = ip.fragment(linear(skb, data), 1400)
    frames = [g.to_bytes() for g in segs]
    free_all(segs)
    with ip.DefragQueue() as q:
        out = feed(q, frames, order=random.Random(1).sample(range(len(frames)), len(frames)))
        assert out[-1].to_bytes() == data
        out[-1].kfree()


# ---------------------------------------------------------------- header rules

def frames_with(df=(False, False, False), tos=(0, 0, 0), data=DATA):
    hdr = bytearray(data[:20])
    out, at = [], 0
    for i, n in enumerate([1480, 1480, 1040]):
        h = bytearray(hdr)
        h[1] = tos[i]
        out.append(fragment_bytes(h, at, data[20 + at:20 + at + n], more=i < 2,
                                  flags=0x4000 if df[i] else 0))
        at += n
    return out


@pytest.mark.parametrize("df, want", [
    ((True, True, True), 0x4000),
    ((False, False, True), 0),           # only the small last fragment had DF
    ((True, False, False), 0x4000),      # the largest size seen with DF: 1500
    ((False, True, False), 0x4000),
])
def test_df_is_set_when_the_largest_fragment_had_it(df, want):
    with ip.DefragQueue() as q:
        d = feed(q, frames_with(df=df))[-1]
        hdr = d.to_bytes()[:20]
        assert struct.unpack_from("!H", hdr, 6)[0] == want and header_ok(hdr)
        assert ip.ipcb(d) == ip.IPCB(ip.IPSKB_FRAG_PMTU if want else 0, 1500)
        d.kfree()


def test_a_df_datagram_refragments_only_with_ignore_df():
    with ip.DefragQueue() as q:
        d = feed(q, frames_with(df=(True, True, True)))[-1]
        d2 = d.get()
        assert ip.fragment(d, 1500) == ip.FragNeeded(1500)
        segs = ip.fragment(d2, 1500, ignore_df=True)        # the fast path: DF dropped
        assert list(segs)[0] is d2
        assert [g.to_bytes() for g in segs] == frames_with()
        free_all(segs)


@pytest.mark.parametrize("tos, want", [
    ((2, 2, 2), 2), ((1, 1, 1), 1), ((2, 3, 2), 3), ((1, 2, 3), 3), ((3, 3, 3), 3),
    ((0, 0, 0), 0), ((0x12, 0x12, 0x13), 0x13)])
def test_ecn_of_the_fragments_is_combined(tos, want):
    with ip.DefragQueue() as q:
        d = feed(q, frames_with(tos=tos))[-1]
        hdr = d.to_bytes()[:20]
        assert hdr[1] == want and header_ok(hdr)
        d.kfree()


@pytest.mark.parametrize("tos", [(0, 3, 0), (2, 0, 2), (1, 0, 0)])
def test_not_ect_mixed_with_ect_drops_the_datagram(tos):
    with ip.DefragQueue() as q:
        before = counts()
        out = feed(q, frames_with(tos=tos))
        assert out == [None, None, Drop(DropReason.CONSUMED)]
        assert delta(before) == {DropReason.CONSUMED: 3}
        assert q.stats == ip.DefragStats(3, 0, 1, 0, 0) and q.mem == 0


# ---------------------------------------------------------------- duplicates, overlaps

def piece(offset: int, n: int, more: bool = True, data=DATA) -> bytes:
    """A fragment of n bytes at offset: DATA's bytes, zeros past its end."""
    payload = data[20 + offset:20 + offset + n]
    return fragment_bytes(data[:20], offset, payload + bytes(n - len(payload)), more=more)


def test_an_exact_duplicate_is_dropped_alone():
    with ip.DefragQueue() as q:
        before = counts()
        out = feed(q, [FRAGS[0], FRAGS[1], FRAGS[1], FRAGS[0], FRAGS[2]])
        assert out[:4] == [None, None, Drop(DropReason.DUP_FRAG), Drop(DropReason.DUP_FRAG)]
        assert out[4].to_bytes() == DATA
        # the completing fragment is morphed onto fragment 0, whose struct goes
        assert delta(before) == {DropReason.DUP_FRAG: 2, DropReason.CONSUMED: 1}
        out[4].kfree()


def test_a_fragment_inside_a_run_of_adjacent_fragments_is_a_duplicate():
    """Fragments that arrived back to back form a run; anything inside the
    run is a duplicate, even across the fragments' boundary."""
    with ip.DefragQueue() as q:
        out = feed(q, [FRAGS[0], FRAGS[1], piece(736, 1480), FRAGS[2]])
        assert out[:3] == [None, None, Drop(DropReason.DUP_FRAG)]
        assert out[3].to_bytes() == DATA
        out[3].kfree()


def test_the_same_fragment_across_two_runs_is_an_overlap():
    """Arrived in the other order the two fragments are separate runs, and
    the straddling fragment kills the datagram."""
    with ip.DefragQueue() as q:
        before = counts()
        out = feed(q, [FRAGS[1], FRAGS[0], piece(736, 1480), FRAGS[2]])
        assert out == [None, None, Drop(DropReason.NOT_SPECIFIED), None]
        assert delta(before) == {DropReason.NOT_SPECIFIED: 1, DropReason.CONSUMED: 2}
        assert q.stats == ip.DefragStats(4, 0, 1, 0, 1)
        assert (q.queues, q.mem) == (1, ip.IPQ_SIZE + TRUESIZE)     # FRAGS[2] starts over


@pytest.mark.parametrize("extra", [piece(2952, 16), piece(1472, 1496), piece(2952, 1048, False)])
def test_an_overlap_with_the_tail_drops_the_datagram(extra):
    with ip.DefragQueue() as q:
        before = counts()
        out = feed(q, [FRAGS[0], FRAGS[1], extra])
        assert out == [None, None, Drop(DropReason.NOT_SPECIFIED)]
        assert delta(before) == {DropReason.NOT_SPECIFIED: 1, DropReason.CONSUMED: 2}
        assert q.stats == ip.DefragStats(3, 0, 1, 0, 1)
        assert (q.queues, q.mem) == (0, 0)


# ---------------------------------------------------------------- lengths

def test_two_different_last_fragments_drop_the_datagram():
    with ip.DefragQueue() as q:
        out = feed(q, [FRAGS[2], piece(2960, 1032, more=False)])
        assert out == [None, Drop(DropReason.NOT_SPECIFIED)]
        assert q.stats == ip.DefragStats(2, 0, 1, 0, 0) and q.queues == 0


@pytest.mark.parametrize("frames", [
    [FRAGS[2], piece(2960, 1048)],            # MF past the end the last fragment set
    [piece(2960, 1048), FRAGS[2]],            # the last fragment ends before bytes seen
], ids=["after", "before"])
def test_bytes_past_the_last_fragment_drop_the_datagram(frames):
    with ip.DefragQueue() as q:
        assert feed(q, frames) == [None, Drop(DropReason.NOT_SPECIFIED)]
        assert q.stats == ip.DefragStats(2, 0, 1, 0, 0) and q.queues == 0


def test_a_non_last_fragment_is_cut_to_a_multiple_of_8():
    with ip.DefragQueue() as q:
        s = rx(piece(0, 1483))
        s.ip_summed = CHECKSUM_UNNECESSARY
        t = rx(piece(1480, 1485))
        t.ip_summed = CHECKSUM_COMPLETE
        assert q.defrag(s, 0) is None and q.defrag(t, 0) is None
        d = q.defrag(rx(FRAGS[2]), 0)
        assert d.to_bytes() == DATA
        assert [m.len for m in d.frag_list] == [1480, 1040]
        assert d.ip_summed == CHECKSUM_NONE       # t became NONE, s stayed UNNECESSARY
        d.kfree()


@pytest.mark.parametrize("n", [0, 7])
def test_an_empty_fragment_drops_the_datagram(n):
    with ip.DefragQueue() as q:
        out = feed(q, [FRAGS[1], piece(0, n)])
        assert out == [None, Drop(DropReason.NOT_SPECIFIED)] and q.queues == 0


def test_a_datagram_past_65535_bytes_is_dropped_when_complete():
    payload = bytes(65608)                         # 65628 bytes with the header
    hdr = DATA[:20]
    frames = [fragment_bytes(hdr, at, payload[at:at + 1480], more=at + 1480 < len(payload))
              for at in range(0, len(payload), 1480)]
    with ip.DefragQueue() as q:
        before = counts()
        out = feed(q, frames)
        assert out == [None] * (len(frames) - 1) + [Drop(DropReason.CONSUMED)]
        # every fragment, and the clone that took the completing one's place
        assert delta(before) == {DropReason.CONSUMED: len(frames) + 1}
        assert q.stats == ip.DefragStats(len(frames), 0, 1, 0, 0)
        assert (q.queues, q.mem) == (0, 0)


# ---------------------------------------------------------------- time

def test_a_datagram_times_out_from_its_first_fragment():
    with ip.DefragQueue() as q:
        assert q.defrag(rx(FRAGS[0]), 0) is None
        assert q.defrag(rx(FRAGS[2]), 20) is None          # does not extend the timer
        assert q.expire(29.999) == []
        before = counts()
        assert q.expire(30) == [ip.Expired(SRC, DST, 0x1234, 17, True)]
        assert delta(before) == {DropReason.FRAG_REASM_TIMEOUT: 2}
        assert q.stats == ip.DefragStats(2, 0, 1, 1, 0)
        assert (q.queues, q.mem) == (0, 0)


def test_without_the_first_fragment_no_time_exceeded_is_sent():
    with ip.DefragQueue(timeout=5) as q:
        q.defrag(rx(FRAGS[1]), 100)
        assert q.expire(104.5) == []
        assert q.expire(105) == [ip.Expired(SRC, DST, 0x1234, 17, False)]


def test_defrag_runs_due_timers_first():
    with ip.DefragQueue() as q:
        q.defrag(rx(FRAGS[0]), 0)
        q.defrag(rx(FRAGS[1]), 0)
        before = counts()
        assert q.defrag(rx(FRAGS[2]), 30) is None          # a new datagram
        assert delta(before) == {DropReason.FRAG_REASM_TIMEOUT: 2}
        assert q.stats.reasm_timeout == 1 and q.queues == 1


def test_a_new_timeout_applies_to_new_datagrams():
    with ip.DefragQueue() as q:
        q.defrag(rx(FRAGS[0]), 0)
        q.timeout = 10
        assert q.timeout == 10
        other = fragments_of(datagram(3000, ident=99), [1480])
        q.defrag(rx(other[0]), 1)
        assert [e.id for e in q.expire(11)] == [99]
        assert [e.id for e in q.expire(30)] == [0x1234]


def test_closing_frees_what_is_pending_as_timed_out():
    q = ip.DefragQueue()
    q.defrag(rx(FRAGS[0]), 0)
    q.defrag(rx(fragments_of(datagram(2000, ident=2), [1480])[1]), 0)
    before = counts()
    q.close()
    assert delta(before) == {DropReason.FRAG_REASM_TIMEOUT: 2}
    q.close()
    s = rx(FRAGS[0])
    with pytest.raises(ValueError, match="closed"):
        q.defrag(s, 0)
    s.kfree()
    with pytest.raises(ValueError, match="closed"):
        _ = q.mem
    assert repr(q) == "<DefragQueue closed>"


def test_a_queue_collected_with_datagrams_pending_frees_them_and_warns():
    q = ip.DefragQueue()
    q.defrag(rx(FRAGS[0]), 0)
    before = counts()
    with pytest.warns(skb.SkbLeakWarning, match="1 datagram"):
        del q
    assert delta(before) == {DropReason.FRAG_REASM_TIMEOUT: 1}


def test_the_clock_may_not_go_backwards():
    with ip.DefragQueue() as q:
        q.defrag(rx(FRAGS[0]), 10)
        s = rx(FRAGS[1])
        with pytest.raises(ValueError, match="backwards"):
            q.defrag(s, 9.5)
        assert type(s) is SkBuff
        with pytest.raises(ValueError, match="backwards"):
            q.expire(9)
        assert q.defrag(s, 10) is None


@pytest.mark.parametrize("now", [-1, -0.5, float("nan"), float("inf")])
def test_a_bad_clock_value_is_refused(now):
    with ip.DefragQueue() as q:
        s = rx(FRAGS[0])
        with pytest.raises(ValueError):
            q.defrag(s, now)
        s.kfree()


# ---------------------------------------------------------------- limits

def test_over_high_thresh_every_fragment_is_refused_until_timers_free_memory():
    with ip.DefragQueue(high_thresh=5000, low_thresh=0) as q:
        assert q.defrag(rx(FRAGS[0]), 0) is None              # 2504
        other = fragments_of(datagram(3000, ident=7), [1480])
        assert q.defrag(rx(other[0]), 1) is None              # 5008: over, after the fact
        assert q.mem == 2 * (ip.IPQ_SIZE + TRUESIZE)
        before = counts()
        assert q.defrag(rx(FRAGS[1]), 2) == Drop(DropReason.NOT_SPECIFIED)   # existing queue
        assert delta(before) == {DropReason.NOT_SPECIFIED: 1}
        assert q.stats.reasm_fails == 1
        assert len(q.expire(30)) == 1 and q.mem == ip.IPQ_SIZE + TRUESIZE
        assert q.defrag(rx(FRAGS[1]), 30) is None


def test_high_thresh_zero_refuses_everything():
    with ip.DefragQueue(high_thresh=0, low_thresh=0) as q:
        assert q.defrag(rx(FRAGS[0]), 0) == Drop(DropReason.NOT_SPECIFIED)
        s = rx(DATA)
        assert q.defrag(s, 0) is s                   # a whole packet needs no queue
        s.kfree()


def test_low_thresh_is_checked_but_changes_nothing():
    with pytest.raises(ValueError):
        ip.DefragQueue(high_thresh=100, low_thresh=101)
    with ip.DefragQueue(high_thresh=5000, low_thresh=5000) as q:
        assert (q.high_thresh, q.low_thresh, q.max_dist) == (5000, 5000, 64)
        with pytest.raises(ValueError):
            q.high_thresh = 4999
        with pytest.raises(ValueError):
            q.low_thresh = 5001
        q.low_thresh = 0
        feed(q, [FRAGS[0], fragments_of(datagram(3000, ident=7), [1480])[0]])
        assert q.defrag(rx(FRAGS[1]), 0) == Drop(DropReason.NOT_SPECIFIED)


def test_defaults_are_the_kernels():
    with ip.DefragQueue() as q:
        assert (q.high_thresh, q.low_thresh, q.timeout, q.max_dist) == \
            (4 << 20, 3 << 20, 30.0, 64)
        assert repr(q) == "<DefragQueue queues=0 mem=0>"


# ---------------------------------------------------------------- max_dist

def other_datagrams(n: int, src: str = SRC) -> list[bytes]:
    out = []
    for i in range(n):
        d = bytearray(datagram(2000, ident=1000 + i))
        d[12:16] = bytes(map(int, src.split(".")))
        struct.pack_into("!H", d, 10, 0)
        struct.pack_into("!H", d, 10, 0xFFFF - ones(bytes(d[:20])))
        out.append(fragments_of(bytes(d), [1480])[0])
    return out


@pytest.mark.parametrize("others, too_far", [(2, False), (3, True), (10, True)])
def test_a_datagram_left_behind_by_max_dist_fragments_starts_over(others, too_far):
    with ip.DefragQueue(max_dist=3) as q:
        q.defrag(rx(FRAGS[0]), 0)
        feed(q, other_datagrams(others))
        before = counts()
        assert q.defrag(rx(FRAGS[1]), 0) is None
        if too_far:
            assert delta(before) == {DropReason.FRAG_TOO_FAR: 1}
            assert q.stats.reasm_fails == 1
            d = feed(q, [FRAGS[0], FRAGS[2]])[-1]       # the datagram can still complete
        else:
            assert delta(before) == {}
            d = q.defrag(rx(FRAGS[2]), 0)
        assert d.to_bytes() == DATA
        d.kfree()


def test_other_sources_and_max_dist_zero_do_not_count():
    for max_dist, src in ((3, "203.0.113.9"), (0, SRC)):
        with ip.DefragQueue(max_dist=max_dist) as q:
            q.defrag(rx(FRAGS[0]), 0)
            feed(q, other_datagrams(20, src))
            q.defrag(rx(FRAGS[1]), 0)
            d = q.defrag(rx(FRAGS[2]), 0)
            assert d.to_bytes() == DATA and q.stats.reasm_fails == 0
            d.kfree()


# ---------------------------------------------------------------- ip_rcv_core

def corrupt(frame: bytes, at: int, value: bytes, fix: bool = True) -> bytes:
    f = bytearray(frame)
    f[at:at + len(value)] = value
    if fix:
        struct.pack_into("!H", f, 10, 0)
        struct.pack_into("!H", f, 10, 0xFFFF - ones(bytes(f[:(f[0] & 15) * 4])))
    return bytes(f)


@pytest.mark.parametrize("frame, reason", [
    (corrupt(FRAGS[0], 0, b"\x65"), DropReason.IP_INHDR),            # version 6
    (corrupt(FRAGS[0], 0, b"\x44"), DropReason.IP_INHDR),            # ihl 4
    (corrupt(FRAGS[0], 0, b"\x4f", fix=False), DropReason.IP_CSUM),  # summed over 60 bytes
    (FRAGS[0][:19], DropReason.IP_INHDR),                            # no whole header
    (corrupt(FRAGS[0], 10, b"\0\0", fix=False), DropReason.IP_CSUM),
    (corrupt(FRAGS[0], 2, struct.pack("!H", 1501)), DropReason.PKT_TOO_SMALL),
    (corrupt(FRAGS[0], 2, struct.pack("!H", 19)), DropReason.IP_INHDR),
])
def test_ip_rcv_core_drops_bad_headers(frame, reason):
    with ip.DefragQueue() as q:
        before = counts()
        s = rx(frame)
        assert q.defrag(s, 0) == Drop(reason)
        assert type(s) is FreedSkBuff
        assert delta(before) == {reason: 1}
        assert q.stats.reasm_reqds == 0


def test_packets_for_other_hosts_are_dropped():
    with ip.DefragQueue() as q:
        s = rx(FRAGS[0])
        s.pkt_type = 3
        assert q.defrag(s, 0) == Drop(DropReason.OTHERHOST)


def test_padding_is_trimmed_and_a_complete_checksum_kept_right():
    with ip.DefragQueue() as q:
        skbs = []
        for frame in FRAGS:
            s = rx(frame + b"\xAA" * 7)
            s.ip_summed = CHECKSUM_COMPLETE
            s.csum = s.checksum(0, s.len)
            skbs.append(s)
        d = [q.defrag(s, 0) for s in skbs][-1]
        assert d.to_bytes() == DATA and d.ip_summed == CHECKSUM_COMPLETE
        assert csum.csum_fold(d.csum) == csum.csum_fold(d.checksum(0, d.len))
        d.kfree()


def test_the_network_header_may_follow_data():
    with ip.DefragQueue() as q:
        out = []
        for frame in FRAGS:
            s = received(skb, ETH + frame, l2=0)     # data still at the mac header
            s.set_network_header(14)
            out.append(q.defrag(s, 0))
        d = out[-1]
        assert d.to_bytes() == DATA and d.network_offset == 0
        d.kfree()
        s = linear(skb, bytes(14) + FRAGS[0])
        s.set_network_header(14)
        s.pull(20)                                   # data after the network header
        with pytest.raises(ValueError, match="before data"):
            q.defrag(s, 0)
        s.kfree()


# ---------------------------------------------------------------- ownership

def test_a_shared_fragment_is_replaced_by_a_clone():
    with ip.DefragQueue() as q:
        s = rx(FRAGS[0])
        s.get()
        assert q.defrag(s, 0) is None
        assert type(s) is SkBuff and s.users == 1      # one reference went to the queue
        t = rx(FRAGS[2])
        t.get()
        q.defrag(rx(FRAGS[1]), 0)
        d = q.defrag(t, 0)
        assert d is not t and d.to_bytes() == DATA
        assert t.to_bytes() == FRAGS[2]                # untouched
        free_all([d, t, s])


def test_a_fragment_a_clone_still_reads_is_unshared():
    with ip.DefragQueue() as q:
        s = rx(FRAGS[0])
        c = s.clone()
        q.defrag(s, 0)
        q.defrag(rx(FRAGS[1]), 0)
        d = q.defrag(rx(FRAGS[2]), 0)
        assert d.to_bytes() == DATA and not d.is_cloned()
        assert c.to_bytes() == FRAGS[0]
        check(d)
        free_all([d, c])


def test_a_borrowed_or_freed_fragment_is_refused():
    with ip.DefragQueue() as q:
        s = linear(skb, FRAGS[0])
        s.frag_list_append(member(skb, b"x" * 8))
        with pytest.raises(skb.SkbBug, match="no reference"):
            q.defrag(s.frag_list[0], 0)
        s.kfree()
        with pytest.raises(skb.SkbUseAfterFree):
            q.defrag(s, 0)
        with pytest.raises(TypeError):
            q.defrag("frame", 0)


def test_a_first_fragment_with_its_own_frag_list_goes_under_a_holder():
    """inet_frag_reasm_prepare: the head's frag_list moves to an empty skb,
    the datagram's first member, so the frag_list stays one level deep."""
    with ip.DefragQueue() as q:
        s = rx(FRAGS[0][:520])                       # header + 500 bytes linear
        s.frag_list_append(member(skb, FRAGS[0][520:]))
        out = [q.defrag(s, 0), q.defrag(rx(FRAGS[1]), 0), q.defrag(rx(FRAGS[2]), 0)]
        d = out[-1]
        assert d.to_bytes() == DATA
        holder = d.frag_list[0]
        assert (holder.len, holder.headlen, len(holder.frag_list)) == (980, 0, 1)
        assert [m.len for m in d.frag_list] == [980, 1480, 1040]
        check(d)
        d.kfree()


def test_allocation_failure_while_reassembling_consumes_the_datagram():
    """The clone of the completing fragment is the only allocation."""
    with ip.DefragQueue() as q:
        feed(q, [FRAGS[0], FRAGS[2]])
        s = rx(FRAGS[1])
        with fail_nth_alloc(2):
            d = q.defrag(s, 0)
        assert d is s and d.to_bytes() == DATA
        d.kfree()
    with ip.DefragQueue() as q:
        feed(q, [FRAGS[0], FRAGS[2]])
        s = rx(FRAGS[1])
        before = counts()
        with fail_nth_alloc(1):
            assert q.defrag(s, 0) == Drop(DropReason.CONSUMED)
        assert delta(before) == {DropReason.CONSUMED: 3}
        assert q.stats == ip.DefragStats(3, 0, 1, 0, 0) and q.mem == 0


# ---------------------------------------------------------------- vectors

FRAG_HTTP_ORDERS = {
    "in order": list(range(11)),
    "0 and 1 swapped": [1, 0, *range(2, 11)],
    "5<->9 and 2<->6": [0, 1, 6, 3, 4, 9, 2, 7, 8, 5, 10],
    "last at 5": [0, 1, 2, 3, 4, 10, 5, 6, 7, 8, 9],
    "last first": [10, *range(10)],
    "reversed": list(reversed(range(11))),
}


@pytest.mark.parametrize("order", FRAG_HTTP_ORDERS.values(), ids=FRAG_HTTP_ORDERS.keys())
def test_frag_http_req_vector(order):
    frames = pcap("frag_http_req.pcap")
    want = hexfile("frag_http_req_reassembled.hex")
    with ip.DefragQueue() as q:
        out = [q.defrag(received(skb, frames[i]), 0) for i in order]
        assert out[:-1] == [None] * 10
        d = out[-1]
        assert d.copy_bits(-14, 14) + d.to_bytes() == want      # Ethernet of fragment 0
        assert d.to_bytes()[:20].hex() == "450005dc425f00008006c79bac108536d8892151"
        assert [m.len for m in d.frag_list] == [144] * 9 + [40]
        d.kfree()


def test_frag_http_req_pending_after_six_fragments():
    frames = pcap("frag_http_req.pcap")
    with ip.DefragQueue() as q:
        truesize = 0
        for f in frames[:6]:
            s = received(skb, f)
            truesize += s.truesize
            assert q.defrag(s, 0) is None
        assert (q.queues, q.mem) == (1, ip.IPQ_SIZE + truesize)


def test_frag_with_padding_vector_has_linux_df():
    """Over 802.1Q, DF on every fragment, the offset-0 fragment last with
    Ethernet padding.  PcapPlusPlus writes frag_off 0; Linux writes DF (the
    largest fragment had it), hence another checksum: those 4 bytes differ."""
    frames = pcap("frag_with_padding.pcap")
    want = hexfile("frag_with_padding_defragmented.hex")
    with ip.DefragQueue() as q:
        out = [q.defrag(received(skb, f, l2=18), 0) for f in frames]
        d = out[-1]
        got = d.copy_bits(-18, 18) + d.to_bytes()
        assert len(got) == len(want) == 9447
        assert got[24:26] == b"\x40\x00" and want[24:26] == b"\x00\x00"
        assert got[:24] + got[26:28] + got[30:] == want[:24] + want[26:28] + want[30:]
        assert header_ok(got[18:38])
        assert ip.ipcb(d) == ip.IPCB(ip.IPSKB_FRAG_PMTU, 1500)
        d.kfree()


@pytest.mark.parametrize("order", ORDERS_3, ids=str)
def test_ipv4frag_vectors_give_a_valid_udp_datagram(order):
    frames = [hexfile(f"IPv4Frag{i}.hex") for i in (1, 2, 3)]
    with ip.DefragQueue() as q:
        d = [q.defrag(received(skb, frames[i]), 0) for i in order][-1]
        data = d.to_bytes()
        assert len(data) == 4080 and d.frag_list[-1].len == 1100
        udp = data[20:]
        assert ones(data[12:20] + struct.pack("!BBH", 0, 17, len(udp)) + udp) == 0xFFFF
        d.kfree()


def test_ip4_bad_fragment_vector_is_a_bad_header():
    (frame,) = pcap("ip4_bad_fragment.pcap")     # MPLS, then IHL 60 with 42 bytes
    with ip.DefragQueue() as q:
        assert q.defrag(received(skb, frame, l2=18), 0) == Drop(DropReason.IP_INHDR)


# ---------------------------------------------------------------- shuffles

class _Ref:
    """The kernel's rules, plainly: a queue's runs of adjacent fragments,
    its known length and flags; verdicts per fragment."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.q = None
        self.overlaps = 0

    def add(self, off: int, n: int, more: bool) -> str:
        if self.q is None:
            self.q = dict(runs=[], len=0, meat=0, first=False, last=False)
        q = self.q
        end = off + n
        if not more:
            if end < q["len"] or (q["last"] and end != q["len"]):
                return self._kill("drop")
            q["last"], q["len"] = True, end
        elif end > q["len"]:
            if q["last"]:
                return self._kill("drop")
            q["len"] = end
        if end == off:
            return self._kill("drop")
        runs = q["runs"]
        if not runs or runs[-1][1] < end:
            if runs and off < runs[-1][1]:
                self.overlaps += 1
                return self._kill("drop")
            if runs and off == runs[-1][1]:
                runs[-1][1] = end
            else:
                runs.append([off, end])
        else:
            for i, (a, b) in enumerate(runs):
                if end <= a:
                    runs.insert(i, [off, end])
                    break
                if off < b:
                    if off >= a and end <= b:
                        return "dup"
                    self.overlaps += 1
                    return self._kill("drop")
        q["meat"] += n
        q["first"] |= off == 0
        if q["first"] and q["last"] and q["meat"] == q["len"]:
            self.q = None
            return "done"
        return "queued"

    def _kill(self, verdict: str) -> str:
        self.q = None
        return verdict


@st.composite
def arrivals(draw):
    total = draw(st.integers(1, 400)) * 8 + draw(st.integers(0, 7))
    cuts = sorted(draw(st.sets(st.integers(1, (total - 1) // 8), max_size=8)) if total > 8
                  else [])
    bounds = [0, *(c * 8 for c in cuts), total]
    pieces = [(a, b - a, b != total) for a, b in zip(bounds, bounds[1:])]
    events = list(pieces)
    events += draw(st.lists(st.sampled_from(pieces), max_size=3))          # duplicates
    if len(pieces) > 1:
        for _ in range(draw(st.integers(0, 2))):                          # straddlers
            i = draw(st.integers(0, len(pieces) - 2))
            a, n, _ = pieces[i]
            start = a + draw(st.integers(0, max(0, n // 8 - 1))) * 8
            stop = min(pieces[i + 1][0] + 8 * draw(st.integers(1, 4)), (total // 8) * 8)
            if stop > start:
                events.append((start, stop - start, True))
    order = draw(st.permutations(events))
    return total, order


@settings(max_examples=80, deadline=None)
@given(arrivals())
def test_shuffled_duplicated_overlapping_fragments_follow_the_kernels_rules(case):
    total, events = case
    data = datagram(total, udp=False, seed=total % 251)
    ref = _Ref(total)
    verdict_of = {"queued": None, "dup": Drop(DropReason.DUP_FRAG),
                  "drop": Drop(DropReason.NOT_SPECIFIED)}
    with ip.DefragQueue() as q:
        for off, n, more in events:
            want = ref.add(off, n, more)
            got = q.defrag(rx(fragment_bytes(data[:20], off, data[20 + off:20 + off + n],
                                             more=more)), 0)
            if want == "done":
                assert isinstance(got, SkBuff) and got.to_bytes() == data
                check(got)
                got.kfree()
            else:
                assert got == verdict_of[want]
        assert q.stats.reasm_overlaps == ref.overlaps
        assert q.stats.reasm_reqds == sum(more or off > 0 for off, _, more in events)
        assert q.queues == (ref.q is not None)
