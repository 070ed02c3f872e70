"""Settable metadata fields (bit widths), the csum union, cb, and the
shared-info GSO fields."""

import pytest

import skb
from skb import SkbSharedWrite
from skbhelp import FIELDS, ok, unchanged


@pytest.fixture
def s():
    s = skb.alloc_skb(100)
    s.reserve(16)
    s.put_data(b"abc")
    yield s
    s.kfree()


@pytest.mark.parametrize("name,bits", FIELDS)
def test_field_full_range(s, name, bits):
    top = (1 << bits) - 1
    setattr(s, name, top)
    assert getattr(s, name) == top
    setattr(s, name, 1)
    assert getattr(s, name) == 1
    setattr(s, name, 0)
    assert getattr(s, name) == 0
    setattr(s, name, True)
    assert getattr(s, name) == 1
    ok(s)


@pytest.mark.parametrize("name,bits", FIELDS)
@pytest.mark.parametrize("how", ["too_big", "negative"])
def test_field_overflow_leaves_value(s, name, bits, how):
    setattr(s, name, 1)
    bad = (1 << bits) if how == "too_big" else -1
    with unchanged(s):
        with pytest.raises(OverflowError, match=f"{name} must fit in {bits} bits"):
            setattr(s, name, bad)
    assert getattr(s, name) == 1


@pytest.mark.parametrize("name,bits", FIELDS)
@pytest.mark.parametrize("bad", [1.0, "1", None])
def test_field_type_error(s, name, bits, bad):
    with unchanged(s):
        with pytest.raises(TypeError):
            setattr(s, name, bad)


def test_fields_are_independent(s):
    values = {name: (i * 0x1357 + 1) & ((1 << bits) - 1)
              for i, (name, bits) in enumerate(FIELDS) if name != "csum"}
    for name, v in values.items():
        setattr(s, name, v)
    for name, v in values.items():
        assert getattr(s, name) == v, name


def test_csum_shares_storage_with_start_and_offset(s):
    s.csum_start = 0x1234
    s.csum_offset = 0x5678
    assert s.csum == 0x56781234
    s.csum = 0xAABBCCDD
    assert (s.csum_start, s.csum_offset) == (0xCCDD, 0xAABB)


def test_cb_roundtrip(s):
    assert s.cb == bytes(48)
    s.cb = b"abc"
    assert s.cb == b"abc" + bytes(45)
    full = bytes(range(48))
    s.cb = full
    assert s.cb == full
    s.cb = bytearray(b"\xff" * 2)
    assert s.cb == b"\xff\xff" + bytes(46)
    assert type(s.cb) is bytes


def test_cb_is_a_copy(s):
    s.cb = b"xy"
    cb = s.cb
    s.cb = b"zz"
    assert cb == b"xy" + bytes(46)


def test_cb_too_long_is_value_error(s):
    s.cb = b"keep"
    with unchanged(s):
        with pytest.raises(ValueError):
            s.cb = bytes(49)
    assert s.cb == b"keep" + bytes(44)


def test_metadata_is_per_struct(s):
    c = s.clone()
    s.mark = 7
    s.cb = b"s"
    c.mark = 9
    c.cb = b"c"
    assert (s.mark, c.mark) == (7, 9)
    assert (s.cb[:1], c.cb[:1]) == (b"s", b"c")
    c.kfree()


# ---------------------------------------------------------------- GSO fields
# The spec lists gso_size (16 bits), gso_segs (16), gso_type (32) as settable
# properties living in the shared info, SkbSharedWrite on a cloned skb; and
# nr_frags / frags / frag_list as properties.


@pytest.mark.parametrize("name,bits", [("gso_size", 16), ("gso_segs", 16), ("gso_type", 32)])
def test_gso_fields(s, name, bits):
    assert getattr(s, name) == 0
    setattr(s, name, (1 << bits) - 1)
    assert getattr(s, name) == (1 << bits) - 1
    with unchanged(s):
        with pytest.raises(OverflowError):
            setattr(s, name, 1 << bits)
    c = s.clone()  # shared info: the clone sees the same value
    assert getattr(c, name) == (1 << bits) - 1
    with unchanged(s, c):
        with pytest.raises(SkbSharedWrite):
            setattr(c, name, 1)
        with pytest.raises(SkbSharedWrite):
            setattr(s, name, 1)
    c.kfree()
    setattr(s, name, 5)  # private again (dataref 1)
    for dup in (s.copy(), s.pskb_copy()):
        assert getattr(dup, name) == 5
        dup.kfree()


def test_linear_skb_frag_properties(s):
    assert (s.nr_frags, s.frags, s.frag_list) == (0, [], [])
