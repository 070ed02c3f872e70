"""VXLAN (RFC 7348) as the kernel's driver does it (drivers/net/vxlan).

* ``encap(s, vni, tunnel)`` - vxlan_xmit_one + vxlan_build_skb +
  udp_tunnel_xmit_skb, header by header: the frame at data gets VXLAN,
  UDP, IPv4 or IPv6 and Ethernet in front of it.
* ``VxlanTunnel`` - one destination (local and remote address, port, VNI,
  TTL/TOS/DF, checksum policy).  Its outer headers are built once into a
  ``skb.tunnel.TunnelTemplate`` and ``xmit``/``xmit_burst`` push them with
  one engine call per packet or per burst; the bytes are the same as
  ``encap``'s.
* ``decap(s, devices)`` - the receive path from the outer Ethernet header
  through ip_rcv, the UDP socket and vxlan_rcv: validated, stripped,
  the inner frame left at data.
* ``VxlanDevice`` - a vxlan netdevice: VNI, port, local address, default
  remote or multicast group, learning, an FDB, and counters.

Transmit defaults are the kernel's for ``ip link add ... type vxlan``
except the port: 4789 (IANA) here, 8472 (``VXLAN_LINUX_PORT``) being the
driver's historical default.  The outer UDP checksum is off for IPv4 and on
for IPv6; TTL 0 means the route's hop limit (64), or 1 towards a multicast
group; TOS 0, or 1 to inherit the inner DS field; the outer ECN field
always follows the inner one (INET_ECN_encapsulate); DF unset, "set" or
"inherit" (from an inner IPv4 DF bit; IPv6 inner packets always).  The UDP
source port comes from the inner flow hash (``udp_flow_src_port``) in the
local port range unless a range is given.  The IPv4 ID is a per-tunnel
counter (the kernel draws it per destination).

Receive drop reasons (the skb is freed with ``kfree(reason)`` and
``Drop(reason)`` returned).  The outer checks are ``ip.outer_rcv``'s
(PKT_TOO_SMALL, UNHANDLED_PROTO, IP_INHDR, IP_CSUM, IP_NOPROTO); then:

=====================  ==========================================================
PKT_TOO_SMALL          UDP header truncated (the kernel says NOT_SPECIFIED), UDP
                       length beyond the packet or below 8, UDP + VXLAN header
                       shorter than 16 bytes (vxlan_rcv's pskb_may_pull_reason)
UDP_CSUM               non-zero UDP checksum that does not verify; a zero checksum
                       over IPv6 unless the device allows it (RFC 6935)
NO_SOCKET              destination port is not the VXLAN port
VXLAN_INVALID_HDR      I flag clear; or a reserved bit set (by default any bit but I
                       in the flag word and the low byte of the VNI word: counted as
                       the device's rx_frame_errors), checked after the VNI lookup
VXLAN_VNI_NOT_FOUND    no device with that VNI (and outer address family)
HDR_TRUNC              inner Ethernet header truncated (the kernel reports this as
                       NOMEM: its pull helper cannot tell short from out of memory)
LOCAL_MAC              inner source MAC is the device's own (a loop)
MAC_INVALID_SOURCE     learning on and the inner source MAC multicast or zero
VXLAN_ENTRY_EXISTS     learning on and a static FDB entry puts that source MAC
                       behind another remote
PKT_TOO_SMALL          inner IPv4/IPv6 header truncated (rx_length_errors)
IP_TUNNEL_ECN          outer CE on a not-ECT inner packet (rx_frame_errors)
NOMEM                  an allocation failed (pulling, unsharing)
=====================  ==========================================================

What decap leaves: data and the mac header at the inner Ethernet header,
the network header 14 bytes on, ``protocol`` and ``pkt_type`` as
eth_type_trans would set them (the kernel's own eth_type_trans also pulls
the 14 bytes; here the inner frame stays whole), no accelerated VLAN tag,
``encapsulation`` 0 and tunnel GSO bits cleared, a CHECKSUM_COMPLETE sum
still right; ECN CE or ECT(1) copied into the inner IP header.  Device
counters count the inner packet without its Ethernet header, as the
kernel's do.  Outer IPv4 fragments are not reassembled (UNHANDLED_PROTO).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Mapping
from typing import NamedTuple, Optional, Union

from ..drop import Drop, DropReason
from ..features import SKB_GSO
from ..tunnel import TunnelTemplate
from .headers import (
    ETH_HLEN,
    ETH_P_IP,
    ETH_P_IPV6,
    ETH_P_TEB,
    IP_DF,
    IPPROTO_UDP,
    VXLAN_HF_VNI,
    fold16,
    ip_bytes,
    ip_str,
    mac_bytes,
    mac_str,
    pseudo_sum,
    wsum_to_be,
)
from .ip import (
    CHECKSUM_COMPLETE,
    CHECKSUM_PARTIAL,
    CHECKSUM_UNNECESSARY,
    IP_DEFAULT_TTL,
    IPV6_DEFAULT_HOPLIMIT,
    LL_RESERVED_SPACE,
    LinkStats,
    csum_unnecessary,
    drop,
    ecn_decapsulate,
    ecn_encapsulate,
    eth_type_trans,
    inner_ip_facts,
    ipv4_header,
    ipv6_header,
    iptunnel_pull_offloads,
    is_multicast,
    multicast_mac,
    outer_rcv,
    pull_rcsum,
    trim_rcsum,
    vlan_inet_prepare,
)

VXLAN_PORT = 4789  # IANA
VXLAN_LINUX_PORT = 8472  # the Linux driver's udp_port default
VXLAN_HLEN = 16  # UDP + VXLAN header
VXLAN_HEADROOM = 50  # Ethernet + IPv4 + UDP + VXLAN
VXLAN6_HEADROOM = 70
VXLAN_N_VID = 1 << 24
VXLAN_RESERVED_FLAGS = ~VXLAN_HF_VNI & 0xFFFFFFFF
VXLAN_RESERVED_VNI = 0xFF
DF_UNSET, DF_SET, DF_INHERIT = "unset", "set", "inherit"

_GSO_UDP_TUNNEL = int(SKB_GSO.UDP_TUNNEL)
_GSO_UDP_TUNNEL_CSUM = int(SKB_GSO.UDP_TUNNEL_CSUM)

_ZERO_MAC = bytes(6)
_VXH = struct.Struct("!II")
_UDPH = struct.Struct("!HHHH")
_U16 = struct.Struct("!H")
_ETH = struct.Struct("!6s6sH")


class VxlanInfo(NamedTuple):
    """What a successful decap learned from the outer headers."""

    vni: int
    device: Optional["VxlanDevice"]
    saddr: bytes  # outer source address (4 or 16 bytes)
    daddr: bytes
    sport: int
    dport: int
    flags: int  # the VXLAN flag word as received


def _check_vni(vni: int) -> int:
    if not 0 <= vni < VXLAN_N_VID:
        raise ValueError(f"a VNI is 24 bits, not {vni}")
    return vni


class VxlanTunnel:
    """One VXLAN destination: the outer headers and how they are filled.

    ``src_mac`` is the outer Ethernet source (the lower device), ``dst_mac``
    the next hop's address (derived from the group for a multicast remote).
    Tunnels whose headers cannot be precomputed - TOS 1 (inherit the inner
    DS field) or ``ttl_inherit`` - use ``encap`` for every packet; the
    others push a ``TunnelTemplate``.  ``stats`` counts transmissions
    (tx_packets, tx_bytes of the inner packets without their Ethernet
    header, tx_dropped, tx_errors).
    """

    __slots__ = ("vni", "local", "remote", "port", "src_mac", "dst_mac", "udp_csum", "ttl",
                 "ttl_inherit", "tos", "df", "sport_min", "sport_max", "flowlabel",
                 "ipv6", "stats", "headroom", "_ip_id", "_template", "_gso_type")

    def __init__(self, vni: int, local, remote, *, src_mac, dst_mac=None,
                 port: int = VXLAN_PORT, udp_csum: Optional[bool] = None, ttl: int = 0,
                 ttl_inherit: bool = False, tos: int = 0, df: str = DF_UNSET,
                 sport_min: int = 0, sport_max: int = 0, flowlabel: int = 0,
                 ip_id: int = 0, stats: Optional[LinkStats] = None) -> None:
        self.vni = _check_vni(vni)
        self.local = ip_bytes(local)
        self.remote = ip_bytes(remote)
        if len(self.local) != len(self.remote):
            raise ValueError("local and remote must be of one address family")
        self.ipv6 = len(self.remote) == 16
        self.port = port
        self.src_mac = mac_bytes(src_mac)
        if dst_mac is None:
            if not is_multicast(self.remote):
                raise ValueError("dst_mac (the next hop) is needed for a unicast remote")
            dst_mac = multicast_mac(self.remote)
        self.dst_mac = mac_bytes(dst_mac)
        # vxlan_nl2conf: IPv4 defaults to no checksum, IPv6 to a checksum
        self.udp_csum = self.ipv6 if udp_csum is None else udp_csum
        if not 0 <= ttl <= 255 or not 0 <= tos <= 255:
            raise ValueError("ttl and tos are 8-bit values")
        if df not in (DF_UNSET, DF_SET, DF_INHERIT):
            raise ValueError(f"df is 'unset', 'set' or 'inherit', not {df!r}")
        self.ttl = ttl or (1 if is_multicast(self.remote) else
                           IPV6_DEFAULT_HOPLIMIT if self.ipv6 else IP_DEFAULT_TTL)
        self.ttl_inherit = ttl_inherit
        self.tos = tos
        self.df = df
        self.sport_min = sport_min
        self.sport_max = sport_max
        self.flowlabel = flowlabel
        self.stats = LinkStats() if stats is None else stats
        # vxlan_build_skb's min_headroom: LL_RESERVED_SPACE + VXLAN_HLEN + IP header
        self.headroom = LL_RESERVED_SPACE + VXLAN_HLEN + (40 if self.ipv6 else 20)
        self._gso_type = _GSO_UDP_TUNNEL_CSUM if self.udp_csum else _GSO_UDP_TUNNEL
        self._ip_id = ip_id & 0xFFFF
        self._template = None if tos == 1 or ttl_inherit else self._build_template()

    def _build_template(self) -> TunnelTemplate:
        if self.ipv6:
            l3 = ipv6_header(self.tos, self.flowlabel, 0, IPPROTO_UDP, self.ttl, self.local,
                             self.remote)
        else:
            l3 = ipv4_header(self.tos, 0, 0, IP_DF if self.df == DF_SET else 0, self.ttl,
                             IPPROTO_UDP, self.local, self.remote)
        hdr = (_ETH.pack(self.dst_mac, self.src_mac, ETH_P_IPV6 if self.ipv6 else ETH_P_IP)
               + bytes(l3) + _UDPH.pack(0, self.port, 0, 0)
               + _VXH.pack(VXLAN_HF_VNI, self.vni << 8))
        return TunnelTemplate(hdr, ETH_HLEN, ETH_HLEN + len(l3), ipv6=self.ipv6, udp=True,
                              csum=self.udp_csum, ecn=True, df_inherit=self.df == DF_INHERIT,
                              sport_min=self.sport_min, sport_max=self.sport_max,
                              inner_protocol=ETH_P_TEB, gso_type=self._gso_type,
                              ip_id=self._ip_id)

    @property
    def template(self) -> Optional[TunnelTemplate]:
        """The header template the fast path pushes (None when every packet
        needs its own headers)."""
        return self._template

    @property
    def ip_id(self) -> int:
        """The IPv4 ID the next packet gets."""
        return self._template.ip_id if self._template is not None else self._ip_id

    def _next_ip_id(self, segs: int) -> int:
        """Take IDs for one packet (segs of them for a GSO packet)."""
        t = self._template
        if t is None:
            i = self._ip_id
            self._ip_id = (i + segs) & 0xFFFF
        else:
            i = t.ip_id
            t.ip_id = (i + segs) & 0xFFFF
        return i

    def xmit(self, s) -> Union[object, Drop]:
        """Encapsulate the frame at data towards this tunnel's remote and
        VNI; returns s, or Drop(reason) after freeing it.  The template path
        when the headers allow it (and the frame carries no VLAN tag, whose
        inner DS field only the generic path looks behind), else ``encap``."""
        t = self._template
        if t is None:
            return encap(s, self.vni, self)
        inner_len = s.len
        prep = vlan_inet_prepare(s)
        if prep is None:
            self.stats.tx_dropped += 1
            return drop(s, DropReason.NOMEM)
        if prep[0] != ETH_HLEN:
            return encap(s, self.vni, self)
        try:
            s.tnl_push(t)
        except MemoryError:
            self.stats.tx_errors += 1
            return drop(s, DropReason.NOMEM)
        stats = self.stats
        stats.tx_packets += 1
        stats.tx_bytes += inner_len - ETH_HLEN
        return s

    def xmit_burst(self, skbs) -> list[int]:
        """Encapsulate a burst with one engine call (TunnelTemplate.push_burst).
        The frames must be prepared as ``xmit`` would: protocol set, network
        header behind an untagged Ethernet header.  Returns the indexes of
        the packets left unchanged (not freed: retry them with ``xmit``)."""
        t = self._template
        if t is None:
            raise ValueError("this tunnel builds headers per packet (TOS or TTL "
                             "inherit): use xmit")
        failed = t.push_burst(skbs)
        self.stats.tx_packets += len(skbs) - len(failed)
        return failed

    def __repr__(self) -> str:
        return (f"VxlanTunnel(vni={self.vni}, {ip_str(self.local)} -> "
                f"{ip_str(self.remote)}:{self.port})")


def _udp_set_csum(s, uh, t: VxlanTunnel, ulen: int, gso: bool) -> None:
    """udp_set_csum / udp6_set_csum for the UDP header view uh."""
    pseudo = pseudo_sum(t.local, t.remote, IPPROTO_UDP, ulen)
    if gso:
        _U16.pack_into(uh, 6, pseudo)
    elif s.ip_summed == CHECKSUM_PARTIAL:
        # the inner checksum is the device's: fill ours by local checksum offload
        check = ~fold16(pseudo + wsum_to_be(s.lco_csum())) & 0xFFFF
        _U16.pack_into(uh, 6, check or 0xFFFF)
    else:
        s.ip_summed = CHECKSUM_PARTIAL
        s.csum_start = s.transport_header
        s.csum_offset = 6
        _U16.pack_into(uh, 6, pseudo)


def encap(s, vni: int, tunnel: VxlanTunnel) -> Union[object, Drop]:
    """vxlan_xmit_one for one remote: push VXLAN, UDP, IP and Ethernet in
    front of the frame at data (s.protocol names its ethertype).  Makes
    headroom or unshares a cloned header first (skb_cow_head), records the
    inner headers (iptunnel_handle_offloads), leaves the outer UDP checksum
    to the device or fills it by local checksum offload, as udp_set_csum
    does.  Returns s, or Drop(reason) after freeing it: NOMEM when the frame
    is shorter than its headers (skb_vlan_inet_prepare) or memory runs out."""
    t = tunnel
    _check_vni(vni)
    stats = t.stats
    inner_len = s.len
    prep = vlan_inet_prepare(s)
    if prep is None:
        stats.tx_dropped += 1
        return drop(s, DropReason.NOMEM)
    maclen, protocol = prep
    dsfield, inner_df, inner_ttl = inner_ip_facts(s, protocol, maclen)
    tos = t.tos
    if tos == 1:
        tos = dsfield
    tos = ecn_encapsulate(tos, dsfield)
    ttl = (inner_ttl or t.ttl) if t.ttl_inherit else t.ttl
    raw_protocol = s.protocol
    df = t.df == DF_SET or (t.df == DF_INHERIT and (raw_protocol == ETH_P_IPV6 or (
        raw_protocol == ETH_P_IP and inner_df)))
    sport = s.udp_flow_src_port(t.sport_min, t.sport_max, True)
    try:
        s.cow_head(t.headroom)
        s.reset_mac_header()
        s.iptunnel_handle_offloads(t._gso_type)
    except MemoryError:
        stats.tx_errors += 1
        return drop(s, DropReason.NOMEM)
    s.inner_protocol = ETH_P_TEB
    _VXH.pack_into(s.push(8), 0, VXLAN_HF_VNI, vni << 8)
    uh = s.push(8)
    s.reset_transport_header()
    ulen = s.len
    _UDPH.pack_into(uh, 0, sport, t.port, ulen, 0)
    if t.udp_csum:
        _udp_set_csum(s, uh, t, ulen, bool(s.gso_size))
    if t.ipv6:
        s.push(40)[:] = ipv6_header(tos, t.flowlabel, ulen, IPPROTO_UDP, ttl, t.local, t.remote)
    else:
        segs = s.gso_segs or 1
        s.push(20)[:] = ipv4_header(tos, ulen + 20, t._next_ip_id(segs), IP_DF if df else 0,
                                    ttl, IPPROTO_UDP, t.local, t.remote)
    s.reset_network_header()
    _ETH.pack_into(s.push(ETH_HLEN), 0, t.dst_mac, t.src_mac,
                   ETH_P_IPV6 if t.ipv6 else ETH_P_IP)
    s.reset_mac_header()
    s.reset_mac_len()
    s.protocol = ETH_P_IPV6 if t.ipv6 else ETH_P_IP
    stats.tx_packets += 1
    stats.tx_bytes += inner_len - maclen
    return s


# ----------------------------------------------------------------------
# receive

def decap(s, devices: Union["VxlanDevice", Mapping[int, "VxlanDevice"]], *,
          port: Optional[int] = None, zero_csum6_rx: bool = False):
    """The receive path of a VXLAN frame at data (outer Ethernet header):
    ip_rcv, the UDP socket on ``port`` and vxlan_rcv, with the kernel's
    checks in the kernel's order (see the module's table of reasons).

    ``devices`` is one VxlanDevice or a mapping VNI -> VxlanDevice (the
    devices sharing one UDP socket).  ``port`` defaults to the device's own
    port, or 4789 for a mapping; ``zero_csum6_rx`` accepts zero UDP
    checksums over IPv6 (the device's setting for one device).

    Returns ``(s, VxlanInfo)`` with the inner frame at data, or
    ``Drop(reason)`` with s freed.  The device learns the inner source MAC
    when it learns, and counts."""
    if type(devices) is VxlanDevice or isinstance(devices, VxlanDevice):
        table = devices._table
        if port is None:
            port = devices.port
        zero_csum6_rx = zero_csum6_rx or devices.udp_zero_csum6_rx
    else:
        table = devices
        if port is None:
            port = VXLAN_PORT
    o = outer_rcv(s, IPPROTO_UDP, True)
    if type(o) is not tuple:
        return drop(s, o)
    d, l4, saddr, daddr, outer_ds, ipv6, n = o
    hl = len(d)
    # __udp4_lib_rcv / __udp6_lib_rcv
    if n - l4 < 8:
        return drop(s, DropReason.PKT_TOO_SMALL)
    if hl < l4 + 8:
        if not s.may_pull(l4 + 8):
            return drop(s, DropReason.NOMEM)
        d = s.data
        hl = len(d)
    sport, dport, ulen, check = _UDPH.unpack_from(d, l4)
    if ulen > n - l4 or ulen < 8:
        return drop(s, DropReason.PKT_TOO_SMALL)
    if ulen < n - l4:
        n = l4 + ulen
        trim_rcsum(s, n)
        d = s.data
        hl = len(d)
    ip_summed = s.ip_summed
    if ip_summed and csum_unnecessary(s, ip_summed, l4):
        pass
    elif check:
        c = wsum_to_be(s.checksum(l4, ulen)) + pseudo_sum(saddr, daddr, IPPROTO_UDP, ulen)
        if fold16(c) != 0xFFFF:
            return drop(s, DropReason.UDP_CSUM)
    if dport != port:
        return drop(s, DropReason.NO_SOCKET)
    if not check and ipv6 and not zero_csum6_rx:
        return drop(s, DropReason.UDP_CSUM)
    # vxlan_rcv
    vx = l4 + 8
    if ulen < VXLAN_HLEN:
        return drop(s, DropReason.PKT_TOO_SMALL)
    if hl < vx + 8:
        if not s.may_pull(vx + 8):
            return drop(s, DropReason.NOMEM)
        d = s.data
        hl = len(d)
    flags, vni_word = _VXH.unpack_from(d, vx)
    if not flags & VXLAN_HF_VNI:
        return drop(s, DropReason.VXLAN_INVALID_HDR)
    vni = vni_word >> 8
    dev = table.get(vni)
    if dev is None or dev.ipv6 != ipv6:
        return drop(s, DropReason.VXLAN_VNI_NOT_FOUND)
    stats = dev.stats
    if flags & dev.reserved_flags or vni_word & dev.reserved_vni:
        stats.rx_frame_errors += 1
        stats.rx_errors += 1
        return drop(s, DropReason.VXLAN_INVALID_HDR)
    # __iptunnel_pull_header(VXLAN_HLEN, ETH_P_TEB): the inner Ethernet header too
    inner = vx + 8
    if n < inner + ETH_HLEN:
        return drop(s, DropReason.HDR_TRUNC)
    if hl < inner + ETH_HLEN:
        if not s.may_pull(inner + ETH_HLEN):
            return drop(s, DropReason.NOMEM)
        d = s.data
        hl = len(d)
    if ip_summed == CHECKSUM_UNNECESSARY:
        ip_summed = s.ip_summed  # the UDP check may have used the verified level up
    if ip_summed >= CHECKSUM_COMPLETE:
        pull_rcsum(s, inner, ip_summed)
    else:
        s.pull(inner)  # skb_pull_rcsum has nothing to adjust
    # d still maps the head: the inner frame is at d[inner:]
    at = inner
    try:
        if iptunnel_pull_offloads(s):  # a new head: map it from the inner frame on
            d = s.data
            at = 0
            hl = len(d) + inner
    except MemoryError:
        return drop(s, DropReason.NOMEM)
    # vxlan_set_mac: eth_type_trans (without its pull) and the loop check
    s.reset_mac_header()
    protocol, pkt_type = eth_type_trans(d, at, dev.mac)
    src = bytes(d[at + 6:at + 12])
    s.protocol = protocol
    if src == dev.mac:
        return drop(s, DropReason.LOCAL_MAC)
    if dev.learning:
        reason = dev._snoop(saddr, src)
        if reason:
            return drop(s, reason)
    s.set_network_header(ETH_HLEN)
    s.reset_mac_len()
    # pskb_inet_may_pull
    nh_len = 20 if protocol == ETH_P_IP else 40 if protocol == ETH_P_IPV6 else 0
    if hl - inner < ETH_HLEN + nh_len and not s.may_pull(ETH_HLEN + nh_len):
        stats.rx_length_errors += 1
        stats.rx_errors += 1
        return drop(s, DropReason.PKT_TOO_SMALL)
    if outer_ds & 3 and ecn_decapsulate(s, outer_ds, protocol, ETH_HLEN) > 1:
        stats.rx_frame_errors += 1
        stats.rx_errors += 1
        return drop(s, DropReason.IP_TUNNEL_ECN)
    s.pkt_type = pkt_type
    stats.rx_packets += 1
    stats.rx_bytes += n - inner - ETH_HLEN
    return s, VxlanInfo(vni, dev, saddr, daddr, sport, dport, flags)


# ----------------------------------------------------------------------
# the device

class _Remote:
    """One vxlan_rdst: where an FDB entry sends to."""

    __slots__ = ("ip", "port", "vni")

    def __init__(self, ip: bytes, port: int, vni: int) -> None:
        self.ip = ip
        self.port = port
        self.vni = vni

    def key(self) -> tuple[bytes, int, int]:
        return self.ip, self.port, self.vni


class _Entry:
    __slots__ = ("remotes", "static")

    def __init__(self, static: bool) -> None:
        self.remotes: list[_Remote] = []
        self.static = static


class FdbEntry(NamedTuple):
    """One (MAC, remote) pair of the FDB, as ``bridge fdb show`` lists it."""

    mac: str
    remote: str
    port: int
    vni: int
    static: bool  # added by the user (permanent) rather than learned


def _is_group_mac(mac: bytes) -> bool:
    return bool(mac[0] & 1) or mac == _ZERO_MAC


class VxlanDevice:
    """A vxlan netdevice: ``ip link add ... type vxlan id VNI local ADDR
    (remote ADDR | group ADDR) dstport PORT [nolearning]``.

    The FDB maps inner destination MACs to remotes.  ``remote`` or
    ``group`` becomes the all-zeros entry, where unknown unicast, broadcast
    and multicast frames go; an entry may list several remotes (``fdb_append``)
    and a frame is then sent to each.  With ``learning`` the source MAC of
    every received frame is recorded against the outer source address
    (vxlan_snoop).  ``mac`` is the device's own address (random when not
    given, as eth_hw_addr_random); ``src_mac`` and ``dst_mac`` the outer
    Ethernet addresses (the lower device's, by default the device's own,
    and the next hop's; a multicast remote gets the group's).  The other
    keywords are VxlanTunnel's, for every remote; ``reserved_bits`` are the
    (flag word, VNI word) bits that make a received header invalid.
    ``stats`` holds the counters.
    """

    def __init__(self, vni: int, local, *, remote=None, group=None,
                 port: int = VXLAN_PORT, mac=None, learning: bool = True,
                 src_mac=None, dst_mac=None, udp_csum: Optional[bool] = None,
                 udp_zero_csum6_rx: bool = False, ttl: int = 0, ttl_inherit: bool = False,
                 tos: int = 0, df: str = DF_UNSET, sport_min: int = 0, sport_max: int = 0,
                 reserved_bits: tuple[int, int] = (VXLAN_RESERVED_FLAGS, VXLAN_RESERVED_VNI)
                 ) -> None:
        self.vni = _check_vni(vni)
        self.local = ip_bytes(local)
        self.ipv6 = len(self.local) == 16
        self.port = port
        if mac is None:
            mac = bytes([(os.urandom(1)[0] & 0xFE) | 0x02]) + os.urandom(5)
        self.mac = mac_bytes(mac)
        self.learning = learning
        self.src_mac = mac_bytes(src_mac) if src_mac is not None else self.mac
        self.dst_mac = mac_bytes(dst_mac) if dst_mac is not None else None
        self.udp_zero_csum6_rx = udp_zero_csum6_rx
        self.reserved_flags, self.reserved_vni = reserved_bits
        self.stats = LinkStats()
        self._tunnel_args = dict(udp_csum=udp_csum, ttl=ttl, ttl_inherit=ttl_inherit, tos=tos,
                                 df=df, sport_min=sport_min, sport_max=sport_max)
        self._table = {self.vni: self}
        self._tunnels: dict[tuple[bytes, int, int], VxlanTunnel] = {}
        self._fdb: dict[bytes, _Entry] = {}
        if remote is not None and group is not None:
            raise ValueError("a device has a remote or a group, not both")
        default = remote if remote is not None else group
        if default is not None:
            self.fdb_append(_ZERO_MAC, default)

    # ------------------------------------------------------------------
    # FDB (vxlan_fdb_add / _delete / _dump)

    def _remote(self, remote, port: Optional[int], vni: Optional[int]) -> _Remote:
        ip = ip_bytes(remote)
        if len(ip) != len(self.local):
            raise ValueError("the remote's address family is not the device's")
        return _Remote(ip, self.port if port is None else port,
                       self.vni if vni is None else _check_vni(vni))

    def fdb_add(self, mac, remote, *, port: Optional[int] = None,
                vni: Optional[int] = None) -> None:
        """``bridge fdb add MAC dev vxlan dst REMOTE``: a static entry;
        KeyError when the MAC has one already."""
        key = mac_bytes(mac)
        if key in self._fdb:
            raise KeyError(f"{mac_str(key)} is in the FDB already (-EEXIST)")
        entry = _Entry(static=True)
        entry.remotes.append(self._remote(remote, port, vni))
        self._fdb[key] = entry

    def fdb_append(self, mac, remote, *, port: Optional[int] = None,
                   vni: Optional[int] = None) -> None:
        """``bridge fdb append``: one more remote for the all-zeros or a
        multicast MAC (creating the entry); ValueError for a unicast MAC
        that has an entry."""
        key = mac_bytes(mac)
        rd = self._remote(remote, port, vni)
        entry = self._fdb.get(key)
        if entry is None:
            entry = self._fdb[key] = _Entry(static=True)
        elif not _is_group_mac(key):
            raise ValueError(f"{mac_str(key)}: only the all-zeros and multicast entries "
                             "take several remotes")
        if all(r.key() != rd.key() for r in entry.remotes):
            entry.remotes.append(rd)

    def fdb_replace(self, mac, remote, *, port: Optional[int] = None,
                    vni: Optional[int] = None) -> None:
        """``bridge fdb replace``: point a unicast MAC at remote (creating a
        static entry, or replacing the first remote of one)."""
        key = mac_bytes(mac)
        if _is_group_mac(key):
            raise ValueError(f"{mac_str(key)}: replace is for unicast entries (-EOPNOTSUPP)")
        rd = self._remote(remote, port, vni)
        entry = self._fdb.get(key)
        if entry is None:
            self.fdb_add(key, remote, port=port, vni=vni)
            return
        entry.static = True
        if all(r.key() != rd.key() for r in entry.remotes):
            entry.remotes[0] = rd

    def fdb_del(self, mac, remote=None, *, port: Optional[int] = None,
                vni: Optional[int] = None) -> None:
        """``bridge fdb del``: remove the entry, or just one of its remotes
        (the entry goes with its last remote); KeyError when absent."""
        key = mac_bytes(mac)
        entry = self._fdb.get(key)
        if entry is None:
            raise KeyError(f"{mac_str(key)} is not in the FDB (-ENOENT)")
        if remote is not None:
            rd = self._remote(remote, port, vni)
            match = [r for r in entry.remotes if r.key() == rd.key()]
            if not match:
                return
            if len(entry.remotes) > 1:
                entry.remotes.remove(match[0])
                return
        del self._fdb[key]

    def fdb_dump(self) -> list[FdbEntry]:
        """Every (MAC, remote) pair, in insertion order."""
        return [FdbEntry(mac_str(mac), ip_str(r.ip), r.port, r.vni, e.static)
                for mac, e in self._fdb.items() for r in e.remotes]

    def fdb_get(self, mac) -> list[FdbEntry]:
        """The pairs of one MAC (empty when it has no entry)."""
        key = mac_bytes(mac)
        e = self._fdb.get(key)
        if e is None:
            return []
        return [FdbEntry(mac_str(key), ip_str(r.ip), r.port, r.vni, e.static)
                for r in e.remotes]

    def _snoop(self, src_ip: bytes, src_mac: bytes) -> int:
        """vxlan_snoop: learn (or move) src_mac behind src_ip; a drop reason or 0."""
        if src_mac[0] & 1 or src_mac == _ZERO_MAC:
            return DropReason.MAC_INVALID_SOURCE
        entry = self._fdb.get(src_mac)
        if entry is None:
            entry = self._fdb[src_mac] = _Entry(static=False)
            entry.remotes.append(_Remote(src_ip, self.port, self.vni))
            return 0
        first = entry.remotes[0]
        if first.ip == src_ip:
            return 0
        if entry.static:
            return DropReason.VXLAN_ENTRY_EXISTS
        first.ip = src_ip
        return 0

    # ------------------------------------------------------------------
    # transmit and receive

    def tunnel(self, remote, *, port: Optional[int] = None,
               vni: Optional[int] = None) -> VxlanTunnel:
        """The (cached) tunnel this device sends through towards remote."""
        rd = self._remote(remote, port, vni)
        return self._tunnel_for(rd)

    def _tunnel_for(self, rd: _Remote) -> VxlanTunnel:
        key = rd.key()
        t = self._tunnels.get(key)
        if t is None:
            dst_mac = self.dst_mac
            if is_multicast(rd.ip):
                dst_mac = multicast_mac(rd.ip)
            elif dst_mac is None:
                raise ValueError("the device has no dst_mac (next hop) for unicast remotes")
            t = self._tunnels[key] = VxlanTunnel(
                rd.vni, self.local, rd.ip, src_mac=self.src_mac, dst_mac=dst_mac,
                port=rd.port, stats=self.stats, **self._tunnel_args)
        return t

    def xmit(self, s) -> list:
        """vxlan_xmit: look the inner destination MAC up (falling back to
        the all-zeros entry) and encapsulate the frame for each remote - the
        extra remotes get clones.  Returns the encapsulated skbs in the
        order the kernel sends them (the clones first), which the caller
        now owns; a frame that goes nowhere is dropped (NO_TX_TARGET, or
        NOMEM when shorter than an Ethernet header) and counted."""
        s.reset_mac_header()
        dst = s.header_pointer(0, 6)
        if dst is None or s.len < ETH_HLEN:
            self.stats.tx_dropped += 1
            drop(s, DropReason.NOMEM)
            return []
        fdb = self._fdb
        entry = fdb.get(bytes(dst)) or fdb.get(_ZERO_MAC)
        if entry is None or not entry.remotes:
            self.stats.tx_dropped += 1
            drop(s, DropReason.NO_TX_TARGET)
            return []
        out = []
        remotes = entry.remotes
        for rd in remotes[1:]:
            self._xmit_one(s.clone(), rd, out)
        self._xmit_one(s, remotes[0], out)
        return out

    def _xmit_one(self, s, rd: _Remote, out: list) -> None:
        if not any(rd.ip):
            self.stats.tx_dropped += 1
            drop(s, DropReason.NOT_SPECIFIED)
            return
        r = self._tunnel_for(rd).xmit(s)
        if type(r) is not Drop:
            out.append(r)

    def rcv(self, s):
        """``decap(s, self)``."""
        return decap(s, self)

    def __repr__(self) -> str:
        return (f"VxlanDevice(vni={self.vni}, local={ip_str(self.local)}, port={self.port}, "
                f"mac={mac_str(self.mac)}, fdb={len(self._fdb)} entries)")


__all__ = ["DF_INHERIT", "DF_SET", "DF_UNSET", "FdbEntry", "VXLAN_HEADROOM", "VXLAN_HLEN",
           "VXLAN_LINUX_PORT", "VXLAN_N_VID", "VXLAN_PORT", "VXLAN_RESERVED_FLAGS",
           "VXLAN_RESERVED_VNI", "VXLAN6_HEADROOM", "VxlanDevice", "VxlanInfo", "VxlanTunnel",
           "decap", "encap"]
