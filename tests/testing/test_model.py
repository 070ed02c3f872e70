"""Exact-value tests of the pure-Python twin (skb.testing.model).

Every expected number is worked out by hand from the spec (api-2-3.md);
the arithmetic is in the comments.  Each test frees what it allocates: the
autouse fixture fails a test that leaves model skbs, heads or pages alive.
"""

import struct

import pytest

from skb.errors import (
    SkbBug,
    SkbDoubleFree,
    SkbFault,
    SkbOverPanic,
    SkbSharedWrite,
    SkbUnderPanic,
    SkbUseAfterFree,
    SkbWarning,
)
from skb.testing import model
from skb.testing.model import Frag, alloc_page, alloc_skb


@pytest.fixture(autouse=True)
def _model_no_leaks():
    before = model.counters()
    yield
    assert model.counters() == before


def state(s):
    """Everything observable about s, to check a failed call changed nothing."""
    return (
        s.len, s.data_len, s.data_offset, s.tail_offset, s.end_offset, s.truesize,
        s.users, s.dataref, s.cloned, s.nohdr, s.hdr_len, s.frags, s.frag_list,
        s.to_bytes(), bytes(s.data), s.mac_header, s.network_header,
        s.transport_header, s.gso_size, s.gso_type, s.fclone_ref,
    )


def linear(payload, size=100, headroom=0):
    s = alloc_skb(size)
    s.reserve(headroom)
    s.put_data(payload)
    return s


def with_frag(s, data, i=None, truesize=4096):
    """Add a frag holding data (on a fresh page) to s; return the page."""
    p = alloc_page()
    p.data[:len(data)] = data
    s.add_rx_frag(s.nr_frags if i is None else i, p, 0, len(data), truesize)
    return p


# ----------------------------------------------------------------------
# sizes


@pytest.mark.parametrize("size, end, truesize", [
    (0, 384, 960),          # 0 + 320 = 320 <= 704: small head cache, 704 - 320
    (100, 384, 960),        # 128 + 320 = 448 <= 704
    (384, 384, 960),        # 384 + 320 = 704, exactly the small head
    (385, 704, 1280),       # 448 + 320 = 768 -> kmalloc-1024
    (1500, 1728, 2304),     # 1536 + 320 = 1856 -> kmalloc-2048
    (7872, 7872, 8448),     # 7872 + 320 = 8192 -> kmalloc-8192
    (7873, 16064, 16640),   # 7936 + 320 = 8256 -> order-2 pages, 16384
    (4193984, 4193984, 4194560),  # + 320 = 4 MiB, the largest allocation
])
def test_alloc_skb_sizes(size, end, truesize):
    s = alloc_skb(size)
    assert (s.end_offset, s.truesize, s.tailroom, s.headroom, s.len) == (end, truesize, end, 0, 0)
    assert (s.users, s.dataref, s.fclone, s.fclone_ref) == (1, 1, 0, None)
    assert (s.mac_header, s.network_header, s.transport_header) == (None, 0, None)
    s.kfree()


def test_alloc_skb_above_4mib_is_memoryerror():
    with pytest.raises(MemoryError):
        alloc_skb(4193985)  # 4194048 + 320 > 4 MiB


@pytest.mark.parametrize("size, exc", [
    (-1, OverflowError), (2**32, OverflowError), ("1", TypeError), (1.0, TypeError),
])
def test_alloc_skb_argument_checks(size, exc):
    with pytest.raises(exc):
        alloc_skb(size)


def test_bool_is_accepted_as_an_int():
    s = alloc_skb(True)
    s.put(True)
    assert (s.end_offset, s.len) == (384, 1)
    s.kfree()


def test_fresh_head_bytes_are_zero():
    s = alloc_skb(100)
    assert bytes(s.put(384)) == bytes(384)
    s.kfree()


# ----------------------------------------------------------------------
# linear operations


def test_reserve_put_push_pull_geometry():
    s = alloc_skb(100)
    s.reserve(64)
    assert bytes(s.put_data(b"payload")) == b"payload"
    assert (s.headroom, s.tail_offset, s.tailroom, s.len) == (64, 71, 313, 7)
    hdr = s.push(4)
    hdr[:] = b"HDR:"
    assert (s.data_offset, s.len, bytes(s.data)) == (60, 11, b"HDR:payload")
    assert bytes(s.pull(4)) == b"payload"
    assert s.pull(8) is None  # past len: nothing happens
    assert (s.data_offset, s.len) == (64, 7)
    assert bytes(s.put_zero(3)) == bytes(3)
    assert s.len == 10
    s.kfree()


def test_put_past_end_is_overpanic_with_kernel_fields():
    s = alloc_skb(100)
    s.reserve(10)
    s.put(300)
    before = state(s)
    with pytest.raises(SkbOverPanic) as e:
        s.put(100)  # tail 310 + 100 > end 384
    assert (e.value.len, e.value.put, e.value.head, e.value.data, e.value.tail,
            e.value.end) == (300, 100, 0, 10, 310, 384)
    assert state(s) == before
    s.kfree()


def test_push_past_head_is_underpanic():
    s = alloc_skb(100)
    s.reserve(8)
    before = state(s)
    with pytest.raises(SkbUnderPanic) as e:
        s.push(9)
    assert (e.value.put, e.value.data) == (9, 8)
    assert state(s) == before
    s.kfree()


def test_reserve_checks_both_ends():
    s = alloc_skb(100)
    s.reserve(10)
    with pytest.raises(SkbUnderPanic):
        s.reserve(-11)
    with pytest.raises(SkbOverPanic):
        s.reserve(375)  # tail 10 + 375 > 384
    s.reserve(-10)
    assert (s.data_offset, s.tail_offset) == (0, 0)
    s.reserve(384)
    assert s.tailroom == 0
    s.kfree()


def test_put_and_pull_on_nonlinear_skb_are_bugs():
    s = linear(b"abc")
    p = with_frag(s, b"defg")
    before = state(s)
    with pytest.raises(SkbBug):
        s.put(1)
    with pytest.raises(SkbBug):
        s.pull(4)  # len 7 - 4 = 3 < data_len 4
    assert state(s) == before
    assert bytes(s.pull(3)) == b""  # exactly the linear part is fine
    assert (s.len, s.headlen) == (4, 0)
    s.kfree()
    assert type(p).__name__ == "_FreedPage"


def test_trim_linear_and_nonlinear():
    s = linear(b"0123456789")
    s.trim(20)  # longer: nothing
    s.trim(4)
    assert (s.len, s.tail_offset, s.to_bytes()) == (4, 4, b"0123")
    with_frag(s, b"xy")
    before = state(s)
    with pytest.warns(SkbWarning):
        s.trim(1)
    assert state(s) == before
    s.kfree()


@pytest.mark.parametrize("call, exc", [
    (lambda s: s.put(-1), OverflowError),
    (lambda s: s.put(2**32), OverflowError),
    (lambda s: s.push("1"), TypeError),
    (lambda s: s.pull(None), TypeError),
    (lambda s: s.reserve(2**31), OverflowError),
    (lambda s: s.reserve(-2**31 - 1), OverflowError),
    (lambda s: s.set_mac_header(2**31), OverflowError),
    (lambda s: s.expand_head(0, -2**31 - 1), OverflowError),
    (lambda s: s.copy_bits(0, -1), OverflowError),
    (lambda s: s.checksum(0, 1, 2**32), OverflowError),
    (lambda s: s.put_data(5), TypeError),
])
def test_argument_checks_come_first_and_change_nothing(call, exc):
    s = linear(b"abc", headroom=16)
    before = state(s)
    with pytest.raises(exc):
        call(s)
    assert state(s) == before
    s.kfree()


