"""The copy family: copy, pskb_copy, realloc_headroom, expand_head, cow,
cow_head, unshare, share_check - geometry, bytes, metadata, sharing state,
and every failure path (-ENOMEM via fault injection, BUGs)."""

import pytest

import skb
from skb import SkbBug
from skb.testing import fail_nth_alloc
from skbhelp import (HEADERS, METADATA, counter_delta, counter_snapshot, head_addr,
                     head_bytes, ok, unchanged)

PATTERN = bytes(range(1, 65))  # what sits in the 64 bytes of headroom
PAYLOAD = b"payload"


def source(size=1500, fclone=False):
    """end 1728 (for 1500); headroom 64 holding PATTERN; data PAYLOAD;
    b"JUNK" left in the tailroom by a trim; distinctive metadata."""
    s = skb.alloc_skb(size, fclone=fclone)
    s.reserve(64)
    s.push(64)[:] = PATTERN
    s.pull(64)
    s.put_data(PAYLOAD + b"JUNK")
    s.trim(len(PAYLOAD))
    s.set_mac_header(-14)
    s.reset_network_header()
    s.set_transport_header(20)
    s.set_inner_network_header(2)
    s.reset_mac_len()
    s.protocol = 0x0800
    s.mark = 0xA5A5A5A5
    s.priority = 7
    s.hash = 0x01020304
    s.vlan_tci = 0x0ABC
    s.vlan_proto = 0x8100
    s.queue_mapping = 3
    s.pkt_type = 5
    s.ip_summed = 3
    s.csum_start = 84
    s.csum_offset = 16
    s.csum_level = 2
    s.encapsulation = 1
    s.inner_protocol = 0x86DD
    s.cb = b"control-block"
    assert head_bytes(s)[:75] == PATTERN + PAYLOAD + b"JUNK"
    return s


def assert_same_metadata(a, b, shift=0):
    """Metadata and cb equal; header offsets equal, or moved by shift."""
    for name in METADATA:
        if shift and name in ("csum_start", "csum"):
            continue
        assert getattr(a, name) == getattr(b, name), name
    assert a.cb == b.cb
    if not shift:
        for name in HEADERS:
            assert getattr(a, name) == getattr(b, name), name


def private(x):
    return (x.users, x.dataref, x.cloned, x.nohdr, x.hdr_len,
            x.is_cloned(), x.header_cloned(), x.shared())


PRIVATE = (1, 1, 0, 0, 0, False, False, False)


def free(*skbs):
    for x in skbs:
        x.kfree()


# ---------------------------------------------------------------- copy

def test_copy():
    s = source()
    before = counter_snapshot()
    with unchanged(s, counters_too=False):
        c = s.copy()
    assert (c.end_offset, c.truesize, c.data_offset, c.tail_offset, c.len) == (
        1728, 2304, 64, 71, 7)
    # headroom bytes copied too; the rest of the new head is zero
    assert head_bytes(c) == PATTERN + PAYLOAD + bytes(1728 - 71)
    assert c.to_bytes() == PAYLOAD
    assert private(c) == PRIVATE
    assert (c.fclone, c.fclone_ref) == (0, None)
    assert head_addr(c) != head_addr(s)
    assert_same_metadata(c, s)
    # the kernel's skb_copy does not copy mac_len (only __skb_clone does)
    assert (s.mac_len, c.mac_len) == (14, 0)
    assert counter_delta(before) == {"live_skbs": 1, "live_heads": 1, "head_bytes": 2048,
                                     "raw_blocks": 2}
    assert c.data.readonly is False
    c.data[0] = ord("P")
    assert s.to_bytes() == PAYLOAD
    ok(s, c)
    free(s, c)


def test_copy_of_a_clone_is_private():
    s = source()
    k = s.clone()
    with unchanged(s, k, counters_too=False):
        c = s.copy()
    assert private(c) == PRIVATE
    assert head_bytes(c)[:71] == PATTERN + PAYLOAD
    ok(s, k, c)
    free(s, k, c)


def test_copy_of_fclone_and_nohdr():
    s = source(fclone=True)
    s.header_release()
    c = s.copy()
    assert (c.fclone, c.fclone_ref, s.fclone_ref) == (0, None, 1)
    assert private(c) == PRIVATE
    ok(s, c)
    free(s, c)


