"""The twin's flow hash, checksum offload helpers and tunnel header push:
``skb_get_hash``, ``udp_flow_src_port``, ``skb_ensure_writable``,
``skb_checksum_help``, ``lco_csum``, ``iptunnel_handle_offloads`` and the
header-template push, written plainly over the twin's ``SkBuff``.

Kept apart from ``model.py`` (as ``model_gso.py`` is); the twin's methods
of the same names delegate here.  Semantics, as the engine documents them:

* the flow hash is lookup3 (the kernel's jhash) over the key
  ``(ethertype << 16 | ip_proto, sport << 16 | dport, saddr, daddr)`` as
  little-endian words then the address bytes, the lower address (then the
  lower port) first so both directions agree, seeded with
  ``skb.flow.FLOW_HASH_SEED``; ports only for unfragmented TCP/UDP; never 0
  for a flow; cached with ``sw_hash`` (and ``l4_hash`` when ports counted);
* folded checksums are native little-endian u16, as in ``model``.
"""

from __future__ import annotations

import errno
import struct

from ..errors import SkbBug, SkbFault, SkbSegmentError
from . import model as _m

FLOW_HASH_SEED = 0x5EED5EED
JHASH_INITVAL = 0xDEADBEEF
_M32 = 0xFFFFFFFF
_S32_MAX = 0x7FFFFFFF

ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
IPPROTO_TCP = 6
IPPROTO_UDP = 17
SKB_GSO_GRE = 1 << 6
SKB_GSO_GRE_CSUM = 1 << 7
CSUM_MANGLED_0 = 0xFFFF

_u16le = struct.Struct("<H")
_be16 = struct.Struct("!H")
_be32 = struct.Struct("!I")


# ----------------------------------------------------------------------
# jhash (lookup3's hashlittle)

def _rol(x: int, k: int) -> int:
    return ((x << k) | (x >> (32 - k))) & _M32


def jhash(data: bytes, initval: int) -> int:
    n = len(data)
    a = b = c = (JHASH_INITVAL + n + initval) & _M32
    pos = 0
    while n > 12:
        x, y, z = struct.unpack_from("<3I", data, pos)
        a, b, c = (a + x) & _M32, (b + y) & _M32, (c + z) & _M32
        a = (a - c) & _M32; a ^= _rol(c, 4); c = (c + b) & _M32    # noqa: E702
        b = (b - a) & _M32; b ^= _rol(a, 6); a = (a + c) & _M32    # noqa: E702
        c = (c - b) & _M32; c ^= _rol(b, 8); b = (b + a) & _M32    # noqa: E702
        a = (a - c) & _M32; a ^= _rol(c, 16); c = (c + b) & _M32   # noqa: E702
        b = (b - a) & _M32; b ^= _rol(a, 19); a = (a + c) & _M32   # noqa: E702
        c = (c - b) & _M32; c ^= _rol(b, 4); b = (b + a) & _M32    # noqa: E702
        pos += 12
        n -= 12
    if n == 0:
        return c
    x, y, z = struct.unpack("<3I", data[pos:] + bytes(12 - n))
    a, b, c = (a + x) & _M32, (b + y) & _M32, (c + z) & _M32
    c ^= b; c = (c - _rol(b, 14)) & _M32   # noqa: E702
    a ^= c; a = (a - _rol(c, 11)) & _M32   # noqa: E702
    b ^= a; b = (b - _rol(a, 25)) & _M32   # noqa: E702
    c ^= b; c = (c - _rol(b, 16)) & _M32   # noqa: E702
    a ^= c; a = (a - _rol(c, 4)) & _M32    # noqa: E702
    b ^= a; b = (b - _rol(a, 14)) & _M32   # noqa: E702
    c ^= b; c = (c - _rol(b, 24)) & _M32   # noqa: E702
    return c


# ----------------------------------------------------------------------
# skb_get_hash, udp_flow_src_port

def _read(s, offset: int, n: int):
    """n packet bytes at offset from data, or None outside the packet."""
    if offset < 0 or offset > _S32_MAX:
        return None
    try:
        return s._copy_bits(offset, n)
    except (SkbFault, SkbBug):
        return None


