"""Linear operations: reserve, put, put_data, put_zero, push, pull, trim,
pskb_trim (linear case), their views, panics, argument checking, to_bytes
and repr."""

from array import array

import pytest

import skb
from skb import SkbOverPanic, SkbUnderPanic
from skbhelp import head_addr, head_bytes, ok, unchanged


@pytest.fixture
def s():
    """A 100-byte skb (end 384) with 64 bytes of headroom and b"DATA"."""
    s = skb.alloc_skb(100)
    s.reserve(64)
    s.put_data(b"DATA")
    yield s
    if not isinstance(s, skb.FreedSkBuff):
        s.kfree()


def geometry(s):
    return (s.data_offset, s.tail_offset, s.end_offset, s.len, s.headroom, s.tailroom)


def assert_panic(e, s, put):
    """The panic carries what the kernel prints, describing the unchanged skb."""
    head = head_addr(s)
    assert (e.len, e.put, e.head, e.data, e.tail, e.end) == (
        s.len, put, head, head + s.data_offset, s.tail_offset, s.end_offset)


# ---------------------------------------------------------------- reserve

def test_reserve_moves_data_and_tail():
    s = skb.alloc_skb(100)
    s.reserve(64)
    assert geometry(s) == (64, 64, 384, 0, 64, 320)
    s.reserve(-14)
    assert geometry(s) == (50, 50, 384, 0, 50, 334)
    s.reserve(334)  # tail exactly at end
    assert geometry(s) == (384, 384, 384, 0, 384, 0)
    ok(s)
    s.kfree()


def test_reserve_on_data_moves_the_window_not_the_bytes():
    s = skb.alloc_skb(100)
    s.put_data(b"abcdef")
    s.reserve(2)
    assert geometry(s) == (2, 8, 384, 6, 2, 376)
    assert s.to_bytes() == b"cdef\0\0"
    ok(s)
    s.kfree()


def test_reserve_past_end_is_over_panic(s):
    with unchanged(s):
        with pytest.raises(SkbOverPanic) as ei:
            s.reserve(317)  # tail 68 + 317 = 385 > 384
    assert_panic(ei.value, s, 317)
    s.reserve(316)
    assert s.tailroom == 0


def test_reserve_before_head_is_under_panic(s):
    with unchanged(s):
        with pytest.raises(SkbUnderPanic) as ei:
            s.reserve(-65)
    assert_panic(ei.value, s, -65)
    s.reserve(-64)
    assert s.headroom == 0


@pytest.mark.parametrize("n,exc", [
    (2**31, OverflowError), (-(2**31) - 1, OverflowError),
    (2**31 - 1, SkbOverPanic), (-(2**31), SkbUnderPanic),
    (1.0, TypeError), ("1", TypeError),
])
def test_reserve_argument_range(s, n, exc):
    with unchanged(s):
        with pytest.raises(exc):
            s.reserve(n)


# ---------------------------------------------------------------- put

def test_put_returns_writable_view_of_new_bytes(s):
    v = s.put(6)
    assert isinstance(v, memoryview)
    assert (len(v), v.readonly, v.format) == (6, False, "B")
    assert bytes(v) == bytes(6)
    assert geometry(s) == (64, 74, 384, 10, 64, 310)
    v[:] = b"123456"
    assert s.to_bytes() == b"DATA123456"
    ok(s)


def test_put_does_not_clear_old_bytes(s):
    """skb_put only moves tail: bytes left behind by a trim reappear."""
    s.put_data(b"xyz")
    s.trim(4)
    assert bytes(s.put(3)) == b"xyz"


def test_consecutive_puts_are_adjacent(s):
    a = s.put(2)
    b = s.put(3)
    a[:] = b"ab"
    b[:] = b"cde"
    assert s.to_bytes() == b"DATAabcde"


def test_put_zero_bytes(s):
    v = s.put(0)
    assert len(v) == 0
    assert geometry(s) == (64, 68, 384, 4, 64, 316)


def test_put_exactly_to_end(s):
    s.put(316)
    assert (s.tailroom, s.tail_offset, s.len) == (0, 384, 320)
    ok(s)


