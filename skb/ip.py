"""IPv4 fragmentation and reassembly, as the kernel does them on frag_list.

``fragment(s, mtu)`` is what the IPv4 output path does with a packet for a
path MTU (``__ip_finish_output`` -> ``ip_fragment`` -> ``ip_do_fragment``):

* a packet that fits, and was not reassembled, goes out as it is;
* a DF packet that does not fit is freed and ``FragNeeded(mtu)`` returned
  (the kernel sends ICMP "fragmentation needed" with that MTU);
* otherwise it is cut.  The fast path sends a packet whose frag_list
  members already have fragment geometry (reassembly leaves them so) as
  those very skbs, writing only their headers - no payload is copied, the
  first fragment is ``s`` itself; the slow path copies the payload into new
  skbs of at most ``mtu`` bytes.  Options whose copy bit is clear go in the
  first fragment only (``ip_options_fragment``).

``DefragQueue`` is the kernel's set of reassembly queues (one network
namespace's ``fqdir``): ``defrag(s, now)`` is ``ip_defrag`` behind
``ip_rcv_core``'s checks, with the caller's clock.  A complete datagram is
one skb: data at the IPv4 header, the head holding the header and the first
fragment's payload, the frag_list holding the later payloads (their old
headers left in the headroom) - the shape ``fragment`` sends without copying.

Ownership, as in the kernel: both functions consume the skb passed in.
``fragment`` returns the packets to send in a ``SegmentList`` (each one the
caller's to free; on the fast path ``s`` and its former members are among
them, their handles owning again).  ``defrag`` returns the datagram (the
caller's, and ``s`` itself when ``s`` completed it), ``None`` while the
datagram is incomplete - ``s`` is then the queue's and its handle is dead,
as after a free - or ``Drop(reason)`` once the engine has freed ``s``.
``close()`` (or leaving the ``with`` block) frees what is still queued.

The IPv4 control block lives in ``cb`` as in the kernel (``ipcb(s)``): the
reassembled datagram carries ``frag_max_size``, the largest fragment, and
``IPSKB_FRAG_PMTU`` when that fragment had DF; ``fragment`` then cuts to
``frag_max_size`` and keeps DF on the fragments, so a forwarded datagram
leaves in the sizes it came in.
"""

from __future__ import annotations

import math
import operator
import struct
import warnings
from typing import NamedTuple, Union

from ._engine import ffi, lib
from .drop import Drop, DropReason
from .errors import SkbLeakWarning
from .skbuff import SegmentList, SkBuff, _adopt, _skb_arg

IP_FRAG_TIME: float = 30.0
"""The reassembly timeout the kernel starts with (IP_FRAG_TIME), seconds."""
IPFRAG_HIGH_THRESH: int = 4 << 20
IPFRAG_LOW_THRESH: int = 3 << 20
IPFRAG_MAX_DIST: int = 64
IPQ_SIZE: int = lib.IPQ_SIZE
"""sizeof(struct ipq): what each incomplete datagram adds to ``mem``."""
IPV4_MIN_MTU: int = lib.IPV4_MIN_MTU
IPSKB_FRAG_COMPLETE: int = lib.IPSKB_FRAG_COMPLETE
IPSKB_FRAG_PMTU: int = lib.IPSKB_FRAG_PMTU
LL_RESERVED_SPACE_ETH: int = 16
"""LL_RESERVED_SPACE of an Ethernet device: the headroom new fragments get."""

_NS = 1_000_000_000
_U32_MAX = 0xFFFFFFFF
_U64_MAX = (1 << 64) - 1
_S64_MAX = (1 << 63) - 1
_S32_MAX = (1 << 31) - 1
_frags = ffi.new("struct sk_buff **[1]")
_st = ffi.new("int[2]")
_res = ffi.new("struct skbpy_defrag_result *")
_defrag = lib.skbpy_ip_defrag
_QUEUED = lib.IP_DEFRAG_QUEUED
_DONE = lib.IP_DEFRAG_DONE
_NOW_MAX = _U64_MAX // _NS
_DROPS = {r: Drop(r) for r in DropReason}
_ipcb = struct.Struct("=HH")


class FragNeeded(NamedTuple):
    """A DF packet that does not fit: the kernel sent ICMP "fragmentation
    needed" carrying ``mtu`` and freed the packet (kfree_skb, hence
    ``reason`` NOT_SPECIFIED)."""

    mtu: int
    reason: DropReason = DropReason.NOT_SPECIFIED


