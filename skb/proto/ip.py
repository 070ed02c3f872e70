"""What the tunnel decaps and encaps share: the outer Ethernet/IPv4/IPv6
receive checks (eth_type_trans, ip_rcv_core, ipv6_rcv), receive checksum
bookkeeping (skb_pull_rcsum, pskb_trim_rcsum), ECN across a tunnel
(INET_ECN_encapsulate/decapsulate), the inner-header preparation of the
transmit paths (skb_vlan_inet_prepare) and per-device counters.

Everything is written against the public skb API plus Python arithmetic,
so it runs on the C engine and on the pure-Python twin alike.  Partial
checksums (``s.csum``, ``s.checksum()``) are the kernel's ``__wsum``; the
helpers named ``csum_*`` here follow its generic arithmetic.
"""

from __future__ import annotations

import struct
from typing import Optional, Union

from ..drop import Drop, DropReason
from ..features import SKB_GSO
from .headers import (
    ETH_HLEN,
    ETH_P_802_2,
    ETH_P_802_3,
    ETH_P_802_3_MIN,
    ETH_P_8021AD,
    ETH_P_8021Q,
    ETH_P_IP,
    ETH_P_IPV6,
    INET_ECN_CE,
    INET_ECN_ECT_0,
    INET_ECN_ECT_1,
    INET_ECN_MASK,
    INET_ECN_NOT_ECT,
    IP_DF,
    IP_MF,
    IP_OFFSET,
    VLAN_HLEN,
    fold16,
)

# skb->ip_summed values
CHECKSUM_NONE = 0
CHECKSUM_UNNECESSARY = 1
CHECKSUM_COMPLETE = 2
CHECKSUM_PARTIAL = 3

# skb->pkt_type values (eth_type_trans)
PACKET_HOST = 0
PACKET_BROADCAST = 1
PACKET_MULTICAST = 2
PACKET_OTHERHOST = 3

IP_DEFAULT_TTL = 64  # net.ipv4.ip_default_ttl, what ip4_dst_hoplimit gives
IPV6_DEFAULT_HOPLIMIT = 64
VLAN_MAX_DEPTH = 8  # nested tags __vlan_get_protocol walks
LL_RESERVED_SPACE = 16  # LL_RESERVED_SPACE(dev) for Ethernet: 14 rounded up to 16

M32 = 0xFFFFFFFF
BROADCAST = b"\xff" * 6

# the tunnel GSO bits iptunnel_pull_offloads clears (NETIF_F_GSO_ENCAP_ALL)
GSO_ENCAP_ALL = int(SKB_GSO.GRE | SKB_GSO.GRE_CSUM | SKB_GSO.IPXIP4 | SKB_GSO.IPXIP6 |
                    SKB_GSO.UDP_TUNNEL | SKB_GSO.UDP_TUNNEL_CSUM)

IPH = struct.Struct("!BBHHHBBH4s4s")
IPH_WORDS = struct.Struct("!10H")
IP6H = struct.Struct("!IHBB16s16s")
U16 = struct.Struct("!H")
U16_LE = struct.Struct("<H")

_DROPS = {reason: Drop(reason) for reason in DropReason}


def drop(s, reason: DropReason) -> Drop:
    """kfree_skb_reason, and the verdict that says so."""
    s.kfree(reason)
    return _DROPS[reason]


class LinkStats:
    """A tunnel device's counters, as ``ip -s -s link`` shows them."""

    __slots__ = ("rx_packets", "rx_bytes", "rx_errors", "rx_dropped", "rx_length_errors",
                 "rx_crc_errors", "rx_frame_errors", "rx_fifo_errors", "tx_packets",
                 "tx_bytes", "tx_errors", "tx_dropped")

    def __init__(self) -> None:
        for name in self.__slots__:
            setattr(self, name, 0)

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __repr__(self) -> str:
        moved = ", ".join(f"{k}={v}" for k, v in self.as_dict().items() if v)
        return f"LinkStats({moved})"


# ----------------------------------------------------------------------
# partial checksum arithmetic (the kernel's generic __wsum helpers)

def csum_add(csum: int, addend: int) -> int:
    r = csum + addend
    return (r & M32) + (r >> 32)


def csum_sub(csum: int, addend: int) -> int:
    return csum_add(csum, ~addend & M32)


