"""Every test runs inside skb's leak check: it fails if it leaves skbs,
heads or pages allocated, or if the garbage collector had to free one."""

import pytest


@pytest.fixture(autouse=True)
def _no_leaks(leak_check):
    yield