# ----------------------------------------------------------------------
# header offsets


def test_set_and_reset_header_offsets():
    s = alloc_skb(100)
    s.reserve(20)
    s.put(40)
    s.reset_mac_header()
    s.set_network_header(14)
    s.set_transport_header(34)
    assert (s.mac_header, s.network_header, s.transport_header) == (20, 34, 54)
    assert (s.mac_offset, s.network_offset, s.transport_offset) == (0, 14, 34)
    assert s.network_header_len == 20
    s.reset_mac_len()
    assert s.mac_len == 14
    s.pull(14)
    assert (s.mac_offset, s.network_offset) == (-14, 0)
    s.set_mac_header(-34)  # 34 + -34 = 0
    assert s.mac_header == 0
    s.kfree()


def test_header_offset_bounds_are_bugs():
    s = alloc_skb(100)
    s.reserve(10)
    with pytest.raises(SkbBug):
        s.set_network_header(-11)  # before head
    with pytest.raises(SkbBug):
        s.set_network_header(375)  # 385 > end 384
    s.set_network_header(374)  # == end is allowed
    assert s.network_header == 384
    s.kfree()


def test_unset_headers_and_reset_inner_headers():
    s = alloc_skb(100)
    s.reserve(20)
    assert s.network_header_len == 0xFFFF  # unset transport 0xFFFF - network 0
    s.reset_mac_len()
    assert s.mac_len == 0  # mac unset
    s.reset_network_header()
    assert s.network_header_len == 0xFFFF - 20
    assert (s.inner_mac_header, s.inner_network_header, s.inner_transport_header) == (None,) * 3
    s.reset_inner_headers()
    # The raw outer values: unset mac/transport read back as 65535.
    assert (s.inner_mac_header, s.inner_network_header, s.inner_transport_header) == (
        65535, 20, 65535)
    assert s.inner_network_offset == 0
    s.kfree()


def test_headers_offset_update_quirk_on_expand_head():
    s = alloc_skb(100)
    s.reserve(20)
    s.put(10)
    s.reset_network_header()  # 20
    s.csum_start = 100
    s.expand_head(64, 0)
    # network always moves; an unset transport wraps 0xFFFF + 64 -> 63; an
    # unset mac stays unset; inner headers (0) move to 64; csum_start only
    # moves under CHECKSUM_PARTIAL.
    assert (s.network_header, s.transport_header, s.mac_header) == (84, 63, None)
    assert (s.inner_mac_header, s.inner_network_header, s.inner_transport_header) == (64,) * 3
    assert s.csum_start == 100
    s.reset_mac_header()  # 84
    s.ip_summed = model.CHECKSUM_PARTIAL
    s.expand_head(64, 0)
    assert (s.mac_header, s.network_header, s.transport_header, s.csum_start) == (
        148, 148, 127, 164)
    s.kfree()


# ----------------------------------------------------------------------
# metadata


def test_metadata_bit_widths():
    s = alloc_skb(100)
    for name, bits in [("ip_summed", 2), ("csum", 32), ("csum_start", 16),
                       ("csum_offset", 16), ("csum_level", 2), ("protocol", 16),
                       ("inner_protocol", 16), ("encapsulation", 1), ("vlan_proto", 16),
                       ("vlan_tci", 16), ("priority", 32), ("mark", 32), ("hash", 32),
                       ("pkt_type", 3), ("queue_mapping", 16), ("gso_size", 16),
                       ("gso_segs", 16), ("gso_type", 32)]:
        setattr(s, name, (1 << bits) - 1)
        assert getattr(s, name) == (1 << bits) - 1
        with pytest.raises(OverflowError):
            setattr(s, name, 1 << bits)
        with pytest.raises(OverflowError):
            setattr(s, name, -1)
        setattr(s, name, 0)
    s.kfree()


def test_csum_shares_storage_with_csum_start_and_offset():
    s = alloc_skb(100)
    s.csum = 0x12345678
    assert (s.csum_start, s.csum_offset) == (0x5678, 0x1234)
    s.csum_offset = 1
    assert s.csum == 0x00015678
    s.csum_start = 0xABCD
    assert s.csum == 0x0001ABCD
    s.kfree()


def test_cb_is_48_bytes_zero_padded():
    s = alloc_skb(100)
    assert s.cb == bytes(48)
    s.cb = b"ab"
    assert s.cb == b"ab" + bytes(46)
    with pytest.raises(ValueError):
        s.cb = bytes(49)
    assert s.cb == b"ab" + bytes(46)
    s.kfree()


def test_gso_fields_are_shared_and_refused_on_clones():
    s = alloc_skb(100)
    s.gso_size = 1448
    c = s.clone()
    assert (c.gso_size, c.gso_segs, c.gso_type) == (1448, 0, 0)
    with pytest.raises(OverflowError):
        c.gso_size = 1 << 16  # the range check comes first
    with pytest.raises(SkbSharedWrite):
        c.gso_size = 1
    with pytest.raises(SkbSharedWrite):
        s.gso_type = 1
    c.kfree()
    s.gso_segs = 3  # the clone is gone: private again
    assert s.gso_segs == 3
    s.kfree()


# ----------------------------------------------------------------------
# sharing


def test_get_kfree_and_py_refs():
    s = alloc_skb(100)
    assert s.get() is s
    assert (s.users, s.shared()) == (2, True)
    s.kfree()
    assert (s.users, s.shared()) == (1, False)
    s.consume()
    with pytest.raises(SkbDoubleFree):
        s.kfree()
    with pytest.raises(SkbDoubleFree):
        s.consume()
    with pytest.raises(SkbUseAfterFree):
        s.len
    with pytest.raises(SkbUseAfterFree):
        s.put(1)
    with pytest.raises(SkbUseAfterFree):
        bytes(s)
    with pytest.raises(SkbUseAfterFree):
        s.mark = 1
    assert repr(s) == "<model.SkBuff freed>"


def test_every_public_name_raises_after_free():
    s = alloc_skb(100)
    s.kfree()
    for name in dir(model.SkBuff):
        if name.startswith("_"):
            continue
        exc = SkbDoubleFree if name in ("kfree", "consume") else SkbUseAfterFree
        with pytest.raises(exc):
            attr = getattr(s, name)
            attr()


def test_clone_shares_data_and_counts_dataref():
    s = alloc_skb(100)
    s.reserve(16)
    s.put_data(b"hello")
    s.reset_network_header()
    s.mark = 7
    s.cb = b"cb"
    c = s.clone()
    assert (c.data_offset, c.tail_offset, c.end_offset, c.len, c.truesize) == (16, 21, 384, 5, 960)
    assert (c.network_header, c.mark, c.cb[:2], c.users) == (16, 7, b"cb", 1)
    assert (s.dataref, s.cloned, c.cloned, c.nohdr, c.hdr_len) == (2, True, True, False, 0)
    assert s.is_cloned() and c.is_cloned() and s.header_cloned()
    assert not s.shared()
    # Struct fields stay private.
    c.pull(2)
    assert (s.len, c.len) == (5, 3)
    c.kfree()
    assert (s.dataref, s.cloned, s.is_cloned()) == (1, True, False)  # the bit is sticky
    s.kfree()


