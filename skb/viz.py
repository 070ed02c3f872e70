"""Drawings of skbs: the classic sk_buff picture, as text or SVG.

``draw(*items, width=100)`` returns text for a terminal (every line at most
``width`` columns); ``to_svg(*items, width=100)`` returns a standalone SVG
document of the same picture.  ``SkBuff.draw()`` and ``SkBuff.to_svg()``
call them for one skb.

An item is an skb or a segment list (a ``SegmentList``, or any sequence of
skbs, drawn in order as the segments of a GSO packet).  Only the public
interface is read, so skbs of the pure-Python twin draw the same way.
Nothing is changed or freed: the caller still owns everything it passed.

What a full picture shows, for the skbs given together that share one head
(clones, fclone companions; up to ``MAX_SHARED`` on one picture):

* each ``sk_buff`` as a box of numbers (len, headroom, tailroom, end,
  truesize, users, flags);
* the pointers ``head``, ``data``, ``tail``, ``end`` coming down into the
  head buffer, one staircase for all the structs;
* the head buffer ``headroom | data | tailroom`` - one row per skb, for its
  view of the same bytes, and a row of byte counts - and ``skb_shared_info``;
* the header offsets (mac, network, transport, the inner ones when set, and
  ``csum_start`` of a CHECKSUM_PARTIAL skb) pointing up into the buffer;
* the shared info's fields, each frag drawn as its page with the used
  range marked, and the frag_list members drawn compactly (recursively).

Names: skbs given as arguments are ``A``, ``B``, ...; a segment list's
members ``B[0]``, ``B[1]``...; frag_list members ``A.1``, ``A.1.2``...;
pages ``P1``, ``P2``... (the same page always has the same name, so shared
pages show).  Offsets are written ``+N``: bytes from head.

Scaling is clamped linear: every boundary goes to its proportional column,
pushed right just enough for the labels before it to fit and pulled left
just enough for the ones after it, so small regions stay readable and a
64 KiB buffer still fits.  Labels that cannot fit are shortened, then
dropped (the numbers are always in the text above the picture).  The SVG
is the same layout with characters as 8 x 16 pixel cells.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Iterable, Optional
from xml.sax.saxutils import escape

from .features import GSO_BY_FRAGS, SKB_GSO

__all__ = ["MAX_SHARED", "MAX_WIDTH", "MIN_WIDTH", "draw", "to_svg"]

MIN_WIDTH = 60
MAX_WIDTH = 1000
MAX_SHARED = 4  # skbs drawn on one picture of their shared head; more are listed
MAX_LISTED = 64  # frag_list members and segments drawn per list; more are counted

_SHINFO_W = 17  # interior columns of the skb_shared_info box
_MIN_STRUCT_W = 34  # narrower sk_buff boxes are stacked, not put side by side
_INDENT = 4  # per frag_list nesting level (capped so 40 columns remain)
_CHECKSUM = ("NONE", "UNNECESSARY", "COMPLETE", "PARTIAL")
_FCLONE = ("", "fclone orig", "fclone clone")
_HEADERS = ("mac", "network", "transport", "inner_mac", "inner_network", "inner_transport")


# ----------------------------------------------------------------------
# public API

def draw(*items: object, width: int = 100) -> str:
    """The picture of ``items`` (skbs and segment lists) as text, every line
    at most ``width`` columns (MIN_WIDTH..MAX_WIDTH)."""
    return _text(_layout(items, width))


def to_svg(*items: object, width: int = 100) -> str:
    """The picture of ``items`` as a standalone SVG document (no external
    resources; ``width`` in character columns as for ``draw``)."""
    return _svg(_layout(items, width))


# ----------------------------------------------------------------------
# the canvas: drawing operations in character cells, rendered as text or SVG


@dataclass
class _Op:
    kind: str  # text, box, band, arrow, fill
    x0: int
    y0: int
    x1: int = 0
    y1: int = 0
    text: str = ""
    cls: str = ""
    flag: bool = False  # band: joins the border above; arrow: points down
    flag2: bool = False  # band: joins the border below


class _Canvas:
    """Operations on a grid of ``width`` columns; ``y`` is the next free row."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.ops: list[_Op] = []
        self.y = 0

    def text(self, x: int, y: int, s: str, cls: str = "t") -> None:
        if s:
            self.ops.append(_Op("text", x, y, text=s[:max(self.width - x, 0)], cls=cls))

    def box(self, x0: int, y0: int, x1: int, y1: int, cls: str) -> None:
        """A rectangle whose border runs through the cells (x0, y0) .. (x1, y1)."""
        self.ops.append(_Op("box", x0, y0, x1, y1, cls=cls))

    def band(self, x0: int, x1: int, y: int, cls: str, top: bool, bottom: bool) -> None:
        """Row y between the separators at x0 and x1 (inside a box whose
        border is the row above when ``top``, below when ``bottom``)."""
        self.ops.append(_Op("band", x0, y, x1, y, cls=cls, flag=top, flag2=bottom))

    def arrow(self, x: int, y0: int, y1: int, down: bool) -> None:
        """A vertical arrow over rows y0..y1, its head at y1 when ``down``
        (pointing at the row below), else at y0 (the row above)."""
        self.ops.append(_Op("arrow", x, y0, x, y1, flag=down))

    def fill(self, x0: int, x1: int, y: int, ch: str, cls: str) -> None:
        """Columns [x0, x1) of row y filled with ``ch`` (a coloured bar in SVG)."""
        if x1 > x0:
            self.ops.append(_Op("fill", x0, y, x1, y, text=ch, cls=cls))


