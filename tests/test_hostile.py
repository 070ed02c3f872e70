"""No Python call into skb may crash the interpreter, and hostile arguments
raise exactly the documented exception (spec "Argument checking",
"Exceptions"; DESIGN "Errors and bad input").

The calls run in a subprocess (tests/hostile_battery.py), so a segfault or
an abort fails the calls it hit instead of killing pytest; after a crash
the battery is resumed without the call that crashed.  The expected
outcome of every call comes from the battery's tables.

To run against an AddressSanitizer build of the engine (every silent
use-after-free becomes a crash of the call that made it): build with
SKB_SANITIZE=address, then run pytest with
LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import hostile_battery as hb

BATTERY = Path(hb.__file__).resolve()
ROOT = BATTERY.parent.parent
MAX_RUNS = 200  # one per crash, at most (a sanitizer build crashes more often)

CASES = {c["id"]: c for c in hb.all_cases()}
APIS = sorted({c["api"] for c in CASES.values()})


def _signal_name(rc):
    try:
        return signal.Signals(-rc).name
    except ValueError:
        return f"signal {-rc}"


def _crash_report(stderr):
    """The interesting part of a crashed run's stderr."""
    for marker in ("ERROR: AddressSanitizer", "Fatal Python error"):
        i = stderr.find(marker)
        if i >= 0:
            return stderr[max(0, i - 300):i + 2500]
    return stderr[-3000:]


@dataclass
class Battery:
    records: dict
    crashes: list
    final: dict | None
    exit_problem: str


def _run_batch(ids, bat):
    """Run the calls ids in subprocesses, resuming after each crash."""
    todo = sorted(ids)
    final = None
    for _ in range(MAX_RUNS):
        args = [sys.executable, "-X", "faulthandler", str(BATTERY), "--stdin"]
        proc = subprocess.run(args, cwd=ROOT, input=json.dumps(todo), capture_output=True,
                              text=True, timeout=900)
        in_flight = None
        for line in proc.stdout.splitlines():
            rec = json.loads(line)
            if "start" in rec:
                in_flight = rec["start"]
            elif "final" in rec:
                final = rec["final"]
            else:
                bat.records[rec["id"]] = rec
                in_flight = None
        if proc.returncode == 0 and final is not None:
            return final
        how = _signal_name(proc.returncode) if proc.returncode < 0 \
            else f"exit status {proc.returncode}"
        if in_flight is None:
            bat.exit_problem += f"the battery ended with {how} outside any call:\n" \
                                f"{_crash_report(proc.stderr)}\n"
            return None
        case = CASES[in_flight]
        bat.crashes.append(in_flight)
        bat.records[in_flight] = dict(
            id=in_flight, api=case["api"], call=case["call"], label=case["label"],
            kind=case["kind"], expected=case["expected"], got=f"CRASH ({how})",
            detail=_crash_report(proc.stderr), leaks={}, warnings=[])
        todo = [i for i in todo if i not in bat.records]
    bat.exit_problem += f"more than {MAX_RUNS} crashes\n"
    return None


def _run_battery() -> Battery:
    """All calls, resumed after any crash."""
    bat = Battery({}, [], None, "")
    bat.final = _run_batch(set(CASES), bat)
    return bat


@pytest.fixture(scope="module")
def battery() -> Battery:
    return _run_battery()


def _problems(rec) -> list[str]:
    out = []
    if rec["got"] != rec["expected"]:
        detail = f" ({rec['detail'][:300]})" if rec["detail"] else ""
        out.append(f"{rec['call']}: expected {rec['expected']}, got {rec['got']}{detail}")
    if rec["leaks"]:
        out.append(f"{rec['call']}: counters changed {rec['leaks']}")
    if rec["warnings"]:
        out.append(f"{rec['call']}: warned {rec['warnings']}")
    return out


def test_tables_describe_the_public_api():
    """Every public name has a table entry matching its real signature."""
    assert hb.table_problems() == []


def test_interpreter_survives_every_call(battery):
    crashed = [f"{CASES[i]['call']}: {battery.records[i]['got']}" for i in battery.crashes]
    assert not crashed, "calls crashed the interpreter:\n" + "\n".join(crashed)
    assert not battery.exit_problem, battery.exit_problem
    assert battery.final is not None


def test_every_call_was_made(battery):
    missing = [CASES[i]["call"] for i in CASES if i not in battery.records]
    assert not missing, f"{len(missing)} calls have no outcome: {missing[:20]}"


def test_nothing_leaks(battery):
    """After every call's cleanup, and at the end, nothing is left allocated:
    no skbs, heads, pages, zombies or raw blocks, no gc-freed handles."""
    assert battery.final is not None, battery.exit_problem
    assert {k: v for k, v in battery.final.items() if v} == {}


def test_interpreter_exits_cleanly_with_live_skbs_and_views():
    """Shutdown with skbs, clones and views still alive must not crash."""
    code = ("import skb\n"
            "s = skb.alloc_skb(100, fclone=True); s.reserve(64); v = s.put(8)\n"
            "c = s.clone(); d = c.data; s.expand_head(64, 0); w = s.data\n"
            "t = skb.alloc_skb(10); t.kfree(); u = skb.alloc_skb(10); x = u.data\n")
    proc = subprocess.run([sys.executable, "-X", "faulthandler", "-c", code], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, _crash_report(proc.stderr)
    assert "Fatal" not in proc.stderr


@pytest.mark.parametrize("api", APIS)
def test_hostile_calls_raise_the_documented_exception(battery, api):
    problems = []
    for i, case in CASES.items():
        if case["api"] != api:
            continue
        rec = battery.records.get(i)
        if rec is None:
            problems.append(f"{case['call']}: no outcome (battery did not reach it)")
            continue
        problems += _problems(rec)
    assert not problems, f"{len(problems)} calls misbehave:\n" + "\n".join(problems)
