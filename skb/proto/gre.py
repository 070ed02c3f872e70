"""GRE over IPv4 (RFC 2784, RFC 2890) as the kernel's ip_gre does it.

* ``encap(s, tunnel)`` - ipgre_xmit / gre_tap_xmit: gre_build_header
  (checksum, key and sequence options, written from the end of the header)
  and ip_tunnel_xmit's outer IPv4 header, then Ethernet.  A ``GreTunnel``
  with ``tap`` carries Ethernet frames (protocol 0x6558, gretap); without,
  the IPv4 or IPv6 packet at data (protocol from ``s.protocol``).
* ``GreTunnel`` - ``ip link add ... type gre|gretap local A remote B
  [ikey K] [okey K] [iseq] [oseq] [icsum] [ocsum] [ttl T] [tos T]
  [nopmtudisc]``.  Its outer headers are built once per payload protocol
  into a ``skb.tunnel.TunnelTemplate`` that ``xmit``/``xmit_burst`` push;
  the bytes are the same as ``encap``'s.
* ``GreTunnels`` - the tunnels of a namespace, looked up as
  ip_tunnel_lookup does (exact addresses first, then wildcards; the key
  must match).
* ``decap(s, tunnels=None)`` - gre_rcv in gre_demux.c, gre_parse_header,
  ipgre_rcv and ip_tunnel_rcv: validated, stripped, returns the protocol,
  flags, key and sequence number.  Without ``tunnels`` only the header is
  checked (no lookup and no per-tunnel checks).

Defaults follow the kernel's except TTL: 64 here, where ``ip link`` leaves
0 (inherit the inner TTL; ``ttl=0`` does that).  With ``pmtudisc`` (the
default) DF is set; otherwise an inner IPv4 DF bit is copied.  TOS with
bit 0 set inherits the inner DS field; ECN always follows the inner packet.
Tunnels with TTL or TOS inheritance, or without pmtudisc, and frames with a
VLAN tag build their headers per packet (``encap``) instead of pushing a
template.

Receive drop reasons.  The kernel frees every GRE receive error with plain
kfree_skb (NOT_SPECIFIED); these name each one instead.  Outer checks as
``ip.outer_rcv`` (PKT_TOO_SMALL, UNHANDLED_PROTO, IP_INHDR, IP_CSUM,
IP_NOPROTO; outer IPv6 is UNHANDLED_PROTO: ip6_gre is not modelled), then:

=====================  ==========================================================
PKT_TOO_SMALL          fewer than 12 bytes from the GRE header on (gre_demux pulls 12
                       before it looks at anything)
UNHANDLED_PROTO        version not 0 (1 is PPTP, which ip_gre does not handle; a
                       reserved flag bit 0x0078 reads as a higher version there), or
                       the routing bit R (gre_parse_header refuses it)
HDR_TRUNC              the options the flags announce are cut off; the inner
                       Ethernet header of a 0x6558 packet is cut off
SKB_CSUM               C set and the checksum over header and payload is wrong;
                       with a tunnel, C present where the tunnel has no icsum or
                       absent where it has (rx_crc_errors)
NO_SOCKET              no tunnel matches (the kernel answers ICMP port unreachable)
NOT_SPECIFIED          iseq tunnel: no sequence number or an old one (rx_fifo_errors)
PKT_TOO_SMALL          inner IPv4/IPv6 header truncated (rx_length_errors)
IP_TUNNEL_ECN          outer CE on a not-ECT inner packet (rx_frame_errors)
NOMEM                  an allocation failed
=====================  ==========================================================

What decap leaves: data and the mac header at the inner packet (the
Ethernet header for 0x6558, else the IP header), the network header behind
it, ``protocol`` the inner ethertype, ``encapsulation`` 0, no accelerated
VLAN tag.  GRE checksums are verified over the whole GRE packet with
``s.checksum``, frags and frag_list included.
"""

from __future__ import annotations

import os
import struct
from typing import NamedTuple, Optional, Union

