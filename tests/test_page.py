"""Emulated pages: alloc_page sizes and limits, refcounts, the data view, and
the owned / borrowed / freed handle states."""

import gc

import pytest

import skb
from skb import BorrowedPage, FreedPage, Page, SkbBug, SkbDoubleFree, SkbUseAfterFree
from skb.testing import check_pages
from nlhelp import PAGE_SIZE, counter_delta, counter_snapshot, paged, still


@pytest.mark.parametrize("order", range(11))
def test_alloc_page_orders(order):
    before = counter_snapshot()
    p = skb.alloc_page(order)
    size = 4096 << order
    assert type(p) is Page
    assert (p.order, p.size, p.refcount) == (order, size, 1)
    assert len(p.data) == size and not p.data.readonly
    assert p.data.tobytes() == bytes(size)  # fresh pages are zero
    assert counter_delta(before) == {"live_pages": 1, "page_bytes": size,
                                     "raw_blocks": 1}
    check_pages()
    p.put()
    assert type(p) is FreedPage
    assert counter_delta(before) == {}


def test_alloc_page_default_order_is_0():
    p = skb.alloc_page()
    assert (p.order, p.size) == (0, PAGE_SIZE)
    p.put()


@pytest.mark.parametrize("order", [11, 12, 31, 2**32 - 1])
def test_alloc_page_past_max_order_is_memoryerror(order):
    before = counter_snapshot()
    with pytest.raises(MemoryError):
        skb.alloc_page(order)
    assert counter_delta(before) == {}


@pytest.mark.parametrize("order, exc", [(-1, OverflowError), (2**32, OverflowError),
                                        (1.0, TypeError), ("0", TypeError)])
def test_alloc_page_argument_checks(order, exc):
    before = counter_snapshot()
    with pytest.raises(exc):
        skb.alloc_page(order)
    assert counter_delta(before) == {}


def test_alloc_page_bool_order_is_an_int():
    p = skb.alloc_page(True)
    assert (p.order, p.size) == (1, 8192)
    p.put()


def test_alloc_page_injected_failure():
    from skb.testing import fail_nth_alloc
    before = counter_snapshot()
    with fail_nth_alloc(1):
        with pytest.raises(MemoryError):
            skb.alloc_page(0)
    assert counter_delta(before) == {}


def test_get_put_refcount():
    p = skb.alloc_page()
    assert p.get() is p
    assert p.refcount == 2
    p.get()
    assert p.refcount == 3
    p.put()
    p.put()
    assert (type(p), p.refcount) == (Page, 1)
    check_pages()
    p.put()
    assert type(p) is FreedPage


def test_data_view_is_writable_and_shared_by_all_views():
    p = skb.alloc_page()
    v = p.data
    v[0:4] = b"abcd"
    v[4095] = 0x7F
    assert bytes(p.data[:4]) == b"abcd" and p.data[4095] == 0x7F
    p.put()


def test_data_view_outlives_the_page_free():
    gc.collect()  # earlier tests' garbage must not be collected mid-test
    zombies = skb.counters().zombie_pages
    p = skb.alloc_page(1)
    v = p.data
    v[:3] = b"xyz"
    before = counter_snapshot()
    p.put()
    assert type(p) is FreedPage
    # the page is gone for the model (live_pages) but its memory stays mapped
    assert counter_delta(before) == {"live_pages": -1, "page_bytes": -8192}
    assert skb.counters().zombie_pages == zombies + 1
    assert bytes(v[:3]) == b"xyz"
    v[3:6] = b"123"  # still writable memory, not freed under the view
    assert bytes(v[:6]) == b"xyz123" and len(v) == 8192
    del v  # the last view goes: now the memory is released
    assert skb.counters().zombie_pages == zombies
    assert counter_delta(before) == {"live_pages": -1, "page_bytes": -8192,
                                     "raw_blocks": -1}


def test_freed_page_handle():
    p = skb.alloc_page()
    p.put()
    assert type(p) is FreedPage and isinstance(p, Page)
    assert repr(p) == "<Page freed>"
    for name in ("refcount", "size", "order", "data"):
        with pytest.raises(SkbUseAfterFree):
            getattr(p, name)
    with pytest.raises(SkbUseAfterFree):
        p.get()
    with pytest.raises(SkbDoubleFree):
        p.put()
    with pytest.raises(SkbDoubleFree):  # still a double free the second time
        p.put()


def test_second_put_is_double_free_and_changes_nothing():
    p = skb.alloc_page()
    q = skb.alloc_page()
    p.put()
    with still(pages=[q]):
        with pytest.raises(SkbDoubleFree):
            p.put()
    q.put()


def test_page_given_to_a_frag_becomes_borrowed():
    p = skb.alloc_page()
    s = paged(b"h", size=100)
    s.add_rx_frag(0, p, 0, 100, 4096)
    assert type(p) is BorrowedPage and p.refcount == 1
    assert s.frags[0].page is p  # one handle per page
    assert repr(p).startswith("<Page borrowed ")
    # Python holds no reference: put is a refcount underflow, nothing changes
    with still(s, pages=[p]):
        with pytest.raises(SkbBug):
            p.put()
    # get makes Python an owner again
    assert p.get() is p
    assert (type(p), p.refcount) == (Page, 2)
    check_pages()
    p.put()
    assert (type(p), p.refcount) == (BorrowedPage, 1)
    s.kfree()
    # the frag's reference went with the skb: the borrowed handle is now dead
    with pytest.raises(SkbUseAfterFree):
        p.refcount
    assert type(p) is FreedPage
    assert repr(p) == "<Page freed>"


def test_borrowed_handle_from_frags_when_python_never_had_one():
    s = paged(b"", [b"abc"], size=0)
    f = s.frags[0]
    assert type(f.page) is BorrowedPage
    assert (f.offset, f.size, f.page.refcount, f.page.order) == (0, 3, 1, 0)
    assert bytes(f.page.data[:3]) == b"abc"
    with pytest.raises(SkbBug):
        f.page.put()
    s.kfree()
    with pytest.raises(SkbUseAfterFree):
        f.page.size


def test_page_outliving_its_frag_when_python_holds_a_reference():
    p = skb.alloc_page()
    p.get()  # refcount 2: one for the frag, one Python keeps
    s = paged(b"", size=0)
    s.add_rx_frag(0, p, 0, 10, 100)
    assert (type(p), p.refcount) == (Page, 2)
    before = counter_snapshot()
    s.kfree()
    assert (type(p), p.refcount) == (Page, 1)
    assert counter_delta(before) == {"live_skbs": -1, "live_heads": -1,
                                     "head_bytes": -704, "raw_blocks": -2}
    check_pages()
    p.put()
    assert type(p) is FreedPage


def test_page_constructor_is_refused():
    with pytest.raises(TypeError):
        Page()
