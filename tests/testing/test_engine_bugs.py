"""Engine bugs the stateful machine found, one minimal reproduction each.
All are fixed; the tests stay as regression tests, each stating what the
spec (api-2-3.md) or the kernel requires.  The one deliberate difference
the machine has to steer around is in ENGINE_CHOICES
(skb/testing/stateful.py), tested at the end of this file.
"""

import gc

import pytest

import skb
from skb.testing.stateful import ENGINE_CHOICES


def test_put_zero_checks_its_argument_first():
    s = skb.alloc_skb(100)
    try:
        with pytest.raises(OverflowError):
            s.put_zero(-1)  # engine: ValueError from bytes(-1)
    finally:
        s.kfree()


def test_copy_bits_checks_its_argument_first():
    s = skb.alloc_skb(100)
    try:
        with pytest.raises(OverflowError):
            s.copy_bits(0, -1)  # engine: ValueError from ffi.new
    finally:
        s.kfree()


def test_a_float_is_a_typeerror_for_every_setter():
    s = skb.alloc_skb(100)
    c = s.clone()
    try:
        with pytest.raises(TypeError):
            s.encapsulation = 1.5  # engine: OverflowError
        with pytest.raises(TypeError):
            s.gso_size = 1.5  # engine: SkbSharedWrite (s is cloned)
    finally:
        c.kfree()
        s.kfree()


def test_cb_takes_bytes_only():
    s = skb.alloc_skb(100)
    try:
        with pytest.raises(TypeError):
            s.cb = 5  # engine: stores five zero bytes
    finally:
        s.kfree()


def test_to_bytes_runs_the_structural_guard():
    s = skb.alloc_skb(100)
    s.put_data(b"hd")
    s.fill_page_desc(0, skb.alloc_page(), 0, 3)  # a frag data_len does not count
    try:
        with pytest.raises(skb.SkbBug):
            s.to_bytes()  # engine: b"hd", while copy_bits(0, 2) raises SkbBug
    finally:
        s.kfree()


def test_pull_tail_eating_frag_0_partly_keeps_the_later_frags():
    s = skb.alloc_skb(100)
    p = skb.alloc_page()
    p.get()
    s.add_rx_frag(0, p, 0, 2, 2)
    s.add_rx_frag(1, p, 0, 0, 0)  # an empty frag
    s.pull_tail(1)  # kernel: frag 0 cut in place, "if (!i) goto end": nr_frags stays 2
    try:
        assert [(f.offset, f.size) for f in s.frags] == [(1, 1), (0, 0)]  # engine: [(1, 1)]
        assert p.refcount == 2
    finally:
        s.kfree()


def member_broken_below():
    """s -> m, where m's frag is not counted in m's data_len: s passes its
    own structural guard, m does not."""
    s = skb.alloc_skb(100)
    s.put_data(b"ab")
    m = skb.alloc_skb(100)
    m.put_data(b"cd")
    s.frag_list_append(m)
    m.fill_page_desc(0, skb.alloc_page(), 0, 5)
    return s


def test_a_failed_store_bits_writes_nothing():
    s = member_broken_below()
    try:
        with pytest.raises(skb.SkbBug):
            s.store_bits(0, b"XYZW")
        assert bytes(s.data) == b"ab"  # engine: b"XY"
    finally:
        s.kfree()


def test_a_failed_linearize_keeps_the_head():
    s = skb.alloc_skb(0)
    s.put_data(bytes(380))  # 4 bytes of tailroom: the pull must reallocate
    m = skb.alloc_skb(0)
    m.put_data(b"m" * 10)
    mm = skb.alloc_skb(0)
    mm.put_data(b"n" * 10)
    mm.get()
    m.frag_list_append(mm)
    s.frag_list_append(m)
    mm.put_data(b"!")  # mm grows behind m's back
    try:
        with pytest.raises(skb.SkbBug):
            s.linearize()
        assert (s.end_offset, s.truesize) == (384, 2880)  # engine: (704, 3200)
    finally:
        mm.kfree()
        s.kfree()


def test_try_coalesce_does_not_merge_a_broken_skb():
    to = skb.alloc_skb(1000)
    frm = member_broken_below()
    try:
        with pytest.raises(skb.SkbBug):
            to.try_coalesce(frm)  # engine: returns 0, to holds b"ab\0\0"
    finally:
        if not isinstance(frm, skb.FreedSkBuff):
            frm.kfree()
        to.kfree()


def test_split_overpanic_reports_the_bytes_skb1_was_asked_for():
    s = skb.alloc_skb(100)
    s.put_data(b"x" * 50)
    s.add_rx_frag(0, skb.alloc_page(), 0, 1000, 4096)
    skb1 = skb.alloc_skb(0)
    skb1.reserve(380)  # empty, 4 bytes of tailroom
    try:
        with pytest.raises(skb.SkbOverPanic) as info:
            s.split(skb1, 10)
        assert info.value.put == 40  # headlen - n; engine: len - n = 1040
    finally:
        s.kfree()
        skb1.kfree()


def test_a_pinned_fclone_companion_is_not_handed_out_again():
    """ENGINE_CHOICES["fclone-companion-pinned"]: the companion died as a
    frag_list member while Python still has its handle, so the next clone is
    a plain one (the kernel would hand the companion out again: fclone_ref 2,
    fclone 2); without the handle the companion is reused."""
    assert "fclone-companion-pinned" in ENGINE_CHOICES
    s = skb.alloc_skb(100, fclone=True)
    s.put_data(b"orig")
    c = s.clone()  # the companion
    parent = skb.alloc_skb(100)
    parent.frag_list_append(c)
    parent.linearize()  # c is consumed; fclone_ref is back to 1
    d = s.clone()
    try:
        assert (s.fclone_ref, d.fclone) == (1, skb.SKB_FCLONE_UNAVAILABLE)
        with pytest.raises(skb.SkbUseAfterFree):
            c.len  # the handle that pinned it sees its skb dead, not d
    finally:
        for x in (d, s, parent):
            x.kfree()
    del c
    gc.collect()
    s = skb.alloc_skb(100, fclone=True)
    c = s.clone()
    c.kfree()
    d = s.clone()
    assert (s.fclone_ref, d.fclone) == (2, skb.SKB_FCLONE_CLONE)
    d.kfree()
    s.kfree()


def test_a_dead_borrowed_handle_releases_its_memory():
    gc.collect()
    before = skb.counters()
    s = skb.alloc_skb(100)
    m = skb.alloc_skb(100)
    m.get()
    s.frag_list_append(m)
    m.kfree()  # m is borrowed now
    s.kfree()  # and dies with s's frag_list
    with pytest.raises(skb.SkbUseAfterFree):
        m.len  # the handle notices
    del m, s
    gc.collect()
    after = skb.counters()
    assert (after.zombie_skbs, after.raw_blocks) == (before.zombie_skbs, before.raw_blocks)
