"""The twin's IPv4 fragmentation and reassembly: ``fragment`` and
``DefragQueue`` over the twin's ``SkBuff``, with the API of ``skb.ip``.

Written plainly from the semantics ``skb.ip`` documents (the kernel's
``ip_fragment``/``ip_do_fragment``, ``ip_rcv_core`` + ``ip_defrag``), kept
apart from ``model.py``.  The results match the engine's exactly - bytes,
lengths, headroom, truesize, frag_list shapes, checksum state, the IPv4
control block in cb - so tests compare the two.  Differences, both from the
engine's binding: a queued fragment stays a reachable object (Python just
holds no reference to it; the engine kills the handle), and ``fragment``
returns a plain list.  Frees go through ``model`` with the engine's drop
reasons (``model.drop_counts()``).

Per-fragment queue state is written into cb where the engine writes it
(after IPCB: the run flag at 24, the run's length at 32, the offset at 36),
so control blocks compare equal too.
"""

from __future__ import annotations

import bisect
import math
import operator
import struct
from typing import NamedTuple, Optional, Union

from ..drop import Drop, DropReason
from ..errors import SkbBug, SkbUseAfterFree
from . import model as _m
from . import model_offload as _off

IP_FRAG_TIME = 30.0
IPFRAG_HIGH_THRESH = 4 << 20
IPFRAG_LOW_THRESH = 3 << 20
IPFRAG_MAX_DIST = 64
IPQ_SIZE = 200
IPV4_MIN_MTU = 68
IPSKB_FRAG_COMPLETE = 8
IPSKB_FRAG_PMTU = 64
LL_RESERVED_SPACE_ETH = 16

IP_DF = 0x4000
IP_MF = 0x2000
IP_OFFSET = 0x1FFF
IP_MAX_LEN = 65535
PACKET_OTHERHOST = 3
IPCB_FLAGS = 20
IPCB_FRAG_MAX_SIZE = 22
IPCB_SIZE = 24
FRAG_CB_RUN_HEAD = 24
FRAG_CB_RUN_LEN = 32
FRAG_CB_OFFSET = 36

_NS = 1_000_000_000
_U32 = 0xFFFFFFFF
_U64 = (1 << 64) - 1
_S64_MAX = (1 << 63) - 1
_u16 = struct.Struct("=H")
_i32 = struct.Struct("=i")
_be16 = struct.Struct("!H")

class FragNeeded(NamedTuple):
    mtu: int
    reason: DropReason = DropReason.NOT_SPECIFIED


class IPCB(NamedTuple):
    flags: int
    frag_max_size: int


class Expired(NamedTuple):
    saddr: str
    daddr: str
    id: int
    protocol: int
    time_exceeded: bool


class DefragStats(NamedTuple):
    reasm_reqds: int
    reasm_oks: int
    reasm_fails: int
    reasm_timeout: int
    reasm_overlaps: int


# ----------------------------------------------------------------------
# small helpers over the twin's fields


def _free(s: _m.SkBuff, reason: DropReason) -> None:
    """kfree_skb_reason: drop one reference, the last one freeing s (and
    its frag_list members) for reason."""
    s._unref(int(reason))


def _headlen(s: _m.SkBuff) -> int:
    return s._tail - s._data


def _hdr(s: _m.SkBuff) -> memoryview:
    """The head buffer from the network header on."""
    return memoryview(s._head.buf)[s._network_header:]


def _ihl(s: _m.SkBuff) -> int:
    return (s._head.buf[s._network_header] & 0x0F) * 4


def _frag_off(s: _m.SkBuff) -> int:
    return _be16.unpack_from(s._head.buf, s._network_header + 6)[0]


def _set_be16(s: _m.SkBuff, at: int, value: int) -> None:
    _be16.pack_into(s._head.buf, s._network_header + at, value & 0xFFFF)


def _send_check(buf, at: int, ihl: int) -> None:
    """ip_send_check on the header at buf[at:at + ihl]."""
    buf[at + 10:at + 12] = b"\0\0"
    buf[at + 10:at + 12] = _u16.pack(_m.ip_fast_csum(bytes(buf[at:at + ihl])))


