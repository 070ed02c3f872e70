"""Fault injection: make an engine allocation fail, to test -ENOMEM paths."""

from __future__ import annotations

import contextlib
from typing import Iterator

from .._engine import lib


@contextlib.contextmanager
def fail_nth_alloc(n: int = 1) -> Iterator[None]:
    """Within the block, the n-th engine allocation (1 = the next) fails once."""
    lib.skb_fail_nth_alloc(n)
    try:
        yield
    finally:
        lib.skb_fail_nth_alloc(0)
