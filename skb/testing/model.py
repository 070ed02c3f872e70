"""The pure-Python twin of ``skb``: the same interface over ``bytearray``s.

This is the reference model: the oracle of the stateful tests (one random
sequence of operations runs on the C engine and here, compared after every
step) and the pure-Python baseline of the benchmarks.  It is written from
the behavioural spec, as plainly as possible, so it can be read to learn
the semantics.

The memory model in one paragraph.  An ``SkBuff`` is the ``struct sk_buff``:
its own ``data``/``tail`` offsets, lengths, header offsets and metadata.  A
``_Head`` is the head allocation: the ``bytearray`` ``[0, end)`` plus the
``skb_shared_info`` after it (``dataref``, ``frags``, ``frag_list``, the gso
fields).  Clones share one ``_Head``; everything in it is shared by them.
A ``Page`` is a refcounted block; a ``Frag`` holds one reference to its page.

Two reference counts per skb, as in the kernel: ``users`` (everyone's) and
the part of it Python holds (``py_refs``): ``kfree``/``consume`` give back a
Python reference, so Python can never drop a reference some frag_list owns.

A freed ``SkBuff`` or ``Page`` changes class: every public attribute then
raises ``SkbUseAfterFree`` (``kfree``/``consume``/``Page.put``:
``SkbDoubleFree``); ``repr`` still works.
"""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass
from typing import Iterator, NamedTuple, Optional, Union

from ..errors import (
    SkbBug,
    SkbDoubleFree,
    SkbFault,
    SkbOverPanic,
    SkbSharedWrite,
    SkbUnderPanic,
    SkbUseAfterFree,
    SkbWarning,
)

# Sizes of the x86-64 kernel being emulated.
SMP_CACHE_BYTES = 64
PAGE_SIZE = 4096
MAX_PAGE_ORDER = 10
MAX_SKB_FRAGS = 17
MAX_FRAG_LIST_DEPTH = 8
NET_SKB_PAD = 64
SKB_STRUCT_SIZE = 256  # SKB_DATA_ALIGN(sizeof(struct sk_buff))
SKB_SHINFO_SIZE = 320  # SKB_DATA_ALIGN(sizeof(struct skb_shared_info))
SKB_SMALL_HEAD_CACHE_SIZE = 704
KMALLOC_MAX_CACHE_SIZE = 8192
KMALLOC_MAX_SIZE = 4 << 20
_KMALLOC_BUCKETS = (8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192)

CHECKSUM_NONE = 0
CHECKSUM_UNNECESSARY = 1
CHECKSUM_COMPLETE = 2
CHECKSUM_PARTIAL = 3

SKB_FCLONE_UNAVAILABLE = 0
SKB_FCLONE_ORIG = 1
SKB_FCLONE_CLONE = 2

SKB_GSO_DODGY = 1 << 1

_UNSET = 0xFFFF  # mac_header / transport_header "not set"
_NO_TRUESIZE = object()  # _fill called by skb_fill_page_desc
_NOHDR_BIAS = (1 << 16) + 1  # dataref share of a header-released skb
_U16 = 0xFFFF
_U32 = 0xFFFFFFFF
_S32_MIN = -(1 << 31)
_S32_MAX = (1 << 31) - 1


# ----------------------------------------------------------------------
# sizes


def skb_data_align(x: int) -> int:
    """SKB_DATA_ALIGN: round up to the cache line."""
    return (x + SMP_CACHE_BYTES - 1) // SMP_CACHE_BYTES * SMP_CACHE_BYTES


def skb_truesize(x: int) -> int:
    """SKB_TRUESIZE: a head of x bytes plus the struct and the shared info."""
    return x + SKB_STRUCT_SIZE + SKB_SHINFO_SIZE


def head_end(size: int) -> int:
    """The end offset the kernel's allocator gives a head asked for size bytes.

    kmalloc_reserve: the small-head cache, else the kmalloc bucket, else whole
    pages; the shared info takes the last SKB_SHINFO_SIZE bytes.
    """
    obj = skb_data_align(size) + SKB_SHINFO_SIZE
    if obj <= SKB_SMALL_HEAD_CACHE_SIZE:
        alloc = SKB_SMALL_HEAD_CACHE_SIZE
    elif obj <= KMALLOC_MAX_CACHE_SIZE:
        alloc = next(b for b in _KMALLOC_BUCKETS if b >= obj)
    elif obj <= KMALLOC_MAX_SIZE:
        alloc = PAGE_SIZE
        while alloc < obj:
            alloc *= 2
    else:
        raise MemoryError(f"a head of {size} bytes is above KMALLOC_MAX_SIZE (-ENOMEM)")
    return alloc - SKB_SHINFO_SIZE


# ----------------------------------------------------------------------
# argument checks: the C parameter types decide the range


def _int(value: int, lo: int, hi: int, name: str) -> int:
    if not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not lo <= value <= hi:
        raise OverflowError(f"{name} {value} does not fit in [{lo}, {hi}]")
    return int(value)  # a bool argument is stored as the int it is


def _u32(value: int, name: str) -> int:
    return _int(value, 0, _U32, name)


def _s32(value: int, name: str) -> int:
    return _int(value, _S32_MIN, _S32_MAX, name)


def _bytes(data: bytes) -> bytes:
    """Bytes from any bytes-like object (an int is refused, unlike bytes())."""
    return bytes(memoryview(data).cast("B"))


# ----------------------------------------------------------------------
# counters


@dataclass(frozen=True)
class Counters:
    """Live model objects, for leak checks."""

    live_skbs: int
    live_heads: int
    live_pages: int


_live = {"skbs": 0, "heads": 0, "pages": 0}


# Drop reasons (skb.DropReason numbers): the skbs freed so far, per reason.
DROP_CONSUMED = 1
DROP_NOT_SPECIFIED = 2
DROP_REASON_MAX = 126
_drops: dict[int, int] = {}


def drop_counts() -> dict[int, int]:
    """The skbs the model has freed, per reason (as skb.drop_counts)."""
    return {reason: n for reason, n in sorted(_drops.items()) if n}


def counters() -> Counters:
    """A snapshot of the live skbs, heads and pages of the model."""
    return Counters(live_skbs=_live["skbs"], live_heads=_live["heads"],
                    live_pages=_live["pages"])


# ----------------------------------------------------------------------
# checksums (lib/checksum.c generic semantics, little-endian host)


def _fold16(x: int) -> int:
    while x > _U16:
        x = (x & _U16) + (x >> 16)
    return x


def csum_partial(data: bytes, csum: int = 0) -> int:
    """One's complement sum of data as little-endian 16-bit words (a final odd
    byte is a low byte), folded to 16 bits, then added to csum end-around."""
    _u32(csum, "csum")
    b = _bytes(data)
    if len(b) % 2:
        b += b"\0"
    d = _fold16(sum(struct.unpack(f"<{len(b) // 2}H", b)))
    r = d + csum
    if r > _U32:
        r = (r & _U32) + 1
    return r


def csum_add(a: int, b: int) -> int:
    """32-bit add with end-around carry."""
    _u32(a, "a")
    _u32(b, "b")
    r = a + b
    if r > _U32:
        r = (r & _U32) + 1
    return r


def csum_sub(a: int, b: int) -> int:
    _u32(b, "b")
    return csum_add(a, ~b & _U32)


def csum_block_add(csum: int, csum2: int, offset: int) -> int:
    """Add the sum of a block that starts at byte offset of the whole: a block
    at an odd offset has its bytes in the other half of each word."""
    _u32(csum2, "csum2")
    _s32(offset, "offset")
    if offset & 1:
        csum2 = (csum2 >> 8) | ((csum2 & 0xFF) << 24)
    return csum_add(csum, csum2)


def csum_fold(csum: int) -> int:
    """Fold a 32-bit sum to 16 bits and complement it (a native u16)."""
    _u32(csum, "csum")
    s = (csum & _U16) + (csum >> 16)
    s = (s & _U16) + (s >> 16)
    return ~s & _U16


def csum_tcpudp_nofold(saddr: bytes, daddr: bytes, length: int, proto: int, csum: int) -> int:
    """The TCP/UDP pseudo-header sum, not folded.  saddr and daddr are the
    4 address bytes in network order; (proto + length) << 8 is u32 arithmetic,
    as in C."""
    _u32(length, "length")
    _int(proto, 0, 0xFF, "proto")
    _u32(csum, "csum")
    s_bytes, d_bytes = _bytes(saddr), _bytes(daddr)
    if len(s_bytes) != 4 or len(d_bytes) != 4:
        raise ValueError("saddr and daddr are 4 bytes")
    s = (csum + int.from_bytes(s_bytes, "little") + int.from_bytes(d_bytes, "little")
         + (((proto + length) << 8) & _U32))
    s = (s & _U32) + (s >> 32)
    s = (s & _U32) + (s >> 32)
    return s


