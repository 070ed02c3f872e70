"""skb.viz: the drawn numbers are the skb's, every line fits the width, the
SVG is well-formed and renders, drawing changes nothing."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import skb
import skb.viz
from skb import NETIF_F, SKB_GSO, SkbUseAfterFree
from skb.testing import model
from nlhelp import member, page_with, paged, pattern
from skbhelp import snapshot
from toolenv import tool_env

SVG_NS = "{http://www.w3.org/2000/svg}"


# ---------------------------------------------------------------- parsing helpers

def num(text: str, key: str) -> list[int]:
    """Every ``key N`` in the text, as ints (``key`` is a regex)."""
    return [int(v) for v in re.findall(rf"(?<![\w.])(?:{key}) (\d+)\b", text)]


def pointers(text: str) -> dict[str, int]:
    """The offset labels of a drawing (``what +N``, ``what of A,B +N``,
    several joined by ", "): {"what" or "A.what": N}."""
    name = r"[\w\[\]]+(?: of [\w,.\[\]]+)?"
    out = {}
    for names, off in re.findall(rf"((?:{name}, )*{name}) \+(\d+)", text):
        for n in names.split(", "):
            what, _, owners = n.partition(" of ")
            for owner in owners.split(",") if owners else [""]:
                out[f"{owner}.{what}" if owner else what] = int(off)
    return out


def head_bar(text: str) -> tuple[list[str], list[str]]:
    """The rows of the first full head picture: (content rows, cells of the
    byte-count row).  It starts right under the row of pointer heads (v)."""
    lines = text.splitlines()
    top = next(i for i, line in enumerate(lines) if re.fullmatch(r"[v ]+", line)) + 1
    bottom = next(i for i in range(top + 1, len(lines)) if lines[i].startswith("+"))
    rows = lines[top + 1:bottom]
    cells = [c.strip() for c in rows[-1].split("|")[1:-2]]  # the last is shinfo's
    return rows, cells


def geometry_of(s) -> dict:
    return dict(len=s.len, headroom=s.headroom, tailroom=s.tailroom, end=s.end_offset,
                truesize=s.truesize, users=s.users)


def assert_fits(text: str, width: int) -> None:
    long = [line for line in text.splitlines() if len(line) > width]
    assert not long, f"lines over {width} columns: {long}"


def tcp_skb(size: int = 1500, headroom: int = 64, payload: int = 1000) -> skb.SkBuff:
    """Headers pushed the way transmit does: transport, network, mac."""
    s = skb.alloc_skb(size)
    s.reserve(headroom)
    s.put_data(pattern(payload))
    s.push(20)
    s.reset_transport_header()
    s.push(20)
    s.reset_network_header()
    s.push(14)
    s.reset_mac_header()
    return s


# ---------------------------------------------------------------- one linear skb

def test_numbers_of_a_linear_skb():
    s = tcp_skb()
    text = s.draw()
    assert text == skb.viz.draw(s)
    box = text.split("head +0")[0]
    assert {k: num(box, k) for k in geometry_of(s)} == {k: [v] for k, v in
                                                       geometry_of(s).items()}
    assert (s.headroom, s.len, s.tailroom, s.end_offset) == (10, 1054, 664, 1728)
    rows, counts = head_bar(text)
    assert [c.split("|")[0].strip() for c in rows[0].split("|")[1:4]] == \
        ["headroom", "data", "tailroom"]
    assert counts == ["10", "1054", "664"]
    assert pointers(text) == {"head": 0, "data": 10, "tail": 1064, "end": 1728, "mac": 10,
                              "network": 24, "transport": 44}
    assert num(text, "dataref") == [1, 1]  # in the shinfo box and its line
    assert num(text, "gso_size") == [0]
    assert_fits(text, 100)
    s.kfree()


def test_pointers_come_down_on_their_boundaries():
    s = tcp_skb()
    lines = s.draw().splitlines()
    arrows = next(i for i, line in enumerate(lines) if re.fullmatch(r"[v ]+", line))
    heads = [m.start() for m in re.finditer("v", lines[arrows])]
    seps = [m.start() for m in re.finditer(r"\+", lines[arrows + 1])]
    assert heads == seps[:4]  # head, data, tail, end; then the shinfo box's corner
    assert seps[-1] == 99
    s.kfree()


def test_regions_are_drawn_roughly_to_scale():
    s = skb.alloc_skb(4000)
    s.reserve(2000)
    s.put(1000)
    _, counts = head_bar(s.draw())
    cols = [len(c) + 2 for c in head_bar(s.draw())[0][-1].split("|")[1:4]]
    assert counts == ["2000", "1000", str(s.tailroom)]
    assert cols[0] > cols[1] * 1.5  # 2000 bytes against 1000
    s.kfree()


def test_alloc_has_head_data_and_tail_at_one_point():
    s = skb.alloc_skb(100)
    text = s.draw()
    assert pointers(text)["head"] == 0 and "head, data, tail +0" in text
    _, counts = head_bar(text)
    assert counts == ["384"]
    s.kfree()


def test_a_64k_skb_fits_and_keeps_its_numbers():
    s = skb.alloc_skb(65536)
    s.reserve(128)
    s.put(60000)
    for width in (60, 80, 100, 200):
        text = s.draw(width)
        assert_fits(text, width)
        assert num(text, "len") == [60000] and num(text, "end") == [s.end_offset]
        assert head_bar(text)[1] == ["128", "60000", str(s.tailroom)]
    s.kfree()


def test_inner_headers_and_csum_start_are_marked():
    s = tcp_skb()
    s.reset_inner_headers()
    s.encapsulation = 1
    s.inner_protocol = 0x0800
    s.ip_summed = skb.CHECKSUM_PARTIAL
    s.csum_start = s.transport_header
    s.csum_offset = 16
    text = s.draw()
    marks = pointers(text)
    assert {k: marks[k] for k in ("inner_mac", "inner_network", "inner_transport",
                                  "csum_start")} == {"inner_mac": 10, "inner_network": 24,
                                                     "inner_transport": 44,
                                                     "csum_start": 44}
    assert "ip_summed PARTIAL" in text and "csum_offset 16" in text
    assert "encapsulation" in text and "inner_protocol 0x0800" in text
    s.kfree()


def test_csum_start_beyond_end_is_listed_not_drawn():
    s = skb.alloc_skb(100)
    s.ip_summed = skb.CHECKSUM_PARTIAL
    s.csum_start = 60000
    text = s.draw()
    assert "beyond end:  csum_start +60000" in text
    s.kfree()


def test_drawing_changes_nothing():
    s = tcp_skb()
    c = s.clone()
    before = [snapshot(s), snapshot(c)]
    skb.viz.draw(s, c)
    skb.viz.to_svg(s, c)
    assert [snapshot(s), snapshot(c)] == before
    s.kfree()
    c.kfree()


# ---------------------------------------------------------------- sharing

def test_a_clone_points_into_the_same_head():
    s = tcp_skb()
    c = s.clone()
    c.pull(14)
    text = skb.viz.draw(s, c)
    assert text.count("skb_shared_info |") == 1  # one head, one shared info
    assert "sk_buff A" in text and "sk_buff B" in text
    marks = pointers(text)
    assert (marks["A.data"], marks["B.data"], marks["tail"]) == (10, 24, 1064)
    assert "tail +1064" in text  # both tails there: no names
    assert num(text, "dataref") == [2, 2]
    assert text.count("cloned") == 2
    rows, counts = head_bar(text)
    assert counts == ["10", "14", "1040", "664"]
    assert "A headroom" in rows[0] and "B headroom" in rows[1]
    assert_fits(text, 100)
    s.kfree()
    c.kfree()


def test_fclone_companions_share_one_picture():
    f = skb.alloc_skb(200, fclone=True)
    f.reserve(32)
    f.put(100)
    fc = f.clone()
    text = skb.viz.draw(f, fc)
    assert "fclone orig (fclone_ref 2)" in text and "fclone clone (fclone_ref 2)" in text
    assert text.count("skb_shared_info |") == 1
    assert head_bar(text)[1] == ["32", "100", "252"]
    f.kfree()
    fc.kfree()


def test_payload_only_references_show_in_dataref():
    s = skb.alloc_skb(100)
    s.put(20)
    s.header_release()
    c = s.clone()
    text = skb.viz.draw(s, c)
    assert "dataref 0x10002 (2 references, 1 payload-only)" in text
    assert "nohdr" in text
    s.kfree()
    c.kfree()


def test_unrelated_skbs_get_pictures_of_their_own():
    a, b = tcp_skb(), skb.alloc_skb(64)
    text = skb.viz.draw(a, b)
    assert text.count("skb_shared_info |") == 2
    assert num(text, "end") == [a.end_offset, b.end_offset]
    a.kfree()
    b.kfree()


def test_more_clones_than_one_picture_holds_are_listed():
    s = tcp_skb()
    clones = [s.clone() for _ in range(5)]
    for i, c in enumerate(clones):
        c.pull(i + 1)
    text = skb.viz.draw(s, *clones)
    assert text.count("skb_shared_info |") == 1
    listed = re.findall(r"sk_buff (\w) also points into this head:\s+data \+(\d+)", text)
    assert listed == [("E", str(s.data_offset + 4)), ("F", str(s.data_offset + 5))]
    assert_fits(text, 100)
    assert_fits(skb.viz.draw(s, *clones, width=60), 60)
    for x in [s] + clones:
        x.kfree()


def test_the_same_skb_twice_is_drawn_once():
    s = tcp_skb()
    text = skb.viz.draw(s, s)
    assert text.count("sk_buff A") == 1 and "sk_buff B" not in text
    s.kfree()


# ---------------------------------------------------------------- nonlinear

def test_frags_are_drawn_as_their_pages():
    p = page_with(pattern(3000))
    s = paged(b"H" * 40, size=128)
    s.add_rx_frag(0, p, 1024, 2048, 4096)
    s.fill_page_desc(1, p.get(), 0, 1024)  # the same page again: same name
    text = s.draw()
    frags = re.findall(r"frags\[(\d)\]  page (P\d)  offset (\d+)  size (\d+)", text)
    assert frags == [("0", "P1", "1024", "2048"), ("1", "P1", "0", "1024")]
    assert "refcount 2" in text
    bars = [line.strip() for line in text.splitlines() if re.fullmatch(r"\s*\|[.#]+\|", line)]
    inner = len(bars[0]) - 2
    start, stop = inner // 4, -(-3 * inner // 4)  # [1024, 3072) of 4096, rounded outwards
    assert bars[0][1:-1] == "." * start + "#" * (stop - start) + "." * (inner - stop)
    assert bars[1][1:-1] == "#" * -(-inner // 4) + "." * (inner - -(-inner // 4))
    # nonlinear: skb_tailroom is 0; the bytes between tail and end are unused
    assert num(text.split("\nhead")[0], "tailroom") == [0]
    rows, counts = head_bar(text)
    assert "unused" in rows[0] and counts == ["40", str(s.end_offset - 40)]
    s.kfree()


def test_a_tiny_frag_still_shows():
    p = page_with(order=2)
    s = paged(b"x")
    s.add_rx_frag(0, p, 16000, 1, 1)
    bar = next(line for line in s.draw().splitlines() if re.fullmatch(r"\s*\|[.#]+\|", line))
    assert bar.count("#") == 1 and "(page: 16384 bytes, order 2" in s.draw()
    s.kfree()


def test_frag_list_members_are_drawn_compactly_and_recursively():
    inner = member(b"i" * 10)
    m1 = member(b"a" * 30, frags=[b"f" * 100])
    m1.frag_list_append(inner)
    m2 = member(b"b" * 20, headroom=8)
    s = paged(b"head", members=[m1, m2])
    text = s.draw(width=80)
    assert "frag_list of A: A.1 -> A.2" in text
    assert "frag_list of A.1: A.1.1" in text
    for name, sk in (("A.1", m1), ("A.2", m2), ("A.1.1", inner)):
        line = re.search(rf"sk_buff {re.escape(name)}  (.*(?:\n\s+\w.*)*)", text).group(1)
        assert num(line, "len") == [sk.len] and num(line, "headroom") == [sk.headroom]
        assert num(line, "truesize") == [sk.truesize] and num(line, "end") == [sk.end_offset]
    assert "| headroom 8 |" in text.replace("  ", " ").replace("  ", " ") or \
        "headroom 8" in text
    assert_fits(text, 80)
    s.kfree()


def test_a_member_given_as_an_argument_is_not_drawn_twice():
    m = member(b"m" * 10)
    s = paged(b"head", members=[m])
    text = skb.viz.draw(s, s.frag_list[0])
    assert "A.1: drawn above" not in text  # B is drawn after A
    assert text.count("sk_buff B") == 1
    text = skb.viz.draw(s.frag_list[0], s)
    assert "A: drawn above" in text
    s.kfree()


def gso_header(payload: int) -> bytes:
    """Ethernet, IPv4 and TCP headers of a super-packet."""
    hdr = bytearray(54)
    hdr[12:14] = b"\x08\x00"
    hdr[14:34] = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + payload, 1, 0x4000, 64, 6, 0,
                             bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    hdr[34:54] = struct.pack("!HHIIBBHHH", 1000, 80, 1, 0, 0x50, 0x18, 65535, 0, 0)
    return bytes(hdr)


def gso_fields(s) -> None:
    """Offsets and GSO fields of a TCPv4 super-packet whose data is at mac."""
    s.protocol = 0x0800
    s.reset_mac_header()
    s.set_network_header(14)
    s.set_transport_header(34)
    s.ip_summed = skb.CHECKSUM_PARTIAL
    s.csum_start = s.transport_header
    s.csum_offset = 16
    s.gso_size = 1000
    s.gso_segs = -(-(s.len - 54) // 1000)
    s.gso_type = SKB_GSO.TCPV4


def gso_packet() -> skb.SkBuff:
    """A super-packet with 3345 payload bytes in frags."""
    s = paged(gso_header(3345), frags=[pattern(1500), pattern(1500, 1), pattern(345, 2)],
              headroom=128, size=182, frag_truesize=4096)
    gso_fields(s)
    return s


def test_gso_segment_list_is_drawn_with_its_chain():
    s = gso_packet()
    segs = skb.gso_segment(s, NETIF_F.SG | NETIF_F.HW_CSUM)
    text = skb.viz.draw(s, segs)
    assert "gso_size 1000  gso_segs 4  gso_type TCPV4" in text
    assert "segment list B: 4 skbs, len 3561, linked by next: B[0] -> B[1] -> B[2] -> B[3]" \
        in text
    lens = [int(v) for v in re.findall(r"sk_buff B\[\d\]  len (\d+)", text)]
    assert lens == [g.len for g in segs] == [1054, 1054, 1054, 399]
    # the segments' frags name the original's pages
    assert re.findall(r"frags\[\d\]  page (P\d)", text) == \
        ["P1", "P2", "P3", "P1", "P1", "P2", "P2", "P3"]
    assert_fits(text, 100)
    assert skb.viz.draw(segs) == skb.viz.draw(list(segs))
    for g in segs:
        g.kfree()
    s.kfree()


def test_long_lists_are_cut_at_max_listed():
    members = [member(b"x") for _ in range(skb.viz.MAX_LISTED + 3)]
    s = paged(b"h", members=members)
    text = s.draw()
    assert "... and 3 more" in text
    assert text.count("sk_buff A.") == skb.viz.MAX_LISTED
    s.kfree()


# ---------------------------------------------------------------- widths

shapes = st.fixed_dictionaries(dict(
    size=st.integers(0, 70000),
    reserve=st.floats(0, 1),
    put=st.floats(0, 1),
    push=st.floats(0, 1),
    headers=st.lists(st.floats(0, 1), max_size=6),
    clones=st.lists(st.floats(0, 1), max_size=6),
    frags=st.lists(st.tuples(st.integers(0, 4095), st.integers(0, 4096)), max_size=3),
    members=st.lists(st.integers(0, 3000), max_size=3),
    width=st.integers(skb.viz.MIN_WIDTH, 140),
))


def build(shape) -> list:
    s = skb.alloc_skb(shape["size"])
    r = int(shape["reserve"] * min(s.tailroom, 65534))
    s.reserve(r)
    s.put(int(shape["put"] * s.tailroom))
    s.push(int(shape["push"] * s.headroom))
    setters = [s.set_mac_header, s.set_network_header, s.set_transport_header,
               s.set_inner_mac_header, s.set_inner_network_header,
               s.set_inner_transport_header]
    room = min(s.end_offset, 65534) - s.data_offset  # 65535 is the "unset" marker
    for setter, f in zip(setters, shape["headers"]):
        setter(int(f * room))
    for off, size in shape["frags"]:
        s.add_rx_frag(s.nr_frags, skb.alloc_page(), off, min(size, 4096 - off), 4096)
    for n in shape["members"]:
        m = skb.alloc_skb(n)
        m.put(n)
        s.frag_list_append(m)
    clones = []
    for f in shape["clones"]:
        c = s.clone()
        c.pull(int(f * c.headlen))
        clones.append(c)
    return [s] + clones


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shapes)
def test_every_shape_fits_its_width_and_shows_its_numbers(shape):
    skbs = build(shape)
    try:
        width = shape["width"]
        text = skb.viz.draw(*skbs, width=width)
        assert_fits(text, width)
        s = skbs[0]
        box = text.split("\nhead")[0]
        for key, value in geometry_of(s).items():
            assert value in num(box, key), (key, value)
        _, counts = head_bar(text)
        if all(counts):
            assert sum(map(int, counts)) == s.end_offset
        marks = pointers(text.split(" also points into this head")[0].rpartition("\n")[0])
        assert f"+{s.end_offset}" in text  # the last label of the end column
        if "A.data" in marks or "data" in marks:  # not wrapped onto another row
            assert marks.get("A.data", marks.get("data")) == s.data_offset
        ET.fromstring(skb.viz.to_svg(*skbs, width=width))
    finally:
        for x in skbs:
            x.kfree()


@pytest.mark.parametrize("width", [59, 1001, 0, -1])
def test_width_out_of_range_is_refused(width):
    s = skb.alloc_skb(10)
    with pytest.raises(ValueError, match="width"):
        s.draw(width)
    s.kfree()


def test_bad_items_are_refused():
    s = skb.alloc_skb(10)
    with pytest.raises(TypeError):
        s.draw(width=100.0)
    for bad in (None, 3, "abc", b"x", object()):
        with pytest.raises(TypeError):
            skb.viz.draw(bad)
    with pytest.raises(TypeError, match="segment 1"):
        skb.viz.draw([s, 7])
    s.kfree()
    with pytest.raises(SkbUseAfterFree):
        skb.viz.draw(s)
    with pytest.raises(SkbUseAfterFree):
        s.to_svg()


def test_nothing_to_draw_is_empty():
    assert skb.viz.draw() == "\n"
    ET.fromstring(skb.viz.to_svg())


# ---------------------------------------------------------------- SVG

def svg_texts(svg: str) -> str:
    root = ET.fromstring(svg)
    return "\n".join(t.text or "" for t in root.iter(SVG_NS + "text"))


def test_svg_is_well_formed_and_carries_the_numbers():
    s = tcp_skb()
    c = s.clone()
    svg = skb.viz.to_svg(s, c)
    assert svg == skb.viz.to_svg(s, c)
    root = ET.fromstring(svg)
    assert root.tag == SVG_NS + "svg"
    width = float(root.get("width"))
    texts = svg_texts(svg)
    assert num(texts, "len") == [s.len, c.len]
    assert num(texts, "truesize") == [s.truesize, c.truesize]
    assert pointers(texts)["data"] == s.data_offset
    for t in root.iter(SVG_NS + "text"):  # 8 pixels a character
        assert float(t.get("x")) + 8 * len(t.text) <= width
    # no external resources: the only references are to the arrow head inside
    assert not re.search(r"href|@import|url\((?!#head\))", svg)
    assert s.to_svg() == skb.viz.to_svg(s)
    s.kfree()
    c.kfree()


def test_svg_draws_regions_in_proportion():
    s = skb.alloc_skb(4000)
    s.reserve(1000)
    s.put(2000)
    root = ET.fromstring(s.to_svg())
    widths = {r.get("class"): float(r.get("width")) for r in root.iter(SVG_NS + "rect")
              if r.get("class") in ("headroom", "data")}
    assert 1.5 < widths["data"] / widths["headroom"] < 2.5
    s.kfree()


@pytest.mark.skipif(shutil.which("rsvg-convert") is None,
                    reason="rsvg-convert (librsvg2-bin) is not installed")
def test_svg_renders_with_rsvg_convert(tmp_path):
    s = gso_packet()
    m = member(b"m" * 50)
    s.frag_list_append(m)
    c = s.clone()
    svg = skb.viz.to_svg(s, c)
    out = subprocess.run(["rsvg-convert", "--format", "png"], input=svg.encode(),
                         capture_output=True, timeout=60, env=tool_env())
    assert out.returncode == 0, out.stderr.decode()
    png = out.stdout
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack("!II", png[16:24])
    root = ET.fromstring(svg)
    assert (w, h) == (int(root.get("width")), int(root.get("height")))
    assert len(png) > 1000
    s.kfree()
    c.kfree()


# ---------------------------------------------------------------- the twin

needs_head_id = pytest.mark.skipif(not hasattr(model.SkBuff, "head_id"),
                                   reason="the twin has no head_id yet")


def twin_ops(mod):
    """The same skbs built on the engine (mod = skb) or on the twin."""
    s = mod.alloc_skb(1500)
    s.reserve(64)
    s.put_data(pattern(1000))
    s.push(20)
    s.reset_transport_header()
    s.push(20)
    s.reset_network_header()
    s.push(14)
    s.reset_mac_header()
    c = s.clone()
    c.pull(14)
    m = mod.alloc_skb(100)
    m.put_data(b"m" * 40)
    m.add_rx_frag(0, mod.alloc_page(), 10, 300, 4096)
    g = mod.alloc_skb(200)
    g.reserve(128)
    g.put_data(gso_header(3000))
    for i in range(3):
        p = mod.alloc_page()
        p.data[:1000] = pattern(1000, i)
        g.add_rx_frag(i, p, 0, 1000, 4096)
    gso_fields(g)
    return [s, c, m, g]


@needs_head_id
def test_the_twin_draws_exactly_like_the_engine():
    engine, twin = twin_ops(skb), twin_ops(model)
    features = NETIF_F.SG | NETIF_F.HW_CSUM
    engine.append(skb.gso_segment(engine[-1], features))
    twin.append(model.gso_segment(twin[-1], features))
    assert skb.viz.draw(*engine) == skb.viz.draw(*twin)
    assert skb.viz.to_svg(*engine, width=80) == skb.viz.to_svg(*twin, width=80)
    for x in engine[:-1] + list(engine[-1]) + twin[:-1] + twin[-1]:
        x.kfree()
