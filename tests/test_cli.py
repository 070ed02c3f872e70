"""The ``skb`` command end to end: captures made here, run through each
subcommand, the output read back with scapy (and tshark where installed)."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import sys

import pytest
from scapy.layers.inet import GRE, IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.layers.vxlan import VXLAN
from scapy.utils import rdpcap, wrpcap

import skb
from skb.cli import main
from skb.drop import DropReason
from skbhelp import ones
from toolenv import tool_env

INNER = [Ether(src="02:00:00:00:01:01", dst="02:00:00:00:01:02") /
         IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=1000 + i, dport=80) / (b"d" * (50 + i))
         for i in range(5)]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def capture(tmp_path, name, packets) -> str:
    path = str(tmp_path / name)
    wrpcap(path, packets)
    return path


def test_tour_walks_every_step_and_frees_everything():
    before = skb.counters()
    code, out, err = run("tour")
    assert (code, err) == (0, "")
    titles = [line for line in out.splitlines() if line.split(".")[0].isdigit()]
    assert len(titles) == 12
    for word in ("alloc_skb", "skb_reserve", "skb_put", "skb_push", "skb_pull", "skb_clone",
                 "fclone", "skb_copy", "page frags", "frag_list", "GSO", "kfree_skb"):
        assert word in out
    assert "dataref 2" in out and "fclone orig" in out and "frags[0]" in out
    assert "B[0]" in out or "[0]" in out  # the segment list is drawn
    assert max(len(line) for line in out.splitlines()) <= 100
    after = skb.counters()
    assert (after.live_skbs, after.live_heads, after.live_pages) == (
        before.live_skbs, before.live_heads, before.live_pages)


@pytest.mark.parametrize("width", [62, 140])
def test_tour_width(width):
    code, out, _ = run("tour", "--width", str(width))
    assert code == 0 and max(len(line) for line in out.splitlines()) <= width


def test_tour_width_out_of_range_is_one_line():
    code, out, err = run("tour", "--width", "20")
    assert code == 1 and err.count("\n") == 1 and "20" in err


def test_show(tmp_path):
    path = capture(tmp_path, "in.pcap", INNER)
    code, out, err = run("show", path, "-n", "2")
    assert (code, err) == (0, "")
    assert out.count("sk_buff A") == 2 and "#3" not in out
    assert "IPv4 10.0.0.1 > 10.0.0.2" in out and "TCP 1000 > 80" in out
    assert "Ethernet 02:00:00:00:01:01 > 02:00:00:00:01:02 type 0x0800" in out


def test_encap_decap_vxlan_round_trip(tmp_path):
    src = capture(tmp_path, "in.pcap", INNER)
    mid, back = str(tmp_path / "vx.pcap"), str(tmp_path / "back.pcap")
    code, out, err = run("encap", "vxlan", src, mid, "--vni", "77", "--local", "192.0.2.9",
                         "--remote", "192.0.2.8", "--csum")
    assert (code, out, err) == (0, "5 packets in, 5 out\n", "")
    pkts = rdpcap(mid)
    assert len(pkts) == 5
    for p, inner in zip(pkts, INNER):
        assert (p[IP].src, p[IP].dst, p[UDP].dport, p[VXLAN].vni) == (
            "192.0.2.9", "192.0.2.8", 4789, 77)
        assert ones(bytes(p[IP])[:20]) == 0xFFFF
        assert bytes(p[VXLAN].payload) == bytes(inner)
        udp = bytes(p[UDP])
        pseudo = bytes([192, 0, 2, 9, 192, 0, 2, 8, 0, 17]) + struct.pack("!H", len(udp))
        assert p[UDP].chksum != 0 and ones(pseudo + udp) == 0xFFFF
    code, out, err = run("decap", "vxlan", mid, back)
    assert (code, out, err) == (0, "5 packets in, 5 out\n", "")
    assert [bytes(p) for p in rdpcap(back)] == [bytes(p) for p in INNER]
    code, out, _ = run("decap", "vxlan", mid, back, "--vni", "78")
    assert out == f"5 packets in, 0 out, dropped: {DropReason.VXLAN_VNI_NOT_FOUND.name} 5\n"


def test_encap_decap_gre_round_trip(tmp_path):
    src = capture(tmp_path, "in.pcap", INNER)
    mid, back = str(tmp_path / "gre.pcap"), str(tmp_path / "back.pcap")
    code, out, _ = run("encap", "gre", src, mid, "--key", "7", "--csum", "--seq")
    assert (code, out) == (0, "5 packets in, 5 out\n")
    for n, (p, inner) in enumerate(zip(rdpcap(mid), INNER)):
        g = p[GRE]
        assert (g.proto, g.key, g.sequence_number) == (0x6558, 7, n)
        assert ones(bytes(g)) == 0xFFFF
        assert bytes(g.payload) == bytes(inner)
    code, out, _ = run("decap", "gre", mid, back, "--key", "7")
    assert (code, out) == (0, "5 packets in, 5 out\n")
    assert [bytes(p) for p in rdpcap(back)] == [bytes(p) for p in INNER]
    code, out, _ = run("decap", "gre", mid, back, "--key", "8")
    assert (code, out) == (0, "5 packets in, 0 out, dropped: NO_SOCKET 5\n")


def test_gre_decap_of_an_ip_payload_gets_an_ethernet_header(tmp_path):
    ip = IP(src="10.9.9.1", dst="10.9.9.2") / UDP(sport=1, dport=2) / b"abc"
    frame = Ether() / IP(src="192.0.2.1", dst="192.0.2.2") / GRE(proto=0x0800) / ip
    src, dst = capture(tmp_path, "g.pcap", [frame]), str(tmp_path / "o.pcap")
    code, out, _ = run("decap", "gre", src, dst)
    assert (code, out) == (0, "1 packets in, 1 out\n")
    p = rdpcap(dst)[0]
    assert (p.src, p.dst, p.type) == ("00:00:00:00:00:00", "00:00:00:00:00:00", 0x0800)
    assert bytes(p[IP]) == bytes(ip)


def test_segment(tmp_path):
    payload = bytes(i & 0xFF for i in range(2500))
    big = Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=5, dport=6, seq=100,
                                                            flags="PA") / payload
    small = INNER[0]
    src, dst = capture(tmp_path, "big.pcap", [big, small]), str(tmp_path / "seg.pcap")
    code, out, _ = run("segment", "--mss", "1000", src, dst)
    assert (code, out) == (0, "2 packets in, 4 out\n")
    pkts = rdpcap(dst)
    assert [len(p[TCP].payload) for p in pkts] == [1000, 1000, 500, len(small[TCP].payload)]
    assert [p[TCP].seq for p in pkts[:3]] == [100, 1100, 2100]
    assert [str(p[TCP].flags) for p in pkts[:3]] == ["A", "A", "PA"]
    assert b"".join(bytes(p[TCP].payload) for p in pkts[:3]) == payload
    for p in pkts[:3]:
        tcp = bytes(p[TCP])
        pseudo = bytes([10, 0, 0, 1, 10, 0, 0, 2, 0, 6]) + struct.pack("!H", len(tcp))
        assert ones(pseudo + tcp) == 0xFFFF and ones(bytes(p[IP])[:20]) == 0xFFFF
    code, out, _ = run("segment", "--mss", "1000", "--offload", src, dst)
    assert [bytes(p) for p in rdpcap(dst)] == [bytes(p) for p in pkts]


@pytest.mark.parametrize("argv, needle", [
    (["show", "/nonexistent/x.pcap"], "No such file"),
    (["encap", "vxlan", "/nonexistent/x.pcap", "/tmp/o.pcap"], "No such file"),
    (["segment", "--mss", "0", "IN", "OUT"], "--mss"),
    (["encap", "vxlan", "IN", "OUT", "--vni", "99999999"], "VNI"),
])
def test_mistakes_are_one_line(tmp_path, argv, needle):
    argv = [str(tmp_path / "in.pcap") if a == "IN" else str(tmp_path / "o.pcap")
            if a == "OUT" else a for a in argv]
    capture(tmp_path, "in.pcap", INNER)
    code, out, err = run(*argv)
    assert code == 1 and err.count("\n") == 1 and needle.lower() in err.lower()
    assert "Traceback" not in err


def test_malformed_capture_is_one_line(tmp_path):
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(b"\xd4\xc3\xb2\xa1" + bytes(10))
    code, _, err = run("show", str(bad))
    assert code == 1 and err.count("\n") == 1 and "offset" in err


def test_argument_errors_exit_2():
    with pytest.raises(SystemExit) as e:
        main(["encap", "ipip", "a", "b"], out=io.StringIO(), err=io.StringIO())
    assert e.value.code == 2


def test_the_module_runs_as_a_program(tmp_path):
    src = capture(tmp_path, "in.pcap", INNER[:1])
    proc = subprocess.run([sys.executable, "-m", "skb", "show", src], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0 and "sk_buff A" in proc.stdout


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark (Wireshark) is not installed")
def test_tshark_reads_the_encapsulated_capture(tmp_path):
    src = capture(tmp_path, "in.pcap", INNER)
    mid = str(tmp_path / "vx.pcap")
    assert run("encap", "vxlan", src, mid, "--vni", "5")[0] == 0
    out = subprocess.run(["tshark", "-r", mid, "-T", "fields", "-e", "vxlan.vni", "-e",
                          "tcp.srcport"], capture_output=True, text=True, timeout=120,
                         check=True, env=tool_env()).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    assert [r[0] for r in rows] == ["5"] * 5
    assert [r[1].split(",")[-1] for r in rows] == [str(1000 + i) for i in range(5)]


def big_udp(n: int = 4000, df: bool = False, ident: int = 99):
    return (Ether(src="02:00:00:00:01:01", dst="02:00:00:00:01:02") /
            IP(src="10.1.0.1", dst="10.1.0.2", id=ident, flags="DF" if df else 0) /
            UDP(sport=7, dport=9) / bytes(i & 0xFF for i in range(n)))


def test_fragment_and_reassemble_round_trip(tmp_path):
    from scapy.layers.inet import defragment

    packets = [big_udp(), INNER[0], big_udp(1200, ident=100)]
    src, frags, back = (capture(tmp_path, "in.pcap", packets), str(tmp_path / "f.pcap"),
                        str(tmp_path / "r.pcap"))
    code, out, err = run("fragment", "--mtu", "1500", src, frags)
    assert (code, out, err) == (0, "3 packets in, 5 out\n", "")
    got = rdpcap(frags)
    ips = [p[IP] for p in got]
    # 4008 bytes of UDP: 1480 + 1480 + 1048, offsets in 8-byte units, MF on all but the last
    assert [(i.id, i.frag, i.flags.MF, i.len) for i in ips[:3]] == [
        (99, 0, 1, 1500), (99, 185, 1, 1500), (99, 370, 0, 1068)]
    assert all(ones(bytes(i)[:20]) == 0xFFFF for i in ips)
    assert all(p.src == "02:00:00:00:01:01" for p in got)
    assert bytes(got[3]) == bytes(INNER[0]) and bytes(got[4]) == bytes(packets[2])
    whole = [p for p in defragment(got) if p[IP].id == 99][0]  # scapy puts them together
    assert bytes(whole[IP].payload) == bytes(packets[0][IP].payload)

    code, out, err = run("reassemble", frags, back)
    assert (code, out, err) == (0, "5 packets in, 3 out\n", "")
    assert sorted(bytes(p) for p in rdpcap(back)) == sorted(bytes(p) for p in packets)


def test_fragment_df_is_fragmentation_needed(tmp_path):
    src, dst = capture(tmp_path, "df.pcap", [big_udp(df=True)]), str(tmp_path / "o.pcap")
    code, out, _ = run("fragment", "--mtu", "1400", src, dst)
    assert (code, out) == (0, "1 packets in, 0 out, dropped: FRAG_NEEDED(mtu 1400) 1\n")
    code, out, _ = run("fragment", "--mtu", "1400", "--ignore-df", src, dst)
    assert (code, out) == (0, "1 packets in, 3 out\n")


def test_reassemble_counts_what_never_completes(tmp_path):
    src, frags = capture(tmp_path, "in.pcap", [big_udp()]), str(tmp_path / "f.pcap")
    assert run("fragment", "--mtu", "1500", src, frags)[0] == 0
    pkts = rdpcap(frags)
    partial = capture(tmp_path, "p.pcap", pkts[:2])
    code, out, _ = run("reassemble", partial, str(tmp_path / "r.pcap"))
    assert (code, out) == (0, "2 packets in, 0 out, dropped: FRAG_REASM_TIMEOUT 2\n")
    dup = capture(tmp_path, "d.pcap", [pkts[0], pkts[0], pkts[1], pkts[2]])
    code, out, _ = run("reassemble", dup, str(tmp_path / "r.pcap"))
    assert (code, out) == (0, "4 packets in, 1 out, dropped: DUP_FRAG 1\n")


def test_fragment_mtu_out_of_range(tmp_path):
    src = capture(tmp_path, "in.pcap", INNER)
    code, _, err = run("fragment", "--mtu", "40", src, str(tmp_path / "o.pcap"))
    assert code == 1 and "--mtu" in err and err.count("\n") == 1
