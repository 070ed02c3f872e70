"""``skb tour``: the sk_buff memory model step by step, in the order of
DESIGN.md's walk-through, each step a real engine operation drawn with
``skb.viz``: alloc, reserve, put, push and pull, clone, fclone, copy, page
frags, frag_list, GSO segmentation, free."""

from __future__ import annotations

import struct
import sys
import textwrap
from collections.abc import Callable, Iterator
from typing import Optional, TextIO

from . import ip, viz
from .features import NETIF_F, SKB_GSO
from .gso import gso_segment
from .page import alloc_page
from .skbuff import SkBuff, alloc_skb

Step = tuple[str, str, Callable[[int], str]]
INDENT = 2
MIN_WIDTH = viz.MIN_WIDTH + INDENT


def tcp_frame(payload: int) -> bytes:
    """Ethernet + IPv4 + TCP headers for a payload of the given length."""
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + payload, 1, 0x4000, 64, 6, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    tcp = struct.pack("!HHIIBBHHH", 4321, 80, 1000, 0, 0x50, 0x18, 65535, 0, 0)
    return bytes.fromhex("020000000002020000000001") + b"\x08\x00" + ip + tcp


def udp_datagram(payload: int) -> bytes:
    """An IPv4/UDP datagram (no Ethernet header) with a payload of that length."""
    ip_hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + payload, 7, 0, 64, 17, 0,
                         bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    check = sum(struct.unpack("!10H", ip_hdr))
    check = (check & 0xFFFF) + (check >> 16)
    ip_hdr = ip_hdr[:10] + struct.pack("!H", ~check & 0xFFFF) + ip_hdr[12:]
    return ip_hdr + struct.pack("!HHHH", 7, 9, 8 + payload, 0) + bytes(payload)


