"""Zero-copy header views over skb memory, declared by field tables.

A view is a (buffer, offset) pair: reading a field unpacks it from the
buffer, assigning a field packs it back in place.  Nothing is copied, so a
view over ``s.data`` edits the packet itself.  Each header class declares
its layout once, dpkt-style, as a table of ``(name, struct format)`` or
``(name, struct format, bit fields)`` rows; the bit fields split an integer
field into named parts, most significant first::

    class Udp(Header):
        fields = (("sport", "H"), ("dport", "H"), ("len", "H"), ("check", "H"))

All fields are in network byte order.  Address fields (``6s``, ``4s``,
``16s``) read as ``bytes`` and accept ``bytes`` or their text form
(``"02:00:00:00:00:01"``, ``"10.0.0.1"``, ``"2001:db8::1"``).

Getting a view:

* ``Udp(buf, offset)`` over any buffer (a memoryview of skb memory,
  a bytearray);
* ``Udp.at(s, offset)`` reads a header of an skb as ``skb_header_pointer``
  does: zero-copy (read-only) when the bytes are linear, a read-only copy
  when they sit in frags, ``None`` when the packet is too short;
* ``Udp.writable(s, offset)`` makes the first ``offset + len`` bytes linear
  and private (``skb_ensure_writable``, as the kernel does before it edits
  a header) and returns a writable view;
* ``Udp.push(s)`` pushes the header's bytes (``skb_push``) and returns a
  view over them; the caller made the headroom private first
  (``skb_cow_head``), else the view is read-only.

Writing through a view of memory shared with a clone raises ``TypeError``
(the memoryview is read-only): call ``ensure_writable``/``cow_head`` first,
as kernel code does.

Checksums are computed with the skb's own ``checksum`` (``skb_checksum``)
plus Python arithmetic for the pseudo-headers, so they work on nonlinear
packets and on either skb implementation.
"""

from __future__ import annotations

import ipaddress
import struct
from typing import Any, ClassVar, Iterator, Optional, TypeVar, Union

Buffer = Union[memoryview, bytearray, bytes]
H = TypeVar("H", bound="Header")

# ethertypes (host order)
ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
ETH_P_IPV6 = 0x86DD
ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
ETH_P_TEB = 0x6558  # transparent Ethernet bridging (gretap, VXLAN inner frames)
ETH_P_802_3_MIN = 0x0600  # below this the type field is a length (802.3)
ETH_P_802_3 = 0x0001  # what vlan_set_encap_proto calls raw 802.3 (IPX) frames
ETH_P_802_2 = 0x0004  # 802.2 LLC frames

ETH_HLEN = 14
ETH_ALEN = 6
VLAN_HLEN = 4

# IP protocol numbers
IPPROTO_ICMP = 1
IPPROTO_IPIP = 4  # IPv4 inside
IPPROTO_TCP = 6
IPPROTO_UDP = 17
IPPROTO_IPV6 = 41  # IPv6 inside
IPPROTO_GRE = 47
IPPROTO_ICMPV6 = 58

# IPv4 frag_off bits
IP_CE = 0x8000  # the "evil" reserved bit
IP_DF = 0x4000
IP_MF = 0x2000
IP_OFFSET = 0x1FFF

# ECN codepoints (low two bits of the TOS / traffic class)
INET_ECN_NOT_ECT = 0
INET_ECN_ECT_1 = 1
INET_ECN_ECT_0 = 2
INET_ECN_CE = 3
INET_ECN_MASK = 3

# TCP flag bits (the low 9 bits of the offset/flags word)
TCP_FIN = 0x001
TCP_SYN = 0x002
TCP_RST = 0x004
TCP_PSH = 0x008
TCP_ACK = 0x010
TCP_URG = 0x020
TCP_ECE = 0x040
TCP_CWR = 0x080
TCP_AE = 0x100  # accurate ECN (formerly NS)

