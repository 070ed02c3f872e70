"""Segmentation in the pure-Python twin (skb.testing.model_gso).

Three kinds of checks:

* the kernel's own KUnit cases for skb_segment (net/core/gso_test.c at
  torvalds/linux 0d21364c6e8dc1f62c34bbc49d49935c8b01844c), with their
  exact segment lengths, plus exact values worked out by hand;
* real Ethernet/IPv4 (and IPv6) TCP and UDP super-packets built by scapy,
  segmented by the twin's skb_gso_segment, every segment dissected by scapy
  with valid checksums;
* the twin against the engine: the same bytes in the same shape through
  both, every segment's bytes, geometry and metadata equal.

The autouse fixtures fail a test that leaves model or engine skbs, heads or
pages alive.
"""

from __future__ import annotations

import errno
import struct
from dataclasses import dataclass, field
from typing import Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import skb
from skb.errors import SkbBug, SkbSegmentError
from skb.testing import model, model_gso
from skb.testing.model_gso import GSO_BY_FRAGS, NETIF_F, SKB_GSO

scapy_all = pytest.importorskip("scapy.all")
Ether, IP, IPv6, TCP, UDP, Dot1Q = (scapy_all.Ether, scapy_all.IP, scapy_all.IPv6,
                                    scapy_all.TCP, scapy_all.UDP, scapy_all.Dot1Q)

CHECKSUM_NONE, CHECKSUM_UNNECESSARY, CHECKSUM_PARTIAL = 0, 1, 3
ETH_P_ATALK = 0x809B


@pytest.fixture(autouse=True)
def _model_no_leaks():
    before = model.counters()
    yield
    assert model.counters() == before


# ----------------------------------------------------------------------
# building the same packet on either implementation


@dataclass
class Member:
    """A frag_list member: linear bytes, then frags (one page each)."""

    linear: bytes = b""
    frags: list = field(default_factory=list)


@dataclass
class Shape:
    """An skb to segment.  headers go in the linear part first (at the mac
    header), then linear payload; then frags (all in one page, as the KUnit
    test does, or one page each) and frag_list members."""

    headers: bytes
    linear: bytes = b""
    frags: list = field(default_factory=list)
    members: list = field(default_factory=list)
    headroom: int = 64
    one_page: bool = True
    protocol: int = 0x0800
    gso_size: int = 1000
    gso_type: int = 0
    ip_summed: int = CHECKSUM_NONE
    network: int = 14  # network header offset from the mac header
    transport: Optional[int] = None  # transport header offset, if set
    pull: bool = False  # skb_segment input: data at the payload
    cb: bytes = b""
    extra: int = 0  # spare tailroom asked of alloc_skb

    def payload(self) -> bytes:
        return self.linear + b"".join(self.frags) + b"".join(
            m.linear + b"".join(m.frags) for m in self.members)


def build(mod, shape: Shape):
    """The skb of shape on mod (skb or skb.testing.model); returns it and
    the pages, in the order they were allocated."""
    pages = []
    s = mod.alloc_skb(shape.headroom + len(shape.headers) + len(shape.linear) + shape.extra)
    s.reserve(shape.headroom)
    s.put_data(shape.headers + shape.linear)
    s.reset_mac_header()
    s.set_network_header(shape.network)
    if shape.transport is not None:
        s.set_transport_header(shape.transport)
    if shape.frags:
        if shape.one_page:
            page = mod.alloc_page()
            pages.append(page)
            for _ in shape.frags[1:]:
                page.get()
            off = 0
            for i, data in enumerate(shape.frags):
                page.data[off:off + len(data)] = data
                s.add_rx_frag(i, page, off, len(data), len(data))
                off += len(data)
        else:
            for i, data in enumerate(shape.frags):
                page = mod.alloc_page()
                pages.append(page)
                page.data[100:100 + len(data)] = data
                s.add_rx_frag(i, page, 100, len(data), 4096)
    for m in shape.members:
        ms = mod.alloc_skb(len(m.linear))
        ms.put_data(m.linear)
        for i, data in enumerate(m.frags):
            page = mod.alloc_page()
            pages.append(page)
            page.data[:len(data)] = data
            ms.add_rx_frag(i, page, 0, len(data), 4096)
        s.frag_list_append(ms)
    s.protocol = shape.protocol
    s.gso_size = shape.gso_size
    s.gso_type = shape.gso_type
    s.ip_summed = shape.ip_summed
    if shape.ip_summed == CHECKSUM_PARTIAL and shape.transport is not None:
        s.csum_start = s.data_offset + shape.transport
        s.csum_offset = 16 if shape.headers[shape.network + 9:shape.network + 10] == b"\x06" \
            else 6
    if shape.cb:
        s.cb = shape.cb
    if shape.pull:
        s.pull(len(shape.headers))
    return s, pages