_H, _V = 1, 2  # line bits of a text cell


def _text(canvas: _Canvas) -> str:
    """Render as text: box borders and separators as + - |, arrows as | v ^."""
    width, rows = canvas.width, canvas.y
    chars = [[" "] * width for _ in range(rows)]
    lines = [[0] * width for _ in range(rows)]

    def mark(x: int, y: int, bits: int) -> None:
        if 0 <= x < width and 0 <= y < rows:
            lines[y][x] |= bits

    for op in canvas.ops:
        if op.kind == "box":
            for x in range(op.x0, op.x1 + 1):
                mark(x, op.y0, _H)
                mark(x, op.y1, _H)
            for y in range(op.y0, op.y1 + 1):
                mark(op.x0, y, _V)
                mark(op.x1, y, _V)
        elif op.kind == "band":
            for x in (op.x0, op.x1):
                mark(x, op.y0, _V)
                if op.flag:
                    mark(x, op.y0 - 1, _V)
                if op.flag2:
                    mark(x, op.y0 + 1, _V)
    for y in range(rows):
        for x in range(width):
            bits = lines[y][x]
            if bits:
                chars[y][x] = "+" if bits == _H | _V else "-" if bits == _H else "|"
    for op in canvas.ops:
        if op.kind == "arrow":
            for y in range(op.y0, op.y1 + 1):
                chars[y][op.x0] = "|"
            if op.flag:
                chars[op.y1][op.x0] = "v"
            else:
                chars[op.y0][op.x0] = "^"
        elif op.kind == "fill":
            chars[op.y0][op.x0:op.x1] = op.text * (op.x1 - op.x0)
    for op in canvas.ops:
        if op.kind == "text":
            chars[op.y0][op.x0:op.x0 + len(op.text)] = op.text
    return "\n".join("".join(row).rstrip() for row in chars) + "\n"


_CW, _CH = 8, 16  # pixels per character cell
_STYLE = """
text { font-family: 'DejaVu Sans Mono', 'Liberation Mono', monospace; font-size: 13px;
       white-space: pre; fill: #111111; }
text.ptr { fill: #08519c; } text.hdr { fill: #a63603; }
rect, line { stroke: #333333; stroke-width: 1; }
.bg { fill: #ffffff; stroke: none; }
.struct { fill: #fff7d6; stroke: #8a6d00; }
.bar { fill: #ffffff; }
.headroom { fill: #d9d9d9; } .data { fill: #9ecae1; } .tailroom { fill: #ffffff; }
.unused { fill: #f0f0f0; } .count { fill: #f7fbff; }
.shinfo { fill: #fdd0a2; } .page { fill: #f7f7f7; } .used { fill: #74c476; stroke: none; }
.free { fill: none; stroke: none; } .title { fill: #fff7d6; stroke: none; }
line.arrow { stroke: #444444; marker-end: url(#head); }
"""


