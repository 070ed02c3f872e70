"""skb: the Linux kernel's struct sk_buff memory model, in C, from Python.

Start with ``alloc_skb``; ``skb.kernel`` has the kernel's spellings.
"""

from ._engine import lib as _lib
from .errors import (
    SkbBug,
    SkbDoubleFree,
    SkbError,
    SkbFault,
    SkbInvariantError,
    SkbLeak,
    SkbLeakWarning,
    SkbOverPanic,
    SkbPanic,
    SkbSegmentError,
    SkbSharedWrite,
    SkbUnderPanic,
    SkbUseAfterFree,
    SkbWarning,
)
from .drop import Drop, DropReason, drop_counts
from .features import GSO_BY_FRAGS, NETIF_F, SKB_GSO
from .gso import gso_segment
from .leak import Counters, counters, leak_check
from .page import BorrowedPage, Frag, FreedPage, Page, alloc_page
from .skbuff import BorrowedSkBuff, FreedSkBuff, SegmentList, SkBuff, alloc_skb

__version__ = "0.1.0"

MAX_SKB_FRAGS: int = _lib.MAX_SKB_FRAGS
NET_SKB_PAD: int = _lib.NET_SKB_PAD
CHECKSUM_NONE: int = _lib.CHECKSUM_NONE
CHECKSUM_UNNECESSARY: int = _lib.CHECKSUM_UNNECESSARY
CHECKSUM_COMPLETE: int = _lib.CHECKSUM_COMPLETE
CHECKSUM_PARTIAL: int = _lib.CHECKSUM_PARTIAL
SKB_FCLONE_UNAVAILABLE: int = _lib.SKB_FCLONE_UNAVAILABLE
SKB_FCLONE_ORIG: int = _lib.SKB_FCLONE_ORIG
SKB_FCLONE_CLONE: int = _lib.SKB_FCLONE_CLONE
PAGE_SIZE: int = _lib.PAGE_SIZE

__all__ = [
    "BorrowedPage",
    "BorrowedSkBuff",
    "CHECKSUM_COMPLETE",
    "CHECKSUM_NONE",
    "CHECKSUM_PARTIAL",
    "CHECKSUM_UNNECESSARY",
    "Counters",
    "Drop",
    "DropReason",
    "Frag",
    "FreedPage",
    "FreedSkBuff",
    "GSO_BY_FRAGS",
    "MAX_SKB_FRAGS",
    "NETIF_F",
    "NET_SKB_PAD",
    "PAGE_SIZE",
    "Page",
    "SKB_FCLONE_CLONE",
    "SKB_FCLONE_ORIG",
    "SKB_FCLONE_UNAVAILABLE",
    "SKB_GSO",
    "SegmentList",
    "SkBuff",
    "SkbBug",
    "SkbDoubleFree",
    "SkbError",
    "SkbFault",
    "SkbInvariantError",
    "SkbLeak",
    "SkbLeakWarning",
    "SkbOverPanic",
    "SkbPanic",
    "SkbSegmentError",
    "SkbSharedWrite",
    "SkbUnderPanic",
    "SkbUseAfterFree",
    "SkbWarning",
    "alloc_page",
    "alloc_skb",
    "counters",
    "drop_counts",
    "gso_segment",
    "leak_check",
]