from ..drop import Drop, DropReason
from ..features import SKB_GSO
from ..tunnel import TunnelTemplate
from .headers import (
    ETH_HLEN,
    ETH_P_802_2,
    ETH_P_802_3_MIN,
    ETH_P_IP,
    ETH_P_IPV6,
    ETH_P_TEB,
    GRE_CSUM,
    GRE_KEY,
    GRE_ROUTING,
    GRE_SEQ,
    GRE_VERSION,
    IP_DF,
    IPPROTO_GRE,
    gre_calc_hlen,
    ip_bytes,
    ip_str,
    mac_bytes,
)
from .ip import (
    CHECKSUM_PARTIAL,
    IP_DEFAULT_TTL,
    LL_RESERVED_SPACE,
    U16_LE,
    LinkStats,
    csum_fold,
    csum_unnecessary,
    drop,
    ecn_decapsulate,
    ecn_encapsulate,
    eth_type_trans,
    inner_ip_facts,
    iptunnel_pull_offloads,
    ipv4_header,
    is_multicast,
    multicast_mac,
    outer_rcv,
    pull_rcsum,
    vlan_inet_prepare,
)

ETH_P_WCCP = 0x883E  # Web Cache Coordination Protocol: IPv4 inside, maybe a redirect header
GRE_DEMUX_PULL = 12  # bytes gre_demux's gre_rcv pulls before it reads the version
_GRE_GSO = int(SKB_GSO.GRE | SKB_GSO.GRE_CSUM)
_ANY = bytes(4)

_GREH = struct.Struct("!HH")
_U32 = struct.Struct("!I")
_ETH = struct.Struct("!6s6sH")


class GreInfo(NamedTuple):
    """What a successful decap read from the GRE and outer headers."""

    proto: int  # the GRE protocol type (after the WCCP fix-up)
    flags: int  # the GRE flags/version word
    key: Optional[int]  # None when K is clear
    seq: Optional[int]  # None when S is clear
    hdr_len: int
    tunnel: Optional["GreTunnel"]
    saddr: bytes
    daddr: bytes


def _addr(value) -> bytes:
    if value is None:
        return _ANY
    a = ip_bytes(value)
    if len(a) != 4:
        raise ValueError("ip_gre carries IPv4 outer headers only")
    return a


def _key(value: Optional[int]) -> Optional[int]:
    if value is not None and not 0 <= value <= 0xFFFFFFFF:
        raise ValueError(f"a GRE key is 32 bits, not {value}")
    return value