def test_copy_keeps_the_grown_end():
    s = skb.alloc_skb(100)
    s.expand_head(0, 1000)  # 1384 -> 1408 + 320 -> kmalloc-2048
    assert s.end_offset == 1728
    c = s.copy()
    assert (c.end_offset, c.truesize) == (1728, 2304)
    free(s, c)


@pytest.mark.parametrize("nth", [1, 2])
def test_copy_injected_failure(nth):
    s = source()
    with unchanged(s):
        with fail_nth_alloc(nth):
            with pytest.raises(MemoryError, match="skb_copy"):
                s.copy()
    s.kfree()


# ---------------------------------------------------------------- pskb_copy

def test_pskb_copy():
    s = source()
    before = counter_snapshot()
    with unchanged(s, counters_too=False):
        p = s.pskb_copy()
    # head sized for headlen + headroom = 71 -> small-head cache
    assert (p.end_offset, p.truesize, p.data_offset, p.tail_offset, p.len, p.data_len) == (
        384, 960, 64, 71, 7, 0)
    # only the linear data is copied: the headroom is zero
    assert head_bytes(p) == bytes(64) + PAYLOAD + bytes(384 - 71)
    assert private(p) == PRIVATE
    assert (p.fclone, p.fclone_ref, p.mac_len) == (0, None, 0)
    assert_same_metadata(p, s)
    assert counter_delta(before) == {"live_skbs": 1, "live_heads": 1, "head_bytes": 704,
                                     "raw_blocks": 2}
    ok(s, p)
    free(s, p)


def test_pskb_copy_sizes_from_headroom_plus_headlen():
    s = skb.alloc_skb(4000)
    s.reserve(1000)
    s.put(500)
    p = s.pskb_copy()  # 1500 -> 1536 + 320 -> 2048
    assert (p.end_offset, p.truesize, p.data_offset, p.len) == (1728, 2304, 1000, 500)
    free(s, p)


def test_pskb_copy_of_fclone_and_clone():
    s = source(fclone=True)
    k = s.clone()
    p = s.pskb_copy()
    assert (p.fclone, s.fclone_ref) == (0, 2)
    assert private(p) == PRIVATE
    assert s.dataref == 2
    ok(s, k, p)
    free(s, k, p)


@pytest.mark.parametrize("nth", [1, 2])
def test_pskb_copy_injected_failure(nth):
    s = source()
    with unchanged(s):
        with fail_nth_alloc(nth):
            with pytest.raises(MemoryError, match="pskb_copy"):
                s.pskb_copy()
    s.kfree()


# ---------------------------------------------------------------- realloc_headroom

@pytest.mark.parametrize("h", [0, 32, 64])
def test_realloc_headroom_enough_is_pskb_copy(h):
    s = source()
    with unchanged(s, counters_too=False):
        r = s.realloc_headroom(h)
    assert (r.end_offset, r.truesize, r.data_offset, r.len) == (384, 960, 64, 7)
    assert head_bytes(r) == bytes(64) + PAYLOAD + bytes(384 - 71)
    assert private(r) == PRIVATE
    assert r.fclone == 0
    assert_same_metadata(r, s)
    ok(s, r)
    free(s, r)


@pytest.mark.parametrize("h,nhead", [(65, 64), (100, 64), (128, 64), (129, 128)])
def test_realloc_headroom_short_is_clone_plus_expand(h, nhead):
    s = source()
    before = counter_snapshot()
    with unchanged(s, ignore=("cloned", "repr"), counters_too=False):
        r = s.realloc_headroom(h)
    end = 3776  # 1728 + 64 or + 128, + 320 -> kmalloc-4096
    assert (r.data_offset, r.tail_offset, r.end_offset, r.len) == (
        64 + nhead, 71 + nhead, end, 7)
    assert r.truesize == 2304 + (end - 1728)
    # expand copies [head, tail) of the old head behind nhead new zero bytes
    assert head_bytes(r) == bytes(nhead) + PATTERN + PAYLOAD + bytes(end - 71 - nhead)
    assert private(r) == PRIVATE
    assert r.fclone == 0
    assert_same_metadata(r, s, shift=nhead)
    assert (r.mac_header, r.network_header, r.transport_header) == (
        50 + nhead, 64 + nhead, 84 + nhead)
    assert r.csum_start == 84 + nhead  # ip_summed is CHECKSUM_PARTIAL
    assert r.mac_len == 14  # a clone keeps mac_len
    # the original took part in a clone: its sticky cloned bit is set, as in
    # the kernel; nothing else about it changed
    assert (s.cloned, s.dataref, s.is_cloned()) == (1, 1, False)
    assert counter_delta(before) == {"live_skbs": 1, "live_heads": 1, "head_bytes": 4096,
                                     "raw_blocks": 2}
    ok(s, r)
    free(s, r)


