"""pskb_may_pull, __pskb_pull_tail and skb_linearize: head growth (eat + 128),
frags eaten whole or in part, frag_list members consumed, pulled or replaced
by a clone, SKB_GSO_DODGY, sharing rules and -ENOMEM."""

import pytest

import skb
from skb import Frag, FreedPage, SkBuff, SkbBug, SkbUseAfterFree
from skb.testing import fail_nth_alloc
from skbhelp import head_bytes
from nlhelp import (SKB_GSO_DODGY, counter_snapshot, live_delta, member, ok_all,
                    page_with, paged, pattern, still)

P100 = pattern(100, 1)
F1000 = pattern(1000, 2)


def grown():
    """alloc_skb(100): end 384; 100 linear bytes; one 1000-byte frag charged
    1000: len 1100, truesize 960 + 1000."""
    s = skb.alloc_skb(100)
    s.put_data(P100)
    p = page_with(F1000)
    s.add_rx_frag(0, p, 0, 1000, 1000)
    assert (s.len, s.data_len, s.truesize, s.end_offset) == (1100, 1000, 1960, 384)
    return s, p


# ---------------------------------------------------------------- may_pull basics

@pytest.mark.parametrize("n", [0, 1, 99, 100])
def test_may_pull_within_the_linear_part_is_true_and_changes_nothing(n):
    s, p = grown()
    with still(s, pages=[p]):
        assert s.may_pull(n) is True
    s.kfree()


@pytest.mark.parametrize("n", [1101, 5000, 2**32 - 1])
def test_may_pull_past_len_is_false_and_changes_nothing(n):
    s, p = grown()
    with still(s, pages=[p]):
        assert s.may_pull(n) is False
    s.kfree()


@pytest.mark.parametrize("n, exc", [(-1, OverflowError), (2**32, OverflowError),
                                    (1.0, TypeError), ("1", TypeError)])
def test_may_pull_argument_checks(n, exc):
    s, p = grown()
    with still(s, pages=[p]):
        with pytest.raises(exc):
            s.may_pull(n)
    s.kfree()


# n, end after, truesize after, (frag offset, size) left or None
@pytest.mark.parametrize("n, end, truesize, frag", [
    (384, 384, 1960, (284, 716)),    # eat = 100 + 284 - 384 = 0: fits, no realloc
    (385, 704, 2280, (285, 715)),    # eat 1: 384 + 129 = 513 -> 896 -> kmalloc-1024
    (400, 704, 2280, (300, 700)),    # eat 16: 384 + 144 = 528 -> 896 -> kmalloc-1024
    (1099, 1728, 3304, (999, 1)),    # eat 715: 384 + 843 = 1227 -> 1600 -> kmalloc-2048
    (1100, 1728, 3304, None),        # eat 716: 384 + 844 = 1228 -> 1600 -> kmalloc-2048
])
def test_may_pull_grows_the_head_by_eat_plus_128(n, end, truesize, frag):
    s, p = grown()
    before = counter_snapshot()
    assert s.may_pull(n) is True
    assert (s.len, s.headlen, s.data_len, s.tail_offset) == (1100, n, 1100 - n, n)
    assert (s.end_offset, s.truesize, s.headroom) == (end, truesize, 0)
    assert s.tailroom == (end - n if frag is None else 0)
    assert bytes(s.data) == (P100 + F1000)[:n]
    assert s.to_bytes() == P100 + F1000
    assert head_bytes(s)[n:] == bytes(end - n)  # fresh tail bytes are zero
    growth = {} if end == 384 else {"head_bytes": end + 320 - 704}
    if frag is None:
        assert s.frags == [] and type(p) is not SkBuff
        with pytest.raises(SkbUseAfterFree):
            p.refcount
        assert type(p) is FreedPage
        growth.update(live_pages=-1, page_bytes=-4096)
    else:
        assert s.frags == [Frag(p, *frag)] and p.refcount == 1
    assert live_delta(before) == growth
    ok_all(s)
    s.kfree()


