"""The ``skb`` command (also ``python -m skb``).

``tour`` walks through the memory model; ``show`` draws the packets of a
capture; ``encap``, ``decap``, ``segment``, ``fragment`` and ``reassemble``
read a pcap or pcapng file, run every packet through the library and write
the result as pcap, with a summary of packets in and out and of drops by
reason.  Mistakes (a missing file, a
malformed capture, a bad option) end with one line on stderr and exit
status 1 or 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Optional, Sequence, TextIO

from . import CHECKSUM_PARTIAL, NETIF_F, SKB_GSO, SkbError
from .drop import Drop, DropReason
from .pcap import PcapError, Reader, Writer

ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
ETH_P_TEB = 0x6558


class UsageError(Exception):
    """A mistake of the user's, reported in one line."""


# ----------------------------------------------------------------------
# the pcap pipeline


class Progress:
    """A progress line on stderr for long captures, redrawn at most a few
    times a second and only when stderr is a terminal."""

    def __init__(self, stream: TextIO, every: float = 0.25) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.every = every
        self.last = time.monotonic()
        self.shown = False

    def update(self, done: int) -> None:
        if not self.live:
            return
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self.stream.write(f"\r{done} packets...")
            self.stream.flush()
            self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


def finish_checksums(s) -> None:
    """A capture holds what the wire sees: checksums left to the device
    (CHECKSUM_PARTIAL) are filled in as a device without offload would."""
    if s.ip_summed == CHECKSUM_PARTIAL:
        s.checksum_help()


def run_pipeline(path_in: str, path_out: str,
                 process: Callable[[object, int], object],
                 out: TextIO, err: TextIO,
                 finish: Optional[Callable[[], dict[str, int]]] = None) -> None:
    """Read every record, hand its skb and timestamp (ns) to process, which
    owns the skb from then on and returns the skbs to write, a Drop, or the
    name of another verdict; write them and free them.  finish, called after
    the last record, returns more drops to count.  Then print the summary."""
    drops: Counter[str] = Counter()
    n_in = n_out = 0
    progress = Progress(err)
    writer: Optional[Writer] = None
    try:
        with Reader(path_in) as reader:
            for rec in reader:
                n_in += 1
                progress.update(n_in)
                ts, short, s = rec.ts_ns or 0, rec.wirelen - rec.caplen, rec.take()
                result = process(s, ts)
                if type(result) is Drop:
                    drops[result.reason.name] += 1
                    continue
                if type(result) is str:  # a verdict that is no drop reason
                    drops[result] += 1
                    continue
                for i, skb in enumerate(result):
                    try:
                        finish_checksums(skb)
                        if writer is None:
                            writer = Writer(path_out, nanosecond=True)
                        # bytes the capture cut off stay cut off
                        writer.write(skb, ts, wirelen=skb.len + short)
                        n_out += 1
                    except BaseException:
                        for rest in result[i + 1:]:
                            rest.consume()
                        raise
                    finally:
                        skb.consume()
            if finish is not None:
                drops.update(finish())
    finally:
        progress.close()
        if writer is None:
            writer = Writer(path_out, nanosecond=True)
        writer.close()
    out.write(f"{n_in} packets in, {n_out} out")
    if drops:
        out.write(", dropped: " + ", ".join(f"{r} {n}" for r, n in drops.most_common()))
    out.write("\n")


def as_list(result) -> object:
    """A process step's result: a Drop, or the one skb as a list."""
    return result if type(result) is Drop else [result]


# ----------------------------------------------------------------------
# the commands


def cmd_tour(args, out: TextIO, err: TextIO) -> None:
    from .tour import run

    run(out, width=args.width)


