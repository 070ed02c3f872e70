"""skb_split (both branches, the straddling frag, refusals) and
skb_try_coalesce (tailroom copy, frag move with references moved or taken,
refusals, the source freed, the truesize delta)."""

import pytest

import skb
from skb import (Frag, FreedSkBuff, SkbBug, SkbOverPanic, SkbSharedWrite,
                 SkbUseAfterFree)
from nlhelp import (MAX_SKB_FRAGS, counter_snapshot, live_delta, member, ok_all,
                    page_with, paged, pattern, still)

LIN = b"0123456789"
A, B = pattern(10, 1), pattern(10, 2)


def source():
    """10 linear bytes (end 384), frags a and b of 10 bytes charged 4096."""
    s = paged(LIN, [A, B], size=100, frag_truesize=4096)
    assert (s.len, s.data_len, s.truesize) == (30, 20, 9152)
    return s


WHOLE = LIN + A + B


# ---------------------------------------------------------------- split

@pytest.mark.parametrize("n", [0, 4, 9])
def test_split_inside_the_linear_part_moves_all_frags(n):
    s = source()
    pa, pb = (f.page for f in s.frags)
    skb1 = skb.alloc_skb(100)
    skb1.reserve(16)
    before = counter_snapshot()
    s.split(skb1, n)
    assert (s.len, s.data_len, s.headlen, s.tail_offset, s.frags) == (n, 0, n, n, [])
    assert bytes(s.data) == LIN[:n]
    assert (skb1.len, skb1.data_len, skb1.headlen) == (30 - n, 20, 10 - n)
    assert (skb1.headroom, skb1.tail_offset) == (16, 16 + 10 - n)
    assert skb1.frags == [Frag(pa, 0, 10), Frag(pb, 0, 10)]
    assert (pa.refcount, pb.refcount) == (1, 1)  # moved, not shared
    assert skb1.to_bytes() == WHOLE[n:]
    assert (s.truesize, skb1.truesize) == (9152, 960)  # untouched
    assert live_delta(before) == {}
    ok_all(s, skb1)
    s.kfree()
    skb1.kfree()


@pytest.mark.parametrize("n, s_frags, skb1_frags, refs", [
    (10, [], [("a", 0, 10), ("b", 0, 10)], (1, 1)),
    (15, [("a", 0, 5)], [("a", 5, 5), ("b", 0, 10)], (2, 1)),
    (20, [("a", 0, 10)], [("b", 0, 10)], (1, 1)),
    (21, [("a", 0, 10), ("b", 0, 1)], [("b", 1, 9)], (1, 2)),
    (29, [("a", 0, 10), ("b", 0, 9)], [("b", 9, 1)], (1, 2)),
    (30, [("a", 0, 10), ("b", 0, 10)], [], (1, 1)),
])
def test_split_in_the_frags(n, s_frags, skb1_frags, refs):
    s = source()
    pages = {"a": s.frags[0].page, "b": s.frags[1].page}
    skb1 = skb.alloc_skb(0)
    before = counter_snapshot()
    s.split(skb1, n)
    assert s.frags == [Frag(pages[k], o, z) for k, o, z in s_frags]
    assert skb1.frags == [Frag(pages[k], o, z) for k, o, z in skb1_frags]
    assert (pages["a"].refcount, pages["b"].refcount) == refs
    assert (s.len, s.data_len, s.headlen) == (n, n - 10, 10)
    assert (skb1.len, skb1.data_len, skb1.headlen) == (30 - n, 30 - n, 0)
    assert s.to_bytes() == WHOLE[:n] and skb1.to_bytes() == WHOLE[n:]
    assert (s.truesize, skb1.truesize) == (9152, 960)
    assert live_delta(before) == {}
    ok_all(s, skb1)
    s.kfree()
    ok_all(skb1)
    skb1.kfree()


def test_split_a_frag_shared_by_both_then_free_in_either_order():
    s = source()
    pa = s.frags[0].page
    skb1 = skb.alloc_skb(0)
    s.split(skb1, 13)
    assert pa.refcount == 2
    skb1.kfree()
    assert pa.refcount == 1 and s.to_bytes() == WHOLE[:13]
    s.kfree()


def test_split_without_tailroom_is_over_panic_and_changes_nothing():
    s = source()
    skb1 = skb.alloc_skb(100)
    skb1.reserve(380)  # 4 bytes of tailroom; splitting at 4 needs 6
    with still(s, skb1):
        with pytest.raises(SkbOverPanic) as info:
            s.split(skb1, 4)
    e = info.value
    assert (e.len, e.tail, e.end) == (0, 380, 384)
    s.split(skb1, 6)  # exactly 4: fits
    assert skb1.to_bytes() == WHOLE[6:]
    s.kfree()
    skb1.kfree()