def csum_tcpudp_magic(saddr: bytes, daddr: bytes, length: int, proto: int, csum: int) -> int:
    return csum_fold(csum_tcpudp_nofold(saddr, daddr, length, proto, csum))


def ip_fast_csum(header: bytes) -> int:
    """The IPv4 header checksum field value (0 when the header checks out).
    **choice** (the engine's; the kernel's ip_fast_csum takes the length in
    32-bit words): a header that is not whole words is a ValueError."""
    b = _bytes(header)
    if len(b) % 4:
        raise ValueError(f"an IPv4 header is whole 32-bit words, not {len(b)} bytes")
    return csum_fold(csum_partial(b))


# ----------------------------------------------------------------------
# pages


class Frag(NamedTuple):
    """skb_frag_t: size bytes of page from offset; holds a page reference."""

    page: "Page"
    offset: int
    size: int


class Page:
    """An emulated page of PAGE_SIZE << order bytes with a refcount."""

    __slots__ = ("_order", "_buf", "_refcount", "_py_refs")

    def __init__(self) -> None:
        raise TypeError("use alloc_page() to make a page")

    @property
    def order(self) -> int:
        return self._order

    @property
    def size(self) -> int:
        return len(self._buf)

    @property
    def refcount(self) -> int:
        """All references: Python's and the frags'."""
        return self._refcount

    @property
    def data(self) -> memoryview:
        """The whole page, writable (frag pages are never write-protected)."""
        return memoryview(self._buf)

    def get(self) -> "Page":
        """get_page: one more reference, held by Python."""
        self._refcount += 1
        self._py_refs += 1
        return self

    def put(self) -> None:
        """put_page: give back one of Python's references."""
        self._take_py_ref("put_page")
        self._put_ref()

    def _take_py_ref(self, op: str) -> None:
        """Python hands over (or drops) one of its references."""
        if self._py_refs == 0:
            raise SkbBug(f"{op}: Python holds no reference to this page "
                         f"(refcount {self._refcount} belongs to frags)")
        self._py_refs -= 1

    def _put_ref(self) -> None:
        self._refcount -= 1
        if self._refcount == 0:
            _live["pages"] -= 1
            self.__class__ = _FreedPage

    def __repr__(self) -> str:
        return f"<model.Page order={self._order} refcount={self._refcount}>"


def alloc_page(order: int = 0) -> Page:
    """alloc_pages: a zeroed page of PAGE_SIZE << order bytes, refcount 1."""
    _u32(order, "order")
    if order > MAX_PAGE_ORDER:
        raise MemoryError(f"alloc_page: order {order} > MAX_PAGE_ORDER (-ENOMEM)")
    p = object.__new__(Page)
    p._order = order
    p._buf = bytearray(PAGE_SIZE << order)
    p._refcount = 1
    p._py_refs = 1
    _live["pages"] += 1
    return p


class _FreedPage(Page):
    __slots__ = ()

    def __repr__(self) -> str:
        return "<model.Page freed>"


def _live_page(page: Page) -> Page:
    if not isinstance(page, Page):
        raise TypeError(f"page must be a Page, not {type(page).__name__}")
    if type(page) is _FreedPage:
        raise SkbUseAfterFree("the page was freed")
    return page


# ----------------------------------------------------------------------
# heads


class _Head:
    """A head allocation: bytes [0, end) and the skb_shared_info after end."""

    __slots__ = ("buf", "dataref", "frags", "frag_list", "gso_size", "gso_segs", "gso_type")

    def __init__(self, size: int) -> None:
        """A zeroed head for size bytes (rounded up as the allocator does)."""
        self.buf = bytearray(head_end(size))
        self.dataref = 1
        self.frags: list[Frag] = []
        self.frag_list: list[SkBuff] = []
        self.gso_size = 0
        self.gso_segs = 0
        self.gso_type = 0
        _live["heads"] += 1

    def release(self, reason: int = DROP_NOT_SPECIFIED) -> None:
        """skb_free_head after the last data reference: the frags give back
        their pages, each frag_list member loses one reference (freed for
        the reason the head was, as the kernel passes it down)."""
        for f in self.frags:
            f.page._put_ref()
        for m in self.frag_list:
            m._unref(reason)
        self.frags = []
        self.frag_list = []
        _live["heads"] -= 1

    def copy_shinfo_from(self, old: "_Head") -> None:
        self.frags = list(old.frags)
        self.frag_list = list(old.frag_list)
        self.gso_size, self.gso_segs, self.gso_type = old.gso_size, old.gso_segs, old.gso_type


class _FclonePair:
    """struct sk_buff_fclones: fclone_ref counts the live halves."""

    __slots__ = ("ref",)

    def __init__(self) -> None:
        self.ref = 1


class _Part(NamedTuple):
    """A piece of a byte range of the packet: kind "linear" (head bytes
    [start, stop) of owner), "frag" (page bytes [start, stop), owner the page)
    or "member" (member bytes [start, stop), owner the frag_list member)."""

    kind: str
    owner: Union["SkBuff", Page]
    start: int
    stop: int


# ----------------------------------------------------------------------
# skbs


def _field(name: str, bits: int, doc: str) -> property:
    """A settable metadata field of the given bit width."""
    attr = "_" + name
    top = (1 << bits) - 1

    def get(self: "SkBuff") -> int:
        return getattr(self, attr)

    def set_(self: "SkBuff", value: int) -> None:
        setattr(self, attr, _int(value, 0, top, name))

    return property(get, set_, doc=doc)


def _gso_field(name: str, bits: int, doc: str) -> property:
    """A gso field: it lives in the shared info, so clones may not set it."""
    top = (1 << bits) - 1

    def get(self: "SkBuff") -> int:
        return getattr(self._head, name)

    def set_(self: "SkBuff", value: int) -> None:
        _int(value, 0, top, name)
        if self.is_cloned():
            raise SkbSharedWrite(f"{name} is in the shared info, shared with a clone")
        setattr(self._head, name, value)

    return property(get, set_, doc=doc)


# Copied by __copy_skb_header (clone, copy, pskb_copy): metadata and header offsets.
# _encap_hdr_csum (tunnel GSO: an outer checksum is to be filled) has no
# accessor, as in the engine.
_HEADER_FIELDS = (
    "_ip_summed", "_csum", "_csum_level", "_protocol", "_inner_protocol",
    "_encapsulation", "_encap_hdr_csum", "_vlan_proto", "_vlan_tci", "_priority", "_mark",
    "_hash", "_l4_hash", "_sw_hash",
    "_pkt_type", "_queue_mapping", "_cb",
    "_mac_header", "_network_header", "_transport_header",
    "_inner_mac_header", "_inner_network_header", "_inner_transport_header",
)


