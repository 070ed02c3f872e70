"""Emulated pages (``alloc_page``) and frag descriptors.

A page is a refcounted block of ``4096 << order`` bytes.  Each frag that
names it holds one reference; Python holds the ones it took with
``alloc_page``/``get``/``SkBuff.frag_ref`` and gives them away with
``put`` or by handing the page to ``fill_page_desc``/``add_rx_frag``.
Handles follow the same owned/borrowed/freed states as ``SkBuff``.
"""

from __future__ import annotations

import operator
import warnings
import weakref
from typing import NamedTuple

from . import _handles
from ._engine import ffi, lib
from .errors import SkbBug, SkbLeakWarning, SkbUseAfterFree

_err = ffi.new("int *")
_handles_by_ptr: dict = {}
_gc_leaks = 0


def _gc_leak_count() -> int:
    """Number of page references freed by the garbage collector (leaks)."""
    return _gc_leaks


class Page:
    """A page of emulated memory; see the module documentation."""

    __slots__ = ("_cd", "_mv", "__weakref__")
    _kind = "page"

    def __init__(self) -> None:
        raise TypeError("use skb.alloc_page() to make a page")

    def __del__(self) -> None:
        cd = getattr(self, "_cd", None)
        if cd is None:
            return
        self._cd = None
        self.__class__ = FreedPage
        try:
            _handles_by_ptr.pop(cd, None)
            leaked = lib.skbpy_page_release(cd)
        except Exception:  # interpreter shutdown: the engine may be gone
            return
        if leaked:
            global _gc_leaks
            _gc_leaks += leaked
            warnings.warn(
                f"page collected with {leaked} reference(s) still held: freed as a leak "
                "(call put)",
                SkbLeakWarning,
                stacklevel=2,
            )

    def __copy__(self):
        raise TypeError("a page handle cannot be copied: use get()")

    __deepcopy__ = __copy__
    __reduce_ex__ = __copy__

    def _lost(self) -> None:
        """The page died without this handle being told (a borrowed handle):
        let go of the memory it pins."""
        cd = self._cd
        self._moved(_handles.DIED)
        lib.skbpy_page_release(cd)

    def _moved(self, transition: int) -> None:
        if transition & _handles.DIED:
            _handles_by_ptr.pop(self._cd, None)
            self._cd = None
            self._mv = None
            self.__class__ = FreedPage
        elif transition & _handles.BORROWED:
            self.__class__ = BorrowedPage
        elif transition & _handles.OWNED:
            self.__class__ = Page

    def _fail(self, code: int, op: str) -> None:
        if code == lib.SKB_EFREED:
            self._lost()
            raise SkbUseAfterFree(f"{op} on a freed page")
        if code == lib.SKB_ENOREF:
            raise SkbBug(f"{op}: Python holds no reference to this page "
                         f"(refcount {self._cd.refcount} belongs to frags)")
        raise SkbBug(f"{op}: engine error {code}")

    @property
    def order(self) -> int:
        return self._cd.order

    @property
    def size(self) -> int:
        """4096 << order bytes."""
        return lib.PAGE_SIZE << self._cd.order

    @property
    def refcount(self) -> int:
        """References: one per frag naming the page, plus Python's."""
        return self._cd.refcount

    @property
    def data(self) -> memoryview:
        """The page's memory (writable; the view keeps it mapped)."""
        if self._mv is None:
            cd = self._cd
            addr = ffi.gc(lib.skbpy_page_map(cd), lib.skbpy_page_unmap)
            self._mv = memoryview(ffi.buffer(addr, lib.PAGE_SIZE << cd.order))
        return self._mv

    def get(self) -> "Page":
        """get_page: one more reference, held by the caller; returns self."""
        r = lib.skbpy_page_get(self._cd)
        if r < 0:
            self._fail(r, "get_page")
        if r:
            self._moved(r)
        return self

    def put(self) -> None:
        """put_page: drop a reference; the last one frees the page."""
        r = lib.skbpy_page_put(self._cd)
        if r < 0:
            self._fail(r, "put_page")
        if r:
            self._moved(r)

    def __repr__(self) -> str:
        cd = self._cd
        kind = "" if type(self) is Page else " borrowed"
        return (f"<Page{kind} {int(ffi.cast('uintptr_t', cd.addr)):#x} order={cd.order} "
                f"refcount={cd.refcount}>")


BorrowedPage, FreedPage = _handles.derive_states(Page, ("put",), Page.__repr__)


def _new_handle(cls: type, p) -> Page:
    h = object.__new__(cls)
    h._cd = p
    h._mv = None
    _handles_by_ptr[p] = weakref.ref(h)
    return h


def page_handle(p) -> Page:
    """The handle of the page at ``p``: its existing one, or a borrowed one."""
    ref = _handles_by_ptr.get(p)
    h = ref() if ref is not None else None
    if h is None:
        lib.skbpy_page_pin(p)
        h = _new_handle(BorrowedPage, p)
    return h


def page_arg(page: object):
    """The C pointer of a page argument, refusing freed pages and other types."""
    if isinstance(page, Page):
        if type(page) is FreedPage:
            raise SkbUseAfterFree("a freed page was passed")
        return page._cd
    raise TypeError(f"expected a Page, not {type(page).__name__}")


def alloc_page(order: int = 0) -> Page:
    """alloc_pages: a zeroed page of 4096 << order bytes whose one reference
    Python holds; MemoryError past MAX_PAGE_ORDER (10) or on failure."""
    if type(order) is not int:
        order = operator.index(order)
    p = lib.skbpy_alloc_page(order, _err)
    if p == ffi.NULL:
        raise MemoryError(f"alloc_page(order={order}): allocation failed")
    return _new_handle(Page, p)


class Frag(NamedTuple):
    """A frag descriptor: ``size`` bytes at ``offset`` of ``page``."""

    page: Page
    offset: int
    size: int
