"""copy_bits, store_bits, header_pointer and to_bytes across the linear part,
frags and frag_list members (negative offsets reach the headroom)."""

import pytest

import skb
from skb import SkbBug, SkbFault, SkbSharedWrite
from skbhelp import head_bytes
from nlhelp import member, ok_all, paged, pattern, still

ROOM = pattern(16, 9)  # what the 16 bytes of headroom hold
LIN = b"0123456789"
F0, F1 = pattern(20, 1), pattern(30, 2)
M1L, M1F, M2L = b"m1-lin", pattern(5, 3), b"member2"


def sample():
    """16 headroom bytes (ROOM), 10 linear, frags of 20 and 30, members
    m1 (6 linear + 5 in a frag) and m2 (7 linear): len 78."""
    m1 = member(M1L, [M1F], size=0)
    m2 = member(M2L, size=0)
    s = paged(LIN, [F0, F1], size=100, headroom=16, members=[m1, m2])
    s.push(16)[:] = ROOM
    s.pull(16)
    assert (s.len, s.data_len, s.headroom) == (78, 68, 16)
    return s, m1, m2


WHOLE = LIN + F0 + F1 + M1L + M1F + M2L
WITH_ROOM = ROOM + WHOLE


def test_to_bytes_and_bytes():
    s, m1, m2 = sample()
    assert s.to_bytes() == bytes(s) == WHOLE
    assert m1.to_bytes() == M1L + M1F and bytes(m2) == M2L
    ok_all(s)
    s.kfree()


def test_copy_bits_every_window():
    s, _, _ = sample()
    for offset in range(-16, 79):
        for n in range(0, 79 - offset):
            assert s.copy_bits(offset, n) == WITH_ROOM[16 + offset:16 + offset + n], (offset, n)
    s.kfree()


@pytest.mark.parametrize("offset, n", [
    (-17, 1), (-17, 0), (-16, 95), (0, 79), (78, 1), (77, 2), (79, 0),
    (2**31 - 1, 1), (-2**31, 0), (0, 2**20),
])
def test_copy_bits_outside_is_a_fault(offset, n):
    s, _, _ = sample()
    with still(s):
        with pytest.raises(SkbFault):
            s.copy_bits(offset, n)
    s.kfree()


def test_copy_bits_at_the_edges():
    s, _, _ = sample()
    assert s.copy_bits(78, 0) == b""
    assert s.copy_bits(-16, 0) == b""
    assert s.copy_bits(-16, 94) == WITH_ROOM
    s.kfree()


@pytest.mark.parametrize("offset, n, exc", [
    (2**31, 1, OverflowError), (-2**31 - 1, 1, OverflowError),
    (0, 2**32, OverflowError), (0.0, 1, TypeError), (0, "1", TypeError),
])
def test_copy_bits_argument_checks(offset, n, exc):
    s, _, _ = sample()
    with still(s):
        with pytest.raises(exc):
            s.copy_bits(offset, n)
    s.kfree()


def test_copy_bits_negative_length_is_overflow_error():
    s = paged(b"abc", size=0)
    try:
        with still(s):
            with pytest.raises(OverflowError):
                s.copy_bits(0, -1)
    finally:
        s.kfree()


def test_copy_bits_walks_nested_members():
    inner = member(b"in", [b"ner"], size=0)
    m = member(b"mid", size=0, members=[inner])
    s = paged(b"top", [b"frag"], size=0, members=[m])
    assert s.to_bytes() == b"topfragmidinner"
    assert s.copy_bits(8, 6) == b"idinne"
    s.kfree()


# ---------------------------------------------------------------- store_bits

def test_store_bits_everywhere():
    s, m1, m2 = sample()
    p0, p1 = (f.page for f in s.frags)
    pm = m1.frags[0].page
    new = pattern(94, 77)
    s.store_bits(-16, new)
    assert s.copy_bits(-16, 94) == new
    assert head_bytes(s)[:26] == new[:26]
    assert bytes(p0.data[:20]) == new[26:46] and bytes(p1.data[:30]) == new[46:76]
    assert m1.to_bytes() == new[76:87] and bytes(pm.data[:5]) == new[82:87]
    assert m2.to_bytes() == new[87:]
    # lengths and offsets did not move
    assert (s.len, s.data_len, s.headroom, m1.len, m2.len) == (78, 68, 16, 11, 7)
    ok_all(s)
    s.kfree()