def _flow_keys(s):
    """(key bytes, ports) of the packet's flow, or None."""
    nhoff = s.network_header - s.data_offset
    if s.protocol == ETH_P_IP:
        hdr = _read(s, nhoff, 20)
        if hdr is None or hdr[0] >> 4 != 4 or hdr[0] & 0x0F < 5:
            return None
        ip_proto = hdr[9]
        fragment = _be16.unpack_from(hdr, 6)[0] & 0x3FFF
        saddr, daddr = hdr[12:16], hdr[16:20]
        thoff = nhoff + (hdr[0] & 0x0F) * 4
    elif s.protocol == ETH_P_IPV6:
        hdr = _read(s, nhoff, 40)
        if hdr is None or hdr[0] >> 4 != 6:
            return None
        ip_proto = hdr[6]
        fragment = False
        saddr, daddr = hdr[8:24], hdr[24:40]
        thoff = nhoff + 40
    else:
        return None
    ports = 0
    if not fragment and ip_proto in (IPPROTO_TCP, IPPROTO_UDP):
        raw = _read(s, thoff, 4)
        if raw is not None:
            ports = _be32.unpack(raw)[0]
    if saddr > daddr or (saddr == daddr and (ports >> 16) > (ports & 0xFFFF)):
        saddr, daddr = daddr, saddr
        ports = ((ports << 16) | (ports >> 16)) & _M32
    key = struct.pack("<II", s.protocol << 16 | ip_proto, ports) + saddr + daddr
    return key, ports


def get_hash(s) -> int:
    if s.sw_hash or s.l4_hash:
        return s.hash
    found = _flow_keys(s)
    if found is None:
        return 0
    key, ports = found
    h = jhash(key, FLOW_HASH_SEED) or 1
    s.hash = h
    s.sw_hash = 1
    s.l4_hash = 1 if ports else 0
    return h


def udp_flow_src_port(s, lo: int, hi: int, use_eth: bool) -> int:
    if lo >= hi:
        lo, hi = 32768, 60999
    if lo < 0 or hi > 65536:
        raise ValueError(f"udp_flow_src_port: [{lo}, {hi}) is no port range")
    h = get_hash(s)
    if not h:
        h = FLOW_HASH_SEED
        eth = _read(s, 0, 12) if use_eth else None
        if eth is not None:
            # the kernel seeds with the big-endian protocol field read natively
            h = jhash(eth, ((s.protocol & 0xFF) << 8) | (s.protocol >> 8))
    h = (h ^ (h << 16)) & _M32
    return ((h * (hi - lo)) >> 32) + lo


# ----------------------------------------------------------------------
# checksum offload helpers

def ensure_writable(s, n: int) -> None:
    if not s.may_pull(n):
        raise MemoryError(f"skb_ensure_writable: {n} bytes asked of a {s.len}-byte packet "
                          f"(-ENOMEM)" if n > s.len else "skb_ensure_writable: -ENOMEM")
    if not s._cloned or (not s.header_cloned() and s.data_offset + n <= s.hdr_len):
        return
    s.expand_head(0, 0)


def checksum_help(s) -> None:
    if s.ip_summed != _m.CHECKSUM_PARTIAL:
        if s.ip_summed == _m.CHECKSUM_COMPLETE:
            s.ip_summed = _m.CHECKSUM_NONE
        return
    if s._head.gso_size:
        raise SkbSegmentError(errno.EINVAL, "skb_checksum_help: EINVAL (a GSO skb must be "
                              "segmented first)")
    offset = s.csum_start - s.data_offset
    if offset < 0 or offset >= s.headlen or offset + s.csum_offset + 2 > s.headlen:
        raise SkbBug("skb_checksum_help: csum_start/csum_offset point outside the linear data")
    csum = s._checksum(offset, s.len - offset, 0)
    offset += s.csum_offset
    ensure_writable(s, offset + 2)
    folded = _m.csum_fold(csum)
    s._head.buf[s._data + offset:s._data + offset + 2] = _u16le.pack(folded or CSUM_MANGLED_0)
    s.ip_summed = _m.CHECKSUM_NONE


