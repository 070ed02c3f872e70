"""IPv4 fragmentation against tunnel GSO for a jumbo packet crossing a
1500-byte path through VXLAN, and reassembly of a 45-fragment datagram:
the engine against the pure-Python twin (skb.testing.model_ip).

The inner packet: Ethernet / IPv4 / TCP, 9000 bytes from the IPv4 header
on (8960 bytes of payload).  VXLAN over IPv4 adds 50 bytes, so the outer
IPv4 packet is 9050 bytes.  Per 9000-byte packet, timed from the
encapsulated packet to the packets for the wire:

* fragmentation: the packet is not GSO, its inner TCP checksum done; the
  outer IPv4 packet is cut by ``skb.ip.fragment(s, 1500)`` - 7 fragments
  (the slow path: a fresh skb per fragment, the payload copied);
* tunnel GSO: the inner packet is a TSO super-packet (CHECKSUM_PARTIAL,
  gso_size 1410 so every outer packet is 1500 bytes at most) and
  ``skb.gso_segment`` makes 7 VXLAN packets - with SG|HW_CSUM (the device
  finishes the inner TCP checksums) and with SG only (in software) - then
  the original is consumed, as validate_xmit_skb does (fragmentation
  consumes it too).

Reassembly: a 65535-byte datagram cut at MTU 1500 is 45 fragments (the
kernel's "A 64K fragment" case); timed: the 45 ``defrag`` calls, in order
and reversed, until the datagram comes out.

Inputs are built before each round and results freed after it, outside
the timed part.

Run:   python -m pytest bench/test_ip_fragment.py --benchmark-only \\
           --benchmark-json=ipfrag.json
       python bench/report.py ipfrag.json
"""

from __future__ import annotations

import contextlib
import random
import struct

import pytest

import skb
from skb import CHECKSUM_PARTIAL, NETIF_F, SKB_GSO, ip
from skb.testing import model, model_ip
from skb.tunnel import TunnelTemplate

MTU = 1500
INNER = 9000                          # inner IPv4 packet
MSS = MTU - 50 - 20 - 20              # 1410: outer headers, inner IPv4 and TCP
PAYLOAD = random.Random(9).randbytes(INNER - 40)
NFRAGS = 7                            # 9050 - 20 = 9030 bytes: 6 * 1480 + 150
NSEGS = -(-len(PAYLOAD) // MSS)       # 7
ROUNDS = {"engine": 2000, "twin": 30}
SADDR, DADDR = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])


def _sum16(data: bytes, acc: int = 0) -> int:
    if len(data) & 1:
        data += b"\0"
    acc += sum(struct.unpack(f"!{len(data) // 2}H", data))
    while acc >> 16:
        acc = (acc & 0xFFFF) + (acc >> 16)
    return acc


def _ipv4(length: int, proto: int, ident: int, src=SADDR, dst=DADDR, frag_off=0) -> bytes:
    hdr = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, length, ident, frag_off, 64, proto,
                                0, src, dst))
    hdr[10:12] = (0xFFFF - _sum16(bytes(hdr))).to_bytes(2, "big")
    return bytes(hdr)


def _inner(partial: bool) -> bytes:
    """Inner Ethernet / IPv4 / TCP; the TCP checksum complete, or the
    pseudo-header seed TCP leaves for the device (partial)."""
    eth = bytes.fromhex("020000000102" "020000000101" "0800")
    tcp_len = 20 + len(PAYLOAD)
    seed = _sum16(SADDR + DADDR, 6 + tcp_len)
    tcp = bytearray(struct.pack("!HHIIBBHHH", 40000, 80, 1, 0, 5 << 4, 0x18, 512, 0, 0))
    if partial:
        tcp[16:18] = seed.to_bytes(2, "big")
    else:
        tcp[16:18] = (0xFFFF - _sum16(bytes(tcp) + PAYLOAD, seed)).to_bytes(2, "big")
    return eth + _ipv4(INNER, 6, 0x4242) + bytes(tcp)


