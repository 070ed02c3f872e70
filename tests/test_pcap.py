"""skb.pcap: hand-built files of every format variant read as they should,
round trips, files we write read identically by scapy and tshark,
malformed input is one PcapError naming the offset, nothing leaks."""

from __future__ import annotations

import io
import json
import shutil
import struct
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import skb
import skb.pcap
from skb import FreedSkBuff, SkbUseAfterFree
from skb.pcap import (DEFAULT_HEADROOM, LINKTYPE_ETHERNET, LINKTYPE_RAW, MAX_BLOCK,
                      MAX_CAPLEN, Interface, PcapError, Reader, Writer)
from skb.testing import model
from nlhelp import member, paged, pattern
from toolenv import tool_env

T0 = 1_700_000_000  # a timestamp in seconds


def frame(n: int, seed: int = 0, ethertype: int = 0x0800) -> bytes:
    """An Ethernet frame of n bytes (n >= 14)."""
    return bytes(range(6)) + bytes(range(6, 12)) + ethertype.to_bytes(2, "big") + \
        pattern(n - 14, seed)


# ---------------------------------------------------------------- hand-built files

def pcap(records, order: str = "<", nsec: bool = False, snaplen: int = 65535,
         linktype: int = 1, major: int = 2) -> bytes:
    """records: (sec, frac, data[, wirelen])."""
    magic = 0xA1B23C4D if nsec else 0xA1B2C3D4
    out = struct.pack(order + "IHHiIII", magic, major, 4, 0, 0, snaplen, linktype)
    for sec, frac, data, *wire in records:
        out += struct.pack(order + "IIII", sec, frac, len(data), wire[0] if wire else len(data))
        out += data
    return out


def pad(b: bytes) -> bytes:
    return b + bytes(-len(b) % 4)


def block(order: str, btype: int, body: bytes) -> bytes:
    body = pad(body)
    n = len(body) + 12
    return struct.pack(order + "II", btype, n) + body + struct.pack(order + "I", n)


def option(order: str, code: int, value: bytes) -> bytes:
    return struct.pack(order + "HH", code, len(value)) + pad(value)


def shb(order: str = "<", major: int = 1) -> bytes:
    return block(order, 0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, major, 0, -1))


def idb(order: str = "<", linktype: int = 1, snaplen: int = 0, tsresol=None,
        tsoffset=None) -> bytes:
    opts = b""
    if tsresol is not None:
        opts += option(order, 9, bytes([tsresol]))
    if tsoffset is not None:
        opts += option(order, 14, struct.pack(order + "q", tsoffset))
    if opts:
        opts += option(order, 0, b"")
    return block(order, 1, struct.pack(order + "HHI", linktype, 0, snaplen) + opts)


def epb(order: str, iface: int, ts: int, data: bytes, wirelen=None, opts: bytes = b"") -> bytes:
    body = struct.pack(order + "IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(data),
                       len(data) if wirelen is None else wirelen)
    return block(order, 6, body + pad(data) + opts)


def spb(order: str, data: bytes, wirelen=None) -> bytes:
    return block(order, 3, struct.pack(order + "I", len(data) if wirelen is None else wirelen)
                 + data)


def opb(order: str, iface: int, ts: int, data: bytes) -> bytes:
    body = struct.pack(order + "HHIIII", iface, 0, ts >> 32, ts & 0xFFFFFFFF, len(data),
                       len(data))
    return block(order, 2, body + data)


def read_all(data, **kw) -> list[tuple]:
    """(ts_ns, bytes, wirelen, interface, linktype) of every record."""
    with Reader(io.BytesIO(data), **kw) as r:
        return [(rec.ts_ns, rec.skb.to_bytes(), rec.wirelen, rec.interface, rec.linktype)
                for rec in r]


# ---------------------------------------------------------------- pcap