def test_realloc_headroom_of_fclone_uses_the_companion():
    s = source(fclone=True)
    r = s.realloc_headroom(100)
    assert (r.fclone, r.fclone_ref, s.fclone_ref) == (2, 2, 2)
    assert private(r) == PRIVATE
    ok(s, r)
    r.kfree()
    assert s.fclone_ref == 1
    s.kfree()


@pytest.mark.parametrize("h", [32, 64])
@pytest.mark.parametrize("nth", [1, 2])
def test_realloc_headroom_copy_branch_injected_failure(h, nth):
    s = source()
    with unchanged(s):
        with fail_nth_alloc(nth):
            with pytest.raises(MemoryError):
                s.realloc_headroom(h)
    s.kfree()


def test_realloc_headroom_clone_fails():
    s = source()
    with unchanged(s):
        with fail_nth_alloc(1):
            with pytest.raises(MemoryError):
                s.realloc_headroom(100)
    s.kfree()


def test_realloc_headroom_expand_fails_frees_the_clone():
    s = source()
    with unchanged(s, ignore=("cloned", "repr")):
        with fail_nth_alloc(2):
            with pytest.raises(MemoryError):
                s.realloc_headroom(100)
    assert (s.cloned, s.dataref, s.is_cloned()) == (1, 1, False)
    ok(s)
    s.kfree()


def test_realloc_headroom_fclone_expand_fails_returns_the_companion():
    s = source(fclone=True)
    with unchanged(s, ignore=("cloned", "repr")):
        with fail_nth_alloc(1):  # the companion needs no allocation
            with pytest.raises(MemoryError):
                s.realloc_headroom(100)
    assert s.fclone_ref == 1
    ok(s)
    s.kfree()


def test_realloc_headroom_too_big():
    s = source()
    with unchanged(s, ignore=("cloned", "repr")):
        # aligned delta 2**31 - 64 fits the int nhead; the head cannot be allocated
        with pytest.raises(MemoryError):
            s.realloc_headroom(64 + 2**31 - 64)
        # aligned delta beyond the int nhead: the kernel's BUG on a negative nhead
        with pytest.raises(SkbBug):
            s.realloc_headroom(2**32 - 1)
    s.kfree()


@pytest.mark.parametrize("h,exc", [(-1, OverflowError), (2**32, OverflowError),
                                   ("1", TypeError)])
def test_realloc_headroom_argument_range(h, exc):
    s = source()
    with unchanged(s):
        with pytest.raises(exc):
            s.realloc_headroom(h)
    s.kfree()


# ---------------------------------------------------------------- expand_head

def small():
    """end 384, headroom 32 holding PATTERN[:32], data b"abcdefgh", junk after."""
    s = skb.alloc_skb(100)
    s.reserve(32)
    s.push(32)[:] = PATTERN[:32]
    s.pull(32)
    s.put_data(b"abcdefghJUNK")
    s.trim(8)
    return s


def test_expand_head_nhead():
    s = small()
    old_head = head_addr(s)
    before = counter_snapshot()
    s.expand_head(64, 0)  # 384 + 64 = 448 -> 768 -> kmalloc-1024
    assert (s.data_offset, s.tail_offset, s.end_offset, s.len, s.truesize) == (
        96, 104, 704, 8, 1280)
    assert head_bytes(s) == bytes(64) + PATTERN[:32] + b"abcdefgh" + bytes(704 - 104)
    assert private(s) == PRIVATE
    assert head_addr(s) != old_head
    assert counter_delta(before) == {"head_bytes": 1024 - 704}
    ok(s)
    s.kfree()


