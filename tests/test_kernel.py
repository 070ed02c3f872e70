"""skb.kernel: every kernel spelling does what its method does."""

import pytest

import skb
import skb.kernel as K
from skb import SkbOverPanic
from skbhelp import head_addr, ok

TESTED = set()


def covers(*names):
    def mark(fn):
        TESTED.update(names)
        return fn
    return mark


def test_every_kernel_function_is_tested():
    # the @covers decorators below run at import time, before any test runs
    assert set(K.__all__) == TESTED


@covers("alloc_skb", "skb_reserve", "skb_put", "skb_put_data", "skb_put_zero",
        "skb_push", "skb_pull", "skb_trim", "pskb_trim", "skb_headroom", "skb_tailroom",
        "skb_headlen", "skb_end_offset", "kfree_skb")
def test_linear_spellings():
    s = K.alloc_skb(100)
    assert type(s) is skb.SkBuff and (s.end_offset, s.fclone) == (384, 0)
    assert K.skb_reserve(s, 64) is None
    v = K.skb_put(s, 2)
    assert (len(v), s.len, s.tail_offset) == (2, 2, 66)
    v[:] = b"ab"
    assert bytes(K.skb_put_data(s, b"cd")) == b"cd"
    assert bytes(K.skb_put_zero(s, 2)) == b"\0\0"
    K.skb_push(s, 1)[:] = b">"
    assert s.to_bytes() == b">abcd\0\0"
    assert bytes(K.skb_pull(s, 1)) == b"abcd\0\0"
    assert K.skb_pull(s, 7) is None
    assert K.skb_trim(s, 5) is None
    assert K.pskb_trim(s, 4) == 0
    assert s.to_bytes() == b"abcd"
    assert (K.skb_headroom(s), K.skb_tailroom(s), K.skb_headlen(s), K.skb_end_offset(s)) == (
        64, 316, 4, 384)
    with pytest.raises(SkbOverPanic):
        K.skb_put(s, 317)
    ok(s)
    assert K.kfree_skb(s) is None
    assert isinstance(s, skb.FreedSkBuff)


@covers("alloc_skb_fclone", "skb_clone", "skb_get", "consume_skb", "skb_cloned",
        "skb_header_cloned", "skb_shared", "__skb_header_release")
def test_sharing_spellings():
    s = K.alloc_skb_fclone(10)
    assert (s.fclone, s.fclone_ref) == (1, 1)
    assert K.skb_get(s) is s
    assert K.skb_shared(s) is True
    K.consume_skb(s)
    assert K.skb_shared(s) is False
    K.__skb_header_release(s)
    assert (s.nohdr, s.dataref) == (1, 0x10001)
    c = K.skb_clone(s)
    assert (c.fclone, s.fclone_ref, c.hdr_len) == (2, 2, 0)
    assert (K.skb_cloned(s), K.skb_header_cloned(s)) == (True, False)
    c2 = K.skb_clone(c)
    assert K.skb_header_cloned(c) is True
    ok(s, c, c2)
    for x in (c2, c, s):
        K.consume_skb(x)


@covers("skb_copy", "pskb_copy", "skb_realloc_headroom", "pskb_expand_head", "skb_cow",
        "skb_cow_head", "skb_unshare", "skb_share_check")
def test_copy_spellings():
    s = K.alloc_skb(100)
    K.skb_reserve(s, 16)
    K.skb_put_data(s, b"xyz")
    c = K.skb_copy(s)
    assert (c.data_offset, c.to_bytes(), head_addr(c) != head_addr(s)) == (16, b"xyz", True)
    p = K.pskb_copy(s)
    assert (p.data_offset, p.to_bytes()) == (16, b"xyz")
    r = K.skb_realloc_headroom(s, 20)
    assert (r.data_offset, r.to_bytes()) == (80, b"xyz")
    assert K.pskb_expand_head(c, 64, 0) == 0
    assert c.data_offset == 80
    assert K.skb_cow(p, 40) == 0
    assert p.data_offset == 80
    assert K.skb_cow_head(p, 200) == 0
    assert p.data_offset == 208
    k = K.skb_clone(s)
    u = K.skb_unshare(k)
    assert u is not k and isinstance(k, skb.FreedSkBuff) and u.is_cloned() is False
    assert K.skb_unshare(u) is u
    K.skb_get(s)
    n = K.skb_share_check(s)
    assert n is not s and s.users == 1 and n.dataref == 2
    assert K.skb_share_check(n) is n
    ok(s, c, p, r, u, n)
    for x in (s, c, p, r, u, n):
        K.kfree_skb(x)


@covers("skb_reset_mac_header", "skb_reset_network_header", "skb_reset_transport_header",
        "skb_set_mac_header", "skb_set_network_header", "skb_set_transport_header",
        "skb_reset_inner_headers", "skb_reset_mac_len", "skb_mac_offset",
        "skb_network_offset", "skb_transport_offset")
def test_header_spellings():
    s = K.alloc_skb(100)
    K.skb_reserve(s, 64)
    K.skb_put(s, 40)
    assert (K.skb_mac_offset(s), K.skb_network_offset(s), K.skb_transport_offset(s)) == (
        None, -64, None)
    K.skb_reset_mac_header(s)
    K.skb_reset_network_header(s)
    K.skb_reset_transport_header(s)
    assert (s.mac_header, s.network_header, s.transport_header) == (64, 64, 64)
    K.skb_set_mac_header(s, -14)
    K.skb_set_network_header(s, 0)
    K.skb_set_transport_header(s, 20)
    assert (K.skb_mac_offset(s), K.skb_network_offset(s), K.skb_transport_offset(s)) == (
        -14, 0, 20)
    K.skb_reset_mac_len(s)
    assert s.mac_len == 14
    K.skb_reset_inner_headers(s)
    assert (s.inner_mac_header, s.inner_network_header, s.inner_transport_header) == (
        50, 64, 84)
    ok(s)
    K.kfree_skb(s)


@covers("kfree_skb_reason", "skb_get_hash", "skb_ensure_writable", "skb_checksum_help",
        "lco_csum", "iptunnel_handle_offloads", "udp_flow_src_port")
def test_offload_and_flow_spellings():
    frame = bytes(14) + bytes.fromhex("45000020000040004011000001020304050607080064"
                                      "00c8000c0000") + b"data"
    s = K.alloc_skb(100)
    K.skb_reserve(s, 64)
    K.skb_put_data(s, frame)
    s.protocol = 0x0800
    K.skb_set_network_header(s, 14)
    K.skb_set_transport_header(s, 34)
    h = K.skb_get_hash(s)
    assert h == s.get_hash() == s.hash != 0
    assert K.udp_flow_src_port(s, 0, 0, True) == s.udp_flow_src_port()
    c = K.skb_clone(s)
    assert K.skb_ensure_writable(s, 20) is None and not s.cloned
    K.kfree_skb_reason(c, skb.DropReason.NOMEM)
    s.ip_summed = skb.CHECKSUM_PARTIAL
    s.csum_start = s.transport_header
    s.csum_offset = 6
    assert K.lco_csum(s) == s.lco_csum()
    assert K.iptunnel_handle_offloads(s, 0) is None and s.encapsulation == 1
    assert K.skb_checksum_help(s) is None and s.ip_summed == skb.CHECKSUM_NONE
    K.kfree_skb(s)