@pytest.mark.parametrize("offset, n", [(5, 3), (8, 10), (25, 12), (55, 15), (70, 8), (-3, 60)])
def test_store_bits_windows(offset, n):
    s, _, _ = sample()
    data = bytes((200 + k) & 0xFF for k in range(n))
    s.store_bits(offset, data)
    want = bytearray(WITH_ROOM)
    want[16 + offset:16 + offset + n] = data
    assert s.copy_bits(-16, 94) == bytes(want)
    s.kfree()


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_store_bits_accepts_buffers(kind):
    s, _, _ = sample()
    s.store_bits(9, kind(b"XYZ"))
    assert s.copy_bits(8, 5) == b"8XYZ" + F0[2:3]
    s.kfree()


@pytest.mark.parametrize("offset, n", [(-17, 1), (78, 1), (70, 9), (2**31 - 1, 1)])
def test_store_bits_outside_is_a_fault(offset, n):
    s, _, _ = sample()
    with still(s):
        with pytest.raises(SkbFault):
            s.store_bits(offset, b"\xee" * n)
    s.kfree()


@pytest.mark.parametrize("offset, exc", [(2**31, OverflowError), (-2**31 - 1, OverflowError),
                                         (None, TypeError)])
def test_store_bits_argument_checks(offset, exc):
    s, _, _ = sample()
    with still(s):
        with pytest.raises(exc):
            s.store_bits(offset, b"x")
    s.kfree()


def test_store_bits_refuses_a_shared_linear_part_before_writing():
    s, m1, m2 = sample()
    c = s.clone()
    with still(s, c):
        with pytest.raises(SkbSharedWrite):
            s.store_bits(5, b"xx")
        with pytest.raises(SkbSharedWrite):
            c.store_bits(-4, b"xx")  # the headroom is shared too
        with pytest.raises(SkbSharedWrite):
            s.store_bits(0, bytes(78))
    # frag pages may always be written, as in the kernel: both sides see it
    s.store_bits(10, b"FRAG")
    assert c.copy_bits(10, 4) == b"FRAG"
    # so may the members' private heads
    s.store_bits(60, b"M1")
    assert m1.to_bytes()[:2] == b"M1"
    c.kfree()
    s.kfree()


def test_store_bits_refuses_a_shared_member_head_before_writing_the_frags():
    s, m1, m2 = sample()
    mc = m2.clone()  # m2's head is now shared with mc
    with still(s, mc):
        # frag bytes [10, 60) come first in the walk; m2's head [71, 78) is shared
        with pytest.raises(SkbSharedWrite):
            s.store_bits(10, b"\xaa" * 68)
    s.store_bits(10, b"\xaa" * 61)  # stops before m2: fine
    assert s.copy_bits(10, 61) == b"\xaa" * 61
    mc.kfree()
    s.store_bits(71, b"M2")  # m2 is private again
    assert m2.to_bytes() == b"M2" + M2L[2:]
    s.kfree()


def test_store_bits_on_a_header_released_clone():
    """A clone of a header-released skb may write [head, hdr_len) (the
    headroom), not the shared data."""
    s = paged(b"payload", [b"frag"], size=100, headroom=32)
    s.header_release()
    c = s.clone()
    assert (c.hdr_len, c.header_cloned()) == (32, False)
    c.store_bits(-4, b"HDR!")
    assert c.copy_bits(-4, 4) == b"HDR!"
    with still(s, c):
        with pytest.raises(SkbSharedWrite):
            c.store_bits(-1, b"ab")  # ends past hdr_len
        with pytest.raises(SkbSharedWrite):
            s.store_bits(0, b"a")  # the original is cloned (dataref 0x10002)
    c.kfree()
    s.kfree()


# ---------------------------------------------------------------- header_pointer

def test_header_pointer_linear_is_a_zero_copy_read_only_view():
    s, _, _ = sample()
    hp = s.header_pointer(2, 5)
    assert isinstance(hp, memoryview) and hp.readonly
    assert bytes(hp) == b"23456"
    with pytest.raises(TypeError):
        hp[0] = 0
    s.store_bits(3, b"AB")
    assert bytes(hp) == b"2AB56"  # it reads the head itself
    whole = s.header_pointer(0, 10)
    assert bytes(whole) == b"012AB56789" == bytes(s.data)
    s.kfree()


def test_header_pointer_across_frags_is_a_read_only_copy():
    s, _, _ = sample()
    hp = s.header_pointer(8, 4)
    assert bytes(hp) == b"89" + F0[:2] and hp.readonly
    s.store_bits(8, b"zzzz")
    assert bytes(hp) == b"89" + F0[:2]  # a copy: unchanged
    deep = s.header_pointer(60, 18)
    assert bytes(deep) == WHOLE[60:] and deep.readonly
    s.kfree()


