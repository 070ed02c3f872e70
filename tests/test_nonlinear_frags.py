"""Page frags: fill_page_desc, add_rx_frag, can_coalesce, coalesce_rx_frag,
frag_ref/frag_unref, and what a nonlinear skb refuses (put, trim)."""

import warnings

import pytest

import skb
from skb import (BorrowedPage, Frag, FreedPage, Page, SkbBug, SkbInvariantError,
                 SkbSharedWrite, SkbUseAfterFree, SkbWarning)
from skb.testing import check, check_pages
from nlhelp import (MAX_SKB_FRAGS, counter_delta, counter_snapshot, live_delta, ok_all,
                    page_with, paged, pattern, still)


def base():
    """alloc_skb(100): end 384, truesize 960; 10 linear bytes."""
    s = skb.alloc_skb(100)
    s.put_data(b"0123456789")
    return s


# ---------------------------------------------------------------- add_rx_frag

def test_add_rx_frag_accounts_len_data_len_truesize():
    s = base()
    p = page_with(pattern(300), at=10)
    before = counter_snapshot()
    s.add_rx_frag(0, p, 10, 300, 4096)
    assert (s.len, s.data_len, s.headlen, s.truesize) == (310, 300, 10, 960 + 4096)
    assert (s.tail_offset, s.end_offset, s.tailroom) == (10, 384, 0)
    assert s.nr_frags == 1
    assert s.frags == [Frag(p, 10, 300)]
    assert type(s.frags[0]) is Frag
    # Python's page reference moved to the frag: no new reference, no new page
    assert (p.refcount, type(p)) == (1, BorrowedPage)
    assert counter_delta(before) == {}
    assert s.to_bytes() == b"0123456789" + pattern(300)
    ok_all(s)
    q = page_with(b"QQ")
    s.add_rx_frag(1, q, 0, 2, 7)
    assert (s.len, s.data_len, s.truesize, s.nr_frags) == (312, 302, 960 + 4096 + 7, 2)
    assert s.frags == [Frag(p, 10, 300), Frag(q, 0, 2)]
    assert s.to_bytes()[-3:] == pattern(300)[-1:] + b"QQ"
    ok_all(s)
    s.kfree()
    assert type(p) is BorrowedPage  # only found out on access
    with pytest.raises(SkbUseAfterFree):
        p.refcount
    # p was counted in before, q was not: one page less on balance
    assert live_delta(before) == {"live_skbs": -1, "live_heads": -1, "head_bytes": -704,
                                  "live_pages": -1, "page_bytes": -4096}


def test_fill_page_desc_fills_without_accounting():
    s = base()
    p = page_with(b"abcdef")
    s.fill_page_desc(0, p, 2, 0)
    assert (s.len, s.data_len, s.truesize, s.nr_frags) == (10, 0, 960, 1)
    assert s.frags == [Frag(p, 2, 0)]
    assert (p.refcount, type(p)) == (1, BorrowedPage)
    ok_all(s)  # a 0-byte frag keeps data_len consistent
    # coalesce_rx_frag then grows it and accounts the bytes
    s.coalesce_rx_frag(0, 3, 100)
    assert (s.len, s.data_len, s.truesize) == (13, 3, 1060)
    assert s.frags == [Frag(p, 2, 3)]
    assert s.to_bytes() == b"0123456789cde"
    ok_all(s)
    s.kfree()


def test_fill_page_desc_alone_leaves_data_len_behind_the_frags():
    """fill_page_desc does not touch len/data_len (the caller does, as in the
    kernel); until then the structural guard refuses to walk the bytes."""
    s = base()
    p = page_with(b"abc")
    s.fill_page_desc(0, p, 0, 3)
    assert (s.len, s.data_len, s.nr_frags) == (10, 0, 1)
    with pytest.raises(SkbInvariantError):
        check(s)
    with still(s, with_bytes=False):
        with pytest.raises(SkbBug):
            s.copy_bits(0, 1)
        with pytest.raises(SkbBug):
            s.checksum(0, 1)
    s.kfree()
    check_pages()


def test_fill_up_to_max_skb_frags_then_bug():
    s = skb.alloc_skb(0)
    p = page_with(pattern(MAX_SKB_FRAGS))
    for _ in range(MAX_SKB_FRAGS):
        p.get()  # 18 references: 17 for frags, one stays with Python
    for i in range(MAX_SKB_FRAGS):
        s.add_rx_frag(i, p, i, 1, 10)
    assert MAX_SKB_FRAGS == skb.MAX_SKB_FRAGS == 17
    assert (s.nr_frags, s.len, s.data_len, s.truesize) == (17, 17, 17, 960 + 170)
    assert p.refcount == 18 and type(p) is Page
    assert s.to_bytes() == pattern(17)
    ok_all(s)
    with still(s, pages=[p]):
        with pytest.raises(SkbBug):
            s.add_rx_frag(17, p, 0, 1, 10)
        with pytest.raises(SkbBug):
            s.fill_page_desc(17, p, 0, 1)
    p.put()
    assert (type(p), p.refcount) == (BorrowedPage, 17)  # only the frags hold it
    s.kfree()
    with pytest.raises(SkbUseAfterFree):
        p.size
    assert type(p) is FreedPage


