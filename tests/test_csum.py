"""The Internet checksum helpers (skb.csum) and SkBuff.checksum: known
answers (RFC 1071, an IPv4 header, a TCP segment checked against scapy) and
hypothesis properties that the C functions equal the twin's pure-Python
reference (skb.testing.model) bit for bit, unfolded 32-bit sums included."""

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import skb
from skb import SkbFault, csum
from skb.testing import model
from nlhelp import member, paged, pattern, still

U32 = 0xFFFFFFFF
SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

u32s = st.integers(0, U32)
blobs = st.binary(max_size=300)


# ---------------------------------------------------------------- known answers

RFC1071 = bytes.fromhex("0001f203f4f5f6f7")


def test_rfc1071_example():
    # big-endian words sum to 0x2ddf0 -> 0xddf2, checksum 0x220d (RFC 1071 4.1).
    # Little-endian words: 0x0100 + 0x03f2 + 0xf5f4 + 0xf7f6 = 0x1f2dc -> 0xf2dd.
    assert csum.csum_partial(RFC1071) == 0xF2DD
    folded = csum.csum_fold(0xF2DD)
    assert folded == 0x0D22
    assert struct.pack("<H", folded) == b"\x22\x0d"  # 0x220d on the wire
    # data plus its checksum sums to all ones: folds to 0
    assert csum.csum_fold(csum.csum_partial(RFC1071 + b"\x22\x0d")) == 0


# 20-byte IPv4 header with a valid checksum (0xb861), 192.168.0.1 -> .199
IPV4 = bytes.fromhex("450000730000400040 11b861c0a80001c0a800c7".replace(" ", ""))


def test_ip_fast_csum_of_a_valid_header_is_0():
    assert len(IPV4) == 20
    assert csum.ip_fast_csum(IPV4) == 0
    zeroed = IPV4[:10] + b"\0\0" + IPV4[12:]
    value = csum.ip_fast_csum(zeroed)
    assert value == 0x61B8 and struct.pack("<H", value) == b"\xb8\x61"
    assert csum.ip_fast_csum(bytearray(IPV4)) == 0
    assert csum.ip_fast_csum(memoryview(IPV4)) == 0


@pytest.mark.parametrize("n", [0, 3, 19, 21])
def test_ip_fast_csum_needs_whole_words(n):
    if n == 0:
        assert csum.ip_fast_csum(b"") == 0xFFFF  # fold of 0
        return
    with pytest.raises(ValueError):
        csum.ip_fast_csum(bytes(n))


@pytest.mark.parametrize("payload", [b"", b"x", b"hello, checksum", pattern(1001, 5)])
def test_tcp_checksum_matches_scapy(payload):
    from scapy.layers.inet import IP, TCP

    pkt = IP(src="192.0.2.1", dst="198.51.100.7") / TCP(
        sport=40000, dport=443, seq=0x01020304, ack=0x0A0B0C0D, flags="PA",
        window=501) / payload
    wire = bytes(pkt)
    seg = wire[20:]
    scapy_sum = seg[16:18]
    zeroed = seg[:16] + b"\0\0" + seg[18:]
    saddr, daddr = bytes([192, 0, 2, 1]), bytes([198, 51, 100, 7])
    ours = csum.csum_tcpudp_magic(saddr, daddr, len(seg), 6, csum.csum_partial(zeroed))
    assert struct.pack("<H", ours) == scapy_sum
    # verifying the segment with its checksum in place gives 0
    assert csum.csum_tcpudp_magic(saddr, daddr, len(seg), 6, csum.csum_partial(seg)) == 0
    # the same through a paged skb, the segment spread over head, frags, member
    cut = [0, 7, 20, min(len(seg), 33), len(seg)]
    s = paged(zeroed[cut[0]:cut[1]], [zeroed[cut[1]:cut[2]], zeroed[cut[2]:cut[3]]],
              size=0, members=[member(zeroed[cut[3]:])])
    assert s.to_bytes() == zeroed
    partial = s.checksum(0, len(seg))
    ours2 = csum.csum_tcpudp_magic(saddr, daddr, len(seg), 6, partial)
    assert struct.pack("<H", ours2) == scapy_sum
    s.kfree()


def test_csum_partial_details():
    assert csum.csum_partial(b"") == 0
    assert csum.csum_partial(b"", 7) == 7
    assert csum.csum_partial(b"\x01") == 1  # an odd last byte is a low byte
    assert csum.csum_partial(b"\x01\x02\x03") == 0x0204
    assert csum.csum_partial(bytes(100)) == 0  # 0 only when every word is 0
    assert csum.csum_partial(b"\xff" * 100) == 0xFFFF
    assert csum.csum_partial(b"\xff\xff", U32) == 0xFFFF  # 0xFFFF + U32 carries
    assert csum.csum_partial(b"\x00\x01", 0x12340000) == 0x12340100
    assert csum.csum_partial(bytearray(b"\x01\x02")) == 0x0201
    assert csum.csum_partial(memoryview(b"\x01\x02\x03\x04")[1:3]) == 0x0302


