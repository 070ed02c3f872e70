"""The testing kit shipped with skb: the invariant checker, the pure-Python
twin (``skb.testing.model``), hypothesis strategies and the stateful machine."""

from .check import check

__all__ = ["check"]
