"""Real kernel interop: two network namespaces joined by a veth pair, a
kernel VXLAN device on one side and skb.proto on the other (vxlan_peer.py,
over a raw AF_PACKET socket).  Both directions: the kernel's frames decap
correctly, and the kernel accepts ours (it answers our ICMP echo through the
tunnel, and its ping gets our answer).

Skipped, with the reason, where namespaces or vxlan links cannot be made.
Addresses live only inside the namespaces the test makes; both are deleted
afterwards whatever happens.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import pytest
from toolenv import tool_env

IP = shutil.which("ip")
PEER = pathlib.Path(__file__).with_name("vxlan_peer.py")
TAG = f"skbt{os.getpid() % 100000}"
K_NS, L_NS = f"{TAG}k", f"{TAG}l"  # the kernel's side and the library's side
VNI = 42
K_LOWER, L_LOWER = "02:00:00:5e:10:01", "02:00:00:5e:10:02"
K_INNER, L_INNER = "02:00:00:5e:20:01", "02:00:00:5e:20:02"
K_IP, L_IP = "10.231.0.1", "10.231.0.2"
K_INNER_IP, L_INNER_IP = "192.168.231.1", "192.168.231.2"


def sh(*args: str, ns: str | None = None, check: bool = True, timeout: float = 10):
    cmd = ([IP, "netns", "exec", ns] if ns else []) + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=timeout,
                          env=tool_env())


# The kernel side's ping (iputils may not be installed): a raw ICMP socket
# sends one echo request and waits for the matching reply.
PING = """
import socket, struct, sys, time
dst, ident, payload = sys.argv[1], 0x5150, b"skb ping payload"
def csum(b):
    b += b"\\0" * (len(b) % 2)
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF
msg = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + payload
msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.sendto(msg, (dst, 0))
deadline = time.monotonic() + 3
while time.monotonic() < deadline:
    s.settimeout(deadline - time.monotonic())
    try:
        data, addr = s.recvfrom(2048)
    except socket.timeout:
        break
    icmp = data[(data[0] & 15) * 4:]
    if addr[0] == dst and icmp[0] == 0 and icmp[4:8] == struct.pack("!HH", ident, 1) \\
            and icmp[8:] == payload and csum(icmp) == 0:
        print("reply")
        break
else:
    print("none")