# GRE flags/version word (RFC 2784, RFC 2890, RFC 2637)
GRE_CSUM = 0x8000  # C: checksum and reserved1 present
GRE_ROUTING = 0x4000  # R: routing present (deprecated; Linux refuses it)
GRE_KEY = 0x2000  # K: key present
GRE_SEQ = 0x1000  # S: sequence number present
GRE_STRICT = 0x0800  # s: strict source route
GRE_REC = 0x0700  # recursion control
GRE_ACK = 0x0080  # A: acknowledgment present (version 1, PPTP)
GRE_FLAGS = 0x0078  # reserved flag bits
GRE_VERSION = 0x0007

# VXLAN (RFC 7348) flag word bits and extensions
VXLAN_HF_VNI = 0x08000000  # I: the VNI is valid
VXLAN_HF_GBP = 0x80000000  # G: group based policy extension
VXLAN_HF_RCO = 0x00200000  # remote checksum offload
VXLAN_GBP_DONT_LEARN = 0x00400000
VXLAN_GBP_POLICY_APPLIED = 0x00080000


def _text_to_bytes(value: str, size: int) -> bytes:
    """An address in its text form as the bytes of a size-byte field."""
    if size == 6:
        parts = value.replace("-", ":").split(":")
        if len(parts) != 6:
            raise ValueError(f"not a MAC address: {value!r}")
        return bytes(int(p, 16) for p in parts)
    packed = ipaddress.ip_address(value).packed
    if len(packed) != size:
        raise ValueError(f"{value!r} is not a {size}-byte address")
    return packed


def mac_bytes(value: Union[str, bytes]) -> bytes:
    """A MAC address ("02:00:00:00:00:01" or 6 bytes) as 6 bytes."""
    if isinstance(value, str):
        return _text_to_bytes(value, 6)
    value = bytes(value)
    if len(value) != 6:
        raise ValueError(f"a MAC address is 6 bytes, not {len(value)}")
    return value


def ip_bytes(value: Union[str, bytes, ipaddress.IPv4Address, ipaddress.IPv6Address]) -> bytes:
    """An IPv4 or IPv6 address (text, address object or packed) as 4 or 16 bytes."""
    if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return value.packed
    if isinstance(value, str):
        return ipaddress.ip_address(value).packed
    value = bytes(value)
    if len(value) not in (4, 16):
        raise ValueError(f"an IP address is 4 or 16 bytes, not {len(value)}")
    return value


def mac_str(value: bytes) -> str:
    """6 bytes as "aa:bb:cc:dd:ee:ff"."""
    return ":".join(f"{b:02x}" for b in value)


def ip_str(value: bytes) -> str:
    """4 or 16 bytes as the address's text form."""
    return str(ipaddress.ip_address(bytes(value)))


def _plain_property(name: str, fmt: str, offset: int) -> property:
    st = struct.Struct("!" + fmt)
    unpack, pack = st.unpack_from, st.pack_into
    size = st.size
    is_bytes = fmt.endswith("s")

    def get(self):
        return unpack(self.buf, self.offset + offset)[0]

    if is_bytes:
        def set_(self, value):
            if isinstance(value, str):
                value = _text_to_bytes(value, size)
            elif len(value) != size:
                raise ValueError(f"{name} is {size} bytes, not {len(value)}")
            pack(self.buf, self.offset + offset, value)
    else:
        def set_(self, value):
            pack(self.buf, self.offset + offset, value)

    return property(get, set_, doc=f"{name} ({fmt}, bytes {offset}..{offset + size})")


def _bits_property(name: str, fmt: str, offset: int, shift: int, width: int) -> property:
    st = struct.Struct("!" + fmt)
    unpack, pack = st.unpack_from, st.pack_into
    mask = (1 << width) - 1

    def get(self):
        return (unpack(self.buf, self.offset + offset)[0] >> shift) & mask

    def set_(self, value):
        if not 0 <= value <= mask:
            raise ValueError(f"{name} is {width} bits: {value} does not fit")
        at = self.offset + offset
        word = unpack(self.buf, at)[0]
        pack(self.buf, at, (word & ~(mask << shift)) | (value << shift))

    return property(get, set_, doc=f"{name} ({width} bits at bit {shift} of a {fmt} field)")


