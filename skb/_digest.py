"""Digest of the engine sources, shared by the build and the import check.

The build embeds it in ``skb._core``; on import from a source checkout the
package recomputes it and refuses a core built from other sources.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def engine_sources(csrc: Path) -> list[Path]:
    """The files the engine is built from, in a stable order."""
    return sorted(p for p in csrc.iterdir() if p.suffix in (".c", ".h"))


def source_digest(csrc: Path) -> str:
    """SHA-256 over the names and contents of the engine sources."""
    h = hashlib.sha256()
    for path in engine_sources(csrc):
        h.update(path.name.encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()
