"""skb_segment semantics beyond the KUnit cases: what a segment shares
with its input (frags by page reference with SG, copies without), the
clone path for frag_list members, what is left of the input, the metadata
each segment inherits, the software-checksum hand-off in SKB_GSO_CB, the
SegmentList, and every error path (SkbSegmentError, SkbBug, MemoryError at
each allocation)."""

import errno
import gc
import struct

import pytest

import skb
from skb import GSO_BY_FRAGS, NETIF_F, SKB_GSO, SkbBug, SkbSegmentError, SkbUseAfterFree
from skb.testing import check, check_pages, fail_nth_alloc
from gsohelp import Layout, Member, build, fold, payload_bytes, sum16
from skbhelp import counter_delta, counter_snapshot, head_addr, truesize_of, unchanged

HDR = b"\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee"  # 14 bytes
DOFF = len(HDR)
SGCSUM = NETIF_F.SG | NETIF_F.HW_CSUM
LIVE = ("live_skbs", "live_heads", "live_pages")


def prepare(layout, mss=1000, protocol=0x88B5, seed=3, payload=None):
    """A Built input ready for skb_segment: data at the payload behind the
    14 header bytes, mac header at the header, gso_size mss."""
    if payload is None:
        payload = payload_bytes(layout.total, seed)
    b = build(HDR, payload, layout, seed)
    s = b.skb
    s.reset_mac_header()
    assert s.pull(DOFF) is not None
    s.reset_network_header()
    s.reset_transport_header()
    s.protocol = protocol
    s.gso_size = mss
    return b, payload


def seg_payload(seg):
    return seg.to_bytes()[DOFF:]


def live():
    c = skb.counters()
    return tuple(getattr(c, n) for n in LIVE)


def gso_cb(seg):
    """SKB_GSO_CB at cb[32]: (mac_offset/data_offset, encap_level, csum, csum_start)."""
    return struct.unpack_from("<iiIH", seg.cb, 32)


# ---------------------------------------------------------------- sharing

def test_sg_frags_are_page_references_not_copies():
    layout = Layout(head=500, frags=(1500, 700, 2300))
    b, payload = prepare(layout)
    s = b.skb
    p0, p1, p2 = b.pages
    assert [p.refcount for p in b.pages] == [2, 2, 2]   # our ref + the input's frag
    f0, f1, f2 = s.frags
    segs = s.segment(SGCSUM)
    assert [seg.len - DOFF for seg in segs] == [1000, 1000, 1000, 1000, 1000]
    # (linear payload bytes, [(page, offset, size)]) per segment
    expect = [
        (500, [(p0, f0.offset, 500)]),
        (0, [(p0, f0.offset + 500, 1000)]),
        (0, [(p1, f1.offset, 700), (p2, f2.offset, 300)]),
        (0, [(p2, f2.offset + 300, 1000)]),
        (0, [(p2, f2.offset + 1300, 1000)]),
    ]
    for seg, (lin, frags) in zip(segs, expect):
        assert seg.headlen == DOFF + lin
        assert seg.data_len == 1000 - lin
        assert [(f.page, f.offset, f.size) for f in seg.frags] == frags
        # private head, one reference; the head was allocated for it
        assert (seg.dataref, seg.is_cloned(), seg.users) == (1, False, 1)
        assert seg.headroom == s.headroom
        assert seg.truesize == truesize_of(seg.end_offset) + seg.data_len
        check(seg)
    # each segment frag holds one page reference
    assert [p.refcount for p in b.pages] == [2 + 2, 2 + 1, 2 + 3]
    assert b"".join(seg_payload(seg) for seg in segs) == payload
    check_pages()
    # writing a page through a segment's frag shows in the input: shared
    p2.data[f2.offset + 1300] ^= 0xFF
    assert s.to_bytes()[DOFF + 500 + 1500 + 700 + 1300] != payload[500 + 1500 + 700 + 1300]
    assert seg_payload(segs[4])[0] == s.to_bytes()[DOFF + 4000]
    for seg in segs:
        seg.kfree()
    assert [p.refcount for p in b.pages] == [2, 2, 2]
    s.kfree()
    assert [p.refcount for p in b.pages] == [1, 1, 1]
    b.free()