def lco_csum(s) -> int:
    l4, start = s.transport_header, s.csum_start
    if s.ip_summed != _m.CHECKSUM_PARTIAL or l4 is None or l4 > start or \
            start + s.csum_offset + 2 > s.tail_offset:
        raise SkbBug("lco_csum: csum_start/csum_offset point outside the linear data")
    buf = s._head.buf
    seed = _u16le.unpack_from(buf, start + s.csum_offset)[0]
    return _m.csum_partial(bytes(buf[l4:start]), ~seed & _M32)


def iptunnel_handle_offloads(s, gso_type: int) -> None:
    if not s.encapsulation:
        s.reset_inner_headers()
        s.encapsulation = 1
    if s._head.gso_size:
        if s.header_cloned():
            s.expand_head(0, 0)
        s._head.gso_type |= gso_type
        return
    if s.ip_summed != _m.CHECKSUM_PARTIAL:
        s.ip_summed = _m.CHECKSUM_NONE
        s.encapsulation = 0


# ----------------------------------------------------------------------
# the header-template push

def _inner_ip_facts(s) -> tuple[int, bool]:
    """The inner packet's DS field and DF bit."""
    nhoff = s.network_header - s.data_offset
    hdr = _read(s, nhoff, 4)
    if hdr is None:
        return 0, False
    if s.protocol == ETH_P_IP and hdr[0] >> 4 == 4:
        frag = _read(s, nhoff + 6, 2)
        return hdr[1], frag is not None and bool(_be16.unpack(frag)[0] & 0x4000)
    if s.protocol == ETH_P_IPV6 and hdr[0] >> 4 == 6:
        return ((hdr[0] << 4) | (hdr[1] >> 4)) & 0xFF, True
    return 0, False


def _ecn_encapsulate(outer: int, inner: int) -> int:
    ecn = inner & 3
    return (outer & ~3 & 0xFF) | (2 if ecn == 3 else ecn)


def csum_ipv6_magic(saddr: bytes, daddr: bytes, length: int, proto: int, csum: int) -> int:
    total = csum
    for addr in (saddr, daddr):
        for word in struct.unpack("<4I", addr):
            total = _m.csum_add(total, word)
    total = _m.csum_add(total, int.from_bytes(length.to_bytes(4, "big"), "little"))
    total = _m.csum_add(total, int.from_bytes(proto.to_bytes(4, "big"), "little"))
    return _m.csum_fold(total)


def _outer_pseudo(hdr: memoryview, t, length: int, proto: int, csum: int) -> int:
    """The outer pseudo-header's folded, uncomplemented sum (native u16)."""
    nh = t.l3_offset
    if "ipv6" in t.options:
        return csum_ipv6_magic(bytes(hdr[nh + 8:nh + 24]), bytes(hdr[nh + 24:nh + 40]),
                               length, proto, csum)
    return _m.csum_tcpudp_magic(bytes(hdr[nh + 12:nh + 16]), bytes(hdr[nh + 16:nh + 20]),
                                length, proto, csum)


def _fix_udp(s, hdr: memoryview, t, sport: int) -> None:
    uh = t.l4_offset
    length = s.len - uh
    _be16.pack_into(hdr, uh, sport)
    _be16.pack_into(hdr, uh + 4, length & 0xFFFF)
    hdr[uh + 6:uh + 8] = b"\0\0"
    if "csum" not in t.options:
        return
    if s._head.gso_size:
        check = ~_outer_pseudo(hdr, t, length, IPPROTO_UDP, 0) & 0xFFFF
    elif s.ip_summed == _m.CHECKSUM_PARTIAL:
        check = _outer_pseudo(hdr, t, length, IPPROTO_UDP, lco_csum(s)) or CSUM_MANGLED_0
    else:
        s.ip_summed = _m.CHECKSUM_PARTIAL
        s.csum_start = s.transport_header
        s.csum_offset = 6
        check = ~_outer_pseudo(hdr, t, length, IPPROTO_UDP, 0) & 0xFFFF
    _u16le.pack_into(hdr, uh + 6, check)