def _ror8(x: int) -> int:
    return ((x >> 8) | (x << 24)) & M32


def csum_block_add(csum: int, csum2: int, offset: int) -> int:
    """Add the sum of a block that starts at an odd or even offset."""
    return csum_add(csum, _ror8(csum2) if offset & 1 else csum2)


def csum_block_sub(csum: int, csum2: int, offset: int) -> int:
    return csum_sub(csum, _ror8(csum2) if offset & 1 else csum2)


def csum_fold(csum: int) -> int:
    """The complemented 16-bit checksum of a partial sum, as the engine
    stores it (native little-endian u16: store with ``<H``)."""
    return ~fold16(csum) & 0xFFFF


def postpush_rcsum(s, offset: int, n: int) -> None:
    """skb_postpush_rcsum: n bytes at offset were just pushed; a
    CHECKSUM_COMPLETE sum must now cover them."""
    if s.ip_summed == CHECKSUM_COMPLETE:
        s.csum = csum_block_add(s.csum, s.checksum(offset, n), offset)


def postpull_rcsum(s, offset: int, n: int) -> None:
    """skb_postpull_rcsum, called before the n bytes at offset go: a
    CHECKSUM_COMPLETE sum stops covering them."""
    if s.ip_summed == CHECKSUM_COMPLETE:
        s.csum = ~s.checksum(offset, n, ~s.csum & M32) & M32


def pull_rcsum(s, n: int, ip_summed: Optional[int] = None) -> None:
    """skb_pull_rcsum: pull n bytes, keeping a CHECKSUM_COMPLETE sum right
    and giving up a CHECKSUM_PARTIAL one whose start was pulled off
    (ip_summed: the skb's, when the caller has just read it)."""
    if ip_summed is None:
        ip_summed = s.ip_summed
    if ip_summed == CHECKSUM_COMPLETE:
        s.csum = ~s.checksum(0, n, ~s.csum & M32) & M32
    s.pull(n)
    if ip_summed == CHECKSUM_PARTIAL and s.csum_start < s.data_offset:
        s.ip_summed = CHECKSUM_NONE


def csum_unnecessary(s, ip_summed: int, offset: int) -> bool:
    """skb_csum_unnecessary for the checksum of the header at offset from
    data: the device verified it (CHECKSUM_UNNECESSARY), or it is a local
    packet whose checksum is still to be filled (CHECKSUM_PARTIAL from there
    on).  A verified level is used up as __skb_decr_checksum_unnecessary
    does: the next checksum inside is not covered by it."""
    if ip_summed == CHECKSUM_UNNECESSARY:
        level = s.csum_level
        if level:
            s.csum_level = level - 1
        else:
            s.ip_summed = CHECKSUM_NONE
        return True
    return ip_summed == CHECKSUM_PARTIAL and s.csum_start - s.data_offset >= offset


def trim_rcsum(s, n: int) -> None:
    """pskb_trim_rcsum: cut the packet to n bytes (link-layer padding),
    taking the cut bytes out of a CHECKSUM_COMPLETE sum."""
    if s.ip_summed == CHECKSUM_COMPLETE:
        s.csum = csum_block_sub(s.csum, s.checksum(n, s.len - n), n)
    s.pskb_trim(n)


def iptunnel_pull_offloads(s) -> bool:
    """The tail of __iptunnel_pull_header once the outer headers are
    pulled: forget the VLAN tag and queue, make a GSO packet an inner one
    (its head unshared first: the tunnel GSO bits go) and clear
    ``encapsulation``.  True when the head was unshared (views taken before
    map the old one); MemoryError when unsharing fails."""
    s.vlan_proto = 0
    s.vlan_tci = 0
    s.queue_mapping = 0
    unshared = bool(s.gso_size)
    if unshared:
        s.cow(0)
        s.gso_type &= ~GSO_ENCAP_ALL
    s.encapsulation = 0
    return unshared


# ----------------------------------------------------------------------
# receive