def describe(h) -> str:
    """One header as a short line of its main fields."""
    from .proto import headers as H

    name = type(h).__name__
    if isinstance(h, H.Ethernet):
        return f"Ethernet {H.mac_str(h.src)} > {H.mac_str(h.dst)} type {h.type:#06x}"
    if isinstance(h, H.Vlan):
        return f"802.1Q vid {h.vid} prio {h.pcp} type {h.type:#06x}"
    if isinstance(h, (H.IPv4, H.IPv6)):
        extra = f" id {h.id} ttl {h.ttl}" if isinstance(h, H.IPv4) else f" hlim {h.hop_limit}"
        return f"{name} {H.ip_str(h.src)} > {H.ip_str(h.dst)}{extra}"
    if isinstance(h, (H.Udp, H.Tcp)):
        return f"{name.upper()} {h.sport} > {h.dport}"
    if isinstance(h, H.Vxlan):
        return f"VXLAN vni {h.vni} flags {h.flags:#04x}"
    if isinstance(h, H.Gre):
        return f"GRE proto {h.proto:#06x} flags {h.flags_version:#06x}"
    return name


def cmd_show(args, out: TextIO, err: TextIO) -> None:
    from .proto.headers import walk

    with Reader(args.file) as reader:
        for rec in reader:
            if args.count is not None and rec.index >= args.count:
                break
            s = rec.skb
            out.write(f"#{rec.index + 1}  {rec.time:.6f}  {rec.caplen} bytes "
                      f"(linktype {rec.linktype})\n")
            for h in walk(s) if rec.linktype == 1 else ():
                out.write(f"  {describe(h)}\n")
            out.write(s.draw(width=args.width) + "\n\n")


def cmd_encap(args, out: TextIO, err: TextIO) -> None:
    from .proto import gre, vxlan

    macs = dict(src_mac=args.src_mac, dst_mac=args.dst_mac)
    try:
        if args.protocol == "vxlan":
            tunnel = vxlan.VxlanTunnel(args.vni, args.local, args.remote, port=args.port,
                                       udp_csum=args.csum, **macs)

            def process(s, ts):
                return as_list(tunnel.xmit(s))
        else:
            key = args.key
            t = gre.GreTunnel(args.local, args.remote, key=key, seq=args.seq,
                              csum=bool(args.csum), tap=True, **macs)

            def process(s, ts):
                return as_list(t.xmit(s))
    except ValueError as e:
        raise UsageError(str(e)) from None
    run_pipeline(args.input, args.output, process, out, err)


def ethernet_around(s, protocol: int) -> None:
    """An IP packet left by GRE decap gets an Ethernet header (zero
    addresses) so that it fits an Ethernet capture."""
    s.cow_head(14)
    s.push(14)[:] = bytes(12) + protocol.to_bytes(2, "big")
    s.reset_mac_header()


class AnyVni(dict):
    """decap's VNI table: a device (no learning) for whatever VNI arrives."""

    def __init__(self, ipv6: bool, port: int) -> None:
        super().__init__()
        self.local = "::" if ipv6 else "0.0.0.0"
        self.port = port

    def get(self, vni, default=None):
        from .proto.vxlan import VxlanDevice

        dev = super().get(vni)
        if dev is None:
            dev = self[vni] = VxlanDevice(vni, self.local, port=self.port, learning=False)
        return dev


def cmd_decap(args, out: TextIO, err: TextIO) -> None:
    from .proto import gre, vxlan

    if args.protocol == "vxlan":
        if args.vni is None:
            table: dict = AnyVni(args.ipv6, args.port)
        else:
            dev = vxlan.VxlanDevice(args.vni, "::" if args.ipv6 else "0.0.0.0",
                                    port=args.port, learning=False)
            table = {args.vni: dev}

        def process(s, ts):
            r = vxlan.decap(s, table, port=args.port)
            return r if type(r) is Drop else [r[0]]
    else:
        def process(s, ts):
            r = gre.decap(s)
            if type(r) is Drop:
                return r
            inner, info = r
            if args.key is not None and info.key != args.key:
                # no tunnel for this key: ip_gre answers as for no tunnel at all
                inner.kfree(DropReason.NO_SOCKET)
                return Drop(DropReason.NO_SOCKET)
            if info.proto != ETH_P_TEB:
                ethernet_around(inner, info.proto)
            return [inner]
    run_pipeline(args.input, args.output, process, out, err)