class Header:
    """Base of the header views: a buffer and the offset of the header in it.

    Subclasses set ``fields``; ``size`` (the fixed part) and the field
    properties are derived from it.  ``hdr_len`` is the whole header's
    length (options included) for variable-length headers.
    """

    __slots__ = ("buf", "offset")
    fields: ClassVar[tuple] = ()
    size: ClassVar[int] = 0
    field_names: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "fields" not in cls.__dict__:
            return
        offset = 0
        names = []
        for row in cls.fields:
            name, fmt = row[0], row[1]
            width = struct.calcsize("!" + fmt)
            setattr(cls, name, _plain_property(name, fmt, offset))
            names.append(name)
            if len(row) > 2:
                shift = width * 8
                for bit_name, bits in row[2]:
                    shift -= bits
                    setattr(cls, bit_name, _bits_property(bit_name, fmt, offset, shift, bits))
                    names.append(bit_name)
                if shift != 0:
                    raise TypeError(f"{cls.__name__}.{name}: the bit fields do not "
                                    f"cover its {width * 8} bits")
            offset += width
        cls.size = offset
        cls.field_names = tuple(names)

    def __init__(self, buf: Buffer, offset: int = 0) -> None:
        if offset < 0 or offset + self.size > len(buf):
            raise ValueError(f"{type(self).__name__} needs {self.size} bytes at offset "
                             f"{offset} of a {len(buf)}-byte buffer")
        self.buf = buf
        self.offset = offset

    @property
    def hdr_len(self) -> int:
        """The header's length in bytes (the fixed size unless it has options)."""
        return self.size

    def __len__(self) -> int:
        return self.hdr_len

    def __bytes__(self) -> bytes:
        return bytes(self.buf[self.offset:self.offset + self.hdr_len])

    @property
    def readonly(self) -> bool:
        """Whether assigning fields would fail (memory shared with a clone)."""
        return memoryview(self.buf).readonly

    def as_dict(self) -> dict[str, Any]:
        """Every field and bit field by name."""
        return {name: getattr(self, name) for name in self.field_names}

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" if isinstance(v, bytes) else f"{k}={v:#x}"
                          if isinstance(v, int) and v > 9 else f"{k}={v!r}"
                          for k, v in self.as_dict().items())
        return f"{type(self).__name__}({shown})"

    # ------------------------------------------------------------------
    # views over an skb

    @classmethod
    def at(cls: type[H], s, offset: int = 0) -> Optional[H]:
        """skb_header_pointer: a read-only view of the header at offset from
        data (zero-copy when linear), or None when the packet is too short.
        A negative offset reads in front of data (a copy)."""
        view = _read(s, offset, cls.size)
        if view is None:
            return None
        h = cls(view, 0)
        n = h.hdr_len
        if n > cls.size:
            view = _read(s, offset, n)
            if view is None:
                return None
            h = cls(view, 0)
        return h

    @classmethod
    def writable(cls: type[H], s, offset: int = 0) -> H:
        """skb_ensure_writable, then a writable view of the header at offset
        (MemoryError when the packet is shorter, as the kernel's -ENOMEM)."""
        s.ensure_writable(offset + cls.size)
        h = cls(s.data, offset)
        n = h.hdr_len
        if n > cls.size:
            s.ensure_writable(offset + n)
            h = cls(s.data, offset)
        return h

    @classmethod
    def push(cls: type[H], s, n: Optional[int] = None) -> H:
        """skb_push the header's bytes (n, default the fixed size) and view them."""
        return cls(s.push(cls.size if n is None else n), 0)


