"""Capture files: read pcap and pcapng into skbs, write skbs to pcap.

Reading streams: one record is in memory at a time, so a capture of any
size reads in constant memory, from a path or any binary file object
(a pipe too: nothing seeks).

    with skb.pcap.Reader("in.pcapng") as r:
        for rec in r:
            print(rec.ts_ns, rec.linktype, rec.skb.len)   # lent to you
            mine = rec.take()                             # yours to free

Ownership, as libpcap's packet buffer: a record's skb is *lent* until the
reader moves to the next record or closes - then the reader frees it
(``consume``).  ``rec.take()`` hands it to you instead: from then on you
free it (``kfree``/``consume``) or pass it on.  So a loop that only looks
at packets frees nothing by hand, and an exception in the loop leaks
nothing once the reader closes (a ``with`` block, or ``close()``).

What an skb read from a record looks like: the frame's bytes are the
linear data, with ``DEFAULT_HEADROOM`` bytes in front (``NET_SKB_PAD`` plus
room for the largest tunnel header skb pushes, so encapsulating needs no
reallocation).  For Ethernet (LINKTYPE_ETHERNET) the mac header is at
data, the network header 14 bytes on and ``protocol`` is the ethertype, as
``eth_type_trans`` and the receive path leave them (a VLAN-tagged frame has
protocol 0x8100).  For raw IP (LINKTYPE_RAW, _IPV4, _IPV6) the network
header is at data and ``protocol`` comes from the version nibble.  Other
link types get the bytes and no headers: ``rec.linktype`` tells, the
caller decides.

Formats read: pcap in both byte orders with microsecond (0xa1b2c3d4) or
nanosecond (0xa1b23c4d) timestamps; pcapng with any number of sections,
each in its own byte order, interface description blocks (link type,
snaplen, ``if_tsresol``, ``if_tsoffset``), enhanced, simple and obsolete
packet blocks; other blocks are skipped.  Timestamps are integer
nanoseconds since the epoch (finer resolutions are truncated; a simple
packet block has none: ``None``).

Malformed input raises ``PcapError`` (a ``ValueError``) naming the byte
offset; lengths are checked before anything is allocated (``MAX_CAPLEN``,
``MAX_BLOCK``) and every loop consumes input, so nothing hangs.

Writing: ``Writer`` makes pcap files (little-endian, microsecond
timestamps unless ``nanosecond=True``, Ethernet unless told otherwise).
Writing does not take the skb: the caller still owns it.
"""

from __future__ import annotations

import os
import struct
from typing import BinaryIO, Callable, Iterator, NamedTuple, Optional, Union

from . import NET_SKB_PAD
from .errors import SkbDoubleFree
from .skbuff import SkBuff, alloc_skb

__all__ = [
    "DEFAULT_HEADROOM", "LINKTYPE_ETHERNET", "LINKTYPE_IPV4", "LINKTYPE_IPV6",
    "LINKTYPE_RAW", "MAX_BLOCK", "MAX_CAPLEN", "Interface", "PcapError", "Reader",
    "Record", "Writer",
]

LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229

# The largest tunnel header skb pushes is 74 bytes (Ethernet with an
# 802.1Q tag, IPv6, then UDP+VXLAN or GRE with checksum, key and
# sequence); 80 keeps data 16-byte aligned.
DEFAULT_HEADROOM = NET_SKB_PAD + 80
MAX_CAPLEN = 262144  # libpcap's MAXIMUM_SNAPLEN: no record may claim more
MAX_BLOCK = 16 << 20  # the largest pcapng block read (Wireshark's limit too)

_PCAP_USEC = 0xA1B2C3D4
_PCAP_NSEC = 0xA1B23C4D
_SHB = 0x0A0D0D0A
_IDB, _OPB, _SPB, _EPB = 1, 2, 3, 6
_BYTE_ORDER_MAGIC = 0x1A2B3C4D
_OPT_ENDOFOPT, _OPT_TSRESOL, _OPT_TSOFFSET = 0, 9, 14
_SKIP_CHUNK = 1 << 16
_ETHERTYPE_IP, _ETHERTYPE_IPV6 = 0x0800, 0x86DD

PathOrFile = Union[str, "os.PathLike[str]", BinaryIO]