def test_to_bytes_applies_the_structural_guard_when_data_len_is_0():
    s = base()
    s.fill_page_desc(0, page_with(b"abc"), 0, 3)
    try:
        with still(s, with_bytes=False):
            with pytest.raises(SkbBug):
                s.to_bytes()
    finally:
        s.kfree()


@pytest.mark.parametrize("method", ["fill_page_desc", "add_rx_frag"])
@pytest.mark.parametrize("i", [1, 2, -1, 16])
def test_frag_index_must_be_nr_frags(method, i):
    s = base()
    p = page_with()
    args = (i, p, 0, 1) + ((1,) if method == "add_rx_frag" else ())
    with still(s, pages=[p]):
        with pytest.raises(SkbBug):
            getattr(s, method)(*args)
    s.kfree()
    p.put()


@pytest.mark.parametrize("order, off, size, fits", [
    (0, 0, 4096, True), (0, 4000, 96, True), (0, 4000, 97, False), (0, 4096, 0, True),
    (0, 4097, 0, False), (1, 4096, 4096, True), (1, 4097, 4096, False),
    (0, 2**32 - 1, 1, False), (0, 1, 2**32 - 1, False),
])
@pytest.mark.parametrize("method", ["fill_page_desc", "add_rx_frag"])
def test_frag_must_stay_inside_its_page(method, order, off, size, fits):
    s = skb.alloc_skb(0)
    p = skb.alloc_page(order)
    args = (0, p, off, size) + ((1,) if method == "add_rx_frag" else ())
    if fits:
        getattr(s, method)(*args)
        assert s.frags == [Frag(p, off, size)]
        assert s.data_len == (size if method == "add_rx_frag" else 0)
    else:
        with still(s, pages=[p]):
            with pytest.raises(SkbBug):
                getattr(s, method)(*args)
        p.put()
    s.kfree()


@pytest.mark.parametrize("method", ["fill_page_desc", "add_rx_frag"])
def test_frag_on_a_cloned_skb_is_a_shared_write(method):
    s = base()
    c = s.clone()
    p = page_with()
    args = (0, p, 0, 1) + ((1,) if method == "add_rx_frag" else ())
    with still(s, c, pages=[p]):
        with pytest.raises(SkbSharedWrite):
            getattr(s, method)(*args)
        with pytest.raises(SkbSharedWrite):
            getattr(c, method)(*args)
    c.kfree()
    # cloned stays set, but dataref is back to 1: no longer is_cloned()
    assert s.cloned and not s.is_cloned()
    getattr(s, method)(*args)
    assert s.frags == [Frag(p, 0, 1)]
    s.kfree()


@pytest.mark.parametrize("method", ["fill_page_desc", "add_rx_frag"])
def test_frag_needs_a_python_page_reference(method):
    s = base()
    t = base()
    p = page_with(b"x")
    args = (0, p, 0, 1) + ((1,) if method == "add_rx_frag" else ())
    getattr(t, method)(*args)  # Python's only reference goes to t's frag
    assert type(p) is BorrowedPage
    with still(s, t, pages=[p], with_bytes=False):
        with pytest.raises(SkbBug):
            getattr(s, method)(*args)
    t.kfree()
    s.kfree()


@pytest.mark.parametrize("method", ["fill_page_desc", "add_rx_frag"])
def test_frag_with_a_freed_page_or_not_a_page(method):
    s = base()
    p = skb.alloc_page()
    p.put()
    extra = (1,) if method == "add_rx_frag" else ()
    with still(s):
        with pytest.raises(SkbUseAfterFree):
            getattr(s, method)(0, p, 0, 1, *extra)
        with pytest.raises(TypeError):
            getattr(s, method)(0, b"not a page", 0, 1, *extra)
        with pytest.raises(TypeError):
            getattr(s, method)(0, None, 0, 1, *extra)
    s.kfree()