def _cb_get(s: _m.SkBuff, fmt: struct.Struct, at: int) -> int:
    return fmt.unpack_from(s._cb, at)[0]


def _cb_set(s: _m.SkBuff, fmt: struct.Struct, at: int, value: int) -> None:
    cb = bytearray(s._cb)
    fmt.pack_into(cb, at, value)
    s._cb = bytes(cb)


def _u32(value, name: str) -> int:
    value = operator.index(value)
    if not 0 <= value <= _U32:
        raise OverflowError(f"{name} must fit in an unsigned 32-bit int, not {value}")
    return value


def _ns(value, name: str) -> int:
    if isinstance(value, float):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number of seconds >= 0, not {value}")
        ns = round(value * _NS)
    else:
        ns = operator.index(value)
        if ns < 0:
            raise ValueError(f"{name} must be >= 0 seconds, not {ns}")
        ns *= _NS
    if ns > _U64:
        raise OverflowError(f"{name} is beyond the engine's clock ({value} s)")
    return ns


def _skb(s, op: str) -> _m.SkBuff:
    if not isinstance(s, _m.SkBuff):
        raise TypeError(f"expected a model SkBuff, not {type(s).__name__}")
    if type(s) is _m._FreedSkBuff:
        raise SkbUseAfterFree(f"{op} on a freed skb")
    if s._py_refs == 0:
        raise SkbBug(f"{op}: Python holds no reference to this skb")
    return s


def ipcb(s: _m.SkBuff) -> IPCB:
    """The IPCB flags and frag_max_size in s's cb."""
    return IPCB(_cb_get(s, _u16, IPCB_FLAGS), _cb_get(s, _u16, IPCB_FRAG_MAX_SIZE))


def _copy_metadata(to: _m.SkBuff, frm: _m.SkBuff) -> None:
    """ip_copy_metadata."""
    to._pkt_type, to._priority = frm._pkt_type, frm._priority
    to._protocol, to._mark, to._hash = frm._protocol, frm._mark, frm._hash


# ----------------------------------------------------------------------
# fragmentation


def _options_fragment(hdr) -> None:
    """ip_options_fragment: NOP out the options whose copy bit is clear."""
    ihl = (hdr[0] & 0x0F) * 4
    i = 20
    while i < ihl:
        kind = hdr[i]
        if kind == 0:
            return
        if kind == 1:
            i += 1
            continue
        length = hdr[i + 1] if ihl - i >= 2 else 0
        if length < 2 or length > ihl - i:
            return
        if not kind & 0x80:
            hdr[i:i + length] = bytes([1]) * length
        i += length


def _pagelen(s: _m.SkBuff) -> int:
    return _headlen(s) + sum(f.size for f in s._head.frags)


def _fraglist_ok(s: _m.SkBuff, hlen: int, mtu: int, ll_rs: int) -> bool:
    first = _pagelen(s) - hlen
    if first < 0 or first > mtu or first & 7 or _frag_off(s) & (IP_MF | IP_OFFSET) or \
            s.is_cloned() or s._data < ll_rs:
        return False
    members = s._head.frag_list
    for i, m in enumerate(members):
        last = i == len(members) - 1
        if m._len > mtu or (m._len & 7 and not last) or m._data < hlen + ll_rs or \
                m._users != 1 or not m._writable(m._data - hlen, m._data):
            return False
    return True