def test_split_over_panic_reports_the_linear_bytes_put():
    s = source()
    skb1 = skb.alloc_skb(100)
    skb1.reserve(380)
    try:
        with pytest.raises(SkbOverPanic) as info:
            s.split(skb1, 4)
        assert info.value.put == 6
    finally:
        s.kfree()
        skb1.kfree()


@pytest.mark.parametrize("n", [31, 2**32 - 1])
def test_split_past_len_is_a_bug(n):
    s = source()
    skb1 = skb.alloc_skb(0)
    with still(s, skb1):
        with pytest.raises(SkbBug):
            s.split(skb1, n)
    s.kfree()
    skb1.kfree()


def test_split_needs_an_empty_linear_skb1():
    s = source()
    full = paged(b"x", size=100)
    paged1 = skb.alloc_skb(0)
    paged1.fill_page_desc(0, page_with(), 0, 0)  # len 0 but not linear
    with still(s, full, paged1):
        with pytest.raises(SkbBug):
            s.split(full, 15)
        with pytest.raises(SkbBug):
            s.split(paged1, 15)
        with pytest.raises(SkbBug):
            s.split(s, 15)
    free = skb.alloc_skb(0)
    free.kfree()
    with still(s):
        with pytest.raises(SkbUseAfterFree):
            s.split(free, 15)
        with pytest.raises(TypeError):
            s.split(b"skb1", 15)
        with pytest.raises(OverflowError):
            s.split(paged1, -1)
    for x in (s, full, paged1):
        x.kfree()


def test_split_refuses_frag_lists():
    s = paged(LIN, [A], size=100, members=[member(b"m")])
    t = source()
    skb1 = skb.alloc_skb(0)
    with_list = skb.alloc_skb(0)
    with_list.frag_list_append(member(b"", size=0))  # len stays 0
    assert (with_list.len, len(with_list.frag_list)) == (0, 1)
    with still(s, t, skb1, with_list):
        with pytest.raises(SkbBug):
            s.split(skb1, 15)
        with pytest.raises(SkbBug):
            t.split(with_list, 15)
    for x in (s, t, skb1, with_list):
        x.kfree()


def test_split_refuses_cloned_skbs():
    s = source()
    skb1 = skb.alloc_skb(0)
    c = s.clone()
    with still(s, c, skb1):
        with pytest.raises(SkbSharedWrite):
            s.split(skb1, 15)
    c.kfree()
    c1 = skb1.clone()
    with still(s, skb1, c1):
        with pytest.raises(SkbSharedWrite):
            s.split(skb1, 15)
    c1.kfree()
    s.split(skb1, 15)
    s.kfree()
    skb1.kfree()


# ---------------------------------------------------------------- try_coalesce

def test_try_coalesce_copies_into_the_tailroom():
    to = paged(b"to", size=100)
    frm = paged(b"fr", [b"FRAG"], size=0, members=[member(b"MEM", size=0)])
    pf = frm.frags[0].page
    before = counter_snapshot()
    assert to.try_coalesce(frm) == 0
    assert (to.len, to.data_len, to.tail_offset, to.truesize) == (11, 0, 11, 960)
    assert bytes(to.data) == b"tofrFRAGMEM"
    assert type(frm) is FreedSkBuff
    with pytest.raises(SkbUseAfterFree):
        pf.refcount
    assert live_delta(before) == {"live_skbs": -2, "live_heads": -2, "head_bytes": -1408,
                                  "live_pages": -1, "page_bytes": -4096}
    ok_all(to)
    to.kfree()


def test_try_coalesce_exactly_the_tailroom():
    to = paged(b"x" * 380, size=100)
    frm = paged(b"1234", size=0)
    assert to.try_coalesce(frm) == 0
    assert (to.len, to.tailroom) == (384, 0)
    to.kfree()


def test_try_coalesce_empty_source_into_a_nonlinear_skb():
    to = paged(b"to", [b"t"], size=100)
    frm = skb.alloc_skb(0)
    with still(to, counters_too=False):
        assert to.try_coalesce(frm) == 0  # 0 bytes fit in tailroom 0
    assert type(frm) is FreedSkBuff
    to.kfree()