@pytest.mark.parametrize("features", [NETIF_F.HW_CSUM, NETIF_F(0), NETIF_F.IP_CSUM])
def test_without_sg_segments_are_linear_copies(features):
    layout = Layout(head=500, frags=(1500, 700, 2300), members=(Member(0, (800,)),))
    b, payload = prepare(layout)
    s = b.skb
    refs = [p.refcount for p in b.pages]
    segs = s.segment(features)
    assert [seg.len - DOFF for seg in segs] == [1000] * 5 + [800]
    for seg in segs:
        assert (seg.data_len, seg.nr_frags) == (0, 0)
        assert seg.headroom == s.headroom
        assert seg.truesize == truesize_of(seg.end_offset)
        check(seg)
    assert [p.refcount for p in b.pages] == refs
    assert b"".join(seg_payload(seg) for seg in segs) == payload
    # the copies are private: changing the pages does not change them
    b.pages[0].data[s.frags[0].offset] ^= 0xFF
    assert seg_payload(segs[0])[500] == payload[500]
    for seg in segs:
        seg.kfree()
    b.free()


def test_frag_list_members_take_the_clone_path():
    """A segment that starts at a frag_list member with linear data is a
    clone of that member, trimmed, whose head skb_cow_head made private
    (with room for the replicated headers); the member's frag pages stay
    shared by reference."""
    layout = Layout(head=1000, members=(Member(600, (400,)), Member(1000), Member(0, (700,))))
    b, payload = prepare(layout)
    s = b.skb
    a, bm, c = b.members
    pa, pc = b.pages
    before = {m: (head_addr(m), m.truesize, m.end_offset, m.to_bytes()) for m in (a, bm, c)}
    segs = s.segment(SGCSUM)
    assert [seg.len - DOFF for seg in segs] == [1000, 1000, 1000, 700]
    s0, s1, s2, s3 = segs

    # segment 1: from member a, a private head, a's frag page shared
    assert head_addr(s1) != head_addr(a)
    assert (s1.headlen, s1.data_len) == (DOFF + 600, 400)
    assert [(f.page, f.offset, f.size) for f in s1.frags] == \
        [(pa, a.frags[0].offset, 400)]
    assert s1.headroom >= s.headroom
    # pskb_expand_head already counted the new head once (no socket) and
    # skb_segment adds end - old end again, as the kernel does
    a_head, a_true, a_end, a_bytes = before[a]
    assert s1.truesize == a_true + 2 * (s1.end_offset - a_end)
    # segment 2: member bm, whole and linear
    assert head_addr(s2) != head_addr(bm)
    assert (s2.headlen, s2.data_len) == (DOFF + 1000, 0)
    assert s2.truesize == before[bm][1] + 2 * (s2.end_offset - before[bm][2])
    # segment 3: member c has no linear data: the alloc path references its frag
    assert (s3.headlen, s3.data_len) == (DOFF, 700)
    assert [(f.page, f.offset, f.size) for f in s3.frags] == [(pc, c.frags[0].offset, 700)]
    assert s3.headroom == s.headroom

    for seg in segs:
        assert (seg.dataref, seg.is_cloned(), seg.users) == (1, False, 1)
        # the header offsets moved with the headroom difference (inner ones too)
        off = seg.data_offset - s.data_offset
        assert seg.network_header == s.network_header + off
        assert seg.transport_header == s.transport_header + off
        assert seg.inner_network_header == (off or None)
        check(seg)
    # the members are untouched, and no longer share their heads
    for m in (a, bm, c):
        head, true, end, data = before[m]
        assert (head_addr(m), m.truesize, m.end_offset, m.to_bytes()) == (head, true, end, data)
        assert (m.dataref, m.is_cloned(), m.users) == (1, False, 1)
    # our ref + member frag + one segment frag each
    assert (pa.refcount, pc.refcount) == (3, 3)
    assert b"".join(seg_payload(seg) for seg in segs) == payload
    check_pages()
    for seg in segs:
        seg.kfree()
    assert (pa.refcount, pc.refcount) == (2, 2)
    b.free()