def _fraglist_fragment(s: _m.SkBuff, hlen: int) -> list[_m.SkBuff]:
    """The fast path: s keeps its own bytes, each member becomes the next
    fragment behind a copy of the previous header."""
    members = s._head.frag_list
    for m in members:
        s._add_truesize(-m._truesize)
    s._head.frag_list = []
    first = _pagelen(s)
    s._data_len = first - _headlen(s)
    s._len = first
    _set_be16(s, 2, first)
    _set_be16(s, 6, IP_MF)
    _send_check(s._head.buf, s._network_header, hlen)
    flags = ipcb(s).flags
    out, prev, offset = [s], s, 0
    for i, m in enumerate(members):
        _cb_set(m, _u16, IPCB_FLAGS, flags)
        m._ip_summed = _m.CHECKSUM_NONE
        m._transport_header = m._data
        m._data -= hlen
        m._len += hlen
        m._network_header = m._data
        m._head.buf[m._data:m._data + hlen] = prev._head.buf[
            prev._network_header:prev._network_header + hlen]
        _set_be16(m, 2, m._len)
        _copy_metadata(m, prev)
        first_frag = offset == 0
        offset += prev._len - hlen
        _set_be16(m, 6, (offset >> 3) | (IP_MF if i < len(members) - 1 else 0))
        _send_check(m._head.buf, m._network_header, hlen)
        if first_frag and hlen > 20:
            _options_fragment(memoryview(m._head.buf)[m._data:m._data + hlen])
            _send_check(m._head.buf, m._network_header, hlen)
        out.append(m)
        prev = m
    return out


def _slow_path(s: _m.SkBuff, hlen: int, mtu: int, ll_rs: int) -> list[_m.SkBuff]:
    """Copy the payload into new skbs of at most mtu payload bytes each."""
    flags = ipcb(s).flags
    hdr = bytearray(s._head.buf[s._network_header:s._network_header + hlen])
    frag_off = _frag_off(s)
    offset = (frag_off & IP_OFFSET) << 3
    not_last = frag_off & IP_MF
    left, ptr = s._len - hlen, hlen
    out = []
    while left > 0:
        first_frag = offset == 0
        n = min(left, mtu)
        if n < left:
            n &= ~7
        f = _m.alloc_skb(n + hlen + ll_rs)
        f._py_refs = 0
        _copy_metadata(f, s)
        f.reserve(ll_rs)
        f.put(n + hlen)
        f._network_header = f._data
        f._transport_header = f._data + hlen
        f._head.buf[f._data:f._data + hlen] = hdr
        f._head.buf[f._data + hlen:f._data + hlen + n] = s._copy_bits(ptr, n)
        left -= n
        value = offset >> 3
        if flags & IPSKB_FRAG_PMTU:
            value |= IP_DF
        if left > 0 or not_last:
            value |= IP_MF
        _set_be16(f, 6, value)
        _set_be16(f, 2, n + hlen)
        _send_check(f._head.buf, f._network_header, hlen)
        ptr += n
        offset += n
        _cb_set(f, _u16, IPCB_FLAGS, flags)
        if first_frag:
            _options_fragment(hdr)
        out.append(f)
    _free(s, DropReason.CONSUMED)
    return out


def _check_fragment(s: _m.SkBuff, mtu: int, ll_rs: int) -> int:
    """The input checks of ip_fragment; returns the header length."""
    if s._listed and s._users != 1:
        raise SkbBug("ip_fragment: the skb is linked on a chain another owner holds")
    buf = s._head.buf
    nh = s._network_header
    bad = (s._head.gso_size or s._len > IP_MAX_LEN or mtu < IPV4_MIN_MTU or ll_rs > IP_MAX_LEN
           or nh != s._data or _headlen(s) < 20)
    hlen = (buf[nh] & 0x0F) * 4 if not bad else 0
    fms = ipcb(s).frag_max_size
    if bad or buf[nh] >> 4 != 4 or hlen < 20 or hlen > _headlen(s) or \
            (fms and fms < mtu and fms < hlen + 8) or mtu < hlen + 8:
        raise ValueError("ip_fragment: not a packet IPv4 output cuts")
    return hlen