class SkBuff:
    """A socket buffer of the model (see the module documentation)."""

    __slots__ = (
        "_head", "_data", "_tail", "_len", "_data_len", "_mac_len", "_hdr_len",
        "_truesize", "_users", "_py_refs", "_cloned", "_nohdr", "_fclone", "_pair",
        "_listed", "_seg",
    ) + _HEADER_FIELDS

    def __init__(self) -> None:
        raise TypeError("use alloc_skb() to make an skb")

    @classmethod
    def _new(cls, head: _Head) -> "SkBuff":
        """A fresh struct on head, as __alloc_skb leaves it (no Python reference)."""
        s = object.__new__(cls)
        s._head = head
        s._data = s._tail = 0
        s._len = s._data_len = s._mac_len = s._hdr_len = 0
        s._truesize = skb_truesize(len(head.buf))
        s._users = 1
        s._py_refs = 0
        s._cloned = s._nohdr = 0
        s._fclone = SKB_FCLONE_UNAVAILABLE
        s._pair = None
        s._listed = False
        s._seg = None  # (segment list, index) for a segment (model_gso)
        for name in _HEADER_FIELDS:
            setattr(s, name, 0)
        s._cb = bytes(48)
        s._mac_header = s._transport_header = _UNSET
        _live["skbs"] += 1
        return s

    # ------------------------------------------------------------------
    # internals

    @property
    def _end(self) -> int:
        return len(self._head.buf)

    def _copy_header_from(self, old: "SkBuff") -> None:
        for name in _HEADER_FIELDS:
            setattr(self, name, getattr(old, name))

    def _copy_gso_from(self, old: "SkBuff") -> None:
        self._head.gso_size = old._head.gso_size
        self._head.gso_segs = old._head.gso_segs
        self._head.gso_type = old._head.gso_type

    def _add_truesize(self, delta: int) -> None:
        self._truesize = (self._truesize + delta) & _U32  # a u32 field

    def _check_growth(self, op: str, length: int, truesize: int) -> None:
        """**choice** (api-2-3 is silent; the engine's rule): growing len or
        truesize past 32 bits is refused with SkbBug before anything changes,
        where the kernel's u32 arithmetic would wrap."""
        if self._len + length > _U32 or self._truesize + truesize > _U32:
            raise SkbBug(f"{op}: a length or truesize would overflow 32 bits")

    def _panic(self, cls: type, put: int) -> Exception:
        """skb_over_panic / skb_under_panic; head is 0, the rest offsets from it."""
        return cls(len=self._len, put=put, head=0, data=self._data, tail=self._tail,
                   end=self._end)

    def _writable(self, a: int, b: int) -> bool:
        """May head bytes [a, b) be written?  Only if no clone can see them:
        the data is private, or only the header area is shared with a
        header-released original and [a, b) lies inside hdr_len."""
        return not self.is_cloned() or (not self.header_cloned() and b <= self._hdr_len)

    def _view(self, a: int, b: int) -> memoryview:
        """A view of head bytes [a, b), read-only where shared."""
        v = memoryview(self._head.buf)[a:b]
        return v if self._writable(a, b) else v.toreadonly()

    def _take_py_ref(self, op: str) -> None:
        """Python hands over (or drops) one of its references."""
        if self._py_refs == 0:
            raise SkbBug(f"{op}: Python holds no reference to this skb (users "
                         f"{self._users} belong to other owners); refcount underflow")
        self._py_refs -= 1

    def _unref(self, reason: int = DROP_NOT_SPECIFIED) -> None:
        """Drop one users reference (kfree_skb_reason); the last one frees the
        skb and counts it under reason."""
        self._users -= 1
        if self._users == 0:
            _drops[reason] = _drops.get(reason, 0) + 1
            self._drop_data(reason)
            if self._pair is not None:
                self._pair.ref -= 1
            self._head = None
            _live["skbs"] -= 1
            self.__class__ = _FreedSkBuff

    def _drop_data(self, reason: int = DROP_NOT_SPECIFIED) -> None:
        """skb_release_data: drop this skb's share of the head.

        An skb whose cloned bit is clear owns the head outright.  Otherwise
        its share is 1, or 1 + (1 << 16) for a header-released skb."""
        head = self._head
        if self._cloned:
            bias = _NOHDR_BIAS if self._nohdr else 1
            if head.dataref != bias:
                head.dataref = (head.dataref - bias) & _U32
                if head.dataref:
                    return
        head.release(reason)

    def _clone(self) -> "SkBuff":
        """skb_clone; the clone's one reference is not Python's yet."""
        head = self._head
        if (head.dataref & _U16) == _U16:
            raise SkbBug("skb_clone: dataref would overflow its 16-bit reference count")
        n = SkBuff._new(head)
        if self._fclone == SKB_FCLONE_ORIG and self._pair.ref == 1:
            n._fclone = SKB_FCLONE_CLONE
            n._pair = self._pair
            self._pair.ref = 2
        n._copy_header_from(self)
        n._data, n._tail = self._data, self._tail
        n._len, n._data_len, n._mac_len = self._len, self._data_len, self._mac_len
        n._truesize = self._truesize
        n._hdr_len = self.headroom if self._nohdr else self._hdr_len
        n._cloned = self._cloned = 1
        head.dataref += 1
        return n

    def _expand_head(self, nhead: int, ntail: int) -> None:
        """pskb_expand_head without the argument type checks."""
        if nhead < 0:
            raise SkbBug(f"pskb_expand_head: negative headroom ({nhead})")
        if self._users != 1:
            raise SkbBug(f"pskb_expand_head on a shared skb (users {self._users})")
        old_end = self._end
        if old_end + nhead + ntail < self._tail + nhead:
            raise SkbBug(f"pskb_expand_head: ntail {ntail} would cut into the data")
        new = _Head(old_end + nhead + ntail)
        old = self._head
        new.buf[nhead:nhead + self._tail] = old.buf[:self._tail]
        new.copy_shinfo_from(old)
        if self.is_cloned():
            # The frags and members stay shared with the old head: reference them.
            for f in new.frags:
                f.page._refcount += 1
            for m in new.frag_list:
                m._users += 1
            self._drop_data()
        else:
            # The old head was ours alone: its references move to the new one.
            _live["heads"] -= 1
        self._head = new
        self._data += nhead
        self._tail += nhead
        self._headers_offset_update(nhead)
        self._cloned = self._nohdr = 0
        self._hdr_len = 0
        self._add_truesize(len(new.buf) - old_end)

    def _headers_offset_update(self, off: int) -> None:
        """skb_headers_offset_update, with the kernel's quirk: network and
        transport move even when unset, so an unset transport (0xFFFF) wraps
        to off - 1; mac moves only when set."""
        if self._ip_summed == CHECKSUM_PARTIAL:
            self.csum_start = (self.csum_start + off) & _U16
        self._transport_header = (self._transport_header + off) & _U16
        self._network_header = (self._network_header + off) & _U16
        if self._mac_header != _UNSET:
            self._mac_header = (self._mac_header + off) & _U16
        self._inner_transport_header = (self._inner_transport_header + off) & _U16
        self._inner_network_header = (self._inner_network_header + off) & _U16
        self._inner_mac_header = (self._inner_mac_header + off) & _U16

    def _check_consistent(self, op: str) -> None:
        """The structural guard of every walk over paged data: data_len must
        still equal the frag bytes plus the members' lengths, at every level
        of the tree (a member changed through its own handle breaks this for
        every skb above it), checked before anything is changed."""
        paged = sum(f.size for f in self._head.frags) + sum(m._len for m in self._head.frag_list)
        if self._data_len != paged:
            raise SkbBug(f"{op}: data_len {self._data_len} no longer matches the frags and "
                         f"frag_list ({paged} bytes): a member was changed behind its owner")
        for m in self._head.frag_list:
            m._check_consistent(op)

    def _check_range(self, offset: int, n: int) -> None:
        if offset + n > self._len or offset < -self.headroom:
            raise SkbFault(f"bytes [{offset}, {offset + n}) are outside the packet "
                           f"(len {self._len}, headroom {self.headroom}) (-EFAULT)")

    def _parts(self, offset: int, n: int) -> list[_Part]:
        """Where packet bytes [offset, offset + n) live, in order: the linear
        part (a negative offset reaches into the headroom), the frags, then
        the frag_list members (each as a range of the member's own bytes)."""
        parts = []
        headlen = self.headlen
        if n and offset < headlen:
            count = min(headlen - offset, n)
            parts.append(_Part("linear", self, self._data + offset, self._data + offset + count))
            offset += count
            n -= count
        start = headlen
        for f in self._head.frags:
            end = start + f.size
            if n and offset < end:
                count = min(end - offset, n)
                a = f.offset + offset - start
                parts.append(_Part("frag", f.page, a, a + count))
                offset += count
                n -= count
            start = end
        for m in self._head.frag_list:
            end = start + m._len
            if n and offset < end:
                count = min(end - offset, n)
                parts.append(_Part("member", m, offset - start, offset - start + count))
                offset += count
                n -= count
            start = end
        if n:
            raise SkbFault(f"the frag_list members hold {n} bytes fewer than len says")
        return parts

    def _copy_bits(self, offset: int, n: int) -> bytes:
        self._check_consistent("skb_copy_bits")
        self._check_range(offset, n)
        out = []
        for p in self._parts(offset, n):
            if p.kind == "member":
                out.append(p.owner._copy_bits(p.start, p.stop - p.start))
            elif p.kind == "frag":
                out.append(bytes(p.owner._buf[p.start:p.stop]))
            else:
                out.append(bytes(self._head.buf[p.start:p.stop]))
        return b"".join(out)

    def _store_targets(self, offset: int, n: int) -> list[tuple[bytearray, int, int]]:
        """The buffer slices store_bits writes, after checking that no linear
        slice is shared (frag pages may always be written, as in the kernel)."""
        self._check_consistent("skb_store_bits")
        self._check_range(offset, n)
        a = self._data + offset
        if n == 0 and offset < self.headlen and not self._writable(a, a):
            # An empty range inside the linear part is a linear region too,
            # with the writability rule of any view (as for put_data(b"")).
            raise SkbSharedWrite(f"store_bits: head offset {a} is shared with a clone")
        targets = []
        for p in self._parts(offset, n):
            if p.kind == "member":
                targets += p.owner._store_targets(p.start, p.stop - p.start)
            elif p.kind == "frag":
                targets.append((p.owner._buf, p.start, p.stop))
            else:
                if not self._writable(p.start, p.stop):
                    raise SkbSharedWrite(
                        f"store_bits: head bytes [{p.start}, {p.stop}) are shared with a "
                        f"clone (dataref {self._head.dataref:#x}); skb_cow or unshare first")
                targets.append((self._head.buf, p.start, p.stop))
        return targets

    def _checksum(self, offset: int, n: int, csum: int) -> int:
        """skb_checksum: the linear part is summed into csum; each frag and
        member is summed on its own and added at its position in the range."""
        self._check_consistent("skb_checksum")
        self._check_range(offset, n)
        pos = 0
        for p in self._parts(offset, n):
            count = p.stop - p.start
            if p.kind == "linear":
                csum = csum_partial(self._head.buf[p.start:p.stop], csum)
            elif p.kind == "frag":
                csum = csum_block_add(csum, csum_partial(p.owner._buf[p.start:p.stop]), pos)
            else:
                csum = csum_block_add(csum, p.owner._checksum(p.start, count, 0), pos)
            pos += count
        return csum

    def _pull_tail(self, delta: int) -> None:
        """__pskb_pull_tail: move delta bytes of paged data into the head."""
        pulled = self._copy_bits(self.headlen, delta)
        eat = self._tail + delta - self._end
        if eat > 0 or self.is_cloned():
            self._expand_head(0, eat + 128 if eat > 0 else 0)
        head = self._head
        head.buf[self._tail:self._tail + delta] = pulled
        frag_bytes = sum(f.size for f in head.frags)
        if head.frag_list and frag_bytes < delta:
            self._pull_members(delta - frag_bytes)
        # Frags are released while they fit in what is left to eat, so an
        # empty frag after the cut goes too (0 <= 0) - except that the kernel
        # stops the walk when frag 0 itself is eaten partly.
        eat = delta
        kept = []
        for i, f in enumerate(head.frags):
            if f.size <= eat:
                f.page._put_ref()
                eat -= f.size
                continue
            kept.append(f._replace(offset=f.offset + eat, size=f.size - eat))
            if eat and i == 0:
                kept += head.frags[1:]
                break
            eat = 0
        head.frags = kept
        self._tail += delta
        self._data_len -= delta

    def _pull_members(self, eat: int) -> None:
        """The frag_list part of __pskb_pull_tail: members wholly eaten are
        unlinked and consumed; the member eaten partly is pulled (a clone of it
        if it is shared, the clone taking its place in the list)."""
        head = self._head
        kept = list(head.frag_list)
        gone = []
        while eat:
            m = kept[0]
            if m._len <= eat:
                eat -= m._len
                gone.append(kept.pop(0))
                continue
            if head.gso_size and m.headlen:
                head.gso_type |= SKB_GSO_DODGY
            if m._users != 1:
                clone = m._clone()
                clone._listed = True
                if not clone.may_pull(eat):
                    clone._unref()
                    raise MemoryError("__pskb_pull_tail: pulling a frag_list member failed")
                gone.append(kept.pop(0))
                kept.insert(0, clone)
                m = clone
            elif not m.may_pull(eat):
                raise MemoryError("__pskb_pull_tail: pulling a frag_list member failed")
            m._data += eat
            m._len -= eat
            break
        head.frag_list = kept
        for m in gone:
            m._unref(DROP_CONSUMED)

    def _drop_frag_list(self) -> None:
        for m in self._head.frag_list:
            m._unref()
        self._head.frag_list = []

    def _trim_paged(self, n: int) -> None:
        """___pskb_trim: cut a nonlinear skb to n bytes (n < len)."""
        self._check_consistent("pskb_trim")
        if self.is_cloned():
            self._expand_head(0, 0)
        head = self._head
        headlen = self.headlen
        if n <= headlen:
            for f in head.frags:
                f.page._put_ref()
            head.frags = []
            self._drop_frag_list()
        else:
            offset = headlen
            for i, f in enumerate(head.frags):
                end = offset + f.size
                if end >= n:
                    for g in head.frags[i + 1:]:
                        g.page._put_ref()
                    head.frags = head.frags[:i] + [f._replace(size=n - offset)]
                    self._drop_frag_list()
                    break
                offset = end
            else:
                self._trim_members(n, offset)
        if n > headlen:
            self._data_len -= self._len - n
            self._len = n
        else:
            self._len = n
            self._data_len = 0
            self._tail = self._data + n
        self._condense()

    def _trim_members(self, n: int, offset: int) -> None:
        """___pskb_trim inside the frag_list (offset = where the list starts):
        shared members on the way are replaced by clones of themselves, the
        member holding the cut is trimmed, the ones after it dropped."""
        members = self._head.frag_list
        for i in range(len(members)):
            m = members[i]
            if m._users != 1:
                clone = m._clone()
                clone._listed = True
                members[i] = clone
                m._unref(DROP_CONSUMED)
                m = clone
            end = offset + m._len
            if end < n:
                offset = end
                continue
            if end > n:
                m.pskb_trim(n - offset)
            for later in members[i + 1:]:
                later._unref()
            del members[i + 1:]
            break

    def _condense(self) -> None:
        """skb_condense: pull the paged data into the head when it fits and the
        head is private, then charge only the head.  When the data stays
        paged, truesize is left alone (the kernel returns first)."""
        if self._data_len:
            if self._data_len > self._end - self._tail or self.is_cloned():
                return
            try:
                self._pull_tail(self._data_len)
            except (SkbBug, MemoryError):
                pass  # the kernel ignores __pskb_pull_tail's failure here
        self._truesize = skb_truesize(self._end)

    def _check_frag_index(self, i: int, op: str) -> Frag:
        _s32(i, "i")
        frags = self._head.frags
        if not 0 <= i < len(frags):
            raise SkbBug(f"{op}: no frag {i} (nr_frags {len(frags)})")
        return frags[i]

    def _fill(self, i: int, page: Page, off: int, size: int, op: str,
              truesize: object = _NO_TRUESIZE) -> None:
        """skb_fill_page_desc's checks and effect; takes over Python's page ref
        (checked first: the reference is what the caller hands over).  With a
        truesize (skb_add_rx_frag) the growth of len and truesize is checked
        next, then the frag itself."""
        _live_page(page)
        _s32(i, "i")
        _u32(off, "off")
        _u32(size, "size")
        if truesize is not _NO_TRUESIZE:
            _u32(truesize, "truesize")
        if page._py_refs == 0:
            raise SkbBug(f"{op}: Python holds no reference to the page to hand over")
        if truesize is not _NO_TRUESIZE:
            self._check_growth(op, size, truesize)
        nr = len(self._head.frags)
        if i != nr:
            raise SkbBug(f"{op}: frag {i} is not the next one (nr_frags {nr})")
        if i >= MAX_SKB_FRAGS:
            raise SkbBug(f"{op}: frag {i} is beyond MAX_SKB_FRAGS ({MAX_SKB_FRAGS})")
        if off + size > page.size:
            raise SkbBug(f"{op}: [{off}, {off + size}) is outside the page ({page.size})")
        if self.is_cloned():
            raise SkbSharedWrite(f"{op}: the frags are shared with a clone")
        page._take_py_ref(op)
        self._head.frags.append(Frag(page, off, size))

    def _in_tree_of(self, root: "SkBuff") -> bool:
        """Is self somewhere in root's frag_list, at any depth?"""
        return any(m is self or self._in_tree_of(m) for m in root._head.frag_list)

    def _height(self) -> int:
        """frag_list nesting levels below self (0 without a frag_list)."""
        return max((1 + m._height() for m in self._head.frag_list), default=0)

    def _link(self, m: "SkBuff", at_end: bool) -> None:
        if not isinstance(m, SkBuff):
            raise TypeError(f"member must be an SkBuff, not {type(m).__name__}")
        if type(m) is _FreedSkBuff:
            raise SkbUseAfterFree("the member skb was freed")
        op = "frag_list_append" if at_end else "frag_list_prepend"
        if m._py_refs == 0:
            raise SkbBug(f"{op}: Python holds no reference to the member")
        if m is self or self._in_tree_of(m):
            raise SkbBug(f"{op}: the member would contain its parent")
        if m._listed:
            raise SkbBug(f"{op}: the member was on a frag_list before")
        # as the engine (memory safety): a member's or segment's owner would
        # keep stale lengths, and the tree stays at most 8 levels deep
        if self._listed:
            raise SkbBug(f"{op}: this skb is itself on a list (a member or a segment)")
        if m._height() + 1 > MAX_FRAG_LIST_DEPTH:
            raise SkbBug(f"{op}: frag_list nesting would exceed {MAX_FRAG_LIST_DEPTH} levels")
        if self.is_cloned():
            raise SkbSharedWrite(f"{op}: the frag_list is shared with a clone")
        self._check_growth(op, m._len, m._truesize)
        members = self._head.frag_list
        if at_end and members and members[-1]._users > members[-1]._py_refs + 1:
            # Appending writes the last member's next pointer, which another
            # chain (a pskb_copy's) shares.
            raise SkbSharedWrite(f"{op}: the last member is also on another frag_list")
        if at_end:
            self._head.frag_list.append(m)
        else:
            self._head.frag_list.insert(0, m)
        m._py_refs -= 1
        m._listed = True
        self._len += m._len
        self._data_len += m._len
        self._add_truesize(m._truesize)

    # ------------------------------------------------------------------
    # geometry

    @property
    def len(self) -> int:
        """Bytes in the packet: linear part plus paged data."""
        return self._len

    @property
    def data_len(self) -> int:
        """Bytes in frags and the frag_list (0 for a linear skb)."""
        return self._data_len

    @property
    def headlen(self) -> int:
        """Bytes in the linear part: len - data_len."""
        return self._len - self._data_len

    @property
    def headroom(self) -> int:
        """Bytes between head and data."""
        return self._data

    @property
    def tailroom(self) -> int:
        """Bytes between tail and end; 0 for any nonlinear skb."""
        return 0 if self._data_len else self._end - self._tail

    @property
    def data_offset(self) -> int:
        """data - head."""
        return self._data

    @property
    def tail_offset(self) -> int:
        """tail - head."""
        return self._tail

    @property
    def end_offset(self) -> int:
        """end - head: where skb_shared_info starts."""
        return self._end

    @property
    def truesize(self) -> int:
        """Memory charged for this skb, as the kernel accounts it."""
        return self._truesize

    @property
    def data(self) -> memoryview:
        """The linear data [data, tail); read-only where shared."""
        return self._view(self._data, self._tail)

    # ------------------------------------------------------------------
    # header offsets (from head; None when unset)

    @property
    def mac_header(self) -> Optional[int]:
        return None if self._mac_header == _UNSET else self._mac_header

    @property
    def network_header(self) -> int:
        """Never unset: 0 after allocation, as in the kernel."""
        return self._network_header

    @property
    def transport_header(self) -> Optional[int]:
        return None if self._transport_header == _UNSET else self._transport_header

    @property
    def inner_mac_header(self) -> Optional[int]:
        """None while 0 (the kernel's "was set" test for inner headers)."""
        return self._inner_mac_header or None

    @property
    def inner_network_header(self) -> Optional[int]:
        return self._inner_network_header or None

    @property
    def inner_transport_header(self) -> Optional[int]:
        return self._inner_transport_header or None

    def _offset(self, header: Optional[int]) -> Optional[int]:
        return None if header is None else header - self._data

    @property
    def mac_offset(self) -> Optional[int]:
        """skb_mac_offset: mac_header relative to data (may be negative)."""
        return self._offset(self.mac_header)

    @property
    def network_offset(self) -> int:
        return self._network_header - self._data

    @property
    def transport_offset(self) -> Optional[int]:
        return self._offset(self.transport_header)

    @property
    def inner_mac_offset(self) -> Optional[int]:
        return self._offset(self.inner_mac_header)

    @property
    def inner_network_offset(self) -> Optional[int]:
        return self._offset(self.inner_network_header)

    @property
    def inner_transport_offset(self) -> Optional[int]:
        return self._offset(self.inner_transport_header)

    @property
    def mac_len(self) -> int:
        return self._mac_len

    @property
    def network_header_len(self) -> int:
        """skb_network_header_len: transport_header - network_header (u16)."""
        return (self._transport_header - self._network_header) & _U16

    def _set_header(self, attr: str, offset: int, op: str) -> None:
        """header = data + offset.  Outside [0, end], or a value a u16 cannot
        hold apart from the unset marker, is a BUG."""
        _s32(offset, "offset")
        value = self._data + offset
        if value < 0 or value > self._end or value >= _UNSET:
            raise SkbBug(f"{op}: offset {offset} puts the header outside the head buffer")
        setattr(self, attr, value)

    def reset_mac_header(self) -> None:
        self._set_header("_mac_header", 0, "skb_reset_mac_header")

    def reset_network_header(self) -> None:
        self._set_header("_network_header", 0, "skb_reset_network_header")

    def reset_transport_header(self) -> None:
        self._set_header("_transport_header", 0, "skb_reset_transport_header")

    def reset_inner_mac_header(self) -> None:
        self._set_header("_inner_mac_header", 0, "skb_reset_inner_mac_header")

    def reset_inner_network_header(self) -> None:
        self._set_header("_inner_network_header", 0, "skb_reset_inner_network_header")

    def reset_inner_transport_header(self) -> None:
        self._set_header("_inner_transport_header", 0, "skb_reset_inner_transport_header")

    def set_mac_header(self, offset: int) -> None:
        """mac_header = data + offset (offset may be negative)."""
        self._set_header("_mac_header", offset, "skb_set_mac_header")

    def set_network_header(self, offset: int) -> None:
        self._set_header("_network_header", offset, "skb_set_network_header")

    def set_transport_header(self, offset: int) -> None:
        self._set_header("_transport_header", offset, "skb_set_transport_header")

    def set_inner_mac_header(self, offset: int) -> None:
        self._set_header("_inner_mac_header", offset, "skb_set_inner_mac_header")

    def set_inner_network_header(self, offset: int) -> None:
        self._set_header("_inner_network_header", offset, "skb_set_inner_network_header")

    def set_inner_transport_header(self, offset: int) -> None:
        self._set_header("_inner_transport_header", offset, "skb_set_inner_transport_header")

    def reset_inner_headers(self) -> None:
        """The inner offsets take the raw outer ones (an unset mac, 0xFFFF,
        becomes an inner mac of 65535)."""
        self._inner_mac_header = self._mac_header
        self._inner_network_header = self._network_header
        self._inner_transport_header = self._transport_header

    def reset_mac_len(self) -> None:
        """mac_len = network_header - mac_header (0 when mac is unset)."""
        if self._mac_header == _UNSET:
            self._mac_len = 0
        else:
            self._mac_len = (self._network_header - self._mac_header) & _U16

    # ------------------------------------------------------------------
    # metadata

    @property
    def users(self) -> int:
        """References on the struct (skb_get / kfree_skb)."""
        return self._users

    @property
    def dataref(self) -> int:
        """The shared info's dataref: low 16 bits all references, high 16
        bits the payload-only ones."""
        return self._head.dataref

    @property
    def cloned(self) -> bool:
        """The sticky cloned bit; is_cloned() also checks dataref."""
        return bool(self._cloned)

    @property
    def nohdr(self) -> bool:
        return bool(self._nohdr)

    @property
    def hdr_len(self) -> int:
        """For a clone of a header-released skb: the writable header area."""
        return self._hdr_len

    @property
    def fclone(self) -> int:
        """SKB_FCLONE_UNAVAILABLE (0), _ORIG (1) or _CLONE (2)."""
        return self._fclone

    @property
    def fclone_ref(self) -> Optional[int]:
        """The pair's fclone_ref (its live halves), or None for a plain skb."""
        return None if self._pair is None else self._pair.ref

    ip_summed = _field("ip_summed", 2, "CHECKSUM_NONE/UNNECESSARY/COMPLETE/PARTIAL.")
    csum = _field("csum", 32, "The 32-bit checksum (shares storage with csum_start/offset).")
    csum_level = _field("csum_level", 2, "Verified checksums minus one.")
    protocol = _field("protocol", 16, "The ethertype, host order (0x0800 for IPv4).")
    inner_protocol = _field("inner_protocol", 16, "The inner ethertype, host order.")
    encapsulation = _field("encapsulation", 1, "The inner header offsets are valid.")
    vlan_proto = _field("vlan_proto", 16, "The accelerated tag's TPID, host order.")
    vlan_tci = _field("vlan_tci", 16, "The accelerated VLAN tag (0 when none).")
    priority = _field("priority", 32, "Queueing priority.")
    mark = _field("mark", 32, "Generic packet mark.")
    hash = _field("hash", 32, "The flow hash.")
    l4_hash = _field("l4_hash", 1, "hash covers the ports (skb_get_hash caches it).")
    sw_hash = _field("sw_hash", 1, "hash was computed in software (skb_get_hash caches it).")
    pkt_type = _field("pkt_type", 3, "PACKET_HOST and friends.")
    queue_mapping = _field("queue_mapping", 16, "The transmit queue.")

    @property
    def csum_start(self) -> int:
        """Checksum start, an offset from head: the low half of csum's storage."""
        return self._csum & _U16

    @csum_start.setter
    def csum_start(self, value: int) -> None:
        _int(value, 0, _U16, "csum_start")
        self._csum = (self._csum & ~_U16) | value

    @property
    def csum_offset(self) -> int:
        """Where the checksum goes, from csum_start: the high half of csum."""
        return self._csum >> 16

    @csum_offset.setter
    def csum_offset(self, value: int) -> None:
        _int(value, 0, _U16, "csum_offset")
        self._csum = (self._csum & _U16) | (value << 16)

    @property
    def cb(self) -> bytes:
        """The 48-byte control buffer (a copy; assign bytes to change it)."""
        return self._cb

    @cb.setter
    def cb(self, value: bytes) -> None:
        value = _bytes(value)
        if len(value) > 48:
            raise ValueError(f"cb holds 48 bytes, not {len(value)}")
        self._cb = value.ljust(48, b"\0")

    gso_size = _gso_field("gso_size", 16, "Payload bytes per GSO segment (0: not GSO).")
    gso_segs = _gso_field("gso_segs", 16, "Number of GSO segments.")
    gso_type = _gso_field("gso_type", 32, "SKB_GSO_* bits.")

    # ------------------------------------------------------------------
    # linear operations

    def reserve(self, n: int) -> None:
        """skb_reserve: move data and tail forward by n (headroom)."""
        _s32(n, "n")
        if self._data + n < 0:
            raise self._panic(SkbUnderPanic, n)
        if self._tail + n > self._end:
            raise self._panic(SkbOverPanic, n)
        self._data += n
        self._tail += n

    def put(self, n: int) -> memoryview:
        """skb_put: extend the data at the tail; returns the n new bytes."""
        _u32(n, "n")
        if self._data_len:
            raise SkbBug(f"SKB_LINEAR_ASSERT: skb_put on a nonlinear skb "
                         f"(data_len {self._data_len})")
        if self._tail + n > self._end:
            raise self._panic(SkbOverPanic, n)
        start = self._tail
        self._tail += n
        self._len += n
        return self._view(start, self._tail)

    def put_data(self, data: bytes) -> memoryview:
        """skb_put_data: append bytes; SkbSharedWrite if the tail is shared."""
        b = _bytes(data)
        if not self._writable(self._tail, self._tail + len(b)):
            raise SkbSharedWrite(f"skb_put_data: the tail is shared with a clone "
                                 f"(dataref {self._head.dataref:#x}); skb_cow first")
        view = self.put(len(b))
        self._head.buf[self._tail - len(b):self._tail] = b
        return view

    def put_zero(self, n: int) -> memoryview:
        """skb_put_zero: append n zero bytes (put_data's checks, in its order,
        before any bytes are made)."""
        _u32(n, "n")
        if not self._writable(self._tail, self._tail + n):
            raise SkbSharedWrite(f"skb_put_zero: the tail is shared with a clone "
                                 f"(dataref {self._head.dataref:#x}); skb_cow first")
        view = self.put(n)
        self._head.buf[self._tail - n:self._tail] = bytes(n)
        return view

    def push(self, n: int) -> memoryview:
        """skb_push: extend the data at the front; returns the n new bytes."""
        _u32(n, "n")
        if n > self._data:
            raise self._panic(SkbUnderPanic, n)
        self._data -= n
        self._len += n
        return self._view(self._data, self._data + n)

    def pull(self, n: int) -> Optional[memoryview]:
        """skb_pull: remove n bytes from the front; returns the remaining
        linear data, or None (nothing changed) when n exceeds len."""
        _u32(n, "n")
        if n > self._len:
            return None
        if self._len - n < self._data_len:
            raise SkbBug(f"skb_pull past the linear data: pulling {n} leaves len below "
                         f"data_len {self._data_len} (pskb_may_pull first)")
        self._data += n
        self._len -= n
        return self._view(self._data, self._tail)

    def trim(self, n: int) -> None:
        """skb_trim: cut a linear skb to n bytes (warns, no-op, if nonlinear)."""
        _u32(n, "n")
        if self._len > n:
            if self._data_len:
                warnings.warn("skb_trim does nothing on a nonlinear skb (use pskb_trim)",
                              SkbWarning, stacklevel=2)
                return
            self._len = n
            self._tail = self._data + n

    def pskb_trim(self, n: int) -> None:
        """pskb_trim: cut any skb to n bytes."""
        _u32(n, "n")
        if n >= self._len:
            return
        if self._data_len:
            self._trim_paged(n)
        else:
            self._len = n
            self._tail = self._data + n

    def to_bytes(self) -> bytes:
        """The whole packet: linear data, frags and frag_list."""
        return self._copy_bits(0, self._len)

    def __bytes__(self) -> bytes:
        return self.to_bytes()

    # ------------------------------------------------------------------
    # sharing

    def get(self) -> "SkBuff":
        """skb_get: one more reference, held by the caller; returns self."""
        self._users += 1
        self._py_refs += 1
        return self

    def kfree(self, reason: int = DROP_NOT_SPECIFIED) -> None:
        """kfree_skb / kfree_skb_reason: drop a reference; the last one frees
        the skb and is counted under reason (a DropReason)."""
        _u32(reason, "reason")
        if reason == 0 or reason >= DROP_REASON_MAX:
            raise SkbBug(f"kfree_skb: arguments the kernel never passes (reason {reason} "
                         f"is not a drop reason)")
        self._take_py_ref("kfree_skb")
        self._unref(reason)

    def consume(self) -> None:
        """consume_skb: kfree_skb for a packet that was used, not dropped."""
        self._take_py_ref("consume_skb")
        self._unref(DROP_CONSUMED)

    def clone(self) -> "SkBuff":
        """skb_clone: a new sk_buff on the same data (dataref + 1)."""
        c = self._clone()
        c._py_refs = 1
        return c

    def is_cloned(self) -> bool:
        """skb_cloned: cloned and dataref shows another reference."""
        return bool(self._cloned) and (self._head.dataref & _U16) != 1

    def header_cloned(self) -> bool:
        """skb_header_cloned: someone else may touch the header area."""
        dataref = self._head.dataref
        return bool(self._cloned) and (dataref & _U16) - (dataref >> 16) != 1

    def shared(self) -> bool:
        """skb_shared: more than one reference on the struct."""
        return self._users != 1

    def header_release(self) -> None:
        """__skb_header_release: promise never to touch the headers again."""
        if (self._head.dataref & _U16) != 1:
            raise SkbBug(f"__skb_header_release: the data already has other references "
                         f"(dataref {self._head.dataref:#x})")
        self._nohdr = 1
        self._head.dataref = _NOHDR_BIAS

    # ------------------------------------------------------------------
    # copies

    def copy(self) -> "SkBuff":
        """skb_copy: a private linear copy of metadata and all data (headroom
        bytes included).  mac_len is not copied: the kernel's
        __copy_skb_header leaves it out."""
        headroom = self.headroom
        head_end(self._end + self._data_len)  # -ENOMEM first: the allocation comes first
        packet = self._copy_bits(-headroom, headroom + self._len)
        new = _Head(self._end + self._data_len)
        new.buf[:len(packet)] = packet
        c = SkBuff._new(new)
        c._data = headroom
        c._tail = headroom + self._len
        c._len = self._len
        c._copy_header_from(self)
        c._copy_gso_from(self)
        c._py_refs = 1
        return c

    def pskb_copy(self) -> "SkBuff":
        """pskb_copy: a private copy of the head; paged data stays shared."""
        headroom, headlen = self.headroom, self.headlen
        old = self._head
        new = _Head(headroom + headlen)
        new.buf[headroom:headroom + headlen] = old.buf[self._data:self._tail]
        c = SkBuff._new(new)
        c._data = headroom
        c._tail = headroom + headlen
        c._len, c._data_len = self._len, self._data_len
        c._add_truesize(self._data_len)
        new.frags = list(old.frags)
        for f in new.frags:
            f.page._refcount += 1
        new.frag_list = list(old.frag_list)
        for m in new.frag_list:
            m._users += 1
        c._copy_header_from(self)
        c._copy_gso_from(self)
        c._py_refs = 1
        return c

    def realloc_headroom(self, headroom: int) -> "SkBuff":
        """skb_realloc_headroom: a private head with headroom; self's data is
        untouched (its cloned bit is set, as by any clone)."""
        _u32(headroom, "headroom")
        delta = headroom - self.headroom
        if delta <= 0:
            return self.pskb_copy()
        c = self._clone()
        try:
            nhead = skb_data_align(delta)
            if nhead > _S32_MAX:
                raise SkbBug(f"skb_realloc_headroom: headroom {nhead} overflows an int")
            c._expand_head(nhead, 0)
        except Exception:
            c._unref()
            raise
        c._py_refs = 1
        return c

    def expand_head(self, nhead: int = 0, ntail: int = 0) -> None:
        """pskb_expand_head: reallocate the head with nhead/ntail more bytes."""
        _s32(nhead, "nhead")
        _s32(ntail, "ntail")
        self._expand_head(nhead, ntail)

    def _cow(self, headroom: int, shared: bool, op: str) -> None:
        delta = max(0, headroom - self.headroom)
        if delta or shared:
            nhead = skb_data_align(delta)
            if nhead > _S32_MAX:
                raise SkbBug(f"{op}: headroom {nhead} overflows an int")
            self._expand_head(nhead, 0)

    def cow(self, headroom: int = 0) -> None:
        """skb_cow: private head and data with at least headroom in front."""
        _u32(headroom, "headroom")
        self._cow(headroom, self.is_cloned(), "skb_cow")

    def cow_head(self, headroom: int = 0) -> None:
        """skb_cow_head: private header area with at least headroom."""
        _u32(headroom, "headroom")
        self._cow(headroom, self.header_cloned(), "skb_cow_head")

    def unshare(self) -> "SkBuff":
        """skb_unshare: self if the data is private, else a linear copy (the
        original's reference is consumed).  When the copy fails, for any
        reason (the kernel's skb_copy returning NULL), the original is freed
        and MemoryError raised."""
        if self._py_refs == 0:
            raise SkbBug("skb_unshare: Python holds no reference to this skb")
        if not self.is_cloned():
            return self
        self._take_py_ref("skb_unshare")
        try:
            c = self.copy()
        except Exception as exc:
            self._unref()
            raise MemoryError("skb_unshare: the copy failed; the original was freed") from exc
        self._unref(DROP_CONSUMED)
        return c

    def share_check(self) -> "SkBuff":
        """skb_share_check: self if not shared, else a clone (one reference
        of the original is dropped)."""
        if self._py_refs == 0:
            raise SkbBug("skb_share_check: Python holds no reference to this skb")
        if self._users == 1:
            return self
        c = self.clone()
        self._py_refs -= 1
        self._unref(DROP_CONSUMED)
        return c

    # ------------------------------------------------------------------
    # pages and frags

    @property
    def nr_frags(self) -> int:
        return len(self._head.frags)

    @property
    def frags(self) -> list[Frag]:
        """The frags, as Frag(page, offset, size)."""
        return list(self._head.frags)

    def fill_page_desc(self, i: int, page: Page, off: int, size: int) -> None:
        """skb_fill_page_desc: frag i = (page, off, size); takes over one of
        Python's page references; len/data_len/truesize are left alone."""
        self._fill(i, page, off, size, "skb_fill_page_desc")

    def add_rx_frag(self, i: int, page: Page, off: int, size: int, truesize: int) -> None:
        """skb_add_rx_frag: fill_page_desc and account the bytes."""
        self._fill(i, page, off, size, "skb_add_rx_frag", truesize)
        self._len += size
        self._data_len += size
        self._add_truesize(truesize)

    def can_coalesce(self, i: int, page: Page, off: int) -> bool:
        """skb_can_coalesce: does frag i - 1 end at page + off?"""
        _live_page(page)
        _s32(i, "i")
        _u32(off, "off")
        frags = self._head.frags
        if not 0 < i <= len(frags):
            return False
        prev = frags[i - 1]
        return prev.page is page and prev.offset + prev.size == off

    def coalesce_rx_frag(self, i: int, size: int, truesize: int) -> None:
        """skb_coalesce_rx_frag: grow frag i by size bytes of its page."""
        _s32(i, "i")
        _u32(size, "size")
        _u32(truesize, "truesize")
        f = self._check_frag_index(i, "skb_coalesce_rx_frag")
        if f.offset + f.size + size > f.page.size:
            raise SkbBug(f"skb_coalesce_rx_frag: frag {i} would leave its page")
        if self.is_cloned():
            raise SkbSharedWrite("skb_coalesce_rx_frag: the frags are shared with a clone")
        self._check_growth("skb_coalesce_rx_frag", size, truesize)
        self._head.frags[i] = f._replace(size=f.size + size)
        self._len += size
        self._data_len += size
        self._add_truesize(truesize)

    def frag_ref(self, i: int) -> Page:
        """skb_frag_ref: Python takes a new reference on frag i's page."""
        return self._check_frag_index(i, "skb_frag_ref").page.get()

    def frag_unref(self, i: int) -> None:
        """skb_frag_unref: Python gives back one reference on frag i's page."""
        self._check_frag_index(i, "skb_frag_unref").page.put()

    # ------------------------------------------------------------------
    # frag_list

    @property
    def frag_list(self) -> list["SkBuff"]:
        """The frag_list members, in order."""
        return list(self._head.frag_list)

    def walk_frags(self) -> Iterator["SkBuff"]:
        """skb_walk_frags: iterate over the frag_list members."""
        return iter(list(self._head.frag_list))

    def frag_list_append(self, member: "SkBuff") -> None:
        """Chain member at the end of the frag_list; its Python reference
        moves to the list."""
        self._link(member, at_end=True)

    def frag_list_prepend(self, member: "SkBuff") -> None:
        """Chain member at the front of the frag_list."""
        self._link(member, at_end=False)

    # ------------------------------------------------------------------
    # nonlinear access

    def may_pull(self, n: int) -> bool:
        """pskb_may_pull: make the first n bytes linear; False if the packet is
        shorter or the head could not be reallocated."""
        _u32(n, "n")
        if n <= self.headlen:
            return True
        if n > self._len:
            return False
        try:
            self.pull_tail(n - self.headlen)
        except MemoryError:
            return False
        return True

    def pull_tail(self, delta: int) -> None:
        """__pskb_pull_tail: move delta bytes of paged data into the head
        (which grows by 128 spare bytes when it must)."""
        _u32(delta, "delta")
        self._check_consistent("__pskb_pull_tail")
        if delta > self._data_len:
            raise SkbBug(f"__pskb_pull_tail: {delta} bytes asked, data_len {self._data_len}")
        # A shared skb (users != 1) is refused only when the head must be
        # reallocated: by pskb_expand_head, as in the kernel.
        self._pull_tail(delta)

    def linearize(self) -> None:
        """skb_linearize: pull all paged data into the head."""
        if self._data_len:
            self.pull_tail(self._data_len)

    def copy_bits(self, offset: int, n: int) -> bytes:
        """skb_copy_bits: n packet bytes from offset (negative: the headroom)."""
        _s32(offset, "offset")
        _u32(n, "n")
        return self._copy_bits(offset, n)

    def store_bits(self, offset: int, data: bytes) -> None:
        """skb_store_bits: write data at offset, into the head, frag pages and
        members; nothing is written if a head region is shared."""
        _s32(offset, "offset")
        b = _bytes(data)
        pos = 0
        for buf, a, z in self._store_targets(offset, len(b)):
            buf[a:z] = b[pos:pos + z - a]
            pos += z - a

    def header_pointer(self, offset: int, n: int) -> Optional[memoryview]:
        """skb_header_pointer: a read-only view of n bytes at offset, into the
        head when they are linear, else of a copy; None when out of range."""
        _s32(offset, "offset")
        _u32(n, "n")
        if 0 <= offset and offset + n <= self.headlen:
            a = self._data + offset
            return memoryview(self._head.buf)[a:a + n].toreadonly()
        try:
            return memoryview(self._copy_bits(offset, n))
        except SkbFault:
            return None

    def checksum(self, offset: int, n: int, csum: int = 0) -> int:
        """skb_checksum over n bytes from offset, starting from csum."""
        _s32(offset, "offset")
        _u32(n, "n")
        csum = _u32(csum, "csum")
        return self._checksum(offset, n, csum)

    def split(self, skb1: "SkBuff", n: int) -> None:
        """skb_split: bytes from n on move to the empty skb1.  truesize is
        left alone on both, as in the kernel."""
        if not isinstance(skb1, SkBuff):
            raise TypeError(f"skb1 must be an SkBuff, not {type(skb1).__name__}")
        if type(skb1) is _FreedSkBuff:
            raise SkbUseAfterFree("skb_split: skb1 was freed")
        _u32(n, "n")
        if skb1 is self:
            raise SkbBug("skb_split: an skb cannot be split into itself")
        if skb1._len or skb1._data_len or skb1._head.frags:
            raise SkbBug("skb_split: skb1 must be empty and have no frags")
        if self._head.frag_list or skb1._head.frag_list:
            raise SkbBug("skb_split: skb_split does not handle a frag_list")
        if n > self._len:
            raise SkbBug(f"skb_split: {n} is past the packet (len {self._len})")
        if self.is_cloned() or skb1.is_cloned():
            raise SkbSharedWrite("skb_split: the data is shared with a clone")
        self._check_consistent("skb_split")
        headlen = self.headlen
        head, head1 = self._head, skb1._head
        if n < headlen:
            # The cut is in the linear part: its tail is copied, all frags move.
            count = headlen - n
            if skb1._tail + count > skb1._end:
                raise skb1._panic(SkbOverPanic, count)
            head1.buf[skb1._tail:skb1._tail + count] = head.buf[self._data + n:self._tail]
            skb1._tail += count
            head1.frags, head.frags = head.frags, []
            skb1._data_len = self._data_len
            skb1._len = count + self._data_len
            self._data_len = 0
            self._len = n
            self._tail = self._data + n
            return
        # The cut is in the frags: those after it move, a straddling one is shared.
        pos = headlen
        kept, moved = [], []
        for f in head.frags:
            if pos + f.size <= n:
                kept.append(f)
            elif pos < n:
                f.page._refcount += 1
                kept.append(f._replace(size=n - pos))
                moved.append(f._replace(offset=f.offset + n - pos, size=f.size - (n - pos)))
            else:
                moved.append(f)
            pos += f.size
        head.frags, head1.frags = kept, moved
        skb1._len = skb1._data_len = self._len - n
        self._len = n
        self._data_len = n - headlen

    def try_coalesce(self, frm: "SkBuff") -> Optional[int]:
        """skb_try_coalesce: merge frm into self.  On success frm's Python
        reference is consumed and the truesize to transfer returned; None
        (nothing changed) when refused."""
        if not isinstance(frm, SkBuff):
            raise TypeError(f"frm must be an SkBuff, not {type(frm).__name__}")
        if type(frm) is _FreedSkBuff:
            raise SkbUseAfterFree("skb_try_coalesce: frm was freed")
        if frm._py_refs == 0:
            raise SkbBug("skb_try_coalesce: Python holds no reference to frm")
        if frm is self:
            raise SkbBug("skb_try_coalesce: an skb cannot be merged into itself")
        if self.is_cloned():
            return None
        self._check_consistent("skb_try_coalesce")
        frm._check_consistent("skb_try_coalesce")
        if frm._len <= self.tailroom:
            if frm._len:
                b = frm._copy_bits(0, frm._len)
                self._head.buf[self._tail:self._tail + len(b)] = b
                self._tail += len(b)
                self._len += len(b)
            frm.consume()
            return 0
        # Our heads are never page fragments, so frm's head cannot be stolen.
        if self._head.frag_list or frm._head.frag_list or frm.headlen:
            return None
        if len(self._head.frags) + len(frm._head.frags) > MAX_SKB_FRAGS:
            return None
        if not frm.is_cloned() and frm._users != 1:
            # **choice** (the engine's): frm's frags would move away under
            # another holder of frm, leaving it inconsistent.
            raise SkbBug("skb_try_coalesce: frm is shared (users "
                         f"{frm._users}); its frags cannot be taken")
        delta = frm._truesize - skb_truesize(frm._end)
        self._check_growth("skb_try_coalesce", frm._len, delta & _U32)
        self._head.frags += frm._head.frags
        if frm.is_cloned():
            for f in frm._head.frags:
                f.page._refcount += 1
        else:
            frm._head.frags = []
        self._add_truesize(delta)
        self._len += frm._len
        self._data_len += frm._len
        frm.consume()  # kfree_skb_partial: the bytes live on in this skb
        return delta

    # ------------------------------------------------------------------
    # segmentation: the bodies are in model_gso.py

    def segment(self, features: int) -> list["SkBuff"]:
        """skb_segment (see model_gso.skb_segment)."""
        return _gso.skb_segment(self, features)

    @property
    def next(self) -> Optional["SkBuff"]:
        """The next segment, for a segment of a segment list (else None)."""
        return _gso.seg_next(self)

    @property
    def prev(self) -> Optional["SkBuff"]:
        """For the first segment of a list, the last one (else None)."""
        return _gso.seg_prev(self)

    def is_gso(self) -> bool:
        return self._head.gso_size != 0

    def gso_reset(self) -> None:
        _gso.gso_reset(self)

    def gso_validate_network_len(self, mtu: int) -> bool:
        return _gso.gso_validate_network_len(self, mtu)

    def gso_validate_mac_len(self, length: int) -> bool:
        return _gso.gso_validate_mac_len(self, length)

    # ------------------------------------------------------------------
    # flow hash, checksum offload, tunnel headers: the bodies are in
    # model_offload.py

    def get_hash(self) -> int:
        """skb_get_hash (see model_offload)."""
        return _offload.get_hash(self)

    def clear_hash(self) -> None:
        """skb_clear_hash."""
        self._hash = self._l4_hash = self._sw_hash = 0

    def udp_flow_src_port(self, min: int = 0, max: int = 0, use_eth: bool = True) -> int:
        """udp_flow_src_port (see model_offload)."""
        _s32(min, "min")
        _s32(max, "max")
        return _offload.udp_flow_src_port(self, min, max, bool(use_eth))

    def ensure_writable(self, n: int) -> None:
        """skb_ensure_writable."""
        _u32(n, "n")
        _offload.ensure_writable(self, n)

    def checksum_help(self) -> None:
        """skb_checksum_help."""
        _offload.checksum_help(self)

    def lco_csum(self) -> int:
        """lco_csum."""
        return _offload.lco_csum(self)

    def iptunnel_handle_offloads(self, gso_type: int = 0) -> None:
        """iptunnel_handle_offloads."""
        _u32(gso_type, "gso_type")
        _offload.iptunnel_handle_offloads(self, gso_type)

    def tnl_push(self, template) -> None:
        """Push a skb.tunnel.TunnelTemplate's headers (see model_offload)."""
        from ..tunnel import TunnelTemplate

        if type(template) is not TunnelTemplate:
            raise TypeError(f"expected a TunnelTemplate, not {type(template).__name__}")
        _offload.tnl_push(self, template)

    @property
    def head_id(self) -> int:
        """An identifier of the head allocation, equal for skbs sharing it."""
        return id(self._head)

    def draw(self, width: int = 100) -> str:
        """The classic sk_buff picture as text (``skb.viz.draw``)."""
        from .. import viz  # drawings are optional: loaded on first use

        return viz.draw(self, width=width)

    def to_svg(self) -> str:
        """The classic sk_buff picture as an SVG document (``skb.viz.to_svg``)."""
        from .. import viz

        return viz.to_svg(self)

    # ------------------------------------------------------------------

    def __repr__(self) -> str:
        fclone = ("", " fclone=orig", " fclone=clone")[self._fclone]
        flags = (" cloned" if self._cloned else "") + (" nohdr" if self._nohdr else "")
        return (
            f"<model.SkBuff data=+{self._data} tail=+{self._tail} end=+{self._end} "
            f"len={self._len} data_len={self._data_len} users={self._users} "
            f"dataref={self._head.dataref:#x}{fclone}{flags}>"
        )