def test_fclone_pair_sequence():
    f = alloc_skb(100, fclone=True)
    assert (f.fclone, f.fclone_ref) == (model.SKB_FCLONE_ORIG, 1)
    c1 = f.clone()  # the companion
    assert (c1.fclone, c1.fclone_ref, f.fclone_ref, f.dataref) == (2, 2, 2, 2)
    c2 = f.clone()  # the companion is busy: a plain struct
    assert (c2.fclone, c2.fclone_ref, f.dataref) == (0, None, 3)
    c3 = c1.clone()  # a clone of the companion never uses the pair
    assert (c3.fclone, f.dataref) == (0, 4)
    c1.kfree()
    assert (f.fclone_ref, f.dataref) == (1, 3)
    c4 = f.clone()  # the companion is free again
    assert (c4.fclone, c4.fclone_ref, f.dataref) == (2, 2, 4)
    f.kfree()
    assert (c4.fclone_ref, c4.dataref) == (1, 3)
    for s in (c2, c3, c4):
        s.kfree()


def test_clone_refuses_a_full_dataref():
    s = alloc_skb(100)
    clones = [s.clone() for _ in range(0xFFFE)]
    assert s.dataref == 0xFFFF
    with pytest.raises(SkbBug):
        s.clone()
    assert s.dataref == 0xFFFF
    for c in clones:
        c.kfree()
    s.kfree()


def test_header_release_and_nohdr_clone():
    s = alloc_skb(100)
    s.reserve(32)
    s.put(20)
    s.header_release()
    assert (s.nohdr, s.dataref) == (True, 0x10001)
    c = s.clone()
    assert (s.dataref, c.hdr_len, c.nohdr) == (0x10002, 32, False)
    # Both see 2 references, one of them payload-only: the header area has a
    # single user, the payload two.
    assert c.is_cloned() and not c.header_cloned() and not s.header_cloned()
    assert c.push(10).readonly is False  # [22, 32) lies inside hdr_len 32
    assert c.data.readonly is True  # [22, 52) does not
    with pytest.raises(SkbBug):
        c.header_release()  # dataref low half is 2
    s.kfree()  # the nohdr share: 0x10002 - 0x10001
    assert (c.dataref, c.is_cloned()) == (1, False)
    assert c.data.readonly is False
    c.kfree()


def test_shared_views_are_read_only_and_writes_raise():
    s = linear(b"abcd", headroom=8)
    c = s.clone()
    v = s.data
    assert v.readonly
    with pytest.raises(TypeError):
        v[0] = 0
    before = state(s)
    with pytest.raises(SkbSharedWrite):
        s.put_data(b"x")
    with pytest.raises(SkbSharedWrite):
        s.store_bits(0, b"x")
    assert state(s) == before
    assert s.put(1).readonly
    c.kfree()
    s.kfree()


def test_views_keep_the_old_head_after_expand_head():
    s = linear(b"abcd")
    old = s.data
    s.expand_head(64, 0)
    old[0:1] = b"X"
    assert (bytes(old), bytes(s.data)) == (b"Xbcd", b"abcd")
    s.kfree()
    assert bytes(old) == b"Xbcd"


# ----------------------------------------------------------------------
# copies


def test_expand_head_rounding_and_truesize():
    s = alloc_skb(100)
    s.reserve(16)
    s.put_data(b"0123456789")
    s.expand_head(64, 0)  # 384 + 64 = 448 -> 512 + 320 = 832 -> 1024: end 704
    assert (s.end_offset, s.data_offset, s.tail_offset, s.truesize) == (704, 80, 90, 1280)
    assert s.data_offset == 80 and bytes(s.data) == b"0123456789"
    assert s.copy_bits(-80, 80) == bytes(80)  # new bytes before nhead are zero
    s.expand_head(0, 1000)  # 704 + 1000 = 1704 -> 1728 + 320 = 2048: end 1728
    assert (s.end_offset, s.truesize) == (1728, 2304)
    s.kfree()


def test_expand_head_may_shrink_but_not_cut_data():
    s = alloc_skb(100)
    s.put(26)
    before = state(s)
    with pytest.raises(SkbBug):
        s.expand_head(0, -359)  # 384 - 359 = 25 < tail 26
    with pytest.raises(SkbBug):
        s.expand_head(-1, 0)
    s.get()
    with pytest.raises(SkbBug):
        s.expand_head(0, 0)  # shared
    s.kfree()
    assert state(s) == before
    with pytest.raises(MemoryError):
        s.expand_head(5 << 20, 0)
    assert state(s) == before
    s.expand_head(0, -358)  # 26 bytes: 64 + 320 -> the small head, end 384
    assert (s.end_offset, s.truesize) == (384, 960)
    s.kfree()


def test_expand_head_on_a_clone_takes_frag_and_member_references():
    s = linear(b"ab")
    p = with_frag(s, b"cd")
    m = linear(b"ef")
    s.frag_list_append(m)
    c = s.clone()
    c.expand_head(0, 0)
    assert (p.refcount, m.users, s.dataref, c.dataref, c.cloned) == (2, 2, 1, 1, False)
    assert c.to_bytes() == s.to_bytes() == b"abcdef"
    c.kfree()
    assert (p.refcount, m.users) == (1, 1)
    s.kfree()
    assert type(m).__name__ == "_FreedSkBuff"


def test_copy_linearises_and_keeps_headroom_bytes():
    s = linear(b"hello", headroom=16)
    s.push(4)[:] = b"HDR!"
    s.pull(4)
    s.reset_mac_header()
    s.set_network_header(2)
    s.reset_mac_len()
    s.priority = 5
    s.gso_size = 100
    with_frag(s, b"world")
    c = s.copy()  # 384 + 5 = 389 -> 448 + 320 = 768 -> 1024: end 704
    assert (c.end_offset, c.truesize, c.data_offset, c.len, c.data_len) == (704, 1280, 16, 10, 0)
    assert c.copy_bits(-16, 26) == bytes(12) + b"HDR!helloworld"
    assert (c.mac_header, c.network_header, c.priority, c.gso_size) == (16, 18, 5, 100)
    assert (s.mac_len, c.mac_len) == (2, 0)  # __copy_skb_header leaves mac_len out
    assert (c.users, c.dataref, c.cloned, c.nr_frags) == (1, 1, False, 0)
    c.kfree()
    s.kfree()


def test_pskb_copy_shares_frags_and_members():
    s = linear(b"hello", headroom=16)
    s.push(4)[:] = b"HDR!"
    s.pull(4)
    p = with_frag(s, b"world")
    m = linear(b"!!")
    s.frag_list_append(m)
    s.gso_type = 4
    c = s.pskb_copy()  # 5 + 16 = 21 -> the small head, end 384
    assert (c.end_offset, c.data_offset, c.len, c.data_len) == (384, 16, 12, 7)
    assert c.truesize == 960 + 7
    assert c.copy_bits(-16, 16) == bytes(16)  # pskb_copy copies no headroom
    assert c.to_bytes() == b"helloworld!!"
    assert (c.frags, c.frag_list, p.refcount, m.users, c.gso_type) == (
        [Frag(p, 0, 5)], [m], 2, 2, 4)
    s.kfree()
    assert (p.refcount, m.users) == (1, 1)
    c.kfree()