def fragment(s: _m.SkBuff, mtu: int, ll_rs: int = LL_RESERVED_SPACE_ETH,
             ignore_df: bool = False) -> Union[list[_m.SkBuff], FragNeeded]:
    """skb.ip.fragment over the twin."""
    _skb(s, "ip_fragment")
    mtu = _u32(mtu, "mtu")
    ll_rs = _u32(ll_rs, "ll_rs")
    hlen = _check_fragment(s, mtu, ll_rs)
    fms = ipcb(s).frag_max_size
    if s._len <= mtu and not fms:
        s._listed = False
        return [s]
    if s._ip_summed == _m.CHECKSUM_PARTIAL:
        offset = s.csum_start - s._data
        if offset < 0 or offset >= _headlen(s) or offset + s.csum_offset + 2 > _headlen(s):
            raise SkbBug("ip_fragment: csum_start/csum_offset point outside the linear data")
    s._py_refs -= 1
    if _frag_off(s) & IP_DF and (not ignore_df or (fms and fms > mtu)):
        _free(s, DropReason.NOT_SPECIFIED)
        return FragNeeded(mtu)
    if s._ip_summed == _m.CHECKSUM_PARTIAL:
        _off.checksum_help(s)
    if fms and fms < mtu:
        mtu = fms
    mtu -= hlen
    _cb_set(s, _u16, IPCB_FLAGS, ipcb(s).flags | IPSKB_FRAG_COMPLETE)
    if s._head.frag_list and _fraglist_ok(s, hlen, mtu, ll_rs):
        out = _fraglist_fragment(s, hlen)
    else:
        out = _slow_path(s, hlen, mtu, ll_rs)
    for f in out:
        f._py_refs += 1
        f._listed = False
    return out


# ----------------------------------------------------------------------
# reassembly


class _Queue:
    """struct ipq: one incomplete datagram; runs is a list of runs, each a
    list of adjacent fragments in the order they arrived."""

    def __init__(self, key: tuple, expires: int, peer: Optional[list]) -> None:
        self.key = key
        self.expires = expires
        self.peer = peer
        self.runs: list[list[_m.SkBuff]] = []
        self.len = 0
        self.meat = 0
        self.rid = 0
        self.first_in = False
        self.last_in = False
        self.ecn = 0
        self.max_size = 0
        self.max_df_size = 0
        self.drop = False

    def fragments(self) -> list[_m.SkBuff]:
        return [f for run in self.runs for f in run]


_ECN_TABLE = {0b1010: 3, 0b1100: 3, 0b1110: 3}
_ECN_BAD = {0b1001, 0b0101, 0b0011, 0b0111, 0b1011, 0b1101, 0b1111}


def _trim_rcsum(s: _m.SkBuff, n: int) -> bool:
    """pskb_trim_rcsum; False when it fails."""
    if s._len <= n:
        return True
    if s._ip_summed == _m.CHECKSUM_COMPLETE:
        part = s._checksum(n, s._len - n, 0)
        s._csum = _m.csum_block_add(s._csum, ~part & _U32, n)
    elif s._ip_summed == _m.CHECKSUM_PARTIAL:
        hdlen = min(n, _headlen(s))
        offset = s.csum_start - s._data + s.csum_offset
        if offset < 0 or offset + 2 > hdlen:
            return False
    try:
        s.pskb_trim(n)
    except MemoryError:
        return False
    return True


def _height(s: _m.SkBuff) -> int:
    return max((1 + _height(m) for m in s._head.frag_list), default=0)


