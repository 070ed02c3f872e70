"""Helpers for the segmentation tests: build GSO super-packets in any
head / frags / frag_list layout, and verify segments independently of the
engine (our own RFC 1071 sums, scapy for dissection).

Imported as ``import gsohelp`` (pytest puts this directory on sys.path).

Page references: every page a layout uses keeps one reference held by the
test (``Built.pages``), so refcounts can be asserted exactly; ``Built.free``
gives it back after the skb is freed.
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass, field
from typing import Optional

import skb
from skb import NETIF_F, SKB_GSO
from skb.testing import check, check_pages

CHECKSUM_NONE = 0
CHECKSUM_UNNECESSARY = 1
CHECKSUM_PARTIAL = 3

ETH_HLEN = 14
IPPROTO_TCP = 6
IPPROTO_UDP = 17


# ---------------------------------------------------------------- checksums
# Written here, not taken from skb.csum, so the tests cannot agree with a
# wrong engine sum.

def sum16(data: bytes, acc: int = 0) -> int:
    """Unfolded sum of big-endian 16-bit words (odd tail padded with 0)."""
    if len(data) & 1:
        data = data + b"\0"
    return acc + sum(struct.unpack(f"!{len(data) // 2}H", data))


def fold(s: int) -> int:
    """Fold a sum to 16 bits with end-around carry (never 0 for s > 0)."""
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def inet_csum(data: bytes, acc: int = 0) -> int:
    """The Internet checksum (complemented fold) of data plus acc."""
    return ~fold(sum16(data, acc)) & 0xFFFF


def pseudo4(saddr: bytes, daddr: bytes, proto: int, length: int) -> int:
    return sum16(saddr + daddr) + proto + length


def pseudo6(saddr: bytes, daddr: bytes, proto: int, length: int) -> int:
    return sum16(saddr + daddr) + (length >> 16) + (length & 0xFFFF) + proto


# ---------------------------------------------------------------- layouts

@dataclass
class Member:
    """A frag_list member: ``linear`` bytes in its head, then frags."""

    linear: int
    frags: tuple = ()

    @property
    def len(self) -> int:
        return self.linear + sum(self.frags)


@dataclass
class Layout:
    """Where the payload goes: ``head`` bytes in the input's linear part
    after the headers, then its frags, then the frag_list members."""

    head: int
    frags: tuple = ()
    members: tuple = ()
    share_pages: bool = False   # consecutive frags packed on shared pages
    headroom: int = 0

    @property
    def total(self) -> int:
        return self.head + sum(self.frags) + sum(m.len for m in self.members)

    @property
    def nr_frags(self) -> int:
        return len(self.frags) + sum(len(m.frags) for m in self.members)


def linear(n: int, headroom: int = 0) -> Layout:
    return Layout(head=n, headroom=headroom)


def paged(sizes, head: int = 0, share_pages: bool = False) -> Layout:
    return Layout(head=head, frags=tuple(sizes), share_pages=share_pages)


@dataclass
class Built:
    """An input skb and what the test holds besides it."""

    skb: skb.SkBuff
    pages: list = field(default_factory=list)   # one test reference each
    members: list = field(default_factory=list)  # borrowed handles
    hdr_len: int = 0

    def free(self) -> None:
        if not isinstance(self.skb, skb.FreedSkBuff):
            self.skb.kfree()
        for p in self.pages:
            p.put()
        self.pages.clear()


class _PagePool:
    """Hands out (page, offset) places for frags."""

    def __init__(self, share: bool, rng: random.Random, pages: list):
        self.share = share
        self.rng = rng
        self.pages = pages
        self.cur = None
        self.used = 0

    def place(self, size: int):
        if self.share and self.cur is not None and self.used + size <= self.cur.size:
            page, off = self.cur, self.used
        else:
            order = 0
            while (4096 << order) < size:
                order += 1
            page = skb.alloc_page(order)
            self.pages.append(page)
            slack = page.size - size
            off = 0 if self.share else self.rng.randint(0, min(slack, 64))
            self.cur = page
        self.used = off + size
        page.get()      # the reference the frag will own
        return page, off


def _add_frags(s: skb.SkBuff, pool: _PagePool, sizes, data: bytes, pos: int) -> int:
    for i, size in enumerate(sizes):
        page, off = pool.place(size)
        page.data[off:off + size] = data[pos:pos + size]
        s.add_rx_frag(i, page, off, size, size)
        pos += size
    return pos


def build(headers: bytes, payload: bytes, layout: Layout, seed: int = 0) -> Built:
    """An skb holding headers + payload laid out as ``layout``: data at the
    mac header (offset 0 of headers), payload split over head / frags /
    members.  Metadata (protocol, headers, gso) is the caller's."""
    assert layout.total == len(payload), (layout, len(payload))
    rng = random.Random(seed)
    pages: list = []
    pool = _PagePool(layout.share_pages, rng, pages)
    s = skb.alloc_skb(layout.headroom + len(headers) + layout.head)
    s.reserve(layout.headroom)
    s.put_data(headers + payload[:layout.head])
    pos = _add_frags(s, pool, layout.frags, payload, layout.head)
    built = Built(s, pages, hdr_len=len(headers))
    for m in layout.members:
        ms = skb.alloc_skb(m.linear)
        if m.linear:
            ms.put_data(payload[pos:pos + m.linear])
        pos += m.linear
        pos = _add_frags(ms, pool, m.frags, payload, pos)
        s.frag_list_append(ms)
        built.members.append(ms)
    assert pos == len(payload)
    assert s.len == len(headers) + len(payload)
    return built


def payload_bytes(n: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(n)


# ---------------------------------------------------------------- segments

def free_all(segs) -> None:
    for seg in segs:
        seg.kfree()


def frags_per_page(segs) -> dict:
    """How many frag descriptors in ``segs`` name each page (by id)."""
    count: dict = {}
    for seg in segs:
        for f in seg.frags:
            count[id(f.page)] = count.get(id(f.page), 0) + 1
    return count


def check_list(segs, expected_count: Optional[int] = None) -> None:
    """The list shape and every segment's invariants."""
    n = len(segs)
    if expected_count is not None:
        assert n == expected_count
    assert segs[0].prev is segs[n - 1]
    for i in range(n):
        seg = segs[i]
        assert seg.next is (segs[i + 1] if i + 1 < n else None)
        if i:
            assert seg.prev is None
        check(seg)
        assert seg.frag_list == []
        assert seg.mac_header == seg.data_offset
    check_pages()


def complete_partial(frame: bytes, seg: skb.SkBuff) -> bytes:
    """What the device does for CHECKSUM_PARTIAL: sum from csum_start to
    the end and store the folded complement at csum_start + csum_offset."""
    start = seg.csum_start - seg.data_offset
    at = start + seg.csum_offset
    assert 0 <= start and at + 2 <= len(frame)
    value = inet_csum(frame[start:])
    return frame[:at] + value.to_bytes(2, "big") + frame[at + 2:]
