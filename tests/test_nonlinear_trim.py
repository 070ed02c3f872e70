"""pskb_trim on nonlinear skbs (___pskb_trim) and skb_condense: cuts in the
linear part, in the frags and in the frag_list; shared members replaced by
clones; cloned skbs made private first; -ENOMEM."""

import pytest

import skb
from skb import Frag, SkBuff, SkbUseAfterFree
from skb.testing import fail_nth_alloc
from nlhelp import counter_snapshot, live_delta, member, ok_all, paged, pattern, still


def two_frags():
    """10 linear bytes in a 384-byte head, frags a (10) and b (10) each
    charged 4096: len 30, truesize 960 + 8192."""
    s = paged(b"H" * 10, [b"a" * 10, b"b" * 10], size=100, frag_truesize=4096)
    assert (s.len, s.truesize, s.end_offset) == (30, 9152, 384)
    return s


@pytest.mark.parametrize("n", [30, 31, 2**32 - 1])
def test_pskb_trim_not_shorter_changes_nothing(n):
    s = two_frags()
    with still(s):
        s.pskb_trim(n)
    s.kfree()


@pytest.mark.parametrize("n, exc", [(-1, OverflowError), (2**32, OverflowError),
                                    (1.5, TypeError)])
def test_pskb_trim_argument_checks(n, exc):
    s = two_frags()
    with still(s):
        with pytest.raises(exc):
            s.pskb_trim(n)
    s.kfree()


def test_pskb_trim_linear_is_trim():
    s = paged(b"abcdef", size=100)
    s.pskb_trim(2)
    assert (s.len, s.tail_offset, s.truesize, bytes(s.data)) == (2, 2, 960, b"ab")
    s.kfree()


@pytest.mark.parametrize("n, kept", [(15, 5), (20, 10)])
def test_pskb_trim_in_the_frags_then_condense_pulls(n, kept):
    """The cut frag keeps n - 10 bytes (a cut on a frag's end keeps that frag
    whole), b goes; the rest (kept bytes) fits in the tailroom, so
    skb_condense pulls it and resets truesize to SKB_TRUESIZE(end)."""
    s = two_frags()
    before = counter_snapshot()
    s.pskb_trim(n)
    assert (s.len, s.data_len, s.headlen, s.nr_frags, s.frag_list) == (n, 0, n, 0, [])
    assert (s.truesize, s.end_offset, s.tail_offset) == (960, 384, n)
    assert bytes(s.data) == (b"H" * 10 + b"a" * 10)[:n]
    assert live_delta(before) == {"live_pages": -2, "page_bytes": -8192}
    ok_all(s)
    s.kfree()


def test_pskb_trim_into_the_second_frag():
    s = two_frags()
    s.pskb_trim(25)
    assert (s.len, s.data_len, s.truesize) == (25, 0, 960)
    assert bytes(s.data) == b"H" * 10 + b"a" * 10 + b"b" * 5
    s.kfree()


@pytest.mark.parametrize("n", [10, 4, 0])
def test_pskb_trim_into_the_linear_part_drops_everything_paged(n):
    m = member(b"m" * 5, [b"M" * 5], size=0)
    s = paged(b"H" * 10, [b"a" * 10], size=100, frag_truesize=4096, members=[m])
    assert s.truesize == 960 + 4096 + 965
    before = counter_snapshot()
    s.pskb_trim(n)
    assert (s.len, s.data_len, s.headlen, s.tail_offset) == (n, 0, n, n)
    assert (s.frags, s.frag_list, s.truesize) == ([], [], 960)
    assert bytes(s.data) == b"H" * n
    with pytest.raises(SkbUseAfterFree):
        m.len
    assert live_delta(before) == {"live_skbs": -1, "live_heads": -1, "head_bytes": -704,
                                  "live_pages": -2, "page_bytes": -8192}
    ok_all(s)
    s.kfree()


def test_pskb_trim_when_condense_cannot_pull_keeps_truesize():
    """380 linear bytes, end 384: 500 paged bytes left cannot fit in the 4
    bytes of tailroom, so skb_condense returns before touching truesize."""
    s = paged(pattern(380), [pattern(1000, 1), pattern(1000, 2)], size=100,
              frag_truesize=4096)
    p0, p1 = (f.page for f in s.frags)
    assert (s.end_offset, s.truesize) == (384, 960 + 8192)
    before = counter_snapshot()
    s.pskb_trim(880)
    assert (s.len, s.data_len, s.headlen) == (880, 500, 380)
    assert s.frags == [Frag(p0, 0, 500)]
    assert s.truesize == 960 + 8192  # left alone
    assert s.to_bytes() == pattern(380) + pattern(1000, 1)[:500]
    assert live_delta(before) == {"live_pages": -1, "page_bytes": -4096}
    ok_all(s)
    # 4 paged bytes do fit: the next trim condenses
    s.pskb_trim(384)
    assert (s.len, s.data_len, s.tailroom, s.truesize) == (384, 0, 0, 960)
    s.kfree()