def test_expand_head_zero_reallocates_and_drops_stale_tail_bytes():
    s = small()
    old_head = head_addr(s)
    s.expand_head()
    assert head_addr(s) != old_head
    assert (s.data_offset, s.tail_offset, s.end_offset, s.truesize) == (32, 40, 384, 960)
    assert head_bytes(s) == PATTERN[:32] + b"abcdefgh" + bytes(384 - 40)
    ok(s)
    s.kfree()


@pytest.mark.parametrize("size,ntail,end,truesize", [
    (100, 1, 704, 1280),  # asked 1 more byte, got 320
    (100, 320, 704, 1280),
    (100, 321, 1728, 2304),
    (4000, 1, 16064, 16640),  # past kmalloc-8192: pages
])
def test_expand_head_ntail_rounds_up(size, ntail, end, truesize):
    s = skb.alloc_skb(size)
    s.put(10)
    s.expand_head(0, ntail)
    assert (s.end_offset, s.truesize, s.tailroom) == (end, truesize, end - 10)
    ok(s)
    s.kfree()


def test_expand_head_negative_ntail_shrinks():
    s = skb.alloc_skb(4000)
    s.put_data(b"0123456789")
    s.expand_head(0, -7000)  # 872 -> 896 + 320 -> kmalloc-2048
    assert (s.end_offset, s.truesize) == (1728, 2304)
    s.expand_head(0, -(1728 - 10))  # exactly down to tail
    assert (s.end_offset, s.truesize, s.to_bytes()) == (384, 960, b"0123456789")
    ok(s)
    s.kfree()


SHAPES = ["plain", "cloned", "nohdr_clone", "fclone"]


def shaped(kind):
    """(target, every skb involved): small() alone, with a clone, as the
    clone of a header-released original, or as an fclone original with its
    companion live; metadata set so a stray write would show."""
    s = small()
    s.mark = 0x55AA
    s.cb = b"cb"
    if kind == "plain":
        return s, [s]
    if kind == "cloned":
        return s, [s, s.clone()]
    if kind == "nohdr_clone":
        s.header_release()
        c = s.clone()
        assert c.hdr_len == 32
        return c, [c, s]
    f = skb.alloc_skb(100, fclone=True)
    f.reserve(32)
    f.put_data(b"abcdefgh")
    f.mark = 0x55AA
    s.kfree()
    c = f.clone()
    assert (f.fclone_ref, c.fclone) == (2, 2)
    return f, [f, c]


@pytest.mark.parametrize("kind", SHAPES)
@pytest.mark.parametrize("nhead", [0, 64])
def test_expand_head_cutting_data_is_bug(kind, nhead):
    s, all_ = shaped(kind)
    with unchanged(*all_):
        with pytest.raises(SkbBug, match="would cut into the data"):
            s.expand_head(nhead, -(384 - 40) - 1)
        with pytest.raises(SkbBug):
            s.expand_head(nhead, -(2**31))
    free(*all_)


@pytest.mark.parametrize("kind", SHAPES)
@pytest.mark.parametrize("nhead", [-1, -64, -(2**31)])
def test_expand_head_negative_nhead_is_bug(kind, nhead):
    s, all_ = shaped(kind)
    with unchanged(*all_):
        with pytest.raises(SkbBug, match="negative"):
            s.expand_head(nhead, 0)
    free(*all_)


@pytest.mark.parametrize("kind", SHAPES)
def test_expand_head_on_shared_is_bug(kind):
    s, all_ = shaped(kind)
    s.get()
    with unchanged(*all_):
        with pytest.raises(SkbBug, match=r"shared skb \(users 2\)"):
            s.expand_head(0, 0)
    s.kfree()
    free(*all_)


@pytest.mark.parametrize("kind", SHAPES)
@pytest.mark.parametrize("nhead,ntail", [(2**31 - 1, 0), (0, 2**31 - 1),
                                         (2**31 - 1, 2**31 - 1)])
def test_expand_head_too_big_is_enomem(kind, nhead, ntail):
    s, all_ = shaped(kind)
    with unchanged(*all_):
        with pytest.raises(MemoryError, match="pskb_expand_head"):
            s.expand_head(nhead, ntail)
    free(*all_)