def test_may_pull_from_a_fully_paged_skb():
    s = paged(b"", [pattern(1000, k) for k in range(4)], size=0, frag_truesize=4096)
    pages = [f.page for f in s.frags]
    assert (s.headlen, s.len, s.end_offset, s.truesize) == (0, 4000, 384, 960 + 4 * 4096)
    before = counter_snapshot()
    assert s.may_pull(54) is True
    assert (s.headlen, s.data_len, s.tail_offset, s.end_offset) == (54, 3946, 54, 384)
    assert s.truesize == 960 + 4 * 4096
    assert bytes(s.data) == pattern(1000, 0)[:54]
    assert s.frags == [Frag(pages[0], 54, 946)] + [Frag(q, 0, 1000) for q in pages[1:]]
    assert live_delta(before) == {}
    # 1054: frag 0 eaten whole (its page freed), frag 1 in part
    assert s.may_pull(1054) is True
    assert s.frags == [Frag(pages[1], 54, 946), Frag(pages[2], 0, 1000),
                       Frag(pages[3], 0, 1000)]
    # eat = 54 + 1000 - 384 = 670: 384 + 798 = 1182 -> 1216 + 320 -> kmalloc-2048
    assert (s.end_offset, s.truesize) == (1728, 960 + 4 * 4096 + 1344)
    assert live_delta(before) == {"head_bytes": 1344, "live_pages": -1, "page_bytes": -4096}
    assert s.to_bytes() == b"".join(pattern(1000, k) for k in range(4))
    ok_all(s)
    s.kfree()


def test_pull_tail_across_several_frags():
    s = paged(b"hdr!", [pattern(10, 1), pattern(20, 2), pattern(30, 3)], size=100)
    a, b, c = (f.page for f in s.frags)
    whole = s.to_bytes()
    before = counter_snapshot()
    s.pull_tail(35)
    assert (s.len, s.headlen, s.data_len, s.nr_frags) == (64, 39, 25, 1)
    assert s.frags == [Frag(c, 5, 25)]
    assert live_delta(before) == {"live_pages": -2, "page_bytes": -8192}
    assert bytes(s.data) == whole[:39] and s.to_bytes() == whole
    s.pull_tail(25)  # exactly the rest
    assert (s.len, s.headlen, s.data_len, s.frags, s.tailroom) == (64, 64, 0, [], 320)
    assert bytes(s.data) == whole
    assert live_delta(before) == {"live_pages": -3, "page_bytes": -3 * 4096}
    ok_all(s)
    s.kfree()


def test_pull_tail_leaves_later_frags_alone():
    s = paged(b"", [pattern(10, 1), pattern(10, 2)], size=0)
    a, b = (f.page for f in s.frags)
    s.pull_tail(3)
    assert s.frags == [Frag(a, 3, 7), Frag(b, 0, 10)]
    ok_all(s)
    s.kfree()


def test_pull_tail_keeps_a_later_empty_frag_when_frag_0_is_eaten_partly():
    s = paged(b"", [pattern(10, 1)], size=0)
    a = s.frags[0].page
    b = page_with()
    s.fill_page_desc(1, b, 0, 0)
    try:
        s.pull_tail(5)
        assert s.frags == [Frag(a, 5, 5), Frag(b, 0, 0)]
        assert b.refcount == 1
    finally:
        s.kfree()


def test_pull_tail_releases_an_empty_frag_after_a_later_cut():
    """When the cut is in a frag other than frag 0, the walk goes on and a
    0-byte frag after it is released (0 <= 0 bytes left to eat), as in the
    kernel."""
    s = paged(b"", [pattern(10, 1), pattern(10, 2)], size=0)
    a, b = (f.page for f in s.frags)
    z = page_with()
    s.fill_page_desc(2, z, 0, 0)
    z_handle_refs = z.refcount
    s.pull_tail(15)
    assert s.frags == [Frag(b, 5, 5)]
    assert z_handle_refs == 1
    with pytest.raises(SkbUseAfterFree):
        z.refcount
    ok_all(s)
    s.kfree()


# ---------------------------------------------------------------- pull_tail errors

@pytest.mark.parametrize("delta", [1001, 2**32 - 1])
def test_pull_tail_past_data_len_is_a_bug(delta):
    s, p = grown()
    with still(s, pages=[p]):
        with pytest.raises(SkbBug):
            s.pull_tail(delta)
    s.kfree()


@pytest.mark.parametrize("delta, exc", [(-1, OverflowError), (2**32, OverflowError),
                                        (None, TypeError)])
def test_pull_tail_argument_checks(delta, exc):
    s, p = grown()
    with still(s, pages=[p]):
        with pytest.raises(exc):
            s.pull_tail(delta)
    s.kfree()