def chain(head, size):
    """head linear; a 10-byte frag (truesize 10); members a (5 linear + 5 in
    a frag, truesize 965), b and c (5 linear each, 960)."""
    a = member(b"a" * 5, [b"A" * 5], size=0)
    b = member(b"b" * 5, size=0)
    c = member(b"c" * 5, size=0)
    s = paged(head, [b"f" * 10], size=size, members=[a, b, c])
    return s, a, b, c


def test_pskb_trim_inside_the_frag_list_then_condense_pulls_everything():
    s, a, b, c = chain(b"H" * 10, 100)
    assert (s.len, s.truesize) == (40, 960 + 10 + 965 + 960 + 960)
    before = counter_snapshot()
    s.pskb_trim(27)  # frags end at 20: a keeps 7, b and c go; then all is pulled
    assert (s.len, s.data_len, s.frags, s.frag_list) == (27, 0, [], [])
    assert (s.truesize, s.end_offset) == (960, 384)
    assert bytes(s.data) == b"H" * 10 + b"f" * 10 + b"a" * 5 + b"AA"
    for m in (a, b, c):
        with pytest.raises(SkbUseAfterFree):
            m.len
    assert live_delta(before) == {"live_skbs": -3, "live_heads": -3, "head_bytes": -2112,
                                  "live_pages": -2, "page_bytes": -8192}
    ok_all(s)
    s.kfree()


def test_pskb_trim_inside_the_frag_list_when_condense_cannot_pull():
    s, a, b, c = chain(pattern(384), 384)  # no tailroom at all
    pf = s.frags[0].page
    pa = a.frags[0].page
    assert (s.len, s.truesize, s.tailroom) == (414, 3855, 0)
    before = counter_snapshot()
    s.pskb_trim(401)
    assert (s.len, s.data_len, s.headlen) == (401, 17, 384)
    assert s.frags == [Frag(pf, 0, 10)] and s.frag_list == [a]
    assert s.truesize == 3855  # condense could not pull: untouched
    # a was trimmed to 7 (recursively): its own condense pulled its frag in
    assert (a.len, a.data_len, a.frags, a.truesize, type(a)) == (7, 0, [], 960,
                                                                 skb.BorrowedSkBuff)
    assert a.to_bytes() == b"a" * 5 + b"AA"
    with pytest.raises(SkbUseAfterFree):
        pa.refcount
    for m in (b, c):
        with pytest.raises(SkbUseAfterFree):
            m.len
    assert s.to_bytes() == pattern(384) + b"f" * 10 + b"a" * 5 + b"AA"
    assert live_delta(before) == {"live_skbs": -2, "live_heads": -2, "head_bytes": -1408,
                                  "live_pages": -1, "page_bytes": -4096}
    ok_all(s)
    s.kfree()


def test_pskb_trim_at_a_member_boundary_drops_the_rest():
    s, a, b, c = chain(pattern(384), 384)
    s.pskb_trim(384 + 10 + 10)  # exactly after a
    assert s.frag_list == [a] and (a.len, a.data_len) == (10, 5)  # a not trimmed
    assert (s.len, s.data_len) == (404, 20)
    with pytest.raises(SkbUseAfterFree):
        b.len
    s.kfree()


