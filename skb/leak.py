"""Allocation counters and the leak check."""

from __future__ import annotations

import contextlib
import gc
from dataclasses import dataclass, fields
from typing import Iterator

from ._engine import ffi, lib
from .errors import SkbLeak
from .page import _gc_leak_count as _page_gc_leaks
from .skbuff import _gc_leak_count as _skb_gc_leaks


@dataclass(frozen=True)
class Counters:
    """What the engine has allocated and not freed.

    live_* count what the kernel model holds; zombie_* count memory the
    kernel released but Python views or handles still pin (not leaks);
    gc_leaks counts references the garbage collector had to drop.
    """

    live_skbs: int
    live_heads: int
    head_bytes: int
    live_pages: int
    page_bytes: int
    zombie_skbs: int
    zombie_heads: int
    zombie_pages: int
    raw_blocks: int
    gc_leaks: int


_LEAK_FIELDS = ("live_skbs", "live_heads", "live_pages", "gc_leaks")


def counters() -> Counters:
    """A snapshot of the engine's allocation counters."""
    c = ffi.new("struct skb_counters *")
    lib.skb_get_counters(c)
    values = {f.name: getattr(c, f.name) for f in fields(Counters) if f.name != "gc_leaks"}
    return Counters(gc_leaks=_skb_gc_leaks() + _page_gc_leaks(), **values)


def _leaks(before: Counters, after: Counters) -> list[str]:
    return [
        f"{name} {getattr(before, name)} -> {getattr(after, name)}"
        for name in _LEAK_FIELDS
        if getattr(after, name) != getattr(before, name)
    ]


@contextlib.contextmanager
def leak_check() -> Iterator[Counters]:
    """Fail with SkbLeak when the block leaves skbs, heads or pages behind,
    or when the garbage collector had to free skbs it still referenced."""
    before = counters()
    yield before
    leaks = _leaks(before, counters())
    if leaks:
        gc.collect()
        leaks = _leaks(before, counters())
    if leaks:
        raise SkbLeak("leaked: " + ", ".join(leaks))
