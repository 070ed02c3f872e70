"""The testing kit shipped with skb: the invariant checker, the pure-Python
twin (``skb.testing.model``), hypothesis strategies and the stateful machine."""

from .check import check, check_pages
from .faults import fail_nth_alloc

__all__ = ["check", "check_pages", "fail_nth_alloc"]
