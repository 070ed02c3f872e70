"""The environment for external tools a test runs (tshark, editcap,
rsvg-convert, ip): the test process's own, minus the sanitizer runtime the
CI preloads into Python, which has no business inside those programs (it
makes some of them hang)."""

from __future__ import annotations

import os

_SANITIZER_VARS = ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")


def tool_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _SANITIZER_VARS}