def eth_type_trans(d, off: int, dev_mac: bytes) -> tuple[int, int]:
    """eth_type_trans without the pull: (protocol, pkt_type) of the Ethernet
    header at off of the linear view d, for a device with address dev_mac."""
    dst = bytes(d[off:off + 6])
    if dst[0] & 1:
        pkt_type = PACKET_BROADCAST if dst == BROADCAST else PACKET_MULTICAST
    elif dst != dev_mac:
        pkt_type = PACKET_OTHERHOST
    else:
        pkt_type = PACKET_HOST
    proto = d[off + 12] << 8 | d[off + 13]
    if proto >= ETH_P_802_3_MIN:
        return proto, pkt_type
    # an 802.3 length: raw IPX is told apart by its 0xFFFF checksum field
    raw = bytes(d[off + 14:off + 16])
    return (ETH_P_802_3 if raw == b"\xff\xff" else ETH_P_802_2), pkt_type


def outer_rcv(s, want_proto: int, allow_ipv6: bool) -> Union[tuple, DropReason]:
    """Validate an Ethernet frame's outer IPv4 (ip_rcv_core) or IPv6
    (ipv6_rcv) header as the kernel's receive path does and trim link-layer
    padding.  The skb's data is at the Ethernet header and stays there.

    Returns ``(d, l4, saddr, daddr, dsfield, ipv6, n)``: the linear data
    view, where the transport header starts, the addresses, the outer DS
    field (TOS / traffic class), whether it is IPv6, and the packet length
    after trimming - or the drop reason:

    shorter than an Ethernet header, PKT_TOO_SMALL; an ethertype other than
    IPv4 (or IPv6 when allowed), UNHANDLED_PROTO (as __netif_receive_skb_core
    with no handler); IPv4 header short or malformed, IP_INHDR; its checksum
    wrong, IP_CSUM; total length past the frame, PKT_TOO_SMALL; a fragment,
    UNHANDLED_PROTO (reassembly is not a decap's job here); IPv6 version not
    6, UNHANDLED_PROTO; IPv6 payload past the frame, PKT_TOO_SMALL; a
    transport protocol (or IPv6 extension header) other than want_proto,
    IP_NOPROTO."""
    n = s.len
    if n < ETH_HLEN:
        return DropReason.PKT_TOO_SMALL
    d = s.data
    hl = len(d)
    if hl < ETH_HLEN:
        if not s.may_pull(ETH_HLEN):
            return DropReason.NOMEM
        d = s.data
        hl = len(d)
    etype = d[12] << 8 | d[13]
    if etype == ETH_P_IP:
        if hl < 34:
            if n < 34 or not s.may_pull(34):
                return DropReason.IP_INHDR
            d = s.data
            hl = len(d)
        vhl, tos, tot, _id, frag, _ttl, proto, _check, saddr, daddr = IPH.unpack_from(d, 14)
        ihl = (vhl & 0x0F) << 2
        if vhl >> 4 != 4 or ihl < 20:
            return DropReason.IP_INHDR
        l4 = ETH_HLEN + ihl
        if hl < l4:
            if n < l4 or not s.may_pull(l4):
                return DropReason.IP_INHDR
            d = s.data
        # ip_fast_csum over the linear header: Python words beat a call here
        c = sum(IPH_WORDS.unpack_from(d, ETH_HLEN) if ihl == 20 else
                struct.unpack_from(f"!{ihl >> 1}H", d, ETH_HLEN))
        c = (c & 0xFFFF) + (c >> 16)
        if (c & 0xFFFF) + (c >> 16) != 0xFFFF:
            return DropReason.IP_CSUM
        if n - ETH_HLEN < tot:
            return DropReason.PKT_TOO_SMALL
        if tot < ihl:
            return DropReason.IP_INHDR
        if n > ETH_HLEN + tot:
            n = ETH_HLEN + tot
            trim_rcsum(s, n)
            d = s.data
        if frag & (IP_MF | IP_OFFSET):
            return DropReason.UNHANDLED_PROTO
        if proto != want_proto:
            return DropReason.IP_NOPROTO
        return d, l4, saddr, daddr, tos, False, n
    if etype == ETH_P_IPV6 and allow_ipv6:
        if hl < 54:
            if n < 54 or not s.may_pull(54):
                return DropReason.IP_INHDR
            d = s.data
        vtf, plen, nexthdr, _hlim, saddr, daddr = IP6H.unpack_from(d, 14)
        if vtf >> 28 != 6:
            return DropReason.UNHANDLED_PROTO
        if plen or nexthdr != 0:
            if 54 + plen > n:
                return DropReason.PKT_TOO_SMALL
            if n > 54 + plen:
                n = 54 + plen
                trim_rcsum(s, n)
                d = s.data
        if nexthdr != want_proto:
            return DropReason.IP_NOPROTO
        return d, 54, saddr, daddr, (vtf >> 20) & 0xFF, True, n
    return DropReason.UNHANDLED_PROTO


