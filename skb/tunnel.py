"""Tunnel header templates: a tunnel's outer headers built once and pushed
in front of each packet with one engine call (the fast path of Open vSwitch's
userspace datapath, tnl_push), one packet at a time or a burst at once."""

from __future__ import annotations

import operator
from collections.abc import Sequence

from ._engine import ffi, lib
from .errors import SkbBug
from .skbuff import SkBuff

MAX_HEADER_LEN: int = lib.SKB_TNL_MAX_HLEN

_FLAGS = (("ipv6", lib.SKB_TNL_IPV6), ("udp", lib.SKB_TNL_UDP), ("gre", lib.SKB_TNL_GRE),
          ("csum", lib.SKB_TNL_CSUM), ("ecn", lib.SKB_TNL_ECN),
          ("df_inherit", lib.SKB_TNL_DF_INHERIT))


def _int(value) -> int:
    return value if type(value) is int else operator.index(value)


class TunnelTemplate:
    """A tunnel's outer headers, exactly as they go on the wire (for example
    Ethernet + IPv4 + UDP + VXLAN), and what to set in them per packet.

    ``l3_offset`` is where the outer IPv4 (or IPv6, with ``ipv6``) header
    starts in ``header``, ``l4_offset`` the UDP (``udp``) or GRE (``gre``)
    header.  ``SkBuff.tnl_push(template)`` makes headroom (skb_cow_head),
    records the inner headers and ORs ``gso_type`` into a GSO packet
    (iptunnel_handle_offloads), copies the header in and sets:

    * IPv4: total length, ID (``ip_id``, advancing by the packet's
      gso_segs or 1) and header checksum; IPv6: payload length;
    * with ``ecn``, the outer ECN field from the inner packet's
      (INET_ECN_encapsulate); with ``df_inherit``, DF from an inner IPv4 DF;
    * UDP: length and a source port from the inner flow hash in
      [``sport_min``, ``sport_max``) (the local port range by default);
    * GRE: the sequence number at ``seq_offset`` from the GRE header
      (``seq``, advancing by one; 0 for none);
    * ``csum``: the outer UDP or GRE checksum, left to the device
      (CHECKSUM_PARTIAL) or computed by local checksum offload when the
      inner one already is, as the kernel does; ``SkBuff.checksum_help()``
      finishes it in software.  A GSO packet's outer UDP checksum gets the
      pseudo-header only; a GSO GRE packet's is left to segmentation.

    ``ip_id`` and ``seq`` are the values the next packet gets; both may be
    set.  The same template works for the C engine's skbs and the twin's.
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
        options = dict(ipv6=ipv6, udp=udp, gre=gre, csum=csum, ecn=ecn,
                       df_inherit=df_inherit)
        t.flags = sum(bit for name, bit in _FLAGS if options[name])
        if lib.skb_tnl_template_check(t):
            raise ValueError("the template's offsets and flags do not describe headers "
                             "inside it")
        self._t = t

    @property
    def header(self) -> bytes:
        return bytes(ffi.buffer(self._t.hdr, self._t.len))

    @property
    def l3_offset(self) -> int:
        return self._t.l3_off

    @property
    def l4_offset(self) -> int:
        return self._t.l4_off

    @property
    def seq_offset(self) -> int:
        return self._t.seq_off

    @property
    def inner_protocol(self) -> int:
        return self._t.inner_protocol

    @property
    def sport_min(self) -> int:
        return self._t.sport_min

    @property
    def sport_max(self) -> int:
        return self._t.sport_max

    @property
    def gso_type(self) -> int:
        return self._t.gso_type

    @property
    def options(self) -> frozenset[str]:
        """The flags given: a subset of ipv6, udp, gre, csum, ecn, df_inherit."""
        return frozenset(name for name, bit in _FLAGS if self._t.flags & bit)

    @property
    def ip_id(self) -> int:
        """The IPv4 ID the next packet gets."""
        return self._t.ip_id

    @ip_id.setter
    def ip_id(self, value: int) -> None:
        self._t.ip_id = _int(value)

    @property
    def seq(self) -> int:
        """The GRE sequence number the next packet gets."""
        return self._t.seq

    @seq.setter
    def seq(self, value: int) -> None:
        self._t.seq = _int(value)

    def push(self, skb) -> None:
        """``skb.tnl_push(self)``."""
        skb.tnl_push(self)

    def push_burst(self, skbs: Sequence) -> list[int]:
        """Push the headers in front of every skb: one engine call when all
        are the engine's.  Returns the indexes of the packets that could not
        be encapsulated (unchanged; push them one by one to learn why)."""
        n = len(skbs)
        if all(type(s) is SkBuff for s in skbs):
            arr = ffi.new("struct sk_buff *[]", [s._cd for s in skbs])
            results = ffi.new("int[]", n)
            if lib.skb_tnl_push_burst(arr, n, self._t, results) == n:
                return []
            return [i for i in range(n) if results[i]]
        failed = []
        for i, s in enumerate(skbs):
            try:
                s.tnl_push(self)
            except (MemoryError, SkbBug):
                failed.append(i)
        return failed


__all__ = ["MAX_HEADER_LEN", "TunnelTemplate"]
