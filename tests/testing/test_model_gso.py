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
import os
import struct
from dataclasses import dataclass, field, replace
from typing import Optional

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import skb
from skb.errors import SkbBug, SkbFault, SkbSegmentError
from skb.testing import model, model_gso
from skb.testing.model_gso import GSO_BY_FRAGS, NETIF_F, SKB_GSO
from skb.tunnel import TunnelTemplate

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


@dataclass(repr=False)
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
    csum_start: Optional[int] = None  # from the mac header, when not CHECKSUM_PARTIAL
    clone_first: bool = False  # segment a clone (the head shared)
    mac: int = 0  # the mac header's offset from the start of headers
    inner: Optional[tuple] = None  # inner mac, network, transport offsets
    inner_protocol: int = 0
    encapsulation: int = 0
    csum_offset: Optional[int] = None  # when csum_start is given

    def __repr__(self) -> str:
        """Short: the bytes as lengths (hypothesis prints failing shapes)."""
        parts = [f"headers={self.headers.hex()}", f"linear={len(self.linear)}",
                 f"frags={[len(f) for f in self.frags]}",
                 f"members={[(len(m.linear), [len(f) for f in m.frags]) for m in self.members]}"]
        for name in ("headroom", "one_page", "protocol", "gso_size", "gso_type", "ip_summed",
                     "network", "transport", "pull", "cb", "extra", "csum_start",
                     "clone_first", "mac", "inner", "inner_protocol", "encapsulation",
                     "csum_offset"):
            parts.append(f"{name}={getattr(self, name)!r}")
        return f"Shape({', '.join(parts)})"

    def payload(self) -> bytes:
        return self.linear + b"".join(self.frags) + b"".join(
            m.linear + b"".join(m.frags) for m in self.members)


def _order(size: int) -> int:
    """The page order that holds size bytes."""
    order = 0
    while 4096 << order < size:
        order += 1
    return order


def build(mod, shape: Shape):
    """The skb of shape on mod (skb or skb.testing.model); returns it and
    the pages, in the order they were allocated."""
    pages = []
    s = mod.alloc_skb(shape.headroom + len(shape.headers) + len(shape.linear) + shape.extra)
    s.reserve(shape.headroom)
    s.put_data(shape.headers + shape.linear)
    s.set_mac_header(shape.mac)
    s.set_network_header(shape.network)
    if shape.transport is not None:
        s.set_transport_header(shape.transport)
    if shape.inner is not None:
        s.set_inner_mac_header(shape.inner[0])
        s.set_inner_network_header(shape.inner[1])
        s.set_inner_transport_header(shape.inner[2])
    s.inner_protocol = shape.inner_protocol
    s.encapsulation = shape.encapsulation
    if shape.frags:
        if shape.one_page:
            page = mod.alloc_page(_order(sum(map(len, shape.frags))))
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
                page = mod.alloc_page(_order(100 + len(data)))
                pages.append(page)
                page.data[100:100 + len(data)] = data
                s.add_rx_frag(i, page, 100, len(data), 4096)
    for m in shape.members:
        ms = mod.alloc_skb(len(m.linear))
        ms.put_data(m.linear)
        for i, data in enumerate(m.frags):
            page = mod.alloc_page(_order(len(data)))
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
    if shape.csum_start is not None:
        s.csum_start = s.data_offset + shape.csum_start
    if shape.csum_offset is not None:
        s.csum_offset = shape.csum_offset
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


def outcome(mod, shape: Shape, features: int, gso: bool, prepare=None):
    """Segment shape on mod (prepare(s) first, if given): (the error or the
    segments' states, the input's state after, the pages' refcounts);
    everything freed."""
    s, pages = build(mod, shape)
    if prepare is not None:
        prepare(s)
    for p in pages:  # hold a reference so the handles stay comparable
        p.get()
    other = s.clone() if shape.clone_first else None
    segs = None
    try:
        segs = (mod.gso_segment(s, features) if gso else s.segment(features))
        result = None if segs is None else [state(x, pages) for x in segs]
        if segs is not None:
            assert segs[0].prev is segs[-1]
            assert [x.next for x in segs] == list(segs[1:]) + [None]
    except (SkbSegmentError, SkbBug, SkbFault, MemoryError) as e:
        result = (type(e).__name__, getattr(e, "errno", None))
    after = state(s, pages)
    if other is not None:
        after["the clone"] = state(other, pages)
    refs = [p.refcount for p in pages]
    free_all(*(segs or []), s, other)
    for p in pages:
        p.put()
    return result, after, refs


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _diff(a: dict, b: dict) -> dict:
    """The keys where two states differ, values shortened."""
    return {k: (_short(a[k]), _short(b.get(k))) for k in a if a[k] != b.get(k)}


def _summary(result):
    """An outcome, small enough to print: errors as they are, segments as
    (len, data_len, gso_size, gso_segs)."""
    if isinstance(result, list):
        return [(x["len"], x["data_len"], x["gso_size"], x["gso_segs"]) for x in result]
    return result


def assert_same(shape: Shape, features: int, gso: bool = True, prepare=None):
    twin = outcome(model, shape, features, gso, prepare)
    engine = outcome(skb, shape, features, gso, prepare)
    (t_segs, t_after, t_refs), (e_segs, e_after, e_refs) = twin, engine
    if isinstance(t_segs, list) and isinstance(e_segs, list) and len(t_segs) == len(e_segs):
        for j, (a, b) in enumerate(zip(t_segs, e_segs)):
            assert not _diff(a, b), f"segment {j} (twin, engine): {_diff(a, b)}"
    else:
        assert _summary(t_segs) == _summary(e_segs), "segments (twin, engine)"
    after = _diff(t_after, e_after)
    assert not after, f"the input after (twin, engine): {after}"
    assert t_refs == e_refs, "page refcounts (twin, engine)"
    return twin


@pytest.mark.parametrize("name", list(KUNIT))
def test_kunit_case_twin_equals_engine(name):
    shape, features = kunit_shape(name)
    segs, _, _ = assert_same(shape, features, gso=False)
    assert [x["len"] - len(HDR) for x in segs] == KUNIT[name][3]


# ----------------------------------------------------------------------
# real super-packets, dissected by scapy

MAC = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
TCP_OPTIONS = [("MSS", 1460), ("NOP", None), ("WScale", 7), ("NOP", None), ("NOP", None),
               ("Timestamp", (123456, 654321))]


def payload_bytes(n: int, seed: int = 7) -> bytes:
    return bytes((seed + 31 * i + (i >> 8)) & 0xFF for i in range(n))


def split(payload: bytes, linear: int, frags: list) -> tuple[bytes, list]:
    """payload cut into linear bytes and frags of the given sizes (the last
    frag takes the rest)."""
    out, pos = [], linear
    for n in frags[:-1]:
        out.append(payload[pos:pos + n])
        pos += n
    if frags:
        out.append(payload[pos:])
    return payload[:linear], out


def tcp4_shape(n: int, mss: int, *, linear: int = 0, frags=(), flags="FPAC",
               options=TCP_OPTIONS, ip_summed=CHECKSUM_NONE, gso_type=SKB_GSO.TCPV4,
               df=True, ip_id=0x1234, seq=0xFFFFF000, members=()) -> tuple[Shape, bytes]:
    data = payload_bytes(n)
    pkt = (Ether(**MAC) / IP(src="10.0.0.1", dst="10.0.0.2", id=ip_id,
                             flags="DF" if df else 0)
           / TCP(sport=40000, dport=80, seq=seq, ack=77, flags=flags, window=512,
                 options=list(options)))
    headers = bytes(pkt)
    lin, fr = split(data, linear, list(frags) or [n - linear] if n > linear else [])
    shape = Shape(headers=headers, linear=lin, frags=fr, members=list(members),
                  one_page=False, protocol=0x0800, network=14, transport=34,
                  gso_size=mss, gso_type=int(gso_type), ip_summed=ip_summed)
    return shape, data


def check_tcp_segments(segs, data: bytes, mss: int, flags: str, seq: int, ip_id: int,
                       fixed_id: bool = False) -> None:
    """scapy's view of every segment: checksums valid, lengths, sequence
    numbers contiguous, FIN/PSH only on the last, CWR only on the first,
    IP IDs counting up, and the payloads joined back into the original."""
    got = b""
    for k, seg in enumerate(segs):
        raw = seg.to_bytes()
        p = Ether(raw)
        ip, tcp = p[IP], p[TCP]
        hdr = raw[14:14 + ip.ihl * 4]
        assert model.ip_fast_csum(hdr) == 0, f"segment {k}: bad IPv4 header checksum"
        fresh = Ether(raw)
        del fresh[IP].chksum, fresh[TCP].chksum
        fresh = Ether(bytes(fresh))
        assert (ip.chksum, tcp.chksum) == (fresh[IP].chksum, fresh[TCP].chksum), \
            f"segment {k}: checksums (carried, recomputed by scapy)"
        assert ip.len == len(raw) - 14
        assert ip.id == (ip_id if fixed_id else (ip_id + k) & 0xFFFF)
        assert tcp.seq == (seq + len(got)) & 0xFFFFFFFF
        want = set(flags)
        if k != len(segs) - 1:
            want -= {"F", "P"}
        if k:
            want -= {"C"}
        assert set(str(tcp.flags)) == want, f"segment {k}: flags {tcp.flags}"
        body = bytes(tcp.payload)
        assert len(body) == (mss if k != len(segs) - 1 else len(data) - len(got))
        got += body
        assert seg.ip_summed == CHECKSUM_NONE
        assert (seg.mac_header, seg.network_header, seg.transport_header) == (
            seg.data_offset, seg.data_offset + 14, seg.data_offset + 34)
        assert seg.mac_len == 14
    assert got == data