class GreTunnel:
    """A GRE (``tap=False``) or gretap (``tap=True``) tunnel endpoint.

    ``key`` sets both ``ikey`` and ``okey``, ``seq`` both ``iseq``/``oseq``,
    ``csum`` both ``icsum``/``ocsum``, as ``ip link`` does.  ``local`` or
    ``remote`` None is the wildcard (receive only).  ``src_mac``/``dst_mac``
    are the outer Ethernet addresses (the lower device and the next hop;
    the multicast mapping for a multicast remote), ``mac`` the tap device's
    own address for eth_type_trans.  ``stats`` counts both directions;
    ``o_seqno`` is the next sequence number sent, ``i_seqno`` the next one
    expected (0: any).
    """

    def __init__(self, local=None, remote=None, *, key: Optional[int] = None,
                 ikey: Optional[int] = None, okey: Optional[int] = None, seq: bool = False,
                 iseq: bool = False, oseq: bool = False, csum: bool = False,
                 icsum: bool = False, ocsum: bool = False, tap: bool = False, ttl: int = 64,
                 tos: int = 0, pmtudisc: bool = True, mac=None, src_mac=None, dst_mac=None,
                 ip_id: int = 0, o_seqno: int = 0) -> None:
        self.local = _addr(local)
        self.remote = _addr(remote)
        self.ikey = _key(key if ikey is None else ikey)
        self.okey = _key(key if okey is None else okey)
        self.iseq = seq or iseq
        self.oseq = seq or oseq
        self.icsum = csum or icsum
        self.ocsum = csum or ocsum
        self.tap = tap
        if not 0 <= ttl <= 255 or not 0 <= tos <= 255:
            raise ValueError("ttl and tos are 8-bit values")
        self.ttl = ttl
        self.tos = tos
        self.pmtudisc = pmtudisc
        if mac is None:
            mac = bytes([(os.urandom(1)[0] & 0xFE) | 0x02]) + os.urandom(5)
        self.mac = mac_bytes(mac)
        self.src_mac = mac_bytes(src_mac) if src_mac is not None else self.mac
        if dst_mac is None and is_multicast(self.remote):
            dst_mac = multicast_mac(self.remote)
        self.dst_mac = mac_bytes(dst_mac) if dst_mac is not None else None
        self.stats = LinkStats()
        self.i_seqno = 0
        self.oflags = (GRE_CSUM if self.ocsum else 0) | (GRE_KEY if self.okey is not None
                                                         else 0) | (GRE_SEQ if self.oseq else 0)
        self.hlen = gre_calc_hlen(self.oflags)
        # ipgre's needed_headroom: link layer, outer IPv4, GRE
        self.headroom = LL_RESERVED_SPACE + 20 + self.hlen
        self._gso_type = _GRE_GSO if self.ocsum else int(SKB_GSO.GRE)
        self._ip_id = ip_id & 0xFFFF
        self._seq = o_seqno & 0xFFFFFFFF
        self._templates: dict[int, TunnelTemplate] = {}
        self._active: Optional[TunnelTemplate] = None
        self._templated = ttl != 0 and not tos & 1 and pmtudisc

    # ------------------------------------------------------------------
    # counters shared by the generic path and the templates

    @property
    def o_seqno(self) -> int:
        return self._active.seq if self._active is not None else self._seq

    @property
    def ip_id(self) -> int:
        """The IPv4 ID the next packet gets."""
        return self._active.ip_id if self._active is not None else self._ip_id

    def _next(self, segs: int) -> tuple[int, int]:
        """(IPv4 ID, sequence number) for one packet, advancing both."""
        a = self._active
        if a is None:
            i, q = self._ip_id, self._seq
            self._ip_id = (i + segs) & 0xFFFF
            if self.oseq:
                self._seq = (q + 1) & 0xFFFFFFFF
            return i, q
        i, q = a.ip_id, a.seq
        a.ip_id = (i + segs) & 0xFFFF
        if self.oseq:
            a.seq = (q + 1) & 0xFFFFFFFF
        return i, q

    def template(self, proto: int) -> Optional[TunnelTemplate]:
        """The header template for payload protocol proto (built on first
        use; None when this tunnel builds headers per packet).  The
        template in use carries the tunnel's ID and sequence counters."""
        if not self._templated:
            return None
        t = self._templates.get(proto)
        if t is None:
            t = self._templates[proto] = self._build_template(proto)
        a = self._active
        if t is not a:
            if a is not None:
                t.ip_id, t.seq = a.ip_id, a.seq
            else:
                t.ip_id, t.seq = self._ip_id, self._seq
            self._active = t
        return t

    def _build_template(self, proto: int) -> TunnelTemplate:
        if self.dst_mac is None or self.remote == _ANY or self.local == _ANY:
            raise ValueError("sending needs local, remote and dst_mac")
        ip = ipv4_header(self.tos, 0, 0, IP_DF, self.ttl, IPPROTO_GRE, self.local,
                         self.remote)
        gre = _gre_header(self.oflags, proto, self.okey, self.hlen)
        hdr = _ETH.pack(self.dst_mac, self.src_mac, ETH_P_IP) + bytes(ip) + gre
        return TunnelTemplate(hdr, ETH_HLEN, ETH_HLEN + 20, gre=True, csum=self.ocsum,
                              ecn=True, inner_protocol=proto, gso_type=self._gso_type,
                              seq_offset=self.hlen - 4 if self.oseq else 0)

    # ------------------------------------------------------------------

    def _prepare(self, s) -> Optional[tuple[int, int, int]]:
        """(network offset, payload protocol, GRE protocol) of the packet at
        data, with its base IP header linear; None when it is too short."""
        if self.tap:
            prep = vlan_inet_prepare(s)
            if prep is None:
                return None
            return prep[0], prep[1], ETH_P_TEB
        protocol = s.protocol
        need = 20 if protocol == ETH_P_IP else 40 if protocol == ETH_P_IPV6 else 0
        if s.headlen < need and not s.may_pull(need):
            return None
        s.set_network_header(0)
        return 0, protocol, protocol

    def xmit(self, s) -> Union[object, Drop]:
        """Encapsulate the packet at data (an Ethernet frame for a tap
        tunnel, else an IP packet with ``s.protocol`` set); returns s, or
        Drop(reason) after freeing it.  Pushes the template when the
        settings allow, else builds the headers as ``encap``."""
        prep = self._prepare(s)
        if prep is None:
            self.stats.tx_dropped += 1
            return drop(s, DropReason.PKT_TOO_SMALL)
        nh, payload, proto = prep
        if not self._templated or nh != (ETH_HLEN if self.tap else 0):
            return _encap(s, self, nh, payload, proto)
        inner_len = s.len
        try:
            s.tnl_push(self.template(proto))
        except MemoryError:
            self.stats.tx_errors += 1
            return drop(s, DropReason.NOMEM)
        stats = self.stats
        stats.tx_packets += 1
        stats.tx_bytes += inner_len - nh
        return s

    def xmit_burst(self, skbs, proto: Optional[int] = None) -> list[int]:
        """Encapsulate a burst of prepared packets of one payload protocol
        (ETH_P_TEB for a tap tunnel, else ``proto``) with one engine call.
        Returns the indexes of the packets left unchanged (not freed)."""
        if not self._templated:
            raise ValueError("this tunnel builds headers per packet (TTL/TOS inherit or "
                             "nopmtudisc): use xmit")
        if not self.tap and proto is None:
            raise ValueError("a GRE (not tap) burst needs the payload protocol")
        t = self.template(ETH_P_TEB if self.tap else proto)
        failed = t.push_burst(skbs)
        self.stats.tx_packets += len(skbs) - len(failed)
        return failed

    def rcv(self, s):
        """``decap(s, self)``."""
        return decap(s, self)

    def _matches_key(self, has_key: bool, key: int) -> bool:
        """ip_tunnel_key_match."""
        if not has_key:
            return self.ikey is None
        return self.ikey is not None and self.ikey == key

    def __repr__(self) -> str:
        kind = "gretap" if self.tap else "gre"
        return f"GreTunnel({kind} {ip_str(self.local)} -> {ip_str(self.remote)})"


