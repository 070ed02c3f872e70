"""The stateful test: random operation sequences on the engine and the twin.

``SkbMachine`` is a hypothesis ``RuleBasedStateMachine`` (zarr's and
pyrsistent's pattern: the model beside the implementation, every rule applied
to both).  Its state is pairs: each skb and each page exists twice, once in
the C engine (``skb``) and once in the pure-Python twin
(``skb.testing.model``), and a pair lives in a Bundle.  Every rule makes the
same call, with the same arguments (out-of-range and misuse ones included),
on both sides and requires the same outcome: the same exception type, or
equal results (the bytes and ``readonly`` flag of a view, ints, bools, the
corresponding skb or page).  Freed objects stay in the bundles, so use after
free and double free are exercised too.

After every step the invariants compare everything observable about every
pair (geometry, sharing, metadata, header offsets, gso fields, frags through
the page pairs, frag_list membership, the bytes of every head and page, the
bytes of every view taken so far), run ``skb.testing.check`` on every live
engine skb (predicting from the twin when the checker must object) and
``check_pages()``, and compare the engine's and the twin's live counters with
what the machine believes is alive.  ``teardown`` gives back every reference
Python still holds, so a leak check around the test passes.

Run it with::

    from skb.testing.stateful import SkbMachine
    TestSkb = SkbMachine.TestCase

Where the engine deliberately differs from the kernel in a way the twin
cannot follow (``ENGINE_CHOICES``) the rules steer around it; each such
exclusion names its entry.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Optional

from hypothesis import event, note
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

import skb as engine
import skb.csum as engine_csum
from skb._engine import ffi as _ffi
from skb.errors import (
    SkbInvariantError,
    SkbOverPanic,
    SkbUnderPanic,
    SkbUseAfterFree,
    SkbWarning,
)
from skb.testing import check, check_pages
from skb.testing import model as twin
from skb.testing.strategies import recipes

__all__ = ["ENGINE_CHOICES", "SkbMachine"]

#: Where the engine deliberately differs from the kernel in a way the twin
#: cannot follow; the rules avoid exactly these cases (search for the key).
#: (The engine bugs this machine found are fixed; tests/testing/
#: test_engine_bugs.py keeps one reproduction of each.)
ENGINE_CHOICES = {
    "fclone-companion-pinned": (
        "skb_clone of an fclone original whose companion died (as a frag_list "
        "member, or any way but Python's last kfree) while Python still has the "
        "companion's handle gives a plain clone (fclone 0): the handle pins the "
        "companion's memory, and handing it out again would bring a dead handle "
        "back to life.  The kernel reuses the companion; the twin cannot tell "
        "whether a handle still exists."
    ),
}

# Argument edges: the C parameter types decide the range (api-2-3.md).
_U32_EDGES = (-1, 2**32 - 1, 2**32, 2**31, True, 1.5, None)
_S32_EDGES = (-(2**31), 2**31 - 1, 2**31, -(2**31) - 1, -1, False, 1.5)
_SKB_ATTRS = (
    "len", "data_len", "headlen", "headroom", "tailroom", "data_offset", "tail_offset",
    "end_offset", "truesize", "users", "dataref", "cloned", "nohdr", "hdr_len", "fclone",
    "fclone_ref", "mac_len", "mac_header", "network_header", "transport_header",
    "inner_mac_header", "inner_network_header", "inner_transport_header", "mac_offset",
    "network_offset", "transport_offset", "inner_mac_offset", "inner_network_offset",
    "inner_transport_offset", "network_header_len", "ip_summed", "csum", "csum_start",
    "csum_offset", "csum_level", "protocol", "inner_protocol", "encapsulation",
    "vlan_proto", "vlan_tci", "priority", "mark", "hash", "pkt_type", "queue_mapping",
    "cb", "gso_size", "gso_segs", "gso_type", "nr_frags",
)
_PREDICATES = ("is_cloned", "header_cloned", "shared")
_HEADERS = ("mac", "network", "transport", "inner_mac", "inner_network", "inner_transport")
_META = {  # settable metadata and its width in bits
    "ip_summed": 2, "csum": 32, "csum_start": 16, "csum_offset": 16, "csum_level": 2,
    "protocol": 16, "inner_protocol": 16, "encapsulation": 1, "vlan_proto": 16,
    "vlan_tci": 16, "priority": 32, "mark": 32, "hash": 32, "pkt_type": 3,
    "queue_mapping": 16,
}
_GSO = {"gso_size": 16, "gso_segs": 16, "gso_type": 32}


def _with_edges(normal: st.SearchStrategy, edges: tuple) -> st.SearchStrategy:
    """Mostly normal values, now and then an edge (out of range, misuse)."""
    return st.integers(0, 11).flatmap(
        lambda k: st.sampled_from(edges) if k == 0 else normal)


def u32(normal: st.SearchStrategy) -> st.SearchStrategy:
    return _with_edges(normal, _U32_EDGES)


def s32(normal: st.SearchStrategy) -> st.SearchStrategy:
    return _with_edges(normal, _S32_EDGES)


def _is_int(v: object) -> bool:
    return isinstance(v, int)


def _bad(*args: tuple[str, Any]) -> int:
    """How many of the (kind, value) arguments are out of their C type's
    range or not ints (kind "u32", "s32", "u8"), or freed (kind "handle":
    a twin skb or page)."""
    lo = {"u32": 0, "s32": -(2**31), "u8": 0}
    hi = {"u32": 2**32 - 1, "s32": 2**31 - 1, "u8": 255}
    return sum(_freed(v) if k == "handle" else not _is_int(v) or not lo[k] <= v <= hi[k]
               for k, v in args)


class Pair:
    """One object on both sides: ``e`` in the engine, ``t`` in the twin.
    ``refs`` is the number of references the machine believes Python holds;
    ``python_freed`` says the object died when Python dropped its last
    reference (not behind a handle Python keeps, as a frag_list member does)."""

    __slots__ = ("e", "t", "name", "refs", "python_freed")

    def __init__(self, e: Any, t: Any, name: str, refs: int) -> None:
        self.e, self.t, self.name, self.refs = e, t, name, refs
        self.python_freed = False

    def dropped(self) -> None:
        """Python gave back one reference (kfree, unshare, ...)."""
        self.refs -= 1
        if _freed(self.t):
            self.python_freed = True

    def __repr__(self) -> str:
        return self.name


class ViewPair:
    """A memoryview on both sides, kept to compare what it shows later."""

    __slots__ = ("e", "t", "name")

    def __init__(self, e: memoryview, t: memoryview, name: str) -> None:
        self.e, self.t, self.name = e, t, name

    def __repr__(self) -> str:
        return self.name


class _Raised:
    """Marker result: both sides raised the same exception type."""

    def __init__(self, exc_type: type) -> None:
        self.type = exc_type

    def __repr__(self) -> str:
        return f"raised {self.type.__name__}"


def _run(fn: Callable[[], Any]) -> tuple[Any, Optional[BaseException], list]:
    """Call fn; return (result, exception, SkbWarning categories)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result, exc = fn(), None
        except Exception as e:  # compared by type with the other side
            result, exc = None, e
    warns = [w.category.__name__ for w in caught if issubclass(w.category, SkbWarning)]
    return result, exc, warns


