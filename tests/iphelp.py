"""Helpers for the IPv4 fragmentation and reassembly tests: datagrams built
by scapy, skbs in the layouts the kernel hands to ip_fragment / ip_defrag,
an RFC 1071 checksum written here, and the vector files.

``lib`` arguments take ``skb`` (the engine) or ``skb.testing.model`` (the
twin): both have alloc_skb, alloc_page and the same SkBuff methods.
"""

from __future__ import annotations

import struct
from pathlib import Path

from scapy.layers.inet import IP, UDP
from scapy.packet import Raw
from scapy.utils import rdpcap
from skbhelp import ones

VECTORS = Path(__file__).resolve().parent / "vectors" / "ipfrag"
ETH_HLEN = 14
NET_SKB_PAD = 64
SRC, DST = "192.0.2.1", "198.51.100.7"


def header_ok(hdr: bytes) -> bool:
    return ones(hdr) == 0xFFFF


def pattern(n: int, seed: int = 0) -> bytes:
    """n distinctive bytes, so a misplaced copy shows."""
    return bytes((seed * 31 + i * 7 + (i >> 8)) & 0xFF for i in range(n))


def datagram(payload_len: int, *, ident: int = 0x1234, df: bool = False, tos: int = 0,
             options: bytes = b"", udp: bool = True, seed: int = 0, ttl: int = 64) -> bytes:
    """An IPv4 datagram from scapy: UDP (checksum set) carrying pattern bytes
    so the whole IP payload is payload_len bytes, or raw bytes of protocol
    253 when udp is False."""
    ip = IP(src=SRC, dst=DST, id=ident, tos=tos, ttl=ttl, flags="DF" if df else 0)
    if options:
        ip.options = options
    if udp:
        return bytes(ip / UDP(sport=4000, dport=5000) / Raw(pattern(payload_len - 8, seed)))
    ip.proto = 253
    return bytes(ip / Raw(pattern(payload_len, seed)))


def linear(lib, data: bytes, headroom: int = NET_SKB_PAD):
    """An IPv4 packet as the output path holds it: data at its header."""
    s = lib.alloc_skb(len(data) + headroom)
    s.reserve(headroom)
    s.put_data(data)
    s.reset_network_header()
    s.protocol = 0x0800
    return s


def paged(lib, data: bytes, head: int, chunk: int = 1000, headroom: int = NET_SKB_PAD):
    """head bytes linear (the header at least), the rest in page frags."""
    s = linear(lib, data[:head], headroom)
    for i, at in enumerate(range(head, len(data), chunk)):
        piece = data[at:at + chunk]
        p = lib.alloc_page()
        p.data[:len(piece)] = piece
        s.add_rx_frag(i, p, 0, len(piece), 4096)
    return s


def member(lib, data: bytes, headroom: int = NET_SKB_PAD):
    """A frag_list member: data at its payload, headroom in front."""
    m = lib.alloc_skb(len(data) + headroom)
    m.reserve(headroom)
    m.put_data(data)
    return m


def fraglist(lib, data: bytes, first: int, sizes, member_headroom: int = NET_SKB_PAD,
             head_headroom: int = NET_SKB_PAD):
    """The header and first payload bytes linear, the rest in frag_list
    members of the given sizes (the last takes what is left)."""
    s = linear(lib, data[:first], head_headroom)
    at = first
    for n in list(sizes) + [len(data)]:
        if at >= len(data):
            break
        piece = data[at:at + n] if n else b""
        s.frag_list_append(member(lib, piece, member_headroom))
        at += len(piece)
    return s


def received(lib, frame: bytes, l2: int = ETH_HLEN, headroom: int = NET_SKB_PAD):
    """A frame as a driver and eth_type_trans leave it: mac header at the
    start, the link layer pulled, data and network header at IPv4."""
    s = lib.alloc_skb(len(frame) + headroom)
    s.reserve(headroom)
    s.put_data(frame)
    s.reset_mac_header()
    s.pull(l2)
    s.reset_network_header()
    s.protocol = 0x0800
    return s


def fragments_of(data: bytes, sizes) -> list[bytes]:
    """Cut the datagram data into IPv4 fragments of the given payload sizes
    (the last gets the rest), written here: header copied, offset, MF,
    total length, checksum."""
    ihl = (data[0] & 0x0F) * 4
    hdr, payload = bytearray(data[:ihl]), data[ihl:]
    flags = struct.unpack_from("!H", hdr, 6)[0] & 0x4000
    out, at = [], 0
    sizes = list(sizes)
    while at < len(payload):
        n = sizes.pop(0) if sizes else len(payload) - at
        piece = payload[at:at + n]
        last = at + n >= len(payload)
        out.append(fragment_bytes(hdr, at, piece, more=not last, flags=flags))
        at += len(piece)
    return out


def fragment_bytes(hdr: bytes, offset: int, piece: bytes, *, more: bool, flags: int = 0) -> bytes:
    """One fragment: hdr with offset (bytes, a multiple of 8), MF, lengths."""
    h = bytearray(hdr)
    struct.pack_into("!H", h, 2, len(h) + len(piece))
    struct.pack_into("!H", h, 6, flags | (0x2000 if more else 0) | (offset >> 3))
    struct.pack_into("!H", h, 10, 0)
    struct.pack_into("!H", h, 10, 0xFFFF - ones(bytes(h)))
    return bytes(h) + piece


def dissect(frags) -> list[IP]:
    """Each fragment skb as scapy sees its bytes."""
    return [IP(f.to_bytes()) for f in frags]


def free_all(items) -> None:
    for s in items:
        s.kfree()


def hexfile(name: str) -> bytes:
    return bytes.fromhex((VECTORS / name).read_text().strip())


def pcap(name: str) -> list[bytes]:
    return [bytes(p) for p in rdpcap(str(VECTORS / name))]


def shape(s) -> dict:
    """What must agree between the engine and the twin, deeply."""
    return dict(
        len=s.len, data_len=s.data_len, headlen=s.headlen, headroom=s.headroom,
        end=s.end_offset, truesize=s.truesize, ip_summed=s.ip_summed,
        csum=s.csum if s.ip_summed == 2 else None, network=s.network_header,
        transport=s.transport_header, mac=s.mac_header, cb=s.cb, users=s.users,
        cloned=s.is_cloned(), bytes=s.to_bytes(),
        frags=[(f.offset, f.size) for f in s.frags],
        members=[shape(m) for m in s.frag_list])