def _vxlan() -> TunnelTemplate:
    outer = (bytes.fromhex("0200000000bb" "0200000000aa" "0800") +
             _ipv4(0, 17, 0, bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])) +
             struct.pack("!HHHH", 0, 4789, 0, 0) + bytes.fromhex("0800000000002a00"))
    return TunnelTemplate(outer, 14, 34, udp=True, gso_type=int(SKB_GSO.UDP_TUNNEL), ip_id=7)


TEMPLATE = _vxlan()


def encapsulated(gso: bool) -> skb.SkBuff:
    """The inner packet pushed into VXLAN (tnl_push).  For fragmentation the
    outer Ethernet header is pulled - data at the outer IPv4 header, as
    ip_fragment takes it; GSO keeps data at the outer mac header."""
    hdr = _inner(partial=gso)
    s = skb.alloc_skb(128 + len(hdr) + len(PAYLOAD))
    s.reserve(128)
    s.put_data(hdr)
    s.put_data(PAYLOAD)
    s.protocol = 0x0800
    s.reset_mac_header()
    s.set_network_header(14)
    s.set_transport_header(34)
    if gso:
        s.ip_summed = CHECKSUM_PARTIAL
        s.csum_start = s.transport_header
        s.csum_offset = 16
        s.gso_size = MSS
        s.gso_segs = NSEGS
        s.gso_type = int(SKB_GSO.TCPV4)
    s.tnl_push(TEMPLATE)
    if not gso:
        s.pull(14)
    return s


OUTER_PACKET = None


def outer_packet() -> bytes:
    """The 9050-byte outer IPv4 packet the fragmentation cuts."""
    global OUTER_PACKET
    if OUTER_PACKET is None:
        s = encapsulated(gso=False)
        OUTER_PACKET = s.to_bytes()
        s.kfree()
    return OUTER_PACKET


def twin_packet() -> model.SkBuff:
    data = outer_packet()
    s = model.alloc_skb(128 + len(data))
    s.reserve(128)
    s.put_data(data)
    s.reset_network_header()
    s.protocol = 0x0800
    return s


def _free(items) -> None:
    for g in items:
        g.kfree()


def _free_left(live: list) -> None:
    """After a failure: free whatever Python still owns (inputs the call
    consumed raise, and are skipped)."""
    while live:
        item = live.pop()
        for g in item if isinstance(item, (list, skb.SegmentList)) else [item]:
            with contextlib.suppress(skb.SkbError):
                g.kfree()


def _run(benchmark, rounds: int, make, target, check) -> None:
    """Correctness once, then the timing; whatever is left is freed."""
    live: list = []

    def setup():
        s = make()
        live.append(s)
        return (s,), {}

    def run(s):
        out = target(s)
        live.append(out)
        return out

    def teardown(s):
        out = live.pop()
        _free(out)
        live.pop()

    try:
        args, _ = setup()
        check(run(*args))
        teardown(*args)
        benchmark.pedantic(run, setup=setup, teardown=teardown, rounds=rounds,
                           warmup_rounds=2, iterations=1)
    finally:
        _free_left(live)


# ---------------------------------------------------------------- 9000 bytes

def _check_fragments(frags) -> None:
    frames = [g.to_bytes() for g in frags]
    assert len(frames) == NFRAGS and all(len(f) <= MTU for f in frames)
    assert b"".join(f[20:] for f in frames) == outer_packet()[20:]
    assert all(_sum16(f[:20]) == 0xFFFF for f in frames)


@pytest.mark.parametrize("variant", ["engine", "twin"])
def test_vxlan_9000_fragmentation(benchmark, variant):
    benchmark.group = "VXLAN 9000 B over MTU 1500: IP fragmentation (7 fragments)"
    if variant == "engine":
        make, fragment = (lambda: encapsulated(gso=False)), ip.fragment
    else:
        make, fragment = twin_packet, model_ip.fragment
    _run(benchmark, ROUNDS[variant], make, lambda s: fragment(s, MTU), _check_fragments)


