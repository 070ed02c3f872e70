"""Header offsets: reset/set, offsets relative to data, the None rules,
reset_inner_headers, reset_mac_len, network_header_len, and the kernel's
skb_headers_offset_update quirk reproduced by expand_head."""

import pytest

import skb
from skb import SkbBug
from skbhelp import CHECKSUM_PARTIAL, ok, unchanged

OUTER = ("mac", "network", "transport")
INNER = ("inner_mac", "inner_network", "inner_transport")
ALL = OUTER + INNER


@pytest.fixture
def s():
    """alloc_skb(100): end 384; data at 64, 40 bytes of data."""
    s = skb.alloc_skb(100)
    s.reserve(64)
    s.put(40)
    yield s
    s.kfree()


def test_initial_offsets(s):
    assert (s.mac_header, s.mac_offset) == (None, None)
    assert (s.network_header, s.network_offset) == (0, -64)
    assert (s.transport_header, s.transport_offset) == (None, None)
    for x in INNER:
        assert getattr(s, f"{x}_header") is None
        assert getattr(s, f"{x}_offset") is None
    # transport unset reads as 0xFFFF in the raw difference
    assert s.network_header_len == 0xFFFF


@pytest.mark.parametrize("which", ALL)
def test_reset_header_is_data(s, which):
    assert getattr(s, f"reset_{which}_header")() is None
    assert getattr(s, f"{which}_header") == 64
    assert getattr(s, f"{which}_offset") == 0
    ok(s)


@pytest.mark.parametrize("which", ALL)
@pytest.mark.parametrize("off", [-64, -1, 0, 14, 40, 320])
def test_set_header_is_data_plus_offset(s, which, off):
    getattr(s, f"set_{which}_header")(off)
    if which.startswith("inner") and off == -64:
        # an inner header at head (value 0) is indistinguishable from unset
        assert getattr(s, f"{which}_header") is None
        assert getattr(s, f"{which}_offset") is None
    else:
        assert getattr(s, f"{which}_header") == 64 + off
        assert getattr(s, f"{which}_offset") == off
    ok(s)


@pytest.mark.parametrize("which", OUTER)
def test_outer_header_at_head_is_set(s, which):
    """mac/transport are unset only at 0xFFFF; network is never None."""
    getattr(s, f"set_{which}_header")(-64)
    assert getattr(s, f"{which}_header") == 0
    assert getattr(s, f"{which}_offset") == -64


@pytest.mark.parametrize("which", ALL)
@pytest.mark.parametrize("off", [-65, 321, -(2**31), 2**31 - 1])
def test_set_header_outside_the_buffer_is_bug(s, which, off):
    setter = getattr(s, f"set_{which}_header")
    with unchanged(s):
        with pytest.raises(SkbBug, match=rf"skb_set_{which}_header: offset {off} puts "
                                         "the header outside the head buffer"):
            setter(off)


@pytest.mark.parametrize("which", ALL)
@pytest.mark.parametrize("off,exc", [(2**31, OverflowError), (-(2**31) - 1, OverflowError),
                                     (1.0, TypeError), ("1", TypeError)])
def test_set_header_argument_range(s, which, off, exc):
    with unchanged(s):
        with pytest.raises(exc):
            getattr(s, f"set_{which}_header")(off)


@pytest.mark.parametrize("which", ALL)
def test_header_value_0xffff_is_refused(which):
    """0xFFFF is the unset marker: a big head (end > 0xFFFF) must not store it."""
    s = skb.alloc_skb(70000)
    assert s.end_offset == 130752
    s.reserve(100)
    getattr(s, f"set_{which}_header")(0xFFFE - 100)
    assert getattr(s, f"{which}_header") == 0xFFFE
    with unchanged(s):
        with pytest.raises(SkbBug):
            getattr(s, f"set_{which}_header")(0xFFFF - 100)
    # Above 0xFFFF the value cannot be stored in the u16 at all (the spec
    # only names < 0, > end and == 0xFFFF; the engine refuses this too).
    with unchanged(s):
        with pytest.raises(SkbBug):
            getattr(s, f"set_{which}_header")(0x10000 - 100)
    s.kfree()


def test_reset_at_end_is_allowed():
    s = skb.alloc_skb(0)
    s.reserve(384)
    s.reset_transport_header()
    assert (s.transport_header, s.transport_offset) == (384, 0)
    ok(s)
    s.kfree()


def test_offsets_follow_data_after_push(s):
    s.reset_network_header()
    s.push(14)
    s.reset_mac_header()
    assert (s.mac_header, s.mac_offset) == (50, 0)
    assert (s.network_header, s.network_offset) == (64, 14)
    s.pull(34)
    assert (s.mac_offset, s.network_offset) == (-34, -20)
    ok(s)


def test_set_does_not_touch_other_headers(s):
    s.set_transport_header(20)
    assert (s.mac_header, s.network_header, s.transport_header) == (None, 0, 84)
    assert s.inner_transport_header is None


def test_network_header_len(s):
    s.set_network_header(14)
    s.set_transport_header(34)
    assert s.network_header_len == 20
    ok(s)


def test_reset_mac_len(s):
    s.reset_mac_header()
    s.set_network_header(14)
    assert s.mac_len == 0
    s.reset_mac_len()
    assert s.mac_len == 14
    ok(s)


