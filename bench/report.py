"""Ratios per operation from a pytest-benchmark JSON file.

    python -m pytest bench --benchmark-only --benchmark-json=out.json
    python bench/report.py out.json

Prints the median time of one call for each variant (engine, twin, raw,
and for the protocol benchmarks dpkt and scapy) and the ratios engine/raw
(the wrapper's cost over the raw cffi call; goal <= 1.5x), engine/twin
(> 1: the C engine is slower than the pure-Python twin), and how many times
faster the engine is than dpkt and scapy (bench/test_proto.py).
"""

from __future__ import annotations

import json
import sys

WRAPPER_GOAL = 1.5
VARIANTS = ("engine", "twin", "raw", "dpkt", "scapy")


def load(path: str) -> dict:
    """{group: {variant: median seconds per call}}"""
    with open(path) as f:
        doc = json.load(f)
    table: dict = {}
    for b in doc["benchmarks"]:
        ops = b.get("extra_info", {}).get("ops", 1)
        variant = (b.get("params") or {}).get("variant", b["name"])
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


def report(table: dict) -> str:
    head = ["operation", *VARIANTS, "engine/raw", "engine/twin", "dpkt/engine",
            "scapy/engine"]
    rows = [head]
    for group in sorted(table):
        v = table[group]
        e, t, r, d, s = (v.get(k) for k in VARIANTS)
        rows.append([group, _time(e), _time(t), _time(r), _time(d), _time(s),
                     _ratio(e, r, WRAPPER_GOAL), _ratio(e, t), _ratio(d, e), _ratio(s, e)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(row, widths))) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"\nmedian per call; '!' marks engine/raw above the {WRAPPER_GOAL}x goal")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    print(report(load(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
