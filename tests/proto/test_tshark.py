"""Frames built by skb.proto, written to a pcap and dissected by tshark
(Wireshark's own dissectors, checksum validation on): every field compared."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether

from skb.proto import gre, vlan, vxlan
from toolenv import tool_env

from .protohelp import (LOCAL4, LOCAL6, OUTER_DST_MAC, OUTER_SRC_MAC, REMOTE4, REMOTE6,
                        packet, pcap_bytes)

TSHARK = shutil.which("tshark")
pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark is not installed "
                                "(apt-get install tshark to run these comparisons)")

INNER = (Ether(src="02:00:00:00:01:01", dst="02:00:00:00:01:02") /
         IP(src="10.0.0.1", dst="10.0.0.2", tos=0x02) / TCP(sport=4321, dport=80) /
         (b"w" * 40))
GOOD = "1"  # PROTO_CHECKSUM_E_GOOD
PREFS = ["ip.check_checksum:TRUE", "udp.check_checksum:TRUE"]  # GRE: always checked


def dissect(tmp_path, frames: list[bytes]) -> list[dict]:
    path = tmp_path / "frames.pcap"
    path.write_bytes(pcap_bytes(frames))
    cmd = [TSHARK, "-n", "-r", str(path), "-T", "json", "--no-duplicate-keys"]
    for p in PREFS:
        cmd += ["-o", p]
    out = subprocess.run(cmd, capture_output=True, check=True, timeout=60, env=tool_env())
    return [f["_source"]["layers"] for f in json.loads(out.stdout)]


def built(backend, make) -> bytes:
    s = packet(backend, bytes(INNER), protocol=0x0800)
    s.set_network_header(14)
    r = make(s)
    assert r is s
    if s.ip_summed == 3:
        s.checksum_help()
    raw = s.to_bytes()
    s.kfree()
    return raw


def layer_list(layers: dict, name: str) -> list[dict]:
    """With --no-duplicate-keys tshark gives a repeated protocol as a list."""
    v = layers[name]
    return v if isinstance(v, list) else [v]


def test_vxlan_frames(backend, tmp_path):
    t4 = vxlan.VxlanTunnel(0xABCDE, LOCAL4, REMOTE4, src_mac=OUTER_SRC_MAC,
                           dst_mac=OUTER_DST_MAC, udp_csum=True, ip_id=77, df="inherit")
    t6 = vxlan.VxlanTunnel(7, LOCAL6, REMOTE6, src_mac=OUTER_SRC_MAC, dst_mac=OUTER_DST_MAC)
    frames = [built(backend, t4.xmit), built(backend, t6.xmit),
              built(backend, lambda s: vxlan.encap(s, 99, t4))]
    got = dissect(tmp_path, frames)
    want_vni = [0xABCDE, 7, 99]
    for i, (layers, raw) in enumerate(zip(got, frames)):
        eth = layer_list(layers, "eth")[0]
        assert (eth["eth.src"], eth["eth.dst"]) == (OUTER_SRC_MAC, OUTER_DST_MAC)
        udp = layers["udp"]
        assert udp["udp.dstport"] == "4789"
        assert udp["udp.checksum.status"] == GOOD
        assert int(udp["udp.length"]) == len(raw) - (54 if i == 1 else 34)
        vx = layers["vxlan"]
        assert int(vx["vxlan.vni"]) == want_vni[i]
        assert (vx["vxlan.flags"], vx["vxlan.flags_tree"]["vxlan.flag_i"],
                vx["vxlan.flags_tree"]["vxlan.flags_reserved"], vx["vxlan.gbp"],
                vx["vxlan.reserved8"]) == ("0x0800", "1", "0x0000", "0", "0")
        if i == 1:
            ip6 = layer_list(layers, "ipv6")[0]
            assert (ip6["ipv6.src"], ip6["ipv6.dst"], ip6["ipv6.hlim"]) == (LOCAL6, REMOTE6, "64")
            assert int(ip6["ipv6.plen"]) == len(raw) - 54
        else:
            outer, inner = layer_list(layers, "ip")
            assert (outer["ip.src"], outer["ip.dst"], outer["ip.ttl"], outer["ip.proto"]) == (
                LOCAL4, REMOTE4, "64", "17")
            assert outer["ip.checksum.status"] == GOOD
            assert int(outer["ip.id"], 16) == 77 + (i == 2)
            assert outer["ip.flags_tree"]["ip.flags.df"] == "0"  # the inner packet has no DF
            assert int(outer["ip.dsfield"], 16) == 0x02  # ECT(0) copied from inside
            assert (inner["ip.src"], inner["ip.dst"]) == ("10.0.0.1", "10.0.0.2")
        tcp = layers["tcp"]
        assert (tcp["tcp.srcport"], tcp["tcp.dstport"]) == ("4321", "80")


def test_gre_frames(backend, tmp_path):
    plain = gre.GreTunnel(LOCAL4, REMOTE4, src_mac=OUTER_SRC_MAC, dst_mac=OUTER_DST_MAC)
    full = gre.GreTunnel(LOCAL4, REMOTE4, tap=True, key=0xCAFE, seq=True, csum=True,
                         o_seqno=41, src_mac=OUTER_SRC_MAC, dst_mac=OUTER_DST_MAC)

    def l3(s):
        s.pull(14)
        s.set_network_header(0)
        return gre.encap(s, plain)

    frames = [built(backend, full.xmit), built(backend, full.xmit), built(backend, l3)]
    got = dissect(tmp_path, frames)
    for i, layers in enumerate(got):
        g = layers["gre"]
        outer = layer_list(layers, "ip")[0]
        assert (outer["ip.proto"], outer["ip.checksum.status"]) == ("47", GOOD)
        assert outer["ip.flags_tree"]["ip.flags.df"] == "1"
        flags = g["gre.flags_and_version_tree"]
        if i < 2:
            assert g["gre.proto"] == "0x6558"
            assert (flags["gre.flags.checksum"], flags["gre.flags.key"],
                    flags["gre.flags.sequence_number"], flags["gre.flags.version"]) == (
                "1", "1", "1", "0")
            assert int(g["gre.key"], 16) == 0xCAFE
            assert int(g["gre.sequence_number"]) == 41 + i
            assert g["gre.checksum.status"] == GOOD
            outer_eth, inner_eth = layer_list(layers, "eth")
            assert (outer_eth["eth.src"], inner_eth["eth.src"]) == (OUTER_SRC_MAC,
                                                                    "02:00:00:00:01:01")
        else:
            assert g["gre.proto"] == "0x0800"
            assert (flags["gre.flags.checksum"], flags["gre.flags.key"]) == ("0", "0")
        assert layers["tcp"]["tcp.srcport"] == "4321"


def test_vlan_tags(backend, tmp_path):
    s = packet(backend, bytes(INNER), protocol=0x0800)
    s.reset_mac_header()
    s.set_network_header(14)
    vlan.vlan_push(s, 0x8100, 5 << 13 | 100)
    vlan.vlan_push(s, 0x88A8, 30)
    vlan.vlan_insert_tag(s, 0x88A8, 30)
    (layers,) = dissect(tmp_path, [s.to_bytes()])
    outer, inner = layers["ieee8021ad"], layers["vlan"]
    assert (outer["ieee8021ad.id"], outer["ieee8021ad.priority"]) == ("30", "0")
    assert (inner["vlan.id"], inner["vlan.priority"], inner["vlan.etype"]) == ("100", "5",
                                                                               "0x0800")
    assert layers["eth"]["eth.type"] == "0x88a8"
    s.kfree()