def test_reset_mac_len_with_mac_unset_is_zero(s):
    s.reset_mac_header()
    s.set_network_header(18)
    s.reset_mac_len()
    assert s.mac_len == 18
    # mac unset -> 0.  (No public operation can unset mac once set, so a
    # nonzero mac_len with mac unset cannot be constructed to test the reset.)
    t = skb.alloc_skb(10)
    t.set_network_header(6)
    t.reset_mac_len()
    assert (t.mac_header, t.mac_len) == (None, 0)
    t.kfree()


def test_reset_mac_len_wraps_u16(s):
    s.reset_network_header()
    s.set_mac_header(14)
    s.reset_mac_len()
    assert s.mac_len == (64 - 78) & 0xFFFF == 65522


def test_reset_inner_headers_copies_the_raw_outer_values(s):
    s.reset_mac_header()
    s.set_network_header(14)
    s.set_transport_header(34)
    s.reset_inner_headers()
    assert (s.inner_mac_header, s.inner_network_header, s.inner_transport_header) == (
        64, 78, 98)
    assert (s.inner_mac_offset, s.inner_network_offset, s.inner_transport_offset) == (
        0, 14, 34)
    ok(s)


def test_reset_inner_headers_copies_unset_markers(s):
    """An unset mac/transport (0xFFFF) reads back as 65535 in the inner
    header: inner properties are None only for 0; network 0 gives None."""
    s.reset_inner_headers()
    assert s.inner_mac_header == 65535
    assert s.inner_transport_header == 65535
    assert s.inner_network_header is None
    assert s.inner_mac_offset == 65535 - 64
    assert s.inner_transport_offset == 65535 - 64
    assert s.inner_network_offset is None


def test_check_accepts_reset_inner_headers_with_unset_outer(s):
    s.reset_inner_headers()
    ok(s)


# ------------------------------------------------ skb_headers_offset_update quirk

def test_expand_head_moves_headers_kernel_quirk():
    """Nothing set: network (0) and the inner offsets (0) move by nhead, the
    unset transport 0xFFFF wraps to nhead - 1, the unset mac stays unset,
    csum_start stays (not CHECKSUM_PARTIAL)."""
    s = skb.alloc_skb(100)
    s.reserve(32)
    s.put(20)
    s.csum_start = 10
    s.expand_head(64, 0)
    assert s.data_offset == 96
    assert s.network_header == 64
    assert s.transport_header == 63
    assert s.transport_offset == 63 - 96
    assert s.mac_header is None
    assert (s.inner_mac_header, s.inner_network_header, s.inner_transport_header) == (
        64, 64, 64)
    assert (s.csum_start, s.csum_offset) == (10, 0)
    ok(s)
    s.kfree()


def test_expand_head_moves_set_headers_and_partial_csum_start():
    s = skb.alloc_skb(100)
    s.reserve(32)
    s.put(60)
    s.reset_mac_header()
    s.set_network_header(14)
    s.set_transport_header(34)
    s.set_inner_mac_header(50)
    s.set_inner_network_header(54)
    s.set_inner_transport_header(58)
    s.reset_mac_len()
    s.ip_summed = CHECKSUM_PARTIAL
    s.csum_start = 66
    s.csum_offset = 16
    s.expand_head(128, 0)
    assert s.data_offset == 160
    assert (s.mac_header, s.network_header, s.transport_header) == (160, 174, 194)
    assert (s.mac_offset, s.network_offset, s.transport_offset) == (0, 14, 34)
    assert (s.inner_mac_header, s.inner_network_header, s.inner_transport_header) == (
        210, 214, 218)
    assert (s.csum_start, s.csum_offset) == (194, 16)
    assert s.mac_len == 14
    ok(s)
    s.kfree()


def test_expand_head_without_nhead_moves_nothing():
    s = skb.alloc_skb(100)
    s.reserve(32)
    s.expand_head(0, 100)
    assert (s.mac_header, s.network_header, s.transport_header) == (None, 0, None)
    assert (s.inner_mac_header, s.inner_network_header, s.inner_transport_header) == (
        None, None, None)
    ok(s)
    s.kfree()


def test_expand_head_header_offsets_wrap_u16():
    s = skb.alloc_skb(70000)
    s.reserve(65000)
    s.reset_transport_header()
    s.set_inner_network_header(500)
    assert (s.transport_header, s.inner_network_header) == (65000, 65500)
    s.expand_head(1024, 0)
    assert s.data_offset == 66024
    assert s.transport_header == (65000 + 1024) & 0xFFFF == 488
    assert s.inner_network_header == (65500 + 1024) & 0xFFFF == 988
    assert s.network_header == 1024
    ok(s)
    s.kfree()


def test_realloc_headroom_moves_headers_of_the_result():
    s = skb.alloc_skb(100)
    s.reserve(16)
    s.put(10)
    s.reset_network_header()
    r = s.realloc_headroom(40)  # delta 24 -> SKB_DATA_ALIGN -> 64
    assert r.data_offset == 80
    assert (r.network_header, r.transport_header, r.mac_header) == (80, 63, None)
    assert (s.network_header, s.transport_header) == (16, None)
    ok(r, s)
    r.kfree()
    s.kfree()


def test_cow_moves_headers():
    s = skb.alloc_skb(100)
    s.reserve(16)
    s.reset_mac_header()
    s.cow(20)  # delta 4 -> 64
    assert (s.data_offset, s.mac_header, s.network_header, s.transport_header) == (
        80, 80, 64, 63)
    ok(s)
    s.kfree()