def test_realloc_headroom():
    s = linear(b"0123456789", headroom=16)
    r = s.realloc_headroom(100)  # delta 84 -> nhead 128; 384 + 128 = 512 -> end 704
    assert (r.headroom, r.end_offset, r.truesize, bytes(r.data)) == (144, 704, 1280, b"0123456789")
    assert (s.dataref, s.cloned, r.cloned, r.dataref) == (1, True, False, 1)
    q = s.realloc_headroom(8)  # delta <= 0: pskb_copy, same headroom
    assert (q.headroom, q.end_offset, q.users) == (16, 384, 1)
    with pytest.raises(MemoryError):
        s.realloc_headroom(5 << 20)
    assert s.dataref == 1  # the failed clone was freed
    for x in (q, r, s):
        x.kfree()


def test_cow_and_cow_head():
    s = linear(b"abc", headroom=16)
    c = s.clone()
    s.cow(0)  # cloned: expand_head(0, 0)
    assert (s.dataref, c.dataref, s.end_offset, s.truesize, s.cloned) == (1, 1, 384, 960, False)
    s.cow(100)  # delta 84 -> 128: 512 -> end 704
    assert (s.headroom, s.end_offset, s.truesize) == (144, 704, 1280)
    s.cow(100)  # enough headroom, private: nothing
    assert s.end_offset == 704
    with pytest.raises(SkbBug):
        s.cow(2**32 - 1)  # the rounded headroom does not fit an int
    c.kfree()
    s.header_release()
    c = s.clone()
    s.cow_head(0)  # the header area is not shared: nothing
    assert (s.dataref, s.end_offset) == (0x10002, 704)
    s.cow(0)
    assert (s.dataref, c.dataref, s.nohdr) == (1, 1, False)
    c.kfree()
    s.kfree()


def test_unshare_and_share_check():
    s = linear(b"abc")
    assert s.unshare() is s
    c = s.clone()
    u = c.unshare()
    assert u is not c and bytes(u.data) == b"abc" and not u.cloned
    with pytest.raises(SkbUseAfterFree):
        c.len
    assert s.dataref == 1
    assert s.share_check() is s
    s.get()
    t = s.share_check()
    assert (t is not s, s.users, s.dataref, t.users) == (True, 1, 2, 1)
    for x in (t, u, s):
        x.kfree()


# ----------------------------------------------------------------------
# pages and frags


def test_pages():
    p = alloc_page(1)
    assert (p.order, p.size, p.refcount, bytes(p.data[:4])) == (1, 8192, 1, bytes(4))
    assert p.get() is p and p.refcount == 2
    p.put()
    p.put()
    with pytest.raises(SkbDoubleFree):
        p.put()
    with pytest.raises(SkbUseAfterFree):
        p.refcount
    with pytest.raises(MemoryError):
        alloc_page(11)
    with pytest.raises(OverflowError):
        alloc_page(-1)


def test_fill_page_desc_and_add_rx_frag():
    s = linear(b"hd")
    p = alloc_page()
    p.data[:6] = b"abcdef"
    s.fill_page_desc(0, p, 1, 3)  # only fills
    assert (s.nr_frags, s.len, s.data_len, s.truesize, p.refcount) == (1, 2, 0, 960, 1)
    with pytest.raises(SkbBug):
        p.put()  # the frag holds Python's reference now
    p.get()
    s.add_rx_frag(1, p, 4, 2, 1000)
    assert (s.len, s.data_len, s.truesize, p.refcount) == (4, 2, 1960, 2)
    assert s.frags == [Frag(p, 1, 3), Frag(p, 4, 2)]
    # data_len (2) no longer matches the frags (3 + 2): the structural guard
    # refuses to walk them.
    with pytest.raises(SkbBug):
        s.to_bytes()
    s.kfree()
    assert type(p).__name__ == "_FreedPage"


def test_fill_page_desc_checks():
    s = alloc_skb(100)
    p = alloc_page()
    c = s.clone()
    before = state(s)
    with pytest.raises(SkbBug):
        s.fill_page_desc(1, p, 0, 1)  # not the next index
    with pytest.raises(SkbBug):
        s.fill_page_desc(0, p, 4000, 97)  # past the page
    with pytest.raises(SkbSharedWrite):
        s.fill_page_desc(0, p, 0, 1)
    with pytest.raises(TypeError):
        s.fill_page_desc(0, "page", 0, 1)
    assert (state(s), p.refcount) == (before, 1)
    c.kfree()
    pages = [alloc_page() for _ in range(18)]
    for i in range(17):
        s.fill_page_desc(i, pages[i], 0, 1)
    with pytest.raises(SkbBug):
        s.fill_page_desc(17, pages[17], 0, 1)  # MAX_SKB_FRAGS
    pages[17].put()
    s.kfree()
    s = alloc_skb(0)
    with pytest.raises(SkbUseAfterFree):
        s.fill_page_desc(0, pages[0], 0, 1)  # freed with the first skb
    assert (s.nr_frags, pages[0].__class__.__name__) == (0, "_FreedPage")
    s.kfree()
    p.put()


def test_can_coalesce_and_coalesce_rx_frag():
    s = alloc_skb(100)
    p = alloc_page()
    s.add_rx_frag(0, p, 0, 100, 500)
    assert [s.can_coalesce(1, p, 100), s.can_coalesce(1, p, 99), s.can_coalesce(0, p, 0),
            s.can_coalesce(2, p, 100)] == [True, False, False, False]
    s.coalesce_rx_frag(0, 50, 1000)
    assert (s.frags, s.len, s.data_len, s.truesize) == ([Frag(p, 0, 150)], 150, 150, 2460)
    before = state(s)
    with pytest.raises(SkbBug):
        s.coalesce_rx_frag(0, 3947, 0)  # 150 + 3947 > 4096
    with pytest.raises(SkbBug):
        s.coalesce_rx_frag(1, 1, 0)
    assert state(s) == before
    s.kfree()


def test_frag_ref_and_unref():
    s = alloc_skb(100)
    p = alloc_page()
    s.add_rx_frag(0, p, 0, 10, 10)
    assert s.frag_ref(0) is p and p.refcount == 2
    s.frag_unref(0)
    assert p.refcount == 1
    with pytest.raises(SkbBug):
        s.frag_unref(0)  # Python holds none
    with pytest.raises(SkbBug):
        s.frag_ref(1)
    s.kfree()


# ----------------------------------------------------------------------
# frag_list


def test_frag_list_append_prepend_and_ownership():
    s = linear(b"head")
    m1, m2 = linear(b"one"), linear(b"two")
    s.frag_list_append(m1)
    s.frag_list_prepend(m2)
    assert (s.len, s.data_len, s.truesize, s.frag_list) == (10, 6, 2880, [m2, m1])
    assert list(s.walk_frags()) == [m2, m1]
    assert s.to_bytes() == b"headtwoone"
    with pytest.raises(SkbBug):
        m1.kfree()  # the list holds its reference, not Python
    before = state(s)
    with pytest.raises(SkbBug):
        s.frag_list_append(m1)  # no Python reference
    m1.get()
    with pytest.raises(SkbBug):
        s.frag_list_append(m1)  # was on a list before
    m1.kfree()
    with pytest.raises(SkbBug):
        s.frag_list_append(s)
    assert state(s) == before
    s.kfree()
    with pytest.raises(SkbUseAfterFree):
        m1.len


