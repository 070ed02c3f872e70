"""Segmentation for the pure-Python twin: ``skb_segment`` and the software
GSO stack above it (``skb_gso_segment``), over the twin's data structures.

Kept apart from ``model.py`` so the two can change independently; the twin's
``SkBuff.segment``, ``next``/``prev`` and the ``gso_*`` helpers delegate here,
and ``model`` re-exports ``gso_segment``, ``NETIF_F``, ``SKB_GSO`` and
``GSO_BY_FRAGS``.

Written from the kernel's semantics (``net/core/skbuff.c`` skb_segment,
``net/core/gso.c``, ``net/ipv4/af_inet.c`` inet_gso_segment,
``net/ipv4/tcp_offload.c``, ``net/ipv4/udp_offload.c``,
``net/ipv4/gre_offload.c``, ``net/ipv6/ip6_offload.c``), as plainly as
possible, with the emulator's choices where the kernel cannot be followed
literally:

* heads are never page fragments, so a frag_list member with linear data
  can only become a segment whole (the clone path); a frag walk that reaches
  one is a BUG (``SkbBug``), as are the kernel's BUG_ONs and its NULL
  dereferences (GSO_BY_FRAGS past the last member);
* ``skb_segment`` refuses (``SkbSegmentError(EINVAL)``) a gso_size of 0, an
  unset mac header or one after data, a tunnel header length (mac_header
  minus SKB_GSO_CB's offset) outside [0, mac_header], before touching the
  input; after that the input stays pushed back to its mac header, whatever
  happens, and no segment survives an error;
* a copy past the end of the data (GSO_BY_FRAGS in the copying path, when
  the member cursor lags behind) is ``SkbFault``, where the kernel returns
  -ENOMEM or, without a checksum feature, BUGs in skb_copy_and_csum_bits;
* the UDP tunnel handler refuses (``EINVAL``) a tunnel header (inner mac
  header minus transport header) shorter than the UDP header, which the
  kernel would read past;
* no sockets, destructors, dst, zerocopy, shared-frag flags, IPsec, remote
  checksum offload (SKB_GSO_TUNNEL_REMCSUM is ``EPROTONOSUPPORT``), UDP
  tunnels of the ENCAP_TYPE_IPPROTO kind (the inner packet is always found
  through inner_protocol), separate encapsulation features (hw_enc_features
  are the features), IPIP/SIT/ESP/SCTP GSO, IPv6 jumbograms (BIG TCP's
  hop-by-hop header is an ordinary one) or IPv6 UFO (``EPROTONOSUPPORT``),
  FCoE CRC offload (FCoE is never checksummed by the device), AccECN (CWR is
  cleared from the second segment on, as before v6.18), and SKB_GSO_FRAGLIST
  is treated as an ordinary type (no skb_segment_list).

SKB_GSO_CB lives in cb[32:48]: int32 offset (mac_offset, later data_offset)
at 32, int32 encap_level at 36, u32 csum at 40, u16 csum_start at 44, all
little-endian.  Checksums use the twin's own csum functions (native
little-endian u16 for folded values, as ``model`` documents).
"""

from __future__ import annotations

import enum
import errno
import struct
from typing import NamedTuple, Optional

from ..errors import SkbBug, SkbSegmentError, SkbSharedWrite
from .model import (
    _U16,
    _U32,
    _UNSET,
    CHECKSUM_NONE,
    CHECKSUM_PARTIAL,
    CHECKSUM_UNNECESSARY,
    MAX_SKB_FRAGS,
    Frag,
    SkBuff,
    _Head,
    _int,
    _u32,
    csum_add,
    csum_fold,
    csum_partial,
    csum_sub,
    csum_tcpudp_magic,
    ip_fast_csum,
)

# ----------------------------------------------------------------------
# kernel constants


class NETIF_F(enum.IntFlag):
    """netdev_features_t bits (include/linux/netdev_features.h)."""

    SG = 1 << 0
    IP_CSUM = 1 << 1
    HW_CSUM = 1 << 3
    IPV6_CSUM = 1 << 4
    HIGHDMA = 1 << 5
    FRAGLIST = 1 << 6
    HW_VLAN_CTAG_TX = 1 << 7
    GSO = 1 << 11
    # The GSO features mirror the SKB_GSO bits, shifted by NETIF_F_GSO_SHIFT.
    TSO = 1 << 16
    GSO_ROBUST = 1 << 17
    TSO_ECN = 1 << 18
    TSO_MANGLEID = 1 << 19
    TSO6 = 1 << 20
    GSO_GRE = 1 << 22
    GSO_GRE_CSUM = 1 << 23
    GSO_IPXIP4 = 1 << 24
    GSO_IPXIP6 = 1 << 25
    GSO_UDP_TUNNEL = 1 << 26
    GSO_UDP_TUNNEL_CSUM = 1 << 27
    GSO_PARTIAL = 1 << 28
    GSO_TUNNEL_REMCSUM = 1 << 29
    GSO_SCTP = 1 << 30
    GSO_ESP = 1 << 31
    GSO_UDP = 1 << 32
    GSO_UDP_L4 = 1 << 33
    GSO_FRAGLIST = 1 << 34
    RXCSUM = 1 << 40


class SKB_GSO(enum.IntFlag):
    """skb_shared_info.gso_type bits (include/linux/skbuff.h)."""

    TCPV4 = 1 << 0
    DODGY = 1 << 1
    TCP_ECN = 1 << 2
    TCP_FIXEDID = 1 << 3
    TCPV6 = 1 << 4
    FCOE = 1 << 5
    GRE = 1 << 6
    GRE_CSUM = 1 << 7
    IPXIP4 = 1 << 8
    IPXIP6 = 1 << 9
    UDP_TUNNEL = 1 << 10
    UDP_TUNNEL_CSUM = 1 << 11
    PARTIAL = 1 << 12
    TUNNEL_REMCSUM = 1 << 13
    SCTP = 1 << 14
    ESP = 1 << 15
    UDP = 1 << 16
    UDP_L4 = 1 << 17
    FRAGLIST = 1 << 18


GSO_BY_FRAGS = 0xFFFF  # gso_size: cut at frag_list member boundaries
NETIF_F_GSO_SHIFT = 16
NETIF_F_CSUM_MASK = NETIF_F.IP_CSUM | NETIF_F.HW_CSUM | NETIF_F.IPV6_CSUM
_U64 = (1 << 64) - 1

ETH_HLEN = 14
VLAN_HLEN = 4
VLAN_MAX_DEPTH = 8
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
ETH_P_TEB = 0x6558
ETH_P_FCOE = 0x8906