def _read(s, offset: int, n: int) -> Optional[memoryview]:
    if offset >= 0:
        return s.header_pointer(offset, n)
    if -offset > s.headroom or offset + n > s.len:
        return None
    return memoryview(s.copy_bits(offset, n))


# ----------------------------------------------------------------------
# link layer

class Ethernet(Header):
    """struct ethhdr."""

    __slots__ = ()
    fields = (("dst", "6s"), ("src", "6s"), ("type", "H"))


class Vlan(Header):
    """struct vlan_hdr: the 4 bytes after an 802.1Q/802.1ad TPID."""

    __slots__ = ()
    fields = (
        ("tci", "H", (("pcp", 3), ("dei", 1), ("vid", 12))),
        ("type", "H"),
    )


class VlanEthernet(Header):
    """struct vlan_ethhdr: an Ethernet header with one tag."""

    __slots__ = ()
    fields = (
        ("dst", "6s"),
        ("src", "6s"),
        ("tpid", "H"),
        ("tci", "H", (("pcp", 3), ("dei", 1), ("vid", 12))),
        ("type", "H"),
    )


# ----------------------------------------------------------------------
# network layer

class IPv4(Header):
    """struct iphdr; ``hdr_len`` is ihl * 4 and ``options`` the bytes after
    the fixed 20."""

    __slots__ = ()
    fields = (
        ("ver_ihl", "B", (("version", 4), ("ihl", 4))),
        ("tos", "B", (("dscp", 6), ("ecn", 2))),
        ("len", "H"),
        ("id", "H"),
        ("frag_off", "H", (("rf", 1), ("df", 1), ("mf", 1), ("frag_offset", 13))),
        ("ttl", "B"),
        ("proto", "B"),
        ("check", "H"),
        ("src", "4s"),
        ("dst", "4s"),
    )

    @property
    def hdr_len(self) -> int:
        return (self.buf[self.offset] & 0x0F) * 4

    @property
    def options(self) -> memoryview:
        """The option bytes (a view; empty without options)."""
        return memoryview(self.buf)[self.offset + 20:self.offset + self.hdr_len]


class IPv6(Header):
    """struct ipv6hdr (extension headers are separate)."""

    __slots__ = ()
    fields = (
        ("ver_tc_flow", "I", (("version", 4), ("tclass", 8), ("flow", 20))),
        ("plen", "H"),
        ("nexthdr", "B"),
        ("hop_limit", "B"),
        ("src", "16s"),
        ("dst", "16s"),
    )


# ----------------------------------------------------------------------
# transport layer

class Udp(Header):
    """struct udphdr."""

    __slots__ = ()
    fields = (("sport", "H"), ("dport", "H"), ("len", "H"), ("check", "H"))


class Tcp(Header):
    """struct tcphdr; ``hdr_len`` is doff * 4, ``flags`` the 9 flag bits
    (TCP_FIN ... TCP_AE) and ``options`` the bytes after the fixed 20."""

    __slots__ = ()
    fields = (
        ("sport", "H"),
        ("dport", "H"),
        ("seq", "I"),
        ("ack_seq", "I"),
        ("off_flags", "H", (("doff", 4), ("res1", 3), ("flags", 9))),
        ("window", "H"),
        ("check", "H"),
        ("urg_ptr", "H"),
    )

    @property
    def hdr_len(self) -> int:
        return (self.buf[self.offset + 12] >> 4) * 4

    @property
    def options(self) -> memoryview:
        """The option bytes (a view; empty without options)."""
        return memoryview(self.buf)[self.offset + 20:self.offset + self.hdr_len]


class Icmp(Header):
    """struct icmphdr (type, code, checksum and the 4-byte rest)."""

    __slots__ = ()
    fields = (("type", "B"), ("code", "B"), ("check", "H"), ("rest", "I"))