def test_clone_path_trims_a_longer_member():
    """Member longer than the segment: the clone is pskb_trim'd (its frag
    dropped), the rest of the member's frags go to the next segment."""
    layout = Layout(head=1000, members=(Member(1000, (500,)),))
    b, payload = prepare(layout)
    s = b.skb
    (m,) = b.members
    (pg,) = b.pages
    segs = s.segment(SGCSUM)
    assert [seg.len - DOFF for seg in segs] == [1000, 1000, 500]
    assert (segs[1].headlen, segs[1].nr_frags) == (DOFF + 1000, 0)
    assert (segs[2].headlen, [(f.page, f.size) for f in segs[2].frags]) == (DOFF, [(pg, 500)])
    assert pg.refcount == 3
    assert (m.len, m.nr_frags, m.dataref) == (1500, 1, 1)
    assert b"".join(seg_payload(seg) for seg in segs) == payload
    for seg in segs:
        check(seg)
        seg.kfree()
    b.free()


def test_clone_path_trim_condenses_the_member_rest():
    """The clone is trimmed into its frag: ___pskb_trim ends with
    skb_condense, which pulls the remaining paged bytes into the now
    private head when they fit its tailroom and resets truesize to
    SKB_TRUESIZE(end); cow_head then adds headroom (truesize counted
    twice, as above)."""
    layout = Layout(head=1000, members=(Member(900, (300,)),))
    b, payload = prepare(layout)
    s = b.skb
    (m,) = b.members
    (pg,) = b.pages
    assert m.end_offset - m.tail_offset >= 100   # room for the condensed bytes
    segs = s.segment(SGCSUM)
    assert [seg.len - DOFF for seg in segs] == [1000, 1000, 200]
    s1, s2 = segs[1], segs[2]
    assert (s1.headlen, s1.data_len, s1.nr_frags) == (DOFF + 1000, 0, 0)
    assert (s2.headlen, [(f.page, f.offset, f.size) for f in s2.frags]) == \
        (DOFF, [(pg, m.frags[0].offset + 100, 200)])
    assert pg.refcount == 2 + 1                 # only segment 2 still names it
    assert (m.len, m.nr_frags, m.dataref) == (1200, 1, 1)
    assert b"".join(seg_payload(seg) for seg in segs) == payload
    for seg in segs:
        check(seg)
        seg.kfree()
    b.free()


def test_gso_by_frags_cuts_at_member_boundaries():
    layout = Layout(head=0, members=(Member(100), Member(0, (250,)), Member(50, (50,)),
                                     Member(400)))
    b, payload = prepare(layout, mss=GSO_BY_FRAGS)
    segs = b.skb.segment(SGCSUM)
    assert [seg.len - DOFF for seg in segs] == [100, 250, 100, 400]
    assert b"".join(seg_payload(seg) for seg in segs) == payload
    for seg in segs:
        check(seg)
        seg.kfree()
    b.free()


# ---------------------------------------------------------------- the input afterwards

def test_input_is_left_pushed_at_its_mac_header():
    layout = Layout(head=700, frags=(2000,), headroom=32)
    b, payload = prepare(layout)
    s = b.skb
    headers = (s.network_header, s.transport_header, s.mac_header)
    length, data_len, true = s.len, s.data_len, s.truesize
    assert s.data_offset == 32 + DOFF
    segs = s.segment(SGCSUM)
    assert s.data_offset == s.mac_header == 32
    assert (s.len, s.data_len, s.truesize) == (length + DOFF, data_len, true)
    assert (s.network_header, s.transport_header, s.mac_header) == headers
    assert s.to_bytes() == HDR + payload
    assert (s.gso_size, s.gso_type) == (1000, 0)
    assert b.pages[0].refcount == 2 + 3     # [700 + 300], [1000], [700]
    check(s)
    for seg in segs:
        assert seg.data_offset == 32
        seg.kfree()
    b.free()


def test_segments_inherit_the_metadata():
    layout = Layout(head=2500, headroom=8)
    b, payload = prepare(layout)
    s = b.skb
    s.priority, s.mark, s.hash, s.queue_mapping = 7, 0xDEAD, 0x1234, 3
    s.vlan_proto, s.vlan_tci = 0x8100, 42
    s.pkt_type = 2
    s.ip_summed = skb.CHECKSUM_UNNECESSARY
    s.cb = bytes(range(32))
    segs = s.segment(SGCSUM)
    for seg in segs:
        assert (seg.priority, seg.mark, seg.hash, seg.queue_mapping) == (7, 0xDEAD, 0x1234, 3)
        assert (seg.vlan_proto, seg.vlan_tci, seg.pkt_type) == (0x8100, 42, 2)
        assert (seg.protocol, seg.ip_summed) == (0x88B5, skb.CHECKSUM_UNNECESSARY)
        assert seg.cb[:32] == bytes(range(32))
        assert seg.mac_len == DOFF
        assert seg.network_header == seg.data_offset + DOFF
        assert seg.transport_header == seg.data_offset + DOFF
        seg.kfree()
    b.free()