def test_try_coalesce_moves_frags():
    to = paged(b"to", [b"t1"], size=100, frag_truesize=100)
    frm = paged(b"", [b"x" * 10, b"y" * 20], size=0, frag_truesize=4096)
    pt = to.frags[0].page
    px, py = (f.page for f in frm.frags)
    assert frm.truesize == 960 + 8192
    before = counter_snapshot()
    delta = to.try_coalesce(frm)
    assert delta == 8192  # frm.truesize - SKB_TRUESIZE(frm.end_offset 384)
    assert to.frags == [Frag(pt, 0, 2), Frag(px, 0, 10), Frag(py, 0, 20)]
    assert (px.refcount, py.refcount) == (1, 1)  # references moved
    assert (to.len, to.data_len, to.truesize) == (34, 32, 960 + 100 + 8192)
    assert to.to_bytes() == b"tot1" + b"x" * 10 + b"y" * 20
    assert type(frm) is FreedSkBuff
    assert live_delta(before) == {"live_skbs": -1, "live_heads": -1, "head_bytes": -704}
    ok_all(to)
    to.kfree()


def test_try_coalesce_delta_uses_the_source_end():
    to = paged(b"to", [b"t1"], size=100)
    frm = skb.alloc_skb(1500)  # end 1728, truesize 2304
    frm.add_rx_frag(0, page_with(b"z" * 50), 0, 50, 777)
    assert frm.truesize == 2304 + 777
    assert to.try_coalesce(frm) == 777
    assert to.truesize == 962 + 777
    to.kfree()


def test_try_coalesce_from_a_cloned_source_takes_references():
    to = paged(b"to", [b"t1"], size=100)
    frm = paged(b"", [b"x" * 10], size=0, frag_truesize=4096)
    px = frm.frags[0].page
    fc = frm.clone()
    before = counter_snapshot()
    assert to.try_coalesce(frm) == 4096
    assert px.refcount == 2  # taken: the clone still uses frm's frags
    assert to.frags[1] == Frag(px, 0, 10)
    assert (fc.len, fc.data_len, fc.frags) == (10, 10, [Frag(px, 0, 10)])
    assert type(frm) is FreedSkBuff
    assert live_delta(before) == {"live_skbs": -1}
    ok_all(to, fc)
    fc.kfree()
    assert px.refcount == 1
    to.kfree()


def test_try_coalesce_up_to_max_skb_frags():
    to = paged(b"", [b"%d" % i for i in range(10)], size=0)
    frm = paged(b"", [b"f"] * 7, size=0)
    assert to.try_coalesce(frm) == 7
    assert (to.nr_frags, to.len) == (MAX_SKB_FRAGS, 17)
    to.kfree()


def refusal_cases():
    """(name, make) where make() returns (to, frm, extra skbs to free)."""
    def cloned_to():
        to = paged(b"to", size=100)
        return to, paged(b"f", size=0), [to.clone()]

    def frm_frag_list():
        return (paged(b"", [b"t"], size=0),
                paged(b"", [b"x"], size=0, members=[member(b"m", size=0)]), [])

    def to_frag_list():
        return (paged(b"t", size=0, members=[member(b"m", size=0)]),
                paged(b"", [b"x"], size=0), [])

    def frm_linear():
        return paged(b"", [b"t"], size=0), paged(b"lin", [b"x"], size=0), []

    def too_many_frags():
        return (paged(b"", [b"t"] * 10, size=0), paged(b"", [b"x"] * 8, size=0), [])

    def linear_too_big():
        return paged(b"t" * 380, size=100), paged(b"12345", size=0), []

    return [cloned_to, frm_frag_list, to_frag_list, frm_linear, too_many_frags,
            linear_too_big]


@pytest.mark.parametrize("make", refusal_cases(), ids=lambda f: f.__name__)
def test_try_coalesce_refusals_change_nothing(make):
    to, frm, extra = make()
    with still(to, frm, *extra):
        assert to.try_coalesce(frm) is None
    for x in (to, frm, *extra):
        x.kfree()


def test_try_coalesce_errors():
    to = paged(b"to", size=100)
    m = member(b"m")
    holder = paged(b"h", size=0, members=[m])
    with still(to, holder):
        with pytest.raises(SkbBug):
            to.try_coalesce(to)
        with pytest.raises(SkbBug):
            to.try_coalesce(m)  # Python holds no reference to m
        with pytest.raises(TypeError):
            to.try_coalesce(b"frm")
    gone = paged(b"g", size=0)
    gone.kfree()
    with still(to):
        with pytest.raises(SkbUseAfterFree):
            to.try_coalesce(gone)
    to.kfree()
    holder.kfree()


def test_try_coalesce_refuses_a_shared_source_whose_frags_would_move():
    """Not in the spec: a source with users 2 that is not cloned would lose
    its frags under its other holder.  The engine refuses (SkbBug: the kernel
    callers never pass a shared skb) and changes nothing."""
    to = paged(b"", [b"t"], size=0)
    frm = paged(b"", [b"x" * 10], size=0)
    frm.get()
    with still(to, frm):
        with pytest.raises(SkbBug):
            to.try_coalesce(frm)
    frm.kfree()
    frm.kfree()
    to.kfree()