def options(data: Buffer) -> list[tuple[int, bytes]]:
    """Split IPv4 or TCP options into (kind, value) pairs.  End of list (0)
    stops, no-operation (1) has no value; ValueError when an option runs
    past the end or has a length below 2."""
    data = bytes(data)
    out = []
    i = 0
    while i < len(data):
        kind = data[i]
        if kind == 0:
            break
        if kind == 1:
            out.append((1, b""))
            i += 1
            continue
        if i + 1 >= len(data) or data[i + 1] < 2 or i + data[i + 1] > len(data):
            raise ValueError(f"option {kind} at byte {i} is truncated or has a bad length")
        out.append((kind, data[i + 2:i + data[i + 1]]))
        i += data[i + 1]
    return out


# ----------------------------------------------------------------------
# tunnels

class Vxlan(Header):
    """struct vxlanhdr (RFC 7348): flag word (I = 0x08000000) and VNI word."""

    __slots__ = ()
    fields = (
        ("vx_flags", "I", (("flags", 8), ("reserved1", 24))),
        ("vx_vni", "I", (("vni", 24), ("reserved2", 8))),
    )


class VxlanGbp(Header):
    """The VXLAN group based policy layout (draft-smith-vxlan-group-policy)."""

    __slots__ = ()
    fields = (
        ("flags", "B", (("g", 1), ("r1", 3), ("i", 1), ("r2", 3))),
        ("gbp_flags", "B", (("r3", 1), ("dont_learn", 1), ("r4", 2),
                            ("policy_applied", 1), ("r5", 3))),
        ("policy_id", "H"),
        ("vx_vni", "I", (("vni", 24), ("reserved2", 8))),
    )


class Gre(Header):
    """The GRE base header (struct gre_base_hdr) and its optional words.

    Version 0 (RFC 2784/2890): checksum + reserved1 when C (or R), key when
    K, sequence number when S.  Version 1 (PPTP, RFC 2637): the key word is
    payload length + call id, then the sequence number when S and the
    acknowledgment number when A.  The optional fields read as None when
    absent; ``hdr_len`` follows the flags."""

    __slots__ = ()
    fields = (
        ("flags_version", "H", (("c", 1), ("r", 1), ("k", 1), ("s", 1), ("strict", 1),
                                ("recur", 3), ("a", 1), ("reserved0", 4), ("version", 3))),
        ("proto", "H"),
    )

    def _word(self, i: int) -> int:
        return _U32.unpack_from(self.buf, self.offset + 4 * i)[0]

    def _set_word(self, i: int, value: int) -> None:
        _U32.pack_into(self.buf, self.offset + 4 * i, value)

    def _slots(self) -> tuple[int, int, int, int]:
        """Word indexes of (checksum, key, seq, ack); 0 when absent."""
        f = _U16.unpack_from(self.buf, self.offset)[0]
        i = 1
        csum = key = seq = ack = 0
        if f & (GRE_CSUM | GRE_ROUTING):
            csum, i = i, i + 1
        if f & GRE_KEY:
            key, i = i, i + 1
        if f & GRE_SEQ:
            seq, i = i, i + 1
        if f & GRE_ACK and f & GRE_VERSION == 1:
            ack = i
        return csum, key, seq, ack

    @property
    def hdr_len(self) -> int:
        return 4 + 4 * sum(1 for i in self._slots() if i)

    @property
    def checksum(self) -> Optional[int]:
        i = self._slots()[0]
        return _U16.unpack_from(self.buf, self.offset + 4 * i)[0] if i else None

    @checksum.setter
    def checksum(self, value: int) -> None:
        i = self._present(0, "checksum")
        _U16.pack_into(self.buf, self.offset + 4 * i, value)

    @property
    def reserved1(self) -> Optional[int]:
        i = self._slots()[0]
        return _U16.unpack_from(self.buf, self.offset + 4 * i + 2)[0] if i else None

    @property
    def key(self) -> Optional[int]:
        i = self._slots()[1]
        return self._word(i) if i else None

    @key.setter
    def key(self, value: int) -> None:
        self._set_word(self._present(1, "key"), value)

    @property
    def seq(self) -> Optional[int]:
        i = self._slots()[2]
        return self._word(i) if i else None

    @seq.setter
    def seq(self, value: int) -> None:
        self._set_word(self._present(2, "seq"), value)

    @property
    def ack(self) -> Optional[int]:
        """Version 1 only: the acknowledgment number (None without A)."""
        i = self._slots()[3]
        return self._word(i) if i else None

    @property
    def payload_len(self) -> Optional[int]:
        """Version 1 only: the high half of the key word."""
        i = self._slots()[1]
        if not i or self.version != 1:
            return None
        return _U16.unpack_from(self.buf, self.offset + 4 * i)[0]

    @property
    def call_id(self) -> Optional[int]:
        """Version 1 only: the low half of the key word."""
        i = self._slots()[1]
        if not i or self.version != 1:
            return None
        return _U16.unpack_from(self.buf, self.offset + 4 * i + 2)[0]

    def _present(self, which: int, name: str) -> int:
        i = self._slots()[which]
        if not i:
            raise ValueError(f"the GRE header has no {name} field (flags "
                             f"{self.flags_version:#06x})")
        return i

    def as_dict(self) -> dict[str, Any]:
        d = super().as_dict()
        d.update(checksum=self.checksum, key=self.key, seq=self.seq)
        if self.version == 1:
            d.update(payload_len=self.payload_len, call_id=self.call_id, ack=self.ack)
        return d