def test_frag_list_cycle_and_clone_checks():
    s = linear(b"s")
    m = linear(b"m")
    s.get()
    m.frag_list_append(s)
    with pytest.raises(SkbBug):
        s.frag_list_append(m)  # s is inside m's tree
    n = linear(b"n")
    with pytest.raises(SkbBug):
        s.frag_list_append(n)  # s is itself a member
    o = linear(b"o")
    c = o.clone()
    with pytest.raises(SkbSharedWrite):
        o.frag_list_append(n)
    for x in (c, n, o, s, m):
        x.kfree()


# ----------------------------------------------------------------------
# pull_tail, may_pull, linearize


def test_pull_tail_grows_the_head_by_eat_plus_128():
    s = alloc_skb(100)
    s.put_data(bytes(range(200)) + bytes(100))  # tail 300, end 384
    p = alloc_page()
    p.data[:200] = bytes(range(56, 256))
    s.add_rx_frag(0, p, 0, 200, 4096)
    assert s.truesize == 5056
    s.pull_tail(100)  # eat = 300 + 100 - 384 = 16 -> ntail 144: 528 -> 1024, end 704
    assert (s.end_offset, s.truesize, s.tail_offset, s.data_len, s.len) == (704, 5376, 400, 100, 500)
    assert s.frags == [Frag(p, 100, 100)]
    assert bytes(s.data[300:]) == bytes(range(56, 156))
    p.get()
    s.linearize()  # fits: no reallocation
    assert (s.end_offset, s.truesize, s.nr_frags, s.data_len, s.headlen, p.refcount) == (
        704, 5376, 0, 0, 500, 1)
    assert bytes(s.data[400:]) == bytes(range(156, 256))
    p.put()
    s.kfree()


def test_pull_tail_checks():
    s = linear(b"ab")
    with_frag(s, b"cd")
    before = state(s)
    with pytest.raises(SkbBug):
        s.pull_tail(3)  # more than data_len
    assert state(s) == before
    s.get()
    c = s.clone()
    before = state(s)
    with pytest.raises(SkbBug):
        s.pull_tail(1)  # the head is cloned, so it must be reallocated: shared skb
    with pytest.raises(SkbBug):
        s.may_pull(3)
    assert state(s) == before
    c.kfree()
    s.kfree()
    s.kfree()


def test_pull_tail_on_a_shared_skb_that_needs_no_reallocation():
    # __pskb_pull_tail has no shared check of its own: only pskb_expand_head
    # refuses a shared skb, and a private head with tailroom is not expanded.
    s = linear(b"ab")
    with_frag(s, b"cd")
    s.get()
    s.pull_tail(1)
    assert (s.len, s.data_len, bytes(s.data), s.users) == (4, 1, b"abc", 2)
    s.kfree()
    s.kfree()


def test_pull_tail_on_a_clone_reallocates():
    s = linear(b"ab")
    p = with_frag(s, b"cdef")
    c = s.clone()
    s.pull_tail(2)
    assert (s.dataref, c.dataref, s.frags, c.frags) == (1, 1, [Frag(p, 2, 2)], [Frag(p, 0, 4)])
    assert (p.refcount, s.to_bytes(), c.to_bytes()) == (2, b"abcdef", b"abcdef")
    c.kfree()
    s.kfree()


def test_may_pull():
    s = linear(b"abc")
    with_frag(s, b"defg")
    assert s.may_pull(3) is True and s.headlen == 3
    assert s.may_pull(8) is False and s.headlen == 3
    assert s.may_pull(5) is True
    assert (s.headlen, s.data_len, s.frags[0].offset, s.frags[0].size) == (5, 2, 2, 2)
    s.kfree()


def test_pull_tail_drops_empty_frags_except_when_frag_0_is_cut():
    def build():
        s = alloc_skb(100)
        pages = [alloc_page() for _ in range(3)]
        s.add_rx_frag(0, pages[0], 0, 10, 0)
        s.add_rx_frag(1, pages[1], 0, 0, 0)
        s.add_rx_frag(2, pages[2], 0, 10, 0)
        return s, pages

    s, (a, z, b) = build()
    s.pull_tail(5)  # frag 0 cut: the kernel stops there, the empty frag stays
    assert s.frags == [Frag(a, 5, 5), Frag(z, 0, 0), Frag(b, 0, 10)]
    s.kfree()
    s, (a, z, b) = build()
    s.pull_tail(10)  # frag 0 eaten; the empty one goes too (0 <= 0)
    assert s.frags == [Frag(b, 0, 10)]
    assert type(z).__name__ == "_FreedPage"
    s.pull_tail(5)
    assert s.frags == [Frag(b, 5, 5)]
    s.kfree()


def test_pull_tail_through_the_frag_list():
    s = linear(b"0123456789")
    m1 = linear(b"a" * 20)
    m2 = linear(b"b" * 30)
    s.frag_list_append(m1)
    s.frag_list_append(m2)
    s.gso_size = 100
    s.pull_tail(25)  # m1 eaten whole, m2 pulled by 5
    assert (s.len, s.data_len, s.headlen, s.gso_type) == (60, 25, 35, model.SKB_GSO_DODGY)
    assert s.frag_list == [m2] and (m2.len, m2.data_offset) == (25, 5)
    assert s.to_bytes() == b"0123456789" + b"a" * 20 + b"b" * 30
    with pytest.raises(SkbUseAfterFree):
        m1.len
    s.kfree()


def test_pull_tail_replaces_a_shared_member_by_a_clone():
    s = linear(b"0123456789")
    m = linear(b"b" * 30)
    s.frag_list_append(m)
    m.get()
    s.pull_tail(5)
    (c,) = s.frag_list
    assert c is not m
    assert (c.len, c.data_offset, c.users, c.fclone) == (25, 5, 1, 0)
    assert (m.len, m.users, m.dataref, s.gso_type) == (30, 1, 2, 0)  # gso_size 0: no DODGY
    s.kfree()
    assert m.dataref == 1
    m.kfree()


# ----------------------------------------------------------------------
# pskb_trim and condense


def test_pskb_trim_in_the_frags_then_condense():
    s = linear(b"h" * 50)
    p1 = with_frag(s, b"x" * 100)
    p2 = with_frag(s, b"y" * 100)
    p1.get()
    p2.get()
    assert (s.len, s.data_len, s.truesize) == (250, 200, 9152)
    s.pskb_trim(120)
    # frag 0 keeps 70 bytes, frag 1 goes; condense pulls the 70 bytes in
    # (70 <= 384 - 50) and resets truesize to SKB_TRUESIZE(384).
    assert (s.len, s.data_len, s.tail_offset, s.nr_frags, s.truesize) == (120, 0, 120, 0, 960)
    assert (p1.refcount, p2.refcount) == (1, 1)
    assert s.to_bytes() == b"h" * 50 + b"x" * 70
    p1.put()
    p2.put()
    s.kfree()


def test_pskb_trim_when_condense_cannot_pull():
    s = linear(bytes(300))  # tailroom 84
    p1 = with_frag(s, b"x" * 100)
    with_frag(s, b"y" * 100)
    assert s.truesize == 960 + 2 * 4096
    s.pskb_trim(450)  # frag 1 keeps 50; 150 bytes do not fit in 84
    assert (s.len, s.data_len, s.frags[1].size, s.nr_frags) == (450, 150, 50, 2)
    # skb_condense returns before resetting truesize when it cannot pull.
    assert s.truesize == 960 + 2 * 4096
    assert p1.refcount == 1
    s.kfree()