class IPCB(NamedTuple):
    """The fields of the IPv4 control block (``struct inet_skb_parm`` in cb)
    that fragmentation and reassembly use."""

    flags: int
    frag_max_size: int


class Expired(NamedTuple):
    """A datagram whose reassembly timer fired.  ``time_exceeded``: its first
    fragment had arrived, so the kernel sends ICMP "time exceeded, fragment
    reassembly time exceeded" to the source."""

    saddr: str
    daddr: str
    id: int
    protocol: int
    time_exceeded: bool


class DefragStats(NamedTuple):
    """The kernel's reassembly counters (``/proc/net/snmp``, Ip: Reasm*)."""

    reasm_reqds: int
    reasm_oks: int
    reasm_fails: int
    reasm_timeout: int
    reasm_overlaps: int


def _u32(value, name: str) -> int:
    value = operator.index(value)
    if not 0 <= value <= _U32_MAX:
        raise OverflowError(f"{name} must fit in an unsigned 32-bit int, not {value}")
    return value


def _ns(value, name: str) -> int:
    """Seconds (int or float, not negative) as the engine's nanoseconds."""
    if isinstance(value, float):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number of seconds >= 0, not {value}")
        ns = round(value * _NS)
    else:
        ns = operator.index(value)
        if ns < 0:
            raise ValueError(f"{name} must be >= 0 seconds, not {ns}")
        ns *= _NS
    if ns > _U64_MAX:
        raise OverflowError(f"{name} is beyond the engine's clock ({value} s)")
    return ns


def ipcb(s: SkBuff) -> IPCB:
    """IPCB(s): the flags (IPSKB_*) and frag_max_size in s's control block."""
    _skb_arg(s)
    return IPCB(*_ipcb.unpack_from(s.cb, lib.IPCB_FLAGS))


def fragment(s: SkBuff, mtu: int, ll_rs: int = LL_RESERVED_SPACE_ETH,
             ignore_df: bool = False) -> Union[SegmentList, FragNeeded]:
    """ip_fragment: the packets IPv4 output sends for ``s`` over a path of
    ``mtu`` bytes (see the module documentation).

    ``s`` is an IPv4 packet with data at its network header (options
    included in the linear part), not GSO, at most 65535 bytes; its
    reference is consumed.  ``ll_rs`` is the device's LL_RESERVED_SPACE,
    the headroom each new fragment gets for its link-layer header.
    ``ignore_df`` is skb->ignore_df: cut a DF packet anyway (not below a
    reassembled packet's frag_max_size).  A CHECKSUM_PARTIAL checksum is
    finished before cutting.

    Returns the packets in a ``SegmentList`` (``[s]`` when it fits) or
    ``FragNeeded(mtu)``.  ``ValueError`` (nothing consumed) for an input
    the output path never holds or ``mtu`` below 68 (IPV4_MIN_MTU) or too
    small for the header plus 8 bytes; ``SkbBug`` for an skb some chain
    links (a frag_list member taken with ``get()``) or a checksum offset
    outside the linear data; ``MemoryError`` when an allocation failed -
    ``s`` is consumed then, as in the kernel.
    """
    p = s._cd if type(s) is SkBuff else _skb_arg(s)
    if type(mtu) is not int or not 0 <= mtu <= _U32_MAX:
        mtu = _u32(mtu, "mtu")
    if type(ll_rs) is not int or not 0 <= ll_rs <= _U32_MAX:
        ll_rs = _u32(ll_rs, "ll_rs")
    n = lib.skbpy_ip_fragment(p, mtu, ll_rs, 1 if ignore_df else 0, _frags, _st, _st + 1)
    if _st[0]:
        s._moved(_st[0])
    if n == lib.SKB_EMSGSIZE:
        return FragNeeded(mtu)
    if n == lib.SKB_ENOMEM:
        raise MemoryError("ip_fragment: allocation failed (-ENOMEM); the packet was freed")
    if n == lib.SKB_EINVAL:
        raise ValueError(
            f"ip_fragment: not a packet IPv4 output cuts for mtu {mtu}, ll_rs {ll_rs} (data "
            "at a complete IPv4 header, not GSO, at most 65535 bytes; mtu >= 68 and room "
            "for the header plus 8 bytes, also below IPCB frag_max_size; ll_rs <= 65535)")
    if n < 0:
        s._raise(n, "ip_fragment")
    return SegmentList._make_claimed(_frags[0], n, _st[1])


