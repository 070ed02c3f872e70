"""The twin's flow hash, offload helpers, tunnel push and drop counting
against the engine: the same packets and calls, the same results."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether
from scapy.layers.vxlan import VXLAN

import skb
import skb.flow
from skb import CHECKSUM_COMPLETE, CHECKSUM_NONE, CHECKSUM_PARTIAL, SKB_GSO, DropReason
from skb.testing import model
from skb.testing import model_offload
from skb.tunnel import TunnelTemplate

FIELDS = ("len", "data_len", "headroom", "tailroom", "data_offset", "mac_header",
          "network_header", "transport_header", "inner_mac_header", "inner_network_header",
          "inner_transport_header", "mac_len", "protocol", "inner_protocol", "encapsulation",
          "ip_summed", "csum_start", "csum_offset", "hash", "l4_hash", "sw_hash", "gso_size",
          "gso_segs", "gso_type", "cloned", "dataref")


def build(mod, frame: bytes, *, headroom=64, protocol=0x0800, nh=14, th=None, paged=0):
    s = mod.alloc_skb(len(frame) - paged)
    s.reserve(headroom)
    s.put_data(frame[:len(frame) - paged])
    if paged:
        p = mod.alloc_page()
        p.data[:paged] = frame[len(frame) - paged:]
        s.add_rx_frag(0, p, 0, paged, 4096)
    s.protocol = protocol
    s.set_network_header(nh)
    if th is not None:
        s.set_transport_header(th)
    return s


def both(frame: bytes, **kw):
    return build(model, frame, **kw), build(skb, frame, **kw)


def same(t, e) -> None:
    assert {f: getattr(t, f) for f in FIELDS} == {f: getattr(e, f) for f in FIELDS}
    assert t.to_bytes() == e.to_bytes()


def frame(sport=1234, dport=80, proto=6, payload=b"x" * 30, tos=0, df=True):
    return bytes(Ether(src="02:00:00:00:01:01", dst="02:00:00:00:01:02") /
                 IP(src="10.0.0.1", dst="10.0.0.2", tos=tos, flags="DF" if df else 0,
                    proto=proto) /
                 (TCP(sport=sport, dport=dport) if proto == 6 else UDP(sport=sport, dport=dport)) /
                 payload)


def test_seed_and_jhash_agree_with_the_engine():
    assert model_offload.FLOW_HASH_SEED == skb.flow.FLOW_HASH_SEED
    for n in range(0, 40):
        data = bytes(range(n))
        assert model_offload.jhash(data, n * 7) == skb.flow.jhash(data, n * 7)


@settings(max_examples=150, deadline=None)
@given(sport=st.integers(0, 65535), dport=st.integers(0, 65535),
       proto=st.sampled_from([6, 17]), frag=st.sampled_from([0, 0x2000, 0x0003]),
       lo=st.integers(0, 65535), span=st.integers(-5, 2000), use_eth=st.booleans())
def test_flow_hash_and_source_port(sport, dport, proto, frag, lo, span, use_eth):
    f = bytearray(frame(sport, dport, proto))
    f[20:22] = struct.pack("!H", frag)
    t, e = both(bytes(f))
    hi = min(lo + span, 65536)
    assert t.udp_flow_src_port(lo, hi, use_eth) == e.udp_flow_src_port(lo, hi, use_eth)
    assert t.get_hash() == e.get_hash()
    same(t, e)
    t.kfree()
    e.kfree()


@pytest.mark.parametrize("protocol, nh", [(0x0806, 14), (0x86DD, 14), (0x0800, 70)])
def test_no_flow(protocol, nh):
    t, e = both(frame(), protocol=protocol, nh=nh)
    assert t.get_hash() == e.get_hash() == 0
    assert t.udp_flow_src_port() == e.udp_flow_src_port()
    assert t.udp_flow_src_port(use_eth=False) == e.udp_flow_src_port(use_eth=False)
    same(t, e)
    t.kfree()
    e.kfree()


def test_ipv6_flow():
    f = bytes(Ether() / IPv6(src="2001:db8::9", dst="2001:db8::1") / UDP(sport=7, dport=9))
    t, e = both(f, protocol=0x86DD)
    assert t.get_hash() == e.get_hash() != 0
    t.kfree()
    e.kfree()


def test_source_port_range_errors_match():
    t, e = both(frame())
    for lo, hi in ((-1, 5), (0, 70000)):
        with pytest.raises(ValueError):
            t.udp_flow_src_port(lo, hi)
        with pytest.raises(ValueError):
            e.udp_flow_src_port(lo, hi)
    t.kfree()
    e.kfree()


def partial(mod, **kw):
    s = build(mod, frame(proto=17, payload=bytes(range(77))), th=34, **kw)
    s.ip_summed = CHECKSUM_PARTIAL
    s.csum_start = s.transport_header
    s.csum_offset = 6
    return s


@pytest.mark.parametrize("paged", [0, 40])
@pytest.mark.parametrize("cloned", [False, True])
def test_checksum_help_and_ensure_writable(paged, cloned):
    t, e = partial(model, paged=paged), partial(skb, paged=paged)
    ct, ce = (t.clone(), e.clone()) if cloned else (None, None)
    t.ensure_writable(20)
    e.ensure_writable(20)
    same(t, e)
    t.checksum_help()
    e.checksum_help()
    same(t, e)
    for x in (ct, ce, t, e):
        if x is not None:
            x.kfree()


@pytest.mark.parametrize("state", [CHECKSUM_NONE, CHECKSUM_COMPLETE, CHECKSUM_PARTIAL])
@pytest.mark.parametrize("gso", [0, 10])
def test_handle_offloads(state, gso):
    t, e = partial(model), partial(skb)
    for s in (t, e):
        s.ip_summed = state
        s.gso_size = gso
        s.iptunnel_handle_offloads(SKB_GSO.UDP_TUNNEL)
    same(t, e)
    t.kfree()
    e.kfree()


def test_lco_csum():
    t, e = partial(model), partial(skb)
    for s in (t, e):
        s.push(8)[:] = struct.pack("!HHHH", 1, 2, s.len + 8, 0)
        s.reset_transport_header()
    assert t.lco_csum() == e.lco_csum()
    t.kfree()
    e.kfree()


def test_errors_match():
    t, e = partial(model), partial(skb)
    for s in (t, e):
        s.gso_size = 4
        with pytest.raises(skb.SkbSegmentError):
            s.checksum_help()
        s.gso_size = 0
        s.csum_start = 0
        with pytest.raises(skb.SkbBug):
            s.checksum_help()
        s.ip_summed = CHECKSUM_NONE
        with pytest.raises(skb.SkbBug):
            s.lco_csum()
        with pytest.raises(MemoryError):
            s.ensure_writable(s.len + 1)
    same(t, e)
    t.kfree()
    e.kfree()


def templates():
    eth = Ether(src="02:00:00:00:00:aa", dst="02:00:00:00:00:bb")
    v4 = IP(src="192.0.2.1", dst="192.0.2.2", id=0)
    vx = bytes(eth / v4 / UDP(sport=0, dport=4789, chksum=0) / VXLAN(vni=5))
    v6 = bytes(eth / IPv6(src="2001:db8::1", dst="2001:db8::2") /
               UDP(sport=0, dport=4789, chksum=0) / VXLAN(vni=5))
    gre = bytes(eth / IP(src="192.0.2.1", dst="192.0.2.2", proto=47)) + \
        struct.pack("!HHHHII", 0xB000, 0x6558, 0, 0, 77, 0)
    return [
        lambda: TunnelTemplate(vx, 14, 34, udp=True, ip_id=65530),
        lambda: TunnelTemplate(vx, 14, 34, udp=True, csum=True, ecn=True, df_inherit=True,
                               sport_min=100, sport_max=200),
        lambda: TunnelTemplate(v6, 14, 54, ipv6=True, udp=True, csum=True, ecn=True),
        lambda: TunnelTemplate(gre, 14, 34, gre=True, csum=True, seq_offset=12, seq=2**32 - 2),
        lambda: TunnelTemplate(gre, 14, 34, gre=True, gso_type=SKB_GSO.GRE, seq_offset=12),
    ]


@pytest.mark.parametrize("make", templates())
@pytest.mark.parametrize("inner", ["plain", "partial", "gso", "cloned", "short", "ce"])
def test_tnl_push(make, inner):
    tt, te = make(), make()
    kw = dict(headroom=0) if inner == "short" else {}
    f = frame(tos=3) if inner == "ce" else frame()
    t, e = both(f, **kw)
    extra = []
    for s in (t, e):
        if inner in ("partial", "gso"):
            s.set_transport_header(34)
            s.ip_summed = CHECKSUM_PARTIAL
            s.csum_start = s.transport_header
            s.csum_offset = 16
        if inner == "gso":
            s.gso_size = 10
            s.gso_segs = 3
            s.gso_type = SKB_GSO.TCPV4
        if inner == "cloned":
            extra.append(s.clone())
    for _ in range(3):
        t.tnl_push(tt)
        e.tnl_push(te)
        same(t, e)
        assert (tt.ip_id, tt.seq) == (te.ip_id, te.seq)
    for s in extra + [t, e]:
        s.kfree()


def test_tnl_push_burst_on_twin_skbs():
    tt, te = templates()[1](), templates()[1]()
    ts = [build(model, frame(sport=i)) for i in range(5)]
    es = [build(skb, frame(sport=i)) for i in range(5)]
    assert tt.push_burst(ts) == te.push_burst(es) == []
    for t, e in zip(ts, es):
        same(t, e)
        t.kfree()
        e.kfree()


def test_tnl_push_refuses_other_objects():
    t = build(model, frame())
    with pytest.raises(TypeError):
        t.tnl_push(object())
    t.kfree()


def delta(before, after):
    return {int(k): after.get(k, 0) - before.get(k, 0)
            for k in set(before) | set(after) if after.get(k, 0) != before.get(k, 0)}


def test_drop_counts_match():
    scenarios = []
    for mod, counts in ((model, model.drop_counts), (skb, skb.drop_counts)):
        before = counts()
        a = mod.alloc_skb(64)
        a.kfree(DropReason.HDR_TRUNC)
        b = mod.alloc_skb(64)
        b.consume()
        c = mod.alloc_skb(64)
        c2 = c.clone()
        c2.kfree()
        c.unshare().kfree(DropReason.NOMEM)
        d = mod.alloc_skb(64)
        d.get()
        d.share_check().kfree()
        d.kfree()
        with pytest.raises(skb.SkbBug):
            _bad_reason(mod)
        scenarios.append(delta(before, counts()))
    assert scenarios[0] == scenarios[1]


def _bad_reason(mod):
    s = mod.alloc_skb(8)
    try:
        s.kfree(len(DropReason))
    finally:
        s.kfree()


def test_head_id_and_hash_fields_copied_like_the_engine():
    t, e = both(frame())
    t.get_hash()
    e.get_hash()
    tc, ec = t.clone(), e.clone()
    assert (tc.head_id == t.head_id, ec.head_id == e.head_id) == (True, True)
    same(tc, ec)
    tc.clear_hash()
    ec.clear_hash()
    same(tc, ec)
    for s in (tc, ec, t, e):
        s.kfree()
