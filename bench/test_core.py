"""Core operations, three ways each, grouped per operation:

* ``engine`` - skb's public API on the C engine, as users write it (``s.push(1)``);
* ``twin``   - the same statement on the pure-Python twin ``skb.testing.model``;
* ``raw``    - the cffi call of the C function the wrapper calls, aliased
  (``_push(cd, 1)``): the floor the wrapper can approach.

Each round times OPS copies of the statement in a timeit-style loop;
the skb geometry is restored between rounds, outside the timed region.
"""

from __future__ import annotations

import importlib
import itertools

import pytest

import skb
from skb._engine import ffi, lib

OPS = 100  # calls per timed round
ROUNDS = 2000
WARMUP_ROUNDS = 50

SIZE = 2048  # the perf anchors' packet buffer: 128 B headroom, 1464 B frame
HEADROOM = 128
DATA = 1464

# op -> (statement on the public API, statement on the raw cffi functions)
OPS_TABLE = {
    "push": ("s.push(1)", "_push(cd, 1)"),
    "pull": ("s.pull(1)", "_pull(cd, 1)"),
    "put": ("s.put(1)", "_put(cd, 1)"),
    "clone+kfree": ("s.clone().kfree()", "_kfree(_clone(cd, err), 2)"),
    "copy+kfree": ("s.copy().kfree()", "_kfree(_copy(cd, err), 2)"),
    "expand_head": ("s.expand_head(0, 0)", "_expand_head(cd, 0, 0)"),
    "alloc_skb+kfree": (f"alloc_skb({SIZE}).kfree()", f"_kfree(_alloc_skb({SIZE}, 0, err), 2)"),
}

# What skb/skbuff.py calls for each of them.
RAW = dict(
    _push=lib.skbpy_push, _pull=lib.skbpy_pull, _put=lib.skbpy_put,
    _clone=lib.skbpy_clone, _copy=lib.skbpy_copy, _kfree=lib.skbpy_kfree,
    _expand_head=lib.pskb_expand_head, _alloc_skb=lib.skbpy_alloc_skb,
)


def _twin():
    try:
        model = importlib.import_module("skb.testing.model")
    except ModuleNotFoundError as e:
        if e.name != "skb.testing.model":
            raise
        pytest.skip("the pure-Python twin skb.testing.model does not exist yet")
    return model


def _loop(stmt: str, names: dict):
    """A function running stmt OPS times, names bound as fast locals
    (timeit's way: no global or attribute lookups beyond the statement's)."""
    params = ", ".join(f"{n}=_ns[{n!r}]" for n in names)
    src = (f"def run({params}):\n"
           f"    for _ in _repeat(None, {OPS}):\n"
           f"        {stmt}\n")
    ns = {"_ns": names, "_repeat": itertools.repeat}
    exec(compile(src, f"<bench {stmt}>", "exec"), ns)
    return ns["run"]


def _packet(alloc_skb):
    s = alloc_skb(SIZE)
    s.reserve(HEADROOM)
    s.put_data(bytes(range(256)) * (DATA // 256) + bytes(DATA % 256))
    return s


def _restore(s):
    """Back to HEADROOM bytes of headroom and DATA bytes of data."""
    shift = s.headroom - HEADROOM
    if shift > 0:
        s.push(shift)
    elif shift < 0:
        s.pull(-shift)
    if s.len > DATA:
        s.trim(DATA)
    elif s.len < DATA:
        s.put(DATA - s.len)


@pytest.mark.parametrize("variant", ["engine", "twin", "raw"])
@pytest.mark.parametrize("op", list(OPS_TABLE))
def test_core(benchmark, op, variant):
    api_stmt, raw_stmt = OPS_TABLE[op]
    alloc_skb = _twin().alloc_skb if variant == "twin" else skb.alloc_skb
    s = _packet(alloc_skb)
    names = dict(s=s, alloc_skb=alloc_skb)
    stmt = api_stmt
    if variant == "raw":
        names = dict(RAW, cd=s._cd, err=ffi.new("int *"))
        stmt = raw_stmt
    run = _loop(stmt, names)

    benchmark.group = op
    benchmark.extra_info["ops"] = OPS
    benchmark.extra_info["stmt"] = stmt
    try:
        benchmark.pedantic(run, setup=lambda: _restore(s), rounds=ROUNDS,
                           warmup_rounds=WARMUP_ROUNDS)
        _restore(s)
        assert s.headroom == HEADROOM and s.len == DATA
        assert bytes(s.data)[:256] == bytes(range(256))
    finally:
        s.kfree()
