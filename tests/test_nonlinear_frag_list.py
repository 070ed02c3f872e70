"""frag_list: append/prepend accounting and ownership, every refusal, walking,
and freeing the chain exactly once."""

import pytest

from skb import BorrowedSkBuff, FreedSkBuff, SkBuff, SkbBug, SkbSharedWrite, SkbUseAfterFree
from skb.testing import fail_nth_alloc
from nlhelp import counter_snapshot, live_delta, member, ok_all, paged, pattern, still


def owner():
    """alloc_skb(100): end 384, truesize 960, 10 linear bytes."""
    return paged(b"O" * 10, size=100)


def test_append_accounts_and_hands_over_the_reference():
    s = owner()
    m = member(b"M" * 20, size=100)  # truesize 960
    before = counter_snapshot()
    s.frag_list_append(m)
    assert (s.len, s.data_len, s.headlen, s.truesize) == (30, 20, 10, 1920)
    assert (s.tailroom, s.nr_frags) == (0, 0)
    assert type(m) is BorrowedSkBuff and m.users == 1
    assert (m.len, m.truesize) == (20, 960)  # the member itself is untouched
    assert s.frag_list == [m] and s.frag_list[0] is m
    assert list(s.walk_frags()) == [m]
    assert s.to_bytes() == b"O" * 10 + b"M" * 20
    assert live_delta(before) == {}
    ok_all(s, m)
    # Python holds no reference to the member any more
    with still(s):
        with pytest.raises(SkbBug):
            m.kfree()
        with pytest.raises(SkbBug):
            m.consume()
    s.kfree()
    assert live_delta(before) == {"live_skbs": -2, "live_heads": -2, "head_bytes": -1408}
    with pytest.raises(SkbUseAfterFree):
        m.len
    assert type(m) is FreedSkBuff


def test_prepend_goes_in_front():
    s = owner()
    a = member(b"a" * 3, size=0)
    b = member(b"b" * 4, [b"B" * 5], size=0)  # truesize 960 + 5
    c = member(b"c" * 6, size=0)
    s.frag_list_append(a)
    s.frag_list_prepend(b)
    s.frag_list_append(c)
    assert s.frag_list == [b, a, c]
    assert list(s.walk_frags()) == [b, a, c]
    assert (s.len, s.data_len, s.truesize) == (10 + 3 + 9 + 6, 18, 960 * 4 + 5)
    assert s.to_bytes() == b"O" * 10 + b"b" * 4 + b"B" * 5 + b"a" * 3 + b"c" * 6
    assert all(type(x) is BorrowedSkBuff and x.users == 1 for x in (a, b, c))
    ok_all(s)
    s.kfree()


def test_walk_frags_is_a_snapshot_iterator():
    s = owner()
    a, b = member(b"a"), member(b"b")
    s.frag_list_append(a)
    it = s.walk_frags()
    s.frag_list_append(b)
    assert list(it) == [a]
    assert list(s.walk_frags()) == [a, b]
    assert owner_frag_list_empty()
    s.kfree()


def owner_frag_list_empty():
    t = owner()
    try:
        return t.frag_list == [] and list(t.walk_frags()) == []
    finally:
        t.kfree()


def test_member_with_two_python_references_stays_owned():
    s = owner()
    m = member(b"m")
    m.get()
    s.frag_list_append(m)
    assert type(m) is SkBuff and m.users == 2
    s.kfree()  # the list's reference goes, Python's stays
    assert type(m) is SkBuff and m.users == 1
    assert m.to_bytes() == b"m"
    ok_all(m)
    m.kfree()


def test_nested_members_are_walked_and_freed():
    s = owner()
    m = member(b"m1", [b"f1"], size=0)
    mm = member(b"m2", size=0)
    m.frag_list_append(mm)
    assert (m.len, m.data_len) == (6, 4)
    s.frag_list_append(m)
    assert (s.len, s.data_len) == (16, 6)
    assert s.to_bytes() == b"O" * 10 + b"m1f1m2"
    assert s.copy_bits(13, 3) == b"1m2"
    ok_all(s)
    before = counter_snapshot()
    s.kfree()
    assert live_delta(before) == {"live_skbs": -3, "live_heads": -3, "head_bytes": -2112,
                                  "live_pages": -1, "page_bytes": -4096}


def test_freeing_the_owner_frees_members_exactly_once_with_clones_around():
    s = owner()
    a, b = member(b"a", size=0), member(b"b", size=0)
    s.frag_list_append(a)
    s.frag_list_append(b)
    c = s.clone()
    assert (a.users, b.users) == (1, 1)  # a clone shares the list, no new refs
    assert c.frag_list == [a, b]
    before = counter_snapshot()
    s.kfree()
    assert (a.users, b.users) == (1, 1)
    assert live_delta(before) == {"live_skbs": -1}
    c.kfree()
    assert live_delta(before) == {"live_skbs": -4, "live_heads": -3, "head_bytes": -2112}
    assert type(a) is BorrowedSkBuff
    with pytest.raises(SkbUseAfterFree):
        a.users