def _svg(canvas: _Canvas) -> str:
    """Render as SVG: boxes and bands as filled rectangles, arrows as lines."""
    w, h = canvas.width * _CW, max(canvas.y, 1) * _CH
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" xml:space="preserve">',
        "<title>sk_buff layout</title>",
        f"<style>{_STYLE}</style>",
        '<defs><marker id="head" markerWidth="8" markerHeight="8" refX="7" refY="4" '
        'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#444444"/></marker></defs>',
        f'<rect class="bg" x="0" y="0" width="{w}" height="{h}"/>',
    ]
    for op in canvas.ops:
        if op.kind == "box":
            out.append(_rect((op.x0 + 0.5) * _CW, (op.y0 + 0.5) * _CH,
                             (op.x1 - op.x0) * _CW, (op.y1 - op.y0) * _CH, op.cls))
        elif op.kind == "band":
            top = (op.y0 - 0.5 if op.flag else op.y0) * _CH
            bottom = (op.y0 + 1.5 if op.flag2 else op.y0 + 1) * _CH
            out.append(_rect((op.x0 + 0.5) * _CW, top, (op.x1 - op.x0) * _CW,
                             bottom - top, op.cls))
        elif op.kind == "fill":
            out.append(_rect(op.x0 * _CW, op.y0 * _CH + 3, (op.x1 - op.x0) * _CW,
                             _CH - 6, op.cls))
        elif op.kind == "arrow":
            x = (op.x0 + 0.5) * _CW
            if op.flag:
                y0, y1 = op.y0 * _CH, (op.y1 + 1.5) * _CH - 2
            else:
                y0, y1 = (op.y1 + 1) * _CH, (op.y0 - 0.5) * _CH + 2
            out.append(f'<line class="arrow" x1="{x:g}" y1="{y0:g}" x2="{x:g}" y2="{y1:g}"/>')
    for op in canvas.ops:
        if op.kind == "text":
            out.append(f'<text class="{op.cls}" x="{op.x0 * _CW}" '
                       f'y="{op.y0 * _CH + 12}">{escape(op.text)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _rect(x: float, y: float, w: float, h: float, cls: str) -> str:
    return f'<rect class="{cls}" x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}"/>'


# ----------------------------------------------------------------------
# reading an skb (once, through its public interface)


@dataclass(eq=False)
class _Skb:
    name: str
    obj: Any
    len: int
    data_len: int
    headlen: int
    headroom: int
    tailroom: int
    data: int
    tail: int
    end: int
    truesize: int
    users: int
    dataref: int
    cloned: bool
    nohdr: bool
    fclone: int
    fclone_ref: Optional[int]
    hdr_len: int
    mac_len: int
    headers: dict
    ip_summed: int
    csum_start: int
    csum_offset: int
    protocol: int
    inner_protocol: int
    encapsulation: int
    vlan_tci: int
    frags: list
    frag_list: list
    gso_size: int
    gso_segs: int
    gso_type: int
    head_id: int


def _read(s: Any, name: str) -> _Skb:
    headers = {h: getattr(s, h + "_header") for h in _HEADERS}
    return _Skb(
        name=name, obj=s, len=s.len, data_len=s.data_len, headlen=s.headlen,
        headroom=s.headroom, tailroom=s.tailroom, data=s.data_offset, tail=s.tail_offset,
        end=s.end_offset, truesize=s.truesize, users=s.users, dataref=s.dataref,
        cloned=s.cloned, nohdr=s.nohdr, fclone=s.fclone, fclone_ref=s.fclone_ref,
        hdr_len=s.hdr_len, mac_len=s.mac_len, headers=headers, ip_summed=s.ip_summed,
        csum_start=s.csum_start, csum_offset=s.csum_offset, protocol=s.protocol,
        inner_protocol=s.inner_protocol, encapsulation=s.encapsulation,
        vlan_tci=s.vlan_tci, frags=s.frags, frag_list=s.frag_list, gso_size=s.gso_size,
        gso_segs=s.gso_segs, gso_type=s.gso_type, head_id=s.head_id,
    )


def _is_skb(item: object) -> bool:
    # The class is asked, not the object: a freed skb still counts as one
    # and raises SkbUseAfterFree when it is read.
    return hasattr(type(item), "end_offset")


# ----------------------------------------------------------------------
# scaling


def _scale(bounds: list[int], x0: int, x1: int, need: dict) -> Optional[list[int]]:
    """Columns for byte boundaries ``bounds`` (strictly increasing, from 0)
    between x0 and x1, or None when they cannot fit.  ``need[(i, j)]`` is
    the least number of columns between boundary i and boundary j,
    separators excluded; neighbours always get at least one.  Clamped
    linear: proportional position, pushed right by the needs before it,
    pulled left by the ones after it."""
    k = len(bounds) - 1
    gap = {(i, j): n + 1 for (i, j), n in need.items()}
    for i in range(k):
        gap[(i, i + 1)] = max(gap.get((i, i + 1), 0), 2)
    lo = [x0] * (k + 1)
    for j in range(1, k + 1):
        lo[j] = max(lo[i] + g for (i, jj), g in gap.items() if jj == j)
    if lo[k] > x1:
        return None
    hi = [x1] * (k + 1)
    for i in range(k - 1, -1, -1):
        hi[i] = min(hi[j] - g for (ii, j), g in gap.items() if ii == i)
    total = bounds[k] or 1
    cols = [x0]
    for j in range(1, k + 1):
        ideal = x0 + round((x1 - x0) * bounds[j] / total)
        floor = max(cols[i] + g for (i, jj), g in gap.items() if jj == j)
        cols.append(min(max(ideal, floor), hi[j]))
    return cols


def _column(off: int, bounds: list[int], cols: list[int]) -> int:
    """The column of byte offset ``off`` on a scaled bar (clamped to it)."""
    off = min(max(off, bounds[0]), bounds[-1])
    for i in range(len(bounds) - 1):
        a, b = bounds[i], bounds[i + 1]
        if off == a:
            return cols[i]
        if off < b:
            inner = cols[i + 1] - cols[i] - 1
            return cols[i] + 1 + min((off - a) * inner // (b - a), inner - 1)
    return cols[-1]


# ----------------------------------------------------------------------
# the drawing


class _Scene:
    """One drawing: the canvas and the names given so far."""

    def __init__(self, width: int) -> None:
        self.c = _Canvas(width)
        self.width = width
        self.names: dict[int, str] = {}  # id(skb) -> name
        self.drawn: set[int] = set()  # id(skb) of skbs already drawn
        self.heads: dict[int, str] = {}  # head_id -> name of the first skb drawn on it
        self.pages: dict[int, str] = {}  # id(page) -> name
        self.keep: list = []  # every object named, so ids stay unique

    def name(self, obj: Any, name: str) -> str:
        self.keep.append(obj)
        return self.names.setdefault(id(obj), name)

    def page(self, page: Any) -> str:
        self.keep.append(page)
        return self.pages.setdefault(id(page), f"P{len(self.pages) + 1}")

    def lines(self, tokens: Iterable[str], x: int, cls: str = "t", sep: str = "  ") -> None:
        """Tokens wrapped at the width from column x (see _wrap)."""
        for i, line in enumerate(_wrap(tokens, self.width - x, sep)):
            self.c.text(x + (2 if i else 0), self.c.y, line, cls)
            self.c.y += 1


def _wrap(tokens: Iterable[str], width: int, sep: str = "  ") -> list[str]:
    """Tokens joined by ``sep`` in lines of at most ``width`` columns,
    lines after the first indented by two (a longer token is cut)."""
    lines: list[str] = []
    line = ""
    for tok in tokens:
        room = width - (2 if lines else 0)
        if line and len(line) + len(sep) + len(tok) > room:
            lines.append(line)
            line, room = "", width - 2
        line = f"{line}{sep}{tok}" if line else tok[:room]
    if line:
        lines.append(line)
    return lines


def _letter(i: int) -> str:
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


def _layout(items: tuple, width: int) -> _Canvas:
    width = operator.index(width)
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ValueError(f"width must be {MIN_WIDTH}..{MAX_WIDTH} columns, not {width}")
    scene = _Scene(width)
    plan: list[tuple[Optional[str], list]] = []  # (segment list letter or None, skbs)
    for i, item in enumerate(items):
        letter = _letter(i)
        if _is_skb(item):
            scene.name(item, letter)
            plan.append((None, [item]))
        elif isinstance(item, Sequence) and not isinstance(item, (str, bytes, bytearray)):
            segs = list(item)
            for j, s in enumerate(segs):
                if not _is_skb(s):
                    raise TypeError(f"item {i}: segment {j} is a {type(s).__name__}, "
                                    "not an skb")
                scene.name(s, f"{letter}[{j}]")
            plan.append((letter, segs))
        else:
            raise TypeError(f"cannot draw a {type(item).__name__}: give skbs or segment lists")
    read = {id(o): _read(o, scene.names[id(o)]) for o in scene.keep}
    groups: dict[int, list[_Skb]] = {}
    for letter, objs in plan:
        if letter is None:
            sk = read[id(objs[0])]
            group = groups.setdefault(sk.head_id, [])
            if all(g is not sk for g in group):
                group.append(sk)
    for letter, objs in plan:
        if letter is not None:
            _space(scene)
            _segments(scene, letter, [read[id(s)] for s in objs])
        elif id(objs[0]) not in scene.drawn:
            _space(scene)
            _full(scene, groups[read[id(objs[0])].head_id])
    return scene.c


def _space(scene: _Scene) -> None:
    """A blank line between the pictures of two items."""
    if scene.c.y:
        scene.c.y += 1


# ----------------------------------------------------------------------
# text of the numbers


def _struct_tokens(sk: _Skb) -> list[str]:
    """The sk_buff's own numbers and flags."""
    toks = [f"len {sk.len}"]
    if sk.data_len:
        toks.append(f"(headlen {sk.headlen} + data_len {sk.data_len})")
    toks += [f"headroom {sk.headroom}", f"tailroom {sk.tailroom}", f"end {sk.end}",
             f"truesize {sk.truesize}", f"users {sk.users}"]
    if sk.cloned:
        toks.append("cloned")
    if sk.nohdr:
        toks.append("nohdr")
    if sk.hdr_len:
        toks.append(f"hdr_len {sk.hdr_len}")
    if sk.fclone:
        ref = "" if sk.fclone_ref is None else f" (fclone_ref {sk.fclone_ref})"
        toks.append(_FCLONE[sk.fclone] + ref)
    if sk.mac_len:
        toks.append(f"mac_len {sk.mac_len}")
    if sk.ip_summed:
        toks.append(f"ip_summed {_CHECKSUM[sk.ip_summed]}")
    if sk.ip_summed == 3:  # CHECKSUM_PARTIAL: csum holds start and offset
        toks += [f"csum_start +{sk.csum_start}", f"csum_offset {sk.csum_offset}"]
    if sk.protocol:
        toks.append(f"protocol {sk.protocol:#06x}")
    if sk.encapsulation:
        toks += ["encapsulation", f"inner_protocol {sk.inner_protocol:#06x}"]
    if sk.vlan_tci:
        toks.append(f"vlan_tci {sk.vlan_tci:#06x}")
    return toks


def _dataref(v: int) -> str:
    # The kernel's split: the low half counts every reference, the high
    # half the payload-only ones taken by header-released (nohdr) skbs.
    if v >> 16:
        return f"dataref {v:#x} ({v & 0xFFFF} references, {v >> 16} payload-only)"
    return f"dataref {v}"


def _gso_type(v: int) -> str:
    names = [m.name for m in SKB_GSO if m & v and m.name]
    rest = v & ~sum(SKB_GSO)
    return "|".join(names + ([f"{rest:#x}"] if rest else [])) or "0"


def _shinfo_tokens(sk: _Skb) -> list[str]:
    gso_size = "GSO_BY_FRAGS" if sk.gso_size == GSO_BY_FRAGS else str(sk.gso_size)
    return [_dataref(sk.dataref), f"nr_frags {len(sk.frags)}",
            f"frag_list {len(sk.frag_list)}", f"gso_size {gso_size}",
            f"gso_segs {sk.gso_segs}", f"gso_type {_gso_type(sk.gso_type)}"]


def _regions(sk: _Skb) -> list[tuple[int, int, str]]:
    """(start, stop, role) of the skb's non-empty regions of its head."""
    # A nonlinear skb has no tailroom (skb_tailroom is 0: skb_put would
    # BUG), though the bytes between tail and end exist: "unused".
    spare = "tailroom" if not sk.data_len else "unused"
    regions = [(0, sk.data, "headroom"), (sk.data, sk.tail, "data"),
               (sk.tail, sk.end, spare)]
    return [(a, b, role) for a, b, role in regions if b > a]


# ----------------------------------------------------------------------
# full pictures (skbs given as arguments)


def _full(scene: _Scene, group: list[_Skb]) -> None:
    """The classic picture of the skbs sharing one head."""
    shown, rest = group[:MAX_SHARED], group[MAX_SHARED:]
    first = shown[0]
    for sk in group:
        scene.drawn.add(id(sk.obj))
    scene.heads.setdefault(first.head_id, first.name)
    _structs(scene, shown)
    bounds, cols, tier = _head_bar_columns(scene, shown)
    _pointers(scene, shown, bounds, cols)
    bottom = _head_bar(scene, shown, bounds, cols, tier)
    _markers(scene, shown, bounds, cols, bottom)
    scene.lines(["skb_shared_info:"] + _shinfo_tokens(first), 0)
    for sk in rest:
        scene.lines([f"sk_buff {sk.name} also points into this head:",
                     f"data +{sk.data}", f"tail +{sk.tail}"] + _struct_tokens(sk), 0)
    _frags(scene, first, 2)
    _frag_list(scene, first, 0)


def _structs(scene: _Scene, shown: list[_Skb]) -> None:
    """The sk_buff boxes: side by side when there is room, else stacked."""
    c, n = scene.c, len(shown)
    box_w = (scene.width - (n - 1)) // n
    if box_w - 4 < _MIN_STRUCT_W:
        box_w, per_row = scene.width, 1
    else:
        per_row = n
    for start in range(0, n, per_row):
        row = shown[start:start + per_row]
        texts = [_wrap(_struct_tokens(sk), box_w - 4) for sk in row]
        height = max(len(t) for t in texts) + 1
        for k, (sk, lines) in enumerate(zip(row, texts)):
            x = k * (box_w + 1)
            c.box(x, c.y, x + box_w - 1, c.y + height, "struct")
            title = f" sk_buff {sk.name} "[:box_w - 4]
            c.fill(x + 2, x + 2 + len(title), c.y, " ", "title")  # hides the border (SVG)
            c.text(x + 2, c.y, title)
            for j, line in enumerate(lines):
                c.text(x + 2, c.y + 1 + j, line)
        c.y += height + 1


def _head_bar_columns(scene: _Scene, shown: list[_Skb]) -> tuple[list[int], list[int], int]:
    """Byte boundaries of the head picture, their columns and the labels'
    tier: 0 in full if they fit, 1 the byte counts only, 2 nothing."""
    end = shown[0].end
    bounds = sorted({0, end} | {b for sk in shown for b in (sk.data, sk.tail)
                                if 0 <= b <= end})
    index = {b: i for i, b in enumerate(bounds)}
    x1 = scene.width - 2 - _SHINFO_W
    counts = {(i, i + 1): len(str(bounds[i + 1] - bounds[i])) + 2
              for i in range(len(bounds) - 1)}
    roles = dict(counts)
    for sk in shown:
        for a, b, role in _regions(sk):
            if a in index and b in index:
                key = (index[a], index[b])
                roles[key] = max(roles.get(key, 0), len(_role(sk, role, shown)) + 2)
    for tier, need in enumerate((roles, counts, {})):
        cols = _scale(bounds, 0, x1, need)
        if cols is not None:
            return bounds, cols, tier
    raise AssertionError("MAX_SHARED skbs always fit at MIN_WIDTH")


def _role(sk: _Skb, role: str, shown: list[_Skb]) -> str:
    return f"{sk.name} {role}" if len(shown) > 1 else role


def _names(found: list[tuple[Optional[str], str]], shown: list[_Skb]) -> list[str]:
    """The names of what points at one offset, from (owner, what) pairs:
    ``data`` when every struct's data is there (or one struct is drawn, or
    the pointer is the head's own: owner None), else ``data of A,C``."""
    everyone = [sk.name for sk in shown]
    by_what: dict[str, list[Optional[str]]] = {}
    for owner, what in found:
        by_what.setdefault(what, []).append(owner)
    return [what if None in owners or len(everyone) == 1 or owners == everyone
            else f"{what} of {','.join(o for o in owners if o)}"
            for what, owners in by_what.items()]


def _label(found: list[tuple[Optional[str], str]], shown: list[_Skb], off: int) -> list[str]:
    """Tokens of the label of one offset: the names, the last with ``+off``."""
    toks = _names(found, shown)
    toks[-1] += f" +{off}"
    return toks


def _pointers(scene: _Scene, shown: list[_Skb], bounds: list[int], cols: list[int]) -> None:
    """head, data, tail and end of every struct, down into the head: a
    staircase, leftmost label on top (a long label takes more rows)."""
    c = scene.c
    found: dict[int, list] = {0: [(None, "head")]}
    for sk in shown:
        found.setdefault(sk.data, []).append((sk.name, "data"))
        found.setdefault(sk.tail, []).append((sk.name, "tail"))
    found.setdefault(shown[0].end, []).append((None, "end"))
    # Every pointer is a boundary of the bar, so each has a column of its own.
    labels = []
    for off, who in sorted(found.items()):
        col = _column(off, bounds, cols)
        labels.append((col, _wrap(_label(who, shown, off), scene.width - col, ", ")))
    arrow_row = c.y + sum(len(lines) for _, lines in labels)
    y = c.y
    for col, lines in labels:
        for j, line in enumerate(lines):
            c.text(col + (2 if j else 0), y + j, line, "ptr")
        y += len(lines)
        c.arrow(col, y, arrow_row, down=True)
    c.y = arrow_row + 1


def _head_bar(scene: _Scene, shown: list[_Skb], bounds: list[int], cols: list[int],
              tier: int) -> int:
    """The head buffer (a row per skb and a row of byte counts) and the
    shared info after end; returns the row of its bottom border."""
    c = scene.c
    index = {b: i for i, b in enumerate(bounds)}
    top = c.y
    bottom = top + len(shown) + 2
    x1 = cols[-1]
    c.box(cols[0], top, x1, bottom, "bar")
    for r, sk in enumerate(shown):
        y = top + 1 + r
        for a, b, role in _regions(sk):
            if a in index and b in index:
                xa, xb = cols[index[a]], cols[index[b]]
                c.band(xa, xb, y, role, top=r == 0, bottom=False)
                if tier == 0:
                    _centre(c, xa, xb, y, _role(sk, role, shown))
    for i in range(len(bounds) - 1):
        xa, xb = cols[i], cols[i + 1]
        c.band(xa, xb, bottom - 1, "count", top=False, bottom=True)
        if tier < 2:
            _centre(c, xa, xb, bottom - 1, str(bounds[i + 1] - bounds[i]))
    first = shown[0]
    c.box(x1, top, scene.width - 1, bottom, "shinfo")
    info = ["skb_shared_info", _dataref(first.dataref).split(" (")[0],
            f"nr_frags {len(first.frags)}", f"frag_list {len(first.frag_list)}",
            f"gso_size {first.gso_size}"]
    for r, line in enumerate(info[:bottom - top - 1]):
        _centre(c, x1, scene.width - 1, top + 1 + r, line)
    c.y = bottom + 1
    return bottom


def _centre(c: _Canvas, xa: int, xb: int, y: int, text: str) -> None:
    """Text centred between the separators at xa and xb (cut to fit)."""
    room = xb - xa - 1
    text = text[:room]
    c.text(xa + 1 + (room - len(text)) // 2, y, text)


def _markers(scene: _Scene, shown: list[_Skb], bounds: list[int], cols: list[int],
             bottom: int) -> None:
    """The header offsets (and csum_start), pointing up into the head: a
    staircase, rightmost label on top."""
    c, end = scene.c, shown[0].end
    found: dict[int, list] = {}
    for sk in shown:
        marks = [(off, h) for h, off in sk.headers.items() if off is not None]
        if sk.ip_summed == 3:
            marks.append((sk.csum_start, "csum_start"))
        for off, what in marks:
            found.setdefault(off, []).append((sk.name, what))
    by_col: dict[int, list[str]] = {}
    outside: list[str] = []
    for off, who in sorted(found.items()):
        if off > end:
            outside += _label(who, shown, off)
        else:
            by_col.setdefault(_column(off, bounds, cols), []).extend(_label(who, shown, off))
    y = bottom + 2
    for col, toks in sorted(by_col.items(), reverse=True):
        c.arrow(col, bottom + 1, y - 1, down=False)
        for j, line in enumerate(_wrap(toks, scene.width - col, ", ")):
            c.text(col + (2 if j else 0), y, line, "hdr")
            y += 1
    c.y = y if by_col else bottom + 1
    if outside:
        scene.lines(["beyond end:"] + outside, 0, "hdr")


# ----------------------------------------------------------------------
# frags, frag_list members, segments


def _frags(scene: _Scene, sk: _Skb, x: int) -> None:
    """Each frag as its page, the used range filled."""
    c = scene.c
    for i, f in enumerate(sk.frags):
        page = f.page
        size = page.size
        scene.lines([f"frags[{i}]", f"page {scene.page(page)}", f"offset {f.offset}",
                     f"size {f.size}",
                     f"(page: {size} bytes, order {page.order}, refcount {page.refcount})"],
                    x)
        xl, xr = x + 2, scene.width - 1
        inner = xr - xl - 1
        a = min(f.offset * inner // size, inner - 1)
        b = min(max(-(-(f.offset + f.size) * inner // size), a + (1 if f.size else 0)), inner)
        c.band(xl, xr, c.y, "page", top=False, bottom=False)
        c.fill(xl + 1, xl + 1 + a, c.y, ".", "free")
        c.fill(xl + 1 + a, xl + 1 + b, c.y, "#", "used")
        c.fill(xl + 1 + b, xr, c.y, ".", "free")
        c.y += 1


def _frag_list(scene: _Scene, sk: _Skb, depth: int) -> None:
    """The frag_list chain, each member drawn compactly (recursively)."""
    members = sk.frag_list
    if not members:
        return
    x = _indent(scene, depth)
    names = [scene.name(m, f"{sk.name}.{j + 1}") for j, m in enumerate(members)]
    chain = [f"{n} ->" for n in names[:MAX_LISTED]]
    chain[-1] = chain[-1][:-3]
    more = [f"... and {len(members) - MAX_LISTED} more"] if len(members) > MAX_LISTED else []
    scene.lines([f"frag_list of {sk.name}:"] + chain + more, x, sep=" ")
    for m, name in zip(members[:MAX_LISTED], names):
        if id(m) in scene.drawn:
            scene.lines([f"{name}: drawn above"], _indent(scene, depth + 1))
        else:
            _compact(scene, _read(m, name), depth + 1)


def _indent(scene: _Scene, depth: int) -> int:
    return min(depth * _INDENT, scene.width - 40)


def _segments(scene: _Scene, letter: str, segs: list[_Skb]) -> None:
    """A GSO segment list: the chain, then each segment compactly."""
    chain = [f"{s.name} ->" for s in segs[:MAX_LISTED]]
    if chain:
        chain[-1] = chain[-1][:-3]
    more = [f"... and {len(segs) - MAX_LISTED} more"] if len(segs) > MAX_LISTED else []
    total = sum(s.len for s in segs)
    scene.lines([f"segment list {letter}: {len(segs)} skbs, len {total}, linked by next:"]
                + chain + more, 0, sep=" ")
    for sk in segs[:MAX_LISTED]:
        _compact(scene, sk, 1)


def _compact(scene: _Scene, sk: _Skb, depth: int) -> None:
    """An skb in a few lines: numbers, a one-row head bar, frags, frag_list."""
    c = scene.c
    scene.drawn.add(id(sk.obj))
    x = _indent(scene, depth)
    owner = scene.heads.setdefault(sk.head_id, sk.name)
    shared = [f"head shared with {owner}"] if owner != sk.name else []
    headers = [f"{h} +{off}" for h, off in sk.headers.items() if off is not None]
    scene.lines([f"sk_buff {sk.name}"] + _struct_tokens(sk) + shared
                + _shinfo_tokens(sk) + headers, x)
    regions = _regions(sk)
    bounds = [0] + [b for _, b, _ in regions]
    x1 = scene.width - 9  # a box of 6 columns for the shared info
    labels = [f"{role} {b - a}" for a, b, role in regions]
    counts = [str(b - a) for a, b, _ in regions]
    for texts in (labels, counts, [""] * len(regions)):
        need = {(i, i + 1): len(t) + 2 for i, t in enumerate(texts) if t}
        cols = _scale(bounds, x, x1, need)
        if cols is not None:
            break
    assert cols is not None, "three regions always fit in 40 columns"
    y = c.y
    c.box(x, y, x1, y + 2, "bar")
    for i, (a, b, role) in enumerate(regions):
        c.band(cols[i], cols[i + 1], y + 1, role, top=True, bottom=True)
        _centre(c, cols[i], cols[i + 1], y + 1, texts[i])
    c.box(x1, y, scene.width - 1, y + 2, "shinfo")
    _centre(c, x1, scene.width - 1, y + 1, "shinfo")
    c.y = y + 3
    _frags(scene, sk, x + 2)
    _frag_list(scene, sk, depth)