def test_pskb_trim_replaces_shared_members_by_clones():
    a, b, c = member(b"a" * 5, size=0), member(b"b" * 5, size=0), member(b"c" * 5, size=0)
    s = paged(pattern(384), size=384, members=[a, b, c])
    a.get()
    b.get()
    before = counter_snapshot()
    s.pskb_trim(384 + 8)  # a passed (shared: cloned), b cut at 3 (shared: cloned)
    a2, b2 = s.frag_list
    assert a2 is not a and b2 is not b
    assert (a2.len, a2.to_bytes(), b2.len, b2.to_bytes()) == (5, b"a" * 5, 3, b"bbb")
    # the originals only lost the list's reference and were not trimmed
    assert (a.users, a.len, a.to_bytes(), type(a)) == (1, 5, b"a" * 5, SkBuff)
    assert (b.users, b.len, b.to_bytes(), type(b)) == (1, 5, b"b" * 5, SkBuff)
    assert (a.dataref, a2.dataref, b.dataref, b2.dataref) == (2, 2, 2, 2)
    assert (s.len, s.data_len) == (392, 8)
    with pytest.raises(SkbUseAfterFree):
        c.len
    # +2 clone structs, -c (struct and head)
    assert live_delta(before) == {"live_skbs": 1, "live_heads": -1, "head_bytes": -704}
    ok_all(s, a, b)
    a.kfree()
    b.kfree()
    s.kfree()


def test_pskb_trim_on_a_clone_makes_the_head_private_first():
    s = two_frags()
    pa, pb = (f.page for f in s.frags)
    c = s.clone()
    before = counter_snapshot()
    s.pskb_trim(15)
    assert (s.len, s.data_len, s.truesize, s.dataref) == (15, 0, 960, 1)
    assert bytes(s.data) == b"H" * 10 + b"a" * 5
    # the clone is untouched and holds the frags alone now
    assert (c.len, c.data_len, c.dataref, c.is_cloned()) == (30, 20, 1, False)
    assert c.frags == [Frag(pa, 0, 10), Frag(pb, 0, 10)]
    assert (pa.refcount, pb.refcount) == (1, 1)
    assert c.to_bytes() == b"H" * 10 + b"a" * 10 + b"b" * 10
    assert live_delta(before) == {"live_heads": 1, "head_bytes": 704}
    ok_all(s, c)
    c.kfree()
    s.kfree()


def test_pskb_trim_on_a_clone_with_a_frag_list():
    s, a, b, c = chain(b"H" * 10, 100)
    cl = s.clone()
    s.pskb_trim(27)
    assert bytes(s.data) == b"H" * 10 + b"f" * 10 + b"a" * 5 + b"AA"
    assert (s.data_len, s.frag_list, s.truesize) == (0, [], 960)
    # cl keeps its whole chain, each member back to one user
    assert cl.frag_list == [a, b, c] and (a.users, b.users, c.users) == (1, 1, 1)
    assert (a.len, a.data_len) == (10, 5)
    assert cl.to_bytes() == b"H" * 10 + b"f" * 10 + b"a" * 5 + b"A" * 5 + b"b" * 5 + b"c" * 5
    ok_all(s, cl)
    cl.kfree()
    s.kfree()


@pytest.mark.parametrize("n", [15, 5])
def test_pskb_trim_on_a_clone_enomem_changes_nothing(n):
    s = two_frags()
    c = s.clone()
    with still(s, c):
        with fail_nth_alloc(1):
            with pytest.raises(MemoryError):
                s.pskb_trim(n)
    s.pskb_trim(n)  # works without the fault
    assert s.len == n
    c.kfree()
    s.kfree()


def test_pskb_trim_of_a_chain_shared_with_a_pskb_copy():
    """pskb_copy shares the chain (every member users 2): the trim clones each
    member up to the cut, drops its reference on the rest, and the copy's
    chain is left whole."""
    a, b, c = member(b"a" * 5, size=0), member(b"b" * 5, size=0), member(b"c" * 5, size=0)
    s = paged(pattern(384), size=384, members=[a, b, c])
    pc = s.pskb_copy()
    assert (a.users, b.users, c.users) == (2, 2, 2)
    before = counter_snapshot()
    s.pskb_trim(384 + 8)
    a2, b2 = s.frag_list
    assert a2 is not a and b2 is not b
    assert (a2.to_bytes(), b2.to_bytes()) == (b"a" * 5, b"bbb")
    assert pc.frag_list == [a, b, c] and (a.users, b.users, c.users) == (1, 1, 1)
    assert (a.len, b.len, c.len) == (5, 5, 5)
    assert pc.to_bytes() == pattern(384) + b"a" * 5 + b"b" * 5 + b"c" * 5
    assert s.to_bytes() == pattern(384) + b"a" * 5 + b"bbb"
    assert live_delta(before) == {"live_skbs": 2}
    ok_all(s, pc)
    # the copy's chain is its own again: appending to it is allowed
    pc.frag_list_append(member(b"d", size=0))
    assert pc.to_bytes()[-1:] == b"d"
    s.kfree()
    pc.kfree()