@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("nsec", [False, True])
def test_pcap_both_byte_orders_and_resolutions(order, nsec):
    a, b = frame(60), frame(1514, 1)
    data = pcap([(T0, 123456, a), (T0 + 1, 999999, b, 9000)], order, nsec)
    unit = 1 if nsec else 1000
    assert read_all(data) == [(T0 * 10**9 + 123456 * unit, a, 60, 0, 1),
                              ((T0 + 1) * 10**9 + 999999 * unit, b, 9000, 0, 1)]
    with Reader(io.BytesIO(data)) as r:
        assert r.format == "pcap"
        assert r.interfaces == [Interface(1, 65535, 10**9 if nsec else 10**6)]


def test_an_ethernet_record_is_an_skb_as_receive_leaves_it():
    data = pcap([(T0, 0, frame(100)), (T0, 0, frame(64, ethertype=0x8100)),
                 (T0, 0, b"\x01" * 10)])
    with Reader(io.BytesIO(data)) as r:
        rec = next(r)
        s = rec.skb
        assert (s.headroom, s.len, s.data_len, s.data_offset) == (DEFAULT_HEADROOM, 100, 0,
                                                                 DEFAULT_HEADROOM)
        assert DEFAULT_HEADROOM == skb.NET_SKB_PAD + 80 == 144
        assert (s.mac_header, s.network_header, s.mac_len, s.protocol) == (144, 158, 14,
                                                                           0x0800)
        assert s.transport_header is None
        assert bytes(s.data) == frame(100)
        assert next(r).skb.protocol == 0x8100  # the tag stays in band
        short = next(r).skb  # too short for an Ethernet header: bytes only
        assert (short.mac_header, short.network_header, short.protocol) == (144, 0, 0)


def test_raw_ip_and_unknown_link_types():
    v4, v6 = bytes([0x45]) + bytes(19), bytes([0x60]) + bytes(39)
    assert [r[1] for r in read_all(pcap([(0, 0, v4), (0, 0, v6)], linktype=101))] == [v4, v6]
    with Reader(io.BytesIO(pcap([(0, 0, v4), (0, 0, v6), (0, 0, b"")],
                                linktype=LINKTYPE_RAW))) as r:
        got = [(rec.skb.protocol, rec.skb.network_header, rec.skb.mac_header) for rec in r]
    assert got == [(0x0800, 144, None), (0x86DD, 144, None), (0, 144, None)]
    with Reader(io.BytesIO(pcap([(0, 0, b"abc")], linktype=147))) as r:  # LINKTYPE_USER0
        rec = next(r)
        assert rec.linktype == 147 and rec.skb.to_bytes() == b"abc"
        assert (rec.skb.mac_header, rec.skb.network_header, rec.skb.protocol) == (None, 0, 0)


def test_headroom_and_alloc_are_the_callers_choice():
    data = pcap([(0, 0, frame(60))])
    with Reader(io.BytesIO(data), headroom=0) as r:
        assert next(r).skb.headroom == 0
    with Reader(io.BytesIO(data), alloc=model.alloc_skb) as r:
        rec = next(r)
        assert type(rec.skb) is model.SkBuff and rec.skb.headroom == DEFAULT_HEADROOM
        assert rec.skb.to_bytes() == frame(60) and rec.skb.protocol == 0x0800
    with pytest.raises(ValueError, match="headroom"):
        Reader(io.BytesIO(data), headroom=-1)


# ---------------------------------------------------------------- pcapng