def _set_inner_ecn(s, protocol: int, nh: int, ecn: int) -> None:
    """Give the inner IPv4/IPv6 header at nh the ECN codepoint ecn (fixing
    the IPv4 header checksum), after making it writable."""
    if protocol == ETH_P_IP:
        s.ensure_writable(nh + 20)
        d = s.data
        old = d[nh] << 8 | d[nh + 1]
        d[nh + 1] = (d[nh + 1] & ~INET_ECN_MASK & 0xFF) | ecn
        new = d[nh] << 8 | d[nh + 1]
        # RFC 1624: HC' = ~(~HC + ~m + m') for the one 16-bit word that changed
        check = U16.unpack_from(d, nh + 10)[0]
        U16.pack_into(d, nh + 10, ~fold16((~check & 0xFFFF) + (~old & 0xFFFF) + new) & 0xFFFF)
    else:
        s.ensure_writable(nh + 2)
        d = s.data
        d[nh + 1] = (d[nh + 1] & ~(INET_ECN_MASK << 4) & 0xFF) | (ecn << 4)


def inner_dsfield(s, protocol: int, nh: int) -> int:
    """The DS field of the inner IPv4/IPv6 header at nh (0 for other
    protocols), as ip_tunnel_get_dsfield reads it."""
    if protocol == ETH_P_IP:
        b = s.header_pointer(nh, 2)
        return b[1] if b is not None and b[0] >> 4 == 4 else 0
    if protocol == ETH_P_IPV6:
        b = s.header_pointer(nh, 2)
        return ((b[0] << 4) | (b[1] >> 4)) & 0xFF if b is not None and b[0] >> 4 == 6 else 0
    return 0


def ecn_decapsulate(s, outer_dsfield: int, protocol: int, nh: int) -> int:
    """INET_ECN_decapsulate for the inner IPv4/IPv6 header at nh: 0 fine
    (the inner header may get CE or ECT(1) from the outer one), 1 the outer
    header was ECT but the inner is not (logged by the kernel, accepted), 2
    the outer said CE to a not-ECT inner packet (the kernel drops it)."""
    outer = outer_dsfield & INET_ECN_MASK
    # a not-ECT outer header never changes or refuses the inner packet
    if outer == INET_ECN_NOT_ECT or protocol not in (ETH_P_IP, ETH_P_IPV6):
        return 0
    inner = inner_dsfield(s, protocol, nh) & INET_ECN_MASK
    if inner == INET_ECN_NOT_ECT:
        return 2 if outer == INET_ECN_CE else 1
    if outer == INET_ECN_CE:
        if inner != INET_ECN_CE:
            _set_inner_ecn(s, protocol, nh, INET_ECN_CE)
    elif outer == INET_ECN_ECT_1 and inner == INET_ECN_ECT_0:
        _set_inner_ecn(s, protocol, nh, INET_ECN_ECT_1)
    return 0


# ----------------------------------------------------------------------
# transmit

def ecn_encapsulate(tos: int, inner_dsfield: int) -> int:
    """INET_ECN_encapsulate: the outer TOS takes the inner ECN field, CE
    going out as ECT(0)."""
    ecn = inner_dsfield & INET_ECN_MASK
    return (tos & ~INET_ECN_MASK & 0xFF) | (INET_ECN_ECT_0 if ecn == INET_ECN_CE else ecn)


def vlan_inet_prepare(s) -> Optional[tuple[int, int]]:
    """skb_vlan_inet_prepare for a frame starting at data: the network
    header goes behind the Ethernet header and any VLAN tags, and the base
    IPv4/IPv6 header is pulled into the linear part.  Returns (that offset,
    the ethertype behind the tags), or None when the frame is too short
    (the kernel drops it as NOMEM)."""
    protocol = s.protocol
    maclen = ETH_HLEN
    if protocol in (ETH_P_8021Q, ETH_P_8021AD):
        protocol, maclen = vlan_protocol_depth(s, protocol)
    if protocol == ETH_P_IP:
        need = maclen + 20
    elif protocol == ETH_P_IPV6:
        need = maclen + 40
    else:
        need = maclen
    if s.headlen < need and not s.may_pull(need):
        return None
    s.set_network_header(maclen)
    return maclen, protocol


