"""Ratios per operation from a pytest-benchmark JSON file.

    python -m pytest bench --benchmark-only --benchmark-json=out.json
    python bench/report.py out.json
    python bench/report.py --markdown out.json     (the table for bench/README.md)

Prints the median time of one call for each variant (engine, twin, raw,
the contiguous C checksum floor, and for the protocol benchmarks dpkt and
scapy) and the ratios engine/raw (the wrapper's cost over the raw cffi
call; goal <= 1.5x), engine/floor, and how many times faster the engine is
than the twin, dpkt and scapy.
"""

from __future__ import annotations

import json
import sys

WRAPPER_GOAL = 1.5
VARIANTS = ("engine", "twin", "raw", "floor", "dpkt", "scapy")


def _variant_of(name: str) -> str:
    """The variant of a benchmark named test_<what>_<variant> (the floor of
    bench/test_nonlinear.py is the contiguous C checksum)."""
    return "floor" if "floor" in name else name.rsplit("_", 1)[-1]


def load(path: str) -> dict:
    """{group: {variant: median seconds per call}}"""
    with open(path) as f:
        doc = json.load(f)
    table: dict = {}
    for b in doc["benchmarks"]:
        ops = b.get("extra_info", {}).get("ops", 1)
        variant = (b.get("params") or {}).get("variant") or _variant_of(b["name"])
        table.setdefault(b["group"], {})[variant] = b["stats"]["median"] / ops
    return table


def _time(t) -> str:
    if t is None:
        return "-"
    return f"{t * 1e9:.0f} ns" if t < 1e-6 else f"{t * 1e6:.2f} us"


def _ratio(a, b, goal=None) -> str:
    if a is None or b is None:
        return "-"
    r = a / b
    flag = " !" if goal is not None and r > goal else ""
    return f"{r:.2f}x{flag}"


def rows(table: dict) -> list[list[str]]:
    """The header row, then one row per benchmark group."""
    out = [["operation", *VARIANTS, "engine/raw", "engine/floor", "twin/engine",
            "dpkt/engine", "scapy/engine"]]
    for group in sorted(table):
        v = table[group]
        e, t, r, f, d, s = (v.get(k) for k in VARIANTS)
        out.append([group, *map(_time, (e, t, r, f, d, s)), _ratio(e, r, WRAPPER_GOAL),
                    _ratio(e, f), _ratio(t, e), _ratio(d, e), _ratio(s, e)])
    return out


def report(table: dict) -> str:
    """The table as aligned text."""
    table_rows = rows(table)
    widths = [max(len(row[i]) for row in table_rows) for i in range(len(table_rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(row, widths))) for row in table_rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"\nmedian per call; '!' marks engine/raw above the {WRAPPER_GOAL}x goal")
    return "\n".join(lines)


def markdown(table: dict) -> str:
    """The table as Markdown, for bench/README.md."""
    head, *body = ([cell.replace("|", "\\|") for cell in row] for row in rows(table))
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if not argv or len(argv) > 2 or (len(argv) == 2 and argv[0] != "--markdown"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    table = load(argv[-1])
    print(markdown(table) if argv[0] == "--markdown" else report(table))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
