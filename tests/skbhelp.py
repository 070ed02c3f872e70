"""Helpers shared by the skb tests: snapshots, "nothing changed" checks,
invariant checks and the sizes the spec fixes.

Imported by the test modules as ``import skbhelp`` (pytest puts this
directory on sys.path).
"""

from __future__ import annotations

import contextlib
import re
import struct
from typing import Iterator

import skb
from skb.testing import check

# Spec constants (x86-64 emulation), written out rather than read from the
# engine so the tests cannot agree with a wrong engine value.
SKB_STRUCT_SIZE = 256
SKB_SHINFO_SIZE = 320
CHECKSUM_PARTIAL = 3


def ones(data: bytes) -> int:
    """RFC 1071: the folded 16-bit one's complement sum of big-endian words
    (an odd byte padded with zero); 0xFFFF when a checksum over data checks
    out.  Written here, independently of the engine's csum.c."""
    data = bytes(data) + b"\0" * (len(data) % 2)
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def truesize_of(end: int) -> int:
    """SKB_TRUESIZE(end)."""
    return end + SKB_STRUCT_SIZE + SKB_SHINFO_SIZE


GEOMETRY = (
    "len", "data_len", "headlen", "headroom", "tailroom", "data_offset",
    "tail_offset", "end_offset", "truesize", "users", "dataref", "cloned",
    "nohdr", "hdr_len", "fclone", "fclone_ref", "mac_len",
)
HEADERS = (
    "mac_header", "network_header", "transport_header", "inner_mac_header",
    "inner_network_header", "inner_transport_header", "mac_offset",
    "network_offset", "transport_offset", "inner_mac_offset",
    "inner_network_offset", "inner_transport_offset", "network_header_len",
)
# (name, width in bits) of every settable integer field.
FIELDS = (
    ("ip_summed", 2), ("csum", 32), ("csum_start", 16), ("csum_offset", 16),
    ("csum_level", 2), ("protocol", 16), ("inner_protocol", 16),
    ("encapsulation", 1), ("vlan_proto", 16), ("vlan_tci", 16),
    ("priority", 32), ("mark", 32), ("hash", 32), ("l4_hash", 1), ("sw_hash", 1),
    ("pkt_type", 3),
    ("queue_mapping", 16),
)
METADATA = tuple(name for name, _ in FIELDS)
COUNTERS = ("live_skbs", "live_heads", "head_bytes", "live_pages", "page_bytes",
            "raw_blocks", "gc_leaks")


def head_addr(s: skb.SkBuff) -> int:
    """The head pointer, as repr() shows it."""
    m = re.search(r"head=(0x[0-9a-f]+)", repr(s))
    assert m, repr(s)
    return int(m.group(1), 16)


def head_bytes(s: skb.SkBuff) -> bytes:
    """The whole head buffer [head, end) without changing the skb.

    The data view is a slice of a mapping of the whole head; its ``obj`` is
    that mapping.  The length check makes sure that assumption holds.
    """
    whole = bytes(s.data.obj)
    assert len(whole) == s.end_offset, "the data view no longer maps [head, end)"
    return whole


def snapshot(s: skb.SkBuff) -> dict:
    """Everything observable about a live skb, as plain values."""
    snap = {name: getattr(s, name) for name in GEOMETRY + HEADERS + METADATA}
    snap.update(
        cb=s.cb,
        head=head_addr(s),
        bytes=s.to_bytes(),
        head_bytes=head_bytes(s),
        is_cloned=s.is_cloned(),
        header_cloned=s.header_cloned(),
        shared=s.shared(),
        data_readonly=s.data.readonly,
        repr=repr(s),
        type=type(s),
    )
    return snap


def counter_snapshot() -> dict:
    c = skb.counters()
    return {name: getattr(c, name) for name in COUNTERS}


def counter_delta(before: dict) -> dict:
    """Counters now minus ``before``; only the fields that moved."""
    now = counter_snapshot()
    return {k: now[k] - before[k] for k in COUNTERS if now[k] != before[k]}


@contextlib.contextmanager
def unchanged(*skbs: skb.SkBuff, ignore: tuple = (),
              counters_too: bool = True) -> Iterator[None]:
    """Assert the block (usually one expected to fail) leaves every given
    skb, and unless ``counters_too`` is false the engine's allocation
    counters, exactly as they were.  ``ignore`` names snapshot keys the
    caller asserts separately."""
    before = [snapshot(s) for s in skbs]
    counters = counter_snapshot()
    yield
    for i, (s, b) in enumerate(zip(skbs, before)):
        a = snapshot(s)
        changed = {k: (b[k], a[k]) for k in b if k not in ignore and a[k] != b[k]}
        assert not changed, f"skb #{i} changed (before, after): {changed}"
    if counters_too:
        assert counter_delta(counters) == {}, "allocation counters moved"


def ok(*skbs: skb.SkBuff) -> None:
    """skb.testing.check on every skb."""
    for s in skbs:
        check(s)


def fill(s: skb.SkBuff, payload: bytes, headroom_pattern: bytes = b"") -> None:
    """Put ``payload`` and write ``headroom_pattern`` into the bytes right in
    front of the data (then pull them off again), so copies can be checked
    for what they carry from the headroom."""
    s.put_data(payload)
    if headroom_pattern:
        s.push(len(headroom_pattern))[:] = headroom_pattern
        s.pull(len(headroom_pattern))
