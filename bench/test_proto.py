"""skb.proto per packet: VXLAN and GRE (key + checksum) encap + decap round
trips through the public API, and 64-packet bursts, grouped per operation:

* ``engine`` - skb.proto on the C engine (the template fast path to encap,
  the Python decap);
* ``twin``   - the same code on the pure-Python twin skb.testing.model
  (skipped while the twin lacks the offload/tunnel methods);
* ``dpkt``   - dpkt builds the frame and parses it back (outer headers,
  VXLAN I flag or GRE key, inner TCP source port);
* ``scapy``  - scapy builds the layers, ``bytes()``, and dissects them back.

The frame is the perf anchors': a 1464-byte inner Ethernet/IPv4/TCP frame
(1400 bytes of payload).  Each round times OPS round trips; a round trip
leaves the skb as it found it (decap gives back the inner frame), so no
reset is needed between calls.  Compare within one run (bench/report.py).
"""

from __future__ import annotations

import importlib
import itertools
import struct

import dpkt
import pytest
from scapy.layers.inet import GRE, IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.layers.vxlan import VXLAN

import skb
from skb.proto import gre, vxlan

ROUNDS = 300
WARMUP_ROUNDS = 20
BURST = 64

OUTER_SRC, OUTER_DST = "02:00:00:00:00:aa", "02:00:00:00:00:bb"
IN_SRC, IN_DST = "02:00:00:00:01:01", "02:00:00:00:01:02"
LOCAL, REMOTE = "192.0.2.1", "192.0.2.2"
INNER = bytes(Ether(src=IN_SRC, dst=IN_DST) / IP(src="10.0.0.1", dst="10.0.0.2") /
              TCP(sport=4321, dport=80) / (b"p" * 1410))
assert len(INNER) == 1464


def _twin():
    model = importlib.import_module("skb.testing.model")
    missing = [m for m in ("tnl_push", "udp_flow_src_port", "ensure_writable", "lco_csum",
                           "iptunnel_handle_offloads", "checksum_help")
               if not hasattr(model.SkBuff, m)]
    if missing:
        pytest.skip(f"the twin lacks the offload/tunnel methods yet ({', '.join(missing)})")
    return model


def _lib(variant):
    return _twin() if variant == "twin" else skb


def _inner(lib):
    s = lib.alloc_skb(2048)
    s.reserve(128)
    s.put_data(INNER)
    s.protocol = 0x0800
    s.set_network_header(14)
    return s


def _loop(stmt: str, names: dict, ops: int):
    """A function running stmt ops times with names as fast locals."""
    params = ", ".join(f"{n}=_ns[{n!r}]" for n in names)
    src = (f"def run({params}):\n"
           f"    for _ in _repeat(None, {ops}):\n"
           f"        {stmt}\n")
    ns = {"_ns": names, "_repeat": itertools.repeat}
    exec(compile(src, f"<bench {stmt}>", "exec"), ns)
    return ns["run"]


def _time(benchmark, group, variant, run, ops, setup=None):
    benchmark.group = group
    benchmark.extra_info["ops"] = ops
    benchmark.pedantic(run, setup=setup, rounds=ROUNDS, warmup_rounds=WARMUP_ROUNDS)


# ----------------------------------------------------------------------
# the dpkt and scapy baselines

def _dpkt_vxlan_rt():
    inner = dpkt.ethernet.Ethernet(INNER)  # parsed once, as a user holding objects would
    smac, dmac = bytes.fromhex("0200000000aa"), bytes.fromhex("0200000000bb")
    sip, dip = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])
    vx = struct.pack("!II", 0x08000000, 42 << 8)
    raw_inner = bytes(inner)

    def rt():
        udp = dpkt.udp.UDP(sport=49152, dport=4789, data=vx + raw_inner)
        udp.ulen = 8 + len(udp.data)
        ip = dpkt.ip.IP(src=sip, dst=dip, p=17, ttl=64, data=udp)
        ip.len = 20 + udp.ulen
        frame = bytes(dpkt.ethernet.Ethernet(src=smac, dst=dmac, type=0x0800, data=ip))
        eth = dpkt.ethernet.Ethernet(frame)
        u = eth.data.data
        assert u.dport == 4789 and u.data[0] & 0x08
        return dpkt.ethernet.Ethernet(u.data[8:]).data.data.sport
    return rt


def _scapy_vxlan_rt():
    inner = Ether(INNER)

    def rt():
        frame = bytes(Ether(src=OUTER_SRC, dst=OUTER_DST) / IP(src=LOCAL, dst=REMOTE) /
                      UDP(sport=49152, dport=4789) / VXLAN(vni=42) / inner)
        return Ether(frame)[TCP].sport
    return rt


