"""Benchmarks of skb's core operations (pytest-benchmark).

Run:   python -m pytest bench --benchmark-only --benchmark-json=out.json
       python bench/report.py out.json

``pyproject.toml`` disables benchmarks for the normal test run; here
``--benchmark-only`` turns them back on.  Without it each benchmark body
runs once, as a smoke test.  The garbage collector is off while timing,
as in the perf anchors' timeit loops.

Every benchmark times a loop of calls of one operation (the loop costs
about 8 ns a call, as timeit's); the report divides by the number of calls.
"""

from __future__ import annotations

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    if config.getoption("benchmark_only", False):
        config.option.benchmark_enable = True
    config.option.benchmark_disable_gc = True


@pytest.fixture(autouse=True)
def _no_leaks(leak_check):
    """Every benchmark frees what it allocates (skb's leak check)."""
    yield
