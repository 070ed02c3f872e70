"""Software GSO of a 64 KiB TCP super-packet: the engine against the
pure-Python twin (skb.testing.model, when it has gso_segment).

The packet: Ethernet / IPv4 / TCP with a 32-byte TCP header (timestamps),
66 header bytes in the linear part, 65536 payload bytes in 16 one-page
frags, CHECKSUM_PARTIAL with the pseudo-header seeded as the TCP stack
leaves it; gso_size 1448, so 46 segments.  Timed: ``gso_segment(s,
features)`` returning the segment list, (a) with SG only - every segment's
TCP checksum computed in software - and (b) with SG|HW_CSUM - checksums
left CHECKSUM_PARTIAL.  The input is rebuilt before each round and the
segments are freed after it, both outside the timed part.

The same packet in VXLAN (Ethernet / IPv4 / UDP with checksum / VXLAN
outside, SKB_GSO_UDP_TUNNEL_CSUM, pushed by tnl_push outside the timing): 46
segments, each with the outer UDP length and checksum of its own, (a) all
checksums in software and (b) the inner one left CHECKSUM_PARTIAL, the outer
one computed over it (local checksum offload).

Run:   python -m pytest bench/test_gso.py --benchmark-only --benchmark-json=gso.json
       python bench/report.py gso.json
(goal: engine at least 15x faster than the twin, within one run)
"""

from __future__ import annotations

import random
import struct

import pytest

import skb
from skb import NETIF_F, SKB_GSO
from skb.testing import model
from skb.tunnel import TunnelTemplate

MSS = 1448
FRAG = 4096
NFRAGS = 16
TOTAL = FRAG * NFRAGS
NSEGS = -(-TOTAL // MSS)        # 46
DATA = random.Random(7).randbytes(TOTAL)
SADDR, DADDR = bytes([192, 0, 2, 1]), bytes([198, 51, 100, 7])
ID0, SEQ0 = 0x1000, 0x10000000
CHECKSUM_PARTIAL = 3


def _sum16(data: bytes, acc: int = 0) -> int:
    if len(data) & 1:
        data += b"\0"
    acc += sum(struct.unpack(f"!{len(data) // 2}H", data))
    while acc >> 16:
        acc = (acc & 0xFFFF) + (acc >> 16)
    return acc


def _headers() -> bytes:
    """Ethernet + IPv4 (20) + TCP (32: NOP NOP timestamps); th->check
    holds the pseudo-header sum for the whole TCP length (the seed)."""
    eth = bytes.fromhex("020000000002" "020000000001" "0800")
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 0xFFFF, ID0, 0x4000, 64, 6, 0,
                               SADDR, DADDR))
    ip[10:12] = (~_sum16(bytes(ip)) & 0xFFFF).to_bytes(2, "big")
    tcp_len = 32 + TOTAL
    seed = _sum16(SADDR + DADDR, 6 + (tcp_len >> 16) + (tcp_len & 0xFFFF))
    tcp = struct.pack("!HHIIBBHHH", 40000, 443, SEQ0, 77, 8 << 4, 0x18, 512, seed, 0) + \
        bytes([1, 1, 8, 10]) + struct.pack("!II", 1, 2)
    return eth + bytes(ip) + tcp


HDR = _headers()
HLEN = len(HDR)                 # 66

VARIANTS = {"engine": skb, "twin": model}
CASES = {
    "software csum (SG)": NETIF_F.SG,
    "CHECKSUM_PARTIAL (SG|HW_CSUM)": NETIF_F.SG | NETIF_F.HW_CSUM,
}
ROUNDS = {"engine": 2000, "twin": 40}


def _gso_segment(lib):
    fn = getattr(lib, "gso_segment", None)
    if fn is None:
        pytest.skip(f"{lib.__name__} has no gso_segment yet")
    return fn


def _pages(lib) -> list:
    pages = []
    for i in range(NFRAGS):
        p = lib.alloc_page()
        p.data[:FRAG] = DATA[i * FRAG:(i + 1) * FRAG]
        pages.append(p)
    return pages


def _input(lib, pages):
    """The super-packet; each frag takes a reference on our page."""
    s = lib.alloc_skb(HLEN)
    s.put_data(HDR)
    for i, p in enumerate(pages):
        p.get()
        s.add_rx_frag(i, p, 0, FRAG, FRAG)
    s.reset_mac_header()
    s.set_network_header(14)
    s.protocol = 0x0800
    s.gso_size = MSS
    s.gso_type = int(SKB_GSO.TCPV4)
    s.ip_summed = CHECKSUM_PARTIAL
    s.csum_start = 34
    s.csum_offset = 16
    return s