@pytest.mark.parametrize("n", [317, 2**32 - 1])
def test_put_past_end_is_over_panic(s, n):
    with unchanged(s):
        with pytest.raises(SkbOverPanic) as ei:
            s.put(n)
    e = ei.value
    assert_panic(e, s, n)
    assert isinstance(e, IndexError)
    assert str(e) == (f"skb_over_panic: len:4 put:{n} head:{e.head:#x} "
                      f"data:{e.head + 64:#x} tail:0x44 end:0x180")


@pytest.mark.parametrize("n,exc", [
    (-1, OverflowError), (2**32, OverflowError), (1.0, TypeError), (None, TypeError),
])
def test_put_argument_range(s, n, exc):
    with unchanged(s):
        with pytest.raises(exc):
            s.put(n)


def test_put_bool_is_an_int(s):
    assert len(s.put(True)) == 1
    assert s.len == 5


# ---------------------------------------------------------------- put_data

def test_put_data_appends_and_returns_the_copy(s):
    v = s.put_data(b"-more")
    assert bytes(v) == b"-more"
    assert (len(v), v.readonly) == (5, False)
    assert s.to_bytes() == b"DATA-more"
    assert geometry(s) == (64, 73, 384, 9, 64, 311)
    v[0] = ord("+")
    assert s.to_bytes() == b"DATA+more"
    ok(s)


@pytest.mark.parametrize("data,expect", [
    (bytearray(b"ba"), b"ba"),
    (memoryview(b"mv"), b"mv"),
    (array("H", [0x0102]), b"\x02\x01"),  # native little-endian words, as bytes
    (b"", b""),
])
def test_put_data_accepts_buffers(s, data, expect):
    assert bytes(s.put_data(data)) == expect
    assert s.to_bytes() == b"DATA" + expect


def test_put_data_too_long_is_over_panic(s):
    with unchanged(s):
        with pytest.raises(SkbOverPanic) as ei:
            s.put_data(bytes(317))
    assert_panic(ei.value, s, 317)


def test_put_data_rejects_str(s):
    with unchanged(s):
        with pytest.raises(TypeError):
            s.put_data("text")


# ---------------------------------------------------------------- put_zero

def test_put_zero_clears_what_was_there(s):
    s.put_data(b"\xff" * 8)
    s.trim(4)
    v = s.put_zero(8)
    assert bytes(v) == bytes(8)
    assert (len(v), v.readonly) == (8, False)
    assert s.to_bytes() == b"DATA" + bytes(8)
    assert geometry(s) == (64, 76, 384, 12, 64, 308)
    ok(s)


def test_put_zero_too_long_is_over_panic(s):
    with unchanged(s):
        with pytest.raises(SkbOverPanic) as ei:
            s.put_zero(317)
    assert_panic(ei.value, s, 317)


def test_put_zero_negative_is_overflow_error(s):
    with unchanged(s):
        with pytest.raises(OverflowError):
            s.put_zero(-1)


def test_put_zero_type_error(s):
    with unchanged(s):
        with pytest.raises(TypeError):
            s.put_zero(1.0)


# ---------------------------------------------------------------- push

def test_push_returns_view_of_the_new_front(s):
    v = s.push(4)
    assert (len(v), v.readonly) == (4, False)
    assert bytes(v) == bytes(4)
    assert geometry(s) == (60, 68, 384, 8, 60, 316)
    v[:] = b"HDR:"
    assert s.to_bytes() == b"HDR:DATA"
    ok(s)


def test_push_whole_headroom(s):
    s.push(64)
    assert (s.headroom, s.len) == (0, 68)
    ok(s)


def test_push_zero(s):
    assert len(s.push(0)) == 0
    assert geometry(s) == (64, 68, 384, 4, 64, 316)


@pytest.mark.parametrize("n", [65, 2**32 - 1])
def test_push_past_head_is_under_panic(s, n):
    with unchanged(s):
        with pytest.raises(SkbUnderPanic) as ei:
            s.push(n)
    e = ei.value
    assert_panic(e, s, n)
    assert str(e) == (f"skb_under_panic: len:4 put:{n} head:{e.head:#x} "
                      f"data:{e.head + 64:#x} tail:0x44 end:0x180")


@pytest.mark.parametrize("n,exc", [(-1, OverflowError), (2**32, OverflowError),
                                   ("1", TypeError)])
