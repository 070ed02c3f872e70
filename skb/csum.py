"""The Internet checksum helpers, with the kernel's generic semantics.

Partial sums (``__wsum``) are 32-bit ints exactly as the kernel's generic
``lib/checksum.c`` computes them on a little-endian machine; folded
checksums (``__sum16``) are native u16 values: store them with
``struct.pack_into("<H", ...)`` (or ``int.to_bytes(2, "little")``) to get
the bytes a packet carries.
"""

from __future__ import annotations

import operator

from ._engine import ffi, lib


def _int(value) -> int:
    return value if type(value) is int else operator.index(value)


def _buffer(data):
    return data if type(data) is bytes else ffi.from_buffer(data)


def csum_partial(data, csum: int = 0) -> int:
    """Partial sum of the bytes, continuing ``csum``."""
    return lib.csum_partial(_buffer(data), len(memoryview(data).cast("B")), _int(csum))


def csum_add(csum: int, addend: int) -> int:
    """Add two partial sums (end-around carry)."""
    return lib.csum_add(_int(csum), _int(addend))


def csum_sub(csum: int, addend: int) -> int:
    """Subtract a partial sum."""
    return lib.csum_sub(_int(csum), _int(addend))


def csum_block_add(csum: int, csum2: int, offset: int) -> int:
    """Add the partial sum of a block starting at ``offset`` (odd swaps bytes)."""
    return lib.csum_block_add(_int(csum), _int(csum2), _int(offset))


def csum_fold(csum: int) -> int:
    """Fold a partial sum to the complemented 16-bit checksum (native u16)."""
    return lib.csum_fold(_int(csum))


def _address(name: str, value: bytes, size: int = 4) -> bytes:
    value = bytes(memoryview(value).cast("B"))
    if len(value) != size:
        raise ValueError(f"{name} must be {size} bytes (an IPv{4 if size == 4 else 6} "
                         f"address), not {len(value)}")
    return value


def csum_tcpudp_nofold(saddr: bytes, daddr: bytes, length: int, proto: int,
                       csum: int = 0) -> int:
    """Add the IPv4 pseudo-header (addresses as 4 network-order bytes)."""
    return lib.csum_tcpudp_nofold(_address("saddr", saddr), _address("daddr", daddr),
                                  _int(length), _int(proto), _int(csum))


def csum_tcpudp_magic(saddr: bytes, daddr: bytes, length: int, proto: int,
                      csum: int = 0) -> int:
    """The folded TCP/UDP checksum including the IPv4 pseudo-header."""
    return lib.csum_tcpudp_magic(_address("saddr", saddr), _address("daddr", daddr),
                                 _int(length), _int(proto), _int(csum))


def csum_ipv6_magic(saddr: bytes, daddr: bytes, length: int, proto: int,
                    csum: int = 0) -> int:
    """The folded TCP/UDP checksum including the IPv6 pseudo-header
    (addresses as 16 network-order bytes)."""
    return lib.csum_ipv6_magic(_address("saddr", saddr, 16), _address("daddr", daddr, 16),
                               _int(length), _int(proto), _int(csum))


def ip_fast_csum(header) -> int:
    """The IPv4 header checksum of ``header`` (0 when it is valid)."""
    view = memoryview(header).cast("B")
    if len(view) % 4:
        raise ValueError(f"an IPv4 header is whole 32-bit words, not {len(view)} bytes")
    return lib.ip_fast_csum(_buffer(header), len(view) // 4)


__all__ = ["csum_add", "csum_block_add", "csum_fold", "csum_ipv6_magic", "csum_partial",
           "csum_sub", "csum_tcpudp_magic", "csum_tcpudp_nofold", "ip_fast_csum"]