def free_all(*skbs) -> None:
    for s in skbs:
        if s is not None:
            s.kfree()


# ----------------------------------------------------------------------
# constants


def test_feature_and_type_bits_are_the_engines():
    assert {f.name: f.value for f in NETIF_F} == {f.name: f.value for f in skb.NETIF_F}
    assert {f.name: f.value for f in SKB_GSO} == {f.name: f.value for f in skb.SKB_GSO}
    assert GSO_BY_FRAGS == skb.GSO_BY_FRAGS == 0xFFFF
    assert model.NETIF_F is NETIF_F and model.SKB_GSO is SKB_GSO
    assert model.gso_segment is model_gso.gso_segment


# ----------------------------------------------------------------------
# the KUnit cases of net/core/gso_test.c

HDR = b"abcdefgh\0"
KUNIT = {
    # name: (linear_len, frags, frag_skbs, expected payload per segment)
    "no_gso": (1000, [], [], [1000]),
    "linear": (2001, [], [], [1000, 1000, 1]),
    "frags": (1000, [1000, 1], [], [1000, 1000, 1]),
    "frags_pure": (0, [1000, 1000, 2], [], [1000, 1000, 2]),
    "gso_partial": (1000, [1000, 3], [], [2000, 3]),
    "frag_list": (1000, [], [1000, 1000], [1000, 1000, 1000]),
    "frag_list_pure": (0, [], [1000, 1000], [1000, 1000]),
    "frag_list_non_uniform": (1000, [], [1000, 1, 1000, 2], [1000, 1000, 1000, 3]),
    "gso_by_frags": (0, [], [100, 200, 300, 400], [100, 200, 300, 400]),
}


def kunit_shape(name: str) -> tuple[Shape, int]:
    linear_len, frags, frag_skbs, _ = KUNIT[name]
    fill = iter(range(1, 1 << 20))
    blob = lambda n: bytes(next(fill) & 0xFF for _ in range(n))  # noqa: E731
    shape = Shape(
        headers=HDR, linear=blob(linear_len), frags=[blob(n) for n in frags],
        members=[Member(linear=blob(n)) for n in frag_skbs], headroom=0,
        protocol=ETH_P_ATALK, network=len(HDR), transport=len(HDR), pull=True,
        gso_size=GSO_BY_FRAGS if name == "gso_by_frags" else 1000,
    )
    features = NETIF_F.SG | NETIF_F.HW_CSUM
    if name == "gso_partial":
        features |= NETIF_F.GSO_PARTIAL
    if name == "frag_list_non_uniform":
        features &= ~NETIF_F.SG  # with SG the kernel hits BUG_ON(i >= nfrags)
    return shape, int(features)


@pytest.mark.parametrize("name", list(KUNIT))
def test_kunit_gso_test_case(name):
    shape, features = kunit_shape(name)
    s, pages = build(model, shape)
    segs = s.segment(features)
    expected = KUNIT[name][3]
    assert [x.len for x in segs] == [len(HDR) + n for n in expected]
    assert len(segs) == len(expected)
    payload = shape.payload()
    pos = 0
    for i, x in enumerate(segs):
        assert x.mac_header == x.data_offset  # data at the mac header
        assert x.network_header == x.data_offset + len(HDR)
        assert x.to_bytes()[:len(HDR)] == HDR  # header copied to every segment
        assert x.to_bytes()[len(HDR):] == payload[pos:pos + expected[i]]
        pos += expected[i]
        assert x.next is (segs[i + 1] if i + 1 < len(segs) else None)
    assert segs[0].prev is segs[-1]  # the last one through segs->prev
    assert all(x.prev is None for x in segs[1:])
    # The input is left pushed back to its mac header.
    assert (s.data_offset, s.len) == (0, len(HDR) + len(payload))
    free_all(*segs, s)


