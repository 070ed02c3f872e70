"""The kernel's own spellings, so kernel code ports line by line.

Each function is the method of the same name without the ``skb_`` prefix.
Functions that return an int error in the kernel return 0 here and raise
MemoryError for -ENOMEM; those that return NULL return None.
"""

from __future__ import annotations

from typing import Optional

from .skbuff import SkBuff
from .skbuff import alloc_skb as _alloc_skb


def alloc_skb(size: int) -> SkBuff:
    return _alloc_skb(size)


def alloc_skb_fclone(size: int) -> SkBuff:
    return _alloc_skb(size, fclone=True)


def kfree_skb(skb: SkBuff) -> None:
    skb.kfree()


def kfree_skb_reason(skb: SkBuff, reason: int) -> None:
    skb.kfree(reason)


def consume_skb(skb: SkBuff) -> None:
    skb.consume()


def skb_get(skb: SkBuff) -> SkBuff:
    return skb.get()


def skb_reserve(skb: SkBuff, len: int) -> None:
    skb.reserve(len)


def skb_put(skb: SkBuff, len: int) -> memoryview:
    return skb.put(len)


def skb_put_data(skb: SkBuff, data: bytes) -> memoryview:
    return skb.put_data(data)


def skb_put_zero(skb: SkBuff, len: int) -> memoryview:
    return skb.put_zero(len)


def skb_push(skb: SkBuff, len: int) -> memoryview:
    return skb.push(len)


def skb_pull(skb: SkBuff, len: int) -> Optional[memoryview]:
    return skb.pull(len)


def skb_trim(skb: SkBuff, len: int) -> None:
    skb.trim(len)


def pskb_trim(skb: SkBuff, len: int) -> int:
    skb.pskb_trim(len)
    return 0


def skb_headroom(skb: SkBuff) -> int:
    return skb.headroom


def skb_tailroom(skb: SkBuff) -> int:
    return skb.tailroom


def skb_headlen(skb: SkBuff) -> int:
    return skb.headlen


def skb_end_offset(skb: SkBuff) -> int:
    return skb.end_offset


def skb_clone(skb: SkBuff) -> SkBuff:
    return skb.clone()


def skb_copy(skb: SkBuff) -> SkBuff:
    return skb.copy()


def pskb_copy(skb: SkBuff) -> SkBuff:
    return skb.pskb_copy()


def pskb_expand_head(skb: SkBuff, nhead: int, ntail: int) -> int:
    skb.expand_head(nhead, ntail)
    return 0


def skb_cow(skb: SkBuff, headroom: int) -> int:
    skb.cow(headroom)
    return 0


def skb_cow_head(skb: SkBuff, headroom: int) -> int:
    skb.cow_head(headroom)
    return 0


def skb_unshare(skb: SkBuff) -> SkBuff:
    return skb.unshare()


def skb_share_check(skb: SkBuff) -> SkBuff:
    return skb.share_check()


def skb_realloc_headroom(skb: SkBuff, headroom: int) -> SkBuff:
    return skb.realloc_headroom(headroom)


def skb_cloned(skb: SkBuff) -> bool:
    return skb.is_cloned()


def skb_header_cloned(skb: SkBuff) -> bool:
    return skb.header_cloned()


def skb_shared(skb: SkBuff) -> bool:
    return skb.shared()


def __skb_header_release(skb: SkBuff) -> None:
    skb.header_release()


def skb_reset_mac_header(skb: SkBuff) -> None:
    skb.reset_mac_header()


def skb_reset_network_header(skb: SkBuff) -> None:
    skb.reset_network_header()


def skb_reset_transport_header(skb: SkBuff) -> None:
    skb.reset_transport_header()


def skb_reset_inner_headers(skb: SkBuff) -> None:
    skb.reset_inner_headers()


def skb_reset_mac_len(skb: SkBuff) -> None:
    skb.reset_mac_len()


def skb_set_mac_header(skb: SkBuff, offset: int) -> None:
    skb.set_mac_header(offset)


def skb_set_network_header(skb: SkBuff, offset: int) -> None:
    skb.set_network_header(offset)


def skb_set_transport_header(skb: SkBuff, offset: int) -> None:
    skb.set_transport_header(offset)


def skb_mac_offset(skb: SkBuff) -> Optional[int]:
    return skb.mac_offset


def skb_network_offset(skb: SkBuff) -> int:
    return skb.network_offset


def skb_transport_offset(skb: SkBuff) -> Optional[int]:
    return skb.transport_offset


def skb_get_hash(skb: SkBuff) -> int:
    return skb.get_hash()


def skb_ensure_writable(skb: SkBuff, write_len: int) -> None:
    skb.ensure_writable(write_len)


def skb_checksum_help(skb: SkBuff) -> None:
    skb.checksum_help()


def lco_csum(skb: SkBuff) -> int:
    return skb.lco_csum()


def iptunnel_handle_offloads(skb: SkBuff, gso_type_mask: int) -> None:
    skb.iptunnel_handle_offloads(gso_type_mask)


def udp_flow_src_port(skb: SkBuff, min: int, max: int, use_eth: bool) -> int:
    return skb.udp_flow_src_port(min, max, use_eth)


__all__ = [name for name in dir() if name.startswith((
    "skb_", "pskb_", "alloc_", "kfree_", "consume_", "__skb_", "lco_", "iptunnel_", "udp_"))]