def cmd_segment(args, out: TextIO, err: TextIO) -> None:
    from . import gso_segment
    from .proto.headers import IPv4, IPv6, Tcp, walk

    if args.mss < 1:
        raise UsageError("--mss must be at least 1")
    features = NETIF_F.SG | (NETIF_F.HW_CSUM if args.offload else 0)

    def process(s, ts):
        hdrs = list(walk(s))
        kinds = [type(h) for h in hdrs]
        if len(hdrs) < 3 or kinds[-1] is not Tcp or kinds[-2] not in (IPv4, IPv6) or \
                Tcp in kinds[:-1]:
            return [s]
        ip, tcp = hdrs[-2], hdrs[-1]
        th = sum(h.hdr_len for h in hdrs[:-1])
        nh = th - ip.hdr_len
        payload = s.len - th - tcp.hdr_len
        if payload <= args.mss:
            return [s]
        s.set_network_header(nh)
        s.set_transport_header(th)
        s.protocol = ETH_P_IPV6 if type(ip) is IPv6 else ETH_P_IP
        s.gso_size = args.mss
        s.gso_type = SKB_GSO.TCPV6 if type(ip) is IPv6 else SKB_GSO.TCPV4
        try:
            segs = gso_segment(s, features)
        except SkbError:
            s.gso_size = s.gso_type = 0
            return [s]
        if segs is None:
            return [s]
        out_list = list(segs)
        s.consume()
        return out_list

    run_pipeline(args.input, args.output, process, out, err)


def ipv4_at_network_header(s) -> Optional[bytes]:
    """For an Ethernet frame carrying IPv4: pull the Ethernet header (whose
    bytes are returned, to be pushed back later) so data is at the IPv4
    header, as the IP layer sees a packet.  None for other frames."""
    if s.len < 34 or not s.may_pull(14) or s.copy_bits(12, 2) != b"\x08\x00":
        return None
    eth = s.copy_bits(0, 14)
    s.pull(14)
    s.reset_network_header()
    s.protocol = ETH_P_IP
    return eth


def push_ethernet(s, eth: bytes) -> None:
    s.cow_head(14)
    s.push(14)[:] = eth
    s.reset_mac_header()


def cmd_fragment(args, out: TextIO, err: TextIO) -> None:
    from . import ip

    if not ip.IPV4_MIN_MTU <= args.mtu <= 65535:
        raise UsageError(f"--mtu must be {ip.IPV4_MIN_MTU}..65535, not {args.mtu}")

    def process(s, ts):
        eth = ipv4_at_network_header(s)
        if eth is None:
            return [s]
        try:
            r = ip.fragment(s, args.mtu, ignore_df=args.ignore_df)
        except ValueError:
            # not a packet IPv4 output would cut (a truncated capture, ...): as it was
            push_ethernet(s, eth)
            return [s]
        if type(r) is ip.FragNeeded:
            return f"FRAG_NEEDED(mtu {r.mtu})"
        frags = list(r)
        for f in frags:
            push_ethernet(f, eth)
        return frags

    run_pipeline(args.input, args.output, process, out, err)


def cmd_reassemble(args, out: TextIO, err: TextIO) -> None:
    from . import drop_counts, ip

    queue = ip.DefragQueue(timeout=args.timeout)
    last = [0.0]

    def process(s, ts):
        now = last[0] = max(last[0], ts / 1e9)  # the queue's clock never goes back
        eth = ipv4_at_network_header(s)
        if eth is None:
            return [s]
        r = queue.defrag(s, now)
        if r is None:
            return []
        if type(r) is Drop:
            return r
        push_ethernet(r, eth)
        return [r]

    def finish() -> dict[str, int]:
        """Datagrams still incomplete at the end of the capture time out."""
        before = drop_counts().get(DropReason.FRAG_REASM_TIMEOUT, 0)
        queue.close()
        timed_out = drop_counts().get(DropReason.FRAG_REASM_TIMEOUT, 0) - before
        return {DropReason.FRAG_REASM_TIMEOUT.name: timed_out} if timed_out else {}

    try:
        run_pipeline(args.input, args.output, process, out, err, finish)
    finally:
        queue.close()