def test_pull_on_a_shared_skb():
    """users 2: pulling is fine while no reallocation is needed; the
    reallocation (pskb_expand_head) is a BUG on a shared skb."""
    s, p = grown()
    s.get()
    assert s.may_pull(200) is True
    assert (s.headlen, s.users, s.end_offset) == (200, 2, 384)
    with still(s, pages=[p]):
        with pytest.raises(SkbBug):
            s.may_pull(500)
        with pytest.raises(SkbBug):
            s.pull_tail(300)
        with pytest.raises(SkbBug):
            s.linearize()
    s.kfree()
    s.kfree()


def test_pull_tail_on_a_clone_makes_the_head_private():
    s, p = grown()
    c = s.clone()
    before = counter_snapshot()
    s.pull_tail(100)  # fits in the tailroom, but the head is shared
    assert (s.end_offset, s.truesize, s.headlen, s.data_len) == (384, 1960, 200, 900)
    assert (s.dataref, c.dataref, s.is_cloned(), c.is_cloned()) == (1, 1, False, False)
    assert s.frags == [Frag(p, 100, 900)]
    assert c.frags == [Frag(p, 0, 1000)]
    assert p.refcount == 2  # the private shared info took a reference
    assert (c.len, c.headlen, c.data_len) == (1100, 100, 1000)
    assert bytes(c.data) == P100 and c.to_bytes() == s.to_bytes() == P100 + F1000
    assert live_delta(before) == {"live_heads": 1, "head_bytes": 704}
    ok_all(s, c)
    c.kfree()
    assert p.refcount == 1
    s.kfree()


@pytest.mark.parametrize("call", [
    lambda s: s.pull_tail(300),
    lambda s: s.linearize(),
])
def test_pull_tail_and_linearize_enomem_change_nothing(call):
    s, p = grown()
    with still(s, pages=[p]):
        with fail_nth_alloc(1):
            with pytest.raises(MemoryError):
                call(s)
    s.kfree()


def test_may_pull_enomem_is_false_and_changes_nothing():
    s, p = grown()
    with still(s, pages=[p]):
        with fail_nth_alloc(1):
            assert s.may_pull(500) is False
    assert s.may_pull(500) is True  # the same pull works without the fault
    s.kfree()


def test_may_pull_enomem_on_a_clone():
    s, p = grown()
    c = s.clone()
    with still(s, c, pages=[p]):
        with fail_nth_alloc(1):
            assert s.may_pull(150) is False
    c.kfree()
    s.kfree()


def test_linearize():
    s = paged(b"ab", [b"cd", b"ef"], size=0, members=[member(b"gh", [b"ij"], size=0)])
    before = counter_snapshot()
    s.linearize()
    assert (s.len, s.data_len, s.headlen, s.nr_frags, s.frag_list) == (10, 0, 10, 0, [])
    assert bytes(s.data) == b"abcdefghij"
    # 2 + 8 bytes fit in the 384-byte head: no reallocation
    assert s.end_offset == 384
    assert live_delta(before) == {"live_skbs": -1, "live_heads": -1, "head_bytes": -704,
                                  "live_pages": -3, "page_bytes": -3 * 4096}
    ok_all(s)
    with still(s):
        s.linearize()  # linear: nothing to do
    s.kfree()


# ---------------------------------------------------------------- frag_list

def chained(gso_size=0):
    """s: 10 linear + one 10-byte frag; members a (5 linear + 5 in a frag)
    and b (5 linear).  len 35, data_len 25."""
    a = member(b"a" * 5, [b"A" * 5], size=0)
    b = member(b"b" * 5, size=0)
    s = paged(b"H" * 10, [b"f" * 10], size=100, members=[a, b])
    s.gso_size = gso_size
    assert (s.len, s.data_len, s.truesize) == (35, 25, 970 + 965 + 960)
    return s, a, b


WHOLE = b"H" * 10 + b"f" * 10 + b"a" * 5 + b"A" * 5 + b"b" * 5