def _fix_gre(s, hdr: memoryview, t) -> None:
    greh = t.l4_offset
    if t.seq_offset:
        _be32.pack_into(hdr, greh + t.seq_offset, t.seq)
        t.seq = (t.seq + 1) & _M32
    if "csum" not in t.options or s._head.gso_type & (SKB_GSO_GRE | SKB_GSO_GRE_CSUM):
        return
    hdr[greh + 4:greh + 8] = bytes(4)
    if s.ip_summed == _m.CHECKSUM_PARTIAL:
        _u16le.pack_into(hdr, greh + 4, _m.csum_fold(lco_csum(s)))
    else:
        s.ip_summed = _m.CHECKSUM_PARTIAL
        s.csum_start = s.transport_header
        s.csum_offset = 4


def _fix_ipv4(s, hdr: memoryview, t, dsfield: int, df: bool) -> None:
    nh = t.l3_offset
    _be16.pack_into(hdr, nh + 2, (s.len - nh) & 0xFFFF)
    if "ecn" in t.options:
        hdr[nh + 1] = _ecn_encapsulate(hdr[nh + 1], dsfield)
    if "df_inherit" in t.options and df:
        hdr[nh + 6] |= 0x40
    _be16.pack_into(hdr, nh + 4, t.ip_id)
    t.ip_id = (t.ip_id + (s._head.gso_segs or 1)) & 0xFFFF
    ihl = (hdr[nh] & 0x0F) * 4
    hdr[nh + 10:nh + 12] = b"\0\0"
    _u16le.pack_into(hdr, nh + 10, _m.ip_fast_csum(bytes(hdr[nh:nh + ihl])))


def _fix_ipv6(s, hdr: memoryview, t, dsfield: int) -> None:
    nh = t.l3_offset
    _be16.pack_into(hdr, nh + 4, (s.len - nh - 40) & 0xFFFF)
    if "ecn" in t.options:
        tclass = _ecn_encapsulate(((hdr[nh] << 4) | (hdr[nh + 1] >> 4)) & 0xFF, dsfield)
        hdr[nh] = (hdr[nh] & 0xF0) | (tclass >> 4)
        hdr[nh + 1] = (hdr[nh + 1] & 0x0F) | ((tclass << 4) & 0xF0)


def _check_consistent(s, op: str) -> None:
    """The engine's structural guard: data_len must equal the frag and
    frag_list bytes before any walk over them."""
    paged = sum(f.size for f in s.frags) + sum(m.len for m in s.frag_list)
    if s.data_len != paged:
        raise SkbBug(f"{op}: data_len {s.data_len} no longer matches the frags and "
                     f"frag_list ({paged} bytes)")


def tnl_push(s, t) -> None:
    _check_consistent(s, "skb_tnl_push")
    dsfield, df = _inner_ip_facts(s)
    options = t.options
    sport = udp_flow_src_port(s, t.sport_min, t.sport_max, True) if "udp" in options else 0
    header = t.header
    s.cow_head(len(header))
    s.reset_mac_header()
    iptunnel_handle_offloads(s, t.gso_type)
    s.inner_protocol = t.inner_protocol
    hdr = s.push(len(header))
    hdr[:] = header
    s.reset_mac_header()
    s.set_network_header(t.l3_offset)
    if "udp" in options or "gre" in options:
        s.set_transport_header(t.l4_offset)
    s._mac_len = t.l3_offset
    s.protocol = ETH_P_IPV6 if "ipv6" in options else ETH_P_IP
    if "ipv6" in options:
        _fix_ipv6(s, hdr, t, dsfield)
    if "udp" in options:
        _fix_udp(s, hdr, t, sport)
    if "gre" in options:
        _fix_gre(s, hdr, t)
    if "ipv6" not in options:
        _fix_ipv4(s, hdr, t, dsfield, df)