def alloc_skb(size: int, fclone: bool = False) -> SkBuff:
    """alloc_skb / alloc_skb_fclone: an empty skb with at least size bytes of
    tailroom (rounded up as the kernel's allocator does)."""
    _u32(size, "size")
    s = SkBuff._new(_Head(size))
    if fclone:
        s._fclone = SKB_FCLONE_ORIG
        s._pair = _FclonePair()
    s._py_refs = 1
    return s


# ----------------------------------------------------------------------
# freed handles


class _FreedSkBuff(SkBuff):
    __slots__ = ()

    def __repr__(self) -> str:
        return "<model.SkBuff freed>"


def _kill_public_names(cls: type, base: type, double_free: tuple[str, ...]) -> None:
    """Make every public attribute of base raise on cls, a freed handle."""

    def dead(name: str, attr: object) -> object:
        exc = SkbDoubleFree if name in double_free else SkbUseAfterFree
        what = base.__name__

        def fail(self, *args, **kwargs):
            raise exc(f"{name} on a freed {what}")

        return property(fail, fail) if isinstance(attr, property) else fail

    for name in dir(base):
        if not name.startswith("_"):
            setattr(cls, name, dead(name, getattr(base, name)))


from . import model_gso as _gso  # noqa: E402  (it imports this module)
from . import model_offload as _offload  # noqa: E402  (it imports this module)

