"""``SkBuff``: a Python handle on an engine ``struct sk_buff``.

Lifetimes.  Explicit ``kfree``/``consume`` is the model, as in the kernel.
A handle's class tells what Python holds:

* ``SkBuff`` - Python owns at least one of the skb's ``users`` references
  (from ``alloc_skb``, ``clone``, ``get`` ...).  The struct cannot die under
  it, so reads go straight to the C struct.
* ``BorrowedSkBuff`` - the skb is alive but Python holds no reference (a
  ``frag_list`` member its parent owns, or after handing the reference
  away).  Every access first checks the skb is still alive.
* ``FreedSkBuff`` - the skb was freed; every access raises
  ``SkbUseAfterFree`` (``kfree``/``consume`` raise ``SkbDoubleFree``).

There is one handle per skb, so identity holds (``s.get() is s``).  A handle
collected while Python still holds references is a leak: the engine frees
the skb, counts it and a ``SkbLeakWarning`` is issued.

Views.  ``data`` and the results of ``put``/``push``/``pull`` are
memoryviews into the head buffer.  Each view pins the head it maps, so it
never touches freed memory, even after ``expand_head``, ``unshare`` or a
free (it then shows the old head, as a stale pointer would in the kernel).
Whether a view may write is decided when it is created: a region the skb
shares with a clone (``is_cloned()``, or beyond ``hdr_len`` for a clone of a
header-released skb) is mapped read-only, so writing through it raises
``TypeError``; writing methods such as ``put_data`` raise
``SkbSharedWrite``.  A view created while the skb was private stays
writable after a later clone: call ``cow``/``unshare`` and take a fresh view.
"""

from __future__ import annotations

import errno
import functools
import operator
import warnings
import weakref
from collections.abc import Sequence
from typing import Iterator, Optional, Union, overload

from . import _handles
from ._engine import ffi, lib
from .errors import (
    SkbBug,
    SkbFault,
    SkbLeakWarning,
    SkbOverPanic,
    SkbSegmentError,
    SkbSharedWrite,
    SkbUnderPanic,
    SkbUseAfterFree,
    SkbWarning,
)
from .page import Frag, Page, page_arg, page_handle

_REMAP = lib.SKBPY_REMAP
_RO = lib.SKBPY_RO
_OFF_BITS = lib.SKBPY_OFF_BITS
_OFF_MASK = lib.SKBPY_OFF_MASK
_UNSET = lib.SKB_HEADER_UNSET
_LIVE = _handles.LIVE
_DIED = _handles.DIED
_BORROWED = _handles.BORROWED
_OWNED = _handles.OWNED

# Aliases: an attribute lookup on lib costs as much as a third of a call.
_push = lib.skbpy_push
_pull = lib.skbpy_pull
_put = lib.skbpy_put
_put_data = lib.skbpy_put_data
_data = lib.skbpy_data
_reserve = lib.skb_reserve
_headroom = lib.skb_headroom
_tailroom = lib.skb_tailroom
_headlen = lib.skb_headlen
_data_offset = lib.skb_data_offset
_dataref = lib.skb_dataref
_kfree = lib.skbpy_kfree
_clone = lib.skbpy_clone
_map = lib.skbpy_map
_unmap = lib.skbpy_unmap
_release = lib.skbpy_release
_expand_head = lib.pskb_expand_head
_checksum = lib.skb_checksum
_cow = lib.skb_cow
_cow_head = lib.skb_cow_head

_err = ffi.new("int *")
_segs = ffi.new("struct sk_buff **[1]")
_index = operator.index
_U32_MAX = 0xFFFFFFFF

# pointer -> weakref(handle); keeps one handle per struct.
_by_ptr: dict = {}
_gc_leaks = 0

_BUG_MESSAGES = {
    lib.SKB_EBUG_NONLINEAR: "SKB_LINEAR_ASSERT: {op} on a nonlinear skb (data_len {data_len})",
    lib.SKB_EBUG_PULL: "{op} past the linear data: pulling {arg} leaves len below "
    "data_len {data_len} (pskb_may_pull first)",
    lib.SKB_EBUG_SHARED: "{op} on a shared skb (users {users}): skb_share_check first",
    lib.SKB_EBUG_NEGATIVE: "{op}: negative or overflowing headroom ({arg})",
    lib.SKB_EBUG_HEADER: "{op}: offset {arg} puts the header outside the head buffer",
    lib.SKB_EBUG_DATAREF: "{op}: dataref would overflow its 16-bit reference count",
    lib.SKB_EBUG_USERS: "{op}: the users refcount would overflow",
    lib.SKB_EBUG_HDR_RELEASE: "{op}: the data already has other references "
    "(dataref {dataref:#x}); release the header before cloning",
    lib.SKB_EBUG_SHRINK: "{op}: the new size would cut into the data ({arg})",
    lib.SKB_EBUG_FRAGS: "{op}: frag index {arg} is not usable here (nr_frags {nr_frags}, "
    "MAX_SKB_FRAGS 17)",
    lib.SKB_EBUG_FRAG_RANGE: "{op}: the frag would run past the end of its page",
    lib.SKB_EBUG_ON_LIST: "{op}: the member is this skb, or has been on a list, or this skb "
    "is itself a frag_list member",
    lib.SKB_EBUG_DEPTH: "{op}: frag_list nesting would exceed 8 levels",
    lib.SKB_EBUG_INCONSISTENT: "{op}: data_len {data_len} no longer matches the frags and "
    "frag_list (a member was changed behind its owner's back)",
    lib.SKB_EBUG_LEN: "{op}: a length or truesize would overflow 32 bits",
    lib.SKB_EBUG_ARGS: "{op}: arguments the kernel never passes ({arg})",
    lib.SKB_EBUG_SEGMENT: "{op}: the geometry hits a BUG_ON in skb_segment (a frag_list "
    "member's linear data not on a segment boundary, or a member too short)",
    lib.SKB_EBUG_CSUM_OFFSET: "{op}: csum_start/csum_offset point outside the linear data",
}


def _gc_leak_count() -> int:
    """Number of references freed by the garbage collector (leaks)."""
    return _gc_leaks


def _field(name: str, doc: str, bits: int) -> property:
    """A read-write property over an integer field of the C struct."""
    mask = (1 << bits) - 1

    def get(self):
        return getattr(self._cd, name)

    def set_(self, value: int) -> None:
        if type(value) is not int:
            value = self._int(value)
        if not 0 <= value <= mask:
            raise OverflowError(f"{name} must fit in {bits} bits, not {value}")
        setattr(self._cd, name, value)

    return property(get, set_, doc=doc)