def test_partial_checksum_start_follows_the_headroom():
    b, payload = prepare(Layout(head=2100, headroom=16))
    s = b.skb
    s.ip_summed = skb.CHECKSUM_PARTIAL
    s.csum_start, s.csum_offset = s.data_offset, 6
    segs = s.segment(SGCSUM)
    for seg in segs:
        assert seg.ip_summed == skb.CHECKSUM_PARTIAL
        assert (seg.csum_start, seg.csum_offset) == (seg.data_offset + DOFF, 6)
        seg.kfree()
    b.free()


def test_tunnel_bytes_before_the_mac_header_are_copied():
    """tnl_hlen = mac_header - head - SKB_GSO_CB(skb)->mac_offset: with the
    cb left zero, every byte of headroom counts as outer header and is
    replicated in front of each segment's mac header."""
    b, payload = prepare(Layout(head=2100))
    s = b.skb
    s.kfree()
    b.pages.clear()
    s = skb.alloc_skb(24 + DOFF + 2100)
    s.reserve(24)
    s.put_data(HDR + payload[:2100])
    s.push(24)[:] = b"T" * 24
    s.pull(24)
    s.reset_mac_header()
    s.pull(DOFF)
    s.protocol, s.gso_size = 0x88B5, 1000
    segs = s.segment(SGCSUM)
    for seg in segs:
        assert seg.headroom == 24
        assert bytes(seg.push(24)) == b"T" * 24
        seg.pull(24)
        seg.kfree()
    # with mac_offset = headroom, as skb_gso_segment sets it, nothing is copied
    s.pull(DOFF)
    s.cb = bytes(32) + struct.pack("<i", 24)
    segs = s.segment(SGCSUM)
    assert [seg.len - DOFF for seg in segs] == [1000, 1000, 100]
    for seg in segs:
        seg.kfree()
    s.kfree()


@pytest.mark.parametrize("features,linear", [(NETIF_F(0), True), (NETIF_F.SG, False)])
def test_software_checksum_is_left_in_the_gso_cb(features, linear):
    """Without a checksum feature each segment is CHECKSUM_NONE and carries
    the sum of its payload in SKB_GSO_CB (csum, csum_start = headroom +
    doffset) for the L4 handler's gso_make_checksum."""
    layout = Layout(head=333, frags=(1201, 999), members=(Member(0, (467,)),), headroom=4)
    b, payload = prepare(layout)
    s = b.skb
    s.ip_summed = skb.CHECKSUM_PARTIAL
    segs = s.segment(features)
    assert [seg.len - DOFF for seg in segs] == [1000, 1000, 1000]
    pos = 0
    for seg in segs:
        assert seg.ip_summed == skb.CHECKSUM_NONE
        assert (seg.data_len == 0) == linear
        _, _, csum, csum_start = gso_cb(seg)
        assert csum_start == seg.headroom + DOFF
        # the 32-bit sum is in the engine's native (little-endian) order
        folded = fold(csum)
        expected = fold(sum16(payload[pos:pos + seg.len - DOFF]))
        assert int.from_bytes(folded.to_bytes(2, "little"), "big") == expected
        pos += seg.len - DOFF
        seg.kfree()
    b.free()


# ---------------------------------------------------------------- the segment list