@pytest.mark.parametrize("nhead,ntail,exc", [
    (2**31, 0, OverflowError), (0, 2**31, OverflowError), (0, -(2**31) - 1, OverflowError),
    (-(2**31) - 1, 0, OverflowError), ("1", 0, TypeError), (0, 1.0, TypeError),
])
def test_expand_head_argument_range(nhead, ntail, exc):
    s = small()
    with unchanged(s):
        with pytest.raises(exc):
            s.expand_head(nhead, ntail)
    s.kfree()


@pytest.mark.parametrize("kind", SHAPES)
def test_expand_head_injected_failure(kind):
    s, all_ = shaped(kind)
    with unchanged(*all_):
        with fail_nth_alloc(1):
            with pytest.raises(MemoryError):
                s.expand_head(64, 0)
    free(*all_)


def test_expand_head_on_a_clone():
    s = small()
    c = s.clone()
    before = counter_snapshot()
    with unchanged(s, ignore=("dataref", "is_cloned", "header_cloned", "data_readonly",
                              "repr"), counters_too=False):
        c.expand_head()
    assert head_addr(c) != head_addr(s)
    assert private(c) == PRIVATE
    assert (c.truesize, c.end_offset, c.to_bytes()) == (960, 384, b"abcdefgh")
    assert head_bytes(c) == PATTERN[:32] + b"abcdefgh" + bytes(384 - 40)
    # the other clone: data private again, sticky cloned bit
    assert (s.dataref, s.cloned, s.is_cloned(), s.header_cloned()) == (1, 1, False, False)
    assert counter_delta(before) == {"live_heads": 1, "head_bytes": 704, "raw_blocks": 1}
    v = c.data
    assert v.readonly is False
    v[:] = b"ABCDEFGH"
    assert s.to_bytes() == b"abcdefgh"
    assert c.to_bytes() == b"ABCDEFGH"
    ok(s, c)
    free(s, c)


def test_expand_head_nohdr_original_with_clone():
    s = small()
    s.header_release()
    c = s.clone()
    s.expand_head()
    assert (s.nohdr, s.dataref, s.cloned, s.hdr_len) == (0, 1, 0, 0)
    assert (c.dataref, c.is_cloned()) == (1, False)
    ok(s, c)
    free(s, c)


def test_expand_head_clone_of_nohdr_original():
    s = small()
    s.header_release()
    c = s.clone()
    c.expand_head()
    assert private(c) == PRIVATE
    assert (s.nohdr, s.dataref, s.is_cloned()) == (1, 0x10001, False)
    ok(s, c)
    before = counter_snapshot()
    s.kfree()
    assert counter_delta(before)["live_heads"] == -1
    c.kfree()


def test_expand_head_nohdr_alone():
    s = small()
    s.header_release()
    s.expand_head()
    assert private(s) == PRIVATE
    ok(s)
    s.kfree()


def test_expand_head_fclone_keeps_pair_state():
    f = skb.alloc_skb(100, fclone=True)
    c = f.clone()
    f.expand_head(64)
    assert (f.fclone, f.fclone_ref, c.fclone, f.dataref, c.dataref) == (1, 2, 2, 1, 1)
    ok(f, c)
    free(c, f)


def test_old_views_still_readable_after_expand_head():
    s = small()
    v = s.data
    zombies = skb.counters().zombie_heads
    s.expand_head(64)
    assert bytes(v) == b"abcdefgh"
    v[0] = ord("Z")  # writes the old head only
    assert s.to_bytes() == b"abcdefgh"
    assert bytes(s.data) == b"abcdefgh"  # remapped onto the new head
    assert skb.counters().zombie_heads == zombies + 1
    del v
    assert skb.counters().zombie_heads == zombies
    s.kfree()


# ---------------------------------------------------------------- cow / cow_head

@pytest.mark.parametrize("method", ["cow", "cow_head"])
@pytest.mark.parametrize("h", [0, 1, 32])
def test_cow_not_needed_does_nothing(method, h):
    s = small()
    with unchanged(s):
        with fail_nth_alloc(1):  # proves nothing is allocated
            getattr(s, method)(h)
    s.kfree()