def _gre_header(flags: int, proto: int, key: Optional[int], hlen: int,
                seq: int = 0) -> bytearray:
    """gre_build_header's bytes: the optional words are laid out from the
    end (sequence last, key before it, the checksum word first), zero
    checksum."""
    h = bytearray(hlen)
    _GREH.pack_into(h, 0, flags, proto)
    at = hlen - 4
    if flags & GRE_SEQ:
        _U32.pack_into(h, at, seq)
        at -= 4
    if flags & GRE_KEY:
        _U32.pack_into(h, at, key)
    return h


def encap(s, tunnel: GreTunnel, proto: Optional[int] = None) -> Union[object, Drop]:
    """ipgre_xmit / gre_tap_xmit, header by header: GRE (with the tunnel's
    okey, oseq and ocsum), outer IPv4 and Ethernet in front of the packet at
    data.  The GRE protocol is 0x6558 for a tap tunnel, else ``proto`` or
    ``s.protocol``.  Returns s, or Drop(reason) after freeing it:
    PKT_TOO_SMALL when the packet is shorter than its IP header, NOMEM."""
    prep = tunnel._prepare(s)
    if prep is None:
        tunnel.stats.tx_dropped += 1
        return drop(s, DropReason.PKT_TOO_SMALL)
    nh, payload, gre_proto = prep
    return _encap(s, tunnel, nh, payload, gre_proto if proto is None else proto)


def _encap(s, t: GreTunnel, nh: int, payload: int, proto: int) -> Union[object, Drop]:
    stats = t.stats
    if t.dst_mac is None or t.remote == _ANY or t.local == _ANY:
        raise ValueError("sending needs local, remote and dst_mac")
    inner_len = s.len
    dsfield, inner_df, inner_ttl = inner_ip_facts(s, payload, nh)
    tos = t.tos
    if tos & 1:
        tos = dsfield if payload in (ETH_P_IP, ETH_P_IPV6) else tos & ~1
    tos = ecn_encapsulate(tos, dsfield)
    ttl = t.ttl or inner_ttl or IP_DEFAULT_TTL
    df = IP_DF if t.pmtudisc or (payload == ETH_P_IP and inner_df) else 0
    try:
        s.cow_head(t.headroom)
        s.reset_mac_header()
        s.iptunnel_handle_offloads(t._gso_type)
    except MemoryError:
        stats.tx_errors += 1
        return drop(s, DropReason.NOMEM)
    ip_id, seq = t._next(s.gso_segs or 1)
    # gre_build_header
    g = s.push(t.hlen)
    g[:] = _gre_header(t.oflags, proto, t.okey, t.hlen, seq)
    s.inner_protocol = proto
    s.reset_transport_header()
    if t.ocsum and not s.gso_type & _GRE_GSO:
        if s.ip_summed == CHECKSUM_PARTIAL:
            U16_LE.pack_into(g, 4, csum_fold(s.lco_csum()))
        else:
            s.ip_summed = CHECKSUM_PARTIAL
            s.csum_start = s.transport_header
            s.csum_offset = 4
    # ip_tunnel_xmit -> iptunnel_xmit
    tot_len = s.len + 20
    s.push(20)[:] = ipv4_header(tos, tot_len, ip_id, df, ttl, IPPROTO_GRE, t.local, t.remote)
    s.reset_network_header()
    _ETH.pack_into(s.push(ETH_HLEN), 0, t.dst_mac, t.src_mac, ETH_P_IP)
    s.reset_mac_header()
    s.reset_mac_len()
    s.protocol = ETH_P_IP
    stats.tx_packets += 1
    stats.tx_bytes += inner_len - nh
    return s