@pytest.mark.parametrize("args, exc", [
    ((2**31, 0, 1, 1), OverflowError), ((-2**31 - 1, 0, 1, 1), OverflowError),
    ((0, -1, 1, 1), OverflowError), ((0, 2**32, 1, 1), OverflowError),
    ((0, 0, -1, 1), OverflowError), ((0, 0, 2**32, 1), OverflowError),
    ((0, 0, 1, -1), OverflowError), ((0, 0, 1, 2**32), OverflowError),
    ((0.0, 0, 1, 1), TypeError), ((0, "0", 1, 1), TypeError), ((0, 0, 1.5, 1), TypeError),
    ((0, 0, 1, None), TypeError),
])
def test_add_rx_frag_argument_checks(args, exc):
    s = base()
    p = page_with()
    i, off, size, truesize = args
    with still(s, pages=[p]):
        with pytest.raises(exc):
            s.add_rx_frag(i, p, off, size, truesize)
    s.kfree()
    p.put()


def test_argument_check_comes_before_the_state_checks():
    s = base()
    c = s.clone()  # is_cloned: a state refusal would be SkbSharedWrite
    p = page_with()
    with still(s, c, pages=[p]):
        with pytest.raises(OverflowError):
            s.add_rx_frag(0, p, -1, 1, 1)
        with pytest.raises(OverflowError):
            s.fill_page_desc(5, p, 0, 2**32)
    c.kfree()
    s.kfree()
    p.put()


# ---------------------------------------------------------------- can/coalesce

def test_can_coalesce():
    s = base()
    p = page_with(pattern(200))
    q = page_with()
    s.add_rx_frag(0, p, 10, 100, 1)
    assert s.can_coalesce(1, p, 110) is True
    assert s.can_coalesce(1, p, 109) is False
    assert s.can_coalesce(1, p, 111) is False
    assert s.can_coalesce(1, p, 10) is False
    assert s.can_coalesce(1, q, 110) is False
    assert s.can_coalesce(0, p, 110) is False  # i must be > 0
    assert s.can_coalesce(2, p, 110) is False  # there is no frag 1
    assert s.can_coalesce(-1, p, 110) is False
    with still(s, pages=[q]):
        with pytest.raises(OverflowError):
            s.can_coalesce(1, p, -1)
        with pytest.raises(OverflowError):
            s.can_coalesce(2**31, p, 0)
        with pytest.raises(TypeError):
            s.can_coalesce(1, "p", 110)
    s.kfree()
    q.put()


def test_can_coalesce_then_coalesce_rx_frag():
    s = base()
    p = page_with(pattern(300))
    s.add_rx_frag(0, p, 0, 100, 1000)
    assert s.can_coalesce(1, p, 100)
    s.coalesce_rx_frag(0, 150, 2000)
    assert s.frags == [Frag(p, 0, 250)]
    assert (s.len, s.data_len, s.truesize) == (260, 250, 960 + 3000)
    assert p.refcount == 1  # coalescing takes no page reference
    assert s.to_bytes() == b"0123456789" + pattern(300)[:250]
    assert s.can_coalesce(1, p, 250)
    ok_all(s)
    s.kfree()


def test_coalesce_rx_frag_refusals():
    s = base()
    p = page_with()
    s.add_rx_frag(0, p, 4000, 90, 1)
    with still(s):
        with pytest.raises(SkbBug):
            s.coalesce_rx_frag(1, 1, 1)  # no frag 1
        with pytest.raises(SkbBug):
            s.coalesce_rx_frag(-1, 1, 1)
        with pytest.raises(SkbBug):
            s.coalesce_rx_frag(0, 7, 1)  # 4000 + 90 + 7 > 4096
        with pytest.raises(OverflowError):
            s.coalesce_rx_frag(0, -1, 1)
        with pytest.raises(OverflowError):
            s.coalesce_rx_frag(0, 1, 2**32)
    s.coalesce_rx_frag(0, 6, 1)  # exactly to the end of the page
    assert s.frags == [Frag(p, 4000, 96)]
    assert (s.len, s.data_len) == (106, 96)
    c = s.clone()
    with still(s, c):
        with pytest.raises(SkbSharedWrite):
            s.coalesce_rx_frag(0, 0, 1)
        with pytest.raises(SkbSharedWrite):
            c.coalesce_rx_frag(0, 0, 1)
    c.kfree()
    s.kfree()


# ---------------------------------------------------------------- frag_ref

def test_frag_ref_and_unref():
    s = paged(b"h", [b"a" * 10, b"b" * 20], size=100)
    p0 = s.frags[0].page
    assert type(p0) is BorrowedPage and p0.refcount == 1
    r = s.frag_ref(0)
    assert r is p0 and type(r) is Page and r.refcount == 2
    check_pages()
    r2 = s.frag_ref(0)
    assert r2 is r and r.refcount == 3
    s.frag_unref(0)
    assert (type(r), r.refcount) == (Page, 2)
    s.frag_unref(0)
    assert (type(r), r.refcount) == (BorrowedPage, 1)
    # Python holds none any more
    with still(s):
        with pytest.raises(SkbBug):
            s.frag_unref(0)
        with pytest.raises(SkbBug):
            s.frag_unref(1)
    ok_all(s)
    s.kfree()