_GSO_NAMES = ("GSO_BY_FRAGS", "NETIF_F", "SKB_GSO", "gso_segment")


def __getattr__(name: str) -> object:
    """The segmentation names, from model_gso (looked up late, so either
    module may be imported first; model_gso.__all__ lists them)."""
    if name in _GSO_NAMES:
        return getattr(_gso, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_kill_public_names(_FreedSkBuff, SkBuff, ("kfree", "consume"))
_kill_public_names(_FreedPage, Page, ("put",))


__all__ = [
    "CHECKSUM_COMPLETE",
    "CHECKSUM_NONE",
    "CHECKSUM_PARTIAL",
    "CHECKSUM_UNNECESSARY",
    "Counters",
    "Frag",
    "MAX_SKB_FRAGS",
    "NET_SKB_PAD",
    "PAGE_SIZE",
    "Page",
    "SKB_FCLONE_CLONE",
    "SKB_FCLONE_ORIG",
    "SKB_FCLONE_UNAVAILABLE",
    "SKB_GSO_DODGY",
    "SkBuff",
    "alloc_page",
    "alloc_skb",
    "counters",
    "csum_add",
    "csum_block_add",
    "csum_fold",
    "csum_partial",
    "csum_sub",
    "csum_tcpudp_magic",
    "csum_tcpudp_nofold",
    "drop_counts",
    "head_end",
    "ip_fast_csum",
    "skb_data_align",
    "skb_truesize",
]