class DefragQueue:
    """skb.ip.DefragQueue over the twin."""

    def __init__(self, high_thresh: int = IPFRAG_HIGH_THRESH,
                 low_thresh: int = IPFRAG_LOW_THRESH, timeout: float = IP_FRAG_TIME,
                 max_dist: int = IPFRAG_MAX_DIST) -> None:
        self._open = False
        self._params = self._checked(high_thresh, low_thresh, _ns(timeout, "timeout"), max_dist)
        self._queues: dict[tuple, _Queue] = {}
        self._timers: list[_Queue] = []
        self._peers: dict[bytes, list] = {}
        self._now = 0
        self._mem = 0
        self._stats = [0, 0, 0, 0, 0]
        self._open = True

    @staticmethod
    def _checked(high: int, low: int, timeout_ns: int, max_dist: int) -> tuple:
        high, low, max_dist = operator.index(high), operator.index(low), operator.index(max_dist)
        for name, v, top in (("high_thresh", high, _S64_MAX), ("low_thresh", low, _S64_MAX),
                             ("max_dist", max_dist, 0x7FFFFFFF)):
            if not -top - 1 <= v <= top:
                raise OverflowError(f"{name} is out of range ({v})")
            if v < 0:
                raise ValueError(f"{name} must be >= 0, not {v}")
        if low > high:
            raise ValueError(f"low_thresh {low} is above high_thresh {high}")
        return (high, low, timeout_ns, max_dist)

    def _live(self) -> None:
        if not self._open:
            raise ValueError("the DefragQueue is closed")

    # -- timers and queue lifetime -------------------------------------

    def _arm(self, q: _Queue) -> None:
        q.expires = self._now + self._params[2]
        keys = [t.expires for t in self._timers]
        self._timers.insert(bisect.bisect_right(keys, q.expires), q)

    def _kill(self, q: _Queue) -> None:
        if self._queues.get(q.key) is q:
            del self._queues[q.key]
            self._timers.remove(q)

    def _purge(self, q: _Queue, reason: DropReason) -> None:
        for f in q.fragments():
            self._mem -= f._truesize
            _free(f, reason)
        q.runs = []

    def _destroy(self, q: _Queue) -> None:
        self._kill(q)
        reason = DropReason.FRAG_REASM_TIMEOUT if q.drop else DropReason.CONSUMED
        self._purge(q, reason)
        self._mem -= IPQ_SIZE
        if q.peer is not None:
            q.peer[1] -= 1
            if not q.peer[1]:
                del self._peers[q.key[0]]

    def _expire(self, q: _Queue) -> bool:
        q.drop = True
        self._kill(q)
        self._stats[2] += 1
        self._stats[3] += 1
        if q.first_in:
            head = q.runs[0].pop(0)
            if not q.runs[0]:
                q.runs.pop(0)
            self._mem -= head._truesize
            _free(head, DropReason.FRAG_REASM_TIMEOUT)
        self._destroy(q)
        return q.first_in

    def _run_timers(self, now: int, limit: Optional[int] = None) -> list[Expired]:
        self._now = now
        out = []
        while self._timers and self._timers[0].expires <= now and \
                (limit is None or len(out) < limit):
            q = self._timers[0]
            saddr, daddr, ident, proto = q.key
            out.append(Expired(".".join(map(str, saddr)), ".".join(map(str, daddr)),
                               ident, proto, self._expire(q)))
        return out

    def _find(self, hdr) -> Optional[_Queue]:
        high = self._params[0]
        if not high or self._mem > high:
            return None
        key = (bytes(hdr[12:16]), bytes(hdr[16:20]), _be16.unpack_from(hdr, 4)[0], hdr[9])
        q = self._queues.get(key)
        if q is None:
            peer = None
            if self._params[3]:
                peer = self._peers.setdefault(key[0], [0, 0])
                peer[1] += 1
            q = _Queue(key, 0, peer)
            self._mem += IPQ_SIZE
            self._arm(q)
            self._queues[key] = q
        return q

    # -- queueing --------------------------------------------------------

    def _too_far(self, q: _Queue) -> bool:
        if q.peer is None or not self._params[3]:
            return False
        start = q.rid
        q.peer[0] = (q.peer[0] + 1) & _U32
        end = q.rid = q.peer[0]
        if q.runs and ((end - start) & _U32) > self._params[3]:
            self._stats[2] += 1
            return True
        return False

    def _reinit(self, q: _Queue) -> None:
        self._timers.remove(q)
        self._arm(q)
        self._purge(q, DropReason.FRAG_TOO_FAR)
        q.first_in = q.last_in = False
        q.len = q.meat = q.ecn = 0

    @staticmethod
    def _clear_cb(f: _m.SkBuff, run_head: bool) -> None:
        cb = bytearray(f._cb)
        cb[FRAG_CB_RUN_HEAD] = int(run_head)
        _i32.pack_into(cb, FRAG_CB_RUN_LEN, f._len)
        f._cb = bytes(cb)

    def _insert(self, q: _Queue, f: _m.SkBuff, offset: int, end: int) -> str:
        """inet_frag_queue_insert: "ok", "dup" or "overlap"."""
        def start_of(x):
            return _cb_get(x, _i32, FRAG_CB_OFFSET)

        if q.runs:
            last = q.runs[-1][-1]
            last_end = start_of(last) + last._len
            if last_end < end:
                if offset < last_end:
                    return "overlap"
                if offset == last_end:
                    run_head = q.runs[-1][0]
                    self._clear_cb(f, False)
                    _cb_set(run_head, _i32, FRAG_CB_RUN_LEN,
                            _cb_get(run_head, _i32, FRAG_CB_RUN_LEN) + f._len)
                    q.runs[-1].append(f)
                else:
                    self._clear_cb(f, True)
                    q.runs.append([f])
            else:
                at = len(q.runs)
                for i, run in enumerate(q.runs):
                    rs = start_of(run[0])
                    re = rs + sum(x._len for x in run)
                    if end <= rs:
                        at = i
                        break
                    if offset < re:
                        return "dup" if offset >= rs and end <= re else "overlap"
                self._clear_cb(f, True)
                q.runs.insert(at, [f])
        else:
            self._clear_cb(f, True)
            q.runs.append([f])
        _cb_set(f, _i32, FRAG_CB_OFFSET, offset)
        f._listed = True
        return "ok"

    def _discard(self, q: _Queue, f: _m.SkBuff, reason: DropReason) -> Drop:
        self._kill(q)
        self._stats[2] += 1
        _free(f, reason)
        self._destroy(q)
        return Drop(reason)

    def _queue(self, q: _Queue, f: _m.SkBuff) -> Union[_m.SkBuff, None, Drop]:
        if self._too_far(q):
            self._reinit(q)
        buf = f._head.buf
        nh = f._network_header
        netoff = nh - f._data
        ecn = 1 << (buf[nh + 1] & 3)
        frag_off = _frag_off(f)
        offset = (frag_off & IP_OFFSET) << 3
        ihl = _ihl(f)
        end = offset + f._len - netoff - ihl
        nothing = DropReason.NOT_SPECIFIED
        if not frag_off & IP_MF:
            if end < q.len or (q.last_in and end != q.len):
                return self._discard(q, f, nothing)
            q.last_in = True
            q.len = end
        else:
            if end & 7:
                end &= ~7
                if f._ip_summed != _m.CHECKSUM_UNNECESSARY:
                    f._ip_summed = _m.CHECKSUM_NONE
            if end > q.len:
                if q.last_in:
                    return self._discard(q, f, nothing)
                q.len = end
        if end == offset or not f.may_pull(netoff + ihl):
            return self._discard(q, f, nothing)
        f.pull(netoff + ihl)
        if not _trim_rcsum(f, end - offset):
            return self._discard(q, f, nothing)
        verdict = self._insert(q, f, offset, end)
        if verdict == "dup":
            _free(f, DropReason.DUP_FRAG)
            return Drop(DropReason.DUP_FRAG)
        if verdict == "overlap":
            self._stats[4] += 1
            return self._discard(q, f, nothing)
        q.meat += f._len
        q.ecn |= ecn
        self._mem += f._truesize
        if offset == 0:
            q.first_in = True
        size = f._len + ihl
        q.max_size = max(q.max_size, size)
        if _frag_off(f) & IP_DF:
            q.max_df_size = max(q.max_df_size, size)
        if q.first_in and q.last_in and q.meat == q.len:
            ok = self._reasm(q, f)
            self._destroy(q)
            return f if ok else Drop(DropReason.CONSUMED)
        return None

    # -- reassembly ------------------------------------------------------

    @staticmethod
    def _morph(dst: _m.SkBuff, src: _m.SkBuff) -> None:
        """skb_morph: dst lets go of its data (consumed) and becomes a clone of src."""
        dst._drop_data(int(DropReason.CONSUMED))
        dst._nohdr = 0
        dst._head = src._head
        dst._copy_header_from(src)
        dst._data, dst._tail = src._data, src._tail
        dst._len, dst._data_len, dst._mac_len = src._len, src._data_len, src._mac_len
        dst._truesize = src._truesize
        dst._hdr_len = src._data if src._nohdr else src._hdr_len
        dst._cloned = src._cloned = 1
        dst._users = 1
        src._head.dataref += 1

    def _prepare(self, q: _Queue, f: _m.SkBuff) -> Optional[list]:
        """inet_frag_reasm_prepare: f becomes the head; returns the list its
        members go to (the head's frag_list, or a holder's siblings)."""
        head = q.runs[0][0]
        if head is not f:
            fp = f._clone()
            fp._listed = True
            for run in q.runs:
                if f in run:
                    run[run.index(f)] = fp
            self._morph(f, head)
            q.runs[0][0] = f
            _free(head, DropReason.CONSUMED)
        before = f._truesize
        if f.is_cloned():
            f._expand_head(0, 0)
        self._mem += f._truesize - before
        if not f._head.frag_list:
            return []
        holder = _m.SkBuff._new(_m._Head(0))
        holder._head.frag_list = f._head.frag_list
        f._head.frag_list = []
        plen = sum(x.size for x in f._head.frags)
        holder._data_len = holder._len = f._data_len - plen
        f._add_truesize(holder._truesize)
        holder._csum = 0
        holder._ip_summed = f._ip_summed
        holder._listed = True
        self._mem += holder._truesize
        return [holder]

    def _reasm(self, q: _Queue, f: _m.SkBuff) -> bool:
        """ip_frag_reasm: build the datagram around f (False when it cannot be)."""
        self._kill(q)
        if q.ecn in _ECN_BAD:
            self._stats[2] += 1
            return False
        ecn = _ECN_TABLE.get(q.ecn, 0)
        members = self._prepare(q, f)
        length = _ihl(f) + q.len
        if length > IP_MAX_LEN:
            self._stats[2] += 1
            return False
        pulled = f._data - f._network_header
        f._data -= pulled
        f._len += pulled
        rest = q.fragments()[1:]
        total = f._truesize + sum(x._truesize for x in rest)
        for fp in rest:
            if f._ip_summed != fp._ip_summed:
                f._ip_summed = _m.CHECKSUM_NONE
            elif f._ip_summed == _m.CHECKSUM_COMPLETE:
                f._csum = _m.csum_add(f._csum, fp._csum)
            f._data_len += fp._len
            f._len += fp._len
            f._add_truesize(fp._truesize)
        f._head.frag_list = (members + rest) if members else rest
        self._mem -= total
        f._listed = False
        q.runs = []
        _cb_set(f, _u16, IPCB_FRAG_MAX_SIZE, max(q.max_df_size, q.max_size))
        buf, nh = f._head.buf, f._network_header
        _be16.pack_into(buf, nh + 2, length)
        buf[nh + 1] |= ecn
        if q.max_df_size == q.max_size:
            _cb_set(f, _u16, IPCB_FLAGS, ipcb(f).flags | IPSKB_FRAG_PMTU)
            _be16.pack_into(buf, nh + 6, IP_DF)
        else:
            _be16.pack_into(buf, nh + 6, 0)
        _send_check(buf, nh, _ihl(f))
        self._stats[1] += 1
        return True

    # -- receive checks ----------------------------------------------------

    @staticmethod
    def _rcv_core(s: _m.SkBuff, netoff: int) -> Union[_m.SkBuff, Drop]:
        """ip_rcv_core's checks; returns the skb to go on with or the drop."""
        if s._pkt_type == PACKET_OTHERHOST:
            _free(s, DropReason.OTHERHOST)
            return Drop(DropReason.OTHERHOST)
        if s._users != 1:
            c = s._clone()
            s._unref()
            s = c
        reason = DropReason.IP_INHDR
        if s.may_pull(netoff + 20):
            buf, nh = s._head.buf, s._network_header
            ihl = (buf[nh] & 0x0F) * 4
            if ihl >= 20 and buf[nh] >> 4 == 4 and s.may_pull(netoff + ihl):
                buf = s._head.buf
                length = _be16.unpack_from(buf, nh + 2)[0]
                if _m.ip_fast_csum(bytes(buf[nh:nh + ihl])):
                    reason = DropReason.IP_CSUM
                elif s._len - netoff < length:
                    reason = DropReason.PKT_TOO_SMALL
                elif length < ihl:
                    reason = DropReason.IP_INHDR
                elif not _trim_rcsum(s, netoff + length):
                    reason = DropReason.NOT_SPECIFIED
                else:
                    s._transport_header = nh + ihl
                    s._cb = bytes(IPCB_SIZE) + s._cb[IPCB_SIZE:]
                    return s
        _free(s, reason)
        return Drop(reason)

    # -- public ------------------------------------------------------------

    def defrag(self, s: _m.SkBuff, now: float) -> Union[_m.SkBuff, None, Drop]:
        """skb.ip.DefragQueue.defrag over the twin."""
        self._live()
        _skb(s, "ip_defrag")
        ns = _ns(now, "now")
        netoff = s._network_header - s._data
        if ns < self._now or netoff < 0:
            raise ValueError("ip_defrag: the clock went backwards or the network header "
                             "is before data")
        if _height(s) + 2 > 8:
            raise SkbBug("ip_defrag: frag_list nesting would exceed 8 levels")
        self._run_timers(ns)
        s._py_refs -= 1
        got = self._rcv_core(s, netoff)
        if isinstance(got, Drop):
            return got
        f = got
        f._listed = False
        if not _frag_off(f) & (IP_MF | IP_OFFSET):
            f._py_refs += 1
            return f
        self._stats[0] += 1
        q = self._find(_hdr(f))
        if q is None:
            self._stats[2] += 1
            _free(f, DropReason.NOT_SPECIFIED)
            return Drop(DropReason.NOT_SPECIFIED)
        result = self._queue(q, f)
        if isinstance(result, _m.SkBuff):
            result._py_refs += 1
        return result

    def expire(self, now: float) -> list[Expired]:
        self._live()
        ns = _ns(now, "now")
        if ns < self._now:
            raise ValueError("expire: the clock went backwards")
        return self._run_timers(ns)

    def close(self) -> None:
        if self._open:
            self._open = False
            for q in list(self._timers):
                q.drop = True
                self._destroy(q)

    def __enter__(self) -> "DefragQueue":
        self._live()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _set(self, index: int, value) -> None:
        params = list(self._params)
        params[index] = value
        self._params = self._checked(*params)

    @property
    def high_thresh(self) -> int:
        self._live()
        return self._params[0]

    @high_thresh.setter
    def high_thresh(self, value: int) -> None:
        self._live()
        self._set(0, value)

    @property
    def low_thresh(self) -> int:
        self._live()
        return self._params[1]

    @low_thresh.setter
    def low_thresh(self, value: int) -> None:
        self._live()
        self._set(1, value)

    @property
    def timeout(self) -> float:
        self._live()
        return self._params[2] / _NS

    @timeout.setter
    def timeout(self, value: float) -> None:
        self._live()
        self._set(2, _ns(value, "timeout"))

    @property
    def max_dist(self) -> int:
        self._live()
        return self._params[3]

    @max_dist.setter
    def max_dist(self, value: int) -> None:
        self._live()
        self._set(3, value)

    @property
    def mem(self) -> int:
        self._live()
        return self._mem

    @property
    def queues(self) -> int:
        self._live()
        return len(self._queues)

    @property
    def stats(self) -> DefragStats:
        self._live()
        return DefragStats(*self._stats)


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
