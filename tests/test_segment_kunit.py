"""The kernel's own skb_segment KUnit cases (net/core/gso_test.c, later
net/core/net_test.c), rebuilt through the public API.

Each input: a 9-byte fake header "abcdefgh\\0" at the mac header, data
pulled to the payload right behind it (network and transport headers reset
there), protocol ETH_P_ATALK (0x809B: any protocol but TEB/VLAN), gso_size
1000 (GSO_BY_FRAGS for gso_by_frags), gso_type 0; payload in the linear
part, in frags on one page (the page holding one reference per frag), and in
frag_list members.  Features SG|HW_CSUM, plus GSO_PARTIAL for gso_partial,
minus SG for frag_list_non_uniform.

Differences from the kernel test, none of which changes the expected
segments: the head comes from alloc_skb (the kernel uses build_skb), and the
frag_list members are alloc_skb'd (kmalloc'd heads, not head_frag pages).
"""

import pytest

import skb
from skb import GSO_BY_FRAGS, NETIF_F, SkbBug
from skb.testing import check, check_pages

HDR = b"abcdefgh\0"
GSO_TEST_SIZE = 1000
ETH_P_ATALK = 0x809B
FEATURES = NETIF_F.SG | NETIF_F.HW_CSUM

# name: (linear_len, frags, frag_skbs, expected segment payloads, features)
CASES = {
    "no_gso": (GSO_TEST_SIZE, (), (), (GSO_TEST_SIZE,), FEATURES),
    "linear": (2 * GSO_TEST_SIZE + 1, (), (), (GSO_TEST_SIZE, GSO_TEST_SIZE, 1), FEATURES),
    "frags": (GSO_TEST_SIZE, (GSO_TEST_SIZE, 1), (), (GSO_TEST_SIZE, GSO_TEST_SIZE, 1),
              FEATURES),
    "frags_pure": (0, (GSO_TEST_SIZE, GSO_TEST_SIZE, 2), (),
                   (GSO_TEST_SIZE, GSO_TEST_SIZE, 2), FEATURES),
    "gso_partial": (GSO_TEST_SIZE, (GSO_TEST_SIZE, 3), (), (2 * GSO_TEST_SIZE, 3),
                    FEATURES | NETIF_F.GSO_PARTIAL),
    "frag_list": (GSO_TEST_SIZE, (), (GSO_TEST_SIZE, GSO_TEST_SIZE),
                  (GSO_TEST_SIZE, GSO_TEST_SIZE, GSO_TEST_SIZE), FEATURES),
    "frag_list_pure": (0, (), (GSO_TEST_SIZE, GSO_TEST_SIZE), (GSO_TEST_SIZE, GSO_TEST_SIZE),
                       FEATURES),
    "frag_list_non_uniform": (GSO_TEST_SIZE, (), (GSO_TEST_SIZE, 1, GSO_TEST_SIZE, 2),
                              (GSO_TEST_SIZE, GSO_TEST_SIZE, GSO_TEST_SIZE, 3),
                              FEATURES & ~NETIF_F.SG),
    "gso_by_frags": (0, (), (100, 200, 300, 400), (100, 200, 300, 400), FEATURES),
}


def pattern(n, salt):
    """Payload bytes that differ at every position and between pieces."""
    return bytes((i * 7 + salt * 31 + (i >> 8)) & 0xFF for i in range(n))


def build_case(linear_len, frags, frag_skbs, gso_size):
    """The KUnit input; returns (skb, payload, page or None)."""
    payload = b""
    s = skb.alloc_skb(len(HDR) + linear_len)
    head_payload = pattern(linear_len, 1)
    s.put_data(HDR + head_payload)
    payload += head_payload
    s.reset_mac_header()
    assert s.pull(len(HDR)) is not None
    s.reset_network_header()
    s.reset_transport_header()
    s.protocol = ETH_P_ATALK
    s.gso_size = GSO_TEST_SIZE
    page = None
    if frags:
        page = skb.alloc_page()
        for _ in range(len(frags) - 1):     # page_ref_add(page, nr_frags - 1)
            page.get()
        page.get()                          # the test's own reference, to assert
        off = 0
        for i, size in enumerate(frags):
            data = pattern(size, 2 + i)
            page.data[off:off + size] = data
            s.add_rx_frag(i, page, off, size, size)
            payload += data
            off += size
        assert page.refcount == len(frags) + 1
    for i, size in enumerate(frag_skbs):
        member = skb.alloc_skb(size)
        data = pattern(size, 10 + i)
        member.put_data(data)
        payload += data
        s.frag_list_append(member)
    if gso_size is not None:
        s.gso_size = gso_size
    assert s.len == len(payload)
    assert s.gso_type == 0
    return s, payload, page