class DefragQueue:
    """The IPv4 reassembly queues of one network namespace (``fqdir``).

    ``high_thresh``: memory (truesize of the queued fragments plus
    ``IPQ_SIZE`` per datagram) above which every fragment is refused, new
    datagram or not, until timers free memory.  ``low_thresh`` is kept and
    checked (``low_thresh <= high_thresh``) but, as in the kernel since
    4.17, has no effect.  ``timeout``: seconds a datagram may take from its
    first fragment (not extended by later ones; a new value applies to new
    datagrams).  ``max_dist``: a datagram whose source sent more than this
    many fragments to other datagrams since its last one starts over (0:
    never).  Time comes from the caller: every call takes ``now`` in
    seconds, never less than before, and runs the timers due by then.
    """

    __slots__ = ("_d", "__weakref__")

    def __init__(self, high_thresh: int = IPFRAG_HIGH_THRESH,
                 low_thresh: int = IPFRAG_LOW_THRESH, timeout: float = IP_FRAG_TIME,
                 max_dist: int = IPFRAG_MAX_DIST) -> None:
        self._d = None
        p = ffi.new("struct ip_frag_params *")
        self._fill(p, high_thresh, low_thresh, timeout, max_dist)
        err = ffi.new("int *")
        d = lib.ip_frag_dir_create(p, err)
        if d == ffi.NULL:
            if err[0] == lib.SKB_ENOMEM:
                raise MemoryError("DefragQueue: allocation failed (-ENOMEM)")
            raise ValueError(f"DefragQueue: low_thresh {low_thresh} is above high_thresh "
                             f"{high_thresh}")
        self._d = d

    @staticmethod
    def _fill(p, high_thresh, low_thresh, timeout, max_dist) -> None:
        for name, value, top in (("high_thresh", high_thresh, _S64_MAX),
                                 ("low_thresh", low_thresh, _S64_MAX),
                                 ("max_dist", max_dist, _S32_MAX)):
            value = operator.index(value)
            if not -top - 1 <= value <= top:
                raise OverflowError(f"{name} must fit in a signed {top.bit_length() + 1}-bit "
                                    f"int, not {value}")
            if value < 0:
                raise ValueError(f"{name} must be >= 0, not {value}")
            setattr(p, name, value)
        p.timeout = _ns(timeout, "timeout")

    def _dir(self):
        d = self._d
        if d is None:
            raise ValueError("the DefragQueue is closed")
        return d

    def _read(self):
        p = ffi.new("struct ip_frag_params *")
        s = ffi.new("struct ip_frag_stats *")
        lib.ip_frag_dir_get(self._dir(), p, s)
        return p, s

    def _set(self, **changes) -> None:
        p, _ = self._read()
        values = dict(high_thresh=p.high_thresh, low_thresh=p.low_thresh,
                      timeout=p.timeout / _NS, max_dist=p.max_dist)
        values.update(changes)
        q = ffi.new("struct ip_frag_params *")
        self._fill(q, **values)
        if "timeout" not in changes:
            q.timeout = p.timeout
        if lib.ip_frag_dir_set_params(self._dir(), q):
            raise ValueError(f"low_thresh {q.low_thresh} would be above high_thresh "
                             f"{q.high_thresh}")

    # ------------------------------------------------------------------

    def defrag(self, s: SkBuff, now: float) -> Union[SkBuff, None, Drop]:
        """ip_defrag: take ``s`` (an IPv4 packet, network header set at or
        after data) at time ``now``.

        First the checks of ip_rcv_core: a packet for another host
        (pkt_type OTHERHOST), a bad header (IP_INHDR), a bad header
        checksum (IP_CSUM) or fewer bytes than the total length
        (PKT_TOO_SMALL) is dropped; link-layer padding is trimmed; a shared
        skb is replaced by a clone.  A packet that is no fragment comes
        back as it is.  A fragment is queued (``None``), completes its
        datagram (returned: ``s`` itself, or the clone of a shared ``s``),
        or is dropped (``Drop(reason)``): DUP_FRAG for an exact duplicate
        (the datagram stays queued); NOT_SPECIFIED when memory is over
        ``high_thresh``, for lengths that contradict the datagram's or an
        overlap (the datagram is discarded with it, its fragments freed as
        consumed, as the kernel frees them); CONSUMED when the complete
        datagram could not be built (invalid ECN mix, over 65535 bytes,
        memory).  ``stats`` tells these apart as the kernel's counters do.

        ``ValueError`` (nothing consumed) when the clock went backwards or
        the network header is before data; ``SkbBug`` for an skb Python
        holds no reference to or whose frag_list is inconsistent or too deep.
        """
        d = self._d
        if d is None:
            raise ValueError("the DefragQueue is closed")
        p = s._cd if type(s) is SkBuff else _skb_arg(s)
        ns = now * _NS if type(now) is int and 0 <= now <= _NOW_MAX else _ns(now, "now")
        r = _defrag(d, p, ns, _res)
        if r < 0:
            if r == lib.SKB_EINVAL:
                if s.network_offset < 0:
                    raise ValueError("ip_defrag: the network header is before data")
                raise ValueError(f"ip_defrag: the clock went backwards (now {now})")
            s._raise(r, "ip_defrag")
        st = _res.st
        if st:
            s._moved(st)
        if r == _QUEUED:
            return None
        if r == _DONE:
            out = _res.skb
            return s if out == p else _adopt(out)
        return _DROPS[_res.reason]

    def expire(self, now: float) -> list[Expired]:
        """Run the timers due at ``now``: the datagrams given up, their
        fragments freed as FRAG_REASM_TIMEOUT drops (``defrag`` runs them
        too, silently)."""
        d = self._dir()
        ns = _ns(now, "now")
        out = ffi.new("struct ip_frag_expired[]", 16)
        expired = []
        while True:
            n = lib.ip_frag_expire(d, ns, out, 16)
            if n < 0:
                raise ValueError(f"expire: the clock went backwards (now {now})")
            for e in out[0:n]:
                expired.append(Expired(".".join(map(str, e.saddr)), ".".join(map(str, e.daddr)),
                                       e.id, e.protocol, bool(e.time_exceeded)))
            if n < 16:
                return expired

    def close(self) -> None:
        """Free every queued fragment (FRAG_REASM_TIMEOUT, as when a network
        namespace goes away) and the queues; later calls raise ValueError."""
        d, self._d = self._d, None
        if d is not None:
            lib.ip_frag_dir_destroy(d)

    def __enter__(self) -> "DefragQueue":
        self._dir()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        d = getattr(self, "_d", None)
        if d is None:
            return
        try:
            pending = self.queues
            self.close()
        except Exception:  # interpreter shutdown: the engine may be gone
            return
        if pending:
            warnings.warn(f"DefragQueue collected with {pending} datagram(s) pending: "
                          "freed (call close)", SkbLeakWarning, stacklevel=2)

    # ------------------------------------------------------------------

    @property
    def high_thresh(self) -> int:
        """ipfrag_high_thresh, bytes."""
        return self._read()[0].high_thresh

    @high_thresh.setter
    def high_thresh(self, value: int) -> None:
        self._set(high_thresh=value)

    @property
    def low_thresh(self) -> int:
        """ipfrag_low_thresh, bytes (no effect since Linux 4.17)."""
        return self._read()[0].low_thresh

    @low_thresh.setter
    def low_thresh(self, value: int) -> None:
        self._set(low_thresh=value)

    @property
    def timeout(self) -> float:
        """ipfrag_time, seconds."""
        return self._read()[0].timeout / _NS

    @timeout.setter
    def timeout(self, value: float) -> None:
        self._set(timeout=value)

    @property
    def max_dist(self) -> int:
        """ipfrag_max_dist (0 disables the check)."""
        return self._read()[0].max_dist

    @max_dist.setter
    def max_dist(self, value: int) -> None:
        self._set(max_dist=value)

    @property
    def mem(self) -> int:
        """Bytes the queues hold: queued fragments' truesize + IPQ_SIZE each."""
        return self._read()[1].mem

    @property
    def queues(self) -> int:
        """Incomplete datagrams."""
        return self._read()[1].queues

    @property
    def stats(self) -> DefragStats:
        s = self._read()[1]
        return DefragStats(s.reasm_reqds, s.reasm_oks, s.reasm_fails, s.reasm_timeout,
                           s.reasm_overlaps)

    def __repr__(self) -> str:
        if self._d is None:
            return "<DefragQueue closed>"
        _, s = self._read()
        return f"<DefragQueue queues={s.queues} mem={s.mem}>"


__all__ = [
    "DefragQueue",
    "DefragStats",
    "Expired",
    "FragNeeded",
    "IPCB",
    "IPFRAG_HIGH_THRESH",
    "IPFRAG_LOW_THRESH",
    "IPFRAG_MAX_DIST",
    "IPQ_SIZE",
    "IPSKB_FRAG_COMPLETE",
    "IPSKB_FRAG_PMTU",
    "IPV4_MIN_MTU",
    "IP_FRAG_TIME",
    "LL_RESERVED_SPACE_ETH",
    "fragment",
    "ipcb",
]