def gre_calc_hlen(flags: int) -> int:
    """gre_calc_hlen: 4 bytes, plus 4 for each of checksum, key, sequence."""
    return 4 + (4 if flags & GRE_CSUM else 0) + (4 if flags & GRE_KEY else 0) + \
        (4 if flags & GRE_SEQ else 0)


_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")


# ----------------------------------------------------------------------
# checksums
#
# The skb's checksum() returns the kernel's 32-bit partial sum (__wsum),
# which on the little-endian machine the engine emulates adds up 16-bit
# words read little-endian.  A one's complement sum only depends on how
# bytes pair up, so folding it to 16 bits and swapping the two bytes gives
# the same sum over big-endian words: everything below works in network
# order from there.

def fold16(csum: int) -> int:
    """Fold a one's complement sum of any size to 16 bits (not complemented)."""
    while csum >> 16:
        csum = (csum & 0xFFFF) + (csum >> 16)
    return csum


def wsum_to_be(wsum: int) -> int:
    """An engine partial sum (__wsum) as a folded big-endian 16-bit sum."""
    c = fold16(wsum)
    return ((c & 0xFF) << 8) | (c >> 8)


def be_to_wsum(be: int) -> int:
    """A folded big-endian 16-bit sum as an engine partial sum (__wsum)."""
    return ((be & 0xFF) << 8) | (be >> 8)


def inet_sum(s, offset: int, n: int) -> int:
    """The folded big-endian one's complement sum of n packet bytes at offset
    (skb_checksum), walking frags and the frag_list."""
    return wsum_to_be(s.checksum(offset, n))


def buffer_sum(buf: Buffer, offset: int, n: int) -> int:
    """The folded big-endian one's complement sum of n bytes of a buffer."""
    view = bytes(memoryview(buf)[offset:offset + n])
    if n & 1:
        view += b"\0"
    return fold16(sum(struct.unpack(f"!{len(view) // 2}H", view)))


def pseudo_sum(saddr: bytes, daddr: bytes, proto: int, length: int) -> int:
    """The IPv4 (4-byte addresses) or IPv6 (16-byte) pseudo-header's folded sum."""
    total = proto + (length & 0xFFFF) + (length >> 16)
    for addr in (saddr, daddr):
        total += sum(struct.unpack(f"!{len(addr) // 2}H", addr))
    return fold16(total)