def test_pull_into_a_member():
    s, a, b = chained()
    pf = s.frags[0].page
    pa = a.frags[0].page
    before = counter_snapshot()
    assert s.may_pull(27) is True  # 10 from the frag, 7 from a
    assert (s.len, s.headlen, s.data_len, s.frags) == (35, 27, 8, [])
    assert s.frag_list == [a, b]
    assert s.truesize == 970 + 965 + 960  # __pskb_pull_tail leaves truesize
    assert (a.len, a.headlen, a.data_len, a.data_offset) == (3, 0, 3, 7)
    assert a.frags == [Frag(pa, 2, 3)]  # a was pulled 2 into its head, then 7 off it
    assert a.to_bytes() == b"AAA"
    assert s.gso_type == 0  # not GSO: no DODGY
    assert bytes(s.data) == WHOLE[:27] and s.to_bytes() == WHOLE
    with pytest.raises(SkbUseAfterFree):
        pf.refcount
    assert live_delta(before) == {"live_pages": -1, "page_bytes": -4096}
    ok_all(s, a, b)
    s.kfree()


def test_pull_consumes_members_eaten_whole():
    s, a, b = chained()
    before = counter_snapshot()
    assert s.may_pull(30) is True  # the frag, then exactly all of a
    assert s.frag_list == [b] and (s.headlen, s.data_len) == (30, 5)
    with pytest.raises(SkbUseAfterFree):
        a.len
    assert (b.len, b.data_offset) == (5, 0)  # b is not touched
    assert live_delta(before) == {"live_skbs": -1, "live_heads": -1, "head_bytes": -704,
                                  "live_pages": -2, "page_bytes": -8192}
    assert s.may_pull(32) is True
    assert (b.len, b.headlen, b.data_offset) == (3, 3, 2)
    assert s.to_bytes() == WHOLE
    ok_all(s, b)
    s.kfree()


def test_pull_everything_consumes_every_member():
    s, a, b = chained()
    assert s.may_pull(35) is True
    assert (s.data_len, s.frag_list, s.frags) == (0, [], [])
    assert bytes(s.data) == WHOLE
    for m in (a, b):
        with pytest.raises(SkbUseAfterFree):
            m.users
    ok_all(s)
    s.kfree()


@pytest.mark.parametrize("n, dodgy", [
    (20, False),  # only the frag: no member touched
    (22, True),   # 2 bytes of a, which has linear data
    (27, True),
    (30, False),  # a eaten whole, b not touched: no member pulled
    (31, True),   # b pulled (linear)
])
def test_dodgy_is_set_when_a_gso_skb_pulls_a_member_with_linear_data(n, dodgy):
    s, a, b = chained(gso_size=1000)
    assert s.may_pull(n) is True
    assert s.gso_type == (SKB_GSO_DODGY if dodgy else 0)
    assert s.to_bytes() == WHOLE
    s.kfree()


def test_dodgy_is_not_set_for_a_member_without_linear_data():
    m = member(b"", [b"x" * 8], size=0)
    s = paged(b"h", size=100, members=[m])
    s.gso_size, s.gso_type = 1000, 1
    assert s.may_pull(4) is True
    assert s.gso_type == 1
    assert (m.len, m.frags[0].offset) == (5, 3)
    s.kfree()


def test_pull_replaces_a_shared_member_by_its_clone():
    s, a, b = chained(gso_size=1000)
    pa = a.frags[0].page
    a.get()  # users 2: Python's and the list's
    a_before = (a.len, a.data_len, a.headlen, a.data_offset, a.tail_offset, a.to_bytes())
    before = counter_snapshot()
    assert s.may_pull(27) is True
    clone = s.frag_list[0]
    assert clone is not a and s.frag_list == [clone, b]
    assert (clone.len, clone.data_len, clone.data_offset) == (3, 3, 7)
    assert clone.frags == [Frag(pa, 2, 3)] and clone.to_bytes() == b"AAA"
    assert (clone.users, clone.dataref, clone.is_cloned()) == (1, 1, False)
    # the original only lost the list's reference; its bytes did not move
    assert (a.len, a.data_len, a.headlen, a.data_offset, a.tail_offset,
            a.to_bytes()) == a_before
    assert (a.users, type(a), a.frags) == (1, SkBuff, [Frag(pa, 0, 5)])
    assert (a.dataref, a.is_cloned()) == (1, False)
    assert pa.refcount == 2  # a's frag and the clone's private copy of it
    assert s.gso_type == SKB_GSO_DODGY
    assert s.to_bytes() == WHOLE
    # + the clone struct and its private head; - s's frag page
    assert live_delta(before) == {"live_skbs": 1, "live_heads": 1, "head_bytes": 704,
                                  "live_pages": -1, "page_bytes": -4096}
    ok_all(s, a, b, clone)
    a.kfree()
    assert pa.refcount == 1
    s.kfree()