# ----------------------------------------------------------------------
# arguments


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="skb", description="The Linux sk_buff memory model: "
                                "a tour, drawings, and tunnels over pcap files.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    t = sub.add_parser("tour", help="the memory model step by step, drawn")
    t.add_argument("--width", type=int, default=100, help="columns (60..1000)")
    t.set_defaults(run=cmd_tour)

    s = sub.add_parser("show", help="draw each packet's skb and decode its headers")
    s.add_argument("file")
    s.add_argument("-n", "--count", type=int, help="show the first N packets only")
    s.add_argument("--width", type=int, default=100, help="columns (60..1000)")
    s.set_defaults(run=cmd_show)

    e = sub.add_parser("encap", help="encapsulate every frame (vxlan or gre)")
    e.add_argument("protocol", choices=["vxlan", "gre"])
    e.add_argument("input")
    e.add_argument("output")
    e.add_argument("--local", default="192.0.2.1", help="outer source address")
    e.add_argument("--remote", default="192.0.2.2", help="outer destination address")
    e.add_argument("--src-mac", default="02:00:00:00:00:01", help="outer source MAC")
    e.add_argument("--dst-mac", default="02:00:00:00:00:02", help="outer destination MAC")
    e.add_argument("--vni", type=int, default=1, help="VXLAN network identifier")
    e.add_argument("--port", type=int, default=4789, help="VXLAN UDP port (8472: Linux's)")
    e.add_argument("--csum", action="store_true", default=None,
                   help="outer UDP (VXLAN) or GRE checksum")
    e.add_argument("--key", type=int, help="GRE key")
    e.add_argument("--seq", action="store_true", help="GRE sequence numbers")
    e.set_defaults(run=cmd_encap)

    d = sub.add_parser("decap", help="decapsulate every frame (vxlan or gre)")
    d.add_argument("protocol", choices=["vxlan", "gre"])
    d.add_argument("input")
    d.add_argument("output")
    d.add_argument("--vni", type=int, help="accept this VNI only (default: any)")
    d.add_argument("--port", type=int, default=4789, help="VXLAN UDP port")
    d.add_argument("--ipv6", action="store_true", help="VXLAN over IPv6")
    d.add_argument("--key", type=int, help="GRE: accept this key only")
    d.set_defaults(run=cmd_decap)

    g = sub.add_parser("segment", help="cut TCP packets longer than MSS (software GSO)")
    g.add_argument("--mss", type=int, required=True)
    g.add_argument("--offload", action="store_true",
                   help="leave the TCP checksums to the device (then filled on write)")
    g.add_argument("input")
    g.add_argument("output")
    g.set_defaults(run=cmd_segment)

    f = sub.add_parser("fragment", help="fragment IPv4 packets longer than MTU")
    f.add_argument("--mtu", type=int, required=True)
    f.add_argument("--ignore-df", action="store_true", help="cut DF packets too")
    f.add_argument("input")
    f.add_argument("output")
    f.set_defaults(run=cmd_fragment)

    r = sub.add_parser("reassemble", help="reassemble IPv4 fragments (ip_defrag)")
    r.add_argument("--timeout", type=float, default=30.0,
                   help="seconds a datagram may take, on the capture's clock")
    r.add_argument("input")
    r.add_argument("output")
    r.set_defaults(run=cmd_reassemble)
    return p


def main(argv: Optional[Sequence[str]] = None, out: TextIO = sys.stdout,
         err: TextIO = sys.stderr) -> int:
    args = parser().parse_args(argv)
    try:
        args.run(args, out, err)
    except (UsageError, PcapError, OSError) as e:
        err.write(f"skb {args.command}: {e}\n")
        return 1
    except (ValueError, SkbError) as e:
        err.write(f"skb {args.command}: {type(e).__name__}: {e}\n")
        return 1
    except KeyboardInterrupt:
        err.write(f"skb {args.command}: interrupted\n")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