class SkBuff:
    """A socket buffer; see the module documentation for lifetimes and views."""

    __slots__ = ("_cd", "_hv", "_owner", "__weakref__")
    _kind = "skb"

    def __init__(self) -> None:
        raise TypeError("use skb.alloc_skb() to make an skb")

    # ------------------------------------------------------------------
    # internals

    def __del__(self) -> None:
        cd = getattr(self, "_cd", None)
        if cd is None:
            return
        self._cd = None
        self.__class__ = FreedSkBuff
        try:
            _by_ptr.pop(cd, None)
            leaked = _release(cd)
        except Exception:  # interpreter shutdown: the engine may be gone
            return
        if leaked:
            global _gc_leaks
            _gc_leaks += leaked
            warnings.warn(
                f"skb collected with {leaked} reference(s) still held: "
                "freed as a leak (call kfree or consume)",
                SkbLeakWarning,
                stacklevel=2,
            )

    def __copy__(self):
        raise TypeError("an skb handle cannot be copied: use clone(), copy() or get()")

    __deepcopy__ = __copy__
    __reduce_ex__ = __copy__

    def _int(self, value) -> int:
        """Convert a non-int argument with __index__, which may run code that
        frees this skb: the handle is checked again before it is used."""
        value = _index(value)
        if self._cd is None:
            raise SkbUseAfterFree("the skb was freed while an argument was converted")
        return value

    def _ints(self, *values) -> tuple:
        return tuple(v if type(v) is int else self._int(v) for v in values)

    def _lost(self) -> None:
        """The skb died without this handle being told (a borrowed handle):
        let go of the memory it pins."""
        cd = self._cd
        self._moved(_DIED)
        _release(cd)

    def _moved(self, transition: int) -> None:
        """Apply an ownership transition reported by the engine."""
        if transition & _DIED:
            _by_ptr.pop(self._cd, None)
            self._cd = None
            self._hv = None
            self._owner = None
            self.__class__ = FreedSkBuff
        elif transition & _BORROWED:
            self.__class__ = BorrowedSkBuff
        elif transition & _OWNED:
            self.__class__ = SkBuff

    def _remap(self, ro: int) -> memoryview:
        cd = self._cd
        head = _map(cd, 1 if ro else 0)
        if head == ffi.NULL:  # a collection freed it since the engine answered
            self._lost()
            raise SkbUseAfterFree("the skb was freed")
        head = ffi.gc(head, _unmap)
        view = memoryview(ffi.buffer(head, cd.end))
        self._hv = view.toreadonly() if ro else view
        return self._hv

    def _view(self, r: int, op: str, arg: object = 0) -> memoryview:
        """Slow path of a packed view result: errors and remapping."""
        if r < 0:
            self._raise(r, op, arg)
        hv = self._remap(r & _RO) if r >= _REMAP else self._hv
        return hv[r & _OFF_MASK:(r >> _OFF_BITS) & _OFF_MASK]

    def _panic_fields(self, put: int) -> dict:
        cd = self._cd
        return dict(
            len=cd.len,
            put=put,
            head=int(ffi.cast("uintptr_t", cd.head)),
            data=int(ffi.cast("uintptr_t", cd.data)),
            tail=cd.tail,
            end=cd.end,
        )

    def _raise(self, code: int, op: str, arg: object = 0) -> None:
        """Turn an engine error code into the documented exception."""
        if code == lib.SKB_ENOMEM:
            raise MemoryError(f"{op}: allocation failed (-ENOMEM)")
        if code == lib.SKB_EFREED:
            self._lost()
            raise SkbUseAfterFree(f"{op} on a freed skb")
        if code == lib.SKB_EFAULT:
            raise SkbFault(f"{op}: bytes {arg} are outside the packet (len {self._cd.len}, "
                           f"headroom {_headroom(self._cd)})")
        if code == lib.SKB_EOVERPANIC:
            raise SkbOverPanic(**self._panic_fields(arg))
        if code == lib.SKB_EUNDERPANIC:
            raise SkbUnderPanic(**self._panic_fields(arg))
        if code == lib.SKB_ESHARED_WRITE:
            raise SkbSharedWrite(
                f"{op}: the data is shared with a clone (dataref "
                f"{_dataref(self._cd):#x}); skb_cow or skb_unshare first"
            )
        if code == lib.SKB_ENOREF:
            raise SkbBug(
                f"{op}: Python holds no reference to this skb (users "
                f"{self._cd.users} belong to other owners); refcount underflow"
            )
        if code in (lib.SKB_EINVAL, lib.SKB_EPROTONOSUPPORT):
            number = errno.EINVAL if code == lib.SKB_EINVAL else errno.EPROTONOSUPPORT
            raise SkbSegmentError(number, f"{op}: {errno.errorcode[number]} ({arg})")
        template = _BUG_MESSAGES.get(code)
        if template is None:
            raise SkbBug(f"{op}: engine error {code}")
        cd = self._cd
        raise SkbBug(
            template.format(op=op, arg=arg, data_len=cd.data_len, users=cd.users,
                            dataref=_dataref(cd), nr_frags=lib.skb_shinfo(cd).nr_frags)
        )

    def _status(self, code: int, op: str, arg: object = 0) -> None:
        if code:
            if code == lib.SKB_WARN:
                warnings.warn(f"{op} does nothing on a nonlinear skb (use pskb_trim)",
                              SkbWarning, stacklevel=3)
            else:
                self._raise(code, op, arg)

    def _fresh(self, p, op: str, arg: object = 0) -> "SkBuff":
        if p == ffi.NULL:
            self._raise(_err[0], op, arg)
        return _adopt(p)

    # ------------------------------------------------------------------
    # geometry

    @property
    def len(self) -> int:
        """Bytes in the packet: linear part plus paged data."""
        return self._cd.len

    @property
    def data_len(self) -> int:
        """Bytes in frags and the frag_list (0 for a linear skb)."""
        return self._cd.data_len

    @property
    def headlen(self) -> int:
        """Bytes in the linear part: len - data_len."""
        return _headlen(self._cd)

    @property
    def headroom(self) -> int:
        """Bytes between head and data."""
        return _headroom(self._cd)

    @property
    def tailroom(self) -> int:
        """Bytes between tail and end; 0 for any nonlinear skb."""
        return _tailroom(self._cd)

    @property
    def data_offset(self) -> int:
        """data - head."""
        return _data_offset(self._cd)

    @property
    def tail_offset(self) -> int:
        """tail - head."""
        return self._cd.tail

    @property
    def end_offset(self) -> int:
        """end - head: where skb_shared_info starts."""
        return self._cd.end

    @property
    def truesize(self) -> int:
        """Memory charged for this skb, as the kernel accounts it."""
        return self._cd.truesize

    @property
    def data(self) -> memoryview:
        """The linear data [data, tail); read-only where shared."""
        r = _data(self._cd)
        if 0 <= r < _REMAP:
            return self._hv[r & _OFF_MASK:r >> _OFF_BITS]
        return self._view(r, "data")

    # ------------------------------------------------------------------
    # header offsets (from head; None when unset)

    @property
    def mac_header(self) -> Optional[int]:
        v = self._cd.mac_header
        return None if v == _UNSET else v

    @property
    def network_header(self) -> int:
        """Never unset: 0 after allocation, as in the kernel."""
        return self._cd.network_header

    @property
    def transport_header(self) -> Optional[int]:
        v = self._cd.transport_header
        return None if v == _UNSET else v

    @property
    def inner_mac_header(self) -> Optional[int]:
        """None while 0 (the kernel's "was set" test for inner headers)."""
        return self._cd.inner_mac_header or None

    @property
    def inner_network_header(self) -> Optional[int]:
        return self._cd.inner_network_header or None

    @property
    def inner_transport_header(self) -> Optional[int]:
        return self._cd.inner_transport_header or None

    def _offset(self, value: Optional[int]) -> Optional[int]:
        return None if value is None else value - _data_offset(self._cd)

    @property
    def mac_offset(self) -> Optional[int]:
        """skb_mac_offset: mac_header relative to data (may be negative)."""
        return self._offset(self.mac_header)

    @property
    def network_offset(self) -> int:
        return self.network_header - _data_offset(self._cd)

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
        return self._cd.mac_len

    @property
    def network_header_len(self) -> int:
        """skb_network_header_len: transport_header - network_header."""
        cd = self._cd
        return (cd.transport_header - cd.network_header) & 0xFFFF

    def reset_mac_header(self) -> None:
        self._status(lib.skb_reset_mac_header(self._cd), "skb_reset_mac_header")

    def reset_network_header(self) -> None:
        self._status(lib.skb_reset_network_header(self._cd), "skb_reset_network_header")

    def reset_transport_header(self) -> None:
        self._status(lib.skb_reset_transport_header(self._cd), "skb_reset_transport_header")

    def reset_inner_mac_header(self) -> None:
        self._status(lib.skb_reset_inner_mac_header(self._cd), "skb_reset_inner_mac_header")

    def reset_inner_network_header(self) -> None:
        self._status(lib.skb_reset_inner_network_header(self._cd),
                     "skb_reset_inner_network_header")

    def reset_inner_transport_header(self) -> None:
        self._status(lib.skb_reset_inner_transport_header(self._cd),
                     "skb_reset_inner_transport_header")

    def set_mac_header(self, offset: int) -> None:
        """mac_header = data + offset (offset may be negative)."""
        if type(offset) is not int:
            offset = self._int(offset)
        self._status(lib.skb_set_mac_header(self._cd, offset), "skb_set_mac_header", offset)

    def set_network_header(self, offset: int) -> None:
        if type(offset) is not int:
            offset = self._int(offset)
        self._status(lib.skb_set_network_header(self._cd, offset),
                     "skb_set_network_header", offset)

    def set_transport_header(self, offset: int) -> None:
        if type(offset) is not int:
            offset = self._int(offset)
        self._status(lib.skb_set_transport_header(self._cd, offset),
                     "skb_set_transport_header", offset)

    def set_inner_mac_header(self, offset: int) -> None:
        if type(offset) is not int:
            offset = self._int(offset)
        self._status(lib.skb_set_inner_mac_header(self._cd, offset),
                     "skb_set_inner_mac_header", offset)

    def set_inner_network_header(self, offset: int) -> None:
        if type(offset) is not int:
            offset = self._int(offset)
        self._status(lib.skb_set_inner_network_header(self._cd, offset),
                     "skb_set_inner_network_header", offset)

    def set_inner_transport_header(self, offset: int) -> None:
        if type(offset) is not int:
            offset = self._int(offset)
        self._status(lib.skb_set_inner_transport_header(self._cd, offset),
                     "skb_set_inner_transport_header", offset)

    def reset_inner_headers(self) -> None:
        """The inner offsets take the outer ones (before encapsulating)."""
        self._status(lib.skb_reset_inner_headers(self._cd), "skb_reset_inner_headers")

    def reset_mac_len(self) -> None:
        """mac_len = network_header - mac_header (0 when mac is unset)."""
        self._status(lib.skb_reset_mac_len(self._cd), "skb_reset_mac_len")

    # ------------------------------------------------------------------
    # metadata

    @property
    def users(self) -> int:
        """References on the struct (skb_get / kfree_skb)."""
        return self._cd.users

    @property
    def dataref(self) -> int:
        """The shared info's dataref: low 16 bits all references, high 16
        bits the payload-only ones."""
        return _dataref(self._cd)

    @property
    def cloned(self) -> bool:
        """The sticky cloned bit; is_cloned() also checks dataref."""
        return bool(self._cd.cloned)

    @property
    def nohdr(self) -> bool:
        return bool(self._cd.nohdr)

    @property
    def hdr_len(self) -> int:
        """For a clone of a header-released skb: the writable header area."""
        return self._cd.hdr_len

    @property
    def fclone(self) -> int:
        """SKB_FCLONE_UNAVAILABLE (0), _ORIG (1) or _CLONE (2)."""
        return self._cd.fclone

    @property
    def fclone_ref(self) -> Optional[int]:
        """The pair's fclone_ref, or None for a plain skb."""
        v = lib.skb_fclone_ref(self._cd)
        return None if v < 0 else v

    @property
    def head_id(self) -> int:
        """An identifier of the head allocation: skbs sharing their data
        (clones, fclone companions) have equal head_id."""
        return int(ffi.cast("uintptr_t", self._cd.head))

    ip_summed = _field("ip_summed", "CHECKSUM_NONE/UNNECESSARY/COMPLETE/PARTIAL.", 2)
    csum = _field("csum", "The 32-bit checksum (shares storage with csum_start/offset).", 32)
    csum_start = _field("csum_start", "Checksum start, an offset from head.", 16)
    csum_offset = _field("csum_offset", "Where the checksum goes, from csum_start.", 16)
    csum_level = _field("csum_level", "Verified checksums minus one.", 2)
    protocol = _field("protocol", "The ethertype, host order (0x0800 for IPv4).", 16)
    inner_protocol = _field("inner_protocol", "The inner ethertype, host order.", 16)
    encapsulation = _field("encapsulation", "The inner header offsets are valid.", 1)
    vlan_proto = _field("vlan_proto", "The accelerated tag's TPID, host order.", 16)
    vlan_tci = _field("vlan_tci", "The accelerated VLAN tag (0 when none).", 16)
    priority = _field("priority", "Queueing priority.", 32)
    mark = _field("mark", "Generic packet mark.", 32)
    hash = _field("hash", "The flow hash.", 32)
    l4_hash = _field("l4_hash", "hash covers the ports (skb_get_hash caches it).", 1)
    sw_hash = _field("sw_hash", "hash was computed in software (skb_get_hash caches "
                     "it).", 1)
    pkt_type = _field("pkt_type", "PACKET_HOST and friends.", 3)
    queue_mapping = _field("queue_mapping", "The transmit queue.", 16)

    @property
    def cb(self) -> bytes:
        """The 48-byte control buffer (a copy; assign bytes to change it)."""
        return bytes(ffi.buffer(self._cd.cb))

    @cb.setter
    def cb(self, value: bytes) -> None:
        value = memoryview(value).tobytes()
        if len(value) > 48:
            raise ValueError(f"cb holds 48 bytes, not {len(value)}")
        ffi.buffer(self._cd.cb)[:] = value.ljust(48, b"\0")

    # ------------------------------------------------------------------
    # linear operations

    def reserve(self, n: int) -> None:
        """skb_reserve: move data and tail forward by n (headroom)."""
        if type(n) is not int:
            n = self._int(n)
        r = _reserve(self._cd, n)
        if r:
            self._raise(r, "skb_reserve", n)

    def put(self, n: int) -> memoryview:
        """skb_put: extend the data at the tail; returns the n new bytes."""
        if type(n) is not int:
            n = self._int(n)
        r = _put(self._cd, n)
        if 0 <= r < _REMAP:
            return self._hv[r & _OFF_MASK:r >> _OFF_BITS]
        return self._view(r, "skb_put", n)

    def put_data(self, data) -> memoryview:
        """skb_put_data: append bytes; SkbSharedWrite if the tail is shared."""
        if type(data) is not bytes:
            data = bytes(memoryview(data).cast("B"))
        r = _put_data(self._cd, data, len(data))
        if 0 <= r < _REMAP:
            return self._hv[r & _OFF_MASK:r >> _OFF_BITS]
        return self._view(r, "skb_put_data", len(data))

    def put_zero(self, n: int) -> memoryview:
        """skb_put_zero: append n zero bytes; SkbSharedWrite if the tail is shared."""
        if type(n) is not int:
            n = self._int(n)
        r = lib.skbpy_put_zero(self._cd, n)
        if 0 <= r < _REMAP:
            return self._hv[r & _OFF_MASK:r >> _OFF_BITS]
        return self._view(r, "skb_put_zero", n)

    def push(self, n: int) -> memoryview:
        """skb_push: extend the data at the front; returns the n new bytes."""
        if type(n) is not int:
            n = self._int(n)
        r = _push(self._cd, n)
        if 0 <= r < _REMAP:
            return self._hv[r & _OFF_MASK:r >> _OFF_BITS]
        return self._view(r, "skb_push", n)

    def pull(self, n: int) -> Optional[memoryview]:
        """skb_pull: remove n bytes from the front; returns the remaining
        linear data, or None (nothing changed) when n exceeds len."""
        if type(n) is not int:
            n = self._int(n)
        r = _pull(self._cd, n)
        if 0 <= r < _REMAP:
            return self._hv[r & _OFF_MASK:r >> _OFF_BITS]
        if r == lib.SKB_ENULL:
            return None
        return self._view(r, "skb_pull", n)

    def trim(self, n: int) -> None:
        """skb_trim: cut a linear skb to n bytes (warns, no-op, if nonlinear)."""
        if type(n) is not int:
            n = self._int(n)
        self._status(lib.skb_trim(self._cd, n), "skb_trim", n)

    def pskb_trim(self, n: int) -> None:
        """pskb_trim: cut any skb to n bytes."""
        if type(n) is not int:
            n = self._int(n)
        self._status(lib.pskb_trim(self._cd, n), "pskb_trim", n)

    def to_bytes(self) -> bytes:
        """The whole packet: linear data, frags and frag_list."""
        return self.copy_bits(0, self._cd.len)

    def __bytes__(self) -> bytes:
        return self.to_bytes()

    # ------------------------------------------------------------------
    # sharing

    def get(self) -> "SkBuff":
        """skb_get: one more reference, held by the caller; returns self."""
        r = lib.skbpy_get(self._cd)
        if r < 0:
            self._raise(r, "skb_get")
        if r:
            self._moved(r)
        return self

    def kfree(self, reason: int = 2) -> None:
        """kfree_skb / kfree_skb_reason: drop a reference; the last one frees
        the skb and is counted under ``reason`` (a ``DropReason``; the
        default is NOT_SPECIFIED, CONSUMED is consume)."""
        if type(reason) is not int:
            reason = self._int(reason)
        r = _kfree(self._cd, reason)
        if r:
            if r < 0:
                self._raise(r, "kfree_skb", f"reason {reason} is not a drop reason")
            self._moved(r)

    def consume(self) -> None:
        """consume_skb: kfree_skb for a packet that was used, not dropped."""
        r = _kfree(self._cd, 1)
        if r:
            if r < 0:
                self._raise(r, "consume_skb")
            self._moved(r)

    def clone(self) -> "SkBuff":
        """skb_clone: a new sk_buff on the same data (dataref + 1)."""
        p = _clone(self._cd, _err)
        if p == ffi.NULL:
            self._raise(_err[0], "skb_clone")
        return _adopt(p)

    def is_cloned(self) -> bool:
        """skb_cloned: cloned and dataref shows another reference."""
        return self._predicate(lib.skb_cloned(self._cd), "skb_cloned")

    def header_cloned(self) -> bool:
        """skb_header_cloned: someone else may touch the header area."""
        return self._predicate(lib.skb_header_cloned(self._cd), "skb_header_cloned")

    def shared(self) -> bool:
        """skb_shared: more than one reference on the struct."""
        return self._predicate(lib.skb_shared(self._cd), "skb_shared")

    def _predicate(self, r: int, op: str) -> bool:
        if r < 0:
            self._raise(r, op, "headers not set")
        return bool(r)

    def header_release(self) -> None:
        """__skb_header_release: promise never to touch the headers again."""
        self._status(lib.skb_header_release(self._cd), "__skb_header_release")

    # ------------------------------------------------------------------
    # copies

    def copy(self) -> "SkBuff":
        """skb_copy: a private linear copy of metadata and all data."""
        return self._fresh(lib.skbpy_copy(self._cd, _err), "skb_copy")

    def pskb_copy(self) -> "SkBuff":
        """pskb_copy: a private copy of the head; paged data stays shared."""
        return self._fresh(lib.skbpy_pskb_copy(self._cd, _err), "pskb_copy")

    def realloc_headroom(self, headroom: int) -> "SkBuff":
        """skb_realloc_headroom: a private head with headroom; self untouched."""
        if type(headroom) is not int:
            headroom = self._int(headroom)
        return self._fresh(lib.skbpy_realloc_headroom(self._cd, headroom, _err),
                           "skb_realloc_headroom", headroom)

    def expand_head(self, nhead: int = 0, ntail: int = 0) -> None:
        """pskb_expand_head: reallocate the head with nhead/ntail more bytes."""
        if type(nhead) is not int or type(ntail) is not int:
            nhead, ntail = self._ints(nhead, ntail)
        r = _expand_head(self._cd, nhead, ntail)
        if r:
            self._status(r, "pskb_expand_head", f"nhead={nhead}, ntail={ntail}")

    def cow(self, headroom: int = 0) -> None:
        """skb_cow: private head and data with at least headroom in front."""
        if type(headroom) is not int:
            headroom = self._int(headroom)
        r = _cow(self._cd, headroom)
        if r:
            self._status(r, "skb_cow", headroom)

    def cow_head(self, headroom: int = 0) -> None:
        """skb_cow_head: private header area with at least headroom."""
        if type(headroom) is not int:
            headroom = self._int(headroom)
        r = _cow_head(self._cd, headroom)
        if r:
            self._status(r, "skb_cow_head", headroom)

    def _replace(self, p, st: int, op: str) -> "SkBuff":
        """Result of unshare/share_check: self, or a new skb after Python's
        reference on self was consumed."""
        if p == self._cd:
            return self
        if p == ffi.NULL and st < 0:
            self._raise(st, op)
        if st:
            self._moved(st)
        if p == ffi.NULL:
            raise MemoryError(f"{op}: allocation failed (-ENOMEM); the original was freed")
        return _adopt(p)

    def unshare(self) -> "SkBuff":
        """skb_unshare: self if the data is private, else a linear copy (the
        original's reference is consumed).  On -ENOMEM the original is freed
        and MemoryError raised."""
        p = lib.skbpy_unshare(self._cd, _err)
        return self._replace(p, _err[0], "skb_unshare")

    def share_check(self) -> "SkBuff":
        """skb_share_check: self if not shared, else a clone (one reference
        of the original is dropped)."""
        p = lib.skbpy_share_check(self._cd, _err)
        return self._replace(p, _err[0], "skb_share_check")

    # ------------------------------------------------------------------
    # paged data: frags

    @property
    def nr_frags(self) -> int:
        return lib.skb_shinfo(self._cd).nr_frags

    @property
    def frags(self) -> list[Frag]:
        """The frag descriptors, in order."""
        sh = lib.skb_shinfo(self._cd)
        return [Frag(page_handle(sh.frags[i].page), sh.frags[i].offset, sh.frags[i].len)
                for i in range(sh.nr_frags)]

    def _other_failed(self, code: int, other, op: str, what: str, arg: object = 0) -> None:
        """An error from an operation on self and another handle."""
        if code == lib.SKB_EFREED and self._cd.state == _LIVE:
            other._lost()
            raise SkbUseAfterFree(f"{op}: the {what} was freed")
        if code == lib.SKB_ENOREF:
            raise SkbBug(f"{op}: Python holds no reference to the {what} to hand over")
        self._raise(code, op, arg)

    def fill_page_desc(self, i: int, page: Page, off: int, size: int) -> None:
        """skb_fill_page_desc: frag i = (page, off, size); i must be nr_frags.
        Python's reference on the page passes to the frag; lengths untouched."""
        if type(i) is not int or type(off) is not int or type(size) is not int:
            i, off, size = self._ints(i, off, size)
        r = lib.skbpy_fill_page_desc(self._cd, i, page_arg(page), off, size)
        if r < 0:
            self._other_failed(r, page, "skb_fill_page_desc", "page", i)
        if r:
            page._moved(r)

    def add_rx_frag(self, i: int, page: Page, off: int, size: int, truesize: int) -> None:
        """skb_add_rx_frag: fill_page_desc, then len and data_len += size and
        truesize += truesize."""
        if (type(i) is not int or type(off) is not int or type(size) is not int or
                type(truesize) is not int):
            i, off, size, truesize = self._ints(i, off, size, truesize)
        r = lib.skbpy_add_rx_frag(self._cd, i, page_arg(page), off, size, truesize)
        if r < 0:
            self._other_failed(r, page, "skb_add_rx_frag", "page", i)
        if r:
            page._moved(r)

    def can_coalesce(self, i: int, page: Page, off: int) -> bool:
        """skb_can_coalesce: bytes at off of page would extend frag i - 1."""
        if type(i) is not int or type(off) is not int:
            i, off = self._ints(i, off)
        r = lib.skb_can_coalesce(self._cd, i, page_arg(page), off)
        if r < 0:
            self._other_failed(r, page, "skb_can_coalesce", "page", i)
        return bool(r)

    def coalesce_rx_frag(self, i: int, size: int, truesize: int) -> None:
        """skb_coalesce_rx_frag: grow frag i by size bytes, accounting them."""
        if type(i) is not int or type(size) is not int or type(truesize) is not int:
            i, size, truesize = self._ints(i, size, truesize)
        self._status(lib.skb_coalesce_rx_frag(self._cd, i, size, truesize),
                     "skb_coalesce_rx_frag", i)

    def frag_ref(self, i: int) -> Page:
        """skb_frag_ref: Python takes a reference on frag i's page; returns it."""
        if type(i) is not int:
            i = self._int(i)
        p = lib.skbpy_frag_ref(self._cd, i, _err)
        if p == ffi.NULL:
            self._raise(_err[0], "skb_frag_ref", i)
        page = page_handle(p)
        if _err[0]:
            page._moved(_err[0])
        return page

    def frag_unref(self, i: int) -> None:
        """skb_frag_unref: Python gives back a reference it holds on frag i's page."""
        if type(i) is not int:
            i = self._int(i)
        r = lib.skbpy_frag_unref(self._cd, i)
        if r == lib.SKB_ENOREF:
            raise SkbBug(f"skb_frag_unref: Python holds no reference to frag {i}'s page")
        if r < 0:
            self._raise(r, "skb_frag_unref", i)
        if r:
            page_handle(lib.skb_shinfo(self._cd).frags[i].page)._moved(r)

    # ------------------------------------------------------------------
    # paged data: frag_list

    @property
    def frag_list(self) -> list["SkBuff"]:
        """The frag_list members, in order."""
        members = []
        p = lib.skb_shinfo(self._cd).frag_list
        while p != ffi.NULL:
            members.append(skb_handle(p))
            p = p.next
        return members

    def walk_frags(self) -> Iterator["SkBuff"]:
        """skb_walk_frags: iterate over the frag_list members (a snapshot)."""
        return iter(self.frag_list)

    def _frag_list_add(self, member: "SkBuff", at_end: int, op: str) -> None:
        r = lib.skbpy_frag_list_add(self._cd, _skb_arg(member), at_end)
        if r < 0:
            self._other_failed(r, member, op, "member")
        if r:
            member._moved(r)

    def frag_list_append(self, member: "SkBuff") -> None:
        """Chain member at the end of the frag_list; Python's reference on it
        passes to this skb, and len/data_len/truesize grow by its own."""
        self._frag_list_add(member, 1, "frag_list_append")

    def frag_list_prepend(self, member: "SkBuff") -> None:
        """Chain member at the front of the frag_list (see frag_list_append)."""
        self._frag_list_add(member, 0, "frag_list_prepend")

    # ------------------------------------------------------------------
    # paged data: access

    def may_pull(self, n: int) -> bool:
        """pskb_may_pull: make the first n bytes linear.  False when the packet
        is shorter or the allocation failed; views of the head go stale."""
        if type(n) is not int:
            n = self._int(n)
        r = lib.pskb_may_pull(self._cd, n)
        if r < 0:
            self._raise(r, "pskb_may_pull", n)
        return bool(r)

    def pull_tail(self, delta: int) -> None:
        """__pskb_pull_tail: move delta paged bytes to the end of the head."""
        if type(delta) is not int:
            delta = self._int(delta)
        self._status(lib.pskb_pull_tail(self._cd, delta), "__pskb_pull_tail", delta)

    def linearize(self) -> None:
        """skb_linearize: pull all paged data into the head."""
        self._status(lib.skb_linearize(self._cd), "skb_linearize")

    def copy_bits(self, offset: int, n: int) -> bytes:
        """skb_copy_bits: n bytes from offset (negative reads the headroom),
        across frags and frag_list; SkbFault outside the packet."""
        if type(offset) is not int or type(n) is not int:
            offset, n = self._ints(offset, n)
        if not 0 <= n <= _U32_MAX:
            raise OverflowError(f"n must be an unsigned 32-bit size, not {n}")
        if offset + n > self._cd.len and -0x80000000 <= offset <= 0x7FFFFFFF:
            # refused before a buffer of n bytes is made, in the engine's order
            self._raise(lib.skb_copy_bits_check(self._cd, offset, n), "skb_copy_bits",
                        f"[{offset}, {offset}+{n})")
        buf = ffi.new("unsigned char[]", n)
        r = lib.skb_copy_bits(self._cd, offset, buf, n)
        if r:
            self._raise(r, "skb_copy_bits", f"[{offset}, {offset}+{n})")
        return ffi.buffer(buf)[:]

    def store_bits(self, offset: int, data) -> None:
        """skb_store_bits: write bytes at offset, into frag pages too;
        SkbSharedWrite when a linear part is shared, before any write."""
        if type(offset) is not int:
            offset = self._int(offset)
        if type(data) is not bytes:
            data = bytes(memoryview(data).cast("B"))
        r = lib.skb_store_bits(self._cd, offset, data, len(data))
        if r:
            self._raise(r, "skb_store_bits", f"[{offset}, {offset}+{len(data)})")

    def header_pointer(self, offset: int, n: int) -> Optional[memoryview]:
        """skb_header_pointer: a read-only view of n bytes at offset - zero-copy
        when they are linear, a copy otherwise - or None outside the packet."""
        if type(offset) is not int or type(n) is not int:
            offset, n = self._ints(offset, n)
        r = lib.skbpy_linear(self._cd, offset, n)
        if r >= 0:
            return self._view(r, "skb_header_pointer").toreadonly()
        if r != lib.SKB_ENULL:
            self._raise(r, "skb_header_pointer")
        try:
            return memoryview(self.copy_bits(offset, n))
        except SkbFault:
            return None

    def checksum(self, offset: int, n: int, csum: int = 0) -> int:
        """skb_checksum: the 32-bit partial sum of n bytes from offset, continuing
        csum (fold it with skb.csum.csum_fold)."""
        if type(offset) is not int or type(n) is not int or type(csum) is not int:
            offset, n, csum = self._ints(offset, n, csum)
        r = _checksum(self._cd, offset, n, csum)
        if r < 0:
            self._raise(r, "skb_checksum", f"[{offset}, {offset}+{n})")
        return r

    def split(self, skb1: "SkBuff", n: int) -> None:
        """skb_split: keep the first n bytes, move the rest into the empty skb1
        (linear part and frags; truesize unchanged on both)."""
        if type(n) is not int:
            n = self._int(n)
        r = lib.skb_split(self._cd, _skb_arg(skb1), n)
        if r == lib.SKB_EOVERPANIC:
            raise SkbOverPanic(**skb1._panic_fields(self._cd.len - self._cd.data_len - n))
        if r:
            self._other_failed(r, skb1, "skb_split", "second skb", n)

    def try_coalesce(self, frm: "SkBuff") -> Optional[int]:
        """skb_try_coalesce: merge frm's bytes into this skb if cheap.  Returns
        the truesize delta and frees frm (kfree_skb_partial), or None when
        refused (nothing changed)."""
        r = lib.skbpy_try_coalesce(self._cd, _skb_arg(frm), _err)
        if r < 0:
            self._other_failed(r, frm, "skb_try_coalesce", "source skb")
        if not r:
            return None
        frm._moved(r & ~lib.SKBPY_DONE)
        return _err[0]

    # ------------------------------------------------------------------
    # flow hash and checksum offload

    def get_hash(self) -> int:
        """skb_get_hash: the flow hash (addresses, protocol, ports; symmetric),
        computed once and kept in ``hash``; 0 when no IPv4/IPv6 flow is found.
        Needs protocol and network_header set.  The kernel's seed is random
        per boot; ours is fixed, so hashes are reproducible."""
        r = lib.skb_get_hash(self._cd)
        if r < 0:
            self._raise(r, "skb_get_hash")
        return r

    def udp_flow_src_port(self, min: int = 0, max: int = 0, use_eth: bool = True) -> int:
        """udp_flow_src_port: a tunnel's UDP source port in [min, max) from
        this (inner) packet's flow hash - the local port range 32768..60999
        when max <= min; without a flow, from the Ethernet addresses at data
        when use_eth, else a fixed value."""
        if type(min) is not int or type(max) is not int:
            min, max = self._ints(min, max)
        r = lib.udp_flow_src_port(self._cd, min, max, 1 if use_eth else 0)
        if r < 0:
            if r == lib.SKB_EINVAL:
                raise ValueError(f"udp_flow_src_port: [{min}, {max}) is no port range")
            self._raise(r, "udp_flow_src_port")
        return r

    def tnl_push(self, template) -> None:
        """Push a tunnel's outer headers from a ``skb.tunnel.TunnelTemplate``
        and fill their per-packet fields (see there)."""
        if type(template) is not _tunnel_template():
            raise TypeError(f"expected a TunnelTemplate, not {type(template).__name__}")
        r = lib.skb_tnl_push(self._cd, template._t)
        if r:
            self._raise(r, "skb_tnl_push")

    def clear_hash(self) -> None:
        """skb_clear_hash: forget the flow hash (a tunnel end calls it when
        the packet it decapsulated becomes a new flow)."""
        cd = self._cd
        cd.hash = cd.l4_hash = cd.sw_hash = 0

    def ensure_writable(self, n: int) -> None:
        """skb_ensure_writable: make the first n bytes linear and private
        (MemoryError when the packet is shorter or memory runs out)."""
        if type(n) is not int:
            n = self._int(n)
        r = lib.skb_ensure_writable(self._cd, n)
        if r:
            if r == -errno.ENOMEM and n > self._cd.len:
                raise MemoryError(f"skb_ensure_writable: {n} bytes asked of a "
                                  f"{self._cd.len}-byte packet (-ENOMEM)")
            self._raise(r, "skb_ensure_writable", n)

    def checksum_help(self) -> None:
        """skb_checksum_help: finish a CHECKSUM_PARTIAL checksum in software
        (what a device without checksum offload needs); 0 goes out as 0xffff."""
        self._status(lib.skb_checksum_help(self._cd), "skb_checksum_help",
                     "a GSO skb must be segmented first")

    def lco_csum(self) -> int:
        """lco_csum: the partial sum an outer checksum needs while the inner one
        is left to the device (local checksum offload)."""
        r = lib.lco_csum(self._cd)
        if r < 0:
            self._raise(r, "lco_csum")
        return r

    def iptunnel_handle_offloads(self, gso_type: int = 0) -> None:
        """iptunnel_handle_offloads: before a tunnel header - record the inner
        headers, add the tunnel's SKB_GSO bits to a GSO skb, and give up
        checksum offload for a packet that is not CHECKSUM_PARTIAL."""
        if type(gso_type) is not int:
            gso_type = self._int(gso_type)
        self._status(lib.iptunnel_handle_offloads(self._cd, gso_type),
                     "iptunnel_handle_offloads")

    # ------------------------------------------------------------------
    # segmentation

    def _segment(self, features: int, gso: int, op: str) -> Optional["SegmentList"]:
        if type(features) is not int:
            features = self._int(features)
        n = lib.skbpy_segment(self._cd, features, gso, _segs)
        if n < 0:
            self._raise(n, op, f"gso_size {lib.skb_shinfo(self._cd).gso_size}, "
                               f"gso_type {lib.skb_shinfo(self._cd).gso_type:#x}")
        if n == 0:
            return None
        return SegmentList._make(_segs[0], n)

    def segment(self, features: int) -> "SegmentList":
        """skb_segment: cut this GSO skb into segments of at most gso_size
        payload bytes.  data must be at the payload with the mac header set
        (headers from the mac header on are replicated).  As in the kernel,
        this skb is left pushed back to its mac header."""
        segs = self._segment(features, 0, "skb_segment")
        assert segs is not None
        return segs

    @property
    def next(self) -> Optional["SkBuff"]:
        """The next segment, for a segment of a SegmentList (else None)."""
        owner = self._owner
        if owner is None:
            return None
        segs, j = owner
        return segs[j + 1] if j + 1 < len(segs) else None

    @property
    def prev(self) -> Optional["SkBuff"]:
        """For the first segment of a list, the last one (the kernel's
        segs->prev); None elsewhere."""
        owner = self._owner
        if owner is None or owner[1] != 0:
            return None
        return owner[0][-1]

    def is_gso(self) -> bool:
        """skb_is_gso: gso_size is not 0."""
        return lib.skb_shinfo(self._cd).gso_size != 0

    def gso_reset(self) -> None:
        """skb_gso_reset: clear gso_size, gso_segs and gso_type."""
        if lib.skb_cloned(self._cd) == 1:
            raise SkbSharedWrite("skb_gso_reset: the shared info is shared with a clone")
        self._status(lib.skb_gso_reset(self._cd), "skb_gso_reset")

    def gso_validate_network_len(self, mtu: int) -> bool:
        """skb_gso_validate_network_len: every segment's network packet fits mtu."""
        if type(mtu) is not int:
            mtu = self._int(mtu)
        return self._predicate(lib.skb_gso_validate_network_len(self._cd, mtu),
                               "skb_gso_validate_network_len")

    def gso_validate_mac_len(self, length: int) -> bool:
        """skb_gso_validate_mac_len: every segment's frame fits length."""
        if type(length) is not int:
            length = self._int(length)
        return self._predicate(lib.skb_gso_validate_mac_len(self._cd, length),
                               "skb_gso_validate_mac_len")

    # ------------------------------------------------------------------
    # GSO metadata (in the shared info)

    def _set_shinfo(self, name: str, value: int, bits: int) -> None:
        if type(value) is not int:
            value = self._int(value)
        if not 0 <= value < 1 << bits:
            raise OverflowError(f"{name} must fit in {bits} bits, not {value}")
        if lib.skb_cloned(self._cd) == 1:
            raise SkbSharedWrite(f"{name}: the shared info is shared with a clone")
        setattr(lib.skb_shinfo(self._cd), name, value)

    @property
    def gso_size(self) -> int:
        """The MSS of a GSO packet (0: not GSO)."""
        return lib.skb_shinfo(self._cd).gso_size

    @gso_size.setter
    def gso_size(self, value: int) -> None:
        self._set_shinfo("gso_size", value, 16)

    @property
    def gso_segs(self) -> int:
        return lib.skb_shinfo(self._cd).gso_segs

    @gso_segs.setter
    def gso_segs(self, value: int) -> None:
        self._set_shinfo("gso_segs", value, 16)

    @property
    def gso_type(self) -> int:
        """SKB_GSO_* bits."""
        return lib.skb_shinfo(self._cd).gso_type

    @gso_type.setter
    def gso_type(self, value: int) -> None:
        self._set_shinfo("gso_type", value, 32)

    # ------------------------------------------------------------------

    def draw(self, width: int = 100) -> str:
        """The classic sk_buff picture as text (``skb.viz.draw``)."""
        from . import viz  # drawings are optional: loaded on first use

        return viz.draw(self, width=width)

    def to_svg(self) -> str:
        """The classic sk_buff picture as an SVG document (``skb.viz.to_svg``)."""
        from . import viz

        return viz.to_svg(self)

    def __repr__(self) -> str:
        cd = self._cd
        fclone = ("", " fclone=orig", " fclone=clone")[cd.fclone]
        flags = (" cloned" if cd.cloned else "") + (" nohdr" if cd.nohdr else "")
        kind = "" if type(self) is SkBuff else " borrowed"
        return (
            f"<SkBuff{kind} head={int(ffi.cast('uintptr_t', cd.head)):#x} "
            f"data=+{_data_offset(cd)} tail=+{cd.tail} end=+{cd.end} len={cd.len} "
            f"data_len={cd.data_len} users={cd.users} dataref={_dataref(cd):#x}"
            f"{fclone}{flags}>"
        )


