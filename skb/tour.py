"""``skb tour``: the sk_buff memory model, step by step (DESIGN.md's walk-through).

Each step runs real engine operations and prints the geometry that results.
"""

from __future__ import annotations

import textwrap
from typing import Callable, Iterator

from .page import alloc_page
from .skbuff import SkBuff, alloc_skb

WIDTH = 64


def geometry(s: SkBuff) -> str:
    """One line of numbers and a bar: headroom | data | tailroom | shinfo."""
    end = s.end_offset
    scale = WIDTH / end if end else 1
    head = round(s.headroom * scale)
    data = max(round(s.headlen * scale), 1 if s.headlen else 0)
    tail = max(WIDTH - head - data, 0)
    bar = "[" + "." * head + "#" * data + " " * tail + "|shinfo]"
    return (
        f"{bar}\n"
        f"head+0  data+{s.data_offset}  tail+{s.tail_offset}  end+{end}   "
        f"len {s.len}  data_len {s.data_len}  truesize {s.truesize}\n"
        f"users {s.users}  dataref {s.dataref:#x}  cloned {int(s.cloned)}  "
        f"fclone {s.fclone}  nr_frags {s.nr_frags}  frag_list {len(s.frag_list)}"
    )


def steps() -> Iterator[tuple[str, str, Callable[[], str]]]:
    """(title, explanation, action returning what to print) for each step."""
    state: dict[str, SkBuff] = {}

    def alloc() -> str:
        state["s"] = alloc_skb(1500)
        return geometry(state["s"])

    def reserve() -> str:
        state["s"].reserve(64)
        return geometry(state["s"])

    def put() -> str:
        state["s"].put_data(b"payload " * 100)
        return geometry(state["s"])

    def push() -> str:
        s = state["s"]
        s.push(20)
        s.reset_transport_header()
        s.push(20)
        s.reset_network_header()
        s.push(14)
        s.reset_mac_header()
        return (geometry(s) + f"\nmac_header {s.mac_header}  network_header "
                f"{s.network_header}  transport_header {s.transport_header}")

    def pull() -> str:
        state["s"].pull(14)
        return geometry(state["s"])

    def clone() -> str:
        c = state["s"].clone()
        out = "original:\n" + geometry(state["s"]) + "\nclone:\n" + geometry(c)
        c.kfree()
        return out + "\n(clone freed: dataref back to 0x1, the cloned bit stays set)"

    def fclone() -> str:
        f = alloc_skb(1500, fclone=True)
        c = f.clone()
        out = (f"original fclone={f.fclone} fclone_ref={f.fclone_ref}; "
               f"companion fclone={c.fclone}\n" + geometry(c))
        c.kfree()
        f.kfree()
        return out

    def copy() -> str:
        c = state["s"].copy()
        out = geometry(c) + f"\nprivate data: original dataref {state['s'].dataref:#x}"
        c.kfree()
        return out

    def frags() -> str:
        s = alloc_skb(128)
        s.reserve(64)
        s.put_data(b"headers " * 4)
        for i in range(3):
            page = alloc_page()
            s.add_rx_frag(i, page, 0, 1000, 4096)
        lines = [geometry(s)] + [f"frag {i}: page refcount {f.page.refcount}, "
                                 f"offset {f.offset}, size {f.size}"
                                 for i, f in enumerate(s.frags)]
        s.kfree()
        return "\n".join(lines)

    def frag_list() -> str:
        s = alloc_skb(1500)
        s.put_data(bytes(1480))
        for _ in range(2):
            m = alloc_skb(1500)
            m.put_data(bytes(1480))
            s.frag_list_append(m)
        lines = [geometry(s)] + [f"member: len {m.len}, users {m.users}"
                                 for m in s.frag_list]
        s.kfree()
        return "\n".join(lines)

    def free() -> str:
        state.pop("s").kfree()
        return "all freed"

    yield ("alloc_skb(1500)", "Two allocations: the sk_buff and the data area, with "
           "skb_shared_info after end. head = data = tail; the allocator rounded the "
           "1500 bytes up.", alloc)
    yield ("skb_reserve(64)", "Move data and tail forward: headroom for the headers to "
           "come.", reserve)
    yield ("skb_put(800)", "Extend the data at the tail: the payload. Now there are four "
           "regions: headroom, data, tailroom, shared info.", put)
    yield ("skb_push(20+20+14)", "Transmit pushes headers on, layer by layer, recording "
           "where each starts.", push)
    yield ("skb_pull(14)", "Receive pulls headers off the front.", pull)
    yield ("skb_clone", "A second sk_buff on the same data: dataref becomes 2 and both are "
           "marked cloned.", clone)
    yield ("alloc_skb_fclone + skb_clone", "The pair is allocated together; the first clone "
           "takes the companion right behind the original.", fclone)
    yield ("skb_copy", "A writer's private copy of metadata and data.", copy)
    yield ("page frags", "Nonlinear model one: skb_shared_info.frags[] holds (page, offset, "
           "size) triples, as NIC drivers fill them.", frags)
    yield ("frag_list", "Nonlinear model two: member skbs chained from the shared info, as "
           "IPv4 reassembly builds them.", frag_list)
    yield ("kfree_skb", "The last reference frees the struct and the data.", free)


def run(write: Callable[[str], None] = print) -> None:
    """Print the tour."""
    for n, (title, text, action) in enumerate(steps(), 1):
        write(f"\n{n}. {title}\n   {text}")
        write(textwrap.indent(action(), "    "))
