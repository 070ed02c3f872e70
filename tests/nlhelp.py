"""Helpers for the nonlinear tests (issue 3): building paged skbs and frag_list
chains, deep snapshots that include frags, pages and members, and a
"nothing changed" context manager for failure paths.

Imported as ``import nlhelp`` / ``from nlhelp import ...`` (pytest puts this
directory on sys.path).  Builds on ``skbhelp`` for the linear snapshot parts.
"""

from __future__ import annotations

import contextlib
from typing import Iterable, Iterator

import skb
from skb.testing import check, check_pages
from skbhelp import (GEOMETRY, HEADERS, METADATA, counter_delta, counter_snapshot,
                     head_addr, head_bytes, truesize_of)

# Spec constants, written out so the tests cannot agree with a wrong engine.
PAGE_SIZE = 4096
MAX_SKB_FRAGS = 17
SKB_GSO_DODGY = 1 << 1
U32 = 0xFFFFFFFF

__all__ = [
    "PAGE_SIZE", "MAX_SKB_FRAGS", "SKB_GSO_DODGY", "U32", "truesize_of",
    "page_with", "paged", "member", "free_all", "nsnap", "still", "ok_all",
    "counter_snapshot", "counter_delta", "live_delta", "pattern",
]


def live_delta(before: dict) -> dict:
    """counter_delta without raw_blocks: what the kernel model holds (live
    skbs, heads, pages and their bytes), whatever Python handles still pin."""
    d = counter_delta(before)
    d.pop("raw_blocks", None)
    return d


def pattern(n: int, seed: int = 0) -> bytes:
    """n distinctive bytes (no long runs, so misplaced copies show)."""
    return bytes((seed * 37 + i * 7 + (i >> 8)) & 0xFF for i in range(n))


def page_with(data: bytes = b"", order: int = 0, at: int = 0) -> skb.Page:
    """A fresh page (Python holds its one reference) with data at offset at."""
    p = skb.alloc_page(order)
    p.data[at:at + len(data)] = data
    return p


def paged(head: bytes = b"", frags: Iterable = (), *, size: int | None = None,
          headroom: int = 0, frag_truesize: int | None = None,
          members: Iterable = ()) -> skb.SkBuff:
    """An skb: ``headroom`` reserved, ``head`` as linear data, then one frag per
    item of ``frags`` (bytes on a fresh page at offset 0, added with
    add_rx_frag and truesize ``frag_truesize`` or the frag's length), then
    ``members`` appended to the frag_list.  ``size`` defaults to
    headroom + len(head)."""
    s = skb.alloc_skb(size if size is not None else headroom + len(head))
    s.reserve(headroom)
    if head:
        s.put_data(head)
    for d in frags:
        p = page_with(d)
        s.add_rx_frag(s.nr_frags, p, 0, len(d),
                      len(d) if frag_truesize is None else frag_truesize)
    for m in members:
        s.frag_list_append(m)
    return s


def member(head: bytes = b"", frags: Iterable = (), **kw) -> skb.SkBuff:
    """A would-be frag_list member (same as paged, named for readability)."""
    return paged(head, frags, **kw)


def free_all(*skbs: skb.SkBuff) -> None:
    """kfree each skb Python holds a reference to."""
    for s in skbs:
        s.kfree()


def ok_all(*skbs: skb.SkBuff) -> None:
    """skb.testing.check on every skb, then check_pages()."""
    for s in skbs:
        check(s)
    check_pages()


def _frag_snap(f: skb.Frag, with_bytes: bool) -> tuple:
    snap = (f.page, f.offset, f.size, f.page.refcount, f.page.order)
    if with_bytes:
        snap += (bytes(f.page.data[f.offset:f.offset + f.size]),)
    return snap


def nsnap(s: skb.SkBuff, with_bytes: bool = True) -> dict:
    """Everything observable about a live skb: geometry, headers, metadata,
    gso fields, the head buffer, each frag (page identity, offset, size, the
    page's refcount and bytes) and each frag_list member (identity and its
    own snapshot, recursively).  ``with_bytes=False`` leaves out to_bytes()
    and the members' bytes (for skbs the structural guard refuses to walk)."""
    snap = {name: getattr(s, name) for name in GEOMETRY + HEADERS + METADATA}
    snap.update(
        nr_frags=s.nr_frags,
        gso_size=s.gso_size,
        gso_segs=s.gso_segs,
        gso_type=s.gso_type,
        cb=s.cb,
        head=head_addr(s),
        head_bytes=head_bytes(s),
        is_cloned=s.is_cloned(),
        header_cloned=s.header_cloned(),
        shared=s.shared(),
        data_readonly=s.data.readonly,
        type=type(s),
        repr=repr(s),
        frags=[_frag_snap(f, with_bytes) for f in s.frags],
        frag_list=[(m, nsnap(m, with_bytes)) for m in s.frag_list],
    )
    if with_bytes:
        snap["bytes"] = s.to_bytes()
    return snap


def _short(v: object) -> str:
    r = repr(v)
    return r if len(r) <= 160 else r[:150] + f"...({len(r)} chars)"


def _diff(b: dict, a: dict, ignore: tuple, where: str = "") -> dict:
    """Keys that differ between two nsnap()s (members compared recursively;
    ``ignore`` applies at every level)."""
    out = {}
    for k in b:
        if k in ignore or a[k] == b[k]:
            continue
        if k == "frag_list" and len(a[k]) == len(b[k]):
            for j, ((mb, sb), (ma, sa)) in enumerate(zip(b[k], a[k])):
                if mb is not ma:
                    out[f"{where}frag_list[{j}]"] = (_short(mb), _short(ma))
                else:
                    out.update(_diff(sb, sa, ignore, f"{where}frag_list[{j}]."))
            continue
        out[where + k] = (_short(b[k]), _short(a[k]))
    return out


def _page_snap(p: skb.Page) -> tuple:
    return (type(p), p.refcount, bytes(p.data))


@contextlib.contextmanager
def still(*skbs: skb.SkBuff, pages: Iterable[skb.Page] = (), with_bytes: bool = True,
          counters_too: bool = True, ignore: tuple = ()) -> Iterator[None]:
    """Assert the block leaves every given skb (deeply: frags, pages and
    members), every given page (handle state, refcount, bytes) and, unless
    ``counters_too`` is false, the engine's allocation counters exactly as
    they were.  ``ignore`` names snapshot keys (at every member level) the
    caller asserts separately."""
    pages = list(pages)
    before = [nsnap(s, with_bytes) for s in skbs]
    before_pages = [_page_snap(p) for p in pages]
    counters = counter_snapshot()
    yield
    for i, (s, b) in enumerate(zip(skbs, before)):
        a = nsnap(s, with_bytes)
        changed = _diff(b, a, ignore)
        assert not changed, f"skb #{i} changed (before, after): {changed}"
    for i, (p, b) in enumerate(zip(pages, before_pages)):
        assert _page_snap(p) == b, f"page #{i} changed: {b[:2]} -> {_page_snap(p)[:2]}"
    if counters_too:
        assert counter_delta(counters) == {}, "allocation counters moved"