def test_pskb_trim_into_the_linear_part_drops_everything_paged():
    s = linear(b"0123456789")
    p = with_frag(s, b"frag")
    p.get()
    m = linear(b"member")
    s.frag_list_append(m)
    c = s.clone()
    s.pskb_trim(4)  # cloned: private head first
    assert (s.len, s.data_len, s.tail_offset, s.nr_frags, s.frag_list) == (4, 0, 4, 0, [])
    assert (s.dataref, s.truesize, p.refcount, m.users) == (1, 960, 2, 1)
    assert c.to_bytes() == b"0123456789fragmember"
    c.kfree()
    assert p.refcount == 1
    p.put()
    s.kfree()


def test_pskb_trim_in_the_frag_list_clones_shared_members():
    s = linear(b"s" * 10)
    m1 = linear(b"a" * 20)
    m2 = linear(b"b" * 30)
    s.frag_list_append(m1)
    s.frag_list_append(m2)
    assert s.truesize == 2880
    m2.get()
    s.pskb_trim(40)
    # m1 (ends at 30) stays; m2 is shared, so a clone trimmed to 10 takes its
    # place; condense then pulls all 30 paged bytes in and frees both.
    assert (s.len, s.data_len, s.tail_offset, s.frag_list, s.truesize) == (40, 0, 40, [], 960)
    assert s.to_bytes() == b"s" * 10 + b"a" * 20 + b"b" * 10
    with pytest.raises(SkbUseAfterFree):
        m1.len
    assert (m2.len, m2.users, m2.dataref, m2.cloned) == (30, 1, 1, True)
    m2.kfree()
    s.kfree()


def test_pskb_trim_keeps_members_when_condense_cannot_pull():
    s = linear(b"s" * 300)
    m1 = linear(b"a" * 100)
    m2 = linear(b"b" * 100)
    s.frag_list_append(m1)
    s.frag_list_append(m2)
    s.pskb_trim(450)  # m2 trimmed to 50; 150 paged bytes > tailroom 84
    # condense cannot pull, so truesize keeps the members' 2 * 960
    assert (s.len, s.data_len, s.frag_list, m2.len, s.truesize) == (450, 150, [m1, m2], 50, 2880)
    s.kfree()


def test_pskb_trim_linear_and_no_op():
    s = linear(b"abcdef")
    s.pskb_trim(10)
    s.pskb_trim(3)
    assert (s.len, s.tail_offset, s.truesize) == (3, 3, 960)
    s.kfree()


# ----------------------------------------------------------------------
# copy_bits, store_bits, header_pointer


def test_copy_bits_walks_everything_and_reads_headroom():
    s = linear(b"lin", headroom=4)
    s.push(4)[:] = b"room"
    s.pull(4)
    with_frag(s, b"frag")
    m = linear(b"mem")
    with_frag(m, b"ber")
    s.frag_list_append(m)
    assert s.to_bytes() == bytes(s) == b"linfragmember"
    assert s.copy_bits(-4, 9) == b"roomlinfr"
    assert s.copy_bits(5, 6) == b"agmemb"
    assert s.copy_bits(13, 0) == b""
    with pytest.raises(SkbFault):
        s.copy_bits(-5, 1)
    with pytest.raises(SkbFault):
        s.copy_bits(10, 4)
    s.kfree()


def test_store_bits_writes_head_pages_and_members():
    s = linear(b"lin")
    p = with_frag(s, b"frag")
    m = linear(b"mem")
    s.frag_list_append(m)
    s.store_bits(1, b"XXXXXXX")
    assert s.to_bytes() == b"lXXXXXXXem"
    assert (bytes(p.data[:4]), bytes(m.data)) == (b"XXXX", b"Xem")
    with pytest.raises(SkbFault):
        s.store_bits(8, b"abc")
    s.kfree()


def test_store_bits_checks_every_head_before_writing():
    s = linear(b"lin")
    p = with_frag(s, b"frag")
    m = linear(b"mem")
    s.frag_list_append(m)
    m.get()
    c = m.clone()  # the member's head is shared now
    with pytest.raises(SkbSharedWrite):
        s.store_bits(0, b"0123456789")
    assert (s.to_bytes(), bytes(p.data[:4])) == (b"linfragmem", b"frag")
    s.store_bits(0, b"0123456")  # head and page only: allowed
    assert s.to_bytes() == b"0123456mem"
    for x in (c, m, s):
        x.kfree()


def test_header_pointer():
    s = linear(b"abcdef", headroom=2)
    with_frag(s, b"gh")
    v = s.header_pointer(1, 3)
    assert (bytes(v), v.readonly) == (b"bcd", True)
    s.data[1:2] = b"B"
    assert bytes(v) == b"Bcd"  # a view into the head, not a copy
    w = s.header_pointer(4, 4)
    assert (bytes(w), w.readonly) == (b"efgh", True)
    assert bytes(s.header_pointer(-2, 3)) == b"\0\0a"
    assert s.header_pointer(5, 4) is None
    assert s.header_pointer(-3, 1) is None
    s.kfree()


# ----------------------------------------------------------------------
# split


def test_split_inside_the_linear_part():
    s = linear(bytes(range(40)))
    p = with_frag(s, b"z" * 100)
    s1 = alloc_skb(100)
    s.split(s1, 30)
    assert (s.len, s.data_len, s.tail_offset, s.nr_frags, s.truesize) == (30, 0, 30, 0, 5056)
    assert (s1.len, s1.data_len, s1.headlen, s1.frags, s1.truesize) == (
        110, 100, 10, [Frag(p, 0, 100)], 960)
    assert (s1.to_bytes(), p.refcount) == (bytes(range(30, 40)) + b"z" * 100, 1)
    s.kfree()
    s1.kfree()


def test_split_in_the_frags_shares_the_straddling_page():
    s = linear(b"h" * 40)
    p1 = with_frag(s, bytes(range(100)))
    p2 = with_frag(s, b"y" * 100)
    s1 = alloc_skb(100)
    s.split(s1, 90)
    assert (s.len, s.data_len, s.frags) == (90, 50, [Frag(p1, 0, 50)])
    assert (s1.len, s1.data_len, s1.frags) == (150, 150, [Frag(p1, 50, 50), Frag(p2, 0, 100)])
    assert (p1.refcount, p2.refcount, s.truesize, s1.truesize) == (2, 1, 9152, 960)
    assert s1.to_bytes() == bytes(range(50, 100)) + b"y" * 100
    s.kfree()
    assert p1.refcount == 1
    s1.kfree()


def test_split_checks():
    s = linear(b"h" * 40)
    s1 = alloc_skb(100)
    s1.reserve(380)  # tailroom 4
    before1 = state(s1)
    with pytest.raises(SkbBug):
        s.split(s1, 41)
    with pytest.raises(SkbOverPanic):
        s.split(s1, 10)  # 30 bytes do not fit in 4
    full = linear(b"x")
    with pytest.raises(SkbBug):
        s.split(full, 10)
    c = s.clone()
    with pytest.raises(SkbSharedWrite):
        s.split(s1, 39)
    c.kfree()
    m = linear(b"m")
    s.frag_list_append(m)
    with pytest.raises(SkbBug):
        s.split(s1, 10)
    s.pskb_trim(40)
    assert (state(s1), s.to_bytes(), s.frags) == (before1, b"h" * 40, [])
    for x in (full, s, s1):
        x.kfree()


# ----------------------------------------------------------------------
# try_coalesce