def ip_fast_csum(iph: IPv4) -> int:
    """The IPv4 header checksum over the view's ihl words (0 when valid)."""
    return ~buffer_sum(iph.buf, iph.offset, iph.hdr_len) & 0xFFFF


def ip_send_check(iph: IPv4) -> None:
    """ip_send_check: recompute and store the IPv4 header checksum."""
    iph.check = 0
    iph.check = ip_fast_csum(iph)


def _l4_check(s, offset: int, n: int, saddr: bytes, daddr: bytes, proto: int,
              check_at: int) -> int:
    """The transport checksum over [offset, offset + n) with the pseudo-header,
    the current check field at check_at taken out (as if it were zero)."""
    field = _U16.unpack(s.copy_bits(offset + check_at, 2))[0]
    total = inet_sum(s, offset, n) + pseudo_sum(saddr, daddr, proto, n) + (~field & 0xFFFF)
    return ~fold16(total) & 0xFFFF


def udp_checksum(s, offset: int, saddr: bytes, daddr: bytes) -> int:
    """The UDP checksum of the datagram at offset (its length from the UDP
    header): what the check field must hold, 0 mapped to 0xFFFF."""
    n = _U16.unpack(s.copy_bits(offset + 4, 2))[0]
    c = _l4_check(s, offset, n, saddr, daddr, IPPROTO_UDP, 6)
    return c or 0xFFFF


def tcp_checksum(s, offset: int, saddr: bytes, daddr: bytes, n: int) -> int:
    """The TCP checksum of the n-byte segment at offset."""
    return _l4_check(s, offset, n, saddr, daddr, IPPROTO_TCP, 16)


def set_udp_checksum(s, offset: int, saddr: bytes, daddr: bytes) -> None:
    """Compute the UDP checksum in software and store it (the packet's first
    offset + 8 bytes are made writable)."""
    Udp.writable(s, offset).check = udp_checksum(s, offset, saddr, daddr)


def set_tcp_checksum(s, offset: int, saddr: bytes, daddr: bytes, n: int) -> None:
    """Compute the TCP checksum in software and store it."""
    value = tcp_checksum(s, offset, saddr, daddr, n)
    s.ensure_writable(offset + 18)
    _U16.pack_into(s.data, offset + 16, value)


def l4_checksum_ok(s, offset: int, n: int, saddr: bytes, daddr: bytes, proto: int) -> bool:
    """Whether the n-byte TCP/UDP segment at offset verifies against the
    pseudo-header (the check field included in the sum)."""
    return fold16(inet_sum(s, offset, n) + pseudo_sum(saddr, daddr, proto, n)) == 0xFFFF


def walk(s, offset: int = 0, ethertype: Optional[int] = None) -> Iterator[Header]:
    """Read-only views of the headers of the frame at offset, outer to inner
    as far as this module knows them: Ethernet, VLAN tags, IPv4 or IPv6,
    then UDP, TCP, ICMP or GRE, VXLAN after UDP port 4789 or 8472, and again
    for what VXLAN or GRE carries (IP, or Ethernet for 0x6558).  With
    ``ethertype`` the walk starts at a network header of that type instead
    of an Ethernet header."""
    if ethertype is not None:
        yield from _walk_l3(s, offset, ethertype)
        return
    eth = Ethernet.at(s, offset)
    if eth is None:
        return
    yield eth
    yield from _walk_l3(s, offset + ETH_HLEN, eth.type)


