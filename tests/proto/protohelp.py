"""Helpers for the skb.proto tests: the backend switch (C engine or the
pure-Python twin), packets from bytes (linear or split into page frags),
drop-counter deltas, RFC 1071 checks written independently of skb, and a
tiny pcap writer/reader (skb.pcap comes with a later issue).

Imported by the test modules of this package as ``from .protohelp import ...``.
"""

from __future__ import annotations

import contextlib
import struct
from typing import Iterator, Optional, Sequence

import skb
from skbhelp import ones

ENGINE = "engine"
TWIN = "twin"

OUTER_SRC_MAC = "02:00:00:00:00:aa"
OUTER_DST_MAC = "02:00:00:00:00:bb"
LOCAL4, REMOTE4 = "192.0.2.1", "192.0.2.2"
LOCAL6, REMOTE6 = "2001:db8::1", "2001:db8::2"


class Backend:
    """One skb implementation: ``alloc_skb``/``alloc_page`` and whether the
    engine's drop counters apply."""

    def __init__(self, name: str, module) -> None:
        self.name = name
        self.module = module
        self.alloc_skb = module.alloc_skb
        self.alloc_page = module.alloc_page

    @property
    def engine(self) -> bool:
        return self.name == ENGINE

    def __repr__(self) -> str:
        return self.name


def packet(backend: Backend, frame: bytes, *, headroom: int = 128,
           protocol: Optional[int] = None, frags: Sequence[int] = ()):
    """An skb holding frame at data with headroom in front.  ``frags`` are
    cut points: the bytes from the first cut on go into page frags (one per
    piece), so the packet is nonlinear.  ``protocol`` sets s.protocol."""
    cuts = [c for c in frags if 0 < c < len(frame)]
    linear = frame[:cuts[0]] if cuts else frame
    s = backend.alloc_skb(headroom + len(linear))
    s.reserve(headroom)
    s.put_data(linear)
    bounds = cuts + [len(frame)]
    for i, (a, b) in enumerate(zip(bounds, bounds[1:])):
        page = backend.alloc_page()
        page.data[:b - a] = frame[a:b]
        s.add_rx_frag(i, page, 0, b - a, 4096)
    if protocol is not None:
        s.protocol = protocol
    return s


@contextlib.contextmanager
def drop_delta(backend: Backend) -> Iterator[dict]:
    """Yields a dict filled, after the block, with the engine's per-reason
    free counters that moved (empty on the twin, which has none)."""
    out: dict = {}
    before = skb.drop_counts() if backend.engine else {}
    yield out
    if backend.engine:
        after = skb.drop_counts()
        out.update({r: after[r] - before.get(r, 0) for r in after
                    if after[r] != before.get(r, 0)})


def pseudo(src: bytes, dst: bytes, proto: int, length: int) -> bytes:
    """The IPv4 or IPv6 pseudo-header bytes."""
    if len(src) == 4:
        return src + dst + struct.pack("!BBH", 0, proto, length)
    return src + dst + struct.pack("!IxxxB", length, proto)


def l4_ok(src: bytes, dst: bytes, proto: int, segment: bytes) -> bool:
    return ones(pseudo(src, dst, proto, len(segment)) + segment) == 0xFFFF


# ----------------------------------------------------------------------
# pcap (classic libpcap, little-endian, microseconds, Ethernet)

PCAP_HEADER = struct.Struct("<IHHiIII")
PCAP_RECORD = struct.Struct("<IIII")


def pcap_bytes(frames: Sequence[bytes]) -> bytes:
    out = [PCAP_HEADER.pack(0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for i, f in enumerate(frames):
        out.append(PCAP_RECORD.pack(1_700_000_000 + i, 0, len(f), len(f)))
        out.append(bytes(f))
    return b"".join(out)


def pcap_frames(data: bytes) -> list[bytes]:
    magic, major, minor, _, _, _, linktype = PCAP_HEADER.unpack_from(data)
    assert (magic, major, minor, linktype) == (0xA1B2C3D4, 2, 4, 1)
    frames, at = [], PCAP_HEADER.size
    while at < len(data):
        _, _, incl, orig = PCAP_RECORD.unpack_from(data, at)
        at += PCAP_RECORD.size
        frames.append(data[at:at + incl])
        at += incl
    assert at == len(data)
    return frames


def eth():
    """An Ethernet layer with fixed addresses (scapy would look one up)."""
    from scapy.layers.l2 import Ether

    return Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
