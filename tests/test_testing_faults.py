"""skb.testing.fail_nth_alloc: the n-th engine allocation fails, once,
and the injection is disarmed when the block ends."""

import pytest

import skb
from skb.testing import fail_nth_alloc
from skbhelp import counter_delta, counter_snapshot


def test_nth_counts_engine_allocations():
    # alloc_skb makes two allocations (struct, head): the 3rd is the
    # second alloc_skb's struct
    before = counter_snapshot()
    with fail_nth_alloc(3):
        a = skb.alloc_skb(10)
        with pytest.raises(MemoryError):
            skb.alloc_skb(10)
        b = skb.alloc_skb(10)  # fails once only
    assert counter_delta(before) == {"live_skbs": 2, "live_heads": 2, "head_bytes": 1408,
                                     "raw_blocks": 4}
    a.kfree()
    b.kfree()


def test_disarmed_when_not_reached():
    with fail_nth_alloc(5):
        skb.alloc_skb(10).kfree()
    before = counter_snapshot()
    made = [skb.alloc_skb(10) for _ in range(5)]  # the 5th would have failed
    assert counter_delta(before) == {"live_skbs": 5, "live_heads": 5, "head_bytes": 3520,
                                     "raw_blocks": 10}
    for s in made:
        s.kfree()


def test_disarmed_when_the_block_raises():
    with pytest.raises(KeyError):
        with fail_nth_alloc(1):
            raise KeyError
    skb.alloc_skb(10).kfree()


def test_zero_never_fails():
    before = counter_snapshot()
    with fail_nth_alloc(0):
        made = [skb.alloc_skb(10), skb.alloc_skb(10)]
    assert counter_delta(before) == {"live_skbs": 2, "live_heads": 2, "head_bytes": 1408,
                                     "raw_blocks": 4}
    for s in made:
        s.kfree()


def test_default_is_the_next_allocation():
    with fail_nth_alloc():
        with pytest.raises(MemoryError):
            skb.alloc_skb(10)
