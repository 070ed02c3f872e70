"""Drop reasons: why a packet was freed, with the kernel's names.

``DropReason`` is ``enum skb_drop_reason`` (``include/net/dropreason-core.h``,
~v6.19 order, so the numbers match that kernel's ``kfree_skb`` tracepoint).
``SkBuff.kfree(reason)`` is ``kfree_skb_reason``; the engine counts every skb
it frees under its reason (``consume`` under ``CONSUMED``, a plain ``kfree``
under ``NOT_SPECIFIED``), and ``drop_counts()`` reads those counters.

A parser or decap that refuses a packet frees it and returns ``Drop(reason)``
instead of raising: malformed input is data, not misuse.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

from ._engine import ffi, lib

_NAMES = """
NOT_SPECIFIED NO_SOCKET SOCKET_CLOSE SOCKET_FILTER SOCKET_RCVBUFF UNIX_DISCONNECT
UNIX_SKIP_OOB PKT_TOO_SMALL TCP_CSUM UDP_CSUM NETFILTER_DROP OTHERHOST IP_CSUM
IP_INHDR IP_RPFILTER UNICAST_IN_L2_MULTICAST XFRM_POLICY IP_NOPROTO PROTO_MEM
TCP_AUTH_HDR TCP_MD5NOTFOUND TCP_MD5UNEXPECTED TCP_MD5FAILURE TCP_AONOTFOUND
TCP_AOUNEXPECTED TCP_AOKEYNOTFOUND TCP_AOFAILURE SOCKET_BACKLOG TCP_FLAGS
TCP_ABORT_ON_DATA TCP_ZEROWINDOW TCP_OLD_DATA TCP_OVERWINDOW TCP_OFOMERGE
TCP_RFC7323_PAWS TCP_RFC7323_PAWS_ACK TCP_RFC7323_TW_PAWS TCP_RFC7323_TSECR
TCP_LISTEN_OVERFLOW TCP_OLD_SEQUENCE TCP_INVALID_SEQUENCE TCP_INVALID_END_SEQUENCE
TCP_INVALID_ACK_SEQUENCE TCP_RESET TCP_INVALID_SYN TCP_CLOSE TCP_FASTOPEN TCP_OLD_ACK
TCP_TOO_OLD_ACK TCP_ACK_UNSENT_DATA TCP_OFO_QUEUE_PRUNE TCP_OFO_DROP IP_OUTNOROUTES
BPF_CGROUP_EGRESS IPV6DISABLED NEIGH_CREATEFAIL NEIGH_FAILED NEIGH_QUEUEFULL NEIGH_DEAD
NEIGH_HH_FILLFAIL TC_EGRESS SECURITY_HOOK QDISC_DROP QDISC_BURST_DROP CPU_BACKLOG
MACVLAN_BROADCAST_BACKLOG IPVLAN_MULTICAST_BACKLOG XDP TC_INGRESS UNHANDLED_PROTO
SKB_CSUM SKB_GSO_SEG SKB_BAD_GSO SKB_UCOPY_FAULT DEV_HDR DEV_READY FULL_RING NOMEM
HDR_TRUNC TAP_FILTER TAP_TXFILTER ICMP_CSUM INVALID_PROTO IP_INADDRERRORS
IP_INNOROUTES IP_LOCAL_SOURCE IP_INVALID_SOURCE IP_LOCALNET IP_INVALID_DEST
PKT_TOO_BIG DUP_FRAG FRAG_REASM_TIMEOUT FRAG_TOO_FAR TCP_MINTTL IPV6_BAD_EXTHDR
IPV6_TOO_MANY_EXTHDRS IPV6_NDISC_FRAG IPV6_NDISC_HOP_LIMIT IPV6_NDISC_BAD_CODE
IPV6_NDISC_BAD_OPTIONS IPV6_NDISC_NS_OTHERHOST QUEUE_PURGE TC_COOKIE_ERROR
PACKET_SOCK_ERROR TC_CHAIN_NOTFOUND TC_RECLASSIFY_LOOP VXLAN_INVALID_HDR
VXLAN_VNI_NOT_FOUND MAC_INVALID_SOURCE VXLAN_ENTRY_EXISTS NO_TX_TARGET IP_TUNNEL_ECN
TUNNEL_TXINFO LOCAL_MAC ARP_PVLAN_DISABLE MAC_IEEE_MAC_CONTROL BRIDGE_INGRESS_STP_STATE
CAN_RX_INVALID_FRAME CANFD_RX_INVALID_FRAME CANXL_RX_INVALID_FRAME PFMEMALLOC PSP_INPUT
PSP_OUTPUT RECURSION_LIMIT
""".split()

DropReason = enum.IntEnum(
    "DropReason",
    [("NOT_DROPPED_YET", 0), ("CONSUMED", 1)]
    + [(name, i) for i, name in enumerate(_NAMES, start=2)],
    module=__name__,
)
DropReason.__doc__ = """enum skb_drop_reason: members are the kernel's names without
the SKB_DROP_REASON_ prefix (NOT_DROPPED_YET and CONSUMED are SKB_NOT_DROPPED_YET
and SKB_CONSUMED)."""

if len(DropReason) != lib.SKB_DROP_REASON_MAX:
    raise ImportError("skb.drop: the reason table and the engine disagree on "
                      "SKB_DROP_REASON_MAX; rebuild the engine")


class Drop(NamedTuple):
    """The verdict of a parser or decap that dropped (and freed) the packet."""

    reason: DropReason


def drop_counts() -> dict[DropReason, int]:
    """The skbs the engine has freed, per reason (reasons never used are
    left out).  Counters only grow: compare two readings."""
    out = ffi.new("uint64_t[]", lib.SKB_DROP_REASON_MAX)
    lib.skb_get_drop_counts(out, lib.SKB_DROP_REASON_MAX)
    return {DropReason(i): out[i] for i in range(lib.SKB_DROP_REASON_MAX) if out[i]}


__all__ = ["Drop", "DropReason", "drop_counts"]