IPPROTO_TCP = 6
IPPROTO_UDP = 17
IPPROTO_GRE = 47
NEXTHDR_HOP = 0
NEXTHDR_ROUTING = 43
NEXTHDR_DEST = 60
IPV6_GSO_EXTHDRS = (NEXTHDR_HOP, NEXTHDR_ROUTING, NEXTHDR_DEST)
IP_DF = 0x4000
IP_MF = 0x2000
TCP_FIN = 0x01
TCP_PSH = 0x08
TCP_CWR = 0x80
CSUM_MANGLED_0 = 0xFFFF

SKB_GSO_CB_OFFSET = 32


def _einval(what: str) -> SkbSegmentError:
    return SkbSegmentError(errno.EINVAL, f"EINVAL ({what})")


def _enoproto(what: str) -> SkbSegmentError:
    return SkbSegmentError(errno.EPROTONOSUPPORT, f"EPROTONOSUPPORT ({what})")


# ----------------------------------------------------------------------
# bytes in the head, SKB_GSO_CB


def _be16(buf: bytearray, at: int) -> int:
    return int.from_bytes(buf[at:at + 2], "big")


def _put_be16(buf: bytearray, at: int, value: int) -> None:
    buf[at:at + 2] = (value & _U16).to_bytes(2, "big")


def _be32(buf: bytearray, at: int) -> int:
    return int.from_bytes(buf[at:at + 4], "big")


def _put_be32(buf: bytearray, at: int, value: int) -> None:
    buf[at:at + 4] = (value & _U32).to_bytes(4, "big")


def _load16(buf: bytearray, at: int) -> int:
    """The raw (native, little-endian) u16 the kernel's checksum code sees."""
    return int.from_bytes(buf[at:at + 2], "little")


def _store16(buf: bytearray, at: int, value: int) -> None:
    buf[at:at + 2] = (value & _U16).to_bytes(2, "little")


def _htonl(value: int) -> int:
    """htonl on a little-endian machine, as a raw u32."""
    return int.from_bytes((value & _U32).to_bytes(4, "big"), "little")


def _htons(value: int) -> int:
    return int.from_bytes((value & _U16).to_bytes(2, "big"), "little")


class GsoCb(NamedTuple):
    """struct skb_gso_cb, in cb[32:46]."""

    offset: int  # mac_offset before skb_segment, data_offset after
    encap_level: int
    csum: int
    csum_start: int


_GSO_CB = struct.Struct("<iiIH")


def gso_cb(skb: SkBuff) -> GsoCb:
    """SKB_GSO_CB(skb)."""
    return GsoCb(*_GSO_CB.unpack_from(skb._cb, SKB_GSO_CB_OFFSET))


def _s32_wrap(value: int) -> int:
    """An int stored in a C int32 (two's complement wrap)."""
    return (value + (1 << 31)) % (1 << 32) - (1 << 31)


def _set_gso_cb(skb: SkBuff, **changes: int) -> None:
    cb = gso_cb(skb)._replace(**changes)
    buf = bytearray(skb._cb)
    _GSO_CB.pack_into(buf, SKB_GSO_CB_OFFSET, _s32_wrap(cb.offset), _s32_wrap(cb.encap_level),
                      cb.csum & _U32, cb.csum_start & _U16)
    skb._cb = bytes(buf)


# ----------------------------------------------------------------------
# small kernel helpers


def csum16_add(csum: int, addend: int) -> int:
    """csum16_add: add a 16-bit value to a folded checksum, end-around."""
    res = (csum + addend) & _U16
    return (res + (res < addend)) & _U16


def csum16_sub(csum: int, addend: int) -> int:
    return csum16_add(csum, ~addend & _U16)


def csum_ipv6_magic(saddr: bytes, daddr: bytes, length: int, proto: int, csum: int) -> int:
    """The folded TCP/UDP checksum with the IPv6 pseudo-header (generic
    net/ipv6/ip6_checksum.c: 32-bit words of the addresses as loaded by a
    little-endian machine, then htonl(len) and htonl(proto))."""
    s = csum
    for addr in (saddr, daddr):
        for k in range(0, 16, 4):
            s = csum_add(s, int.from_bytes(addr[k:k + 4], "little"))
    s = csum_add(s, _htonl(length))
    s = csum_add(s, _htonl(proto))
    return csum_fold(s)


def net_gso_ok(features: int, gso_type: int) -> bool:
    """The device can do every gso_type bit itself (true for type 0)."""
    feature = gso_type << NETIF_F_GSO_SHIFT
    return features & feature == feature


def skb_gso_ok(skb: SkBuff, features: int) -> bool:
    return net_gso_ok(features, skb._head.gso_type) and (
        not skb._head.frag_list or bool(features & NETIF_F.FRAGLIST))


def can_checksum_protocol(features: int, protocol: int) -> bool:
    """Can the device checksum this network protocol's payload?  FCoE's CRC
    is never offered (the emulated devices have no NETIF_F_FCOE_CRC)."""
    if protocol == ETH_P_FCOE:
        return False
    if features & NETIF_F.HW_CSUM:
        return True
    if protocol == ETH_P_IP:
        return bool(features & NETIF_F.IP_CSUM)
    if protocol == ETH_P_IPV6:
        return bool(features & NETIF_F.IPV6_CSUM)
    return False


def _push(skb: SkBuff, n: int) -> None:
    """__skb_push: no checks (the callers know the bytes are there)."""
    skb._data -= n
    skb._len += n


def _pull(skb: SkBuff, n: int) -> None:
    """__skb_pull of linear bytes."""
    skb._data += n
    skb._len -= n


def network_protocol(skb: SkBuff) -> tuple[int, int]:
    """skb_network_protocol: the ethertype behind an ETH_P_TEB inner
    Ethernet header and any VLAN tags (data at the mac header), and the
    depth where the network header starts (pulled into the linear part);
    (0, 0) when it cannot be found."""
    proto = skb._protocol
    if proto == ETH_P_TEB:
        if not skb.may_pull(ETH_HLEN):
            return 0, 0
        proto = _be16(skb._head.buf, skb._data + 12)
    depth = skb._mac_len
    if proto in (ETH_P_8021Q, ETH_P_8021AD):
        # The tag sits at mac_len - VLAN_HLEN, or after the Ethernet header.
        if depth:
            if depth < VLAN_HLEN:
                return 0, 0
            depth -= VLAN_HLEN
        else:
            depth = ETH_HLEN
        budget = VLAN_MAX_DEPTH
        while True:
            if depth + VLAN_HLEN > skb._len:
                return 0, 0
            budget -= 1
            if not budget:
                return 0, 0
            proto = int.from_bytes(skb._copy_bits(depth + 2, 2), "big")
            depth += VLAN_HLEN
            if proto not in (ETH_P_8021Q, ETH_P_8021AD):
                break
    # vlan_get_protocol_and_depth: the headers up to there must be linear
    if not skb.may_pull(depth):
        return 0, 0
    return proto, depth