@pytest.mark.parametrize("order", ["<", ">"])
def test_pcapng_interfaces_resolutions_and_unknown_blocks(order):
    a, b, c, d = frame(60), frame(70, 1), frame(80, 2), frame(90, 3)
    data = (shb(order)
            + block(order, 0x0BAD, b"custom stuff")  # unknown: skipped
            + idb(order, 1)  # default: microseconds
            + idb(order, 1, tsresol=9)  # nanoseconds
            + idb(order, 1, tsresol=0x80 | 10, tsoffset=100)  # 2**-10 s, +100 s
            + block(order, 5, bytes(16))  # an interface statistics block: skipped
            + epb(order, 0, T0 * 10**6 + 1, a)
            + epb(order, 1, T0 * 10**9 + 7, b, wirelen=500, opts=option(order, 1, b"hi")
                  + option(order, 0, b""))
            + epb(order, 2, 1024 * 5 + 512, c)
            + block(order, 4, bytes(8))  # a name resolution block: skipped
            + opb(order, 1, 42, d))
    assert read_all(data) == [
        (T0 * 10**9 + 1000, a, 60, 0, 1),
        (T0 * 10**9 + 7, b, 500, 1, 1),
        ((100 + 5) * 10**9 + 500_000_000, c, 80, 2, 1),
        (42, d, 90, 1, 1),
    ]
    with Reader(io.BytesIO(data)) as r:
        list(r)
        assert r.format == "pcapng" and r.count == 4
        assert r.interfaces == [Interface(1, 0, 10**6), Interface(1, 0, 10**9),
                                Interface(1, 0, 1024, 100)]


def test_pcapng_sections_in_both_byte_orders():
    a, b = frame(60), bytes([0x45]) + bytes(39)
    data = (shb("<") + idb("<", 1) + epb("<", 0, 5, a)
            + shb(">") + idb(">", 101, tsresol=3) + epb(">", 0, 5, b))
    assert read_all(data) == [(5000, a, 60, 0, 1), (5_000_000, b, 40, 0, 101)]


def test_pcapng_simple_packet_blocks_take_interface_0_and_its_snaplen():
    a = frame(100)
    data = shb() + idb("<", 1, snaplen=64) + spb("<", a[:64], wirelen=100) + \
        spb("<", a[:61])
    assert read_all(data) == [(None, a[:64], 100, 0, 1), (None, a[:61], 61, 0, 1)]
    with Reader(io.BytesIO(data)) as r:
        assert next(r).time is None


def test_tiny_resolutions_are_exact_to_the_nanosecond():
    data = shb() + idb("<", 1, tsresol=12) + epb("<", 0, 1_234_567_891_234, frame(20))
    assert read_all(data)[0][0] == 1_234_567_891


# ---------------------------------------------------------------- ownership

def test_a_records_skb_is_lent_until_the_next_record():
    data = pcap([(0, 0, frame(60)), (0, 0, frame(61)), (0, 0, frame(62))])
    with Reader(io.BytesIO(data)) as r:
        first = next(r)
        lent = first.skb
        second = next(r)
        assert type(lent) is FreedSkBuff
        with pytest.raises(SkbUseAfterFree):
            lent.len
        kept = second.take()
        with pytest.raises(ValueError, match="already taken"):
            second.take()
        third = next(r)
        assert kept.len == 61  # taken: the reader left it alone
        assert third.skb.len == 62
    assert type(third.skb) is FreedSkBuff  # close gave back the lent one
    kept.kfree()


def test_an_exception_in_the_loop_leaks_nothing():
    data = pcap([(0, 0, frame(60))] * 3)
    with pytest.raises(RuntimeError):
        with Reader(io.BytesIO(data)) as r:
            for rec in r:
                rec.skb.put_data(b"tail")  # lent skbs may be changed, too
                raise RuntimeError


def test_a_reader_dropped_unclosed_frees_what_it_lent():
    r = Reader(io.BytesIO(pcap([(0, 0, frame(60))] * 2)))
    rec = next(r)
    del r
    assert type(rec.skb) is FreedSkBuff