def _walk_l3(s, off: int, etype: int) -> Iterator[Header]:
    while etype in (ETH_P_8021Q, ETH_P_8021AD):
        tag = Vlan.at(s, off)
        if tag is None:
            return
        yield tag
        off += VLAN_HLEN
        etype = tag.type
    if etype == ETH_P_IP:
        ip = IPv4.at(s, off)
        if ip is None or ip.ihl < 5:
            return
        yield ip
        proto, off = ip.proto, off + ip.hdr_len
    elif etype == ETH_P_IPV6:
        ip6 = IPv6.at(s, off)
        if ip6 is None:
            return
        yield ip6
        proto, off = ip6.nexthdr, off + 40
    else:
        return
    if proto == IPPROTO_UDP:
        udp = Udp.at(s, off)
        if udp is None:
            return
        yield udp
        if udp.dport in (4789, 8472):
            vx = Vxlan.at(s, off + 8)
            if vx is None:
                return
            yield vx
            inner = Ethernet.at(s, off + 16)
            if inner is not None:
                yield inner
                yield from _walk_l3(s, off + 16 + ETH_HLEN, inner.type)
    elif proto == IPPROTO_TCP:
        tcp = Tcp.at(s, off)
        if tcp is not None:
            yield tcp
    elif proto in (IPPROTO_ICMP, IPPROTO_ICMPV6):
        icmp = Icmp.at(s, off)
        if icmp is not None:
            yield icmp
    elif proto == IPPROTO_IPIP:
        yield from _walk_l3(s, off, ETH_P_IP)
    elif proto == IPPROTO_IPV6:
        yield from _walk_l3(s, off, ETH_P_IPV6)
    elif proto == IPPROTO_GRE:
        gre = Gre.at(s, off)
        if gre is None:
            return
        yield gre
        off += gre.hdr_len
        if gre.version != 0:
            return
        if gre.proto == ETH_P_TEB:
            inner = Ethernet.at(s, off)
            if inner is not None:
                yield inner
                yield from _walk_l3(s, off + ETH_HLEN, inner.type)
        else:
            yield from _walk_l3(s, off, gre.proto)


__all__ = [
    "ETH_ALEN", "ETH_HLEN", "ETH_P_8021AD", "ETH_P_8021Q", "ETH_P_802_2", "ETH_P_802_3",
    "ETH_P_802_3_MIN", "ETH_P_ARP", "ETH_P_IP", "ETH_P_IPV6", "ETH_P_TEB", "Ethernet",
    "GRE_ACK", "GRE_CSUM", "GRE_FLAGS", "GRE_KEY", "GRE_REC", "GRE_ROUTING", "GRE_SEQ",
    "GRE_STRICT", "GRE_VERSION", "Gre", "Header", "INET_ECN_CE", "INET_ECN_ECT_0",
    "INET_ECN_ECT_1", "INET_ECN_MASK", "INET_ECN_NOT_ECT", "IPPROTO_GRE", "IPPROTO_ICMP",
    "IPPROTO_ICMPV6", "IPPROTO_IPIP", "IPPROTO_IPV6", "IPPROTO_TCP", "IPPROTO_UDP", "IP_CE",
    "IP_DF", "IP_MF", "IP_OFFSET", "IPv4", "IPv6", "Icmp", "TCP_ACK", "TCP_AE", "TCP_CWR",
    "TCP_ECE", "TCP_FIN", "TCP_PSH", "TCP_RST", "TCP_SYN", "TCP_URG", "Tcp", "Udp",
    "VLAN_HLEN", "VXLAN_GBP_DONT_LEARN", "VXLAN_GBP_POLICY_APPLIED", "VXLAN_HF_GBP",
    "VXLAN_HF_RCO", "VXLAN_HF_VNI", "Vlan", "VlanEthernet", "Vxlan", "VxlanGbp", "be_to_wsum",
    "buffer_sum", "fold16", "gre_calc_hlen", "inet_sum", "ip_bytes", "ip_fast_csum",
    "ip_send_check", "ip_str", "l4_checksum_ok", "mac_bytes", "mac_str", "options",
    "pseudo_sum", "set_tcp_checksum", "set_udp_checksum", "tcp_checksum", "udp_checksum",
    "walk", "wsum_to_be",
]