# ----------------------------------------------------------------------
# skb_segment


def _check_input(head_skb: SkBuff) -> tuple[int, int]:
    """What skb_segment needs before it may touch the input: (doffset,
    tnl_hlen).  The structural guard comes first, as in the engine."""
    head_skb._check_consistent("skb_segment")
    if not head_skb._head.gso_size:
        raise _einval("skb_segment: gso_size is 0")
    mac = head_skb._mac_header
    if mac == _UNSET or mac > head_skb._data:
        raise _einval("skb_segment: the mac header is unset or after data")
    tnl_hlen = mac - gso_cb(head_skb).offset
    if not 0 <= tnl_hlen <= mac:
        raise _einval(f"skb_segment: tunnel header length {tnl_hlen} is outside the headroom")
    return head_skb._data - mac, tnl_hlen


def _partial_segs(head_skb: SkBuff, features: int, mss: int, payload: int) -> int:
    """How many MSS each output skb carries when the result may stay GSO
    (GSO_PARTIAL, or a frag_list of equal members the device can take
    without frag_list); 0 for a normal segmentation.  payload is the
    input's len before the headers were pushed back."""
    if not features & NETIF_F.GSO_PARTIAL:
        members = head_skb._head.frag_list
        if not members or not net_gso_ok(features, head_skb._head.gso_type):
            return 0
        frag_len = members[0]._len
        for k, m in enumerate(members):
            if m._len != frag_len and k + 1 < len(members):
                return 0
            if m.headlen:  # linear data that is not a page fragment
                return 0
            payload -= m._len
        if payload != frag_len:
            return 0
    segs = min(payload, GSO_BY_FRAGS - 1) // mss
    return segs if segs > 1 else 0


class _Cursor:
    """Where skb_segment is in the paged data: the frags being walked (the
    input's, then a member's), the next one, the stream position where it
    starts, and the next frag_list member."""

    def __init__(self, head_skb: SkBuff) -> None:
        self.members = list(head_skb._head.frag_list)
        self.next_member = 0
        self.frags = list(head_skb._head.frags)
        self.i = 0
        self.pos = head_skb.headlen

    def member(self) -> Optional[SkBuff]:
        if self.next_member < len(self.members):
            return self.members[self.next_member]
        return None

    def enter(self, member: SkBuff) -> None:
        """Walk member's frags next; the member after it becomes next."""
        self.frags = list(member._head.frags)
        self.i = 0
        self.next_member += 1


def _from_member(cur: _Cursor, member: SkBuff, offset: int, seg_len: int,
                 doffset: int, headroom: int) -> SkBuff:
    """The clone path: the segment starts exactly at member, whose linear
    data fits in it; skip the member's frags the segment covers whole, then
    clone it, trim it to the segment and give it room for the headers."""
    if member.headlen > seg_len:
        raise SkbBug("skb_segment: BUG_ON(skb_headlen(list_skb) > len): a frag_list "
                     "member's linear data is longer than the segment")
    cur.enter(member)
    cur.pos += member.headlen
    while cur.pos < offset + seg_len:
        if cur.i >= len(cur.frags):
            raise SkbBug("skb_segment: BUG_ON(i >= nfrags): the frag_list member is "
                         "shorter than the segment")
        size = cur.frags[cur.i].size
        if cur.pos + size > offset + seg_len:
            break
        cur.pos += size
        cur.i += 1
    nskb = member._clone()
    try:
        nskb.pskb_trim(seg_len)
        old_end = nskb._end
        nskb.cow_head(doffset + headroom)
        nskb._add_truesize(nskb._end - old_end)
    except BaseException:
        nskb._unref()
        raise
    _push(nskb, doffset)
    return nskb


def _add_frags(nskb: SkBuff, cur: _Cursor, offset: int, seg_len: int, hsize: int) -> None:
    """The sg path: reference (page ref + 1 each) the frags holding the
    segment's bytes after its linear part, trimming the first and last."""
    end = offset + seg_len
    while cur.pos < end:
        if cur.i >= len(cur.frags):
            member = cur.member()
            if member is None or member.headlen or not member._head.frags:
                raise SkbBug("skb_segment: the frag walk reached a frag_list member "
                             "with linear data (not a page fragment) or no frags")
            cur.enter(member)
        if len(nskb._head.frags) >= MAX_SKB_FRAGS:
            raise _einval(f"skb_segment: too many frags: {cur.pos} {seg_len}")
        f = cur.frags[cur.i]
        f.page._refcount += 1
        start, size = f.offset, f.size
        if cur.pos < offset:
            start += offset - cur.pos
            size -= offset - cur.pos
        if cur.pos + f.size <= end:
            nskb._head.frags.append(Frag(f.page, start, size))
            cur.i += 1
            cur.pos += f.size
        else:
            nskb._head.frags.append(Frag(f.page, start, size - (cur.pos + f.size - end)))
            break
    nskb._data_len = seg_len - hsize
    nskb._len += nskb._data_len
    nskb._add_truesize(nskb._data_len)


def _software_csum(nskb: SkBuff, doffset: int, csum: int) -> None:
    """The device cannot checksum: leave the payload's partial sum, and
    where it starts, for the L4 handler's gso_make_checksum."""
    nskb._ip_summed = CHECKSUM_NONE
    _set_gso_cb(nskb, csum=csum, csum_start=nskb._data + doffset)