class PcapError(ValueError):
    """A malformed capture file; ``offset`` is where in the file it broke."""

    def __init__(self, where: str, offset: int, what: str) -> None:
        super().__init__(f"{where}: offset {offset}: {what}")
        self.offset = offset


class Interface(NamedTuple):
    """What a record was captured on: pcap has one per file (from its
    header), pcapng one per interface description block of the section."""

    linktype: int
    snaplen: int
    units_per_second: int  # timestamp resolution: 10**6 for microseconds
    offset_s: int = 0  # if_tsoffset: seconds added to every timestamp


class Record:
    """One captured packet.  ``skb`` is lent until the reader moves on;
    ``take()`` makes it the caller's (see the module documentation)."""

    __slots__ = ("index", "offset", "ts_ns", "caplen", "wirelen", "interface", "linktype",
                 "_skb", "_taken")

    def __init__(self, index: int, offset: int, ts_ns: Optional[int], caplen: int,
                 wirelen: int, interface: int, linktype: int, skb: SkBuff) -> None:
        self.index = index  # 0 for the first record of the file
        self.offset = offset  # of the record (pcapng: of its block) in the file
        self.ts_ns = ts_ns  # nanoseconds since the epoch; None if the format has none
        self.caplen = caplen  # bytes captured: the skb's len
        self.wirelen = wirelen  # bytes on the wire
        self.interface = interface  # index into the section's interfaces (pcap: 0)
        self.linktype = linktype
        self._skb = skb
        self._taken = False

    @property
    def skb(self) -> SkBuff:
        """The packet; the reader frees it at the next record unless taken."""
        return self._skb

    @property
    def time(self) -> Optional[float]:
        """The timestamp in seconds (a float: for display)."""
        return None if self.ts_ns is None else self.ts_ns / 1e9

    def take(self) -> SkBuff:
        """The skb, now owned by the caller (who must free it); once only."""
        if self._taken:
            raise ValueError(f"record {self.index}: its skb was already taken")
        self._taken = True
        return self._skb

    def _release(self) -> None:
        """The reader gives back its reference, unless the caller took it."""
        if not self._taken:
            self._taken = True
            try:
                self._skb.consume()
            except SkbDoubleFree:  # the caller freed it without taking it
                pass

    def __repr__(self) -> str:
        return (f"<Record {self.index} ts_ns={self.ts_ns} caplen={self.caplen} "
                f"wirelen={self.wirelen} linktype={self.linktype}>")


def _open(file: PathOrFile, mode: str) -> tuple[BinaryIO, bool, str]:
    """(file object, whether we opened it, its name for messages)."""
    if isinstance(file, (str, bytes, os.PathLike)):
        return open(file, mode), True, os.fsdecode(file)
    return file, False, str(getattr(file, "name", "<stream>"))