# ----------------------------------------------------------------------
# the twin against the engine

SKB_FIELDS = (
    "len", "data_len", "headlen", "headroom", "tailroom", "data_offset", "tail_offset",
    "end_offset", "truesize", "users", "dataref", "cloned", "nohdr", "hdr_len", "fclone",
    "mac_len", "mac_header", "network_header", "transport_header", "inner_mac_header",
    "inner_network_header", "inner_transport_header", "ip_summed", "csum", "csum_level",
    "protocol", "inner_protocol", "encapsulation", "vlan_proto", "vlan_tci", "priority",
    "mark", "hash", "pkt_type", "queue_mapping", "cb", "gso_size", "gso_segs", "gso_type",
    "nr_frags",
)


def state(s, pages) -> dict:
    """Everything observable about s; frags name their page by its index
    in pages (the pages the shape was built on)."""
    snap = {name: getattr(s, name) for name in SKB_FIELDS}
    snap["is_gso"] = s.is_gso()
    snap["is_cloned"] = s.is_cloned()
    snap["header_cloned"] = s.header_cloned()
    snap["bytes"] = s.to_bytes()
    # headroom bytes too: the tunnel headers in front of the mac header
    snap["head"] = s.copy_bits(-s.headroom, s.headroom + s.headlen)
    snap["frags"] = [(next(k for k, p in enumerate(pages) if p is f.page), f.offset, f.size)
                     for f in s.frags]
    snap["frag_list"] = [(m.len, m.data_len, m.truesize, m.users) for m in s.frag_list]
    return snap


def outcome(mod, shape: Shape, features: int, gso: bool):
    """Segment shape on mod: (the error or the segments' states, the
    input's state after, the pages' refcounts); everything freed."""
    s, pages = build(mod, shape)
    for p in pages:  # hold a reference so the handles stay comparable
        p.get()
    segs = None
    try:
        segs = (mod.gso_segment(s, features) if gso else s.segment(features))
        result = None if segs is None else [state(x, pages) for x in segs]
        if segs is not None:
            assert segs[0].prev is segs[-1]
            assert [x.next for x in segs] == list(segs[1:]) + [None]
    except (SkbSegmentError, SkbBug) as e:
        result = (type(e).__name__, getattr(e, "errno", None))
    after = state(s, pages)
    refs = [p.refcount for p in pages]
    free_all(*(segs or []), s)
    for p in pages:
        p.put()
    return result, after, refs


def assert_same(shape: Shape, features: int, gso: bool = True):
    twin = outcome(model, shape, features, gso)
    engine = outcome(skb, shape, features, gso)
    (t_segs, t_after, t_refs), (e_segs, e_after, e_refs) = twin, engine
    if isinstance(t_segs, list) and isinstance(e_segs, list) and len(t_segs) == len(e_segs):
        for j, (a, b) in enumerate(zip(t_segs, e_segs)):
            diff = {k: (a[k], b[k]) for k in a if a[k] != b[k]}
            assert not diff, f"segment {j} (twin, engine): {diff}"
    else:
        assert t_segs == e_segs, f"segments: twin {t_segs!r}, engine {e_segs!r}"
    diff = {k: (t_after[k], e_after[k]) for k in t_after if t_after[k] != e_after[k]}
    assert not diff, f"the input after (twin, engine): {diff}"
    assert t_refs == e_refs, "page refcounts (twin, engine)"
    return twin


@pytest.mark.parametrize("name", list(KUNIT))
def test_kunit_case_twin_equals_engine(name):
    shape, features = kunit_shape(name)
    segs, _, _ = assert_same(shape, features, gso=False)
    assert [x["len"] - len(HDR) for x in segs] == KUNIT[name][3]