@pytest.mark.parametrize("method", ["cow", "cow_head"])
@pytest.mark.parametrize("h,nhead", [(33, 64), (40, 64), (96, 64), (97, 128)])
def test_cow_short_headroom_expands_in_64_steps(method, h, nhead):
    s = small()
    getattr(s, method)(h)
    # 384 + 64 = 448 and 384 + 128 = 512 both land in kmalloc-1024: end 704
    assert (s.data_offset, s.end_offset, s.truesize) == (32 + nhead, 704, 1280)
    assert head_bytes(s)[:nhead + 40] == bytes(nhead) + PATTERN[:32] + b"abcdefgh"
    ok(s)
    s.kfree()


def test_cow_from_zero_headroom():
    s = skb.alloc_skb(0)
    s.cow(1)
    assert (s.headroom, s.end_offset) == (64, 704)
    s.kfree()


def test_cow_on_clone_reallocates():
    s = small()
    c = s.clone()
    old = head_addr(s)
    s.cow()
    assert head_addr(s) != old
    assert private(s) == PRIVATE
    assert (c.dataref, c.cloned, c.is_cloned()) == (1, 1, False)
    assert head_addr(c) == old
    assert s.data_offset == 32
    ok(s, c)
    free(s, c)


def test_cow_head_on_plain_clone_reallocates():
    s = small()
    c = s.clone()
    old = head_addr(c)
    c.cow_head()
    assert head_addr(c) != old
    assert private(c) == PRIVATE
    ok(s, c)
    free(s, c)


def test_cow_head_vs_cow_on_clone_of_nohdr_original():
    s = small()
    s.header_release()
    c = s.clone()
    with unchanged(c, s):
        with fail_nth_alloc(1):
            c.cow_head(32)  # header area not shared, headroom enough: nothing
    old = head_addr(c)
    c.cow()  # the data is shared: reallocate
    assert head_addr(c) != old
    assert private(c) == PRIVATE
    ok(s, c)
    free(s, c)


def test_cow_head_on_nohdr_original_after_clone_died():
    s = small()
    s.header_release()
    s.clone().kfree()
    assert (s.is_cloned(), s.header_cloned()) == (False, True)
    old = head_addr(s)
    with unchanged(s):
        with fail_nth_alloc(1):
            s.cow()  # is_cloned() is false: nothing to do
    s.cow_head()
    assert head_addr(s) != old
    assert private(s) == PRIVATE
    ok(s)
    s.kfree()


@pytest.mark.parametrize("method", ["cow", "cow_head"])
def test_cow_on_shared_clone_is_bug(method):
    s = small()
    s.get()
    c = s.clone()
    with unchanged(s, c):
        with pytest.raises(SkbBug, match="users 2"):
            getattr(s, method)()
    free(c, s, s)


@pytest.mark.parametrize("method", ["cow", "cow_head"])
def test_cow_on_shared_short_headroom_is_bug(method):
    s = small()
    s.get()
    with unchanged(s):
        with pytest.raises(SkbBug):
            getattr(s, method)(100)
    free(s, s)


@pytest.mark.parametrize("kind", SHAPES)
@pytest.mark.parametrize("method", ["cow", "cow_head"])
def test_cow_huge_headroom(method, kind):
    s, all_ = shaped(kind)  # headroom 32
    assert s.headroom == 32
    with unchanged(*all_):
        # round_up(delta, 64) == 2**31 - 64 fits: the allocation fails
        with pytest.raises(MemoryError):
            getattr(s, method)(32 + 2**31 - 64)
        # round_up(delta, 64) == 2**31 > 2**31 - 1: BUG
        with pytest.raises(SkbBug):
            getattr(s, method)(32 + 2**31 - 63)
        with pytest.raises(SkbBug):
            getattr(s, method)(2**32 - 1)
    free(*all_)


@pytest.mark.parametrize("method", ["cow", "cow_head"])
@pytest.mark.parametrize("h,exc", [(-1, OverflowError), (2**32, OverflowError),
                                   (1.5, TypeError)])
def test_cow_argument_range(method, h, exc):
    s = small()
    with unchanged(s):
        with pytest.raises(exc):
            getattr(s, method)(h)
    s.kfree()


@pytest.mark.parametrize("method", ["cow", "cow_head"])
def test_cow_injected_failure(method):
    s = small()
    c = s.clone()
    with unchanged(s, c):
        with fail_nth_alloc(1):
            with pytest.raises(MemoryError):
                getattr(s, method)()
    free(s, c)


# ---------------------------------------------------------------- unshare