def test_segment_list_sequence_and_links():
    b, payload = prepare(Layout(head=3500))
    segs = b.skb.segment(SGCSUM)
    assert len(segs) == 4
    assert segs[0] is segs[0] and segs[-1] is segs[3]
    assert list(segs) == [segs[0], segs[1], segs[2], segs[3]]
    assert segs[1:3] == [segs[1], segs[2]]
    with pytest.raises(IndexError):
        segs[4]
    with pytest.raises(IndexError):
        segs[-5]
    assert segs[0].prev is segs[3]
    assert [seg.prev for seg in segs[1:]] == [None, None, None]
    assert [seg.next for seg in segs] == [segs[1], segs[2], segs[3], None]
    assert repr(segs) == "<SegmentList of 4 skbs>"
    # a segment is an ordinary skb: it can be cloned and freed in any order
    c = segs[1].clone()
    segs[2].kfree()
    with pytest.raises(SkbUseAfterFree):
        segs[2].len
    segs[1].kfree()
    assert c.to_bytes() == HDR + payload[1000:2000]
    c.kfree()
    segs[0].kfree()
    segs[3].kfree()
    b.free()


def test_handles_are_made_on_first_access():
    """Producing the list makes no Python handle (one engine call); a
    segment's handle appears when it is first touched, and stays the same
    object (the module's pointer -> handle map shows it)."""
    from skb import skbuff
    before = counter_snapshot()
    b, payload = prepare(Layout(head=2500))
    handles = len(skbuff._by_ptr)
    segs = b.skb.segment(SGCSUM)
    assert counter_delta(before)["live_skbs"] == 1 + 3
    assert len(skbuff._by_ptr) == handles
    tail = segs[-1]
    assert len(skbuff._by_ptr) == handles + 1
    assert segs[0].prev is tail                 # makes the first one
    assert len(skbuff._by_ptr) == handles + 2
    assert tail.len == DOFF + 500
    for seg in segs:
        seg.kfree()
    b.free()
    del segs, tail, seg
    gc.collect()
    assert counter_delta(before) == {}


@pytest.mark.gc_leak
def test_forgotten_segments_are_freed_as_leaks():
    before = counter_snapshot()
    b, payload = prepare(Layout(head=2500))
    segs = b.skb.segment(SGCSUM)
    segs[0].kfree()
    with pytest.warns(skb.SkbLeakWarning, match="2 segment"):
        del segs
        gc.collect()
    b.free()
    assert counter_delta(before) == {"gc_leaks": 2}


# ---------------------------------------------------------------- errors

def test_gso_size_zero_is_einval_and_changes_nothing():
    b, payload = prepare(Layout(head=2500))
    b.skb.gso_size = 0
    with unchanged(b.skb):
        with pytest.raises(SkbSegmentError) as e:
            b.skb.segment(SGCSUM)
    assert e.value.errno == errno.EINVAL
    b.free()


def test_unset_mac_header_is_einval():
    s = skb.alloc_skb(2100)
    s.put_data(bytes(2100))
    s.pull(DOFF)
    s.protocol, s.gso_size = 0x88B5, 1000
    assert s.mac_header is None
    with unchanged(s):
        with pytest.raises(SkbSegmentError) as e:
            s.segment(SGCSUM)
    assert e.value.errno == errno.EINVAL
    s.kfree()


def test_mac_header_after_data_is_einval():
    b, payload = prepare(Layout(head=2500))
    b.skb.set_mac_header(4)
    with unchanged(b.skb):
        with pytest.raises(SkbSegmentError) as e:
            b.skb.segment(SGCSUM)
    assert e.value.errno == errno.EINVAL
    b.free()


def test_protocol_zero_is_einval_after_the_push():
    b, payload = prepare(Layout(head=2500, frags=(300,)))
    s = b.skb
    s.protocol = 0
    length = s.len
    before = live()
    with pytest.raises(SkbSegmentError) as e:
        s.segment(SGCSUM)
    assert e.value.errno == errno.EINVAL
    assert live() == before
    assert (s.len, s.data_offset) == (length + DOFF, s.mac_header)
    assert s.to_bytes() == HDR + payload
    b.free()


def test_too_many_frags_in_one_segment_is_einval():
    """With SG a segment takes at most MAX_SKB_FRAGS (17) frags: the 18th
    fails the whole call (the kernel's "too many frags" warning)."""
    members = (Member(0, (10,) * 17),)
    b, payload = prepare(Layout(head=0, frags=(10,) * 17, members=members), mss=1000)
    s = b.skb
    refs = [p.refcount for p in b.pages]
    before = live()
    with pytest.raises(SkbSegmentError) as e:
        s.segment(SGCSUM)
    assert e.value.errno == errno.EINVAL
    assert live() == before
    assert [p.refcount for p in b.pages] == refs
    check_pages()
    # without SG the same packet is copied
    s.pull(DOFF)
    segs = s.segment(NETIF_F.HW_CSUM)
    assert [seg.len - DOFF for seg in segs] == [340]
    segs[0].kfree()
    b.free()