def test_csum_add_sub_block_add_fold():
    assert csum.csum_add(0x12345678, 0x11111111) == 0x23456789
    assert csum.csum_add(U32, 1) == 1
    assert csum.csum_add(U32, U32) == U32
    assert csum.csum_sub(5, 3) == 2
    assert csum.csum_sub(0x1234, 0x1234) == U32
    assert csum.csum_block_add(0, 0x11223344, 1) == 0x44112233
    assert csum.csum_block_add(0, 0x11223344, 2) == 0x11223344
    assert csum.csum_block_add(0, 0x11223344, -1) == 0x44112233
    assert csum.csum_block_add(0x10, 0x100, 3) == 0x11  # ror32(0x100, 8) == 1
    assert csum.csum_block_add(0x10, 0x1FF, 3) == 0xFF000011
    assert csum.csum_fold(0) == 0xFFFF
    assert csum.csum_fold(U32) == 0
    assert csum.csum_fold(0x0001FFFF) == 0xFFFE
    assert csum.csum_fold(0x12345678) == (~(0x1234 + 0x5678)) & 0xFFFF


def test_pseudo_header_sums():
    a, b = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    # LE32 of the addresses + (6 + 20) << 8
    assert csum.csum_tcpudp_nofold(a, b, 20, 6) == 0x0100000A + 0x0200000A + 0x1A00
    assert csum.csum_tcpudp_nofold(a, b, 20, 6, 5) == 0x03001A14 + 5
    # (proto + len) << 8 wraps at 32 bits
    assert csum.csum_tcpudp_nofold(bytes(4), bytes(4), U32, 6) == 0x500
    # two 64->32 folds
    ones = b"\xff" * 4
    assert csum.csum_tcpudp_nofold(ones, ones, 0, 0, U32) == U32
    assert csum.csum_tcpudp_magic(a, b, 20, 6) == csum.csum_fold(0x03001A14)
    assert csum.csum_tcpudp_magic(ones, ones, 0, 0, U32) == 0


@pytest.mark.parametrize("call, exc", [
    (lambda: csum.csum_tcpudp_nofold(b"abc", bytes(4), 0, 6), ValueError),
    (lambda: csum.csum_tcpudp_magic(bytes(4), bytes(5), 0, 6), ValueError),
    (lambda: csum.csum_tcpudp_nofold(bytes(4), bytes(4), 2**32, 6), OverflowError),
    (lambda: csum.csum_tcpudp_nofold(bytes(4), bytes(4), 0, 256), OverflowError),
    (lambda: csum.csum_tcpudp_nofold(bytes(4), bytes(4), 0, 6, -1), OverflowError),
    (lambda: csum.csum_partial(b"x", 2**32), OverflowError),
    (lambda: csum.csum_partial(b"x", -1), OverflowError),
    (lambda: csum.csum_add(2**32, 0), OverflowError),
    (lambda: csum.csum_fold(-1), OverflowError),
    (lambda: csum.csum_block_add(0, 0, 2**31), OverflowError),
    (lambda: csum.csum_partial("text"), TypeError),
])
def test_argument_checks(call, exc):
    with pytest.raises(exc):
        call()


# ---------------------------------------------------------------- equal to the twin

@SETTINGS
@given(blobs, u32s)
def test_csum_partial_equals_the_twin(data, c):
    assert csum.csum_partial(data, c) == model.csum_partial(data, c)


@SETTINGS
@given(blobs, st.integers(0, 64), u32s)
def test_csum_partial_of_a_slice_equals_the_twin(data, start, c):
    view = memoryview(bytearray(data))[start:]
    assert csum.csum_partial(view, c) == model.csum_partial(bytes(view), c)


@SETTINGS
@given(u32s, u32s, st.integers(-2**31, 2**31 - 1))
def test_csum_add_sub_block_add_equal_the_twin(a, b, offset):
    assert csum.csum_add(a, b) == model.csum_add(a, b)
    assert csum.csum_sub(a, b) == model.csum_sub(a, b)
    assert csum.csum_block_add(a, b, offset) == model.csum_block_add(a, b, offset)
    assert csum.csum_fold(a) == model.csum_fold(a)


@SETTINGS
@given(st.binary(min_size=4, max_size=4), st.binary(min_size=4, max_size=4), u32s,
       st.integers(0, 255), u32s)