def test_push_argument_range(s, n, exc):
    with unchanged(s):
        with pytest.raises(exc):
            s.push(n)


# ---------------------------------------------------------------- pull

def test_pull_returns_the_remaining_data(s):
    s.push(4)[:] = b"HDR:"
    v = s.pull(4)
    assert bytes(v) == b"DATA"
    assert (len(v), v.readonly) == (4, False)
    assert geometry(s) == (64, 68, 384, 4, 64, 316)
    ok(s)


def test_pull_everything_leaves_an_empty_view(s):
    v = s.pull(4)
    assert bytes(v) == b""
    assert geometry(s) == (68, 68, 384, 0, 68, 316)
    ok(s)


def test_pull_zero_is_the_whole_data(s):
    assert bytes(s.pull(0)) == b"DATA"


@pytest.mark.parametrize("n", [5, 2**32 - 1])
def test_pull_more_than_len_returns_none_unchanged(s, n):
    with unchanged(s):
        assert s.pull(n) is None


@pytest.mark.parametrize("n,exc", [(-1, OverflowError), (2**32, OverflowError),
                                   (0.5, TypeError)])
def test_pull_argument_range(s, n, exc):
    with unchanged(s):
        with pytest.raises(exc):
            s.pull(n)


# ---------------------------------------------------------------- trim / pskb_trim

@pytest.mark.parametrize("method", ["trim", "pskb_trim"])
def test_trim_cuts_the_tail(s, method):
    s.put_data(b"-more")
    assert getattr(s, method)(6) is None
    assert s.to_bytes() == b"DATA-m"
    assert geometry(s) == (64, 70, 384, 6, 64, 314)
    getattr(s, method)(0)
    assert geometry(s) == (64, 64, 384, 0, 64, 320)
    ok(s)


@pytest.mark.parametrize("method", ["trim", "pskb_trim"])
@pytest.mark.parametrize("n", [4, 5, 2**32 - 1])
def test_trim_not_shorter_changes_nothing(s, method, n):
    with unchanged(s):
        getattr(s, method)(n)


@pytest.mark.parametrize("method", ["trim", "pskb_trim"])
@pytest.mark.parametrize("n,exc", [(-1, OverflowError), (2**32, OverflowError),
                                   ("2", TypeError)])
def test_trim_argument_range(s, method, n, exc):
    with unchanged(s):
        with pytest.raises(exc):
            getattr(s, method)(n)


def test_trim_leaves_the_bytes_in_the_buffer(s):
    s.trim(1)
    assert head_bytes(s)[64:68] == b"DATA"


# ---------------------------------------------------------------- views, bytes, repr

def test_data_view(s):
    v = s.data
    assert isinstance(v, memoryview)
    assert (bytes(v), v.readonly, v.format, v.nbytes) == (b"DATA", False, "B", 4)
    v[1:3] = b"--"
    assert s.to_bytes() == b"D--A"
    assert bytes(s) == b"D--A"
    assert type(s.to_bytes()) is bytes


def test_data_view_is_a_snapshot_of_the_range(s):
    v = s.data
    s.put_data(b"!")
    assert bytes(v) == b"DATA"
    assert bytes(s.data) == b"DATA!"


def test_repr(s):
    assert repr(s) == (f"<SkBuff head={head_addr(s):#x} data=+64 tail=+68 end=+384 "
                       "len=4 data_len=0 users=1 dataref=0x1>")


def test_repr_flags():
    f = skb.alloc_skb(0, fclone=True)
    f.header_release()
    assert repr(f).endswith("users=1 dataref=0x10001 fclone=orig nohdr>")
    c = f.clone()
    assert repr(c) == (f"<SkBuff head={head_addr(f):#x} data=+0 tail=+0 end=+384 "
                       "len=0 data_len=0 users=1 dataref=0x10002 fclone=clone cloned>")
    assert repr(f).endswith("dataref=0x10002 fclone=orig cloned nohdr>")
    c.kfree()
    f.kfree()
    assert repr(f) == "<SkBuff freed>"


def test_skbuff_cannot_be_constructed_directly():
    with pytest.raises(TypeError):
        skb.SkBuff()