def _vxlan() -> TunnelTemplate:
    """Ethernet / IPv4 / UDP (checksum) / VXLAN outer headers."""
    eth = bytes.fromhex("0200000000bb" "0200000000aa" "0800")
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 0, 0, 0x4000, 64, 17, 0,
                     bytes([203, 0, 113, 1]), bytes([203, 0, 113, 2]))
    udp = struct.pack("!HHHH", 0, 4789, 0, 0)
    vxlan = struct.pack("!II", 0x08000000, 42 << 8)
    return TunnelTemplate(eth + ip + udp + vxlan, 14, 34, udp=True, csum=True,
                          gso_type=SKB_GSO.UDP_TUNNEL | SKB_GSO.UDP_TUNNEL_CSUM)


OUTER = len(_vxlan().header)    # 50


def _tunnel_input(lib, pages):
    """The super-packet behind the VXLAN headers (tnl_push)."""
    s = _input(lib, pages)
    s.tnl_push(_vxlan())
    return s


def _check(segs, features) -> None:
    """The output is right: 46 segments, the payload in order, IPv4 length
    and ID, TCP sequence and (software) checksum on the first and last."""
    assert len(segs) == NSEGS
    frames = [seg.to_bytes() for seg in segs]
    assert b"".join(f[HLEN:] for f in frames) == DATA
    for k in (0, NSEGS - 1):
        f = frames[k]
        plen = len(f) - HLEN
        assert plen == min(MSS, TOTAL - k * MSS)
        assert struct.unpack_from("!HH", f, 16) == (len(f) - 14, ID0 + k)
        assert _sum16(f[14:34]) == 0xFFFF
        assert struct.unpack_from("!I", f, 38)[0] == SEQ0 + k * MSS
        tcp_len = 32 + plen
        pseudo = _sum16(SADDR + DADDR, 6 + tcp_len)
        if features & NETIF_F.HW_CSUM:
            assert segs[k].ip_summed == CHECKSUM_PARTIAL
            assert struct.unpack_from("!H", f, 50)[0] == pseudo
        else:
            assert _sum16(f[34:], pseudo) == 0xFFFF


def _check_tunnel(segs, features) -> None:
    """46 VXLAN frames: the payload in order, outer IPv4 and UDP lengths,
    the outer UDP checksum right once the inner one is (filled here when
    the device was to do it)."""
    assert len(segs) == NSEGS
    frames = [seg.to_bytes() for seg in segs]
    assert b"".join(f[OUTER + HLEN:] for f in frames) == DATA
    for k in (0, NSEGS - 1):
        f = bytearray(frames[k])
        assert struct.unpack_from("!H", f, 16)[0] == len(f) - 14
        assert struct.unpack_from("!H", f, 38)[0] == len(f) - 34
        if features & NETIF_F.HW_CSUM:
            assert (segs[k].ip_summed, segs[k].encapsulation) == (CHECKSUM_PARTIAL, 1)
            tcp = OUTER + 34
            pseudo = _sum16(SADDR + DADDR, 6 + len(f) - tcp)
            f[tcp + 16:tcp + 18] = b"\0\0"
            f[tcp + 16:tcp + 18] = (~_sum16(bytes(f[tcp:]), pseudo) & 0xFFFF).to_bytes(2, "big")
        pseudo = _sum16(bytes(f[26:34]), 17 + len(f) - 34)
        assert _sum16(bytes(f[34:]), pseudo) == 0xFFFF


PACKETS = {
    "TCP": (_input, _check, ""),
    "VXLAN": (_tunnel_input, _check_tunnel, " in VXLAN (outer UDP checksum)"),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("packet", list(PACKETS))
def test_gso_64k(benchmark, packet, case, variant):
    lib = VARIANTS[variant]
    gso_segment = _gso_segment(lib)
    features = CASES[case]
    make, check, title = PACKETS[packet]
    benchmark.group = f"gso_segment 64 KiB TCP{title}, MSS 1448, {case}"
    benchmark.extra_info["ops"] = 1
    pages = _pages(lib)
    live: list = []

    def setup():
        s = make(lib, pages)
        live.append(s)
        return (s, features), {}

    def target(s, f):
        segs = gso_segment(s, f)
        live.append(segs)
        return segs

    def teardown(s, f):
        segs = live.pop()
        for seg in segs:
            seg.kfree()
        live.pop().kfree()

    try:
        # correctness first, outside the timing
        args, _ = setup()
        check(target(*args), features)
        teardown(*args)
        benchmark.pedantic(target, setup=setup, teardown=teardown,
                           rounds=ROUNDS[variant], warmup_rounds=2, iterations=1)
    finally:
        while live:
            item = live.pop()
            for seg in (item if not isinstance(item, (skb.SkBuff, model.SkBuff)) else [item]):
                seg.kfree()
        for p in pages:
            p.put()
