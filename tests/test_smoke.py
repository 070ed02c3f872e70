import skb
from skb.testing import check, fail_nth_alloc


def test_alloc_reserve_put_free():
    s = skb.alloc_skb(100)
    assert (s.end_offset, s.truesize, s.tailroom) == (384, 960, 384)
    s.reserve(64)
    s.put_data(b"payload")
    check(s)
    assert s.to_bytes() == b"payload"
    s.kfree()


def test_injected_allocation_failure_raises_memoryerror():
    with fail_nth_alloc(1):
        try:
            skb.alloc_skb(10)
        except MemoryError:
            pass
        else:
            raise AssertionError("the injected failure did not happen")