def _bug(layout, mss=1000, features=SGCSUM):
    b, payload = prepare(layout, mss=mss)
    s = b.skb
    refs = [p.refcount for p in b.pages]
    before = live()
    with pytest.raises(SkbBug):
        s.segment(features)
    assert live() == before
    assert [p.refcount for p in b.pages] == refs
    assert s.to_bytes() == HDR + payload
    for m in b.members:
        assert (m.dataref, m.users) == (1, 1)
    check(s)
    check_pages()
    b.free()


def test_bug_member_linear_data_inside_a_segment():
    """With SG a member's linear data can only be referenced if its head is
    a page fragment; kmalloc'd heads hit BUG_ON(!list_skb->head_frag)."""
    _bug(Layout(head=500, members=(Member(1000),)))


def test_bug_member_linear_data_longer_than_the_segment():
    """BUG_ON(skb_headlen(list_skb) > len) on the clone path."""
    _bug(Layout(head=1000, members=(Member(1500),)))


def test_bug_member_too_short_for_the_segment():
    """BUG_ON(i >= nfrags): the member's linear data and frags end before
    the segment does (the case the KUnit test avoids by clearing SG)."""
    _bug(Layout(head=1000, members=(Member(300, (200,)), Member(0, (500,)))))


def test_bug_member_with_neither_linear_data_nor_frags():
    _bug(Layout(head=0, frags=(500,), members=(Member(0), Member(0, (600,)))))


@pytest.mark.parametrize("layout", [
    Layout(head=500, members=(Member(1000),)),
    Layout(head=1000, members=(Member(1500),)),
    Layout(head=1000, members=(Member(300, (200,)), Member(0, (500,)))),
])
def test_the_bug_layouts_are_fine_without_sg(layout):
    b, payload = prepare(layout)
    segs = b.skb.segment(NETIF_F.HW_CSUM)
    assert b"".join(seg_payload(seg) for seg in segs) == payload
    assert [seg.len - DOFF for seg in segs][:-1] == [1000] * (len(segs) - 1)
    for seg in segs:
        check(seg)
        seg.kfree()
    b.free()


def test_without_sg_the_member_cursor_goes_stale():
    """Without SG, copied segments never advance skb_segment's frag_list
    cursor: a later segment whose length equals the stale member's linear
    length takes the clone path for that member although the segment does
    not start there, and hits BUG_ON(i >= nfrags) - the kernel's geometry
    assumption that members start on segment boundaries."""
    _bug(Layout(head=500, members=(Member(1000), Member(1000))), features=NETIF_F.HW_CSUM)


def test_without_sg_a_stale_member_clone_carries_the_wrong_bytes():
    """The stale cursor does not always BUG.  Head payload 1 byte, member 0
    = 13 linear + a 12-byte frag, mss 13, no SG: segment 0 is copied
    (payload 0..12) without moving the cursor; segment 1 (payload 13..25)
    has len == headlen(member 0), so it clones member 0, the stale pos
    (1 + 13 + 12 = 26) lines up with the segment end, and the trimmed
    clone carries payload 1..13 - the kernel emits those bytes too.  The
    copies after it are right again."""
    layout = Layout(head=1, members=(Member(13, (12,)), Member(0, (127,))))
    b, payload = prepare(layout, mss=13)
    segs = b.skb.segment(NETIF_F(0))
    got = [seg_payload(seg) for seg in segs]
    assert len(got) == 12 and [len(g) for g in got] == [13] * 11 + [10]
    assert got[0] == payload[0:13]
    assert got[1] == payload[1:14] != payload[13:26]
    assert got[2:] == [payload[k:k + 13] for k in range(26, 153, 13)]
    assert segs[1].data_len == 0
    for seg in segs:
        check(seg)
        seg.kfree()
    b.free()


NON_UNIFORM = Layout(head=500, members=(Member(700), Member(1), Member(900), Member(2)))


def test_non_uniform_members_with_sg_are_a_bug():
    _bug(NON_UNIFORM)