class GreTunnels:
    """The GRE tunnels of one namespace (ipgre_net_id and gre_tap_net_id):
    ``lookup`` finds the tunnel a received packet belongs to."""

    def __init__(self, tunnels=()) -> None:
        self._ip: list[GreTunnel] = []
        self._tap: list[GreTunnel] = []
        for t in tunnels:
            self.add(t)

    def add(self, tunnel: GreTunnel) -> None:
        # hlist_add_head: the newest tunnel is looked at first
        (self._tap if tunnel.tap else self._ip).insert(0, tunnel)

    def remove(self, tunnel: GreTunnel) -> None:
        (self._tap if tunnel.tap else self._ip).remove(tunnel)

    def __iter__(self):
        return iter(self._ip + self._tap)

    def __len__(self) -> int:
        return len(self._ip) + len(self._tap)

    def lookup(self, proto: int, flags: int, key: Optional[int], remote: bytes,
               local: bytes) -> Optional[GreTunnel]:
        """ip_tunnel_lookup for a packet from remote to local: gretap
        tunnels for 0x6558, the others otherwise."""
        return _lookup(self._tap if proto == ETH_P_TEB else self._ip, flags, key, remote,
                       local)


def _lookup(tunnels, flags: int, key: Optional[int], remote: bytes,
            local: bytes) -> Optional[GreTunnel]:
    has_key = bool(flags & GRE_KEY)
    k = key or 0
    for t in tunnels:
        if t.local == local and t.remote == remote and t._matches_key(has_key, k):
            return t
    for t in tunnels:
        if t.remote == remote and t.local == _ANY and t._matches_key(has_key, k):
            return t
    mcast = is_multicast(local)
    for t in tunnels:
        if ((t.local == local and t.remote == _ANY) or (t.remote == local and mcast)) and \
                t._matches_key(has_key, k):
            return t
    for t in tunnels:
        if t.local == _ANY and t.remote == _ANY and (t.ikey or 0) == k:
            return t
    return None