def test_a_lent_skb_freed_by_the_caller_is_not_freed_twice():
    live, drops = skb.counters().live_skbs, skb.drop_counts()
    with Reader(io.BytesIO(pcap([(0, 0, frame(60))] * 2))) as r:
        next(r).skb.kfree()
        next(r).skb.consume()
    assert skb.counters().live_skbs == live
    after = skb.drop_counts()
    assert {k: after[k] - drops.get(k, 0) for k in after if after[k] != drops.get(k, 0)} == {
        skb.DropReason.NOT_SPECIFIED: 1, skb.DropReason.CONSUMED: 1}


def test_files_opened_by_path_are_closed_streams_are_not(tmp_path):
    path = tmp_path / "x.pcap"
    with Writer(path) as w:
        s = paged(frame(60))
        w.write(s, T0 * 10**9)
        s.kfree()
    r = Reader(path)
    f = r._f
    r.close()
    assert f.closed
    stream = io.BytesIO(path.read_bytes())
    with Reader(stream) as r:
        assert len(list(r)) == 1
    assert not stream.closed
    out = io.BytesIO()
    with Writer(out) as w:
        pass
    assert not out.closed and len(out.getvalue()) == 24


class Trickle(io.RawIOBase):
    """A stream that cannot seek and records how far it was read."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = min(len(b), len(self.data) - self.pos)
        b[:n] = self.data[self.pos:self.pos + n]
        self.pos += n
        return n


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_reading_streams_one_record_at_a_time(fmt):
    frames = [frame(1000, i) for i in range(200)]
    if fmt == "pcap":
        data = pcap([(T0, i, f) for i, f in enumerate(frames)])
        first_end = 24 + 16 + 1000
    else:
        data = shb() + idb() + b"".join(epb("<", 0, i, f) for i, f in enumerate(frames))
        first_end = len(shb() + idb() + epb("<", 0, 0, frames[0]))
    src = Trickle(data)
    with Reader(src) as r:
        assert next(r).skb.to_bytes() == frames[0]
        assert src.pos == first_end  # not a byte more than the first record
        assert [rec.skb.to_bytes() for rec in r] == frames[1:]
    assert src.pos == len(data)


# ---------------------------------------------------------------- writing

def sample_skbs() -> list:
    """Linear, paged and frag_list skbs: writing takes all of each."""
    return [
        paged(frame(60)),
        paged(frame(54), frags=[pattern(1000, 1), pattern(500, 2)]),
        paged(frame(34), frags=[pattern(100, 3)], members=[member(pattern(200, 4))]),
        paged(frame(1514, 5), headroom=16),
    ]


STAMPS = [T0 * 10**9 + 123_456_789, T0 * 10**9 + 999_999_999, 0, (2**32 - 1) * 10**9]


@pytest.mark.parametrize("nsec", [False, True])
def test_round_trip(nsec):
    skbs = sample_skbs()
    out = io.BytesIO()
    with Writer(out, nanosecond=nsec) as w:
        for s, ts in zip(skbs, STAMPS):
            w.write(s, ts)
        assert w.count == 4
    got = read_all(out.getvalue())
    cut = 1 if nsec else 1000
    assert got == [(ts // cut * cut, s.to_bytes(), s.len, 0, 1) for s, ts in zip(skbs, STAMPS)]
    for s in skbs:
        s.kfree()


def test_snaplen_cuts_records_and_keeps_wire_lengths():
    s = paged(frame(54), frags=[pattern(1000)])
    out = io.BytesIO()
    with Writer(out, snaplen=100) as w:
        w.write(s, 5)
        w.write(s, 6, wirelen=9000)
    assert read_all(out.getvalue()) == [(0, s.to_bytes()[:100], 1054, 0, 1),
                                        (0, s.to_bytes()[:100], 9000, 0, 1)]
    with Reader(io.BytesIO(out.getvalue())) as r:
        assert r.interfaces == [Interface(1, 100, 10**6)]
    s.kfree()


def test_writer_refusals():
    s = paged(frame(60))
    out = io.BytesIO()
    w = Writer(out)
    for bad in (-1, 2**32 * 10**9):
        with pytest.raises(ValueError, match="ts_ns"):
            w.write(s, bad)
    with pytest.raises(ValueError, match="wirelen"):
        w.write(s, 0, wirelen=59)
    w.close()
    with pytest.raises(ValueError, match="closed"):
        w.write(s)
    for kw in (dict(snaplen=0), dict(linktype=70000)):
        with pytest.raises(ValueError):
            Writer(io.BytesIO(), **kw)
    assert len(out.getvalue()) == 24  # nothing was written by the refusals
    s.kfree()


def test_writing_a_twin_skb():
    t = model.alloc_skb(100)
    t.put_data(frame(60))
    out = io.BytesIO()
    with Writer(out) as w:
        w.write(t, 1000)
    assert read_all(out.getvalue()) == [(1000, frame(60), 60, 0, 1)]
    t.kfree()


# ---------------------------------------------------------------- malformed input

def error(data: bytes) -> PcapError:
    with pytest.raises(PcapError) as info:
        read_all(data)
    assert isinstance(info.value, ValueError)
    assert f"offset {info.value.offset}:" in str(info.value)
    return info.value


GOOD_PCAP = pcap([(T0, 1, frame(20)), (T0, 2, frame(30, 1))])
GOOD_PCAPNG = shb() + idb() + epb("<", 0, 1, frame(20)) + epb("<", 0, 2, frame(30, 1))


@pytest.mark.parametrize("good", [GOOD_PCAP, GOOD_PCAPNG], ids=["pcap", "pcapng"])
def test_every_truncation_is_an_error_or_a_clean_stop(good):
    whole = read_all(good)
    if good is GOOD_PCAP:
        ends = {24: 0, 24 + 36: 1, len(good): 2}
    else:
        head = len(shb() + idb())  # a section alone is a capture of no packets
        ends = {len(shb()): 0, head: 0, head + len(epb("<", 0, 1, frame(20))): 1,
                len(good): 2}
    for cut in range(len(good)):
        data = good[:cut]
        if cut in ends:
            assert read_all(data) == whole[:ends[cut]]
        else:
            e = error(data)
            assert e.offset <= cut, (cut, str(e))
            assert "truncated" in str(e) or "not a capture file" in str(e)


def lying(fmt: str) -> dict:
    """name -> (file, offset in the error, words in the message)."""
    le = "<"
    rec = struct.pack("<IIII", T0, 0, 20, 20) + frame(20)
    cases = {
        "empty": (b"", 0, "not a capture file"),
        "bad magic": (b"GIF89a" + bytes(30), 0, "bad magic"),
        "pcap version 3": (pcap([], major=3), 4, "version 3.4"),
        "caplen absurd": (pcap([]) + struct.pack("<IIII", 0, 0, 0xFFFFFFFF, 0), 32,
                          "absurd"),
        "caplen one past MAX_CAPLEN": (pcap([]) + struct.pack("<IIII", 0, 0, MAX_CAPLEN + 1,
                                                              0), 32, "absurd"),
        "caplen lies": (pcap([]) + struct.pack("<IIII", 0, 0, 5000, 5000) + bytes(100), 40,
                        "truncated record 0"),
        "caplen lies in the second record": (pcap([]) + rec + rec[:8] + b"\x30\0\0\0" +
                                             rec[12:], 76, "truncated record 1"),
        "pcapng block length 0": (shb() + struct.pack("<II", 1, 0), 32, "block length 0"),
        "pcapng block length 8": (shb() + struct.pack("<III", 6, 8, 8), 32, "length 8"),
        "pcapng block length 13": (shb() + struct.pack("<II", 1, 13) + bytes(9), 32,
                                   "length 13"),
        "pcapng block absurd": (shb() + struct.pack("<II", 6, MAX_BLOCK + 4), 32, "absurd"),
        "pcapng trailer differs": (shb() + idb()[:-4] + struct.pack("<I", 99), 44,
                                   "trailing length 99 differs"),
        "pcapng block longer than the file": (shb() + struct.pack("<II", 0x0BAD, 1 << 20) +
                                              bytes(64), 36, "truncated block of type 0xbad"),
        "pcapng byte-order magic": (shb()[:8] + b"XXXX" + shb()[12:], 8, "byte-order magic"),
        "pcapng version 2": (shb(major=2), 12, "version 2.0"),
        "pcapng short section header": (struct.pack("<III", 0x0A0D0D0A, 16, 0x1A2B3C4D) +
                                        bytes(4), 4, "less than 28"),
        "pcapng epb before any interface": (shb() + epb(le, 0, 0, frame(20)), 36,
                                            "interface 0: the section describes 0"),
        "pcapng epb of interface 1": (shb() + idb() + epb(le, 1, 0, frame(20)), 56,
                                      "interface 1"),
        "pcapng interfaces end with their section": (shb() + idb() + shb() +
                                                     epb(le, 0, 0, frame(20)), 84,
                                                     "describes 0"),
        "pcapng epb caplen past its block": (shb() + idb() + block(
            le, 6, struct.pack("<IIIII", 0, 0, 0, 100, 100) + bytes(20)), 68, "caplen 100"),
        "pcapng epb too short": (shb() + idb() + block(le, 6, bytes(16)), 48,
                                 "packet block of 16 bytes"),
        "pcapng idb too short": (shb() + block(le, 1, bytes(4)), 28,
                                 "interface description block of 4 bytes"),
        "pcapng option runs past": (shb() + block(le, 1, struct.pack("<HHI", 1, 0, 0) +
                                                  struct.pack("<HH", 9, 40)), 44,
                                    "option 9 of 40 bytes runs past"),
        "pcapng tsresol of 2 bytes": (shb() + block(le, 1, struct.pack("<HHI", 1, 0, 0) +
                                                    option(le, 9, b"\x06\x06")), 44,
                                      "option 9 of 2 bytes"),
        "pcapng spb before any interface": (shb() + spb(le, frame(20)), 28,
                                            "simple packet block before any interface"),
        "pcapng spb longer than its block": (shb() + idb() + spb(le, frame(20), 64), 56,
                                             "original length 64 runs past"),
        "pcapng spb of 0 bytes": (shb() + idb() + block(le, 3, b""), 48,
                                  "simple packet block of 0 bytes"),
        "pcapng epb caplen absurd": (shb() + idb() + block(
            le, 6, struct.pack("<IIIII", 0, 0, 0, MAX_CAPLEN + 4, 0) + bytes(MAX_CAPLEN + 4)),
            48, "absurd"),
    }
    return {k: v for k, v in cases.items() if k.startswith("pcapng") == (fmt == "pcapng")}


@pytest.mark.parametrize("name", list(lying("pcap")) + list(lying("pcapng")))
def test_lying_files_raise_pcap_error_at_the_offset(name):
    data, offset, words = (lying("pcap") | lying("pcapng"))[name]
    e = error(data)
    assert (e.offset, words in str(e)) == (offset, True), str(e)
    assert str(e).startswith("<stream>: offset")


def test_the_error_names_the_file(tmp_path):
    path = tmp_path / "bad.pcap"
    path.write_bytes(b"nonsense")
    with pytest.raises(PcapError, match=r"bad\.pcap: offset 0: bad magic 6e6f6e73"):
        Reader(path)


def test_records_before_the_damage_are_read():
    data = GOOD_PCAP + struct.pack("<IIII", 0, 0, 100, 100) + bytes(10)
    with Reader(io.BytesIO(data)) as r:
        assert next(r).caplen == 20 and next(r).caplen == 30
        with pytest.raises(PcapError, match="offset 122: truncated record 2"):
            next(r)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([GOOD_PCAP, GOOD_PCAPNG]),
       st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), min_size=1, max_size=6))
def test_corrupted_files_give_records_or_pcap_error_only(good, changes):
    data = bytearray(good)
    for pos, value in changes:
        data[pos % len(data)] = value
    try:
        records = read_all(bytes(data))
    except PcapError as e:
        assert 0 <= e.offset <= len(data) and f": offset {e.offset}: " in str(e)
    else:  # every record's bytes came from the file
        assert sum(len(rec[1]) for rec in records) <= len(data)


# ---------------------------------------------------------------- other readers

def written(nsec: bool) -> tuple[bytes, list]:
    skbs = sample_skbs()
    out = io.BytesIO()
    with Writer(out, nanosecond=nsec) as w:
        for s, ts in zip(skbs, STAMPS):
            w.write(s, ts)
    expected = [(s.to_bytes(), ts) for s, ts in zip(skbs, STAMPS)]
    for s in skbs:
        s.kfree()
    return out.getvalue(), expected


@pytest.mark.parametrize("nsec", [False, True])
def test_scapy_reads_what_we_write(tmp_path, nsec):
    from scapy.utils import rdpcap

    data, expected = written(nsec)
    path = tmp_path / "w.pcap"
    path.write_bytes(data)
    cut = 1 if nsec else 1000
    got = [(bytes(p), int(p.time * 10**9), p.wirelen) for p in rdpcap(str(path))]
    assert got == [(b, ts // cut * cut, len(b)) for b, ts in expected]


def test_we_read_what_scapy_writes(tmp_path):
    from scapy.layers.l2 import Ether
    from scapy.utils import PcapNgWriter, wrpcap

    pkts = [Ether(frame(60 + i, i)) for i in range(3)]
    for i, p in enumerate(pkts):
        p.time = T0 + i
    wrpcap(str(tmp_path / "s.pcap"), pkts)
    ng = PcapNgWriter(str(tmp_path / "s.pcapng"))
    for p in pkts:
        ng.write(p)
    ng.close()
    want = [((T0 + i) * 10**9, bytes(p), len(p), 0, 1) for i, p in enumerate(pkts)]
    for name in ("s.pcap", "s.pcapng"):
        assert read_all((tmp_path / name).read_bytes()) == want


TSHARK = shutil.which("tshark")


@pytest.mark.skipif(TSHARK is None, reason="tshark (Wireshark) is not installed")
@pytest.mark.parametrize("nsec", [False, True])
def test_tshark_reads_what_we_write(tmp_path, nsec):
    data, expected = written(nsec)
    path = tmp_path / "w.pcap"
    path.write_bytes(data)
    out = subprocess.run([TSHARK, "-r", str(path), "-T", "ek", "-x"], capture_output=True,
                         text=True, timeout=120, check=True, env=tool_env()).stdout
    docs = [json.loads(line) for line in out.splitlines() if '"layers"' in line]
    got = [(bytes.fromhex(d["layers"]["frame_raw"]),
            int(d["layers"]["frame"]["frame_frame_len"]),
            d["layers"]["frame"]["frame_frame_time_epoch"]) for d in docs]
    cut = 1 if nsec else 1000
    assert got == [(b, len(b), f"{ts // cut * cut // 10**9}.{ts // cut * cut % 10**9:09d}")
                   for b, ts in expected]


@pytest.mark.skipif(shutil.which("editcap") is None, reason="editcap (Wireshark) is absent")
def test_we_read_wiresharks_pcapng(tmp_path):
    data, expected = written(True)
    (tmp_path / "w.pcap").write_bytes(data)
    subprocess.run(["editcap", "-F", "pcapng", str(tmp_path / "w.pcap"),
                    str(tmp_path / "w.pcapng")], check=True, capture_output=True,
                   timeout=120, env=tool_env())
    got = read_all((tmp_path / "w.pcapng").read_bytes())
    assert got == [(ts, b, len(b), 0, LINKTYPE_ETHERNET) for b, ts in expected]