def test_dodgy_gso_turns_sg_off_for_kmalloced_members():
    """SKB_GSO_DODGY (untrusted gso_size) with a linear non-head_frag member
    and gso_size != headlen: skb_segment clears SG and copies, so the
    non-uniform frag_list no longer hits the BUG."""
    b, payload = prepare(NON_UNIFORM)
    s = b.skb
    s.gso_type = SKB_GSO.DODGY
    segs = s.segment(SGCSUM)
    assert [seg.len - DOFF for seg in segs] == [1000, 1000, 103]
    assert b"".join(seg_payload(seg) for seg in segs) == payload
    for seg in segs:
        assert (seg.data_len, seg.nr_frags) == (0, 0)
        assert (seg.gso_type, seg.gso_size) == (0, 0)
        check(seg)
        seg.kfree()
    b.free()


def test_dodgy_with_gso_size_equal_to_headlen_keeps_sg():
    """mss == headlen(head) trusts the frag_list geometry: SG stays on and
    the non-uniform members hit BUG_ON(headlen(list_skb) > len)."""
    b, payload = prepare(NON_UNIFORM, mss=500)
    s = b.skb
    s.gso_type = SKB_GSO.DODGY
    assert s.headlen == s.gso_size == 500
    with pytest.raises(SkbBug):
        s.segment(SGCSUM)
    b.free()


# ---------------------------------------------------------------- allocation failures

FAIL_LAYOUTS = {
    "linear": (Layout(head=3100), SGCSUM),
    "paged_sg": (Layout(head=100, frags=(1500, 1500, 400)), SGCSUM),
    "paged_copy": (Layout(head=100, frags=(1500, 1500, 400)), NETIF_F(0)),
    "frag_list_clone": (Layout(head=1000, members=(Member(600, (400,)), Member(1000),
                                                     Member(0, (700,)))), SGCSUM),
    "frag_list_trim": (Layout(head=1000, members=(Member(1000, (500,)),)), SGCSUM),
    "gso_partial": (Layout(head=1000, frags=(1000, 995)), SGCSUM | NETIF_F.GSO_PARTIAL),
}


@pytest.mark.parametrize("name", list(FAIL_LAYOUTS))
def test_every_allocation_failure_is_clean(name):
    """fail_nth_alloc(n) for n = 1, 2, ... until the call succeeds: each
    failure raises MemoryError, frees every segment built so far, leaves the
    input as the kernel does (pushed to the mac header, nothing else
    changed), and the next attempt gives the right segments."""
    layout, features = FAIL_LAYOUTS[name]
    b, payload = prepare(layout)
    s = b.skb
    refs = [p.refcount for p in b.pages]
    members = [(head_addr(m), m.to_bytes(), m.truesize) for m in b.members]
    length = s.len
    before = live()
    failures = 0
    for n in range(1, 200):
        try:
            with fail_nth_alloc(n):
                segs = s.segment(features)
        except MemoryError:
            failures += 1
            assert live() == before, n
            assert (s.len, s.data_offset) == (length + DOFF, s.mac_header), n
            assert s.to_bytes() == HDR + payload
            assert [p.refcount for p in b.pages] == refs, n
            assert [(head_addr(m), m.to_bytes(), m.truesize) for m in b.members] == members
            for m in b.members:
                assert (m.dataref, m.users) == (1, 1)
            check(s)
            check_pages()
            s.pull(DOFF)
            continue
        break
    else:
        pytest.fail("never succeeded")
    assert failures == n - 1 >= 2
    assert b"".join(seg_payload(seg) for seg in segs) == payload
    for seg in segs:
        check(seg)
        seg.kfree()
    assert [p.refcount for p in b.pages] == refs
    b.free()


# ---------------------------------------------------------------- multi-MSS output

def _segment_meta(layout, features, mss=1000):
    b, payload = prepare(layout, mss=mss)
    segs = b.skb.segment(features)
    meta = [(seg.len - DOFF, seg.gso_size, seg.gso_segs, seg.gso_type) for seg in segs]
    assert b"".join(seg_payload(seg) for seg in segs) == payload
    for seg in segs:
        check(seg)
        seg.kfree()
    b.free()
    return meta