def _new(cls: type, p, owner: Optional[tuple] = None) -> SkBuff:
    s = object.__new__(cls)
    s._cd = p
    s._hv = None
    s._owner = owner
    _by_ptr[p] = weakref.ref(s)
    return s


def _adopt(p) -> SkBuff:
    """A handle on a fresh skb whose reference Python now holds."""
    return _new(SkBuff, p)


def skb_handle(p) -> SkBuff:
    """The handle of the skb at ``p`` (which its parent must keep alive):
    its existing one, or a borrowed one."""
    ref = _by_ptr.get(p)
    s = ref() if ref is not None else None
    if s is None:
        lib.skbpy_pin(p)
        s = _new(BorrowedSkBuff, p)
    return s


class SegmentList(Sequence):
    """The segments skb_segment / skb_gso_segment produced, or the packets
    ip_fragment sends (skb.ip.fragment), in order.

    The skbs belong to the caller: free each one (the garbage collector
    frees forgotten ones as leaks).  Handles are made on first access, so
    producing the list is one engine call; the list keeps them, and each
    segment's ``next``/``prev`` follow the list.  A segment handle keeps its
    list alive until the segment is freed.
    """

    __slots__ = ("_arr", "_n", "_cache")

    def __init__(self) -> None:
        raise TypeError("segment lists come from SkBuff.segment(), gso_segment() or "
                        "ip.fragment()")

    @classmethod
    def _make(cls, arr, n: int) -> "SegmentList":
        segs = object.__new__(cls)
        segs._arr = arr
        segs._n = n
        segs._cache = [None] * n
        return segs

    @classmethod
    def _make_claimed(cls, arr, n: int, reused: int) -> "SegmentList":
        """A list of packets the first ``reused`` of which existed before, so
        Python may hold handles on them already (ip_fragment's fast path
        sends the packet itself and its frag_list members): those handles
        take their packet, as owners."""
        segs = cls._make(arr, n)
        for j in range(reused):
            ref = _by_ptr.get(arr[j])
            h = ref() if ref is not None else None
            if h is not None:
                lib.skbpy_claim_pinned(arr[j])
                h._moved(_OWNED)
                h._owner = (segs, j)
                segs._cache[j] = h
        return segs

    def _handle(self, j: int) -> SkBuff:
        h = self._cache[j]
        if h is None:
            p = self._arr[j]
            lib.skbpy_claim(p)
            h = self._cache[j] = _new(SkBuff, p, (self, j))
        return h

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> SkBuff: ...

    @overload
    def __getitem__(self, i: slice) -> list[SkBuff]: ...

    def __getitem__(self, i: Union[int, slice]) -> Union[SkBuff, list[SkBuff]]:
        if isinstance(i, slice):
            return [self._handle(j) for j in range(*i.indices(self._n))]
        n = self._n
        j = i + n if i < 0 else i
        if not 0 <= j < n:
            raise IndexError(f"segment {i} of {n}")
        return self._handle(j)

    def __iter__(self) -> Iterator[SkBuff]:
        for j in range(self._n):
            yield self._handle(j)

    def __del__(self) -> None:
        try:
            leaked = lib.skbpy_segs_release(self._arr, self._n)
        except Exception:  # interpreter shutdown: the engine may be gone
            return
        if leaked:
            global _gc_leaks
            _gc_leaks += leaked
            warnings.warn(
                f"{leaked} segment(s) were never taken from their list: freed as leaks",
                SkbLeakWarning,
                stacklevel=2,
            )

    def __repr__(self) -> str:
        return f"<SegmentList of {self._n} skbs>"


@functools.cache
def _tunnel_template() -> type:
    from .tunnel import TunnelTemplate  # skb.tunnel imports this module

    return TunnelTemplate


def _skb_arg(other: object):
    """The C pointer of an skb argument, refusing freed skbs and other types."""
    if isinstance(other, SkBuff):
        if type(other) is FreedSkBuff:
            raise SkbUseAfterFree("a freed skb was passed")
        return other._cd
    raise TypeError(f"expected an SkBuff, not {type(other).__name__}")


BorrowedSkBuff, FreedSkBuff = _handles.derive_states(
    SkBuff, ("kfree", "consume"), SkBuff.__repr__)


def alloc_skb(size: int, fclone: bool = False) -> SkBuff:
    """alloc_skb / alloc_skb_fclone: an empty skb with at least size bytes of
    tailroom (rounded up as the kernel's allocator does)."""
    if type(size) is not int:
        size = _index(size)
    p = lib.skbpy_alloc_skb(size, 1 if fclone else 0, _err)
    if p == ffi.NULL:
        raise MemoryError(f"alloc_skb({size}): allocation failed (-ENOMEM)")
    return _adopt(p)