@pytest.mark.parametrize("n, mss, linear, frags", [
    (5000, 1448, 5000, ()),            # all linear
    (5000, 1448, 0, (1200, 1800, 2000)),  # all paged, frags not on mss boundaries
    (4000, 1000, 700, (3300,)),        # head and one frag
    (2897, 1448, 100, (1000, 1797)),   # a 1-byte last segment
])
def test_tcp4_super_packet_segments_pass_scapy(n, mss, linear, frags):
    shape, data = tcp4_shape(n, mss, linear=linear, frags=frags)
    s, pages = build(model, shape)
    segs = model.gso_segment(s, NETIF_F.SG)  # no checksum offload: done in software
    assert len(segs) == -(-n // mss)
    check_tcp_segments(segs, data, mss, "FPAC", 0xFFFFF000, 0x1234)
    # frags are shared by reference, not copied
    if frags:
        assert any(seg.nr_frags for seg in segs)
        assert all(f.page in pages for seg in segs for f in seg.frags)
    # the input is back at its mac header, set up for checksum offload
    assert (s.data_offset, s.len, s.ip_summed) == (64, len(shape.headers) + n, CHECKSUM_PARTIAL)
    assert (s.csum_start, s.csum_offset) == (64 + 34, 16)
    free_all(*segs, s)


def test_tcp4_fixed_id_keeps_the_ip_id():
    shape, data = tcp4_shape(3000, 1000, linear=3000,
                             gso_type=SKB_GSO.TCPV4 | SKB_GSO.TCP_FIXEDID)
    s, _ = build(model, shape)
    segs = model.gso_segment(s, 0)  # no SG: everything copied
    check_tcp_segments(segs, data, 1000, "FPAC", 0xFFFFF000, 0x1234, fixed_id=True)
    free_all(*segs, s)


def test_tcp4_fixed_id_without_df_is_eprotonosupport():
    shape, _ = tcp4_shape(3000, 1000, linear=3000, df=False,
                          gso_type=SKB_GSO.TCPV4 | SKB_GSO.TCP_FIXEDID)
    s, _ = build(model, shape)
    with pytest.raises(SkbSegmentError) as e:
        model.gso_segment(s, NETIF_F.SG)
    assert e.value.errno == errno.EPROTONOSUPPORT
    assert s.data_offset == s.mac_header == 64
    s.kfree()


def test_tcp4_checksum_offload_leaves_the_pseudo_header():
    """With HW_CSUM the segments stay CHECKSUM_PARTIAL: th->check holds the
    folded pseudo-header sum with the segment's own length."""
    shape, data = tcp4_shape(2500, 1000, linear=500, frags=(2000,))
    s, _ = build(model, shape)
    segs = model.gso_segment(s, NETIF_F.SG | NETIF_F.HW_CSUM)
    for seg in segs:
        raw = seg.to_bytes()
        tcp_len = len(raw) - 34
        pseudo = model.csum_tcpudp_magic(raw[26:30], raw[30:34], tcp_len, 6, 0)
        assert struct.unpack_from("<H", raw, 50)[0] == ~pseudo & 0xFFFF
        assert seg.ip_summed == CHECKSUM_PARTIAL
        assert (seg.csum_start, seg.csum_offset) == (seg.data_offset + 34, 16)
        # gso_reset_checksum: SKB_GSO_CB csum = ~check, csum_start = csum_start
        cb = model_gso.gso_cb(seg)
        assert (cb.csum, cb.csum_start) == ((~(~pseudo & 0xFFFF)) & 0xFFFFFFFF, seg.csum_start)
    assert b"".join(bytes(Ether(x.to_bytes())[TCP].payload) for x in segs) == data
    free_all(*segs, s)


def test_tcp4_device_that_can_segment_gets_none():
    shape, _ = tcp4_shape(5000, 1448, linear=5000)
    s, _ = build(model, shape)
    before = s.to_bytes()
    assert model.gso_segment(s, NETIF_F.SG | NETIF_F.HW_CSUM | NETIF_F.TSO) is None
    assert s.gso_segs == 4  # recomputed: ceil(5000 / 1448)
    assert (s.data_offset, s.network_header, s.transport_header) == (64, 78, 98)
    assert s.ip_summed == CHECKSUM_PARTIAL
    assert s.to_bytes()[:50] == before[:50] and s.to_bytes()[52:] == before[52:]
    s.kfree()


def tcp6_shape(n: int, mss: int, *, linear: int = 0, frags=()) -> tuple[Shape, bytes]:
    data = payload_bytes(n, seed=3)
    pkt = (Ether(**MAC) / IPv6(src="2001:db8::1", dst="2001:db8::2")
           / TCP(sport=40000, dport=443, seq=5, flags="PA", options=TCP_OPTIONS[:3]))
    headers = bytes(pkt)
    lin, fr = split(data, linear, list(frags) or ([n - linear] if n > linear else []))
    return Shape(headers=headers, linear=lin, frags=fr, one_page=False, protocol=0x86DD,
                 network=14, transport=54, gso_size=mss, gso_type=int(SKB_GSO.TCPV6)), data


def test_tcp6_super_packet_segments_pass_scapy():
    shape, data = tcp6_shape(4000, 1200, linear=1000, frags=(1500, 1500))
    s, _ = build(model, shape)
    segs = model.gso_segment(s, NETIF_F.SG)
    got = b""
    for k, seg in enumerate(segs):
        raw = seg.to_bytes()
        p = Ether(raw)
        fresh = Ether(raw)
        del fresh[TCP].chksum
        assert p[TCP].chksum == Ether(bytes(fresh))[TCP].chksum
        assert p[IPv6].plen == len(raw) - 54
        assert p[TCP].seq == 5 + len(got)
        assert set(str(p[TCP].flags)) == ({"P", "A"} if k == len(segs) - 1 else {"A"})
        got += bytes(p[TCP].payload)
    hlen = len(shape.headers)
    assert got == data and [len(x.to_bytes()) - hlen for x in segs] == [1200, 1200, 1200, 400]
    free_all(*segs, s)


def udp_shape(n: int, mss: int, *, v6: bool = False, gso_type=SKB_GSO.UDP_L4,
              linear: int = 0, frags=(), ip_summed=CHECKSUM_NONE) -> tuple[Shape, bytes]:
    data = payload_bytes(n, seed=11)
    ip = IPv6(src="2001:db8::1", dst="2001:db8::2") if v6 else IP(src="10.0.0.1",
                                                                 dst="10.0.0.2", id=9)
    headers = bytes(Ether(**MAC) / ip / UDP(sport=5000, dport=6000) / data)[:-n or None]
    th = 54 if v6 else 34
    lin, fr = split(data, linear, list(frags) or ([n - linear] if n > linear else []))
    if gso_type & SKB_GSO.UDP_L4:
        # The check field carries the pseudo-header sum (as udp_send_skb
        # leaves it), whatever ip_summed says.
        hdr = bytearray(headers)
        if v6:
            pseudo = model_gso.csum_ipv6_magic(hdr[22:38], hdr[38:54], 8 + n, 17, 0)
        else:
            pseudo = model.csum_tcpudp_magic(hdr[26:30], hdr[30:34], 8 + n, 17, 0)
        struct.pack_into("<H", hdr, th + 6, ~pseudo & 0xFFFF)
        headers = bytes(hdr)
    shape = Shape(headers=headers, linear=lin, frags=fr, one_page=False,
                  protocol=0x86DD if v6 else 0x0800, network=14, transport=th,
                  gso_size=mss, gso_type=int(gso_type), ip_summed=ip_summed,
                  csum_start=th)  # __udp_gso_segment wants it at the UDP header
    return shape, data


def udp_l4_input(mod, shape):
    return build(mod, shape)


@pytest.mark.parametrize("v6", [False, True])
def test_udp_l4_datagrams_pass_scapy(v6):
    shape, data = udp_shape(3500, 1200, v6=v6, linear=300, frags=(1700, 1500))
    s, _ = udp_l4_input(model, shape)
    segs = model.gso_segment(s, NETIF_F.SG)
    got = b""
    for k, seg in enumerate(segs):
        raw = seg.to_bytes()
        p = Ether(raw)
        udp = p[UDP]
        fresh = Ether(raw)
        del fresh[UDP].chksum
        assert udp.chksum == Ether(bytes(fresh))[UDP].chksum != 0
        assert udp.len == 8 + (1200 if k < 2 else 1100)
        if not v6:
            assert model.ip_fast_csum(raw[14:34]) == 0 and p[IP].id == 9 + k
        got += bytes(udp.payload)
    assert got == data
    assert s.ip_summed == CHECKSUM_UNNECESSARY  # NONE becomes UNNECESSARY
    free_all(*segs, s)


def test_udp4_ufo_makes_ip_fragments():
    """Legacy UFO: the UDP checksum over the whole datagram, then IP
    fragments (frag_off in 8-byte units, MF on all but the last)."""
    shape, data = udp_shape(3000, 1480, gso_type=SKB_GSO.UDP, linear=3000)
    s, _ = build(model, shape)
    segs = model.gso_segment(s, NETIF_F.SG)
    whole = b"".join(x.to_bytes()[34:] for x in segs)
    assert [len(x.to_bytes()) - 34 for x in segs] == [1480, 1480, 48]
    for k, seg in enumerate(segs):
        ip = Ether(seg.to_bytes())[IP]
        assert (ip.frag, str(ip.flags)) == (k * 185, "MF" if k < 2 else "")
        assert model.ip_fast_csum(seg.to_bytes()[14:34]) == 0
    udp = UDP(whole)
    fresh = IP(src="10.0.0.1", dst="10.0.0.2") / UDP(whole[:8] + whole[8:])
    del fresh[UDP].chksum
    assert udp.chksum == UDP(bytes(fresh)[20:]).chksum  # the whole datagram's checksum
    assert whole[8:] == data
    free_all(*segs, s)


F = NETIF_F
FEATURE_SETS = [
    0, F.SG, F.HW_CSUM, F.SG | F.HW_CSUM, F.SG | F.IP_CSUM, F.SG | F.IPV6_CSUM, F.IP_CSUM,
    F.SG | F.HW_CSUM | F.TSO, F.SG | F.HW_CSUM | F.GSO_PARTIAL, F.SG | F.HW_CSUM | F.TSO6,
    F.SG | F.HW_CSUM | F.GSO_UDP_L4, F.SG | F.HW_CSUM | F.TSO | F.FRAGLIST,
]


@pytest.mark.parametrize("features", FEATURE_SETS, ids=str)
@pytest.mark.parametrize("ip_summed", [CHECKSUM_NONE, CHECKSUM_PARTIAL])
@pytest.mark.parametrize("layout", ["linear", "paged", "mixed"])
def test_tcp4_twin_equals_engine(features, ip_summed, layout):
    linear, frags = {"linear": (4500, ()), "paged": (0, (1000, 1200, 2300)),
                     "mixed": (1500, (3000,))}[layout]
    shape, _ = tcp4_shape(4500, 1448, linear=linear, frags=frags, ip_summed=ip_summed)
    if ip_summed == CHECKSUM_PARTIAL:
        hdr = bytearray(shape.headers)
        pseudo = model.csum_tcpudp_magic(hdr[26:30], hdr[30:34], len(hdr) - 34 + 4500, 6, 0)
        struct.pack_into("<H", hdr, 50, ~pseudo & 0xFFFF)
        shape.headers = bytes(hdr)
    assert_same(shape, int(features))


@pytest.mark.parametrize("features", FEATURE_SETS, ids=str)
def test_tcp6_twin_equals_engine(features):
    shape, _ = tcp6_shape(4000, 1200, linear=1000, frags=(1500, 1500))
    assert_same(shape, int(features))


EXTHDRS = {
    "hop": lambda: [scapy_all.IPv6ExtHdrHopByHop()],
    "routing": lambda: [scapy_all.IPv6ExtHdrRouting(addresses=["2001:db8::9"], segleft=0)],
    "dest": lambda: [scapy_all.IPv6ExtHdrDestOpt(options=[scapy_all.PadN(optdata=bytes(10))])],
    "all_three": lambda: [f()[0] for f in (EXTHDRS["hop"], EXTHDRS["routing"],
                                           EXTHDRS["dest"])],
}


def tcp6_ext_shape(exthdrs: list, n: int = 4000, mss: int = 1200, linear: int = 1000,
                   frags=(1500, 1500)) -> tuple[Shape, bytes]:
    """tcp6_shape with IPv6 extension headers between IPv6 and TCP."""
    data = payload_bytes(n, seed=5)
    pkt = Ether(**MAC) / IPv6(src="2001:db8::1", dst="2001:db8::2")
    for h in exthdrs:
        pkt = pkt / h
    headers = bytes(pkt / TCP(sport=40000, dport=443, seq=5, flags="PA"))
    lin, fr = split(data, linear, list(frags))
    return Shape(headers=headers, linear=lin, frags=fr, one_page=False, protocol=0x86DD,
                 network=14, transport=len(headers) - 20, gso_size=mss,
                 gso_type=int(SKB_GSO.TCPV6)), data


def test_ipv6_extension_headers_go_into_every_segment():
    """ipv6_gso_pull_exthdrs steps over hop-by-hop, routing and destination
    options headers: every segment carries them, the payload length counts
    them, the TCP checksum is over TCP alone."""
    shape, data = tcp6_ext_shape(EXTHDRS["all_three"]())
    s, _ = build(model, shape)
    segs = model.gso_segment(s, NETIF_F.SG)
    got = b""
    hlen = len(shape.headers)
    for seg in segs:
        raw = seg.to_bytes()
        # everything up to TCP, but the IPv6 payload length
        assert raw[:18] + raw[20:hlen - 20] == shape.headers[:18] + shape.headers[20:hlen - 20]
        p = Ether(raw)
        assert p[IPv6].plen == len(raw) - 54
        fresh = Ether(raw)
        del fresh[TCP].chksum
        assert p[TCP].chksum == Ether(bytes(fresh))[TCP].chksum
        assert seg.transport_header == seg.data_offset + hlen - 20
        got += bytes(p[TCP].payload)
    assert got == data and len(segs) == 4
    free_all(*segs, s)


@pytest.mark.parametrize("features", [F.SG, F.SG | F.HW_CSUM, 0], ids=str)
@pytest.mark.parametrize("exthdrs", list(EXTHDRS))
def test_ipv6_extension_headers_twin_equal_engine(exthdrs, features):
    shape, _ = tcp6_ext_shape(EXTHDRS[exthdrs]())
    assert_same(shape, int(features))


def test_ipv6_extension_headers_in_frags_are_pulled():
    """Only the Ethernet and IPv6 headers linear: each extension header is
    made linear (pskb_may_pull) before it is read."""
    shape, _ = tcp6_ext_shape(EXTHDRS["all_three"](), linear=0, frags=(4000,))
    whole = shape.headers + b"".join(shape.frags)
    shape.headers, shape.frags = whole[:54], [whole[54:]]
    shape.extra = 200
    segs, after, _ = assert_same(shape, int(F.SG))
    assert len(segs) == 4 and after["headlen"] == 54 + 48 + 20


def ipv6_exthdr_cut_short() -> Shape:
    """A hop-by-hop header claiming more bytes than the packet has: the
    walk stops at it, and there is no GSO handler for it."""
    shape, _ = tcp6_ext_shape(EXTHDRS["hop"](), n=100, mss=50, linear=100, frags=())
    hdr = bytearray(shape.headers)
    hdr[55] = 200
    shape.headers = bytes(hdr)
    return shape


def test_ipv6_without_a_handler_keeps_the_transport_header():
    """ipv6_gso_segment sets the transport header only when the protocol
    after the extension headers has a GSO handler: without one the input
    keeps its own (here the TCP header's place)."""
    s, _ = build(model, ipv6_exthdr_cut_short())
    with pytest.raises(SkbSegmentError) as e:
        model.gso_segment(s, NETIF_F.SG)
    assert e.value.errno == errno.EPROTONOSUPPORT
    assert s.transport_header == s.data_offset + 14 + 40 + 8
    s.kfree()


def test_ipv6_without_a_handler_engine_agrees():
    assert_same(ipv6_exthdr_cut_short(), int(F.SG))


@pytest.mark.parametrize("features", FEATURE_SETS, ids=str)
@pytest.mark.parametrize("v6", [False, True])
@pytest.mark.parametrize("ip_summed", [CHECKSUM_NONE, CHECKSUM_PARTIAL])
def test_udp_l4_twin_equals_engine(features, v6, ip_summed):
    shape, _ = udp_shape(3500, 1200, v6=v6, linear=300, frags=(1700, 1500),
                         ip_summed=ip_summed)
    assert_same(shape, int(features))


@pytest.mark.parametrize("features", FEATURE_SETS, ids=str)
def test_udp4_ufo_twin_equals_engine(features):
    shape, _ = udp_shape(3000, 1480, gso_type=SKB_GSO.UDP, linear=1000, frags=(2000,))
    assert_same(shape, int(features))


@pytest.mark.parametrize("features", [F.SG | F.HW_CSUM, F.SG, F.HW_CSUM, 0], ids=str)
@pytest.mark.parametrize("sizes", [(1448, 1448, 1448), (1448, 700, 2000), (3000, 10)])
def test_tcp4_frag_list_members_twin_equal_engine(features, sizes):
    """Members with linear data: segments starting at a member are clones
    of it (when the member fits the segment)."""
    data = payload_bytes(1448 + sum(sizes))
    shape, _ = tcp4_shape(1448, 1448, linear=1448)
    pos = 1448
    for n in sizes:
        shape.members.append(Member(linear=data[pos:pos + n]))
        pos += n
    assert_same(shape, int(features))


@pytest.mark.parametrize("features", [F.SG | F.HW_CSUM | F.TSO, F.SG | F.HW_CSUM, F.SG],
                         ids=str)
def test_tcp4_paged_frag_list_members_twin_equal_engine(features):
    """Members with frags only: the frag walk moves on into them."""
    shape, _ = tcp4_shape(1448, 1448, linear=0, frags=(1448,))
    for k in range(3):
        shape.members.append(Member(frags=[payload_bytes(1448, seed=k)]))
    assert_same(shape, int(features))


def vlan_tcp4_shape() -> Shape:
    data = payload_bytes(3000)
    pkt = (Ether(**MAC) / Dot1Q(vlan=5) / IP(src="10.0.0.1", dst="10.0.0.2", id=1)
           / TCP(sport=1, dport=2, seq=1000, flags="PA"))
    return Shape(headers=bytes(pkt), linear=data[:1000], frags=[data[1000:]],
                 protocol=0x8100, network=18, transport=38, gso_size=1000,
                 gso_type=int(SKB_GSO.TCPV4))


def test_vlan_tagged_tcp4_twin_equals_engine():
    shape = vlan_tcp4_shape()
    segs, _, _ = assert_same(shape, int(F.SG))
    assert [x["len"] - len(shape.headers) for x in segs] == [1000, 1000, 1000]


def test_shared_head_is_copied_before_the_fix_ups():
    """skb_gso_segment does skb_cow_head(0) first when it will write the
    check field: a clone's view of the headers stays as it was."""
    shape, _ = tcp4_shape(3000, 1000, linear=3000)
    shape.clone_first = True
    assert_same(shape, int(F.SG))


def test_tunnel_header_bytes_are_copied_too():
    """skb_segment copies tnl_hlen bytes in front of the mac header
    (mac_header - SKB_GSO_CB offset) into every segment."""
    shape, _ = tcp4_shape(3000, 1000, linear=3000)
    shape.pull = True
    shape.headroom = 64
    shape.cb = bytes(32) + struct.pack("<i", 64 - 8)  # 8 tunnel header bytes
    shape.transport = 34
    segs, _, _ = assert_same(shape, int(F.SG | F.HW_CSUM), gso=False)
    assert all(x["headroom"] == 64 for x in segs)


@pytest.mark.parametrize("case", [
    "no_tcpv4_type", "icmp", "fits_one_segment", "short_ihl", "ipv6_ufo",
    "ipv6_no_handler", "unknown_ethertype", "no_udp_type", "csum_start_elsewhere",
])
def test_gso_refusals_twin_equal_engine(case):
    if case == "ipv6_ufo":
        shape, _ = udp_shape(3000, 1000, v6=True, gso_type=SKB_GSO.UDP, linear=3000)
    elif case == "ipv6_no_handler":  # ICMPv6 after a destination options header
        shape, _ = tcp6_ext_shape(EXTHDRS["dest"]())
        hdr = bytearray(shape.headers)
        hdr[54] = 58
        shape.headers = bytes(hdr)
    elif case == "no_udp_type":
        shape, _ = udp_shape(3000, 1000, linear=3000, gso_type=0)
    else:
        shape, _ = tcp4_shape(3000, 1000, linear=3000)
    if case == "no_tcpv4_type":
        shape.gso_type = int(SKB_GSO.TCPV6)
    elif case == "icmp":
        hdr = bytearray(shape.headers)
        hdr[14 + 9] = 1
        shape.headers = bytes(hdr)
    elif case == "fits_one_segment":
        shape.gso_size = 3000
    elif case == "short_ihl":
        hdr = bytearray(shape.headers)
        hdr[14] = 0x44
        shape.headers = bytes(hdr)
    elif case == "unknown_ethertype":
        shape.protocol = 0x88CC
    elif case == "csum_start_elsewhere":
        shape.ip_summed = CHECKSUM_PARTIAL
        shape.csum_start = 14
    twin = outcome(model, shape, int(F.SG), True)
    assert twin[0][0] == "SkbSegmentError"
    assert_same(shape, int(F.SG))


def headers_only(n: int = 3000, mss: int = 1000) -> Shape:
    return Shape(headers=HDR, linear=payload_bytes(n), protocol=ETH_P_ATALK,
                 network=len(HDR), transport=len(HDR), pull=True, gso_size=mss)


@pytest.mark.parametrize("case, error", [
    ("gso_size_0", ("SkbSegmentError", errno.EINVAL)),
    ("mac_unset", ("SkbSegmentError", errno.EINVAL)),
    ("mac_after_data", ("SkbSegmentError", errno.EINVAL)),
    ("tunnel_header_negative", ("SkbSegmentError", errno.EINVAL)),
    ("tunnel_header_past_head", ("SkbSegmentError", errno.EINVAL)),
    ("protocol_0", ("SkbSegmentError", errno.EINVAL)),
    ("vlan_without_tag", ("SkbSegmentError", errno.EINVAL)),
    ("too_many_frags", ("SkbSegmentError", errno.EINVAL)),
    ("gso_by_frags_runs_out", ("SkbBug", None)),
    ("member_longer_than_segment", ("SkbBug", None)),
    ("member_too_short", ("SkbBug", None)),
    ("frag_walk_reaches_linear_member", ("SkbBug", None)),
])
def test_skb_segment_refusals_twin_equal_engine(case, error):
    shape = headers_only()
    if case == "gso_size_0":
        shape.gso_size = 0
    elif case == "mac_after_data":
        shape.mac = 20
        shape.pull = False
    elif case == "tunnel_header_negative":
        shape.cb = bytes(32) + struct.pack("<i", 100)
    elif case == "tunnel_header_past_head":
        shape.cb = bytes(32) + struct.pack("<i", -1)
    elif case == "protocol_0":
        shape.protocol = 0
    elif case == "vlan_without_tag":  # too short for the tag skb_segment looks for
        shape = headers_only(n=5)
        shape.protocol = 0x8100
    elif case == "too_many_frags":
        shape = Shape(headers=HDR, frags=[payload_bytes(100)] * 17,
                      members=[Member(frags=[payload_bytes(100)])], protocol=ETH_P_ATALK,
                      network=9, transport=9, pull=True, gso_size=1800)
    elif case == "gso_by_frags_runs_out":
        shape = Shape(headers=HDR, linear=payload_bytes(50),
                      members=[Member(linear=payload_bytes(100))], protocol=ETH_P_ATALK,
                      network=9, transport=9, pull=True, gso_size=GSO_BY_FRAGS)
    elif case == "member_longer_than_segment":
        shape = Shape(headers=HDR, members=[Member(linear=payload_bytes(1500))],
                      protocol=ETH_P_ATALK, network=9, transport=9, pull=True, gso_size=1000)
    elif case == "member_too_short":  # the KUnit non-uniform case with SG
        shape, _ = kunit_shape("frag_list_non_uniform")
    elif case == "frag_walk_reaches_linear_member":
        shape = Shape(headers=HDR, frags=[payload_bytes(500)],
                      members=[Member(linear=payload_bytes(1000))], protocol=ETH_P_ATALK,
                      network=9, transport=9, pull=True, gso_size=1000)
    features = int(F.SG | F.HW_CSUM)
    if case == "mac_unset":
        for mod in (model, skb):
            s = mod.alloc_skb(10)  # a fresh skb: mac header unset
            s.put_data(b"x" * 10)
            s.gso_size = 5
            with pytest.raises(SkbSegmentError) as e:
                s.segment(features)
            # refused before anything moved
            assert e.value.errno == errno.EINVAL and (s.data_offset, s.len) == (0, 10)
            s.kfree()
        return
    twin = outcome(model, shape, features, False)
    assert twin[0] == error
    assert_same(shape, features, gso=False)


# ----------------------------------------------------------------------
# GSO_PARTIAL


def test_gso_partial_counts_mss_in_the_payload_alone():
    """skb_segment takes ``len = head_skb->len`` before pushing the headers
    back, so partial_segs = payload / mss: 1995 // 1000 = 1, no GSO_PARTIAL
    output, two plain segments (payload + headers would give 2004 // 1000 =
    2 and one GSO skb)."""
    shape = headers_only(n=1995, mss=1000)
    segs, _, _ = outcome(model, shape, int(F.SG | F.HW_CSUM | F.GSO_PARTIAL), False)
    assert [(x["len"], x["gso_size"], x["gso_segs"]) for x in segs] == [(1009, 0, 0),
                                                                        (1004, 0, 0)]


def test_gso_partial_engine_agrees():
    assert_same(headers_only(n=1995, mss=1000), int(F.SG | F.HW_CSUM | F.GSO_PARTIAL),
                gso=False)


@pytest.mark.parametrize("mod", [skb, model], ids=["engine", "twin"])
def test_gso_partial_keeps_gso_type_bits_without_a_name(mod):
    """skb_segment ORs in PARTIAL and clears DODGY in plain unsigned
    arithmetic: bits no SKB_GSO flag names survive (an IntFlag's ~ would
    clear them - the twin once did)."""
    s = mod.alloc_skb(256)
    s.put_zero(196)
    s.reset_mac_header()
    s.protocol = ETH_P_ATALK
    s.gso_size = 1
    s.gso_type = 0xFFFFFFFF
    segs = s.segment(int(F.SG | F.HW_CSUM | F.GSO_PARTIAL))
    try:
        assert [(x.len, x.gso_size, x.gso_segs, x.gso_type) for x in segs] == [
            (196, 1, 196, 0xFFFFFFFF & ~int(SKB_GSO.DODGY))]
        assert s.gso_type == 0xFFFFFFFF
    finally:
        for x in segs:
            x.kfree()
        s.kfree()


def frag_list_train() -> Shape:
    """A GRO'd train: head payload and three members of 2 MSS each, all in
    frags (members without linear data)."""
    shape, _ = tcp4_shape(2896, 1448, linear=0, frags=(2896,))
    for k in range(3):
        shape.members.append(Member(frags=[payload_bytes(2896, seed=k)]))
    return shape


def test_frag_list_split_into_gso_skbs_of_whole_members():
    """With every feature but frag_list, equal members split into GSO skbs
    of 2 MSS each: the head's own payload (2896) equals a member's length."""
    segs, _, _ = outcome(model, frag_list_train(), int(F.SG | F.HW_CSUM | F.TSO), True)
    assert [(x["len"], x["gso_size"], x["gso_segs"], x["gso_type"]) for x in segs] == \
        [(74 + 2896, 1448, 2, int(SKB_GSO.TCPV4))] * 4
    seqs = [Ether(x["bytes"])[TCP].seq for x in segs]
    assert [(q - seqs[0]) % (1 << 32) for q in seqs] == [0, 2896, 5792, 8688]  # mss *= gso_segs
    ids = [Ether(x["bytes"])[IP].id for x in segs]
    assert [i - ids[0] for i in ids] == [0, 2, 4, 6]  # id += gso_segs


def test_frag_list_split_engine_agrees():
    assert_same(frag_list_train(), int(F.SG | F.HW_CSUM | F.TSO))


# ----------------------------------------------------------------------
# random shapes through both


def _templates() -> dict:
    """Header templates (scapy-built once): name -> (headers, protocol,
    network, transport, gso_type, is_tcp)."""
    eth = Ether(**MAC)
    v4 = IP(src="10.1.2.3", dst="10.3.2.1", id=0xFFFE, flags="DF")
    v6 = IPv6(src="2001:db8::10", dst="2001:db8::20")
    t = {}
    for name, opts in (("", []), ("opts", TCP_OPTIONS)):
        tcp = TCP(sport=1, dport=2, seq=0xFFFFFF00, flags="FPAC", options=opts)
        t["tcp4" + name] = (bytes(eth / v4 / tcp), 0x0800, 14, 34, SKB_GSO.TCPV4, True)
        t["tcp6" + name] = (bytes(eth / v6 / tcp), 0x86DD, 14, 54, SKB_GSO.TCPV6, True)
    t["tcp4vlan"] = (bytes(eth / Dot1Q(vlan=7) / v4 / TCP(flags="PA")), 0x8100, 18, 38,
                     SKB_GSO.TCPV4, True)
    exthdrs = scapy_all.IPv6ExtHdrHopByHop() / scapy_all.IPv6ExtHdrDestOpt()
    t["tcp6ext"] = (bytes(eth / v6 / exthdrs / TCP(flags="PA")), 0x86DD, 14, 70,
                    SKB_GSO.TCPV6, True)
    t["udp4"] = (bytes(eth / v4 / UDP(sport=3, dport=4)), 0x0800, 14, 34, SKB_GSO.UDP_L4,
                 False)
    t["udp6"] = (bytes(eth / v6 / UDP(sport=3, dport=4)), 0x86DD, 14, 54, SKB_GSO.UDP_L4,
                 False)
    t["ufo4"] = (bytes(eth / IP(src="10.1.2.3", dst="10.3.2.1") / UDP(sport=3, dport=4)),
                 0x0800, 14, 34, SKB_GSO.UDP, False)
    return t


TEMPLATES = _templates()
RANDOM_EXAMPLES = int(os.environ.get("SKB_GSO_EXAMPLES", "300"))  # more for a deep run
RANDOM_SETTINGS = settings(max_examples=RANDOM_EXAMPLES, deadline=None,
                           suppress_health_check=[HealthCheck.too_slow])
FEATURE_BITS = [F.SG, F.HW_CSUM, F.IP_CSUM, F.IPV6_CSUM, F.TSO, F.TSO6, F.GSO_UDP_L4,
                F.GSO_PARTIAL, F.FRAGLIST, F.GSO_ROBUST, F.TSO_ECN]
UNNAMED_FEATURE_BITS = ~sum(F) & (2**64 - 1)
UNNAMED_GSO_BITS = ~sum(SKB_GSO) & (2**32 - 1)


@st.composite
def shapes(draw):
    name = draw(st.sampled_from(sorted(TEMPLATES)))
    headers, proto, nh, th, gso_type, is_tcp = TEMPLATES[name]
    if draw(st.integers(0, 7)) == 0:
        gso_type |= UNNAMED_GSO_BITS  # gso_type is a u32: no bit may be lost
    n = draw(st.integers(1, 5000))
    data = payload_bytes(n, seed=draw(st.integers(0, 255)))
    # cut the payload: linear, frags, members (linear + frags each)
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=8)))
    pieces = [data[a:b] for a, b in zip([0] + cuts, cuts + [n])]
    n_frags = draw(st.integers(0, min(17, len(pieces) - 1)))
    linear, frags, rest = pieces[0], pieces[1:1 + n_frags], pieces[1 + n_frags:]
    members = []
    for piece in filter(None, rest):
        # (an empty member would loop for ever under GSO_BY_FRAGS, in the
        # kernel too: a segment of 0 bytes never moves on)
        k = draw(st.integers(0, len(piece)))
        members.append(Member(linear=piece[:k], frags=[piece[k:]] if k < len(piece) else []))
    frags = [f for f in frags if f] if draw(st.booleans()) else frags
    gso_type = gso_type | draw(st.sampled_from([0, SKB_GSO.DODGY, SKB_GSO.TCP_ECN,
                                                SKB_GSO.TCP_FIXEDID]))
    ip_summed = draw(st.sampled_from([CHECKSUM_NONE, CHECKSUM_PARTIAL, CHECKSUM_UNNECESSARY]))
    hdr = bytearray(headers)
    # the length fields the stack would have written
    if proto == 0x86DD:
        struct.pack_into(">H", hdr, nh + 4, len(hdr) - nh - 40 + n)
    else:
        struct.pack_into(">H", hdr, nh + 2, len(hdr) - nh + n)
    l4_len = len(hdr) - th + n
    if not is_tcp:
        struct.pack_into(">H", hdr, th + 4, l4_len & 0xFFFF)
    if ip_summed == CHECKSUM_PARTIAL or not is_tcp:
        if proto == 0x86DD:
            pseudo = model_gso.csum_ipv6_magic(hdr[nh + 8:nh + 24], hdr[nh + 24:nh + 40],
                                               l4_len, 6 if is_tcp else 17, 0)
        else:
            pseudo = model.csum_tcpudp_magic(hdr[nh + 12:nh + 16], hdr[nh + 16:nh + 20],
                                             l4_len, 6 if is_tcp else 17, 0)
        struct.pack_into("<H", hdr, th + (16 if is_tcp else 6), ~pseudo & 0xFFFF)
    return Shape(
        headers=bytes(hdr), linear=linear, frags=frags, members=members,
        headroom=draw(st.integers(0, 96)), one_page=draw(st.booleans()), protocol=proto,
        network=nh, transport=th, gso_type=int(gso_type),
        gso_size=draw(st.integers(max(1, n // 40), 2000)),  # at most ~40 segments
        ip_summed=ip_summed, csum_start=th, clone_first=draw(st.booleans()),
        extra=draw(st.sampled_from([0, 200])),
    )


@st.composite
def features_(draw, bits=tuple(FEATURE_BITS)):
    value = 0
    for bit in bits:
        if draw(st.booleans()):
            value |= bit
    if draw(st.integers(0, 7)) == 0:
        value |= UNNAMED_FEATURE_BITS  # features are a u64: no bit may be lost
    return int(value)


def assert_same_counted(shape: Shape, features: int, gso: bool) -> None:
    segs = assert_same(shape, features, gso)[0]
    event("segments" if isinstance(segs, list) else repr(segs))


@RANDOM_SETTINGS
@given(shape=shapes(), features=features_())
def test_random_gso_twin_equals_engine(shape, features):
    assert_same_counted(shape, features, gso=True)


@RANDOM_SETTINGS
@given(shape=shapes(), features=features_(), gso_by_frags=st.booleans())
def test_random_skb_segment_twin_equals_engine(shape, features, gso_by_frags):
    shape.pull = True
    if gso_by_frags and shape.members:
        shape.gso_size = GSO_BY_FRAGS
    assert_same_counted(shape, features, gso=False)


def test_udp6_without_a_udp_gso_type_is_einval():
    shape, _ = udp_shape(3000, 1000, v6=True, linear=3000, gso_type=SKB_GSO.TCPV6)
    for mod in (model, skb):
        s, _ = build(mod, shape)
        try:
            with pytest.raises(SkbSegmentError) as e:
                mod.gso_segment(s, F.SG)
            assert e.value.errno == errno.EINVAL, mod.__name__
        finally:
            s.kfree()


# ----------------------------------------------------------------------
# tunnels: VXLAN and GRE around a super-packet, the twin against the engine

OUTER_MACS = dict(src="02:00:00:00:00:aa", dst="02:00:00:00:00:bb")


def vxlan(csum: bool, ipv6: bool = False) -> TunnelTemplate:
    gso = SKB_GSO.UDP_TUNNEL | (SKB_GSO.UDP_TUNNEL_CSUM if csum else 0)
    ip = (IPv6(src="2001:db8::a", dst="2001:db8::b") if ipv6
          else IP(src="192.0.2.1", dst="192.0.2.2", id=0))
    hdr = bytes(Ether(**OUTER_MACS) / ip / UDP(sport=0, dport=4789, chksum=0)
                / scapy_all.VXLAN(vni=42))
    return TunnelTemplate(hdr, 14, 54 if ipv6 else 34, ipv6=ipv6, udp=True, csum=csum,
                          gso_type=int(gso), ip_id=7)


def gre(csum: bool, key: bool = True, ipv6: bool = False,
        inner_protocol: int = 0x6558) -> TunnelTemplate:
    flags = (0x8000 if csum else 0) | (0x2000 if key else 0)
    g = struct.pack("!HH", flags, inner_protocol) + (bytes(4) if csum else b"") + \
        (struct.pack("!I", 0xBEEF) if key else b"")
    ip = (IPv6(src="2001:db8::a", dst="2001:db8::b", nh=47) if ipv6
          else IP(src="192.0.2.1", dst="192.0.2.2", proto=47, id=0))
    gso = SKB_GSO.GRE | (SKB_GSO.GRE_CSUM if csum else 0)
    return TunnelTemplate(bytes(Ether(**OUTER_MACS) / ip) + g, 14, 54 if ipv6 else 34,
                          ipv6=ipv6, gre=True, csum=csum, gso_type=int(gso),
                          inner_protocol=inner_protocol, ip_id=7)


TUNNELS = {
    "vxlan": lambda: vxlan(False), "vxlan_csum": lambda: vxlan(True),
    "vxlan6": lambda: vxlan(False, ipv6=True), "vxlan6_csum": lambda: vxlan(True, ipv6=True),
    "gre": lambda: gre(False, key=False), "gre_csum": lambda: gre(True),
    "gre6_csum": lambda: gre(True, ipv6=True),
}


def encapsulate(inner: Shape, template: TunnelTemplate) -> Shape:
    """inner behind the template's outer headers, exactly as the engine's
    tnl_push leaves it (bytes, header offsets, protocols, gso_type,
    checksum fields): one description, built the same way on the twin and
    on the engine.  The frags and frag_list members stay as they were."""
    hlen = len(template.header)
    s, _ = build(skb, replace(inner, headroom=inner.headroom + hlen))  # no reallocation
    try:
        s.tnl_push(template)
        d = s.data_offset
        return replace(
            inner, headers=s.copy_bits(0, hlen + len(inner.headers)), protocol=s.protocol,
            network=s.network_header - d, transport=s.transport_header - d,
            inner=(s.inner_mac_header - d, s.inner_network_header - d,
                   s.inner_transport_header - d),
            inner_protocol=s.inner_protocol, encapsulation=s.encapsulation,
            gso_type=s.gso_type, ip_summed=s.ip_summed, csum_start=s.csum_start - d,
            csum_offset=s.csum_offset)
    finally:
        s.kfree()


def tso_inner(linear: int = 3345, frags=()) -> Shape:
    """The inner TSO packet as TCP hands it down: Ethernet/IPv4/TCP,
    CHECKSUM_PARTIAL with the pseudo-header sum in th->check."""
    shape, _ = tcp4_shape(3345, 1000, linear=linear, frags=frags, flags="PA", options=(),
                          ip_summed=CHECKSUM_PARTIAL, ip_id=100, seq=5000)
    hdr = bytearray(shape.headers)
    struct.pack_into(">H", hdr, 16, len(hdr) - 14 + 3345)
    pseudo = model.csum_tcpudp_magic(hdr[26:30], hdr[30:34], 20 + 3345, 6, 0)
    struct.pack_into("<H", hdr, 50, ~pseudo & 0xFFFF)
    shape.headers = bytes(hdr)
    return shape


LAYOUTS = {"linear": (3345, ()), "paged": (0, (1500, 1500, 345)), "mixed": (700, (2645,))}
TUNNEL_FEATURES = [F.SG, F.SG | F.HW_CSUM, 0]


@pytest.mark.parametrize("features", TUNNEL_FEATURES, ids=str)
@pytest.mark.parametrize("layout", ["linear", "paged"])
@pytest.mark.parametrize("csum", [False, True], ids=["nocsum", "csum"])
@pytest.mark.parametrize("ipv6", [False, True], ids=["ipv4", "ipv6"])
def test_vxlan_twin_equals_engine(ipv6, csum, layout, features):
    shape = encapsulate(tso_inner(*LAYOUTS[layout]), vxlan(csum, ipv6))
    segs, after, _ = assert_same(shape, int(features))
    assert len(segs) == 4
    assert after["protocol"] == 0x6558 and not after["encapsulation"]  # left on the inner frame


@pytest.mark.parametrize("features", TUNNEL_FEATURES, ids=str)
@pytest.mark.parametrize("layout", ["linear", "mixed"])
@pytest.mark.parametrize("key", [False, True], ids=["nokey", "key"])
@pytest.mark.parametrize("csum", [False, True], ids=["nocsum", "csum"])
@pytest.mark.parametrize("ipv6", [False, True], ids=["ipv4", "ipv6"])
def test_gre_twin_equals_engine(ipv6, csum, key, layout, features):
    shape = encapsulate(tso_inner(*LAYOUTS[layout]), gre(csum, key, ipv6))
    segs, _, _ = assert_same(shape, int(features))
    assert len(segs) == 4


@pytest.mark.parametrize("template", ["vxlan_csum", "vxlan6", "gre_csum"])
def test_each_own_tnl_push_then_gso_twin_equals_engine(template):
    """The whole path on each implementation: its own tnl_push (flow hash,
    source port, lengths, checksum seeds), then gso_segment."""
    segs, _, _ = assert_same(tso_inner(*LAYOUTS["mixed"]), int(F.SG),
                             prepare=lambda s: s.tnl_push(TUNNELS[template]()))
    assert len(segs) == 4


def test_gre_carrying_ipv4_twin_equals_engine():
    """GRE with inner_protocol ETH_P_IP: no inner Ethernet header, the
    inner mac header is the inner network header."""
    inner = tso_inner()
    inner.headers, inner.network, inner.transport = inner.headers[14:], 0, 20
    shape = encapsulate(inner, gre(True, inner_protocol=0x0800))
    assert shape.inner[0] == shape.inner[1]
    segs, _, _ = assert_same(shape, int(F.SG))
    assert len(segs) == 4


def software_checksums_ok(raw: bytes, layer) -> None:
    """scapy recomputes every checksum of the frame: they must not change."""
    fresh = Ether(raw)
    for lay in (IP, TCP, UDP, scapy_all.GRE):
        for found in [fresh.getlayer(lay, nb=k) for k in (1, 2)]:
            if found is not None and getattr(found, "chksum", None) is not None:
                found.chksum = None
    assert bytes(Ether(bytes(fresh))) == raw, f"{layer.__name__}: checksums differ"


@pytest.mark.parametrize("template", ["vxlan_csum", "vxlan6_csum", "gre_csum"])
def test_tunnel_segments_pass_scapy(template):
    """Without checksum offload every checksum (outer UDP or GRE, inner
    IPv4 and TCP) is filled in software; the inner TCP stream is whole."""
    layer = scapy_all.VXLAN if template.startswith("vxlan") else scapy_all.GRE
    shape = encapsulate(tso_inner(*LAYOUTS["mixed"]), TUNNELS[template]())
    s, _ = build(model, shape)
    segs = model.gso_segment(s, NETIF_F.SG)
    got = b""
    for k, seg in enumerate(segs):
        raw = seg.to_bytes()
        software_checksums_ok(raw, layer)
        inner = Ether(raw)[layer].payload
        assert (inner[IP].id, inner[TCP].seq) == (100 + k, 5000 + len(got))
        if template != "vxlan6_csum":
            assert Ether(raw)[IP].id == 7 + k
        got += bytes(inner[TCP].payload)
        assert seg.ip_summed == CHECKSUM_NONE and not seg.encapsulation
    assert got == payload_bytes(3345)
    free_all(*segs, s)


def test_outer_checksum_offloaded_when_the_inner_one_is_done():
    """SG|IP_CSUM, IPv6 inside IPv4: the device can checksum the outer UDP
    but not the inner TCP.  The inner checksum is done in software, the
    outer one left CHECKSUM_PARTIAL at the UDP header."""
    inner, _ = tcp6_shape(4000, 1200, linear=1000, frags=(1500, 1500))
    shape = encapsulate(inner, vxlan(True))
    s, _ = build(model, shape)
    segs = model.gso_segment(s, NETIF_F.SG | NETIF_F.IP_CSUM)
    for seg in segs:
        assert (seg.ip_summed, seg.csum_start, seg.csum_offset, seg.encapsulation) == \
            (CHECKSUM_PARTIAL, seg.data_offset + 34, 6, 0)
    free_all(*segs, s)
    assert_same(shape, int(F.SG | F.IP_CSUM))


@pytest.mark.parametrize("features", [F.SG, F.SG | F.HW_CSUM], ids=str)
@pytest.mark.parametrize("inner", ["tcp6", "vlan", "udp_l4", "ufo", "frag_list"])
@pytest.mark.parametrize("template", ["vxlan", "vxlan_csum", "gre_csum"])
def test_other_inner_packets_twin_equal_engine(template, inner, features):
    if inner == "tcp6":
        shape, _ = tcp6_shape(4000, 1200, linear=1000, frags=(1500, 1500))
    elif inner == "vlan":
        shape = vlan_tcp4_shape()
    elif inner == "udp_l4":
        shape, _ = udp_shape(3500, 1200, linear=300, frags=(1700, 1500),
                             ip_summed=CHECKSUM_PARTIAL)
    elif inner == "ufo":
        # encap_hdr_csum: with an outer checksum to fill, UFO leaves the
        # payload sums to it instead of claiming a checksum feature
        shape, _ = udp_shape(3000, 1480, gso_type=SKB_GSO.UDP, linear=1000, frags=(2000,))
    else:
        shape, _ = tcp4_shape(1448, 1448, linear=1448)
        shape.members = [Member(linear=payload_bytes(1448, seed=k)) for k in range(2)]
    assert_same(encapsulate(shape, TUNNELS[template]()), int(features))


@pytest.mark.parametrize("template", ["vxlan_csum", "vxlan6_csum", "gre_csum"])
def test_gso_partial_through_a_tunnel_twin_equals_engine(template):
    """Legacy UFO inside the tunnel (it asks no skb_gso_ok of the device)
    with GSO_PARTIAL: the first output stays a GSO skb of two MSS, its
    outer UDP length one MSS worth, its GRE checksum pre-seeded for the
    difference.  Without a checksum feature UFO cannot claim one (the outer
    checksum needs the payload sums): plain segments."""
    tunnel = TUNNELS[template]()
    inner, _ = udp_shape(3000, 1480, gso_type=SKB_GSO.UDP, linear=1000, frags=(2000,))
    shape = encapsulate(inner, tunnel)
    tunnel_bits = (F.GSO_GRE | F.GSO_GRE_CSUM if template.startswith("gre")
                   else F.GSO_UDP_TUNNEL | F.GSO_UDP_TUNNEL_CSUM)
    features = F.SG | F.GSO_PARTIAL | F.GSO_UDP | tunnel_bits
    segs, _, _ = assert_same(shape, int(features | F.HW_CSUM))
    assert [(x["gso_size"], x["gso_segs"]) for x in segs] == [(1480, 2), (0, 2)]
    if template == "vxlan_csum":
        # outer UDP, VXLAN, inner Ethernet and IPv4, then one MSS
        assert Ether(segs[0]["bytes"])[UDP].len == 8 + 8 + 14 + 20 + 1480
    segs, _, _ = assert_same(shape, int(features))
    assert [x["gso_size"] for x in segs] == [0, 0, 0]


def test_partial_input_takes_the_old_length_from_the_udp_header():
    """A packet already marked GSO_PARTIAL carries one MSS worth in uh->len,
    and the pseudo-header sum of that length in the check field: that is
    the length taken out before each segment's goes in (otherwise the
    real one, which may not fit 16 bits)."""
    shape = encapsulate(tso_inner(), vxlan(True))
    hdr = bytearray(shape.headers)
    struct.pack_into(">H", hdr, 34 + 4, 1000)
    pseudo = model.csum_tcpudp_magic(hdr[26:30], hdr[30:34], 1000, 17, 0)
    struct.pack_into("<H", hdr, 34 + 6, ~pseudo & 0xFFFF)
    shape.headers = bytes(hdr)
    shape.gso_type |= int(SKB_GSO.PARTIAL)
    segs, _, _ = assert_same(shape, int(F.SG))
    for x in segs:
        software_checksums_ok(x["bytes"], scapy_all.VXLAN)


def test_udp6_tunnel_check_comes_first():
    """udp6_ufo_fragment hands an encapsulated UDP_TUNNEL skb to the tunnel
    code before it looks at UDP_L4: the UDP_L4 type is the inner
    datagram's, every segment a VXLAN frame around one datagram."""
    inner, _ = udp_shape(3500, 1200, linear=300, frags=(1700, 1500),
                         ip_summed=CHECKSUM_PARTIAL)
    shape = encapsulate(inner, vxlan(False, ipv6=True))
    assert shape.gso_type == int(SKB_GSO.UDP_L4 | SKB_GSO.UDP_TUNNEL)
    segs, _, _ = assert_same(shape, int(F.SG))
    for x in segs:
        p = Ether(x["bytes"])
        assert p[UDP].len == len(x["bytes"]) - 54 and p[UDP].dport == 4789
        assert len(p[scapy_all.VXLAN][UDP].payload) in (1200, 1100)


def test_inner_headers_in_frags_are_pulled():
    """Only the outer headers linear: the tunnel handler pulls its own
    header up to the inner mac header, skb_network_protocol the inner
    Ethernet header (ETH_P_TEB), the inner handlers theirs."""
    shape = encapsulate(tso_inner(), vxlan(True))
    whole = shape.headers + shape.linear
    shape.headers, shape.linear, shape.frags = whole[:42], b"", [whole[42:]]
    shape.extra = 200
    segs, after, _ = assert_same(shape, int(F.SG))
    # all pulled; the input is left at the inner mac header (skb_mac_gso_segment
    # pushes back to the mac header, the inner one once the tunnel succeeded)
    assert len(segs) == 4
    assert (after["data_offset"], after["headlen"]) == (64 + 50, 14 + 20 + 20)


@pytest.mark.parametrize("case, error", [
    ("inner_type_missing", errno.EINVAL),
    ("gre_inner_type_missing", errno.EINVAL),
    ("inner_bug", None),
    ("remcsum", errno.EPROTONOSUPPORT),
    ("gre_not_encapsulated", errno.EINVAL),
    ("tunnel_header_too_short", errno.EINVAL),
    ("inner_ethertype_unknown", errno.EPROTONOSUPPORT),
])
def test_tunnel_refusals_twin_equal_engine(case, error):
    """Refused before the inner packet is entered, or by the inner
    segmentation: then skb_gso_error_unwind puts the outer packet back."""
    inner = tso_inner()
    if case == "inner_bug":  # a member longer than the segment: BUG in skb_segment
        inner, _ = tcp4_shape(1000, 1000, linear=1000)
        inner.members = [Member(linear=payload_bytes(1500))]
    shape = encapsulate(inner, gre(True) if case.startswith("gre") else vxlan(True))
    if case.endswith("inner_type_missing"):
        shape.gso_type &= ~int(SKB_GSO.TCPV4)
    elif case == "remcsum":
        shape.gso_type |= int(SKB_GSO.TUNNEL_REMCSUM)
    elif case == "gre_not_encapsulated":
        shape.encapsulation = 0
    elif case == "tunnel_header_too_short":
        shape.inner = (shape.transport + 4,) + shape.inner[1:]
    elif case == "inner_ethertype_unknown":
        hdr = bytearray(shape.headers)
        hdr[50 + 12:50 + 14] = b"\x88\xcc"
        shape.headers = bytes(hdr)
    twin = outcome(model, shape, int(F.SG), True)
    assert twin[0] == (("SkbBug", None) if error is None else ("SkbSegmentError", error))
    _, after, _ = assert_same(shape, int(F.SG))
    # the input back at its outer mac header, as it came
    assert (after["protocol"], after["mac_len"], after["data_offset"]) == (0x0800, 14, 64)


def test_device_that_does_tunnel_tso_gets_the_packet_back():
    """gso_segment returns None and the tunnel handler unwinds: outer
    headers, protocol and encapsulation as they were, gso_segs recomputed."""
    shape = encapsulate(tso_inner(), vxlan(False))
    features = F.SG | F.HW_CSUM | F.TSO | F.GSO_UDP_TUNNEL
    segs, after, _ = assert_same(shape, int(features))
    assert segs is None
    assert (after["gso_segs"], after["encapsulation"], after["protocol"]) == (4, 1, 0x0800)
    assert after["transport_header"] == after["data_offset"] + 34


TUNNEL_FEATURE_BITS = tuple(FEATURE_BITS) + (F.GSO_UDP_TUNNEL, F.GSO_UDP_TUNNEL_CSUM,
                                             F.GSO_GRE, F.GSO_GRE_CSUM, F.GSO_UDP)


@st.composite
def tunnel_shapes(draw):
    """A random inner shape (shapes()) behind a random tunnel; sometimes
    already marked GSO_PARTIAL (the outer UDP length is then trusted)."""
    shape = encapsulate(draw(shapes()), TUNNELS[draw(st.sampled_from(sorted(TUNNELS)))]())
    shape.gso_type |= draw(st.sampled_from([0, int(SKB_GSO.PARTIAL)]))
    return shape


@settings(RANDOM_SETTINGS, max_examples=max(1, RANDOM_EXAMPLES * 2 // 3))
@given(shape=tunnel_shapes(), features=features_(TUNNEL_FEATURE_BITS))
def test_random_tunnel_twin_equals_engine(shape, features):
    assert_same_counted(shape, features, gso=True)


# ----------------------------------------------------------------------
# the GSO helpers


def validate(mod, shape: Shape, encapsulation: bool = False):
    s, _ = build(mod, shape)
    if encapsulation:
        s.encapsulation = 1
        s.set_inner_transport_header(shape.transport + 8)
    try:
        return [(s.gso_validate_network_len(m), s.gso_validate_mac_len(m))
                for m in range(1000, 1700, 13)]
    except SkbSegmentError as e:
        return e.errno
    finally:
        s.kfree()


@pytest.mark.parametrize("kind", ["tcp4", "tcp6", "udp_l4", "ufo", "by_frags", "encap",
                                  "no_transport", "zero"])
def test_gso_validate_twin_equals_engine(kind):
    if kind == "tcp6":
        shape, _ = tcp6_shape(3000, 1200, linear=3000)
    elif kind == "udp_l4":
        shape, _ = udp_shape(3000, 1200, linear=3000)
    elif kind == "ufo":
        shape, _ = udp_shape(3000, 1200, gso_type=SKB_GSO.UDP, linear=3000)
    else:
        shape, _ = tcp4_shape(3000, 1200, linear=3000)
    if kind == "by_frags":
        shape.linear = b""
        shape.frags = []
        shape.members = [Member(linear=payload_bytes(n)) for n in (1200, 1400, 300)]
        shape.gso_size = GSO_BY_FRAGS
    elif kind == "no_transport":
        shape.transport = None
    elif kind == "zero":
        shape.gso_type = 0
    assert validate(model, shape, kind == "encap") == validate(skb, shape, kind == "encap")


def test_gso_validate_counts_the_tcp_header():
    shape, _ = tcp4_shape(3000, 1200, linear=3000)  # TCP header with 20 option bytes
    s, _ = build(model, shape)
    # network: IP 20 + TCP 40 + 1200 = 1260; mac: + 14
    assert (s.gso_validate_network_len(1260), s.gso_validate_network_len(1259)) == (True, False)
    assert (s.gso_validate_mac_len(1274), s.gso_validate_mac_len(1273)) == (True, False)
    s.kfree()


def test_gso_validate_sctp_counts_its_header():
    shape, _ = tcp4_shape(3000, 1200, linear=3000, gso_type=SKB_GSO.SCTP)
    # SCTP: transport seglen = sizeof(struct sctphdr) 12 + gso_size
    for mod in (model, skb):
        s, _ = build(mod, shape)
        try:
            assert (s.gso_validate_network_len(1232), s.gso_validate_network_len(1231)) == \
                (True, False), mod.__name__
        finally:
            s.kfree()


def test_is_gso_and_gso_reset():
    for mod in (model, skb):
        s = mod.alloc_skb(10)
        assert not s.is_gso()
        s.gso_size, s.gso_segs, s.gso_type = 100, 3, int(SKB_GSO.TCPV4)
        assert s.is_gso()
        c = s.clone()
        with pytest.raises(skb.SkbSharedWrite):
            s.gso_reset()
        c.kfree()
        s.gso_reset()
        assert (s.gso_size, s.gso_segs, s.gso_type, s.is_gso()) == (0, 0, 0, False)
        s.kfree()


def test_segments_may_not_join_a_frag_list():
    """A segment was on a list: frag_list_append refuses it (both)."""
    for mod in (model, skb):
        s, _ = build(mod, headers_only(n=2500))
        segs = s.segment(int(F.SG | F.HW_CSUM))
        x = mod.alloc_skb(10)
        with pytest.raises(SkbBug):
            x.frag_list_append(segs[1])
        free_all(*segs, s, x)


def test_a_segment_may_not_take_a_frag_list():
    for mod in (model, skb):
        s, _ = build(mod, headers_only(n=2500))
        segs = s.segment(int(F.SG | F.HW_CSUM))
        x = mod.alloc_skb(10)
        try:
            with pytest.raises(SkbBug):
                segs[0].frag_list_append(x)
            x.kfree()
        finally:
            free_all(*segs, s)  # (x with segs[0] when the append went through)


def headers_in_frags() -> tuple[Shape, bytes]:
    """Only 10 bytes linear: the rest of the headers and the payload in a
    frag (a tiny linear part, as virtio or tun can hand over)."""
    shape, data = tcp4_shape(3000, 1000, linear=3000)
    whole = shape.headers + shape.linear
    shape.headers, shape.linear, shape.frags = whole[:10], b"", [whole[10:]]
    shape.extra = 200
    return shape, data


def test_headers_are_pulled_out_of_the_frags():
    """skb_network_protocol (vlan_get_protocol_and_depth) pulls the mac
    header into the linear part, the IPv4 and TCP handlers theirs."""
    shape, data = headers_in_frags()
    s, _ = build(model, shape)
    segs = model.gso_segment(s, NETIF_F.SG)
    check_tcp_segments(segs, data, 1000, "FPAC", 0xFFFFF000, 0x1234)
    assert s.headlen == 14 + 20 + 40  # pulled
    free_all(*segs, s)


def test_headers_in_frags_engine_agrees():
    assert_same(headers_in_frags()[0], int(F.SG))


@pytest.mark.parametrize("tunnel", [False, True], ids=["plain", "vxlan"])
@pytest.mark.parametrize("cut", [10, 16, 20])
def test_vlan_tag_in_frags_is_pulled(cut, tunnel):
    """vlan_get_protocol_and_depth reads the tag wherever it is and pulls
    the mac header and the tags into the linear part (inside a tunnel, the
    inner Ethernet header's ones)."""
    shape = vlan_tcp4_shape()
    if tunnel:
        shape = encapsulate(shape, vxlan(True))
        cut += 50
    whole = shape.headers + shape.linear
    shape.headers, shape.linear, shape.frags = whole[:cut], b"", [whole[cut:]] + shape.frags
    shape.extra = 200
    segs, after, _ = assert_same(shape, int(F.SG))
    assert len(segs) == 3 and after["headlen"] == 18 + 20 + 20