def _freed(x: Any) -> bool:
    """Is this skb or page freed?  (Every public access then raises.)"""
    try:
        x.refcount if hasattr(type(x), "refcount") else x.len
    except SkbUseAfterFree:
        return True
    return False


def _twin_consistent(t: Any) -> bool:
    """data_len matches the frags and members, for t and its whole tree."""
    if t.data_len != sum(f.size for f in t.frags) + sum(m.len for m in t.frag_list):
        return False
    return all(_twin_consistent(m) for m in t.frag_list)


def _twin_self_consistent(t: Any) -> bool:
    return t.data_len == sum(f.size for f in t.frags) + sum(m.len for m in t.frag_list)


def _expected_check(t: Any) -> str:
    """What skb.testing.check must say about the engine twin of t: "ok",
    "fail" (an invariant of the checker is broken in a state the spec
    allows, e.g. a header offset past end after pskb_copy, or a member
    changed behind its owner), or "order" (header offsets out of order: the
    checker objects only if both were set explicitly, which the twin does
    not record)."""
    verdict = "ok"
    end = t.end_offset
    # the raw u16 offsets (the twin says None for an unset mac/transport
    # header, 0xFFFF, and for an inner one still 0); the checker skips 0xFFFF
    raw = [0xFFFF if v is None else v for v in (
        t.mac_header, t.network_header, t.transport_header)]
    raw += [v or 0 for v in (t.inner_mac_header, t.inner_network_header,
                             t.inner_transport_header)]
    for v in raw:
        if v != 0xFFFF and v > end:
            return "fail"
    for i in (0, 1, 3, 4):
        if 0xFFFF not in (raw[i], raw[i + 1]) and raw[i] > raw[i + 1]:
            verdict = "order"
    if t.truesize < twin.skb_truesize(end) or not _twin_self_consistent(t):
        return "fail"
    for m in t.frag_list:
        sub = _expected_check(m)
        if sub == "fail":
            return "fail"
        if sub == "order":
            verdict = "order"
    return verdict


def _head_bytes_engine(e: Any) -> bytes:
    cd = e._cd
    return bytes(_ffi.buffer(cd.head, cd.end))


