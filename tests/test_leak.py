"""skb.counters(), skb.leak_check() and the garbage collector's safety
net for handles dropped without kfree."""

import gc

import pytest

import skb
from skb import SkbLeak, SkbLeakWarning
from skbhelp import counter_delta, counter_snapshot


def test_counters_fields():
    c = skb.counters()
    assert isinstance(c, skb.Counters)
    for name in ("live_skbs", "live_heads", "head_bytes", "live_pages", "page_bytes",
                 "zombie_skbs", "zombie_heads", "zombie_pages", "raw_blocks", "gc_leaks"):
        assert isinstance(getattr(c, name), int), name


def test_counter_deltas_over_a_clone_copy_free_chain():
    before = counter_snapshot()

    def delta():
        d = counter_delta(before)
        return d.get("live_skbs", 0), d.get("live_heads", 0)

    a = skb.alloc_skb(100)
    assert delta() == (1, 1)
    b = a.clone()
    assert delta() == (2, 1)
    c = b.copy()
    assert delta() == (3, 2)
    d = b.pskb_copy()
    assert delta() == (4, 3)
    e = d.clone()
    assert delta() == (5, 3)
    b.expand_head()  # b leaves a's head for its own
    assert delta() == (5, 4)
    a.kfree()  # a's head is private again: freed with a
    assert delta() == (4, 3)
    d.kfree()  # e still uses d's head
    assert delta() == (3, 3)
    e.kfree()
    assert delta() == (2, 2)
    f = c.get()
    assert f is c and delta() == (2, 2)
    c.kfree()
    assert delta() == (2, 2)
    c.kfree()
    assert delta() == (1, 1)
    b.kfree()
    assert delta() == (0, 0)
    assert counter_delta(before) == {}


def test_fclone_pair_counts_as_one_block():
    before = counter_snapshot()
    s = skb.alloc_skb(10, fclone=True)
    c = s.clone()
    assert counter_delta(before) == {"live_skbs": 2, "live_heads": 1, "head_bytes": 704,
                                     "raw_blocks": 2}
    s.kfree()
    assert counter_delta(before) == {"live_skbs": 1, "live_heads": 1, "head_bytes": 704,
                                     "raw_blocks": 2}
    c.kfree()
    assert counter_delta(before) == {}


def test_leak_check_passes_when_balanced():
    with skb.leak_check() as before:
        assert isinstance(before, skb.Counters)
        skb.alloc_skb(10).kfree()


def test_leak_check_reports_what_was_left():
    before = skb.counters()
    with pytest.raises(SkbLeak) as ei:
        with skb.leak_check():
            s = skb.alloc_skb(10)
    assert str(ei.value) == (
        f"leaked: live_skbs {before.live_skbs} -> {before.live_skbs + 1}, "
        f"live_heads {before.live_heads} -> {before.live_heads + 1}")
    assert isinstance(ei.value, AssertionError)
    s.kfree()


# The garbage collector's safety net.  These tests drop handles that still
# hold references on purpose: the engine frees the skb and counts the leak
# in gc_leaks.  The autouse leak check fails any test that moves gc_leaks,
# so they are marked gc_leak (see conftest.py), which removes that fixture,
# and they assert the exact counter deltas themselves instead.

@pytest.mark.gc_leak
def test_dropped_handle_is_freed_and_counted():
    before = counter_snapshot()
    s = skb.alloc_skb(100)
    with pytest.warns(SkbLeakWarning, match=r"^skb collected with 1 reference\(s\) still "
                                            r"held: freed as a leak"):
        del s
        gc.collect()
    assert counter_delta(before) == {"gc_leaks": 1}


@pytest.mark.gc_leak
def test_dropped_handle_with_extra_references():
    before = counter_snapshot()
    s = skb.alloc_skb(100)
    s.get()
    s.get()
    with pytest.warns(SkbLeakWarning, match=r"with 3 reference\(s\)"):
        del s
        gc.collect()
    assert counter_delta(before) == {"gc_leaks": 3}


@pytest.mark.gc_leak
def test_dropped_clone_releases_its_data_reference():
    before = counter_snapshot()
    s = skb.alloc_skb(100)
    c = s.clone()
    with pytest.warns(SkbLeakWarning):
        del c
        gc.collect()
    assert s.dataref == 1
    assert s.is_cloned() is False
    s.kfree()
    assert counter_delta(before) == {"gc_leaks": 1}


@pytest.mark.gc_leak
def test_dropped_handle_with_a_live_view():
    before = counter_snapshot()
    zombies = skb.counters().zombie_heads
    s = skb.alloc_skb(100)
    s.put_data(b"kept")
    v = s.data
    with pytest.warns(SkbLeakWarning):
        del s
        gc.collect()
    # the skb and its head are gone for the kernel model; the view pins
    # the memory (a zombie, not a leak)
    assert counter_delta(before) == {"gc_leaks": 1, "raw_blocks": 1}
    assert skb.counters().zombie_heads == zombies + 1
    assert bytes(v) == b"kept"
    del v
    assert counter_delta(before) == {"gc_leaks": 1}
    assert skb.counters().zombie_heads == zombies


@pytest.mark.gc_leak
def test_leak_check_reports_gc_leaks():
    before = skb.counters()
    with pytest.raises(SkbLeak, match=rf"^leaked: gc_leaks {before.gc_leaks} -> "
                                      rf"{before.gc_leaks + 1}$"):
        with skb.leak_check():
            s = skb.alloc_skb(10)
            with pytest.warns(SkbLeakWarning):
                del s


def test_freed_handle_dropped_is_not_a_leak():
    before = counter_snapshot()
    s = skb.alloc_skb(10)
    s.kfree()
    del s
    gc.collect()
    assert counter_delta(before) == {}