@pytest.mark.parametrize("name", list(CASES))
def test_kunit_case(name):
    linear_len, frags, frag_skbs, expected, features = CASES[name]
    gso_size = GSO_BY_FRAGS if name == "gso_by_frags" else None
    s, payload, page = build_case(linear_len, frags, frag_skbs, gso_size)
    input_len = s.len
    segs = s.segment(features)

    # the input is left pushed back to its mac header
    assert s.data_offset == s.mac_header == 0
    assert s.len == input_len + len(HDR)
    assert bytes(s.data[:len(HDR)]) == HDR

    assert len(segs) == len(expected)
    last = segs[0].prev
    got = b""
    for i, seg in enumerate(segs):
        assert seg.len == len(HDR) + expected[i]
        # segs have data pointing to the mac header
        assert seg.mac_header == seg.data_offset
        assert seg.network_header == seg.data_offset + len(HDR)
        # the header was copied into every segment
        assert bytes(seg.data[:len(HDR)]) == HDR
        # the last one can be found through segs[0].prev
        if seg.next is None:
            assert seg is last
            assert i == len(expected) - 1
        check(seg)
        got += seg.to_bytes()[len(HDR):]
    assert got == payload
    check_pages()

    for seg in segs:
        seg.consume()
    s.consume()
    if page is not None:
        assert page.refcount == 1
        page.put()


def test_kunit_gso_partial_metadata():
    """gso_partial: the first segment carries two MSS and stays GSO; the
    3-byte tail is no longer GSO (gso_size 0)."""
    linear_len, frags, frag_skbs, expected, features = CASES["gso_partial"]
    s, payload, page = build_case(linear_len, frags, frag_skbs, None)
    segs = s.segment(features)
    first, tail = segs
    assert (first.gso_size, first.gso_segs) == (1000, 2)
    assert tail.gso_size == 0
    assert tail.gso_segs == 2           # written for every segment, left as is
    assert not tail.is_gso() and first.is_gso()
    # type 0 | SKB_GSO_PARTIAL (the feature was asked for)
    assert first.gso_type == tail.gso_type == skb.SKB_GSO.PARTIAL
    # SKB_GSO_CB(seg)->data_offset = headroom + doffset
    for seg in segs:
        assert int.from_bytes(seg.cb[32:36], "little", signed=True) == seg.headroom + len(HDR)
    for seg in segs:
        seg.kfree()
    s.kfree()
    page.put()


@pytest.mark.parametrize("name", [n for n in CASES if n != "gso_partial"])
def test_kunit_outputs_are_not_gso(name):
    linear_len, frags, frag_skbs, expected, features = CASES[name]
    gso_size = GSO_BY_FRAGS if name == "gso_by_frags" else None
    s, payload, page = build_case(linear_len, frags, frag_skbs, gso_size)
    segs = s.segment(features)
    for seg in segs:
        assert (seg.gso_size, seg.gso_segs, seg.gso_type) == (0, 0, 0)
        seg.kfree()
    s.kfree()
    if page is not None:
        page.put()


def test_kunit_frag_list_non_uniform_with_sg_is_a_bug():
    """The kernel test clears SG because with it skb_segment hits
    BUG_ON(i >= nfrags): the 1-byte member cannot fill a 1000-byte segment."""
    linear_len, frags, frag_skbs, expected, features = CASES["frag_list_non_uniform"]
    s, payload, page = build_case(linear_len, frags, frag_skbs, None)
    input_len = s.len
    before = skb.counters()
    with pytest.raises(SkbBug):
        s.segment(FEATURES)
    after = skb.counters()
    assert (after.live_skbs, after.live_heads, after.live_pages) == \
        (before.live_skbs, before.live_heads, before.live_pages)
    # as in the kernel the input was already pushed when the BUG hit
    assert s.len == input_len + len(HDR) and s.data_offset == 0
    assert s.to_bytes()[len(HDR):] == payload
    check(s)
    s.kfree()