# ---------------------------------------------------------------- refusals

@pytest.mark.parametrize("how", ["frag_list_append", "frag_list_prepend"])
def test_refuse_self(how):
    s = owner()
    with still(s):
        with pytest.raises(SkbBug):
            getattr(s, how)(s)
    s.kfree()


@pytest.mark.parametrize("how", ["frag_list_append", "frag_list_prepend"])
def test_refuse_a_member_python_holds_no_reference_to(how):
    s, t = owner(), owner()
    m = member(b"m")
    s.frag_list_append(m)
    with still(s, t):
        with pytest.raises(SkbBug):
            getattr(t, how)(m)
    s.kfree()
    t.kfree()


@pytest.mark.parametrize("how", ["frag_list_append", "frag_list_prepend"])
def test_refuse_a_member_already_on_a_list(how):
    s, t = owner(), owner()
    m = member(b"m")
    s.frag_list_append(m)
    m.get()  # Python holds a reference again: the refusal must be about the list
    with still(s, t, m):
        with pytest.raises(SkbBug):
            getattr(t, how)(m)
        with pytest.raises(SkbBug):
            getattr(s, how)(m)
    m.kfree()
    s.kfree()
    t.kfree()


@pytest.mark.parametrize("how", ["frag_list_append", "frag_list_prepend"])
def test_refuse_a_member_that_was_on_a_list_before(how):
    s, t = owner(), owner()
    m = member(b"m" * 5)
    s.frag_list_append(m)
    m.get()
    assert s.may_pull(15)  # eats m whole: unlinked, the list's reference dropped
    assert s.frag_list == [] and (m.users, type(m)) == (1, SkBuff)
    with still(s, t, m):
        with pytest.raises(SkbBug):
            getattr(t, how)(m)
    m.kfree()
    s.kfree()
    t.kfree()


@pytest.mark.parametrize("how", ["frag_list_append", "frag_list_prepend"])
def test_refuse_linking_into_a_member(how):
    s = owner()
    m = member(b"m")
    x = member(b"x")
    s.frag_list_append(m)
    with still(s, x):
        with pytest.raises(SkbBug):
            getattr(m, how)(x)  # the owner's lengths would go stale
    m.get()
    with still(s, x, m):
        with pytest.raises(SkbBug):
            getattr(m, how)(x)
        with pytest.raises(SkbBug):  # the owner under its own member
            getattr(m, how)(s)
    m.kfree()
    x.kfree()
    s.kfree()


def chain(levels):
    """An skb whose frag_list tree is `levels` deep (0: no frag_list)."""
    top = member(b"0", size=0)
    for k in range(levels):
        up = member(bytes([0x31 + k % 9]), size=0)
        up.frag_list_append(top)
        top = up
    return top


@pytest.mark.parametrize("how", ["frag_list_append", "frag_list_prepend"])
def test_nesting_depth_limit_is_8(how):
    ok = chain(7)
    s = owner()
    getattr(s, how)(ok)  # s is now 8 levels deep: allowed
    ok_all(s)
    assert s.len == 10 + 8
    t = owner()
    with still(t, s):
        with pytest.raises(SkbBug):
            getattr(t, how)(s)  # would be 9
    s.kfree()
    t.kfree()


@pytest.mark.parametrize("how", ["frag_list_append", "frag_list_prepend"])
def test_refuse_a_cloned_owner(how):
    s = owner()
    c = s.clone()
    m = member(b"m")
    with still(s, c, m):
        with pytest.raises(SkbSharedWrite):
            getattr(s, how)(m)
        with pytest.raises(SkbSharedWrite):
            getattr(c, how)(m)
    c.kfree()
    getattr(s, how)(m)  # private again
    assert s.frag_list == [m]
    s.kfree()


def test_append_after_pskb_copy_would_write_a_shared_chain():
    s = owner()
    a = member(b"a")
    s.frag_list_append(a)
    pc = s.pskb_copy()
    assert pc.frag_list == [a] and a.users == 2
    b = member(b"b")
    with still(s, pc, b):
        with pytest.raises(SkbSharedWrite):
            s.frag_list_append(b)
        with pytest.raises(SkbSharedWrite):
            pc.frag_list_append(b)
    # prepend only writes the owner's own shared info: allowed
    s.frag_list_prepend(b)
    assert s.frag_list == [b, a] and pc.frag_list == [a]
    assert s.to_bytes() == b"O" * 10 + b"ba" and pc.to_bytes() == b"O" * 10 + b"a"
    ok_all(s, pc)
    pc.kfree()
    assert a.users == 1
    c = member(b"c")
    s.frag_list_append(c)  # the chain is no longer shared
    assert s.frag_list == [b, a, c]
    s.kfree()