def test_try_coalesce_copies_into_tailroom():
    to = linear(b"abc")
    frm = linear(b"def")
    with_frag(frm, b"g")
    assert to.try_coalesce(frm) == 0
    assert (to.to_bytes(), to.len, to.data_len, to.truesize) == (b"abcdefg", 7, 0, 960)
    with pytest.raises(SkbUseAfterFree):
        frm.len
    to.kfree()


def test_try_coalesce_moves_frags():
    to = linear(bytes(300))  # tailroom 84
    frm = alloc_skb(0)
    p = with_frag(frm, b"x" * 100)
    assert frm.truesize == 5056
    assert to.try_coalesce(frm) == 4096  # 5056 - SKB_TRUESIZE(384)
    assert (to.len, to.data_len, to.truesize, to.frags, p.refcount) == (
        400, 100, 5056, [Frag(p, 0, 100)], 1)
    to.kfree()


def test_try_coalesce_from_a_cloned_skb_takes_page_references():
    to = linear(bytes(300))
    frm = alloc_skb(0)
    p = with_frag(frm, b"x" * 100)
    fc = frm.clone()
    assert to.try_coalesce(frm) == 4096
    assert (p.refcount, fc.nr_frags, fc.dataref) == (2, 1, 1)
    fc.kfree()
    assert p.refcount == 1
    to.kfree()


def test_try_coalesce_refusals_change_nothing():
    to = linear(bytes(300))
    frm = linear(bytes(100))  # linear data that does not fit
    small = linear(b"a")
    c = to.clone()
    before_small = state(small)
    assert to.try_coalesce(small) is None  # to is cloned
    assert state(small) == before_small
    c.kfree()
    before, before_frm = state(to), state(frm)
    assert to.try_coalesce(frm) is None
    paged = alloc_skb(0)
    with_frag(paged, bytes(100))
    m = linear(b"m")
    paged.frag_list_append(m)
    assert to.try_coalesce(paged) is None  # frm has a frag_list
    assert (state(to), state(frm)) == (before, before_frm)
    full = alloc_skb(0)
    for i in range(17):
        with_frag(full, b"f")
    many = alloc_skb(0)
    for i in range(17):
        with_frag(many, b"f" * 10)
    assert full.try_coalesce(many) is None  # 17 + 17 > MAX_SKB_FRAGS
    with pytest.raises(SkbBug):
        to.try_coalesce(m)  # Python holds no reference to m
    with pytest.raises(SkbBug):
        to.try_coalesce(to)
    for x in (to, frm, small, paged, full, many):
        x.kfree()


# ----------------------------------------------------------------------
# checksums


def test_rfc1071_example():
    data = bytes.fromhex("0001f203f4f5f6f7")
    # Little-endian words 0x0100 + 0x03f2 + 0xf5f4 + 0xf7f6 = 0x1f2dc -> 0xf2dd,
    # the byte swap of RFC 1071's big-endian sum 0xddf2.
    assert model.csum_partial(data) == 0xF2DD
    folded = model.csum_fold(model.csum_partial(data))
    assert folded == 0x0D22
    assert struct.pack("<H", folded) == (~0xDDF2 & 0xFFFF).to_bytes(2, "big")


def test_csum_partial_details():
    assert model.csum_partial(b"") == 0
    assert model.csum_partial(bytes(6)) == 0
    assert model.csum_partial(b"\x01\x02\x03") == 0x0204  # 0x0201 + 0x0003
    assert model.csum_partial(b"\xff\xff\x01\x00") == 1  # 0x10000 folds to 1
    assert model.csum_partial(b"\xff\xff", 0xFFFFFFFF) == 0xFFFF  # 0x1_0000_fffe -> +1
    assert model.csum_partial(b"\x01\x00", 7) == 8
    assert model.csum_partial(bytearray(b"\x01\x02")) == 0x0201
    with pytest.raises(OverflowError):
        model.csum_partial(b"", 1 << 32)


def test_csum_add_sub_block_add_fold():
    assert model.csum_add(0xFFFFFFFF, 1) == 1
    assert model.csum_add(0xFFFFFFFF, 0) == 0xFFFFFFFF
    assert model.csum_sub(5, 3) == 2  # 5 + 0xfffffffc = 0x1_00000001 -> 2
    assert model.csum_block_add(0, 0x12345678, 1) == 0x78123456
    assert model.csum_block_add(0, 0x12345678, 2) == 0x12345678
    assert model.csum_fold(0x12345678) == 0x9753  # ~(0x5678 + 0x1234)
    assert model.csum_fold(0xFFFF0001) == 0xFFFE  # 0x10000 -> 1
    assert model.csum_fold(0) == 0xFFFF


def test_pseudo_header_sums():
    src, dst = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    # 0x0100000a + 0x0200000a + (6 + 20) << 8
    assert model.csum_tcpudp_nofold(src, dst, 20, 6, 0) == 0x03001A14
    # Big-endian check: 0a00 + 0001 + 0a00 + 0002 + 0006 + 0014 = 0x141d,
    # complement 0xebe2, stored little-endian as the value 0xe2eb.
    assert model.csum_tcpudp_magic(src, dst, 20, 6, 0) == 0xE2EB
    ones = b"\xff" * 4
    assert model.csum_tcpudp_nofold(ones, ones, 0, 0, 0xFFFFFFFF) == 0xFFFFFFFF
    # (proto + length) << 8 is u32 arithmetic.
    assert model.csum_tcpudp_nofold(bytes(4), bytes(4), 0xFFFFFFFF, 1, 0) == 0
    with pytest.raises(ValueError):
        model.csum_tcpudp_nofold(bytes(3), dst, 0, 0, 0)


def test_ip_fast_csum():
    header = bytearray.fromhex("450000730000400040110000c0a80001c0a800c7")
    value = model.ip_fast_csum(header)
    assert struct.pack("<H", value) == bytes.fromhex("b861")
    header[10:12] = struct.pack("<H", value)
    assert model.ip_fast_csum(header) == 0


def test_skb_checksum_adds_pieces_at_their_positions():
    s = linear(b"\x01\x02\x03")
    with_frag(s, b"\x04\x05")
    # linear 0x0204; frag 0x0504 at odd position 3 -> ror8 0x04000005
    assert s.checksum(0, 5) == 0x04000209
    assert model.csum_fold(s.checksum(0, 5)) == model.csum_fold(
        model.csum_partial(b"\x01\x02\x03\x04\x05"))
    assert s.checksum(0, 0, 0x1234) == 0x1234
    assert s.checksum(1, 2, 0) == 0x0302  # "\x02\x03"
    with pytest.raises(SkbFault):
        s.checksum(1, 5)
    s.kfree()
    p = linear(b"\x01")
    p.frag_list_append(linear(b"\x02\x03"))
    # 0x0001, then the member's own 0x0302 added at position 1: 0x02000003
    assert p.checksum(0, 3, 0) == 0x02000004
    p.kfree()


# ----------------------------------------------------------------------
# counters


def test_counters_follow_skbs_heads_and_pages():
    before = model.counters()
    s = alloc_skb(100)
    c = s.clone()
    p = alloc_page()
    after = model.counters()
    assert (after.live_skbs - before.live_skbs, after.live_heads - before.live_heads,
            after.live_pages - before.live_pages) == (2, 1, 1)
    p.put()
    c.kfree()
    s.kfree()
    assert model.counters() == before