class SkbMachine(RuleBasedStateMachine):
    """Engine and twin side by side; see the module documentation."""

    skbs = Bundle("skbs")
    pages = Bundle("pages")
    views = Bundle("views")

    def __init__(self) -> None:
        super().__init__()
        self.all_skbs: list[Pair] = []
        self.all_pages: list[Pair] = []
        self.all_views: list[ViewPair] = []
        self.skb_by_t: dict[int, Pair] = {}
        self.skb_by_e: dict[int, Pair] = {}
        self.page_by_t: dict[int, Pair] = {}
        self.page_by_e: dict[int, Pair] = {}
        self.base_e = engine.counters()
        self.base_t = twin.counters()
        self.n_skbs = self.n_pages = self.n_views = 0
        self.orphans: list[Any] = []  # results only one side produced

    # ------------------------------------------------------------------
    # bookkeeping

    def _new_skb(self, e: Any, t: Any, refs: int = 1) -> Pair:
        assert id(t) not in self.skb_by_t, f"twin returned a known skb {t!r} as new"
        assert id(e) not in self.skb_by_e, f"engine returned a known skb {e!r} as new"
        p = Pair(e, t, f"s{self.n_skbs}", refs)
        self.n_skbs += 1
        self.all_skbs.append(p)
        self.skb_by_t[id(t)] = p
        self.skb_by_e[id(e)] = p
        return p

    def _new_page(self, e: Any, t: Any, refs: int = 1) -> Pair:
        p = Pair(e, t, f"p{self.n_pages}", refs)
        self.n_pages += 1
        self.all_pages.append(p)
        self.page_by_t[id(t)] = p
        self.page_by_e[id(e)] = p
        return p

    def _new_view(self, e: memoryview, t: memoryview) -> ViewPair:
        v = ViewPair(e, t, f"v{self.n_views}")
        self.n_views += 1
        self.all_views.append(v)
        return v

    def _skb_pair_of(self, e: Any, t: Any) -> Pair:
        """The pair of an skb both sides returned (registering a new one, e.g.
        a clone the kernel put into a frag_list on its own)."""
        p = self.skb_by_t.get(id(t))
        if p is None:
            assert id(e) not in self.skb_by_e, (
                f"engine handle of {self.skb_by_e[id(e)]} appears where the twin "
                f"has a new skb")
            p = self._new_skb(e, t, refs=0)
            note(f"# {p} is a new frag_list member")
        assert p.e is e, f"{p}: the engine handle is not the one the machine holds"
        return p

    def _page_pair_of(self, e: Any, t: Any) -> Pair:
        p = self.page_by_t.get(id(t))
        assert p is not None, f"the twin shows a page the machine never saw: {t!r}"
        assert p.e is e, f"{p}: the engine page handle differs from the machine's"
        return p

    # ------------------------------------------------------------------
    # running one call on both sides

    def _do(self, text: str, fe: Callable[[], Any], ft: Callable[[], Any],
            bad: int = 0) -> Any:
        """Run the call on both sides; both must raise the same exception
        type (then a _Raised is returned) or both succeed (then (re, rt)).
        With bad >= 2 arguments out of range (or freed), which one is reported
        first is not specified: any pair of TypeError, OverflowError and
        SkbUseAfterFree is accepted."""
        re_, ee, we = _run(fe)
        rt, et, wt = _run(ft)
        if ee is not None or et is not None:
            for result in (re_, rt):  # a disagreement: free what one side made
                if isinstance(result, (engine.SkBuff, engine.Page, twin.SkBuff, twin.Page)):
                    self.orphans.append(result)
            argument_errors = (TypeError, OverflowError, SkbUseAfterFree)
            if bad >= 2 and isinstance(ee, argument_errors) and isinstance(et, argument_errors):
                note(f"{text}  -> {type(ee).__name__} / {type(et).__name__}")
                return _Raised(type(ee))
            assert type(ee) is type(et), (
                f"{text}: engine {'returned ' + repr(re_) if ee is None else repr(ee)}, "
                f"twin {'returned ' + repr(rt) if et is None else repr(et)}")
            if isinstance(ee, (SkbOverPanic, SkbUnderPanic)):
                fields_e = (ee.len, ee.put, ee.tail, ee.end, ee.data - ee.head)
                fields_t = (et.len, et.put, et.tail, et.end, et.data - et.head)
                assert fields_e == fields_t, f"{text}: panic fields {fields_e} != {fields_t}"
            assert we == wt, f"{text}: engine warned {we}, twin warned {wt}"
            note(f"{text}  -> {type(ee).__name__}")
            return _Raised(type(ee))
        assert we == wt, f"{text}: engine warned {we}, twin warned {wt}"
        return re_, rt

    def _value(self, text: str, fe: Callable[[], Any], ft: Callable[[], Any],
               bad: int = 0) -> Any:
        """A call whose plain results (ints, bools, bytes, None) must be equal."""
        out = self._do(text, fe, ft, bad)
        if isinstance(out, _Raised):
            return out
        re_, rt = out
        assert type(re_) is type(rt) and re_ == rt, f"{text}: engine {re_!r} != twin {rt!r}"
        note(f"{text}  -> {re_!r}" if not isinstance(re_, bytes) or len(re_) < 40
             else f"{text}  -> {len(re_)} bytes")
        return re_

    def _view(self, text: str, fe: Callable[[], Any], ft: Callable[[], Any],
              bad: int = 0) -> Any:
        """A call returning a memoryview (or None): same bytes, same
        writability; the pair goes to the views bundle."""
        out = self._do(text, fe, ft, bad)
        if isinstance(out, _Raised):
            return multiple()
        re_, rt = out
        if re_ is None or rt is None:
            assert re_ is None and rt is None, f"{text}: engine {re_!r}, twin {rt!r}"
            note(f"{text}  -> None")
            return multiple()
        assert isinstance(re_, memoryview) and isinstance(rt, memoryview), (re_, rt)
        assert re_.readonly == rt.readonly, (
            f"{text}: engine view readonly={re_.readonly}, twin readonly={rt.readonly}")
        assert bytes(re_) == bytes(rt), f"{text}: view bytes differ"
        v = self._new_view(re_, rt)
        note(f"{v} = {text}  (len {len(re_)}, readonly {re_.readonly})")
        return v

    def _skb_result(self, text: str, s: Pair, fe: Callable[[], Any],
                    ft: Callable[[], Any], consumes_original: bool = False) -> Any:
        """A call returning an skb: self (same pair), or a new skb whose one
        reference Python holds (consumes_original: unshare/share_check drop
        the original's reference when they return a new one)."""
        out = self._do(text, fe, ft)
        if isinstance(out, _Raised):
            if consumes_original and out.type is MemoryError:
                s.dropped()  # skb_unshare frees the original when the copy fails
            return multiple()
        re_, rt = out
        if re_ is s.e or rt is s.t:
            assert re_ is s.e and rt is s.t, f"{text}: only one side returned self"
            note(f"{text}  -> {s} itself")
            return multiple()
        if consumes_original:
            s.dropped()
        p = self._new_skb(re_, rt)
        note(f"{p} = {text}")
        return p

    # ------------------------------------------------------------------
    # argument helpers (draws depend on the twin's current state)

    @staticmethod
    def _geom(s: Pair) -> tuple[int, int, int, int]:
        """(len, headroom, tailroom, nr_frags) of the twin, zeros when freed."""
        try:
            t = s.t
            return t.len, t.headroom, t.end_offset - t.tail_offset, t.nr_frags
        except SkbUseAfterFree:
            return 0, 0, 0, 0

    # ------------------------------------------------------------------
    # allocation

    @initialize(target=skbs)
    def first_skb(self) -> Pair:
        p = self._new_skb(engine.alloc_skb(200), twin.alloc_skb(200))
        note(f"{p} = alloc_skb(200)")
        return p

    @rule(target=skbs,
          size=_with_edges(st.integers(0, 2000),
                           (0, 384, 385, 1500, 7872, 7873, 16064, 65536, 4193984,
                            4193985, 2**32 - 1, 2**32, -1, 1.5)),
          fclone=st.booleans())
    def alloc_skb(self, size: Any, fclone: bool) -> Any:
        return self._skb_result(
            f"alloc_skb({size!r}, fclone={fclone})", Pair(None, None, "-", 0),
            lambda: engine.alloc_skb(size, fclone=fclone),
            lambda: twin.alloc_skb(size, fclone=fclone))

    @rule(target=pages, order=_with_edges(st.sampled_from([0, 0, 0, 1, 2]),
                                          (10, 11, -1, 2**32, 1.5)))
    def alloc_page(self, order: Any) -> Any:
        out = self._do(f"alloc_page({order!r})", lambda: engine.alloc_page(order),
                       lambda: twin.alloc_page(order))
        if isinstance(out, _Raised):
            return multiple()
        p = self._new_page(*out)
        note(f"{p} = alloc_page({order!r})")
        return p

    @precondition(lambda self: len(self.all_skbs) < 60)  # keeps every step's checks cheap
    @rule(target=skbs, data=st.data())
    def build(self, data: st.DataObject) -> Any:
        """A whole shape from skb.testing.strategies, built on both sides."""
        recipe = data.draw(recipes(max_depth=2, max_frags=3, max_members=2,
                                   max_payload=100), label="recipe")
        out = self._do(f"build({recipe!r})", lambda: recipe.build(engine),
                       lambda: recipe.build(twin))
        if isinstance(out, _Raised):
            return multiple()
        be, bt = out
        for pe, pt in zip(be.pages, bt.pages):
            self._new_page(pe, pt, refs=sum(x is pt for x in bt.page_refs))
        made = []
        for se, stw in zip(be.created, bt.created):
            p = self._new_skb(se, stw, refs=sum(x is stw for x in bt.owned))
            p.python_freed = _freed(stw)  # the clones the build kfree'd
            made.append(p)
        note(f"{', '.join(map(str, made))} = build(...)  # handed out: "
             f"{self.skb_by_t[id(bt.skb)]}")
        return multiple(*made)

    @rule(target=skbs, s=skbs)
    def members(self, s: Pair) -> Any:
        """Take handles on s's frag_list members (borrowed: Python holds no
        reference on them)."""
        out = self._do(f"{s}.frag_list", lambda: s.e.frag_list, lambda: s.t.frag_list)
        if isinstance(out, _Raised):
            return multiple()
        re_, rt = out
        assert len(re_) == len(rt)
        return multiple(*(self._skb_pair_of(e, t) for e, t in zip(re_, rt)))

    @rule(target=pages, s=skbs)
    def frag_pages(self, s: Pair) -> Any:
        """Take the pages under s's frags (borrowed handles)."""
        out = self._do(f"{s}.frags", lambda: s.e.frags, lambda: s.t.frags)
        if isinstance(out, _Raised):
            return multiple()
        re_, rt = out
        return multiple(*(self._page_pair_of(fe.page, ft.page) for fe, ft in zip(re_, rt)))

    # ------------------------------------------------------------------
    # lifetimes

    @rule(s=skbs)
    def get(self, s: Pair) -> None:
        out = self._do(f"{s}.get()", s.e.get, s.t.get)
        if not isinstance(out, _Raised):
            assert out[0] is s.e and out[1] is s.t, "get() must return self"
            s.refs += 1
            note(f"{s}.get()")

    @rule(s=skbs, consume=st.booleans())
    def kfree(self, s: Pair, consume: bool) -> None:
        name = "consume" if consume else "kfree"
        out = self._do(f"{s}.{name}()", getattr(s.e, name), getattr(s.t, name))
        if not isinstance(out, _Raised):
            s.dropped()
            note(f"{s}.{name}()")

    def _companion_pinned(self, s: Pair) -> bool:
        """ENGINE_CHOICES["fclone-companion-pinned"]: would a clone of s, or of a
        frag_list member below it (pulls and trims clone shared members), hit
        an fclone original whose companion is free again but died behind a
        handle Python still has?"""
        try:
            todo = [s.t]
            pinned = {id(q.t._pair) for q in self.all_skbs
                      if q.t._fclone == twin.SKB_FCLONE_CLONE and not q.python_freed
                      and _freed(q.t)}
            while todo:
                t = todo.pop()
                if (t.fclone == twin.SKB_FCLONE_ORIG and t.fclone_ref == 1
                        and id(t._pair) in pinned):
                    return True
                todo += t.frag_list
        except SkbUseAfterFree:
            pass
        return False

    @rule(target=skbs, s=skbs)
    def clone(self, s: Pair) -> Any:
        if self._companion_pinned(s):
            note("skipped: ENGINE_CHOICES['fclone-companion-pinned']")
            return multiple()
        return self._skb_result(f"{s}.clone()", s, s.e.clone, s.t.clone)

    @rule(target=skbs, s=skbs)
    def copy(self, s: Pair) -> Any:
        return self._skb_result(f"{s}.copy()", s, s.e.copy, s.t.copy)

    @rule(target=skbs, s=skbs)
    def pskb_copy(self, s: Pair) -> Any:
        return self._skb_result(f"{s}.pskb_copy()", s, s.e.pskb_copy, s.t.pskb_copy)

    @rule(target=skbs, s=skbs, data=st.data())
    def realloc_headroom(self, s: Pair, data: st.DataObject) -> Any:
        h = data.draw(u32(st.integers(0, self._geom(s)[1] + 200)), label="headroom")
        if self._companion_pinned(s):
            note("skipped: ENGINE_CHOICES['fclone-companion-pinned']")
            return multiple()
        return self._skb_result(f"{s}.realloc_headroom({h!r})", s,
                                lambda: s.e.realloc_headroom(h),
                                lambda: s.t.realloc_headroom(h))

    @rule(target=skbs, s=skbs)
    def unshare(self, s: Pair) -> Any:
        return self._skb_result(f"{s}.unshare()", s, s.e.unshare, s.t.unshare,
                                consumes_original=True)

    @rule(target=skbs, s=skbs)
    def share_check(self, s: Pair) -> Any:
        if self._companion_pinned(s):
            note("skipped: ENGINE_CHOICES['fclone-companion-pinned']")
            return multiple()
        return self._skb_result(f"{s}.share_check()", s, s.e.share_check,
                                s.t.share_check, consumes_original=True)

    @rule(s=skbs)
    def header_release(self, s: Pair) -> None:
        self._value(f"{s}.header_release()", s.e.header_release, s.t.header_release)

    @rule(s=skbs, data=st.data())
    def expand_head(self, s: Pair, data: st.DataObject) -> None:
        nhead = data.draw(s32(st.integers(0, 300)), label="nhead")
        ntail = data.draw(s32(st.integers(-200, 300)), label="ntail")
        self._value(f"{s}.expand_head({nhead!r}, {ntail!r})",
                    lambda: s.e.expand_head(nhead, ntail),
                    lambda: s.t.expand_head(nhead, ntail),
                    _bad(("s32", nhead), ("s32", ntail)))

    @rule(s=skbs, head=st.booleans(), data=st.data())
    def cow(self, s: Pair, head: bool, data: st.DataObject) -> None:
        h = data.draw(u32(st.integers(0, self._geom(s)[1] + 200)), label="headroom")
        name = "cow_head" if head else "cow"
        self._value(f"{s}.{name}({h!r})", lambda: getattr(s.e, name)(h),
                    lambda: getattr(s.t, name)(h))

    # ------------------------------------------------------------------
    # linear operations

    @rule(s=skbs, data=st.data())
    def reserve(self, s: Pair, data: st.DataObject) -> None:
        length, headroom, tailroom, _ = self._geom(s)
        n = data.draw(s32(st.integers(-headroom - 4, tailroom + 4)), label="n")
        self._value(f"{s}.reserve({n!r})", lambda: s.e.reserve(n), lambda: s.t.reserve(n))

    @rule(target=views, s=skbs, data=st.data())
    def put(self, s: Pair, data: st.DataObject) -> Any:
        n = data.draw(u32(st.integers(0, self._geom(s)[2] + 8)), label="n")
        return self._view(f"{s}.put({n!r})", lambda: s.e.put(n), lambda: s.t.put(n))

    @rule(target=views, s=skbs, payload=st.binary(max_size=120))
    def put_data(self, s: Pair, payload: bytes) -> Any:
        return self._view(f"{s}.put_data({payload!r})", lambda: s.e.put_data(payload),
                          lambda: s.t.put_data(payload))

    @rule(target=views, s=skbs, data=st.data())
    def put_zero(self, s: Pair, data: st.DataObject) -> Any:
        n = data.draw(u32(st.integers(0, self._geom(s)[2] + 8)), label="n")
        return self._view(f"{s}.put_zero({n!r})", lambda: s.e.put_zero(n),
                          lambda: s.t.put_zero(n))

    @rule(target=views, s=skbs, data=st.data())
    def push(self, s: Pair, data: st.DataObject) -> Any:
        n = data.draw(u32(st.integers(0, self._geom(s)[1] + 8)), label="n")
        return self._view(f"{s}.push({n!r})", lambda: s.e.push(n), lambda: s.t.push(n))

    @rule(target=views, s=skbs, data=st.data())
    def pull(self, s: Pair, data: st.DataObject) -> Any:
        n = data.draw(u32(st.integers(0, self._geom(s)[0] + 8)), label="n")
        return self._view(f"{s}.pull({n!r})", lambda: s.e.pull(n), lambda: s.t.pull(n))

    @rule(s=skbs, paged=st.booleans(), data=st.data())
    def trim(self, s: Pair, paged: bool, data: st.DataObject) -> None:
        n = data.draw(u32(st.integers(0, self._geom(s)[0] + 8)), label="n")
        name = "pskb_trim" if paged else "trim"
        try:
            t = s.t
            if paged and _is_int(n) and n < t.len and t.data_len and \
                    self._companion_pinned(s):
                note("skipped: ENGINE_CHOICES['fclone-companion-pinned']")
                return
        except SkbUseAfterFree:
            pass
        self._value(f"{s}.{name}({n!r})", lambda: getattr(s.e, name)(n),
                    lambda: getattr(s.t, name)(n))

    @rule(target=views, s=skbs)
    def data_view(self, s: Pair) -> Any:
        return self._view(f"{s}.data", lambda: s.e.data, lambda: s.t.data)

    @rule(v=views, data=st.data())
    def write_view(self, v: ViewPair, data: st.DataObject) -> None:
        """Write through a view taken earlier (read-only ones must refuse)."""
        assert v.e.readonly == v.t.readonly
        size = len(v.e)
        if size == 0:
            return
        a = data.draw(st.integers(0, size - 1), label="at")
        payload = data.draw(st.binary(min_size=1, max_size=size - a), label="bytes")

        def write(view: memoryview) -> Callable[[], None]:
            def f() -> None:
                view[a:a + len(payload)] = payload
            return f

        self._value(f"{v}[{a}:{a + len(payload)}] = {payload!r}", write(v.e), write(v.t))

    # ------------------------------------------------------------------
    # header offsets and metadata

    @rule(s=skbs, which=st.sampled_from(_HEADERS), reset=st.booleans(), data=st.data())
    def set_header(self, s: Pair, which: str, reset: bool, data: st.DataObject) -> None:
        if reset:
            name, args = f"reset_{which}_header", ()
        else:
            length, headroom, tailroom, _ = self._geom(s)
            off = data.draw(s32(st.integers(-headroom - 4, length + tailroom + 4)),
                            label="offset")
            name, args = f"set_{which}_header", (off,)
        self._value(f"{s}.{name}{args!r}".replace(",)", ")"),
                    lambda: getattr(s.e, name)(*args), lambda: getattr(s.t, name)(*args))

    @rule(s=skbs, name=st.sampled_from(["reset_inner_headers", "reset_mac_len"]))
    def reset_misc(self, s: Pair, name: str) -> None:
        self._value(f"{s}.{name}()", getattr(s.e, name), getattr(s.t, name))

    @rule(s=skbs, name=st.sampled_from(sorted(_META) + sorted(_GSO)), data=st.data())
    def set_field(self, s: Pair, name: str, data: st.DataObject) -> None:
        bits = _META.get(name) or _GSO[name]
        top = (1 << bits) - 1
        edges = (-1, top + 1, None, True, 1.5)
        value = data.draw(_with_edges(st.integers(0, min(top, 70000)) | st.just(top), edges),
                          label="value")

        def setter(x: Any) -> Callable[[], None]:
            return lambda: setattr(x, name, value)

        self._value(f"{s}.{name} = {value!r}", setter(s.e), setter(s.t))

    @rule(s=skbs, value=st.one_of(st.binary(max_size=50), st.just("text"), st.just(5),
                                  st.just(49)))
    def set_cb(self, s: Pair, value: Any) -> None:
        def setter(x: Any) -> Callable[[], None]:
            return lambda: setattr(x, "cb", value)

        self._value(f"{s}.cb = {value!r}", setter(s.e), setter(s.t))

    # ------------------------------------------------------------------
    # pages and frags

    @rule(p=pages)
    def page_get(self, p: Pair) -> None:
        out = self._do(f"{p}.get()", p.e.get, p.t.get)
        if not isinstance(out, _Raised):
            assert out[0] is p.e and out[1] is p.t
            p.refs += 1
            note(f"{p}.get()")

    @rule(p=pages)
    def page_put(self, p: Pair) -> None:
        out = self._do(f"{p}.put()", p.e.put, p.t.put)
        if not isinstance(out, _Raised):
            p.refs -= 1
            note(f"{p}.put()")

    @rule(p=pages, data=st.data())
    def page_write(self, p: Pair, data: st.DataObject) -> None:
        at = data.draw(st.integers(0, 4095), label="at")
        payload = data.draw(st.binary(min_size=1, max_size=64), label="bytes")

        def write(page: Any) -> Callable[[], None]:
            def f() -> None:
                page.data[at:at + len(payload)] = payload
            return f

        self._value(f"{p}.data[{at}:{at + len(payload)}] = {payload!r}",
                    write(p.e), write(p.t))

    def _frag_args(self, s: Pair, p: Pair, data: st.DataObject) -> tuple:
        nr = self._geom(s)[3]
        i = data.draw(_with_edges(st.just(nr) | st.integers(0, 18), (-1, 2**31, 1.5)),
                      label="i")
        try:
            size = p.t.size
        except SkbUseAfterFree:
            size = 4096
        off = data.draw(u32(st.integers(0, size)), label="off")
        room = max(0, size - off) if _is_int(off) else 0
        length = data.draw(u32(st.integers(0, min(room, 2000)) | st.integers(0, room + 64)),
                           label="size")
        return i, off, length

    @rule(s=skbs, p=pages, data=st.data())
    def fill_page_desc(self, s: Pair, p: Pair, data: st.DataObject) -> None:
        i, off, size = self._frag_args(s, p, data)
        out = self._value(f"{s}.fill_page_desc({i!r}, {p}, {off!r}, {size!r})",
                          lambda: s.e.fill_page_desc(i, p.e, off, size),
                          lambda: s.t.fill_page_desc(i, p.t, off, size),
                          _bad(("s32", i), ("u32", off), ("u32", size), ("handle", p.t)))
        if not isinstance(out, _Raised):
            p.refs -= 1

    @rule(s=skbs, p=pages, data=st.data())
    def add_rx_frag(self, s: Pair, p: Pair, data: st.DataObject) -> None:
        i, off, size = self._frag_args(s, p, data)
        truesize = data.draw(u32(st.sampled_from([0, 4096, 2048]) | st.integers(0, 9000)),
                             label="truesize")
        out = self._value(
            f"{s}.add_rx_frag({i!r}, {p}, {off!r}, {size!r}, {truesize!r})",
            lambda: s.e.add_rx_frag(i, p.e, off, size, truesize),
            lambda: s.t.add_rx_frag(i, p.t, off, size, truesize),
            _bad(("s32", i), ("u32", off), ("u32", size), ("u32", truesize),
                 ("handle", p.t)))
        if not isinstance(out, _Raised):
            p.refs -= 1

    @rule(target=pages, s=skbs, data=st.data())
    def add_fresh_frag(self, s: Pair, data: st.DataObject) -> Any:
        """alloc_page and add_rx_frag it as the next frag (the common driver
        path), sometimes twice, adjacent, as a driver filling one page."""
        out = self._do("alloc_page()", engine.alloc_page, twin.alloc_page)
        p = self._new_page(*out)
        note(f"{p} = alloc_page()")
        off = data.draw(st.integers(0, 4000), label="off")
        for _ in range(data.draw(st.integers(1, 2), label="frags")):
            if p.refs == 0:
                self.page_get(p)
            size = data.draw(st.integers(0, min(300, 4096 - off)), label="size")
            i = self._geom(s)[3]
            args = (i, off, size, 4096)
            out = self._value(f"{s}.add_rx_frag({i}, {p}, {off}, {size}, 4096)",
                              lambda a=args: s.e.add_rx_frag(a[0], p.e, *a[1:]),
                              lambda a=args: s.t.add_rx_frag(a[0], p.t, *a[1:]))
            if not isinstance(out, _Raised):
                p.refs -= 1
            off += size
        return p

    @rule(s=skbs, p=pages, data=st.data())
    def can_coalesce(self, s: Pair, p: Pair, data: st.DataObject) -> None:
        nr = self._geom(s)[3]
        i = data.draw(s32(st.integers(0, nr + 1)), label="i")
        ends = []
        try:
            ends = [f.offset + f.size for f in s.t.frags]
        except SkbUseAfterFree:
            pass
        off = data.draw(u32(st.sampled_from(ends) if ends else st.integers(0, 4096))
                        | st.integers(0, 4096), label="off")
        self._value(f"{s}.can_coalesce({i!r}, {p}, {off!r})",
                    lambda: s.e.can_coalesce(i, p.e, off),
                    lambda: s.t.can_coalesce(i, p.t, off),
                    _bad(("s32", i), ("u32", off), ("handle", p.t)))

    @rule(s=skbs, data=st.data())
    def coalesce_rx_frag(self, s: Pair, data: st.DataObject) -> None:
        nr = self._geom(s)[3]
        i = data.draw(s32(st.integers(0, max(0, nr - 1)) | st.integers(-1, nr)), label="i")
        room = 64
        if _is_int(i) and 0 <= i < nr:
            f = s.t.frags[i]
            room = f.page.size - f.offset - f.size
        size = data.draw(u32(st.integers(0, min(room, 64)) | st.integers(0, room + 8)),
                         label="size")
        truesize = data.draw(u32(st.integers(0, 9000)), label="truesize")
        self._value(f"{s}.coalesce_rx_frag({i!r}, {size!r}, {truesize!r})",
                    lambda: s.e.coalesce_rx_frag(i, size, truesize),
                    lambda: s.t.coalesce_rx_frag(i, size, truesize),
                    _bad(("s32", i), ("u32", size), ("u32", truesize)))

    @rule(s=skbs, data=st.data())
    def frag_ref(self, s: Pair, data: st.DataObject) -> None:
        i = data.draw(s32(st.integers(-1, self._geom(s)[3])), label="i")
        out = self._do(f"{s}.frag_ref({i!r})", lambda: s.e.frag_ref(i),
                       lambda: s.t.frag_ref(i))
        if not isinstance(out, _Raised):
            p = self._page_pair_of(*out)
            p.refs += 1
            note(f"{s}.frag_ref({i!r})  -> {p}")

    @rule(s=skbs, data=st.data())
    def frag_unref(self, s: Pair, data: st.DataObject) -> None:
        i = data.draw(s32(st.integers(-1, self._geom(s)[3])), label="i")
        page = None
        try:
            frags = s.t.frags
            if _is_int(i) and 0 <= i < len(frags):
                page = self.page_by_t[id(frags[i].page)]
        except SkbUseAfterFree:
            pass
        out = self._value(f"{s}.frag_unref({i!r})", lambda: s.e.frag_unref(i),
                          lambda: s.t.frag_unref(i))
        if not isinstance(out, _Raised):
            assert page is not None
            page.refs -= 1

    @rule(s=skbs, m=skbs, at_end=st.booleans())
    def frag_list_add(self, s: Pair, m: Pair, at_end: bool) -> None:
        name = "frag_list_append" if at_end else "frag_list_prepend"
        out = self._value(f"{s}.{name}({m})", lambda: getattr(s.e, name)(m.e),
                          lambda: getattr(s.t, name)(m.t))
        if not isinstance(out, _Raised):
            m.refs -= 1

    # ------------------------------------------------------------------
    # nonlinear access

    def _pull_bug(self, s: Pair, n: Any, may_pull: bool = False) -> Optional[str]:
        """The ENGINE_CHOICES entry this pull_tail(n) (or may_pull(n)) would hit."""
        try:
            t = s.t
            delta = n - t.headlen if may_pull and _is_int(n) else n
            if not _is_int(delta) or not 0 < delta <= t.data_len:
                return None
            if t.frag_list and self._companion_pinned(s):
                return "fclone-companion-pinned"
        except SkbUseAfterFree:
            pass
        return None

    @rule(s=skbs, data=st.data())
    def may_pull(self, s: Pair, data: st.DataObject) -> None:
        n = data.draw(u32(st.integers(0, self._geom(s)[0] + 8)), label="n")
        bug = self._pull_bug(s, n, may_pull=True)
        if bug:
            note(f"skipped: ENGINE_CHOICES[{bug!r}]")
            return
        self._value(f"{s}.may_pull({n!r})", lambda: s.e.may_pull(n), lambda: s.t.may_pull(n))

    @rule(s=skbs, data=st.data())
    def pull_tail(self, s: Pair, data: st.DataObject) -> None:
        try:
            dl = s.t.data_len
        except SkbUseAfterFree:
            dl = 0
        n = data.draw(u32(st.integers(0, dl + 4)), label="delta")
        bug = self._pull_bug(s, n)
        if bug:
            note(f"skipped: ENGINE_CHOICES[{bug!r}]")
            return
        self._value(f"{s}.pull_tail({n!r})", lambda: s.e.pull_tail(n),
                    lambda: s.t.pull_tail(n))

    @rule(s=skbs)
    def linearize(self, s: Pair) -> None:
        try:
            bug = self._pull_bug(s, s.t.data_len)
            if bug:
                note(f"skipped: ENGINE_CHOICES[{bug!r}]")
                return
        except SkbUseAfterFree:
            pass
        self._value(f"{s}.linearize()", s.e.linearize, s.t.linearize)

    def _range(self, s: Pair, data: st.DataObject) -> tuple[Any, Any]:
        length, headroom, _, _ = self._geom(s)
        offset = data.draw(s32(st.integers(-headroom - 4, length + 4)), label="offset")
        n = data.draw(u32(st.integers(0, length + headroom + 8)), label="n")
        return offset, n

    @rule(s=skbs, data=st.data())
    def copy_bits(self, s: Pair, data: st.DataObject) -> None:
        offset, n = self._range(s, data)
        self._value(f"{s}.copy_bits({offset!r}, {n!r})",
                    lambda: s.e.copy_bits(offset, n), lambda: s.t.copy_bits(offset, n),
                    _bad(("s32", offset), ("u32", n)))

    @rule(target=views, s=skbs, data=st.data())
    def header_pointer(self, s: Pair, data: st.DataObject) -> Any:
        offset, n = self._range(s, data)
        return self._view(f"{s}.header_pointer({offset!r}, {n!r})",
                          lambda: s.e.header_pointer(offset, n),
                          lambda: s.t.header_pointer(offset, n),
                          _bad(("s32", offset), ("u32", n)))

    @rule(s=skbs, data=st.data())
    def checksum(self, s: Pair, data: st.DataObject) -> None:
        length, headroom, _, _ = self._geom(s)
        offset = data.draw(s32(st.integers(-headroom - 4, length + 4)), label="offset")
        n = data.draw(u32(st.integers(0, length + headroom + 8)), label="n")
        csum = data.draw(u32(st.integers(0, 2**32 - 1)), label="csum")
        self._value(f"{s}.checksum({offset!r}, {n!r}, {csum!r})",
                    lambda: s.e.checksum(offset, n, csum),
                    lambda: s.t.checksum(offset, n, csum),
                    _bad(("s32", offset), ("u32", n), ("u32", csum)))

    @rule(s=skbs, data=st.data())
    def store_bits(self, s: Pair, data: st.DataObject) -> None:
        length, headroom, _, _ = self._geom(s)
        offset = data.draw(s32(st.integers(-headroom - 4, length + 4)), label="offset")
        payload = data.draw(st.binary(max_size=max(8, length + 8)), label="bytes")
        self._value(f"{s}.store_bits({offset!r}, {payload!r})",
                    lambda: s.e.store_bits(offset, payload),
                    lambda: s.t.store_bits(offset, payload))

    @rule(s=skbs, other=skbs, data=st.data())
    def split(self, s: Pair, other: Pair, data: st.DataObject) -> None:
        n = data.draw(u32(st.integers(0, self._geom(s)[0] + 4)), label="n")
        self._value(f"{s}.split({other}, {n!r})", lambda: s.e.split(other.e, n),
                    lambda: s.t.split(other.t, n),
                    _bad(("handle", s.t), ("handle", other.t), ("u32", n)))

    @rule(target=skbs, s=skbs, data=st.data())
    def split_into_new(self, s: Pair, data: st.DataObject) -> Any:
        """skb_split into a freshly allocated skb (the usual caller's way)."""
        size = data.draw(st.integers(0, 600), label="size")
        out = self._do(f"alloc_skb({size})", lambda: engine.alloc_skb(size),
                       lambda: twin.alloc_skb(size))
        new = self._new_skb(*out)
        note(f"{new} = alloc_skb({size})")
        n = data.draw(st.integers(0, self._geom(s)[0] + 2), label="n")
        self._value(f"{s}.split({new}, {n})", lambda: s.e.split(new.e, n),
                    lambda: s.t.split(new.t, n))
        return new

    @rule(target=skbs, s=skbs, gso=st.booleans(),
          features=st.sampled_from([0, int(engine.NETIF_F.SG),
                                    int(engine.NETIF_F.SG | engine.NETIF_F.HW_CSUM),
                                    int(engine.NETIF_F.SG | engine.NETIF_F.HW_CSUM |
                                        engine.NETIF_F.GSO_PARTIAL)]),
          data=st.data())
    def segment(self, s: Pair, gso: bool, features: int, data: st.DataObject) -> Any:
        """skb_segment (s.segment) or the whole GSO stack (skb.gso_segment):
        the same segments on both sides - each becomes a pair the machine
        compares from now on - or the same refusal; the input is left as
        each side leaves it (the invariant compares it too).  Usually the
        skb is first made a GSO packet (mac header at data, a gso_size), as
        the KUnit cases make theirs, so that skb_segment really runs; its
        protocol has no GSO handler, so gso_segment here compares the front
        end's guards and refusals (the handlers are compared on real TCP and
        UDP super-packets in tests/testing/test_model_gso.py)."""
        mss = data.draw(st.one_of(st.none(), st.integers(1, 300)), label="gso_size")
        if mss is not None:
            # as net/core/net_test.c: a header at the mac header, data after it,
            # a protocol skb_segment finds (AppleTalk: no checksum offload)
            hdr = data.draw(st.integers(0, min(16, self._geom(s)[0])), label="header")
            for text, fe, ft in (
                    (f"{s}.reset_mac_header()", lambda: s.e.reset_mac_header(),
                     lambda: s.t.reset_mac_header()),
                    (f"{s}.pull({hdr})", lambda: s.e.pull(hdr) and None,
                     lambda: s.t.pull(hdr) and None),
                    (f"{s}.protocol = 0x809b", lambda: setattr(s.e, "protocol", 0x809B),
                     lambda: setattr(s.t, "protocol", 0x809B)),
                    (f"{s}.gso_size = {mss}", lambda: setattr(s.e, "gso_size", mss),
                     lambda: setattr(s.t, "gso_size", mss))):
                self._value(text, fe, ft)
        if gso:
            text = f"gso_segment({s}, {features:#x})"
            out = self._do(text, lambda: engine.gso_segment(s.e, features),
                           lambda: twin.gso_segment(s.t, features))
        else:
            text = f"{s}.segment({features:#x})"
            out = self._do(text, lambda: s.e.segment(features),
                           lambda: s.t.segment(features))
        kind = "gso_segment" if gso else "segment"
        if isinstance(out, _Raised):
            event(f"{kind}: {out.type.__name__}")
            return multiple()
        re_, rt = out
        if re_ is None or rt is None:
            assert re_ is None and rt is None, f"{text}: engine {re_!r}, twin {rt!r}"
            note(f"{text}  -> None (the device segments it)")
            event(f"{kind}: None")
            return multiple()
        event(f"{kind}: segments")
        segs_e, segs_t = list(re_), list(rt)
        assert len(segs_e) == len(segs_t), (
            f"{text}: engine made {len(segs_e)} segments, twin {len(segs_t)}")
        made = [self._new_skb(e, t) for e, t in zip(segs_e, segs_t)]
        for p in made:
            assert p.e.to_bytes() == p.t.to_bytes(), f"{text}: {p} bytes differ"
        note(f"{', '.join(map(str, made))} = {text}")
        return multiple(*made)

    @rule(s=skbs, frm=skbs)
    def try_coalesce(self, s: Pair, frm: Pair) -> None:
        out = self._value(f"{s}.try_coalesce({frm})", lambda: s.e.try_coalesce(frm.e),
                          lambda: s.t.try_coalesce(frm.t))
        if not isinstance(out, _Raised) and out is not None:
            frm.dropped()

    @rule(payload=st.binary(max_size=64), data=st.data())
    def csum_helpers(self, payload: bytes, data: st.DataObject) -> None:
        """The skb.csum helpers against the twin's (stateless, but cheap here)."""
        u32_ = u32(st.integers(0, 2**32 - 1) | st.sampled_from([0, 0xFFFF, 2**32 - 1]))
        a, b = data.draw(u32_, label="a"), data.draw(u32_, label="b")
        off = data.draw(s32(st.integers(-3, 70)), label="offset")
        length = data.draw(u32_, label="length")
        proto = data.draw(_with_edges(st.sampled_from([6, 17]) | st.integers(0, 255),
                                      (256, -1)), label="proto")
        saddr, daddr = payload[:4].ljust(4, b"\0"), payload[4:8].ljust(4, b"\0")
        calls = [  # (name, args, the C type of each int argument)
            ("csum_partial", (payload, a), ("u32",)),
            ("csum_add", (a, b), ("u32", "u32")),
            ("csum_sub", (a, b), ("u32", "u32")),
            ("csum_block_add", (a, b, off), ("u32", "u32", "s32")),
            ("csum_fold", (a,), ("u32",)),
            ("ip_fast_csum", (payload,), ()),
            ("csum_tcpudp_nofold", (saddr, daddr, length, proto, a), ("u32", "u8", "u32")),
            ("csum_tcpudp_magic", (saddr, daddr, length, proto, a), ("u32", "u8", "u32")),
        ]
        for name, args, kinds in calls:
            ints = [v for v in args if not isinstance(v, bytes)]
            fe, ft = getattr(engine_csum, name), getattr(twin, name)
            self._value(f"csum.{name}{args!r}", lambda f=fe, a=args: f(*a),
                        lambda f=ft, a=args: f(*a), _bad(*zip(kinds, ints)))

    # ------------------------------------------------------------------
    # invariants

    def _live_skbs(self) -> list[Pair]:
        """Every live pair, discovering frag_list members as it goes."""
        live, seen = [], set()
        todo = list(self.all_skbs)
        while todo:
            p = todo.pop()
            if id(p) in seen:
                continue
            seen.add(id(p))
            fe, ft = _freed(p.e), _freed(p.t)
            assert fe == ft, f"{p}: engine freed {fe}, twin freed {ft}"
            repr(p.e), repr(p.t)  # always works, freed or not
            if fe:
                continue
            live.append(p)
            me, mt = p.e.frag_list, p.t.frag_list
            assert len(me) == len(mt), f"{p}: frag_list of {len(me)} vs {len(mt)} members"
            for e, t in zip(me, mt):
                todo.append(self._skb_pair_of(e, t))
        return live

    def _state(self, x: Any, side: str) -> dict:
        d = {a: getattr(x, a) for a in _SKB_ATTRS}
        for a in _PREDICATES:
            d[a] = getattr(x, a)()
        view = x.data
        d["data"] = (bytes(view), view.readonly)
        by = self.page_by_e if side == "e" else self.page_by_t
        d["frags"] = [(by[id(f.page)].name, f.offset, f.size) for f in x.frags]
        sb = self.skb_by_e if side == "e" else self.skb_by_t
        d["frag_list"] = [sb[id(m)].name for m in x.frag_list]
        d["walk_frags"] = [sb[id(m)].name for m in x.walk_frags()]
        d["py_refs"] = x._cd.py_refs if side == "e" else x._py_refs
        return d

    @invariant()
    def engine_matches_twin(self) -> None:
        """After every step: skbs, heads, pages, views, the checker."""
        live = self._live_skbs()
        self._skbs_agree(live)
        self._heads_agree(live)
        self._pages_agree(live)
        self._views_agree()
        self._checker_agrees(live)

    def _skbs_agree(self, live: list[Pair]) -> None:
        """Everything observable about every live skb pair is equal."""
        for p in live:
            de, dt = self._state(p.e, "e"), self._state(p.t, "t")
            diff = {k: (de[k], dt[k]) for k in de if de[k] != dt[k]}
            assert not diff, f"{p}: engine != twin on {diff}"
            assert p.refs == dt["py_refs"], (
                f"{p}: the machine believes Python holds {p.refs} references, "
                f"the twin says {dt['py_refs']}")
            kind = ("SkBuff" if p.refs else "BorrowedSkBuff")
            assert type(p.e).__name__ == kind, f"{p}: engine handle is {type(p.e).__name__}"
            consistent = _twin_consistent(p.t)
            out = self._do(f"{p}.to_bytes()", p.e.to_bytes, p.t.to_bytes)
            if isinstance(out, _Raised):
                assert not consistent, f"{p}.to_bytes() raised on a consistent skb"
            else:
                assert out[0] == out[1], f"{p}: to_bytes differ"
                assert len(out[0]) == p.t.len

    def _heads_agree(self, live: list[Pair]) -> None:
        """The same skbs share a head on both sides, with the same bytes."""
        heads_e: dict[int, Pair] = {}
        heads_t: dict[int, Pair] = {}
        for p in live:
            he = int(_ffi.cast("uintptr_t", p.e._cd.head))
            ht = id(p.t._head)
            first_e, first_t = heads_e.setdefault(he, p), heads_t.setdefault(ht, p)
            assert first_e is first_t, (
                f"{p} shares its head with {first_e} in the engine, {first_t} in the twin")
            if first_e is p:
                assert _head_bytes_engine(p.e) == bytes(p.t._head.buf), (
                    f"{p}: head bytes differ")
        ce, ct = engine.counters(), twin.counters()
        for name, n in (("live_skbs", len(live)), ("live_heads", len(heads_e))):
            got_e = getattr(ce, name) - getattr(self.base_e, name)
            got_t = getattr(ct, name) - getattr(self.base_t, name)
            assert got_e == got_t == n, f"{name}: engine {got_e}, twin {got_t}, machine {n}"

    def _pages_agree(self, live_skbs: list[Pair]) -> None:
        """Live pages: same refcount, Python references, size and bytes; the
        refcount is the frags naming the page plus Python's references."""
        frag_refs: dict[int, int] = {}
        seen_heads = set()
        for p in live_skbs:
            if id(p.t._head) in seen_heads:
                continue
            seen_heads.add(id(p.t._head))
            for f in p.t.frags:
                frag_refs[id(f.page)] = frag_refs.get(id(f.page), 0) + 1
        live = 0
        for p in self.all_pages:
            fe, ft = _freed(p.e), _freed(p.t)
            assert fe == ft, f"{p}: engine freed {fe}, twin freed {ft}"
            if fe:
                continue
            live += 1
            se = (p.e.refcount, p.e._cd.py_refs, p.e.order, p.e.size)
            stw = (p.t.refcount, p.t._py_refs, p.t.order, p.t.size)
            assert se == stw, f"{p}: (refcount, py_refs, order, size) {se} != {stw}"
            assert p.refs == stw[1], f"{p}: machine believes {p.refs} Python references"
            assert p.t.refcount == frag_refs.get(id(p.t), 0) + p.refs, f"{p}: twin refcount"
            assert type(p.e).__name__ == ("Page" if p.refs else "BorrowedPage")
            assert bytes(p.e.data) == bytes(p.t.data), f"{p}: page bytes differ"
        ge = engine.counters().live_pages - self.base_e.live_pages
        gt = twin.counters().live_pages - self.base_t.live_pages
        assert ge == gt == live, f"live_pages: engine {ge}, twin {gt}, machine {live}"
        check_pages()

    def _views_agree(self) -> None:
        """Every view taken so far shows the same bytes on both sides."""
        for v in self.all_views:
            assert v.e.readonly == v.t.readonly, f"{v}: readonly differs"
            assert bytes(v.e) == bytes(v.t), f"{v}: bytes differ"

    def _checker_agrees(self, live: list[Pair]) -> None:
        """skb.testing.check passes exactly where the twin says it must."""
        for p in live:
            expected = _expected_check(p.t)
            try:
                check(p.e)
            except SkbInvariantError as exc:
                assert expected != "ok", f"check({p}) failed on a sound skb: {exc}"
                if expected == "order":
                    assert " is after " in str(exc), f"check({p}): {exc}"
            else:
                assert expected != "fail", f"check({p}) passed, but the twin says it is broken"

    # ------------------------------------------------------------------

    def teardown(self) -> None:
        """Give back every reference Python holds, on both sides (each side
        by its own count, so a failed step does not cascade into leaks)."""

        def py_refs(x: Any) -> int:
            return x._cd.py_refs if isinstance(x, (engine.SkBuff, engine.Page)) else x._py_refs

        objects = [x for p in self.all_skbs for x in (p.e, p.t)]
        objects += [x for x in self.orphans if hasattr(x, "kfree")]
        objects += [x for p in self.all_pages for x in (p.e, p.t)]
        objects += [x for x in self.orphans if not hasattr(x, "kfree")]
        for x in objects:
            while not _freed(x) and py_refs(x):
                x.kfree() if hasattr(x, "kfree") else x.put()
        ce, ct = engine.counters(), twin.counters()
        for name in ("live_skbs", "live_heads", "live_pages"):
            assert getattr(ce, name) == getattr(self.base_e, name), f"engine leaked {name}"
            assert getattr(ct, name) == getattr(self.base_t, name), f"twin leaked {name}"