def decap(s, tunnels: Union[GreTunnel, GreTunnels, None] = None):
    """The receive path of a GRE frame at data (outer Ethernet header):
    ip_rcv, gre_demux's gre_rcv, gre_parse_header and - with ``tunnels``
    (one GreTunnel or a GreTunnels) - the tunnel lookup and ip_tunnel_rcv's
    checksum-presence and sequence checks.  See the module's table of drop
    reasons.  Returns ``(s, GreInfo)`` with the inner packet at data, or
    ``Drop(reason)`` with s freed."""
    o = outer_rcv(s, IPPROTO_GRE, False)
    if type(o) is not tuple:
        return drop(s, o)
    d, g, saddr, daddr, outer_ds, _ipv6, n = o
    # gre_rcv (gre_demux.c)
    if n - g < GRE_DEMUX_PULL:
        return drop(s, DropReason.PKT_TOO_SMALL)
    if len(d) < g + GRE_DEMUX_PULL:
        if not s.may_pull(g + GRE_DEMUX_PULL):
            return drop(s, DropReason.NOMEM)
        d = s.data
    if d[g + 1] & 0x7F:
        return drop(s, DropReason.UNHANDLED_PROTO)
    # gre_parse_header
    flags, proto = _GREH.unpack_from(d, g)
    if flags & (GRE_VERSION | GRE_ROUTING):
        return drop(s, DropReason.UNHANDLED_PROTO)
    hlen = gre_calc_hlen(flags)
    if n - g < hlen:
        return drop(s, DropReason.HDR_TRUNC)
    if len(d) < g + hlen:
        if not s.may_pull(g + hlen):
            return drop(s, DropReason.NOMEM)
        d = s.data
    at = g + 4
    if flags & GRE_CSUM:
        # skb_checksum_simple_validate: unless the device vouched for it
        ip_summed = s.ip_summed
        if not (ip_summed and csum_unnecessary(s, ip_summed, g)):
            c = s.checksum(g, n - g)
            c = (c & 0xFFFF) + (c >> 16)
            if (c & 0xFFFF) + (c >> 16) != 0xFFFF:
                return drop(s, DropReason.SKB_CSUM)
        at += 4
    key = seq = None
    if flags & GRE_KEY:
        key = _U32.unpack_from(d, at)[0]
        at += 4
    if flags & GRE_SEQ:
        seq = _U32.unpack_from(d, at)[0]
    if flags == 0 and proto == ETH_P_WCCP:
        # WCCP: IPv4 inside, behind a 4-byte redirect header unless it starts right away
        first = s.header_pointer(g + hlen, 1)
        if first is None:
            return drop(s, DropReason.HDR_TRUNC)
        proto = ETH_P_IP
        if first[0] & 0xF0 != 0x40:
            hlen += 4
    # ipgre_rcv: the tunnel
    t = None
    if tunnels is not None:
        if isinstance(tunnels, GreTunnel):
            pool = [tunnels] if tunnels.tap == (proto == ETH_P_TEB) else []
            t = _lookup(pool, flags, key, saddr, daddr)
        else:
            t = tunnels.lookup(proto, flags, key, saddr, daddr)
        if t is None:
            return drop(s, DropReason.NO_SOCKET)
    # __iptunnel_pull_header(hdr_len, proto)
    inner = g + hlen
    need = inner + ETH_HLEN if proto == ETH_P_TEB else inner
    if n < need:
        return drop(s, DropReason.HDR_TRUNC)
    if len(d) < need:
        if not s.may_pull(need):
            return drop(s, DropReason.NOMEM)
        d = s.data
    hl = len(d)
    pull_rcsum(s, inner)
    if proto == ETH_P_TEB:
        et = d[inner + 12] << 8 | d[inner + 13]
        protocol = et if et >= ETH_P_802_3_MIN else ETH_P_802_2
        nh = ETH_HLEN
    else:
        protocol = proto
        nh = 0
    s.protocol = protocol
    try:
        if iptunnel_pull_offloads(s):  # a new head
            hl = len(s.data) + inner
    except MemoryError:
        return drop(s, DropReason.NOMEM)
    s.reset_mac_header()
    stats = t.stats if t is not None else None
    if t is not None:
        # ip_tunnel_rcv
        if t.icsum != bool(flags & GRE_CSUM):
            stats.rx_crc_errors += 1
            stats.rx_errors += 1
            return drop(s, DropReason.SKB_CSUM)
        if t.iseq:
            if seq is None or (t.i_seqno and ((seq - t.i_seqno) & 0xFFFFFFFF) >= 0x80000000):
                stats.rx_fifo_errors += 1
                stats.rx_errors += 1
                return drop(s, DropReason.NOT_SPECIFIED)
            t.i_seqno = (seq + 1) & 0xFFFFFFFF
    s.set_network_header(nh)
    # pskb_inet_may_pull
    nh_len = 20 if protocol == ETH_P_IP else 40 if protocol == ETH_P_IPV6 else 0
    if hl - inner < nh + nh_len and not s.may_pull(nh + nh_len):
        if stats is not None:
            stats.rx_length_errors += 1
            stats.rx_errors += 1
        return drop(s, DropReason.PKT_TOO_SMALL)
    if outer_ds & 3 and ecn_decapsulate(s, outer_ds, protocol, nh) > 1:
        if stats is not None:
            stats.rx_frame_errors += 1
            stats.rx_errors += 1
        return drop(s, DropReason.IP_TUNNEL_ECN)
    if stats is not None:
        stats.rx_packets += 1
        stats.rx_bytes += n - inner
        if t.tap:
            s.protocol, s.pkt_type = eth_type_trans(s.data, 0, t.mac)
    s.reset_mac_len()
    return s, GreInfo(proto, flags, key, seq, hlen, t, saddr, daddr)


__all__ = ["ETH_P_WCCP", "GRE_DEMUX_PULL", "GreInfo", "GreTunnel", "GreTunnels", "decap",
           "encap"]
