"""Tunnel building blocks in the engine: header templates pushed with one
call per packet (Open vSwitch's tnl_push), the UDP source port a tunnel
derives from the inner flow, and the kernel's jhash."""

from __future__ import annotations

import operator
from collections.abc import Sequence

from ._engine import ffi, lib
from .errors import SkbBug
from .skbuff import SkBuff, _skb_arg

MAX_HEADER_LEN: int = lib.SKB_TNL_MAX_HLEN


def _int(value) -> int:
    return value if type(value) is int else operator.index(value)


def jhash(data, initval: int = 0) -> int:
    """The kernel's jhash (Bob Jenkins' lookup3) of the bytes."""
    data = bytes(memoryview(data).cast("B"))
    return lib.jhash(data, len(data), _int(initval))


def udp_flow_src_port(skb: SkBuff, min: int = 0, max: int = 0, use_eth: bool = True) -> int:
    """udp_flow_src_port: a source port in [min, max) from the inner flow's
    hash (the local port range 32768..60999 when max <= min); without a flow,
    from the Ethernet addresses at data when use_eth."""
    min, max = _int(min), _int(max)
    _skb_arg(skb)
    r = lib.udp_flow_src_port(skb._cd, min, max, 1 if use_eth else 0)
    if r < 0:
        skb._raise(r, "udp_flow_src_port", f"range [{min}, {max})")
    return r


class TunnelTemplate:
    """A tunnel's outer headers, built once and pushed in front of packets.

    ``header`` holds the outer headers exactly as they go on the wire, for
    example Ethernet + IPv4 + UDP + VXLAN; ``l3_offset`` is where the IPv4
    (or IPv6) header starts in it and ``l4_offset`` the UDP or GRE header.
    Per packet the engine makes headroom, records the inner headers
    (iptunnel_handle_offloads with ``gso_type``), copies the header and
    sets the per-packet fields: IPv4 total length, ID (from ``ip_id`` on)
    and checksum, or the IPv6 payload length; the UDP length and a source
    port from the inner flow (between ``sport_min`` and ``sport_max``); the
    GRE sequence number at ``seq_offset`` (from ``seq`` on); ECN and DF
    inherited from the inner packet when asked.  An outer UDP or GRE
    checksum (``csum``) is left CHECKSUM_PARTIAL, or computed by local
    checksum offload when the inner one already is - as the kernel does;
    ``SkBuff.checksum_help()`` finishes it in software.
    """

    __slots__ = ("_t",)

    def __init__(self, header: bytes, l3_offset: int, l4_offset: int = 0, *,
                 ipv6: bool = False, udp: bool = False, gre: bool = False,
                 csum: bool = False, ecn: bool = False, df_inherit: bool = False,
                 sport_min: int = 0, sport_max: int = 0, inner_protocol: int = 0x6558,
                 gso_type: int = 0, ip_id: int = 0, seq_offset: int = 0, seq: int = 0):
        header = bytes(memoryview(header).cast("B"))
        if len(header) > MAX_HEADER_LEN:
            raise ValueError(f"a template holds at most {MAX_HEADER_LEN} bytes of header")
        t = ffi.new("struct skb_tnl_template *")
        t.hdr[0:len(header)] = header
        t.len = len(header)
        t.l3_off = _int(l3_offset)
        t.l4_off = _int(l4_offset)
        t.seq_off = _int(seq_offset)
        t.inner_protocol = _int(inner_protocol)
        t.ip_id = _int(ip_id)
        t.sport_min = _int(sport_min)
        t.sport_max = _int(sport_max)
        t.seq = _int(seq)
        t.gso_type = _int(gso_type)
        t.flags = ((lib.SKB_TNL_IPV6 if ipv6 else 0) | (lib.SKB_TNL_UDP if udp else 0) |
                   (lib.SKB_TNL_GRE if gre else 0) | (lib.SKB_TNL_CSUM if csum else 0) |
                   (lib.SKB_TNL_ECN if ecn else 0) |
                   (lib.SKB_TNL_DF_INHERIT if df_inherit else 0))
        if lib.skb_tnl_template_check(t):
            raise ValueError("the template's offsets and flags do not describe headers "
                             "inside it")
        self._t = t

    @property
    def header(self) -> bytes:
        return bytes(ffi.buffer(self._t.hdr, self._t.len))

    @property
    def ip_id(self) -> int:
        """The IPv4 ID the next packet gets."""
        return self._t.ip_id

    @property
    def seq(self) -> int:
        """The GRE sequence number the next packet gets."""
        return self._t.seq

    def push(self, skb: SkBuff) -> None:
        """Push the headers in front of ``skb`` and fill its fields."""
        cd = _skb_arg(skb)
        r = lib.skb_tnl_push(cd, self._t)
        if r:
            skb._raise(r, "skb_tnl_push")

    def push_burst(self, skbs: Sequence[SkBuff]) -> list[int]:
        """Push the headers in front of every skb with one engine call.
        Returns the indexes of the packets that could not be encapsulated
        (push them one by one to learn why); empty when all were."""
        n = len(skbs)
        arr = ffi.new("struct sk_buff *[]", [_skb_arg(s) for s in skbs])
        results = ffi.new("int[]", n)
        if lib.skb_tnl_push_burst(arr, n, self._t, results) == n:
            return []
        return [i for i in range(n) if results[i]]


__all__ = ["MAX_HEADER_LEN", "TunnelTemplate", "jhash", "udp_flow_src_port"]