def steps() -> Iterator[Step]:
    """(title, explanation, action drawing the result at a width) per step."""
    state: dict[str, SkBuff] = {}

    def alloc(width: int) -> str:
        state["s"] = alloc_skb(1500)
        return viz.draw(state["s"], width=width)

    def reserve(width: int) -> str:
        state["s"].reserve(64)
        return viz.draw(state["s"], width=width)

    def put(width: int) -> str:
        state["s"].put_data(b"payload " * 100)
        return viz.draw(state["s"], width=width)

    def push(width: int) -> str:
        s = state["s"]
        s.push(20)
        s.reset_transport_header()
        s.push(20)
        s.reset_network_header()
        s.push(14)
        s.reset_mac_header()
        return viz.draw(s, width=width)

    def pull(width: int) -> str:
        s = state["s"]
        s.pull(14)
        return viz.draw(s, width=width)

    def clone(width: int) -> str:
        s = state["s"]
        c = s.clone()
        out = viz.draw(s, c, width=width)
        c.kfree()
        return out + "\n(the clone freed: dataref back to 1;\n the original stays marked cloned)"

    def fclone(width: int) -> str:
        f = alloc_skb(256, fclone=True)
        f.put_data(bytes(100))
        c = f.clone()
        out = viz.draw(f, c, width=width)
        c.kfree()
        f.kfree()
        return out

    def copy(width: int) -> str:
        c = state["s"].copy()
        out = viz.draw(c, width=width)
        c.kfree()
        return out + "\n(a head of its own: dataref 1, not cloned)"

    def frags(width: int) -> str:
        s = alloc_skb(128)
        s.reserve(64)
        s.put_data(b"headers " * 8)
        page = alloc_page()
        page.data[:3000] = bytes(3000)
        page.get()
        s.add_rx_frag(0, page, 0, 1500, 2048)
        s.add_rx_frag(1, page, 1500, 1500, 2048)
        out = viz.draw(s, width=width)
        s.kfree()
        return out + "\n(two frags in one page: it holds a reference for each)"

    def frag_list(width: int) -> str:
        s = alloc_skb(4100)
        s.put_data(udp_datagram(4000))
        s.reset_network_header()
        s.protocol = 0x0800
        fragments = list(ip.fragment(s, 1500))
        with ip.DefragQueue() as queue:
            for f in fragments:
                whole = queue.defrag(f, 0.0)
        out = viz.draw(whole, width=width)
        whole.kfree()
        return ("ip_fragment(mtu 1500): a 4028-byte datagram in 3 fragments;\n"
                "ip_defrag put them back:\n" + out)

    def gso(width: int) -> str:
        payload = 3000
        s = alloc_skb(64 + 54 + payload)
        s.reserve(64)
        s.put_data(tcp_frame(payload) + bytes(payload))
        s.protocol = 0x0800
        s.set_network_header(14)
        s.set_transport_header(34)
        s.gso_size = 1448
        s.gso_type = SKB_GSO.TCPV4
        big = viz.draw(s, width=width)
        segs = gso_segment(s, NETIF_F.SG)
        out = big + "\n\nskb_gso_segment(SG) ->\n" + viz.draw(segs, width=width)
        for seg in segs:
            seg.kfree()
        s.kfree()
        return out

    def free(width: int) -> str:
        state.pop("s").kfree()
        return "(every skb, head and page of the tour is freed)"

    yield ("alloc_skb(1500)", "Two allocations: the sk_buff (metadata) and the data area "
           "with skb_shared_info after end. head = data = tail; the allocator rounded "
           "the size up.", alloc)
    yield ("skb_reserve(64)", "Move data and tail forward: headroom for the headers to "
           "come.", reserve)
    yield ("skb_put(800)", "Extend the data at the tail: the payload.  Now the four "
           "regions exist: headroom, data, tailroom, shared info.", put)
    yield ("skb_push(20), skb_push(20), skb_push(14)", "Transmit pushes the headers on, "
           "layer by layer (TCP, IPv4, Ethernet), and records where each starts.", push)
    yield ("skb_pull(14)", "Receive pulls headers off the front (here the Ethernet "
           "header, as eth_type_trans does).", pull)
    yield ("skb_clone", "A second sk_buff on the same data (a packet capture beside the "
           "stack): dataref becomes 2, both are marked cloned.", clone)
    yield ("alloc_skb_fclone + skb_clone", "The pair is allocated together; the first "
           "clone is the companion right behind the original (fclone_ref counts "
           "them).", fclone)
    yield ("skb_copy", "A writer needs its own copy of the metadata and the data.", copy)
    yield ("page frags", "Nonlinear model one: skb_shared_info.frags[] holds (page, "
           "offset, size) triples, as NIC drivers fill them; len counts them, the head "
           "holds only headlen.", frags)
    yield ("frag_list", "Nonlinear model two: member skbs chained from the shared info "
           "through next, as IPv4 reassembly builds them: the head holds the IP header and "
           "the first fragment's payload, each member a later payload.", frag_list)
    yield ("GSO", "Nonlinear model three: a 3000-byte TCP packet with gso_size 1448 is "
           "cut into MSS-sized segments linked by next, headers copied into each.", gso)
    yield ("kfree_skb", "The last reference frees the struct and the data.", free)


def run(out: Optional[TextIO] = None, width: int = 100) -> None:
    """Print the tour, width columns wide (at least MIN_WIDTH)."""
    if not MIN_WIDTH <= width <= viz.MAX_WIDTH:
        raise ValueError(f"the tour is {MIN_WIDTH} to {viz.MAX_WIDTH} columns wide, not {width}")
    out = sys.stdout if out is None else out
    for n, (title, text, action) in enumerate(steps(), 1):
        out.write(f"\n{n}. {title}\n")
        out.write(textwrap.fill(text, width=width - 1, initial_indent="   ",
                                subsequent_indent="   ") + "\n\n")
        out.write(textwrap.indent(action(width - INDENT), " " * INDENT) + "\n")