def test_gso_partial_multiples_of_mss():
    """GSO_PARTIAL: mss *= payload / gso_size; every output stays GSO with
    the original gso_size, a tail of at most one MSS is not GSO."""
    meta = _segment_meta(Layout(head=1000, frags=(1000, 1000, 1000, 500)),
                         SGCSUM | NETIF_F.GSO_PARTIAL)
    assert meta == [(4000, 1000, 4, SKB_GSO.PARTIAL), (500, 0, 4, SKB_GSO.PARTIAL)]


@pytest.mark.parametrize("features", [NETIF_F.SG | NETIF_F.GSO_PARTIAL,
                                      NETIF_F.HW_CSUM | NETIF_F.GSO_PARTIAL])
def test_gso_partial_needs_sg_and_checksum(features):
    """Multi-MSS output only when the device can scatter-gather and
    checksum: otherwise plain MSS segments, not GSO."""
    meta = _segment_meta(Layout(head=1000, frags=(1000, 1000, 1000, 500)), features)
    assert meta == [(1000, 0, 0, 0)] * 4 + [(500, 0, 0, 0)]


def test_gso_partial_without_the_feature_bit_in_the_type():
    """Without NETIF_F_GSO_PARTIAL the frag_list split does not add
    SKB_GSO_PARTIAL to the type, and DODGY is dropped."""
    layout = Layout(head=0, frags=(2000,), members=(Member(0, (2000,)), Member(0, (2000,))))
    b, payload = prepare(layout)
    s = b.skb
    s.reset_mac_header()        # doffset 0: the header bytes are not replicated
    s.gso_type = SKB_GSO.DODGY | SKB_GSO.TCPV4
    features = SGCSUM | NETIF_F.TSO | NETIF_F.GSO_ROBUST
    segs = s.segment(features)
    meta = [(seg.len, seg.gso_size, seg.gso_segs, seg.gso_type) for seg in segs]
    assert meta == [(2000, 1000, 2, SKB_GSO.TCPV4)] * 3
    assert b"".join(seg.to_bytes() for seg in segs) == payload
    for seg in segs:
        seg.kfree()
    b.free()


def test_frag_list_split_needs_the_device_to_do_the_type():
    """net_gso_ok(features, gso_type) fails: normal segmentation."""
    layout = Layout(head=0, frags=(2000,), members=(Member(0, (2000,)), Member(0, (2000,))))
    b, payload = prepare(layout)
    s = b.skb
    s.reset_mac_header()
    s.gso_type = SKB_GSO.TCPV4
    segs = s.segment(SGCSUM)
    assert [(seg.len, seg.gso_size) for seg in segs] == [(1000, 0)] * 6
    for seg in segs:
        seg.kfree()
    b.free()


def test_gso_partial_count_ignores_the_headers():
    """Payload 2995, gso_size 1000, 14 header bytes: partial_segs =
    2995 / 1000 = 2, so the kernel cuts 2000 + 995 (the tail not GSO); the
    engine divides 3009 and makes one skb of 2995 with gso_segs 3."""
    meta = _segment_meta(Layout(head=1000, frags=(1000, 995)), SGCSUM | NETIF_F.GSO_PARTIAL)
    assert meta == [(2000, 1000, 2, SKB_GSO.PARTIAL), (995, 0, 2, SKB_GSO.PARTIAL)]


def test_frag_list_split_with_headers():
    """A GRO-style frag_list (head payload and frag-only members all 2000
    bytes) for a device that does the GSO type but not frag_list: the
    kernel splits it into three GSO skbs of 2 x 1000 (head payload 6000 -
    4000 == 2000 == member length); the engine compares 6014 - 4000 and
    falls back to six plain segments."""
    layout = Layout(head=0, frags=(2000,), members=(Member(0, (2000,)), Member(0, (2000,))))
    meta = _segment_meta(layout, SGCSUM)
    assert meta == [(2000, 1000, 2, 0)] * 3


def test_no_frag_list_split_when_only_the_headers_make_it_uniform():
    """Head payload 1986, members 2000: not uniform, the kernel segments
    normally (5 x 1000 + 986); the engine counts the 14 header bytes as
    head payload, finds 2000 == 2000 and splits."""
    layout = Layout(head=0, frags=(2000 - DOFF,),
                    members=(Member(0, (2000,)), Member(0, (2000,))))
    meta = _segment_meta(layout, SGCSUM)
    assert meta == [(1000, 0, 0, 0)] * 5 + [(986, 0, 0, 0)]
