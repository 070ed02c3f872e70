"""alloc_skb: head sizing (small-head cache, kmalloc buckets, pages),
truesize, initial state, fclone, argument checking and -ENOMEM."""

import pytest

import skb
from skb.testing import fail_nth_alloc
from skbhelp import counter_delta, counter_snapshot, head_bytes, ok

# size asked -> (end, truesize, bytes allocated for the head), from the spec:
# obj = round64(size) + 320; obj <= 704 -> 704; else kmalloc bucket / pages;
# end = alloc - 320; truesize = end + 576.
ALLOC_TABLE = [
    (0, 384, 960, 704),
    (1, 384, 960, 704),
    (100, 384, 960, 704),
    (384, 384, 960, 704),  # 384 + 320 == 704 exactly: still the small cache
    (385, 704, 1280, 1024),  # 448 + 320 = 768 -> kmalloc-1024
    (1500, 1728, 2304, 2048),  # 1536 + 320 = 1856 -> 2048
    (3776, 3776, 4352, 4096),  # 3776 + 320 == 4096 exactly
    (3777, 7872, 8448, 8192),  # 3840 + 320 = 4160 -> 8192
    (4000, 7872, 8448, 8192),  # 4032 + 320 = 4352 -> 8192
    (7872, 7872, 8448, 8192),  # the largest kmalloc cache, exactly
    (7873, 16064, 16640, 16384),  # 7936 + 320 = 8256 -> order-2 pages
    (8000, 16064, 16640, 16384),  # 8000 + 320 = 8320 -> 16384
    (70000, 130752, 131328, 131072),  # 70016 + 320 = 70336 -> 128 KiB
    (4194304 - 320, 4193984, 4194560, 4194304),  # exactly KMALLOC_MAX_SIZE
]


@pytest.mark.parametrize("size,end,truesize,alloc", ALLOC_TABLE)
def test_alloc_skb_geometry(size, end, truesize, alloc):
    before = counter_snapshot()
    s = skb.alloc_skb(size)
    assert s.end_offset == end
    assert s.truesize == truesize
    assert s.tailroom == end
    assert s.tailroom >= size
    assert (s.len, s.data_len, s.headlen) == (0, 0, 0)
    assert (s.headroom, s.data_offset, s.tail_offset) == (0, 0, 0)
    assert counter_delta(before) == {
        "live_skbs": 1, "live_heads": 1, "head_bytes": alloc, "raw_blocks": 2,
    }
    ok(s)
    s.kfree()
    assert counter_delta(before) == {}


def test_alloc_skb_initial_state():
    s = skb.alloc_skb(100)
    assert (s.users, s.dataref, s.cloned, s.nohdr, s.hdr_len) == (1, 1, False, False, 0)
    assert (s.fclone, s.fclone_ref, s.mac_len) == (0, None, 0)
    assert (s.is_cloned(), s.header_cloned(), s.shared()) == (False, False, False)
    assert s.mac_header is None
    assert s.network_header == 0
    assert s.transport_header is None
    assert s.inner_mac_header is None
    assert s.inner_network_header is None
    assert s.inner_transport_header is None
    for name in ("ip_summed", "csum", "csum_start", "csum_offset", "csum_level",
                 "protocol", "inner_protocol", "encapsulation", "vlan_proto",
                 "vlan_tci", "priority", "mark", "hash", "pkt_type", "queue_mapping"):
        assert getattr(s, name) == 0, name
    assert s.cb == bytes(48)
    assert s.to_bytes() == b""
    assert bytes(s) == b""
    ok(s)
    s.kfree()


@pytest.mark.parametrize("size", [0, 385, 8000])
def test_fresh_head_reads_as_zero(size):
    s = skb.alloc_skb(size)
    assert head_bytes(s) == bytes(s.end_offset)
    assert bytes(s.put(s.tailroom)) == bytes(s.end_offset)
    s.kfree()


def test_alloc_skb_fclone():
    before = counter_snapshot()
    s = skb.alloc_skb(100, fclone=True)
    assert (s.fclone, s.fclone_ref) == (1, 1)
    assert (s.end_offset, s.truesize, s.users, s.dataref) == (384, 960, 1, 1)
    assert s.cloned == 0
    # one block for the pair (both structs and fclone_ref) and one for the head
    assert counter_delta(before) == {
        "live_skbs": 1, "live_heads": 1, "head_bytes": 704, "raw_blocks": 2,
    }
    ok(s)
    s.kfree()
    assert counter_delta(before) == {}


def test_alloc_skb_fclone_truthy_flag():
    s = skb.alloc_skb(10, fclone=1)
    assert s.fclone == 1
    s.kfree()


def test_alloc_skb_bool_size_is_an_int():
    s = skb.alloc_skb(True)
    assert s.end_offset == 384
    s.kfree()


@pytest.mark.parametrize("size,exc", [
    (-1, OverflowError),
    (2**32, OverflowError),
    (-(2**31), OverflowError),
    (1.0, TypeError),
    ("100", TypeError),
    (None, TypeError),
])
def test_alloc_skb_bad_size(size, exc):
    before = counter_snapshot()
    with pytest.raises(exc):
        skb.alloc_skb(size)
    assert counter_delta(before) == {}


@pytest.mark.parametrize("size", [4194304 - 319, 4194304, 2**32 - 1])
def test_alloc_skb_beyond_kmalloc_max_is_enomem(size):
    before = counter_snapshot()
    with pytest.raises(MemoryError):
        skb.alloc_skb(size)
    assert counter_delta(before) == {}


@pytest.mark.parametrize("fclone", [False, True])
@pytest.mark.parametrize("nth", [1, 2])  # 1: the struct (or pair), 2: the head
def test_alloc_skb_injected_failure(fclone, nth):
    before = counter_snapshot()
    with fail_nth_alloc(nth):
        with pytest.raises(MemoryError, match="alloc_skb"):
            skb.alloc_skb(100, fclone=fclone)
    assert counter_delta(before) == {}
    s = skb.alloc_skb(100, fclone=fclone)  # the injection fired once only
    s.kfree()