class Reader:
    """Records of a pcap or pcapng file, streamed (see the module docs).

    ``file`` is a path (opened and closed here) or a binary file object
    (left open).  ``headroom`` bytes are reserved in front of each frame;
    ``alloc`` makes the skbs (``skb.testing.model.alloc_skb`` reads into
    the pure-Python twin).  The header is read here: a file that is no
    capture raises PcapError at once.

    Attributes: ``name`` (for messages), ``format`` ("pcap" or "pcapng"),
    ``interfaces`` (of the current pcapng section; pcap: the one from the
    file header), ``count`` (records read so far).
    """

    _f: Optional[BinaryIO] = None
    _owned = False
    _current: Optional[Record] = None

    def __init__(self, file: PathOrFile, *, headroom: int = DEFAULT_HEADROOM,
                 alloc: Callable[[int], SkBuff] = alloc_skb) -> None:
        if headroom < 0:
            raise ValueError(f"headroom must not be negative, not {headroom}")
        self._f, self._owned, self.name = _open(file, "rb")
        self._headroom = headroom
        self._alloc = alloc
        self._pos = 0
        self.count = 0  # records read so far
        self.interfaces: list[Interface] = []
        try:
            first = self._read(4, "file header", eof_ok=True)
            if len(first) < 4:
                raise self._error(0, f"not a capture file: only {len(first)} bytes")
            if first == struct.pack("<I", _SHB):
                self.format = "pcapng"
                self._section_block(0)
            else:
                self.format = "pcap"
                self._pcap_header(first)
        except BaseException:
            self.close()
            raise

    # --------------------------------------------------------------
    # plumbing

    def _error(self, offset: int, what: str) -> PcapError:
        return PcapError(self.name, offset, what)

    def _read(self, n: int, what: str, eof_ok: bool = False) -> bytes:
        """n bytes, else PcapError; b"" at a clean end of file if eof_ok.
        Read in chunks: a length field that lies costs no more memory than
        the bytes the file really has."""
        assert self._f is not None
        chunks, got = [], 0
        while got < n:  # each pass reads at least a byte, or stops
            chunk = self._f.read(min(n - got, _SKIP_CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        data = b"".join(chunks)
        start = self._pos
        self._pos += len(data)
        if len(data) < n and not (eof_ok and not data):
            raise self._error(start, f"truncated {what}: {n} bytes needed, "
                                     f"{len(data)} left")
        return data

    def _skip(self, n: int, what: str) -> None:
        while n:
            n -= len(self._read(min(n, _SKIP_CHUNK), what))

    def _make(self, frame: bytes, linktype: int) -> SkBuff:
        s = self._alloc(self._headroom + len(frame))
        try:
            s.reserve(self._headroom)
            s.put_data(frame)
            _set_headers(s, frame, linktype)
        except BaseException:
            s.kfree()
            raise
        return s

    def _emit(self, offset: int, ts_ns: Optional[int], frame: bytes, wirelen: int,
              interface: int) -> Record:
        linktype = self.interfaces[interface].linktype
        rec = Record(self.count, offset, ts_ns, len(frame), wirelen, interface, linktype,
                     self._make(frame, linktype))
        self._current = rec
        self.count += 1
        return rec

    # --------------------------------------------------------------
    # pcap

    def _pcap_header(self, first: bytes) -> None:
        for order in "<>":
            (magic,) = struct.unpack(order + "I", first)
            if magic in (_PCAP_USEC, _PCAP_NSEC):
                break
        else:
            raise self._error(0, f"bad magic {first.hex()}: neither pcap nor pcapng")
        major, minor, _zone, _sigfigs, snaplen, network = struct.unpack(
            order + "HHiIII", self._read(20, "pcap file header"))
        if major != 2:
            raise self._error(4, f"pcap version {major}.{minor}: only 2.x is known")
        self._order = order
        self._record = struct.Struct(order + "IIII")
        # The link type is the low 16 bits; the rest carries FCS details.
        self.interfaces = [Interface(network & 0xFFFF, snaplen,
                                     10**9 if magic == _PCAP_NSEC else 10**6)]

    def _next_pcap(self) -> Optional[Record]:
        offset = self._pos
        head = self._read(16, "record header", eof_ok=True)
        if not head:
            return None
        sec, frac, caplen, wirelen = self._record.unpack(head)
        if caplen > MAX_CAPLEN:
            raise self._error(offset + 8, f"record {self.count}: caplen {caplen} is "
                                          f"absurd (more than {MAX_CAPLEN})")
        frame = self._read(caplen, f"record {self.count} (caplen {caplen})")
        units = self.interfaces[0].units_per_second
        return self._emit(offset, sec * 10**9 + frac * (10**9 // units), frame, wirelen, 0)

    # --------------------------------------------------------------
    # pcapng

    def _section_block(self, offset: int) -> None:
        """A section header block (its type already read): the section's
        byte order, and no interfaces yet."""
        raw = self._read(8, "section header block")
        magic = raw[4:]
        for order in "<>":
            if struct.unpack(order + "I", magic)[0] == _BYTE_ORDER_MAGIC:
                break
        else:
            raise self._error(offset + 8, f"bad pcapng byte-order magic {magic.hex()}")
        self._order = order
        length = self._block_length(offset, raw[:4], _SHB)
        if length < 28:
            raise self._error(offset + 4, f"section header block length {length} is "
                                          "less than 28")
        body = self._read(length - 16, "section header block")
        major, minor = struct.unpack(order + "HH", body[:4])
        if major != 1:
            raise self._error(offset + 12, f"pcapng version {major}.{minor}: only 1.x "
                                           "is known")
        self._trailer(offset, length)
        self.interfaces = []

    def _block_length(self, offset: int, raw: bytes, btype: int) -> int:
        """The total length of the block at offset, checked."""
        (length,) = struct.unpack(self._order + "I", raw)
        if length < 12 or length % 4:
            raise self._error(offset + 4, f"block length {length} (type {btype:#x}) is "
                                          "not a multiple of 4 of at least 12")
        if length > MAX_BLOCK:
            raise self._error(offset + 4, f"block length {length} (type {btype:#x}) is "
                                          f"absurd (more than {MAX_BLOCK})")
        return length

    def _trailer(self, offset: int, length: int) -> None:
        (again,) = struct.unpack(self._order + "I", self._read(4, "block trailer"))
        if again != length:
            raise self._error(self._pos - 4, f"block at offset {offset}: trailing length "
                                             f"{again} differs from leading {length}")

    def _next_pcapng(self) -> Optional[Record]:
        # Each pass consumes a whole block of at least 12 bytes, or raises.
        while True:
            offset = self._pos
            first = self._read(4, "block header", eof_ok=True)
            if not first:
                return None
            if first == struct.pack("<I", _SHB):  # a palindrome: either byte order
                self._section_block(offset)
                continue
            (btype,) = struct.unpack(self._order + "I", first)
            length = self._block_length(offset, self._read(4, "block header"), btype)
            if btype not in (_IDB, _EPB, _SPB, _OPB):
                self._skip(length - 12, f"block of type {btype:#x}")
                self._trailer(offset, length)
                continue
            body = self._read(length - 12, f"block of type {btype:#x}")
            self._trailer(offset, length)
            if btype == _IDB:
                self.interfaces.append(self._interface(offset, body))
            else:
                return self._packet(offset, btype, body)

    def _interface(self, offset: int, body: bytes) -> Interface:
        if len(body) < 8:
            raise self._error(offset, f"interface description block of {len(body)} "
                                      "bytes (8 needed)")
        linktype, _reserved, snaplen = struct.unpack(self._order + "HHI", body[:8])
        units, offset_s = 10**6, 0
        for code, value, at in self._options(offset + 16, body[8:]):
            if code == _OPT_TSRESOL and len(value) == 1:
                v = value[0]
                # High bit set: a negative power of two, else of ten.
                units = 2 ** (v & 0x7F) if v & 0x80 else 10 ** v
            elif code == _OPT_TSOFFSET and len(value) == 8:
                (offset_s,) = struct.unpack(self._order + "q", value)
            elif code in (_OPT_TSRESOL, _OPT_TSOFFSET):
                raise self._error(at, f"option {code} of {len(value)} bytes")
        return Interface(linktype, snaplen, units, offset_s)

    def _options(self, offset: int, data: bytes) -> Iterator[tuple[int, bytes, int]]:
        """(code, value, offset) of each option up to opt_endofopt."""
        at = 0
        while at + 4 <= len(data):  # each option takes at least 4 bytes
            code, n = struct.unpack(self._order + "HH", data[at:at + 4])
            if code == _OPT_ENDOFOPT:
                return
            if at + 4 + n > len(data):
                raise self._error(offset + at, f"option {code} of {n} bytes runs past "
                                               "its block")
            yield code, data[at + 4:at + 4 + n], offset + at
            at += 4 + (n + 3) // 4 * 4

    def _packet(self, offset: int, btype: int, body: bytes) -> Record:
        """A record from an enhanced, simple or obsolete packet block."""
        order = self._order
        if btype == _SPB:
            if len(body) < 4:
                raise self._error(offset, f"simple packet block of {len(body)} bytes")
            (wirelen,) = struct.unpack(order + "I", body[:4])
            iface, ts, data = 0, None, body[4:]
            if not self.interfaces:
                raise self._error(offset, "simple packet block before any interface")
            # Its captured length is implied: the wire length cut to snaplen.
            caplen = min(wirelen, self.interfaces[0].snaplen or wirelen)
            if caplen > len(data):
                raise self._error(offset + 8, f"original length {wirelen} runs past its "
                                              f"block ({len(data)} bytes of data)")
        else:
            fixed = 20
            if len(body) < fixed:
                raise self._error(offset, f"packet block of {len(body)} bytes "
                                          f"({fixed} needed)")
            if btype == _EPB:
                iface, hi, lo, caplen, wirelen = struct.unpack(order + "IIIII", body[:20])
            else:
                iface, _drops, hi, lo, caplen, wirelen = struct.unpack(order + "HHIIII",
                                                                       body[:20])
            data = body[20:]
            if iface >= len(self.interfaces):
                raise self._error(offset + 8, f"packet of interface {iface}: the section "
                                              f"describes {len(self.interfaces)}")
            if caplen > len(data):
                raise self._error(offset + 20, f"caplen {caplen} runs past its block "
                                               f"({len(data)} bytes of data)")
            ts = (hi << 32) | lo
        if caplen > MAX_CAPLEN:
            raise self._error(offset, f"caplen {caplen} is absurd (more than {MAX_CAPLEN})")
        if ts is not None:
            i = self.interfaces[iface]
            ts = ts * 10**9 // i.units_per_second + i.offset_s * 10**9
        return self._emit(offset, ts, data[:caplen], wirelen, iface)

    # --------------------------------------------------------------
    # iteration

    def __iter__(self) -> "Reader":
        return self

    def __next__(self) -> Record:
        if self._current is not None:
            self._current._release()
            self._current = None
        if self._f is None:
            raise StopIteration
        rec = self._next_pcap() if self.format == "pcap" else self._next_pcapng()
        if rec is None:
            raise StopIteration
        return rec

    def close(self) -> None:
        """Free the current record's skb unless taken; close a file we opened."""
        if self._current is not None:
            self._current._release()
            self._current = None
        f, self._f = self._f, None
        if f is not None and self._owned:
            f.close()

    def __enter__(self) -> "Reader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # A reader dropped without close() still gives its lent skb back.
        try:
            self.close()
        except Exception:  # interpreter shutdown: the engine may be gone
            return


def _set_headers(s: SkBuff, frame: bytes, linktype: int) -> None:
    """Header offsets and protocol as a receiving device would leave them."""
    if linktype == LINKTYPE_ETHERNET:
        s.reset_mac_header()
        if len(frame) >= 14:
            s.protocol = int.from_bytes(frame[12:14], "big")
            s.set_network_header(14)
            s.reset_mac_len()
    elif linktype in (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6):
        s.reset_network_header()
        version = frame[0] >> 4 if frame else 0
        s.protocol = {4: _ETHERTYPE_IP, 6: _ETHERTYPE_IPV6}.get(version, 0)


class Writer:
    """A pcap file being written (see the module documentation).

    ``file`` is a path (created, closed here) or a binary file object (left
    open, flushed on close).  Records longer than ``snaplen`` are cut to it
    (their wire length is kept).
    """

    def __init__(self, file: PathOrFile, *, linktype: int = LINKTYPE_ETHERNET,
                 snaplen: int = MAX_CAPLEN, nanosecond: bool = False) -> None:
        if not 0 < snaplen <= 0xFFFFFFFF:
            raise ValueError(f"snaplen must be 1..2**32-1, not {snaplen}")
        if not 0 <= linktype <= 0xFFFF:
            raise ValueError(f"linktype must be 0..65535, not {linktype}")
        self._f, self._owned, self.name = _open(file, "wb")
        self.snaplen = snaplen
        self.linktype = linktype
        self.nanosecond = nanosecond
        self.count = 0  # records written
        self._units = 10**9 if nanosecond else 10**6
        magic = _PCAP_NSEC if nanosecond else _PCAP_USEC
        self._f.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))

    def write(self, skb: SkBuff, ts_ns: int = 0, wirelen: Optional[int] = None) -> None:
        """Append the packet (all of it: linear data, frags, frag_list) with
        timestamp ``ts_ns`` (nanoseconds since the epoch; cut to
        microseconds unless nanosecond).  ``wirelen`` defaults to its len."""
        if self._f is None:
            raise ValueError(f"{self.name}: the writer is closed")
        sec, ns = divmod(ts_ns, 10**9)
        if not 0 <= sec <= 0xFFFFFFFF:
            raise ValueError(f"ts_ns {ts_ns} is outside pcap's 32-bit seconds")
        length = skb.len
        wire = length if wirelen is None else wirelen
        if not length <= wire <= 0xFFFFFFFF:
            raise ValueError(f"wirelen {wire} must be at least the packet's {length} bytes")
        caplen = min(length, self.snaplen)
        frame = skb.copy_bits(0, caplen)
        self._f.write(struct.pack("<IIII", sec, ns // (10**9 // self._units), caplen, wire))
        self._f.write(frame)
        self.count += 1

    def close(self) -> None:
        """Flush; close the file if the writer opened it."""
        f, self._f = self._f, None
        if f is None:
            return
        f.flush()
        if self._owned:
            f.close()

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