def skb_segment(head_skb: SkBuff, features: int) -> list[SkBuff]:
    """skb_segment: cut head_skb (data at the payload, mac header set,
    gso_size the MSS or GSO_BY_FRAGS) into segments, each with a copy of
    the headers from mac_header - tnl_hlen on.  The input is left pushed
    back to its mac header."""
    features = _int(features, 0, _U64, "features")
    doffset, tnl_hlen = _check_input(head_skb)
    shinfo = head_skb._head
    mss = shinfo.gso_size
    payload = head_skb._len

    if (shinfo.gso_type & SKB_GSO.DODGY and mss not in (GSO_BY_FRAGS, head_skb.headlen)
            and any(m.headlen for m in shinfo.frag_list)):
        # An untrusted gso_size and members with linear data: the members
        # do not end on mss boundaries, so copy rather than share.
        features &= ~int(NETIF_F.SG)

    _push(head_skb, doffset)  # never undone
    proto, _ = network_protocol(head_skb)
    if not proto:
        raise _einval("skb_segment: no network protocol")
    sg = bool(features & NETIF_F.SG)
    csum = can_checksum_protocol(features, proto)
    partial_segs = 0
    if sg and csum and mss != GSO_BY_FRAGS:
        partial_segs = _partial_segs(head_skb, features, mss, payload)
        if partial_segs:
            mss *= partial_segs

    headroom = head_skb.headroom
    cur = _Cursor(head_skb)
    segs: list[SkBuff] = []
    offset = doffset
    try:
        while True:
            member = cur.member()
            if mss == GSO_BY_FRAGS:
                if member is None:
                    raise SkbBug("skb_segment: GSO_BY_FRAGS ran out of frag_list members")
                seg_len = member._len
            else:
                seg_len = min(head_skb._len - offset, mss)
            hsize = head_skb.headlen - offset

            if (hsize <= 0 and cur.i >= len(cur.frags) and member is not None
                    and member.headlen and (member.headlen == seg_len or sg)):
                nskb = _from_member(cur, member, offset, seg_len, doffset, headroom)
            else:
                hsize = max(hsize, 0)
                if hsize > seg_len or not sg:
                    hsize = seg_len
                nskb = SkBuff._new(_Head(hsize + doffset + headroom))
                nskb._data = headroom
                nskb._tail = headroom + doffset
                nskb._len = doffset
            segs.append(nskb)
            nskb._listed = True

            nskb._copy_header_from(head_skb)
            nskb._headers_offset_update(nskb.headroom - headroom)
            nskb.reset_mac_len()
            buf, src = nskb._head.buf, head_skb._head.buf
            buf[nskb._data - tnl_hlen:nskb._data + doffset] = \
                src[head_skb._data - tnl_hlen:head_skb._data + doffset]

            if nskb._len == seg_len + doffset:
                # The clone path brought the whole segment.
                if not csum:
                    _software_csum(nskb, doffset,
                                   nskb._checksum(doffset, nskb._len - doffset, 0))
            elif not sg:
                # Everything is copied; without a checksum feature the sum
                # is taken over the input's bytes as they are copied.
                buf[nskb._tail:nskb._tail + seg_len] = head_skb._copy_bits(offset, seg_len)
                nskb._tail += seg_len
                nskb._len += seg_len
                if not csum:
                    _software_csum(nskb, doffset, head_skb._checksum(offset, seg_len, 0))
            else:
                a = head_skb._data + offset
                buf[nskb._tail:nskb._tail + hsize] = src[a:a + hsize]
                nskb._tail += hsize
                nskb._len += hsize
                _add_frags(nskb, cur, offset, seg_len, hsize)
                if not csum:
                    _software_csum(nskb, doffset,
                                   nskb._checksum(doffset, nskb._len - doffset, 0))
            offset += seg_len
            if offset >= head_skb._len:
                break
    except BaseException:
        for s in segs:
            s._unref()
        raise

    if partial_segs:
        _mark_partial(segs, head_skb, features, partial_segs, doffset)
    for j, s in enumerate(segs):
        s._py_refs = 1
        s._seg = (segs, j)
    return segs