def test_header_pointer_negative_offset_copies_the_headroom():
    s, _, _ = sample()
    hp = s.header_pointer(-4, 6)
    assert bytes(hp) == ROOM[-4:] + b"01" and hp.readonly
    s.store_bits(-4, b"wxyz")
    assert bytes(hp) == ROOM[-4:] + b"01"  # a copy
    s.kfree()


@pytest.mark.parametrize("offset, n", [(-17, 1), (78, 1), (0, 79), (70, 9), (2**31 - 1, 1)])
def test_header_pointer_outside_is_none(offset, n):
    s, _, _ = sample()
    with still(s):
        assert s.header_pointer(offset, n) is None
    s.kfree()


def test_header_pointer_empty_ranges():
    s, _, _ = sample()
    assert bytes(s.header_pointer(10, 0)) == b""
    assert bytes(s.header_pointer(78, 0)) == b""
    assert s.header_pointer(79, 0) is None
    s.kfree()


@pytest.mark.parametrize("offset, n, exc", [(2**31, 1, OverflowError), (0, -1, OverflowError),
                                            (0, 2**32, OverflowError), ("0", 1, TypeError)])
def test_header_pointer_argument_checks(offset, n, exc):
    s, _, _ = sample()
    with still(s):
        with pytest.raises(exc):
            s.header_pointer(offset, n)
    s.kfree()


def test_header_pointer_on_a_clone_is_still_a_view():
    s, _, _ = sample()
    c = s.clone()
    hp = c.header_pointer(0, 4)
    assert bytes(hp) == b"0123" and hp.readonly
    c.kfree()
    s.kfree()


# ---------------------------------------------------------------- structural guard

def test_walkers_refuse_a_member_changed_behind_the_owner():
    s, m1, m2 = sample()
    m2.pull(3)  # m2 shrinks; s.data_len no longer adds up
    with still(s, with_bytes=False):
        with pytest.raises(SkbBug):
            s.to_bytes()
        with pytest.raises(SkbBug):
            s.copy_bits(0, 1)
        with pytest.raises(SkbBug):
            s.store_bits(0, b"x")
        with pytest.raises(SkbBug):
            s.checksum(0, 1)
        with pytest.raises(SkbBug):
            s.header_pointer(8, 4)  # must copy: walks
        with pytest.raises(SkbBug):
            s.copy()
    # a linear view needs no walk
    assert bytes(s.header_pointer(0, 4)) == b"0123"
    s.kfree()  # freeing still frees everything


def broken():
    """3 linear bytes, a 3-byte frag accounted, then a second 3-byte frag
    filled without accounting: data_len 3, frags hold 6."""
    s = paged(b"abc", [b"def"], size=100)
    s.fill_page_desc(1, skb.alloc_page(), 0, 3)
    assert (s.len, s.data_len, [f.size for f in s.frags]) == (6, 3, [3, 3])
    return s


@pytest.mark.parametrize("call", [
    lambda s, o: s.to_bytes(), lambda s, o: s.copy_bits(0, 1),
    lambda s, o: s.store_bits(4, b"x"), lambda s, o: s.checksum(0, 6),
    lambda s, o: s.header_pointer(2, 3), lambda s, o: s.may_pull(5),
    lambda s, o: s.pull_tail(1), lambda s, o: s.linearize(), lambda s, o: s.pskb_trim(4),
    lambda s, o: s.copy(), lambda s, o: s.split(o, 4), lambda s, o: s.try_coalesce(o),
], ids=["to_bytes", "copy_bits", "store_bits", "checksum", "header_pointer", "may_pull",
        "pull_tail", "linearize", "pskb_trim", "copy", "split", "try_coalesce_to"])
def test_structural_guard_on_frags(call):
    s = broken()
    other = skb.alloc_skb(0)  # an empty skb for split / try_coalesce
    with still(s, other, with_bytes=False):
        with pytest.raises(SkbBug):
            call(s, other)
    s.kfree()
    other.kfree()


def test_structural_guard_on_a_coalesce_source():
    to = paged(b"", [b"t"], size=0)
    frm = broken()
    with still(to, frm, with_bytes=False):
        with pytest.raises(SkbBug):
            to.try_coalesce(frm)
    to.kfree()
    frm.kfree()


def test_header_pointer_view_outlives_the_skb():
    s = paged(b"keep-me", [b"frag"], size=100)
    hp = s.header_pointer(0, 7)
    s.kfree()
    assert bytes(hp) == b"keep-me"  # the head stays mapped for the view


def test_page_view_outlives_the_frag_that_freed_the_page():
    s = paged(b"", [b"frag-bytes"], size=0)
    v = s.frags[0].page.data
    s.kfree()  # the frag's reference was the last: the page is freed
    assert bytes(v[:10]) == b"frag-bytes"
    v[0:1] = b"F"
    assert bytes(v[:1]) == b"F"