def _dpkt_gre_rt():
    smac, dmac = bytes.fromhex("0200000000aa"), bytes.fromhex("0200000000bb")
    sip, dip = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])

    def rt():
        # dpkt does not fill the GRE checksum: sum the header and payload by hand
        body = struct.pack("!HHHHI", 0xA000, 0x6558, 0, 0, 7) + INNER
        body = body[:4] + struct.pack("!H", dpkt.dpkt.in_cksum(body)) + body[6:]
        ip = dpkt.ip.IP(src=sip, dst=dip, p=47, ttl=64, data=body)
        ip.len = 20 + len(body)
        frame = bytes(dpkt.ethernet.Ethernet(src=smac, dst=dmac, type=0x0800, data=ip))
        g = dpkt.ethernet.Ethernet(frame).data.data
        assert g.key == 7 and dpkt.dpkt.in_cksum(frame[34:]) == 0
        return dpkt.ethernet.Ethernet(bytes(g.data)).data.data.sport
    return rt


def _scapy_gre_rt():
    inner = Ether(INNER)

    def rt():
        frame = bytes(Ether(src=OUTER_SRC, dst=OUTER_DST) / IP(src=LOCAL, dst=REMOTE) /
                      GRE(proto=0x6558, chksum_present=1, key_present=1, key=7) / inner)
        return Ether(frame)[TCP].sport
    return rt


BASELINES = {"vxlan": {"dpkt": _dpkt_vxlan_rt, "scapy": _scapy_vxlan_rt},
             "gre": {"dpkt": _dpkt_gre_rt, "scapy": _scapy_gre_rt}}
BASELINE_OPS = {"dpkt": 20, "scapy": 2}


# ----------------------------------------------------------------------
# round trips

def _vxlan_objects():
    t = vxlan.VxlanTunnel(42, LOCAL, REMOTE, src_mac=OUTER_SRC, dst_mac=OUTER_DST)
    dev = vxlan.VxlanDevice(42, REMOTE, mac="02:00:00:00:09:09", learning=False)
    return t, dev


def _gre_objects():
    t = gre.GreTunnel(LOCAL, REMOTE, tap=True, key=7, csum=True, src_mac=OUTER_SRC,
                      dst_mac=OUTER_DST)
    peer = gre.GreTunnel(REMOTE, LOCAL, tap=True, key=7, csum=True)
    return t, peer


ROUND_TRIPS = {
    # encap (template), the device computes the checksum (software, here), decap
    "vxlan": ("t.xmit(s); decap(s, dev)", _vxlan_objects, vxlan.decap),
    "gre": ("t.xmit(s); s.checksum_help(); decap(s, dev)", _gre_objects, gre.decap),
}


@pytest.mark.parametrize("variant", ["engine", "twin", "dpkt", "scapy"])
@pytest.mark.parametrize("proto", ["vxlan", "gre"])
def test_round_trip(benchmark, proto, variant):
    group = f"{proto} round trip" + (" (key+csum)" if proto == "gre" else "")
    if variant in ("dpkt", "scapy"):
        rt = BASELINES[proto][variant]()
        assert rt() == 4321
        ops = BASELINE_OPS[variant]
        _time(benchmark, group, variant, _loop("rt()", dict(rt=rt), ops), ops)
        return
    stmt, make, decap = ROUND_TRIPS[proto]
    t, dev = make()
    s = _inner(_lib(variant))
    ops = 50
    run = _loop(stmt, dict(t=t, s=s, dev=dev, decap=decap), ops)
    try:
        _time(benchmark, group, variant, run, ops)
        assert s.to_bytes() == INNER and s.headroom == 128
        assert dev.stats.rx_packets == t.stats.tx_packets > 0
    finally:
        s.kfree()


# ----------------------------------------------------------------------
# bursts

@pytest.mark.parametrize("variant", ["engine", "twin"])
@pytest.mark.parametrize("proto", ["vxlan", "gre"])
def test_burst_encap(benchmark, proto, variant):
    lib = _lib(variant)
    t = _vxlan_objects()[0] if proto == "vxlan" else _gre_objects()[0]
    hlen = 50 if proto == "vxlan" else 14 + 20 + 12
    skbs = [_inner(lib) for _ in range(BURST)]

    def reset():
        for s in skbs:
            if s.headroom != 128:
                s.pull(hlen)
                s.ip_summed = 0

    def run():
        assert t.xmit_burst(skbs) == []

    benchmark.group = f"{proto} burst encap, per packet"
    benchmark.extra_info["ops"] = BURST
    try:
        benchmark.pedantic(run, setup=reset, rounds=ROUNDS, warmup_rounds=WARMUP_ROUNDS)
        assert all(s.headroom == 128 - hlen for s in skbs)
        reset()
        assert all(s.to_bytes() == INNER for s in skbs)
    finally:
        for s in skbs:
            s.kfree()
