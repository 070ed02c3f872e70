"""skb_gso_segment: software GSO through the protocol handlers (IPv4 and
IPv6, TCP and UDP), with the kernel's header fix-ups in every segment."""

from __future__ import annotations

from typing import Optional

from .skbuff import SegmentList, SkBuff, _skb_arg


def gso_segment(skb: SkBuff, features: int) -> Optional[SegmentList]:
    """skb_gso_segment: segment ``skb`` (data at the mac header, network
    header set, protocol, gso_size and gso_type set) for a device with
    ``features``.  Returns the segments, or None when the features let the
    device segment it itself (the kernel's NULL).  Refused packets raise
    SkbSegmentError (EINVAL / EPROTONOSUPPORT)."""
    _skb_arg(skb)
    return skb._segment(features, 1, "skb_gso_segment")


__all__ = ["gso_segment"]