"""


# veth leaves a locally built checksum to a device that never computes it
# (CHECKSUM_PARTIAL crosses the pair as is): switch transmit checksum
# offload off on the kernel's side, as `ethtool -K vk tx off` does, so its
# frames carry real UDP checksums for the decap to verify.
TX_CSUM_OFF = """
import ctypes, fcntl, socket, struct, sys
value = ctypes.create_string_buffer(struct.pack("II", 0x17, 0))  # ETHTOOL_STXCSUM, off
ifreq = struct.pack("16sP", sys.argv[1].encode(), ctypes.addressof(value))
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
fcntl.ioctl(sock.fileno(), 0x8946, ifreq)  # SIOCETHTOOL
"""


def why_not() -> str | None:
    """None when this machine can run the test, else the reason it cannot."""
    if sys.platform != "linux":
        return "needs Linux network namespaces"
    if IP is None:
        return "needs the ip command (iproute2)"
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    probe = f"{TAG}p"
    try:
        r = sh(IP, "netns", "add", probe, check=False)
        if r.returncode:
            return f"cannot create a network namespace: {r.stderr.strip()}"
        r = sh(IP, "link", "add", "vxprobe", "type", "vxlan", "id", "1", "dstport", "4789",
               ns=probe, check=False)
        if r.returncode:
            return f"cannot create a vxlan link: {r.stderr.strip()}"
    finally:
        sh(IP, "netns", "del", probe, check=False)
    return None


@pytest.fixture
def namespaces():
    reason = why_not()
    if reason:
        pytest.skip(reason)
    try:
        sh(IP, "netns", "add", K_NS)
        sh(IP, "netns", "add", L_NS)
        for ns in (K_NS, L_NS):
            sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", ns=ns)
            sh("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1", ns=ns)
            sh(IP, "link", "set", "lo", "up", ns=ns)
        sh(IP, "link", "add", "vk", "netns", K_NS, "address", K_LOWER, "type", "veth", "peer",
           "name", "vl", "netns", L_NS, "address", L_LOWER)
        sh(IP, "addr", "add", f"{K_IP}/24", "dev", "vk", ns=K_NS)
        sh(IP, "link", "set", "vk", "up", ns=K_NS)
        sh(sys.executable, "-c", TX_CSUM_OFF, "vk", ns=K_NS)
        sh(IP, "link", "set", "vl", "up", ns=L_NS)
        sh(IP, "neigh", "add", L_IP, "lladdr", L_LOWER, "dev", "vk", "nud", "permanent",
           ns=K_NS)
        sh(IP, "link", "add", "vx0", "address", K_INNER, "type", "vxlan", "id", str(VNI),
           "local", K_IP, "remote", L_IP, "dstport", "4789", "dev", "vk", "udpcsum", ns=K_NS)
        sh(IP, "addr", "add", f"{K_INNER_IP}/24", "dev", "vx0", ns=K_NS)
        sh(IP, "link", "set", "vx0", "up", ns=K_NS)
        sh(IP, "neigh", "add", L_INNER_IP, "lladdr", L_INNER, "dev", "vx0", "nud", "permanent",
           ns=K_NS)
        yield
    finally:
        sh(IP, "netns", "del", K_NS, check=False)
        sh(IP, "netns", "del", L_NS, check=False)


def test_kernel_vxlan_both_directions(namespaces):
    cfg = dict(ifname="vl", vni=VNI, local=L_IP, remote=K_IP, lower_mac=L_LOWER,
               peer_lower_mac=K_LOWER, inner_mac=L_INNER, inner_ip=L_INNER_IP,
               peer_inner_mac=K_INNER, peer_inner_ip=K_INNER_IP, timeout=4.0)
    peer = subprocess.Popen([IP, "netns", "exec", L_NS, sys.executable, str(PEER),
                             json.dumps(cfg)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert peer.stdout.readline().strip() == "ready", peer.stderr.read()
        started = time.monotonic()
        ping = sh(sys.executable, "-c", PING, L_INNER_IP, ns=K_NS, check=False)
        out, err = peer.communicate(timeout=15)
    finally:
        if peer.poll() is None:
            peer.kill()
            peer.wait()
    assert time.monotonic() - started < 15
    result = json.loads(out.strip().splitlines()[-1])
    req = result["request"]
    assert req is not None, err
    # what the kernel sent decapped to its echo request
    assert (req["vni"], req["outer_src"], req["dport"], req["inner_src"], req["inner_dst"],
            req["inner_src_mac"]) == (VNI, K_IP, 4789, K_INNER_IP, L_INNER_IP, K_INNER)
    assert req["udp_check"] != 0  # udpcsum: verified by decap
    assert bytes.fromhex(req["payload"]) == b"skb ping payload"
    assert (req["ident"], req["seq"]) == (0x5150, 1)
    # the kernel accepted our answer: its socket got the echo reply
    assert result["reply_sent"] > 0
    assert ping.stdout.strip() == "reply", ping.stdout + ping.stderr
    # and it answered our own echo request through the tunnel
    rep = result["reply"]
    assert rep is not None, err
    assert (rep["vni"], rep["inner_src"], rep["inner_dst"]) == (VNI, K_INNER_IP, L_INNER_IP)
    assert bytes.fromhex(rep["payload"]) == b"skb.proto interop"
    # learning put the kernel's inner MAC behind its underlay address
    assert [K_INNER, K_IP, 4789, VNI, False] in result["fdb"]
    assert result["stats"]["rx_packets"] == 2 and result["stats"]["tx_packets"] == 2
    assert result["live_skbs"] == 0