def test_frag_ref_keeps_the_page_after_the_skb_goes():
    s = paged(b"", [b"keep"], size=0)
    p = s.frag_ref(0)
    s.kfree()
    assert (type(p), p.refcount) == (Page, 1)
    assert bytes(p.data[:4]) == b"keep"
    check_pages()
    p.put()
    assert type(p) is FreedPage


@pytest.mark.parametrize("i", [2, -1, 17])
def test_frag_ref_and_unref_out_of_range(i):
    s = paged(b"", [b"a", b"b"], size=0)
    with still(s):
        with pytest.raises(SkbBug):
            s.frag_ref(i)
        with pytest.raises(SkbBug):
            s.frag_unref(i)
    s.kfree()


def test_frag_ref_argument_check():
    s = paged(b"", [b"a"], size=0)
    with still(s):
        with pytest.raises(OverflowError):
            s.frag_ref(2**31)
        with pytest.raises(TypeError):
            s.frag_unref("0")
    s.kfree()


# ---------------------------------------------------------------- nonlinear rules

def test_tailroom_is_zero_when_nonlinear():
    s = base()
    assert s.tailroom == 374
    s.add_rx_frag(0, page_with(), 0, 0, 1)
    assert s.tailroom == 374  # a 0-byte frag leaves data_len 0: still linear
    s.coalesce_rx_frag(0, 1, 0)
    assert (s.tailroom, s.tail_offset, s.end_offset, s.data_len) == (0, 10, 384, 1)
    s.kfree()


def test_put_on_a_nonlinear_skb_is_a_bug():
    s = paged(b"abc", [b"def"], size=100)
    with still(s):
        with pytest.raises(SkbBug):
            s.put(1)
        with pytest.raises(SkbBug):
            s.put(0)
        with pytest.raises(SkbBug):
            s.put_data(b"x")
        with pytest.raises(SkbBug):
            s.put_zero(2)
    s.kfree()


def test_pull_past_the_linear_part_is_a_bug_push_is_fine():
    s = paged(b"abc", [b"def"], size=100, headroom=8)
    with still(s):
        with pytest.raises(SkbBug):
            s.pull(4)
        assert s.pull(7) is None  # past len: NULL, nothing changed
    assert bytes(s.pull(2)) == b"c"
    assert (s.len, s.data_len, s.headlen) == (4, 3, 1)
    s.push(10)
    assert (s.len, s.headlen, s.headroom) == (14, 11, 0)
    assert s.to_bytes()[-4:] == b"cdef"
    ok_all(s)
    s.kfree()


def test_trim_on_a_nonlinear_skb_warns_and_changes_nothing():
    s = paged(b"abc", [b"def"], size=100)
    with still(s):
        with pytest.warns(SkbWarning):
            s.trim(4)
        with pytest.warns(SkbWarning):
            s.trim(0)
    with still(s):  # not shorter: nothing to do, no warning
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            s.trim(6)
            s.trim(2**32 - 1)
    s.kfree()


def test_clone_copy_and_free_page_refcount_chain():
    s = paged(b"hd", [b"a" * 5, b"b" * 7], size=100, frag_truesize=100)
    p0, p1 = (f.page for f in s.frags)
    base_counts = counter_snapshot()
    c = s.clone()
    assert (p0.refcount, p1.refcount) == (1, 1)  # clones share the frags
    pc = s.pskb_copy()
    assert (p0.refcount, p1.refcount) == (2, 2)
    assert pc.frags == [Frag(p0, 0, 5), Frag(p1, 0, 7)]
    full = c.copy()
    assert (full.nr_frags, full.data_len, full.len) == (0, 0, 14)
    assert full.to_bytes() == b"hd" + b"a" * 5 + b"b" * 7
    assert (p0.refcount, p1.refcount) == (2, 2)
    ok_all(s, c, pc, full)
    s.kfree()
    assert (p0.refcount, p1.refcount) == (2, 2)  # c still uses the shared info
    c.kfree()
    assert (p0.refcount, p1.refcount) == (1, 1)
    pc.kfree()
    with pytest.raises(SkbUseAfterFree):
        p0.refcount
    full.kfree()
    assert live_delta(base_counts) == {"live_skbs": -1, "live_heads": -1,
                                       "head_bytes": -704, "live_pages": -2,
                                       "page_bytes": -8192}