def _mark_partial(segs: list[SkBuff], head_skb: SkBuff, features: int, partial_segs: int,
                  doffset: int) -> None:
    """GSO_PARTIAL / frag_list split: the outputs are still GSO skbs of
    partial_segs MSS each (the last one maybe fewer, or not GSO at all)."""
    gso_size = head_skb._head.gso_size
    gso_type = head_skb._head.gso_type
    if features & NETIF_F.GSO_PARTIAL:
        gso_type |= SKB_GSO.PARTIAL
    gso_type &= ~int(SKB_GSO.DODGY)
    for s in segs:
        s._head.gso_size = gso_size
        s._head.gso_segs = partial_segs
        s._head.gso_type = int(gso_type)
        _set_gso_cb(s, offset=s._data + doffset)
    tail = segs[-1]
    if tail._len - doffset <= gso_size:
        tail._head.gso_size = 0
    elif tail is not segs[0]:
        tail._head.gso_segs = -(-(tail._len - doffset) // gso_size) & _U16


# ----------------------------------------------------------------------
# checksum completion (include/net/gso.h)


def gso_reset_checksum(seg: SkBuff, res: int) -> None:
    """The device finishes this segment's checksum."""
    _set_gso_cb(seg, csum=res, csum_start=seg.csum_start)


def gso_make_checksum(seg: SkBuff, res: int) -> int:
    """Finish a segment's checksum in software: the transport header (its
    check field seeded) up to where skb_segment's payload sum starts, added
    to that sum.  A csum_start outside [transport, tail] sums no header
    bytes (the emulator's guard; the kernel would read out of bounds)."""
    cb = gso_cb(seg)
    th = seg._transport_header
    plen = cb.csum_start - th
    if plen < 0 or th + plen > seg._tail:
        plen = 0
    _set_gso_cb(seg, csum=res, csum_start=th)
    return csum_fold(csum_partial(seg._head.buf[th:th + plen], cb.csum))


# ----------------------------------------------------------------------
# TCP


def _tcp_setup_partial(skb: SkBuff, pseudo: int) -> None:
    """Checksum offload from here on: th->check holds the pseudo-header."""
    th = skb._transport_header
    _store16(skb._head.buf, th + 16, ~pseudo)
    skb._ip_summed = CHECKSUM_PARTIAL
    skb.csum_start = th
    skb.csum_offset = 16


def _tcp_gso_segment(skb: SkBuff, features: int) -> Optional[list[SkBuff]]:
    """tcp_gso_segment: data at the TCP header, CHECKSUM_PARTIAL set up."""
    th = skb._transport_header
    thlen = (skb._head.buf[th + 12] >> 4) * 4
    if thlen < 20 or skb.csum_start != th or not skb.may_pull(thlen):
        raise _einval("tcp_gso_segment: bad TCP header or checksum start")
    oldlen = ~skb._len & _U32
    _pull(skb, thlen)
    mss = skb._head.gso_size
    if skb._len <= mss:
        raise _einval("tcp_gso_segment: the payload fits one segment")
    if skb_gso_ok(skb, features | NETIF_F.GSO_ROBUST):
        skb._head.gso_segs = -(-skb._len // mss) & _U16
        return None
    segs = skb_segment(skb, features)
    if segs[0]._head.gso_size:
        mss *= segs[0]._head.gso_segs

    first = segs[0]
    th = first._transport_header
    delta = _htonl(oldlen + thlen + mss)
    seq = _be32(first._head.buf, th + 4)
    newcheck = ~csum_fold(csum_add(_load16(first._head.buf, th + 16), delta)) & _U16
    for k, seg in enumerate(segs):
        buf, th = seg._head.buf, seg._transport_header
        if k:
            _put_be32(buf, th + 4, seq)
            buf[th + 13] &= ~TCP_CWR & 0xFF  # CWR only on the first segment
        if k == len(segs) - 1:
            break
        buf[th + 13] &= ~(TCP_FIN | TCP_PSH) & 0xFF  # FIN and PSH only on the last
        _store16(buf, th + 16, newcheck)
        _finish_check(seg, th + 16, newcheck, mangle_zero=False)
        seq = (seq + mss) & _U32
    # The last segment's length term uses its real length.
    seg = segs[-1]
    buf, th = seg._head.buf, seg._transport_header
    delta = _htonl(oldlen + (seg._tail - th) + seg._data_len)
    check = ~csum_fold(csum_add(_load16(buf, th + 16), delta)) & _U16
    _store16(buf, th + 16, check)
    _finish_check(seg, th + 16, check, mangle_zero=False)
    return segs


def _finish_check(seg: SkBuff, at: int, check: int, mangle_zero: bool) -> None:
    """The segment's L4 check field holds check (the pseudo-header sum with
    this segment's length): leave it for the device, or complete it."""
    res = ~check & _U32  # ~th->check: the u16 promoted to int first
    if seg._ip_summed == CHECKSUM_PARTIAL:
        gso_reset_checksum(seg, res)
        return
    value = gso_make_checksum(seg, res)
    if mangle_zero and not value:
        value = CSUM_MANGLED_0
    _store16(seg._head.buf, at, value)


def _tcp4_gso_segment(skb: SkBuff, features: int) -> Optional[list[SkBuff]]:
    if not skb._head.gso_type & SKB_GSO.TCPV4 or not skb.may_pull(20):
        raise _einval("tcp4_gso_segment: not SKB_GSO_TCPV4, or no TCP header")
    if skb._ip_summed != CHECKSUM_PARTIAL:
        buf, nh, th = skb._head.buf, skb._network_header, skb._transport_header
        _store16(buf, th + 16, 0)
        _tcp_setup_partial(skb, csum_tcpudp_magic(bytes(buf[nh + 12:nh + 16]),
                                                  bytes(buf[nh + 16:nh + 20]),
                                                  skb._len, IPPROTO_TCP, 0))
    return _tcp_gso_segment(skb, features)


def _tcp6_gso_segment(skb: SkBuff, features: int) -> Optional[list[SkBuff]]:
    if not skb._head.gso_type & SKB_GSO.TCPV6 or not skb.may_pull(20):
        raise _einval("tcp6_gso_segment: not SKB_GSO_TCPV6, or no TCP header")
    if skb._ip_summed != CHECKSUM_PARTIAL:
        buf, nh, th = skb._head.buf, skb._network_header, skb._transport_header
        _store16(buf, th + 16, 0)
        _tcp_setup_partial(skb, csum_ipv6_magic(bytes(buf[nh + 8:nh + 24]),
                                                bytes(buf[nh + 24:nh + 40]),
                                                skb._len, IPPROTO_TCP, 0))
    return _tcp_gso_segment(skb, features)


# ----------------------------------------------------------------------
# UDP


def _udp_gso_segment(gso_skb: SkBuff, features: int) -> Optional[list[SkBuff]]:
    """__udp_gso_segment (SKB_GSO_UDP_L4): every segment a whole datagram
    with its own length and checksum."""
    mss = gso_skb._head.gso_size
    if gso_skb._len <= 8 + mss or gso_skb.csum_start != gso_skb._transport_header:
        raise _einval("__udp_gso_segment: too short, or the checksum does not start "
                      "at the UDP header")
    if gso_skb._ip_summed != CHECKSUM_PARTIAL:
        features &= ~int(NETIF_F.GSO_UDP_L4 | NETIF_F_CSUM_MASK)
    if skb_gso_ok(gso_skb, features | NETIF_F.GSO_ROBUST):
        gso_skb._head.gso_segs = -(-(gso_skb._len - 8) // mss) & _U16
        return None
    _pull(gso_skb, 8)
    segs = skb_segment(gso_skb, features)

    first = segs[0]
    uh = first._transport_header
    newlen = _htons(8 + mss)
    check = csum16_add(csum16_sub(_load16(first._head.buf, uh + 6),
                                  _load16(first._head.buf, uh + 4)), newlen)
    for seg in segs[:-1]:
        buf, uh = seg._head.buf, seg._transport_header
        _store16(buf, uh + 4, newlen)
        _store16(buf, uh + 6, check)
        _finish_check(seg, uh + 6, check, mangle_zero=True)
    seg = segs[-1]
    buf, uh = seg._head.buf, seg._transport_header
    if not seg._head.gso_size:
        # The trailing datagram may be short (unless it is still a GSO skb).
        newlen = _htons(seg._tail - uh + seg._data_len)
    check = csum16_add(csum16_sub(_load16(buf, uh + 6), _load16(buf, uh + 4)), newlen)
    _store16(buf, uh + 4, newlen)
    _store16(buf, uh + 6, check)
    _finish_check(seg, uh + 6, check, mangle_zero=True)
    if gso_skb._ip_summed == CHECKSUM_NONE:
        gso_skb._ip_summed = CHECKSUM_UNNECESSARY
    return segs


def _udp_tunnel(skb: SkBuff) -> bool:
    return bool(skb._encapsulation and skb._head.gso_type
                & (SKB_GSO.UDP_TUNNEL | SKB_GSO.UDP_TUNNEL_CSUM))


def _udp4_gso_segment(skb: SkBuff, features: int) -> Optional[list[SkBuff]]:
    """udp4_ufo_fragment: a UDP tunnel, UDP_L4 datagrams, or legacy UFO
    (checksum the whole datagram in software, then cut it into IP
    fragments)."""
    if _udp_tunnel(skb):
        return _udp_tunnel_segment(skb, features, ipv6=False)
    gso_type = skb._head.gso_type
    if not gso_type & (SKB_GSO.UDP | SKB_GSO.UDP_L4) or not skb.may_pull(8):
        raise _einval("udp4_ufo_fragment: not a UDP GSO type, or no UDP header")
    if gso_type & SKB_GSO.UDP_L4:
        return _udp_gso_segment(skb, features)
    if skb._len <= skb._head.gso_size:
        raise _einval("udp4_ufo_fragment: the datagram fits one fragment")
    buf, nh, uh = skb._head.buf, skb._network_header, skb._transport_header
    _store16(buf, uh + 6, 0)
    csum = skb._checksum(0, skb._len, 0)
    check = csum_tcpudp_magic(bytes(buf[nh + 12:nh + 16]), bytes(buf[nh + 16:nh + 20]),
                              skb._len, IPPROTO_UDP, csum)
    _store16(skb._head.buf, uh + 6, check or CSUM_MANGLED_0)
    skb._ip_summed = CHECKSUM_UNNECESSARY
    if not skb._encap_hdr_csum:
        # Checksummed already: a checksum "feature" costs nothing now.  (An
        # outer checksum to fill inside a tunnel needs the payload sums.)
        features |= NETIF_F.HW_CSUM
    return skb_segment(skb, features)


def _udp6_gso_segment(skb: SkBuff, features: int) -> Optional[list[SkBuff]]:
    """udp6_ufo_fragment: a UDP tunnel or UDP_L4 datagrams (IPv6 UFO, which
    inserts a fragment header, is not emulated)."""
    if _udp_tunnel(skb):
        return _udp_tunnel_segment(skb, features, ipv6=True)
    gso_type = skb._head.gso_type
    if not gso_type & (SKB_GSO.UDP | SKB_GSO.UDP_L4) or not skb.may_pull(8):
        raise _einval("udp6_ufo_fragment: not a UDP GSO type, or no UDP header")
    if not gso_type & SKB_GSO.UDP_L4:
        raise _enoproto("IPv6 UFO (a fragment header to insert) is not emulated")
    return _udp_gso_segment(skb, features)


# ----------------------------------------------------------------------
# tunnels: UDP (VXLAN, Geneve...) and GRE
#
# The outer headers up to the inner mac header are pulled and the inner
# frame is segmented as if it were the packet: skb_segment copies the outer
# headers (the tnl_hlen bytes in front of the mac header) into every
# segment.  Each segment then gets its outer headers back with its own UDP
# length and outer checksum; the outer IP header is fixed by the outer
# handler on the way back.  The device's encapsulation features are taken to
# be its features.


class _Outer(NamedTuple):
    """The outer packet as the tunnel handler found it, for each segment
    and for skb_gso_error_unwind."""

    protocol: int
    mac_header: int
    mac_len: int
    tnl_hlen: int  # the tunnel header (UDP + VXLAN, GRE...) before the inner mac


def _enter_inner(skb: SkBuff, tnl_hlen: int) -> _Outer:
    """Make the inner frame the packet: data and mac header at the inner
    mac header, network header at the inner one, inner_protocol (ETH_P_TEB
    for an Ethernet frame) the protocol."""
    outer = _Outer(skb._protocol, skb._mac_header, skb._mac_len, tnl_hlen)
    skb._encapsulation = 0
    _set_gso_cb(skb, encap_level=0)
    _pull(skb, tnl_hlen)
    skb._mac_header = skb._data
    skb._network_header = skb._inner_network_header
    skb._mac_len = (skb._inner_network_header - skb._data) & _U16
    skb._protocol = skb._inner_protocol
    return outer


def _error_unwind(skb: SkBuff, outer: _Outer) -> None:
    """skb_gso_error_unwind: the outer packet back, data and transport
    header at the tunnel header."""
    skb._protocol = outer.protocol
    skb._encapsulation = 1
    _push(skb, outer.tnl_hlen)
    skb._transport_header = skb._data
    skb._mac_header = outer.mac_header
    skb._network_header = (outer.mac_header + outer.mac_len) & _U16
    skb._mac_len = outer.mac_len


def _segment_inner(skb: SkBuff, features: int, outer: _Outer) -> Optional[list[SkBuff]]:
    """The inner frame through skb_mac_gso_segment; the outer packet is put
    back when that fails or leaves the packet to the device."""
    try:
        segs = _mac_gso_segment(skb, features)
    except BaseException:
        _error_unwind(skb, outer)
        raise
    if segs is None:
        _error_unwind(skb, outer)
    return segs


def _restore_outer(seg: SkBuff, outer: _Outer, outer_hlen: int, l4_offset: int) -> None:
    """Give a segment of the inner frame its outer headers (already copied
    in front of it) back.  One whose inner checksum the device finishes
    keeps the inner offsets, for the device."""
    if seg._ip_summed == CHECKSUM_PARTIAL:
        seg.reset_inner_headers()
        seg._encapsulation = 1
    seg._mac_len = outer.mac_len
    seg._protocol = outer.protocol
    _push(seg, outer_hlen)
    seg._mac_header = seg._data
    seg._network_header = seg._data + outer.mac_len
    seg._transport_header = seg._data + l4_offset


def _tnl_header_len(skb: SkBuff) -> int:
    """skb_tnl_header_len: the outer headers in front of the mac header."""
    return skb._mac_header - gso_cb(skb).offset


def _udp_tunnel_segment(skb: SkBuff, features: int, ipv6: bool) -> Optional[list[SkBuff]]:
    """__skb_udp_tunnel_segment, the inner packet of protocol
    inner_protocol (ENCAP_TYPE_ETHER): data at the outer UDP header."""
    gso_type = skb._head.gso_type
    if gso_type & SKB_GSO.TUNNEL_REMCSUM:
        raise _enoproto("remote checksum offload is not emulated")
    tnl_hlen = skb._inner_mac_header - skb._transport_header
    if tnl_hlen < 8 or not skb.may_pull(tnl_hlen):
        raise _einval("__skb_udp_tunnel_segment: no UDP header before the inner mac header")
    buf, uh = skb._head.buf, skb._transport_header
    # The outer check field holds the pseudo-header sum: take its length term
    # out (each segment's goes back in).  That is uh->len only under
    # GSO_PARTIAL: the length may not fit 16 bits.
    old_len = _load16(buf, uh + 4) if gso_type & SKB_GSO.PARTIAL else _htonl(skb._len)
    partial = csum_sub(_load16(buf, uh + 6), old_len)
    outer = _enter_inner(skb, tnl_hlen)
    skb._transport_header = skb._inner_transport_header
    need_csum = bool(gso_type & SKB_GSO.UDP_TUNNEL_CSUM)
    skb._encap_hdr_csum = int(need_csum)
    ip_csum = NETIF_F.IPV6_CSUM if ipv6 else NETIF_F.IP_CSUM
    offload_csum = need_csum and bool(features & (NETIF_F.HW_CSUM | ip_csum))

    segs = _segment_inner(skb, features, outer)
    if segs is None:
        return None
    outer_hlen = _tnl_header_len(skb)
    udp_offset = outer_hlen - tnl_hlen
    gso_partial = bool(segs[0]._head.gso_type & SKB_GSO.PARTIAL)
    for seg in segs:
        _restore_outer(seg, outer, outer_hlen, udp_offset)
        buf, uh = seg._head.buf, seg._transport_header
        length = seg._len - udp_offset
        if gso_partial and seg._head.gso_size:
            # the device cuts the rest: the header describes one MSS
            _put_be16(buf, uh + 4, seg._head.gso_size + gso_cb(seg).offset - uh)
        else:
            _put_be16(buf, uh + 4, length)
        if not need_csum:
            continue
        check = ~csum_fold(csum_add(partial, _htonl(length))) & _U16
        _store16(buf, uh + 6, check)
        if seg._encapsulation or not offload_csum:
            # in software; over an inner checksum the device is still to
            # fill, as if it were filled (local checksum offload)
            _store16(buf, uh + 6, gso_make_checksum(seg, ~check & _U32) or CSUM_MANGLED_0)
        else:
            seg._ip_summed = CHECKSUM_PARTIAL
            seg.csum_start = uh
            seg.csum_offset = 6
    return segs


def _gre_gso_segment(skb: SkBuff, features: int) -> Optional[list[SkBuff]]:
    """gre_gso_segment: data at the GRE header."""
    tnl_hlen = skb._inner_mac_header - skb._transport_header
    if not skb._encapsulation or tnl_hlen < 4 or not skb.may_pull(tnl_hlen):
        raise _einval("gre_gso_segment: not encapsulated, or no GRE header before the inner "
                      "mac header")
    need_csum = bool(skb._head.gso_type & SKB_GSO.GRE_CSUM)
    outer = _enter_inner(skb, tnl_hlen)
    skb._encap_hdr_csum = int(need_csum)
    offload_csum = need_csum and bool(features & NETIF_F.HW_CSUM)

    segs = _segment_inner(skb, features, outer)
    if segs is None:
        return None
    outer_hlen = _tnl_header_len(skb)
    gre_offset = outer_hlen - tnl_hlen
    gso_partial = bool(segs[0]._head.gso_type & SKB_GSO.PARTIAL)
    for seg in segs:
        _restore_outer(seg, outer, outer_hlen, gre_offset)
        if not need_csum:
            continue
        buf = seg._head.buf
        pcsum = seg._transport_header + 4  # after flags and protocol
        if gso_partial and seg._head.gso_size:
            # The payload sum covers the segment's real length, the inner
            # headers one MSS: the difference is taken out up front.
            adj = seg._len + seg.headroom - gso_cb(seg).offset - seg._head.gso_size
            _store16(buf, pcsum, ~csum_fold(_htonl(adj)))
        else:
            _store16(buf, pcsum, 0)
        _store16(buf, pcsum + 2, 0)  # reserved1
        if seg._encapsulation or not offload_csum:
            _store16(buf, pcsum, gso_make_checksum(seg, 0))
        else:
            seg._ip_summed = CHECKSUM_PARTIAL
            seg.csum_start = seg._transport_header
            seg.csum_offset = 4
    return segs


# ----------------------------------------------------------------------
# IPv4, IPv6


def _inet_gso_segment(skb: SkBuff, features: int) -> Optional[list[SkBuff]]:
    """inet_gso_segment: data at the IPv4 header."""
    skb.reset_network_header()
    nhoff = skb._network_header - skb._mac_header
    if not skb.may_pull(20):
        raise _einval("inet_gso_segment: no IPv4 header")
    buf, nh = skb._head.buf, skb._network_header
    ihl = (buf[nh] & 0x0F) * 4
    if ihl < 20:
        raise _einval(f"inet_gso_segment: ihl {ihl}")
    ip_id = _be16(buf, nh + 4)
    proto = buf[nh + 9]
    if not skb.may_pull(ihl):
        raise _einval("inet_gso_segment: IPv4 options beyond the packet")
    _pull(skb, ihl)
    cb = gso_cb(skb)
    encap = cb.encap_level > 0
    _set_gso_cb(skb, encap_level=cb.encap_level + ihl)
    skb.reset_transport_header()

    udpfrag = fixedid = False
    if not skb._encapsulation or encap:
        udpfrag = bool(skb._head.gso_type & SKB_GSO.UDP)
        fixedid = bool(skb._head.gso_type & SKB_GSO.TCP_FIXEDID)
        if fixedid and not _be16(skb._head.buf, skb._network_header + 6) & IP_DF:
            raise _enoproto("inet_gso_segment: a fixed IP ID needs DF")
    if proto == IPPROTO_TCP:
        segs = _tcp4_gso_segment(skb, features)
    elif proto == IPPROTO_UDP:
        segs = _udp4_gso_segment(skb, features)
    elif proto == IPPROTO_GRE:
        segs = _gre_gso_segment(skb, features)
    else:
        raise _enoproto(f"inet_gso_segment: no GSO for IP protocol {proto}")
    if segs is None:
        skb._network_header = skb._mac_header + nhoff
        return None

    gso_partial = bool(segs[0]._head.gso_type & SKB_GSO.PARTIAL)
    frag_offset = 0
    for seg in segs:
        buf = seg._head.buf
        iph = seg._mac_header + nhoff
        if udpfrag:
            more = IP_MF if seg is not segs[-1] else 0
            _put_be16(buf, iph + 6, (frag_offset >> 3) | more)
            frag_offset += seg._len - nhoff - ihl
            tot_len = seg._len - nhoff
        elif seg._head.gso_size:
            if not fixedid:
                _put_be16(buf, iph + 4, ip_id)
                ip_id += seg._head.gso_segs
            if gso_partial:
                # one MSS worth: the device cuts the rest
                tot_len = seg._head.gso_size + gso_cb(seg).offset - iph
            else:
                tot_len = seg._len - nhoff
        else:
            if not fixedid:
                _put_be16(buf, iph + 4, ip_id)
                ip_id += 1
            tot_len = seg._len - nhoff
        _put_be16(buf, iph + 2, tot_len)
        _store16(buf, iph + 10, 0)
        _store16(buf, iph + 10, ip_fast_csum(bytes(buf[iph:iph + ihl])))
        if encap:
            seg.reset_inner_headers()
        seg._network_header = iph
        seg.reset_mac_len()
    return segs


def _ipv6_pull_exthdrs(skb: SkBuff, proto: int) -> int:
    """ipv6_gso_pull_exthdrs: step over the extension headers GSO copies
    into every segment (hop-by-hop, routing, destination options), each
    (hdrlen + 1) * 8 bytes, made linear first; the protocol after them, or
    the header that could not be pulled."""
    while proto in IPV6_GSO_EXTHDRS:
        if not skb.may_pull(8):
            break
        length = (skb._head.buf[skb._data + 1] + 1) * 8
        if not skb.may_pull(length):
            break
        proto = skb._head.buf[skb._data]
        _pull(skb, length)
    return proto


def _ipv6_gso_segment(skb: SkBuff, features: int) -> Optional[list[SkBuff]]:
    """ipv6_gso_segment: data at the IPv6 header."""
    skb.reset_network_header()
    nhoff = skb._network_header - skb._mac_header
    if not skb.may_pull(40):
        raise _einval("ipv6_gso_segment: no IPv6 header")
    cb = gso_cb(skb)
    encap = cb.encap_level > 0
    _set_gso_cb(skb, encap_level=cb.encap_level + 40)
    proto = skb._head.buf[skb._network_header + 6]
    _pull(skb, 40)
    proto = _ipv6_pull_exthdrs(skb, proto)
    if proto == IPPROTO_TCP:
        handler = _tcp6_gso_segment
    elif proto == IPPROTO_UDP:
        handler = _udp6_gso_segment
    elif proto == IPPROTO_GRE:
        handler = _gre_gso_segment
    else:
        # (the transport header is set only for a protocol with a handler)
        raise _enoproto(f"ipv6_gso_segment: no GSO for next header {proto}")
    skb.reset_transport_header()
    segs = handler(skb, features)
    if segs is None:
        skb._network_header = skb._mac_header + nhoff
        return None

    gso_partial = bool(segs[0]._head.gso_type & SKB_GSO.PARTIAL)
    for seg in segs:
        ip6h = seg._mac_header + nhoff
        if gso_partial and seg._head.gso_size:
            payload_len = seg._head.gso_size + gso_cb(seg).offset - (ip6h + 40)
        else:
            payload_len = seg._len - nhoff - 40
        _put_be16(seg._head.buf, ip6h + 4, payload_len)
        seg._network_header = ip6h
        seg.reset_mac_len()
        if encap:
            seg.reset_inner_headers()
    return segs


# ----------------------------------------------------------------------
# the front-end (net/core/gso.c)


def _mac_gso_segment(skb: SkBuff, features: int) -> Optional[list[SkBuff]]:
    """skb_mac_gso_segment: past the mac header and any VLAN tags to the
    network protocol's handler; data back at the mac header afterwards."""
    proto, depth = network_protocol(skb)
    if not proto:
        raise _einval("skb_mac_gso_segment: no network protocol")
    _pull(skb, depth)
    try:
        if proto == ETH_P_IP:
            return _inet_gso_segment(skb, features)
        if proto == ETH_P_IPV6:
            return _ipv6_gso_segment(skb, features)
        raise _enoproto(f"skb_mac_gso_segment: no GSO for ethertype {proto:#06x}")
    finally:
        _push(skb, skb._data - skb._mac_header)


def gso_segment(skb: SkBuff, features: int) -> Optional[list[SkBuff]]:
    """skb_gso_segment: segment skb (data at the mac header, network header
    set, protocol, gso_size and gso_type set) for a device with features.
    Returns the segments, or None when the device can segment it itself (its
    gso_segs recomputed).  Refusals raise SkbSegmentError; skb is left at its
    mac header, its checksum fields maybe set up for offload."""
    if not isinstance(skb, SkBuff):
        raise TypeError(f"expected an SkBuff, not {type(skb).__name__}")
    features = _int(features, 0, _U64, "features")
    skb.mac_len  # a freed skb raises here
    skb._check_consistent("skb_gso_segment")
    if skb._ip_summed not in (CHECKSUM_PARTIAL, CHECKSUM_UNNECESSARY):
        # the handlers will write the TCP/UDP check field
        skb.cow_head(0)
    if features & NETIF_F.GSO_PARTIAL and not skb_gso_ok(skb, features | NETIF_F.GSO_ROBUST):
        features &= ~int(NETIF_F.GSO_PARTIAL)
    _set_gso_cb(skb, offset=skb.headroom, encap_level=0)
    skb.reset_mac_header()
    skb.reset_mac_len()
    return _mac_gso_segment(skb, int(features))


# ----------------------------------------------------------------------
# the SkBuff methods' bodies


def seg_next(skb: SkBuff) -> Optional[SkBuff]:
    """The next segment of the list skb came in (None at the end, or when
    skb is no segment)."""
    if skb._seg is None:
        return None
    segs, j = skb._seg
    return segs[j + 1] if j + 1 < len(segs) else None


def seg_prev(skb: SkBuff) -> Optional[SkBuff]:
    """For the first segment, the last (the kernel's segs->prev)."""
    if skb._seg is None or skb._seg[1]:
        return None
    return skb._seg[0][-1]


def gso_reset(skb: SkBuff) -> None:
    """skb_gso_reset: forget gso_size, gso_segs and gso_type."""
    if skb.is_cloned():
        raise SkbSharedWrite("skb_gso_reset: the shared info is shared with a clone")
    skb._head.gso_size = skb._head.gso_segs = skb._head.gso_type = 0


def _transport_seglen(skb: SkBuff) -> int:
    """skb_gso_transport_seglen: the L4 header(s) plus one MSS."""
    shinfo = skb._head
    tcp = shinfo.gso_type & (SKB_GSO.TCPV4 | SKB_GSO.TCPV6)
    if skb._encapsulation:
        thlen = skb._inner_transport_header - skb._transport_header
        if tcp:
            thlen += (skb._head.buf[skb._inner_transport_header + 12] >> 4) * 4
    elif tcp:
        thlen = (skb._head.buf[skb._transport_header + 12] >> 4) * 4
    elif shinfo.gso_type & SKB_GSO.SCTP:
        thlen = 12  # struct sctphdr
    elif shinfo.gso_type & SKB_GSO.UDP_L4:
        thlen = 8
    else:
        thlen = 0  # UFO: gso_size already counts the UDP header
    return (thlen + shinfo.gso_size) & _U32


def _size_check(skb: SkBuff, seg_len: int, max_len: int) -> bool:
    """skb_gso_size_check (unsigned 32-bit arithmetic)."""
    if skb._head.gso_size != GSO_BY_FRAGS:
        return seg_len <= max_len
    seg_len = (seg_len - GSO_BY_FRAGS) & _U32
    return all((seg_len + m.headlen) & _U32 <= max_len for m in skb._head.frag_list)


def _headers_readable(skb: SkBuff, mac: bool) -> None:
    """The emulator's guard: the headers the checks read must be there."""
    th = skb._inner_transport_header if skb._encapsulation else skb._transport_header
    if (skb._transport_header == _UNSET or th + 20 > skb._tail
            or skb._transport_header > skb._tail or (mac and skb._mac_header == _UNSET)):
        raise _einval("the GSO headers are not set, or not in the linear data")


def gso_validate_network_len(skb: SkBuff, mtu: int) -> bool:
    """skb_gso_validate_network_len: does every segment fit mtu from its
    network header on?"""
    _u32(mtu, "mtu")
    _headers_readable(skb, mac=False)
    hdr = (skb._transport_header - skb._network_header) & _U32
    return _size_check(skb, (hdr + _transport_seglen(skb)) & _U32, mtu)


def gso_validate_mac_len(skb: SkBuff, length: int) -> bool:
    """skb_gso_validate_mac_len: does every segment fit length from its mac
    header on?"""
    _u32(length, "len")
    _headers_readable(skb, mac=True)
    hdr = (skb._transport_header - skb._mac_header) & _U32
    return _size_check(skb, (hdr + _transport_seglen(skb)) & _U32, length)


__all__ = [
    "GSO_BY_FRAGS",
    "GsoCb",
    "NETIF_F",
    "SKB_GSO",
    "csum_ipv6_magic",
    "gso_cb",
    "gso_segment",
    "skb_segment",
]