def vlan_protocol_depth(s, protocol: int) -> tuple[int, int]:
    """__vlan_get_protocol: the ethertype behind the VLAN tags of the frame
    at data, and where it starts; (0, 14) when the tags cannot be read."""
    depth = ETH_HLEN
    for _ in range(VLAN_MAX_DEPTH):
        if protocol not in (ETH_P_8021Q, ETH_P_8021AD):
            return protocol, depth
        tag = s.header_pointer(depth, VLAN_HLEN)
        if tag is None:
            return 0, ETH_HLEN
        protocol = tag[2] << 8 | tag[3]
        depth += VLAN_HLEN
    return 0, ETH_HLEN


def inner_ip_facts(s, protocol: int, nh: int) -> tuple[int, bool, int]:
    """(DS field, DF, TTL) of the inner IPv4/IPv6 header at nh, as the
    tunnel transmit paths read them; (0, False, 0) for other protocols.
    An IPv6 packet counts as DF (it is never fragmented on the way)."""
    if protocol == ETH_P_IP:
        b = s.header_pointer(nh, 9)
        if b is not None and b[0] >> 4 == 4:
            return b[1], bool((b[6] << 8) & IP_DF), b[8]
    elif protocol == ETH_P_IPV6:
        b = s.header_pointer(nh, 8)
        if b is not None and b[0] >> 4 == 6:
            return ((b[0] << 4) | (b[1] >> 4)) & 0xFF, True, b[7]
    return 0, False, 0


def multicast_mac(ip: bytes) -> bytes:
    """ip_eth_mc_map / ipv6_eth_mc_map: the Ethernet address of a multicast group."""
    if len(ip) == 4:
        return bytes((0x01, 0x00, 0x5E, ip[1] & 0x7F, ip[2], ip[3]))
    return b"\x33\x33" + ip[12:16]


def is_multicast(ip: bytes) -> bool:
    return (ip[0] & 0xF0) == 0xE0 if len(ip) == 4 else ip[0] == 0xFF


def ipv4_header(tos: int, tot_len: int, ip_id: int, frag_off: int, ttl: int, proto: int,
                saddr: bytes, daddr: bytes) -> bytearray:
    """A 20-byte IPv4 header with its checksum filled in."""
    h = bytearray(IPH.pack(0x45, tos, tot_len, ip_id, frag_off, ttl, proto, 0, saddr, daddr))
    U16.pack_into(h, 10, ~fold16(sum(struct.unpack("!10H", h))) & 0xFFFF)
    return h


def ipv6_header(tclass: int, flowlabel: int, plen: int, nexthdr: int, hop_limit: int,
                saddr: bytes, daddr: bytes) -> bytes:
    """A 40-byte IPv6 header."""
    return IP6H.pack(6 << 28 | (tclass & 0xFF) << 20 | (flowlabel & 0xFFFFF), plen, nexthdr,
                     hop_limit, saddr, daddr)


__all__ = [
    "CHECKSUM_COMPLETE", "CHECKSUM_NONE", "CHECKSUM_PARTIAL", "CHECKSUM_UNNECESSARY",
    "GSO_ENCAP_ALL", "IP_DEFAULT_TTL", "IPV6_DEFAULT_HOPLIMIT", "LinkStats",
    "PACKET_BROADCAST", "PACKET_HOST", "PACKET_MULTICAST", "PACKET_OTHERHOST", "csum_add",
    "csum_block_add", "csum_block_sub", "csum_fold", "csum_sub", "csum_unnecessary", "drop",
    "ecn_decapsulate", "ecn_encapsulate", "eth_type_trans", "inner_dsfield", "inner_ip_facts",
    "iptunnel_pull_offloads", "ipv4_header", "ipv6_header", "is_multicast", "multicast_mac",
    "outer_rcv", "postpull_rcsum", "postpush_rcsum", "pull_rcsum", "trim_rcsum",
    "vlan_inet_prepare", "vlan_protocol_depth",
]