def test_a_member_changed_behind_its_parent_faults_without_leaking():
    s = linear(b"ab")
    m = linear(b"cdef")
    s.frag_list_append(m)
    m.pskb_trim(2)  # through the borrowed handle: s still counts 4 bytes
    with pytest.raises(SkbBug):  # the structural guard
        s.to_bytes()
    with pytest.raises(SkbBug):
        s.copy()
    with pytest.raises(SkbBug):
        s.pull_tail(4)
    assert (s.len, s.data_len, s.end_offset, s.tail_offset, s.frag_list, bytes(s.data)) == (
        6, 4, 384, 2, [m], b"ab")
    s.kfree()


# ----------------------------------------------------------------------
# disagreements with the engine found by the stateful machine, settled
# (each test names the rule it pins; see skb/testing/stateful.py)


def member_changed_behind(s, payload=b"cdef"):
    """Link a member to s and change it through a Python reference kept on
    it: s stays consistent only if the member is one level further down."""
    m = linear(payload)
    m.get()
    s.frag_list_append(m)
    m.put_data(b"!")
    return m


def shape(s):
    """state(s) without to_bytes (which the guard refuses)."""
    return (
        s.len, s.data_len, s.data_offset, s.tail_offset, s.end_offset, s.truesize,
        s.users, s.dataref, s.frags, s.frag_list, bytes(s.data),
    )


@pytest.mark.parametrize("call", [
    lambda s, other: s.copy_bits(0, 1),
    lambda s, other: s.checksum(0, 1),
    lambda s, other: s.store_bits(0, b"x"),
    lambda s, other: s.pskb_trim(3),
    lambda s, other: s.split(other, 3),
    lambda s, other: other.try_coalesce(s),
    lambda s, other: s.linearize(),
    lambda s, other: s.copy(),
])
def test_the_structural_guard_is_an_skbbug(call):
    s = linear(b"ab")
    m = member_changed_behind(s)
    other = alloc_skb(0)
    before = shape(s)
    with pytest.raises(SkbBug):
        call(s, other)
    assert shape(s) == before
    for x in (m, s, other):
        x.kfree()


def test_split_refuses_the_skb_itself():
    s = alloc_skb(100)
    with pytest.raises(SkbBug):  # choice: skb_split of an skb into itself
        s.split(s, 0)
    s.kfree()


def test_unshare_and_share_check_need_a_python_reference():
    # choice: both may drop the caller's reference, so a borrowed handle
    # (a frag_list member) is refused even when they would return it as is.
    s = linear(b"ab")
    m = linear(b"cd")
    s.frag_list_append(m)
    with pytest.raises(SkbBug):
        m.unshare()
    with pytest.raises(SkbBug):
        m.share_check()
    s.kfree()


def test_unshare_reports_any_copy_failure_as_memoryerror_and_frees():
    s = linear(b"ab")
    m = member_changed_behind(s)
    c = s.clone()
    with pytest.raises(MemoryError):  # skb_copy returned NULL (the guard refused)
        s.unshare()
    assert type(s).__name__ == "_FreedSkBuff"  # the original was dropped anyway
    assert (c.dataref, c.frag_list) == (1, [m])
    c.kfree()
    m.kfree()


def test_bool_arguments_come_back_as_ints():
    s = alloc_skb(100)
    r = s.checksum(0, 0, True)
    assert r == 1 and type(r) is int
    s.ip_summed = True
    assert type(s.ip_summed) is int
    s.kfree()


def test_frag_list_link_further_checks():
    s, m, n = linear(b"s"), linear(b"m"), linear(b"n")
    s.frag_list_append(m)
    with pytest.raises(SkbBug):
        m.frag_list_append(n)  # m is itself a member
    # depth: the tree under a root holds at most 8 levels of members
    def chain(n):
        skbs = [linear(bytes([k])) for k in range(n)]
        for upper, lower in zip(skbs[-2::-1], skbs[:0:-1]):
            upper.frag_list_append(lower)
        return skbs[0]  # n - 1 levels below it

    root = linear(b"r")
    too_deep = chain(9)
    with pytest.raises(SkbBug):
        root.frag_list_append(too_deep)  # 9 levels under root
    root.frag_list_append(chain(8))  # 8 levels: allowed
    too_deep.kfree()
    # appending behind a last member another chain (a pskb_copy) shares
    c = s.pskb_copy()
    with pytest.raises(SkbSharedWrite):
        s.frag_list_append(n)
    s.frag_list_prepend(n)  # the front is private to s's chain
    for x in (c, root, s):
        x.kfree()


def test_growth_past_32_bits_is_refused():
    # choice (the engine's): len and truesize never wrap
    s = alloc_skb(100)
    p = alloc_page()
    before = state(s)
    with pytest.raises(SkbBug):
        s.add_rx_frag(0, p, 0, 10, 2**32 - 1)
    assert state(s) == before and p.refcount == 1
    s.add_rx_frag(0, p, 0, 10, 2**32 - 1 - s.truesize)
    with pytest.raises(SkbBug):
        s.coalesce_rx_frag(0, 1, 1)
    m = linear(b"m")
    with pytest.raises(SkbBug):
        s.frag_list_append(m)
    m.kfree()
    s.kfree()


def test_try_coalesce_refuses_to_take_frags_from_a_shared_skb():
    to = alloc_skb(0)
    to.put_data(bytes(384))  # no tailroom
    frm = alloc_skb(0)
    with_frag(frm, b"xy")
    frm.get()
    with pytest.raises(SkbBug):
        to.try_coalesce(frm)
    frm.kfree()
    assert to.try_coalesce(frm) == 4096 and type(frm).__name__ == "_FreedSkBuff"
    to.kfree()


def test_fill_page_desc_checks_the_page_reference_first():
    s = alloc_skb(100)
    p = alloc_page()
    s.fill_page_desc(0, p, 0, 1)  # Python's only reference goes to the frag
    c = s.clone()
    with pytest.raises(SkbBug):  # no reference to hand over (s is cloned too)
        s.fill_page_desc(1, p, 0, 1)
    c.kfree()
    s.kfree()


def test_an_empty_store_in_a_shared_linear_part_is_a_shared_write():
    s = linear(b"abcd")
    c = s.clone()
    with pytest.raises(SkbSharedWrite):  # as put_data(b"") would
        s.store_bits(1, b"")
    s.store_bits(4, b"")  # at headlen: not in the linear part
    c.kfree()
    s.kfree()


def test_can_coalesce_checks_the_page_first():
    s = alloc_skb(100)
    p = alloc_page()
    p.put()
    with pytest.raises(SkbUseAfterFree):
        s.can_coalesce(2**31, p, 0)
    s.kfree()


def test_trim_refuses_a_tree_broken_below_before_changing_anything():
    s = linear(b"ab")
    m = linear(b"cd")
    mm = linear(b"ef")
    mm.get()
    m.frag_list_append(mm)
    s.frag_list_append(m)
    s.frag_list_append(linear(b"gh"))
    mm.put_data(b"!")  # m is inconsistent; s itself is not
    before = (s.len, s.data_len, s.tail_offset, len(s.frag_list), s.truesize)
    with pytest.raises(SkbBug):
        s.pskb_trim(2 + m.len)  # the guard looks at the whole tree first
    assert (s.len, s.data_len, s.tail_offset, len(s.frag_list), s.truesize) == before
    mm.kfree()
    s.kfree()


def test_ip_fast_csum_takes_whole_words():
    # choice (the engine's): the kernel's ip_fast_csum counts 32-bit words
    assert model.ip_fast_csum(bytes(4)) == 0xFFFF
    with pytest.raises(ValueError):
        model.ip_fast_csum(b"abc")