def test_unshare_private_returns_self():
    s = source()
    with unchanged(s):
        with fail_nth_alloc(1):
            assert s.unshare() is s
    s.clone().kfree()  # sticky cloned bit, dataref 1: still not cloned
    assert s.unshare() is s
    s.kfree()


def test_unshare_cloned_returns_a_copy_and_consumes():
    s = source()
    c = s.clone()
    before = counter_snapshot()
    u = c.unshare()
    assert u is not c
    assert isinstance(c, skb.FreedSkBuff)
    with pytest.raises(skb.SkbDoubleFree):
        c.kfree()
    assert private(u) == PRIVATE
    assert (u.end_offset, u.truesize, u.data_offset) == (1728, 2304, 64)
    assert head_bytes(u) == PATTERN + PAYLOAD + bytes(1728 - 71)
    assert_same_metadata(u, s)
    assert (s.dataref, s.is_cloned()) == (1, False)
    assert counter_delta(before) == {"live_heads": 1, "head_bytes": 2048, "raw_blocks": 1}
    ok(s, u)
    free(s, u)


def test_unshare_shared_and_cloned_keeps_the_original():
    s = source()
    s.get()
    c = s.clone()
    u = s.unshare()
    assert u is not s
    assert type(s) is skb.SkBuff
    assert (s.users, s.dataref, c.dataref) == (1, 2, 2)
    assert private(u) == PRIVATE
    ok(s, c, u)
    free(s, c, u)


@pytest.mark.parametrize("nth", [1, 2])
def test_unshare_injected_failure_frees_the_original(nth):
    s = source()
    c = s.clone()
    before = counter_snapshot()
    with unchanged(s, ignore=("dataref", "is_cloned", "header_cloned", "data_readonly",
                              "repr"), counters_too=False):
        with fail_nth_alloc(nth):
            with pytest.raises(MemoryError, match="the original was freed"):
                c.unshare()
    assert isinstance(c, skb.FreedSkBuff)
    with pytest.raises(skb.SkbUseAfterFree):
        c.len
    assert (s.dataref, s.is_cloned()) == (1, False)
    assert counter_delta(before) == {"live_skbs": -1, "raw_blocks": -1}
    ok(s)
    s.kfree()


def test_unshare_injected_failure_shared_original_survives():
    s = source()
    s.get()
    c = s.clone()
    with unchanged(c, counters_too=False):
        with fail_nth_alloc(1):
            with pytest.raises(MemoryError):
                s.unshare()
    assert (type(s), s.users, s.dataref) == (skb.SkBuff, 1, 2)
    ok(s, c)
    free(s, c)


# ---------------------------------------------------------------- share_check

def test_share_check_unshared_returns_self():
    s = source()
    with unchanged(s):
        with fail_nth_alloc(1):
            assert s.share_check() is s
    s.kfree()


def test_share_check_shared_returns_a_clone():
    s = source()
    s.get()
    before = counter_snapshot()
    c = s.share_check()
    assert c is not s
    assert type(s) is skb.SkBuff
    assert (s.users, c.users, s.dataref, c.dataref) == (1, 1, 2, 2)
    assert (c.fclone, head_addr(c), c.to_bytes()) == (0, head_addr(s), PAYLOAD)
    assert counter_delta(before) == {"live_skbs": 1, "raw_blocks": 1}
    ok(s, c)
    free(s, c)


def test_share_check_users_three():
    s = source()
    s.get()
    s.get()
    c = s.share_check()
    assert (s.users, c.users) == (2, 1)
    free(c, s, s)


def test_share_check_fclone_uses_the_companion():
    s = source(fclone=True)
    s.get()
    c = s.share_check()
    assert (c.fclone, s.fclone_ref, s.users) == (2, 2, 1)
    free(s, c)


def test_share_check_injected_failure_drops_the_reference():
    """The kernel's skb_share_check kfree's the original when the clone
    fails: one of Python's two references is gone."""
    s = source()
    s.get()
    with unchanged(s, ignore=("users", "shared", "repr")):
        with fail_nth_alloc(1):
            with pytest.raises(MemoryError):
                s.share_check()
    assert (type(s), s.users, s.shared()) == (skb.SkBuff, 1, False)
    ok(s)
    s.kfree()
