"""Hypothesis strategies that generate skbs of every shape and sharing state.

Every strategy is parametrised by the implementation it builds on: the C
engine (the ``skb`` module, the default) or the pure-Python twin
(``skb.testing.model``); both have the same interface, so one recipe builds
the same packet on either.

Because every test of skb runs under a leak check, the strategies do not
hand out bare skbs: ``skbs()`` produces a :class:`Built`, which holds the
skb to test **and every other reference the build left in Python's hands**
(the clone kept beside it, the extra ``get()``, the pages, ...).  Free them
all with ``built.free()``, or use the ``Built`` as a context manager::

    from hypothesis import given
    import skb
    from skb.testing import check
    from skb.testing.strategies import skbs

    @given(skbs())
    def test_check_holds(built):
        with built:
            check(built.skb)
            assert len(built.skb.to_bytes()) == built.skb.len

The shapes (see :class:`SkbRecipe`):

* the linear part: any allocation size, headroom and payload;
* frags: any mix of frags over a pool of pages, so several frags may share a
  page (adjacent or not) and pages may stay referenced by Python too;
* a frag_list whose members are themselves built by the same rules (paged,
  shared, nested up to ``max_depth`` levels), appended or prepended;
* a sharing state (:data:`SHARING_STATES`): plain, ``get()`` (users 2),
  cloned (the original or the clone handed out), a clone that was freed
  again (the sticky cloned bit), fclone originals with and without a live
  companion, header-released (nohdr) skbs and their clones, pskb_copy
  (frag pages and frag_list members shared by two heads), clones of clones.

``recipes()`` produces the plain-data description, which builds the same
shape on any implementation: that is how a test compares the engine with the
twin on identical packets (``recipe.build(skb)`` and
``recipe.build(skb.testing.model)``).
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field
from typing import Any, Optional

from hypothesis import strategies as st

import skb as _engine

__all__ = [
    "Built",
    "FragRecipe",
    "PageRecipe",
    "Recipe",
    "SHARING_STATES",
    "SkbRecipe",
    "recipes",
    "skb_recipes",
    "skbs",
]

#: How the skb handed out relates to other skbs.  ``keep`` in a recipe says
#: which of the two skbs the state makes is handed out (``"orig"`` or
#: ``"other"``, the clone or copy).
SHARING_STATES = (
    "plain",           # users 1, dataref 1
    "get",             # skb_get: users 2 (both references Python's)
    "clone",           # skb_clone: dataref 2, both cloned
    "clone_freed",     # clone then kfree it: cloned bit set, dataref back to 1
    "clone_of_clone",  # a clone of the clone: dataref 3
    "fclone",          # alloc_skb_fclone, no clone yet (fclone_ref 1)
    "fclone_pair",     # fclone original and its companion (fclone_ref 2)
    "fclone_freed",    # the companion was freed again (fclone_ref 1, cloned sticky)
    "fclone_third",    # companion busy, so a second clone is a plain struct
    "nohdr",           # __skb_header_release: nohdr, dataref 0x10001
    "nohdr_clone",     # a header-released skb and its clone (hdr_len = headroom)
    "pskb_copy",       # pskb_copy: private heads, shared frag pages and members
)

_FCLONE_STATES = frozenset({"fclone", "fclone_pair", "fclone_freed", "fclone_third"})


@dataclass(frozen=True)
class PageRecipe:
    """A page of the pool: its order and the byte its contents start from."""

    order: int = 0
    seed: int = 0

    def fill(self, size: int) -> bytes:
        """The page's contents: a counter starting at seed (so bytes differ)."""
        block = bytes((self.seed + i) & 0xFF for i in range(256))
        return (block * (size // 256 + 1))[:size]


@dataclass(frozen=True)
class FragRecipe:
    """A frag: ``size`` bytes at ``offset`` of pool page ``page``, charged
    ``truesize`` (added with add_rx_frag)."""

    page: int
    offset: int
    size: int
    truesize: int


@dataclass(frozen=True)
class SkbRecipe:
    """One skb: allocation, linear part, frags, frag_list, sharing state."""

    size: int = 128
    headroom: int = 0
    payload: bytes = b""
    frags: tuple[FragRecipe, ...] = ()
    members: tuple["SkbRecipe", ...] = ()
    #: for each member, True to frag_list_append it, False to prepend
    append: tuple[bool, ...] = ()
    sharing: str = "plain"
    keep: str = "orig"

    @property
    def fclone(self) -> bool:
        return self.sharing in _FCLONE_STATES

    @property
    def depth(self) -> int:
        """frag_list nesting levels below this skb."""
        return 1 + max((m.depth for m in self.members), default=0) if self.members else 0

    @property
    def length(self) -> int:
        """The packet length the built skb will have."""
        return (len(self.payload) + sum(f.size for f in self.frags)
                + sum(m.length for m in self.members))


@dataclass(frozen=True)
class Recipe:
    """A whole build: the page pool and the skb.  ``keep_pages`` leaves
    Python's reference on every pool page (otherwise only frags hold them)."""

    pages: tuple[PageRecipe, ...]
    skb: SkbRecipe
    keep_pages: bool = False

    def build(self, impl: Any = _engine) -> "Built":
        """Build the recipe with ``impl`` (the ``skb`` module or the twin)."""
        built = Built(impl=impl, recipe=self)
        try:
            for pr in self.pages:
                page = impl.alloc_page(pr.order)
                page.data[:] = pr.fill(page.size)
                built.pages.append(page)
                built.page_refs.append(page)
            built.skb = _build_skb(impl, self.skb, built)
            if not self.keep_pages:
                for page in built.pages:
                    page.put()
                    built.page_refs.remove(page)
        except BaseException:
            built.free()
            raise
        return built


@dataclass(eq=False)
class Built:
    """What a recipe built: ``skb`` and every reference to free.

    ``owned`` lists Python's references on skbs, one entry per reference (so
    an skb with an extra ``get()`` appears twice, the handed-out ``skb``
    included); ``page_refs`` lists Python's references on pages likewise.
    ``created`` lists every skb the build made, in order, and ``pages`` every
    page: the same recipe built twice gives lists that correspond item by
    item.  ``free()`` gives back every reference (the skb first).
    """

    impl: Any
    recipe: Optional[Recipe] = None
    skb: Any = None
    owned: list = field(default_factory=list)
    created: list = field(default_factory=list)
    pages: list = field(default_factory=list)
    page_refs: list = field(default_factory=list)

    def free(self) -> None:
        """kfree every skb reference and put every page reference held."""
        owned, self.owned = self.owned, []
        if self.skb is not None and self.skb in owned:
            owned.remove(self.skb)
            owned.insert(0, self.skb)
        for s in owned:
            s.kfree()
        page_refs, self.page_refs = self.page_refs, []
        for p in page_refs:
            p.put()

    def __enter__(self) -> "Built":
        return self

    def __exit__(self, *exc: object) -> None:
        self.free()

    def __repr__(self) -> str:
        impl = getattr(self.impl, "__name__", self.impl)
        return f"Built({impl}, {self.recipe!r})"


def _build_skb(impl: Any, r: SkbRecipe, built: Built) -> Any:
    """Build one skb of the recipe (its members first); returns the handle
    to hand out.  Every reference left to Python is recorded in built."""
    s = impl.alloc_skb(r.size, fclone=r.fclone)
    built.created.append(s)
    built.owned.append(s)
    s.reserve(r.headroom)
    s.put_data(r.payload)
    for i, f in enumerate(r.frags):
        page = built.pages[f.page].get()
        s.add_rx_frag(i, page, f.offset, f.size, f.truesize)
    for m, at_end in zip(r.members, r.append):
        member = _build_skb(impl, m, built)
        (s.frag_list_append if at_end else s.frag_list_prepend)(member)
        built.owned.remove(member)
    return _share(impl, r, s, built)


def _share(impl: Any, r: SkbRecipe, s: Any, built: Built) -> Any:
    """Put s into the recipe's sharing state; returns the skb handed out."""
    other = None

    def new(x: Any) -> Any:
        built.created.append(x)
        built.owned.append(x)
        return x

    state = r.sharing
    if state == "get":
        built.owned.append(s.get())
    elif state in ("clone", "fclone_pair"):
        other = new(s.clone())
    elif state in ("clone_freed", "fclone_freed"):
        c = new(s.clone())
        c.kfree()
        built.owned.remove(c)
    elif state == "clone_of_clone":
        other = new(new(s.clone()).clone())
    elif state == "fclone_third":
        new(s.clone())
        other = new(s.clone())
    elif state == "nohdr":
        s.header_release()
    elif state == "nohdr_clone":
        s.header_release()
        other = new(s.clone())
    elif state == "pskb_copy":
        other = new(s.pskb_copy())
    if other is not None and r.keep == "other":
        return other
    return s


# ----------------------------------------------------------------------
# strategies


def _sizes() -> st.SearchStrategy[int]:
    """Allocation sizes, weighted to the allocator's interesting edges."""
    return st.one_of(
        st.integers(0, 512),
        st.sampled_from([0, 100, 384, 385, 1500, 1728, 2048, 4096]),
    )


@st.composite
def skb_recipes(draw: st.DrawFn, *, n_pages: int = 0, max_depth: int = 2,
                max_frags: int = 4, max_members: int = 3, max_payload: int = 200,
                sharing: bool = True, depth: int = 0) -> SkbRecipe:
    """One SkbRecipe whose frags name pages 0 .. n_pages - 1 (no frags when
    n_pages is 0); members nest up to max_depth levels."""
    payload_len = draw(st.integers(0, max_payload))
    payload = bytes((37 * depth + 7 * i) & 0xFF for i in range(payload_len))
    headroom = draw(st.integers(0, 128))
    # the allocator rounds size up; headroom + payload must fit
    size = max(draw(_sizes()), payload_len + headroom)
    frags = []
    if n_pages:
        for _ in range(draw(st.integers(0, max_frags))):
            page = draw(st.integers(0, n_pages - 1))
            offset = draw(st.integers(0, 4096 - 1))
            length = draw(st.integers(0, min(600, 4096 - offset)))
            truesize = draw(st.sampled_from([length, 4096, 2048]))
            frags.append(FragRecipe(page, offset, length, truesize))
    members = []
    if depth < max_depth:
        for _ in range(draw(st.integers(0, max_members))):
            members.append(draw(skb_recipes(
                n_pages=n_pages, max_depth=max_depth, max_frags=max_frags,
                max_members=max(0, max_members - 1), max_payload=max_payload,
                sharing=sharing, depth=depth + 1)))
    append = tuple(draw(st.booleans()) for _ in members)
    state = draw(st.sampled_from(SHARING_STATES)) if sharing else "plain"
    keep = draw(st.sampled_from(["orig", "other"]))
    return SkbRecipe(size=size, headroom=headroom, payload=payload, frags=tuple(frags),
                     members=tuple(members), append=append, sharing=state, keep=keep)


@st.composite
def recipes(draw: st.DrawFn, *, paged: bool = True, frag_list: bool = True,
            sharing: bool = True, max_depth: int = 2, max_frags: int = 4,
            max_members: int = 3, max_payload: int = 200) -> Recipe:
    """A Recipe: a pool of pages (orders 0 and 1, offsets within the first
    4096 bytes) and an skb over them.  ``paged=False`` gives no frags,
    ``frag_list=False`` no members, ``sharing=False`` only plain skbs."""
    n_pages = draw(st.integers(1, 3)) if paged else 0
    pages = tuple(PageRecipe(order=draw(st.sampled_from([0, 0, 1])), seed=17 * k + 1)
                  for k in range(n_pages))
    r = draw(skb_recipes(n_pages=n_pages, max_depth=max_depth if frag_list else 0,
                         max_frags=max_frags, max_members=max_members if frag_list else 0,
                         max_payload=max_payload, sharing=sharing))
    return Recipe(pages=pages, skb=r, keep_pages=draw(st.booleans()))


def skbs(impl: Any = _engine, **kwargs: Any) -> st.SearchStrategy[Built]:
    """Built skbs of every shape on ``impl`` (the ``skb`` module or
    ``skb.testing.model``); keyword arguments as for :func:`recipes`.
    The caller frees what was built: ``built.free()`` or ``with built:``."""
    if not isinstance(impl, types.ModuleType):
        raise TypeError("impl is a module: skb or skb.testing.model")
    return recipes(**kwargs).map(lambda r: r.build(impl))
