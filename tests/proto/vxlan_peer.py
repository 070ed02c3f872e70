"""The library side of test_kernel_interop: run inside a network namespace
(``ip netns exec NS python vxlan_peer.py CONFIG_JSON``), it plays a VXLAN
endpoint with skb.proto over a raw AF_PACKET socket:

1. prints "ready", then waits for the kernel's encapsulated ICMP echo
   request, decaps it and answers it through the tunnel;
2. sends its own echo request to the kernel's inner address and waits for
   the encapsulated reply;
3. prints one JSON line with what it saw.

Every wait is bounded; the process exits on its own.
"""

from __future__ import annotations

import json
import socket
import struct
import sys
import time

import skb
from skb.proto import headers as H
from skb.proto import vxlan

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def icmp_echo(cfg: dict, icmp_type: int, ident: int, seq: int, payload: bytes,
              dst_mac: str, dst_ip: str) -> bytes:
    """An Ethernet/IPv4/ICMP echo (request 8 or reply 0) from our inner host."""
    icmp = bytearray(struct.pack("!BBHHH", icmp_type, 0, 0, ident, seq) + payload)
    struct.pack_into("!H", icmp, 2, ~H.buffer_sum(icmp, 0, len(icmp)) & 0xFFFF)
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 0x1234, 0x4000, 64,
                               1, 0, H.ip_bytes(cfg["inner_ip"]), H.ip_bytes(dst_ip)))
    H.ip_send_check(H.IPv4(ip))
    return H.mac_bytes(dst_mac) + H.mac_bytes(cfg["inner_mac"]) + b"\x08\x00" + ip + icmp


def receive(sock, dev, deadline: float, want):
    """Decap frames until one satisfies want(skb, info); returns (facts, skb)
    or (None, None) at the deadline.  Other frames are freed."""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            frame, addr = sock.recvfrom(65535)
        except socket.timeout:
            break
        if addr[2] == PACKET_OUTGOING:
            continue
        s = skb.alloc_skb(len(frame) + 64)
        s.reserve(64)
        s.put_data(frame)
        r = vxlan.decap(s, dev)
        if type(r) is not tuple:
            continue
        facts = want(s, r[1], frame)
        if facts is not None:
            return facts, s
        s.kfree()
    return None, None


def send(sock, dev, frame: bytes) -> int:
    s = skb.alloc_skb(len(frame) + 128)
    s.reserve(128)
    s.put_data(frame)
    s.protocol = 0x0800
    s.set_network_header(14)
    sent = 0
    for out in dev.xmit(s):
        if out.ip_summed == 3:
            out.checksum_help()
        sent += sock.send(out.to_bytes())
        out.kfree()
    return sent


def main() -> None:
    cfg = json.loads(sys.argv[1])
    dev = vxlan.VxlanDevice(cfg["vni"], cfg["local"], remote=cfg["remote"], mac=cfg["inner_mac"],
                            src_mac=cfg["lower_mac"], dst_mac=cfg["peer_lower_mac"],
                            udp_csum=True)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((cfg["ifname"], 0))
    result: dict = {}
    print("ready", flush=True)

    def echo_request(s, info, frame):
        ip = H.IPv4.at(s, 14)
        if ip is None or ip.proto != 1 or H.ip_str(ip.dst) != cfg["inner_ip"]:
            return None
        icmp = H.Icmp.at(s, 14 + ip.hdr_len)
        if icmp is None or icmp.type != 8:
            return None
        outer = H.IPv4(bytearray(frame), 14)
        udp = H.Udp(bytearray(frame), 34)
        return dict(vni=info.vni, outer_src=H.ip_str(info.saddr), dport=info.dport,
                    udp_check=udp.check, outer_df=outer.df,
                    inner_src=H.ip_str(ip.src), inner_dst=H.ip_str(ip.dst),
                    inner_src_mac=H.mac_str(H.Ethernet.at(s, 0).src),
                    ident=icmp.rest >> 16, seq=icmp.rest & 0xFFFF,
                    payload=s.copy_bits(14 + ip.hdr_len + 8, ip.len - ip.hdr_len - 8).hex())

    facts, s = receive(sock, dev, time.monotonic() + cfg["timeout"], echo_request)
    result["request"] = facts
    if facts is not None:
        s.kfree()
        reply = icmp_echo(cfg, 0, facts["ident"], facts["seq"], bytes.fromhex(facts["payload"]),
                          facts["inner_src_mac"], facts["inner_src"])
        result["reply_sent"] = send(sock, dev, reply)
        result["fdb"] = [list(e) for e in dev.fdb_dump()]

    ident, seq, payload = 0x4242, 7, b"skb.proto interop"

    def echo_reply(s, info, frame):
        ip = H.IPv4.at(s, 14)
        if ip is None or ip.proto != 1:
            return None
        icmp = H.Icmp.at(s, 14 + ip.hdr_len)
        if icmp is None or icmp.type != 0 or icmp.rest != ident << 16 | seq:
            return None
        return dict(vni=info.vni, inner_src=H.ip_str(ip.src), inner_dst=H.ip_str(ip.dst),
                    payload=s.copy_bits(14 + ip.hdr_len + 8, ip.len - ip.hdr_len - 8).hex())

    request = icmp_echo(cfg, 8, ident, seq, payload, cfg["peer_inner_mac"], cfg["peer_inner_ip"])
    result["request_sent"] = send(sock, dev, request)
    facts, s = receive(sock, dev, time.monotonic() + cfg["timeout"], echo_reply)
    result["reply"] = facts
    if s is not None:
        s.kfree()
    result["stats"] = dev.stats.as_dict()
    result["live_skbs"] = skb.counters().live_skbs
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