def _check_segments(features):
    def check(segs) -> None:
        assert len(segs) == NSEGS
        data = b""
        for k, g in enumerate(segs):
            if g.ip_summed == CHECKSUM_PARTIAL:
                assert features & NETIF_F.HW_CSUM
                g.checksum_help()
            f = g.to_bytes()
            assert len(f) - 14 <= MTU and _sum16(f[14:34]) == 0xFFFF
            inner_tcp = f[14 + 50 + 20:]
            assert _sum16(inner_tcp, _sum16(SADDR + DADDR, 6 + len(inner_tcp))) == 0xFFFF
            data += inner_tcp[20:]
        assert data == PAYLOAD
    return check


GSO_CASES = {
    "SG|HW_CSUM": NETIF_F.SG | NETIF_F.HW_CSUM,
    "SG, software csum": NETIF_F.SG,
}


@pytest.mark.parametrize("variant", ["engine"])     # the twin segments no tunnels yet
@pytest.mark.parametrize("case", list(GSO_CASES))
def test_vxlan_9000_tunnel_gso(benchmark, case, variant):
    features = GSO_CASES[case]
    benchmark.group = f"VXLAN 9000 B over MTU 1500: tunnel GSO {case} (7 segments)"
    def segment(s):
        segs = skb.gso_segment(s, features)
        s.consume()
        return segs

    _run(benchmark, ROUNDS[variant], lambda: encapsulated(gso=True), segment,
         _check_segments(features))


# ---------------------------------------------------------------- 45 fragments

DATAGRAM_PAYLOAD = random.Random(45).randbytes(65535 - 20)
DATAGRAM = _ipv4(65535, 17, 0x4545) + DATAGRAM_PAYLOAD
ETH = bytes.fromhex("020000000002" "020000000001" "0800")


def _fragment_frames() -> list[bytes]:
    frames, at = [], 0
    while at < len(DATAGRAM_PAYLOAD):
        piece = DATAGRAM_PAYLOAD[at:at + 1480]
        more = at + len(piece) < len(DATAGRAM_PAYLOAD)
        frames.append(ETH + _ipv4(20 + len(piece), 17, 0x4545,
                                  frag_off=(0x2000 if more else 0) | at >> 3) + piece)
        at += len(piece)
    return frames


FRAMES = _fragment_frames()
ORDERS = {"in order": list(range(len(FRAMES))),
          "reversed": list(reversed(range(len(FRAMES))))}


def _received(lib, order):
    out = []
    for i in order:
        s = lib.alloc_skb(64 + len(FRAMES[i]))
        s.reserve(64)
        s.put_data(FRAMES[i])
        s.reset_mac_header()
        s.pull(14)
        s.reset_network_header()
        s.protocol = 0x0800
        out.append(s)
    return out


@pytest.mark.parametrize("variant", ["engine", "twin"])
@pytest.mark.parametrize("order", list(ORDERS))
def test_reassembly_of_45_fragments(benchmark, variant, order):
    assert len(FRAMES) == 45
    benchmark.group = f"reassembly of 45 fragments ({order})"
    lib, mod = (skb, ip) if variant == "engine" else (model, model_ip)
    q = mod.DefragQueue()
    live: list = []

    def setup():
        frags = _received(lib, ORDERS[order])
        live.append(frags)
        return (frags,), {}

    def run(frags):
        for s in frags:
            out = q.defrag(s, 0)
        live.append([out])
        return out

    def teardown(frags):
        _free(live.pop())
        live.pop()

    try:
        args, _ = setup()
        d = run(*args)
        assert d.to_bytes() == DATAGRAM and len(d.frag_list) == 44
        teardown(*args)
        benchmark.pedantic(run, setup=setup, teardown=teardown,
                           rounds=ROUNDS[variant] // 4 or 10, warmup_rounds=1, iterations=1)
    finally:
        _free_left(live)
        q.close()
