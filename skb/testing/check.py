"""check(s): verify every invariant of an skb, explaining the first broken."""

from __future__ import annotations

from .._engine import ffi, lib
from ..errors import SkbInvariantError
from ..skbuff import FreedSkBuff, SkBuff

_REASON_SIZE = 512


def check(s: SkBuff) -> None:
    """Raise SkbInvariantError naming the first invariant ``s`` breaks.

    Geometry (head <= data <= tail <= end, len == headlen + data_len, the
    shared info closing the head buffer), data_len against frags and
    frag_list, header offsets inside the buffer and in order, dataref
    against the skbs that really use the head (both halves), the cloned
    bit, fclone_ref against the pair, truesize's kernel minimum, frags on
    live pages and inside them.  frag_list members are checked recursively.
    """
    if isinstance(s, FreedSkBuff):
        raise SkbInvariantError("the skb was freed")
    reason = ffi.new("char[]", _REASON_SIZE)
    if lib.skb_check(s._cd, reason, _REASON_SIZE):
        raise SkbInvariantError(ffi.string(reason).decode())


def check_pages() -> None:
    """Raise SkbInvariantError unless every live page's refcount equals the
    frag descriptors naming it (in live heads) plus Python's references."""
    reason = ffi.new("char[]", _REASON_SIZE)
    if lib.skb_check_pages(reason, _REASON_SIZE):
        raise SkbInvariantError(ffi.string(reason).decode())