def test_pseudo_header_equals_the_twin(saddr, daddr, length, proto, c):
    assert (csum.csum_tcpudp_nofold(saddr, daddr, length, proto, c)
            == model.csum_tcpudp_nofold(saddr, daddr, length, proto, c))
    assert (csum.csum_tcpudp_magic(saddr, daddr, length, proto, c)
            == model.csum_tcpudp_magic(saddr, daddr, length, proto, c))


@SETTINGS
@given(st.integers(0, 15).flatmap(lambda w: st.binary(min_size=4 * w, max_size=4 * w)))
def test_ip_fast_csum_equals_the_twin(header):
    assert csum.ip_fast_csum(header) == model.ip_fast_csum(header)


# ---------------------------------------------------------------- SkBuff.checksum

frag = st.tuples(st.binary(max_size=48), st.integers(0, 4096 - 48))
shape = st.tuples(
    st.integers(0, 24),                               # headroom
    st.binary(max_size=48),                           # linear
    st.lists(frag, max_size=5),                       # frags
    st.lists(st.tuples(st.binary(max_size=24), st.lists(frag, max_size=2)),
             max_size=3),                             # members
)


def build(lib, headroom, linear, frags, members, room):
    """The same shape on the engine (lib = skb) or the twin (lib = model)."""
    def fill(s, frag_specs):
        for d, off in frag_specs:
            p = lib.alloc_page()
            p.data[off:off + len(d)] = d
            s.add_rx_frag(s.nr_frags, p, off, len(d), 64)

    s = lib.alloc_skb(headroom + len(linear))
    s.reserve(headroom)
    if headroom:
        s.push(headroom)[:] = room
        s.pull(headroom)
    s.put_data(linear)
    fill(s, frags)
    for mlin, mfrags in members:
        m = lib.alloc_skb(len(mlin))
        m.put_data(mlin)
        fill(m, mfrags)
        s.frag_list_append(m)
    return s


@SETTINGS
@given(shape, st.data(), u32s)
def test_skb_checksum_equals_the_twin(shp, data, c):
    headroom, linear, frags, members = shp
    room = pattern(headroom, 4)
    s = build(skb, headroom, linear, frags, members, room)
    t = build(model, headroom, linear, frags, members, room)
    try:
        whole = room + s.to_bytes()
        assert t.to_bytes() == whole[headroom:]
        offset = data.draw(st.integers(-headroom, s.len), label="offset")
        n = data.draw(st.integers(0, s.len - offset), label="n")
        got = s.checksum(offset, n, c)
        assert got == t.checksum(offset, n, c)
        # and it agrees, folded, with one contiguous checksum of the bytes
        piece = whole[headroom + offset:headroom + offset + n]
        assert csum.csum_fold(got) == csum.csum_fold(csum.csum_partial(piece, c))
        # nothing moved
        assert s.to_bytes() == whole[headroom:]
    finally:
        s.kfree()
        t.kfree()


def test_skb_checksum_pieces_at_odd_positions():
    """Linear "\\x01" continues csum; the frag starting at odd position 1 is
    summed alone (0x0302) and byte-swapped before it is added."""
    s = paged(b"\x01", [b"\x02\x03"], size=0)
    assert s.checksum(0, 3) == 0x0001 + 0x02000003  # 1 + ror32(0x0302, 8)
    assert s.checksum(1, 2) == 0x0302  # position 0 of the range: not swapped
    assert s.checksum(0, 3, 0x10) == 0x11 + 0x02000003
    s.kfree()


def test_skb_checksum_reads_the_headroom():
    s = paged(b"\x05\x06", size=8, headroom=4)
    s.push(4)[:] = b"\x01\x02\x03\x04"
    s.pull(4)
    assert s.checksum(-4, 6) == 0x0201 + 0x0403 + 0x0605
    s.kfree()


@pytest.mark.parametrize("offset, n", [(-5, 1), (0, 7), (6, 1), (2**31 - 1, 1)])
def test_skb_checksum_outside_is_a_fault(offset, n):
    s = paged(b"ab", [b"cd", b"ef"], size=0, headroom=4)
    assert s.len == 6 and s.headroom == 4
    with still(s):
        with pytest.raises(SkbFault):
            s.checksum(offset, n)
    s.kfree()


@pytest.mark.parametrize("args, exc", [((0, 1, 2**32), OverflowError), ((0, 1, -1), OverflowError),
                                       ((0, -1), OverflowError), ((2**31, 1), OverflowError),
                                       (("0", 1), TypeError)])
def test_skb_checksum_argument_checks(args, exc):
    s = paged(b"ab", [b"cd"], size=0)
    with still(s):
        with pytest.raises(exc):
            s.checksum(*args)
    s.kfree()
