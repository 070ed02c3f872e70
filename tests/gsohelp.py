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
from skb import NETIF_F
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
    the end and store the folded complement at csum_start + csum_offset -
    a sum of 0 as 0xFFFF, as skb_checksum_help does (0 would mean "no
    checksum" to UDP)."""
    start = seg.csum_start - seg.data_offset
    at = start + seg.csum_offset
    assert 0 <= start and at + 2 <= len(frame)
    value = inet_csum(frame[start:]) or 0xFFFF
    return frame[:at] + value.to_bytes(2, "big") + frame[at + 2:]


# ---------------------------------------------------------------- the kernel's cursor

class Bug(Exception):
    """The layout hits one of skb_segment's BUG_ONs."""


def plan_segments(layout: Layout, mss: int, sg: bool) -> list:
    """Which path skb_segment takes for each segment of ``layout`` (no
    frag_list split, no GSO_PARTIAL, mss not GSO_BY_FRAGS), following the
    kernel's cursor (pos, i over the current frags, list_skb) exactly -
    including the cursor going stale while !sg copies.  Returns a list of
    (kind, payload length, payload bytes in the segment's linear part,
    trimmed, source) with kind "alloc" (sg: head bytes + frag references),
    "copy" (!sg) or "clone" (a frag_list member; trimmed when it was longer
    than the segment, and skb_condense may then have pulled the kept part
    of its frags into the head: linear is then the member's or the whole
    segment).  ``source`` is the payload offset the segment's bytes come
    from: its own offset, except for a clone of a member the stale cursor
    still points at, which carries that member's first bytes - the kernel
    emits wrong data there.  Raises Bug where the kernel would BUG."""
    total = layout.total
    members = list(layout.members)
    head = layout.head
    starts, at = [], head + sum(layout.frags)
    for m in members:
        starts.append(at)
        at += m.len
    pos, i, frags, li = head, 0, list(layout.frags), 0
    offset = 0
    out = []
    while True:
        ln = min(total - offset, mss)
        hsize = head - offset
        lst = members[li] if li < len(members) else None
        if hsize <= 0 and i >= len(frags) and lst is not None and lst.linear and \
                (lst.linear == ln or sg):
            if lst.linear > ln:
                raise Bug("BUG_ON(skb_headlen(list_skb) > len)")
            frags, i = list(lst.frags), 0
            pos += lst.linear
            while pos < offset + ln:
                if i >= len(frags):
                    raise Bug("BUG_ON(i >= nfrags)")
                if pos + frags[i] > offset + ln:
                    break
                pos += frags[i]
                i += 1
            # a member longer than the segment is pskb_trim'd, and
            # ___pskb_trim's skb_condense may then pull the rest of its
            # paged bytes into the (private) head
            assert lst.len >= ln
            out.append(("clone", ln, lst.linear, lst.len > ln, starts[li]))
            li += 1
        elif not sg:
            out.append(("copy", ln, ln, False, offset))
        else:
            hs = min(max(hsize, 0), ln)
            while pos < offset + ln:
                if i >= len(frags):
                    if lst is None:
                        raise Bug("NULL list_skb")
                    if lst.linear:
                        raise Bug("BUG_ON(!list_skb->head_frag)")
                    if not lst.frags:
                        raise Bug("BUG_ON(!nfrags)")
                    frags, i = list(lst.frags), 0
                    li += 1
                    lst = members[li] if li < len(members) else None
                if pos + frags[i] <= offset + ln:
                    pos += frags[i]
                    i += 1
                else:
                    break
            out.append(("alloc", ln, hs, False, offset))
        offset += ln
        if offset >= total:
            return out


# ---------------------------------------------------------------- packets

ETH_SRC = "02:00:00:00:00:01"
ETH_DST = "02:00:00:00:00:02"


@dataclass
class Flow:
    """What goes into the headers of a super-packet."""

    ipv6: bool = False
    l4: str = "tcp"                 # "tcp" or "udp"
    src4: str = "192.0.2.1"
    dst4: str = "198.51.100.7"
    src6: str = "2001:db8::1"
    dst6: str = "2001:db8:ffff::2"
    ip_id: int = 0x1234
    df: bool = True
    ttl: int = 61
    tos: int = 0x28
    ip_options: bytes = b""
    seq: int = 1000
    ack: int = 0xA5A5A5A5
    flags: str = "PA"
    window: int = 512
    urgptr: int = 0
    tcp_options: tuple = ()
    sport: int = 40000
    dport: int = 443
    vlan: Optional[int] = None

    @property
    def l2len(self) -> int:
        return ETH_HLEN + (4 if self.vlan is not None else 0)


def headers(flow: Flow, payload_len: int) -> bytes:
    """The header bytes of the super-packet (Ethernet through TCP/UDP).
    Length fields carry the whole packet where they fit; the L4 checksum
    is 0 (the GSO layer seeds or computes it)."""
    from scapy.layers.inet import IP, TCP, UDP, IPOption
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import Dot1Q, Ether

    if flow.l4 == "tcp":
        l4 = TCP(sport=flow.sport, dport=flow.dport, seq=flow.seq, ack=flow.ack,
                 flags=flow.flags, window=flow.window, urgptr=flow.urgptr,
                 options=list(flow.tcp_options), chksum=0)
        proto = IPPROTO_TCP
    else:
        l4 = UDP(sport=flow.sport, dport=flow.dport, len=min(8 + payload_len, 0xFFFF),
                 chksum=0)
        proto = IPPROTO_UDP
    l4len = len(bytes(l4))
    if flow.ipv6:
        l3 = IPv6(src=flow.src6, dst=flow.dst6, nh=proto, hlim=flow.ttl, tc=flow.tos,
                  fl=0x12345, plen=min(l4len + payload_len, 0xFFFF))
    else:
        ip_len = 20 + len(flow.ip_options) + l4len + payload_len
        l3 = IP(src=flow.src4, dst=flow.dst4, id=flow.ip_id, flags="DF" if flow.df else 0,
                ttl=flow.ttl, tos=flow.tos, proto=proto, len=min(ip_len, 0xFFFF),
                options=[IPOption(flow.ip_options)] if flow.ip_options else [])
    l2 = Ether(src=ETH_SRC, dst=ETH_DST)
    if flow.vlan is not None:
        l2 = l2 / Dot1Q(vlan=flow.vlan)
    return bytes(l2 / l3 / l4)


@dataclass
class Geometry:
    l2len: int
    l3len: int
    l4len: int

    @property
    def hdr_len(self) -> int:
        return self.l2len + self.l3len + self.l4len


def geometry(flow: Flow, hdr: bytes) -> Geometry:
    l3 = 40 if flow.ipv6 else (hdr[flow.l2len] & 0x0F) * 4
    return Geometry(flow.l2len, l3, len(hdr) - flow.l2len - l3)


def addresses(flow: Flow):
    import ipaddress
    if flow.ipv6:
        return (ipaddress.IPv6Address(flow.src6).packed, ipaddress.IPv6Address(flow.dst6).packed)
    return (ipaddress.IPv4Address(flow.src4).packed, ipaddress.IPv4Address(flow.dst4).packed)


def pseudo(flow: Flow, proto: int, length: int) -> int:
    saddr, daddr = addresses(flow)
    return (pseudo6 if flow.ipv6 else pseudo4)(saddr, daddr, proto, length)


def make_gso_skb(flow: Flow, payload: bytes, layout: Layout, mss: int,
                 gso_type: int, partial: bool, seed: int = 0) -> Built:
    """A super-packet as the stack hands it to skb_gso_segment: data at the
    mac header, network header set, protocol, gso_size and gso_type; with
    ``partial`` CHECKSUM_PARTIAL with the L4 pseudo-header seeded (as
    tcp_v4_send_check / udp4_hwcsum leave it), else CHECKSUM_NONE."""
    hdr = headers(flow, len(payload))
    g = geometry(flow, hdr)
    b = build(hdr, payload, layout, seed)
    s = b.skb
    s.reset_mac_header()
    s.set_network_header(g.l2len)
    if flow.vlan is not None:
        s.protocol = 0x8100
    else:
        s.protocol = 0x86DD if flow.ipv6 else 0x0800
    s.gso_size = mss
    s.gso_type = gso_type
    if partial:
        proto = IPPROTO_TCP if flow.l4 == "tcp" else IPPROTO_UDP
        l4_start = g.l2len + g.l3len
        seed_value = fold(pseudo(flow, proto, g.l4len + len(payload)))
        at = l4_start + (16 if flow.l4 == "tcp" else 6)
        s.data[at:at + 2] = seed_value.to_bytes(2, "big")
        s.ip_summed = CHECKSUM_PARTIAL
        s.csum_start = s.data_offset + l4_start
        s.csum_offset = 16 if flow.l4 == "tcp" else 6
    return b


# ---------------------------------------------------------------- verifying segments

TCP_FIN, TCP_PSH, TCP_CWR = 0x01, 0x08, 0x80


def can_checksum(features: int, flow: Flow) -> bool:
    """can_checksum_protocol for the flow's network protocol."""
    if features & NETIF_F.HW_CSUM:
        return True
    return bool(features & (NETIF_F.IPV6_CSUM if flow.ipv6 else NETIF_F.IP_CSUM))


def _ip_fixups(exp: bytearray, flow: Flow, g: Geometry, seg_len: int, ip_id: int) -> None:
    l3 = g.l2len
    if flow.ipv6:
        exp[l3 + 4:l3 + 6] = (seg_len - l3 - 40).to_bytes(2, "big")
        return
    exp[l3 + 2:l3 + 4] = (seg_len - l3).to_bytes(2, "big")
    exp[l3 + 4:l3 + 6] = ip_id.to_bytes(2, "big")
    exp[l3 + 10:l3 + 12] = b"\0\0"
    exp[l3 + 10:l3 + 12] = inet_csum(bytes(exp[l3:l3 + g.l3len])).to_bytes(2, "big")


def scapy_valid(frame: bytes, flow: Flow, payload_chunk: Optional[bytes]) -> None:
    """scapy dissects the frame as the flow's packet, agrees with every
    checksum (delete the field, rebuild, compare) and finds exactly
    ``payload_chunk`` after the L4 header."""
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import Ether
    from scapy.packet import Padding

    pkt = Ether(frame)
    l3 = pkt[IPv6] if flow.ipv6 else pkt[IP]
    l4cls = TCP if flow.l4 == "tcp" else UDP
    assert l4cls in pkt, pkt.summary()
    assert Padding not in pkt
    if flow.ipv6:
        assert l3.plen == len(frame) - flow.l2len - 40
    else:
        assert l3.len == len(frame) - flow.l2len
    ref = Ether(frame)
    if not flow.ipv6:
        del ref[IP].chksum
    del ref[l4cls].chksum
    ref = Ether(bytes(ref))
    if not flow.ipv6:
        assert ref[IP].chksum == l3.chksum
    assert ref[l4cls].chksum == pkt[l4cls].chksum
    if payload_chunk is not None:
        assert bytes(pkt[l4cls].payload) == payload_chunk


def verify_tcp(segs, flow: Flow, hdr: bytes, payload: bytes, mss: int, features: int,
               built: Optional[Built] = None, base_refs: Optional[list] = None,
               scapy: bool = True, sources: Optional[list] = None) -> None:
    """Every segment of a TCP super-packet, byte for byte: the replicated
    headers equal the input's but for the fields GSO fixes (IPv4 total
    length, ID and header checksum / IPv6 payload length; TCP sequence
    number, FIN/PSH/CWR and checksum), each checksum as the kernel leaves
    it, the payload in order (segment k from payload offset sources[k] when
    given, else k * mss); and scapy agrees."""
    g = geometry(flow, hdr)
    total = len(payload)
    n = -(-total // mss)
    check_list(segs, n)
    hw = can_checksum(features, flow)
    l4 = g.l2len + g.l3len
    flags_in = hdr[l4 + 13]
    seq0 = int.from_bytes(hdr[l4 + 4:l4 + 8], "big")
    id0 = int.from_bytes(hdr[g.l2len + 4:g.l2len + 6], "big")
    for k, seg in enumerate(segs):
        plen = min(mss, total - k * mss)
        src = k * mss if sources is None else sources[k]
        chunk = payload[src:src + plen]
        frame = seg.to_bytes()
        assert seg.len == len(frame) == g.hdr_len + plen
        assert seg.network_header == seg.data_offset + g.l2len
        assert seg.transport_header == seg.network_header + g.l3len
        assert seg.mac_len == g.l2len
        assert (seg.gso_size, seg.gso_segs, seg.gso_type) == (0, 0, 0)
        exp = bytearray(hdr)
        _ip_fixups(exp, flow, g, seg.len, (id0 + k) & 0xFFFF)
        exp[l4 + 4:l4 + 8] = ((seq0 + k * mss) & 0xFFFFFFFF).to_bytes(4, "big")
        fl = flags_in
        if k < n - 1:
            fl &= ~(TCP_FIN | TCP_PSH)
        if k > 0:
            fl &= ~TCP_CWR
        exp[l4 + 13] = fl
        tcp_len = g.l4len + plen
        ph = pseudo(flow, IPPROTO_TCP, tcp_len)
        if hw:
            assert seg.ip_summed == CHECKSUM_PARTIAL
            assert (seg.csum_start, seg.csum_offset) == (seg.transport_header, 16)
            check_field = fold(ph)
        else:
            assert seg.ip_summed == CHECKSUM_NONE
            exp[l4 + 16:l4 + 18] = b"\0\0"
            check_field = inet_csum(bytes(exp[l4:]) + chunk, ph)
        exp[l4 + 16:l4 + 18] = check_field.to_bytes(2, "big")
        assert frame[:g.hdr_len] == bytes(exp), k
        assert frame[g.hdr_len:] == chunk, k
        if hw:
            frame = complete_partial(frame, seg)
        assert inet_csum(frame[l4:], ph) == 0
        if scapy:
            scapy_valid(frame, flow, chunk)
    if built is not None:
        assert base_refs is not None
        per_page = frags_per_page(segs)
        assert [p.refcount for p in built.pages] == \
            [r + per_page.get(id(p), 0) for p, r in zip(built.pages, base_refs)]
        if not features & NETIF_F.SG:
            assert per_page == {}


def verify_udp_l4(segs, flow: Flow, hdr: bytes, payload: bytes, mss: int, features: int,
                  hw: bool, scapy: bool = True) -> None:
    """Every segment is a whole UDP datagram: its own length and checksum
    (CHECKSUM_PARTIAL with the pseudo-header seeded, or computed in software
    with 0 sent as 0xFFFF)."""
    g = geometry(flow, hdr)
    total = len(payload)
    n = -(-total // mss)
    check_list(segs, n)
    l4 = g.l2len + g.l3len
    id0 = int.from_bytes(hdr[g.l2len + 4:g.l2len + 6], "big")
    for k, seg in enumerate(segs):
        plen = min(mss, total - k * mss)
        chunk = payload[k * mss:k * mss + plen]
        frame = seg.to_bytes()
        assert seg.len == g.hdr_len + plen
        assert seg.transport_header == seg.network_header + g.l3len
        exp = bytearray(hdr)
        _ip_fixups(exp, flow, g, seg.len, (id0 + k) & 0xFFFF)
        exp[l4 + 4:l4 + 6] = (8 + plen).to_bytes(2, "big")
        ph = pseudo(flow, IPPROTO_UDP, 8 + plen)
        if hw:
            assert seg.ip_summed == CHECKSUM_PARTIAL
            assert (seg.csum_start, seg.csum_offset) == (seg.transport_header, 6)
            check_field = fold(ph)
        else:
            assert seg.ip_summed == CHECKSUM_NONE
            exp[l4 + 6:l4 + 8] = b"\0\0"
            check_field = inet_csum(bytes(exp[l4:]) + chunk, ph) or 0xFFFF
        exp[l4 + 6:l4 + 8] = check_field.to_bytes(2, "big")
        assert frame[:g.hdr_len] == bytes(exp), k
        assert frame[g.hdr_len:] == chunk, k
        if hw:
            frame = complete_partial(frame, seg)
        assert fold(sum16(frame[l4:], ph)) == 0xFFFF
        if scapy:
            scapy_valid(frame, flow, chunk)