def test_pull_of_a_member_changed_behind_the_owner_is_a_bug():
    s, a, b = chained()
    a.pull(2)  # a's len drops under s's feet
    with still(s, with_bytes=False):
        with pytest.raises(SkbBug):
            s.may_pull(30)
        with pytest.raises(SkbBug):
            s.pull_tail(1)
        with pytest.raises(SkbBug):
            s.linearize()
    s.kfree()


def tailroom_chain():
    """s with a big tailroom (no reallocation needed), a shared member with
    2 linear bytes and a 6-byte frag."""
    m = member(b"m" * 2, [b"M" * 6], size=0)
    s = paged(b"H" * 4, size=1000, members=[m])
    m.get()
    return s, m


def test_may_pull_enomem_cloning_a_shared_member():
    """Pulling 4 of m's bytes needs a clone of m, which fails: may_pull is
    False; the packet, frags and members are as they were (the bytes already
    copied past the tail are checked in the test below)."""
    s, m = tailroom_chain()
    with still(s, m, ignore=("head_bytes",)):
        with fail_nth_alloc(1):
            assert s.may_pull(8) is False
    assert s.may_pull(8) is True
    assert s.frag_list[0] is not m and s.to_bytes() == b"HHHHmmMMMMMM"
    m.kfree()
    s.kfree()


def test_may_pull_enomem_in_the_member_clones_own_pull():
    """The clone of m is made, but, being cloned, it needs a private head for
    its own 2-byte pull, and that allocation fails: the clone is freed and
    may_pull is False.  m keeps the sticky cloned bit skb_clone set on it (as
    in the kernel), with dataref back at 1; all else is unchanged."""
    s, m = tailroom_chain()
    assert not m.cloned
    with still(s, m, ignore=("head_bytes", "cloned", "repr")):
        with fail_nth_alloc(2):
            assert s.may_pull(8) is False
    assert (m.cloned, m.is_cloned(), m.dataref, m.users) == (True, False, 1, 2)
    assert s.may_pull(8) is True
    m.kfree()
    s.kfree()


def test_pull_tail_enomem_cloning_a_shared_member_keeps_the_kernels_traces():
    """Kernel-faithful exception to "unchanged after an exception": when
    cloning the shared member fails, __pskb_pull_tail has already copied the
    pulled bytes past the tail (invisible: outside the packet) and, the
    member being eaten partly with linear bytes, OR-ed SKB_GSO_DODGY into a
    GSO packet's gso_type.  Everything else is as it was."""
    s, m = tailroom_chain()
    s.gso_size = 100
    try:
        with still(s, m, ignore=("head_bytes", "gso_type")):
            with fail_nth_alloc(1):
                with pytest.raises(MemoryError):
                    s.pull_tail(4)
        assert s.gso_type == skb.SKB_GSO.DODGY
        assert s.to_bytes() == b"HHHHmmMMMMMM"
    finally:
        m.kfree()
        s.kfree()


def test_pull_into_a_member_whose_head_python_cloned():
    """The member has one user (the list) but its head is shared with a
    clone Python holds: it is pulled in place after getting a private head;
    the clone keeps the old bytes."""
    m = member(b"m" * 2, [b"M" * 6], size=0)
    pm = m.frags[0].page
    mc = m.clone()
    s = paged(b"H" * 4, size=1000, members=[m])
    before = counter_snapshot()
    assert s.may_pull(8) is True
    assert s.frag_list == [m]
    assert (m.len, m.data_offset, m.headlen, m.dataref) == (4, 4, 0, 1)
    assert m.frags == [Frag(pm, 2, 4)] and pm.refcount == 2
    assert (mc.len, mc.data_offset, mc.dataref, mc.to_bytes()) == (8, 0, 1, b"mmMMMMMM")
    assert mc.frags == [Frag(pm, 0, 6)]
    assert s.to_bytes() == b"HHHHmmMMMMMM"
    assert live_delta(before) == {"live_heads": 1, "head_bytes": 704}
    ok_all(s, m, mc)
    mc.kfree()
    s.kfree()
