"""Benchmarks of the nonlinear engine against the pure-Python twin
(skb.testing.model) and, for the checksum, against one contiguous C checksum.

Run with:  pytest bench/test_nonlinear.py --benchmark-enable
(the project's pytest configuration disables benchmarks by default, so a
plain run only executes each body once, as a smoke test).

Compare within one run only (perf-anchors.md: the box is noisy); the
interesting numbers are the ratios inside each group.
"""

import pytest

import skb
from skb import csum
from skb.testing import model

FRAG = 4096
NFRAGS = 16
TOTAL = FRAG * NFRAGS  # 64 KiB


def payload(n):
    import random
    return random.Random(3).randbytes(n)


DATA = payload(TOTAL)


def paged_64k(lib):
    """A fully paged skb: no linear data, 64 KiB in 16 one-page frags."""
    s = lib.alloc_skb(0)
    for i in range(NFRAGS):
        p = lib.alloc_page()
        p.data[:FRAG] = DATA[i * FRAG:(i + 1) * FRAG]
        s.add_rx_frag(i, p, 0, FRAG, FRAG)
    return s


@pytest.fixture
def engine_64k():
    s = paged_64k(skb)
    yield s
    s.kfree()


@pytest.fixture
def twin_64k():
    s = paged_64k(model)
    yield s
    s.kfree()


# ---------------------------------------------------------------- checksum

@pytest.mark.benchmark(group="checksum 64 KiB (16 frags)")
def test_checksum_engine(benchmark, engine_64k):
    want = csum.csum_fold(csum.csum_partial(DATA))
    assert csum.csum_fold(benchmark(engine_64k.checksum, 0, TOTAL)) == want


@pytest.mark.benchmark(group="checksum 64 KiB (16 frags)")
def test_checksum_twin(benchmark, twin_64k):
    want = csum.csum_fold(csum.csum_partial(DATA))
    assert csum.csum_fold(benchmark(twin_64k.checksum, 0, TOTAL)) == want


@pytest.mark.benchmark(group="checksum 64 KiB (16 frags)")
def test_checksum_floor_contiguous_c(benchmark):
    """The floor: one C csum_partial over the same 64 KiB, contiguous."""
    assert benchmark(csum.csum_partial, DATA) == model.csum_partial(DATA)


# ---------------------------------------------------------------- may_pull(54)

def bench_may_pull(benchmark, lib, rounds=3000):
    """may_pull(54) from a fully paged 1514-byte frame (one frag), the skb
    rebuilt in setup every round (a pull changes it)."""
    page = lib.alloc_page()
    page.data[:1514] = DATA[:1514]
    live = []

    def setup():
        while live:
            live.pop().kfree()
        s = lib.alloc_skb(0)
        page.get()
        s.add_rx_frag(0, page, 0, 1514, 2048)
        live.append(s)
        return (s, 54), {}

    def target(s, n):
        return s.may_pull(n)

    try:
        assert benchmark.pedantic(target, setup=setup, rounds=rounds, iterations=1) is True
        s = live[0]
        assert (s.headlen, s.data_len, bytes(s.data)) == (54, 1460, DATA[:54])
    finally:
        while live:
            live.pop().kfree()
        page.put()


@pytest.mark.benchmark(group="may_pull(54), fully paged")
def test_may_pull_engine(benchmark):
    bench_may_pull(benchmark, skb)


@pytest.mark.benchmark(group="may_pull(54), fully paged")
def test_may_pull_twin(benchmark):
    bench_may_pull(benchmark, model)


# ---------------------------------------------------------------- copy()

def bench_copy(benchmark, s, rounds=2000):
    """s.copy() of the 64 KiB paged skb; the previous copy is freed in setup
    so the timing is the copy alone."""
    out = []

    def setup():
        while out:
            out.pop().kfree()

    def target():
        out.append(s.copy())

    try:
        benchmark.pedantic(target, setup=setup, rounds=rounds, iterations=1)
        c = out[0]
        assert (c.len, c.data_len, c.to_bytes()) == (TOTAL, 0, DATA)
    finally:
        while out:
            out.pop().kfree()


@pytest.mark.benchmark(group="copy() 64 KiB paged")
def test_copy_engine(benchmark, engine_64k):
    bench_copy(benchmark, engine_64k)


@pytest.mark.benchmark(group="copy() 64 KiB paged")
def test_copy_twin(benchmark, twin_64k):
    bench_copy(benchmark, twin_64k)
