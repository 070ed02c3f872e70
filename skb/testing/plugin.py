"""pytest plugin (registered through the pytest11 entry point): the
``leak_check`` fixture fails a test that leaves skbs, heads or pages behind."""

from __future__ import annotations

from typing import Iterator

import pytest

from ..leak import Counters
from ..leak import leak_check as _leak_check


@pytest.fixture
def leak_check() -> Iterator[Counters]:
    """Fail the test if it leaks engine objects."""
    with _leak_check() as before:
        yield before
