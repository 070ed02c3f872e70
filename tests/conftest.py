"""Every test runs inside skb's leak check: it fails if it leaves skbs,
heads or pages allocated, or if the garbage collector had to free one.

Tests marked ``gc_leak`` drop handles without kfree on purpose, to test the
garbage collector's safety net.  That bumps ``gc_leaks`` by design, which is
exactly what the leak check fails on, so those tests do not get the fixture
and instead compare ``skb.counters()`` themselves (exact deltas).

Hypothesis profiles: "default" (the plain ``python -m pytest`` run; the
stateful machine gets 200 examples of up to 50 steps) and "dev" (quick:
``HYPOTHESIS_PROFILE=dev python -m pytest``).
"""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default",
    max_examples=200,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev",
    max_examples=20,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "gc_leak: the test leaks handles on purpose and checks the counters "
        "itself (the autouse leak check is not applied)",
    )


@pytest.fixture(autouse=True)
def _no_leaks(request):
    if request.node.get_closest_marker("gc_leak") is None:
        request.getfixturevalue("leak_check")
    yield