def test_append_with_python_holding_the_last_member_is_allowed():
    s = owner()
    a = member(b"a")
    s.frag_list_append(a)
    a.get()  # users 2 = Python's 1 + the list's 1: not another chain
    b = member(b"b")
    s.frag_list_append(b)
    assert s.frag_list == [a, b]
    a.kfree()
    s.kfree()


@pytest.mark.parametrize("how", ["frag_list_append", "frag_list_prepend"])
def test_refuse_freed_or_non_skb_members(how):
    s = owner()
    m = member(b"m")
    m.kfree()
    with still(s):
        with pytest.raises(SkbUseAfterFree):
            getattr(s, how)(m)
        with pytest.raises(TypeError):
            getattr(s, how)(b"bytes")
        with pytest.raises(TypeError):
            getattr(s, how)(None)
    s.kfree()
    with pytest.raises(SkbUseAfterFree):
        getattr(s, how)(member_then_free())


def member_then_free():
    m = member(b"z")
    m.kfree()
    return m


# ---------------------------------------------------------------- sharing

def test_clone_shares_frags_frag_list_and_gso_fields():
    s = paged(b"hh", [b"ff"], size=100)
    m = member(b"mm")
    s.frag_list_append(m)
    s.gso_size, s.gso_segs, s.gso_type = 1448, 3, 0x11
    p = s.frags[0].page
    c = s.clone()
    assert c.frags == s.frags and c.frags[0].page is p and p.refcount == 1
    assert c.frag_list == [m] and m.users == 1
    assert (c.gso_size, c.gso_segs, c.gso_type) == (1448, 3, 0x11)
    assert (c.len, c.data_len, c.truesize) == (s.len, s.data_len, s.truesize) == (6, 4, 1922)
    assert c.to_bytes() == b"hhffmm"
    # the shared info is shared: a write through either side is refused
    with still(s, c):
        with pytest.raises(SkbSharedWrite):
            c.gso_size = 1
    ok_all(s, c)
    c.kfree()
    s.kfree()


def test_pskb_copy_takes_page_and_member_references():
    s = paged(b"head", [b"f0", b"f1"], size=100, headroom=16)
    a, b = member(b"A"), member(b"B")
    s.frag_list_append(a)
    s.frag_list_append(b)
    s.gso_size = 100
    p0, p1 = (f.page for f in s.frags)
    before = counter_snapshot()
    pc = s.pskb_copy()
    assert live_delta(before) == {"live_skbs": 1, "live_heads": 1, "head_bytes": 704}
    assert (p0.refcount, p1.refcount, a.users, b.users) == (2, 2, 2, 2)
    assert pc.frags == s.frags
    assert pc.frag_list == [a, b]
    assert (pc.len, pc.data_len, pc.headroom, pc.end_offset) == (10, 6, 16, 384)
    assert pc.truesize == 960 + 6  # SKB_TRUESIZE(new end) + data_len
    assert pc.gso_size == 100
    assert pc.to_bytes() == s.to_bytes() == b"headf0f1AB"
    assert not pc.is_cloned() and not s.is_cloned()
    ok_all(s, pc)
    s.kfree()
    assert (p0.refcount, p1.refcount, a.users, b.users) == (1, 1, 1, 1)
    assert pc.to_bytes() == b"headf0f1AB"
    pc.kfree()
    assert live_delta(before) == {"live_skbs": -3, "live_heads": -3,
                                  "head_bytes": -3 * 704, "live_pages": -2,
                                  "page_bytes": -8192}


def test_copy_gives_one_linear_skb():
    s = paged(b"head", [b"f0"], size=100, headroom=16)
    s.frag_list_append(member(b"M1", [b"m"]))
    s.gso_size, s.gso_type = 7, 1
    before = counter_snapshot()
    c = s.copy()
    # new head for end (384) + data_len (5) = 389 -> 448 + 320 -> kmalloc-1024
    assert live_delta(before) == {"live_skbs": 1, "live_heads": 1, "head_bytes": 1024}
    assert (c.len, c.data_len, c.nr_frags, c.frag_list) == (9, 0, 0, [])
    assert (c.headroom, c.end_offset, c.truesize) == (16, 704, 1280)
    assert (c.gso_size, c.gso_type) == (7, 1)
    assert c.to_bytes() == b"headf0M1m"
    assert s.frag_list[0].users == 1 and s.frags[0].page.refcount == 1
    ok_all(s, c)
    c.kfree()
    s.kfree()


