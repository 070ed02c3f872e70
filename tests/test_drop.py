"""skb.DropReason, kfree with a reason (kfree_skb_reason) and the engine's
per-reason free counters."""

from __future__ import annotations

import pytest

import skb
from skb import Drop, DropReason, drop_counts
from skb.kernel import kfree_skb_reason


def delta(before, after):
    return {r: after.get(r, 0) - before.get(r, 0)
            for r in set(before) | set(after) if after.get(r, 0) != before.get(r, 0)}


def test_reasons_carry_the_kernel_numbers():
    # enum skb_drop_reason: SKB_NOT_DROPPED_YET = 0, SKB_CONSUMED, then the
    # SKB_DROP_REASON_* in DEFINE_DROP_REASON order
    assert DropReason.NOT_DROPPED_YET == 0
    assert DropReason.CONSUMED == 1
    assert DropReason.NOT_SPECIFIED == 2
    assert DropReason.NO_SOCKET == 3
    assert DropReason.PKT_TOO_SMALL == 9
    assert DropReason.UDP_CSUM == 11
    assert DropReason.IP_CSUM == 14
    assert DropReason.RECURSION_LIMIT == len(DropReason) - 1
    names = [r.name for r in DropReason]
    assert names.index("VXLAN_VNI_NOT_FOUND") == names.index("VXLAN_INVALID_HDR") + 1
    assert names.index("VXLAN_ENTRY_EXISTS") == names.index("MAC_INVALID_SOURCE") + 1
    assert len(set(names)) == len(names)


def test_kfree_with_a_reason_counts_it_once_the_skb_is_freed():
    s = skb.alloc_skb(64)
    before = drop_counts()
    s.kfree(DropReason.VXLAN_INVALID_HDR)
    assert delta(before, drop_counts()) == {DropReason.VXLAN_INVALID_HDR: 1}


def test_a_reference_dropped_with_a_reason_is_not_counted_until_the_last():
    s = skb.alloc_skb(64)
    s.get()
    before = drop_counts()
    s.kfree(DropReason.HDR_TRUNC)
    assert delta(before, drop_counts()) == {}
    s.kfree(DropReason.UDP_CSUM)  # the reason of the last reference counts
    assert delta(before, drop_counts()) == {DropReason.UDP_CSUM: 1}


def test_plain_kfree_and_consume():
    a, b, c = skb.alloc_skb(64), skb.alloc_skb(64), skb.alloc_skb(64)
    before = drop_counts()
    a.kfree()
    b.consume()
    c.kfree(DropReason.CONSUMED)
    assert delta(before, drop_counts()) == {DropReason.NOT_SPECIFIED: 1,
                                            DropReason.CONSUMED: 2}


def test_clones_count_separately_from_their_shared_data():
    s = skb.alloc_skb(64)
    c = s.clone()
    before = drop_counts()
    c.kfree(DropReason.NOMEM)
    s.kfree(DropReason.NOMEM)
    assert delta(before, drop_counts()) == {DropReason.NOMEM: 2}


def test_frag_list_members_are_freed_for_the_same_reason():
    """skb_release_data passes the reason down to kfree_skb_list_reason
    ("net: dropreason: propagate drop_reason to skb_release_data()", v6.2):
    a consumed skb's members are consumed, not dropped."""
    s, m = skb.alloc_skb(64), skb.alloc_skb(64)
    m.put(3)
    s.frag_list_append(m)
    before = drop_counts()
    s.kfree(DropReason.PKT_TOO_SMALL)
    assert delta(before, drop_counts()) == {DropReason.PKT_TOO_SMALL: 2}


@pytest.mark.parametrize("reason", [0, len(DropReason), 2**32 - 1])
def test_kfree_with_no_reason_is_a_bug_and_keeps_the_skb(reason):
    s = skb.alloc_skb(64)
    before = drop_counts()
    with pytest.raises(skb.SkbBug, match="reason"):
        s.kfree(reason)
    assert drop_counts() == before
    assert s.users == 1
    s.kfree()


@pytest.mark.parametrize("reason, exc", [(-1, OverflowError), (2**32, OverflowError),
                                         (1.0, TypeError), ("HDR_TRUNC", TypeError)])
def test_kfree_reason_type_and_range(reason, exc):
    s = skb.alloc_skb(64)
    with pytest.raises(exc):
        s.kfree(reason)
    s.kfree()


def test_freed_skb_kfree_with_reason_is_double_free():
    s = skb.alloc_skb(64)
    s.kfree()
    with pytest.raises(skb.SkbDoubleFree):
        s.kfree(DropReason.NOMEM)


def test_kernel_spelling():
    s = skb.alloc_skb(64)
    before = drop_counts()
    kfree_skb_reason(s, DropReason.MAC_INVALID_SOURCE)
    assert delta(before, drop_counts()) == {DropReason.MAC_INVALID_SOURCE: 1}


def test_drop_verdict():
    d = Drop(DropReason.HDR_TRUNC)
    assert d.reason is DropReason.HDR_TRUNC and d == (DropReason.HDR_TRUNC,)


def test_counts_leave_unused_reasons_out():
    assert all(v > 0 for v in drop_counts().values())
    assert all(type(k) is DropReason for k in drop_counts())