def test_expand_head_on_a_clone_takes_the_extra_references():
    s = paged(b"hd", [b"pg"], size=100)
    m = member(b"mb")
    s.frag_list_append(m)
    p = s.frags[0].page
    c = s.clone()
    before = counter_snapshot()
    s.expand_head(0, 0)
    assert live_delta(before) == {"live_heads": 1, "head_bytes": 704}
    assert (p.refcount, m.users) == (2, 2)
    assert (s.dataref, c.dataref, s.is_cloned(), c.is_cloned()) == (1, 1, False, False)
    assert s.frags == c.frags and s.frag_list == c.frag_list == [m]
    assert s.to_bytes() == c.to_bytes() == b"hdpgmb"
    ok_all(s, c)
    c.kfree()
    assert (p.refcount, m.users) == (1, 1)
    s.kfree()
    assert live_delta(before) == {"live_skbs": -3, "live_heads": -2, "head_bytes": -1408,
                                  "live_pages": -1, "page_bytes": -4096}


def test_expand_head_on_a_private_skb_moves_the_references():
    s = paged(b"hd", [b"pg"], size=100)
    m = member(b"mb")
    s.frag_list_append(m)
    p = s.frags[0].page
    s.expand_head(64, 0)
    assert (p.refcount, m.users, s.headroom) == (1, 1, 64)
    assert s.to_bytes() == b"hdpgmb"
    ok_all(s)
    s.kfree()


def test_refcount_chain_over_clone_copy_and_free():
    s = paged(b"h", [pattern(10), pattern(20, 1)], size=0, frag_truesize=4096)
    m = member(b"m", [pattern(5, 2)], size=0, frag_truesize=4096)
    s.frag_list_append(m)
    pages = [f.page for f in s.frags] + [m.frags[0].page]
    refs = lambda: tuple(p.refcount for p in pages) + (m.users,)  # noqa: E731
    before = counter_snapshot()
    c1 = s.clone()
    assert refs() == (1, 1, 1, 1)
    c2 = c1.pskb_copy()
    assert refs() == (2, 2, 1, 2)  # the member's own page is not touched
    c3 = c2.clone()
    c4 = c3.copy()
    assert refs() == (2, 2, 1, 2)
    c3.expand_head(0, 0)  # c3 was cloned (with c2): its private head takes refs
    assert refs() == (3, 3, 1, 3)
    ok_all(s, c1, c2, c3, c4)
    wanted = s.to_bytes()
    for x in (c1, c2, c3, c4):
        assert x.to_bytes() == wanted
    s.kfree()
    assert refs() == (3, 3, 1, 3)
    c2.kfree()
    assert refs() == (2, 2, 1, 2)
    c1.kfree()
    assert refs() == (1, 1, 1, 1)
    c4.kfree()
    c3.kfree()
    assert live_delta(before) == {"live_skbs": -2, "live_heads": -2, "head_bytes": -1408,
                                  "live_pages": -3, "page_bytes": -3 * 4096}


# ---------------------------------------------------------------- -ENOMEM in copies

def paged_chain():
    s = paged(b"head", [b"f0", b"f1"], size=100, headroom=16,
              members=[member(b"M", [b"m"], size=0)])
    s.gso_size = 9
    return s


@pytest.mark.parametrize("nth", [1, 2])  # the struct, then the head
@pytest.mark.parametrize("how", ["copy", "pskb_copy"])
def test_copies_of_a_paged_skb_enomem_change_nothing(how, nth):
    s = paged_chain()
    pages = [f.page for f in s.frags]
    with still(s, pages=pages):
        with fail_nth_alloc(nth):
            with pytest.raises(MemoryError):
                getattr(s, how)()
    c = getattr(s, how)()  # fine without the fault
    assert c.to_bytes() == s.to_bytes() == b"headf0f1Mm"
    c.kfree()
    s.kfree()


@pytest.mark.parametrize("how", ["clone", "copy", "pskb_copy"])
def test_copies_of_a_cloned_paged_skb_enomem(how):
    s = paged_chain()
    c = s.clone()
    with still(s, c):
        with fail_nth_alloc(1):
            with pytest.raises(MemoryError):
                getattr(c, how)()
    c.kfree()
    s.kfree()


def test_expand_head_of_a_paged_clone_enomem_changes_nothing():
    s = paged_chain()
    c = s.clone()
    pages = [f.page for f in s.frags]
    with still(s, c, pages=pages):
        with fail_nth_alloc(1):
            with pytest.raises(MemoryError):
                s.expand_head(32, 0)
    c.kfree()
    s.kfree()


def test_unshare_of_a_paged_clone():
    s = paged_chain()
    c = s.clone()
    u = c.unshare()
    assert u is not c and type(c) is FreedSkBuff
    assert (u.data_len, u.nr_frags, u.frag_list, u.to_bytes()) == (0, 0, [], b"headf0f1Mm")
    assert not s.is_cloned()
    u.kfree()
    s.kfree()
