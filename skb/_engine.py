"""Load the compiled engine and refuse one that does not match this package."""

from __future__ import annotations

from pathlib import Path

from ._digest import source_digest

ENGINE_ABI = 1

try:
    from ._core import ffi, lib
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError(
        "skb._core, the compiled engine, is missing: install the package "
        "with pip (pip install -e . in a checkout) so cffi builds it"
    ) from exc

if lib.SKB_ENGINE_ABI != ENGINE_ABI:  # pragma: no cover - stale install
    raise ImportError(
        f"skb._core speaks engine ABI {lib.SKB_ENGINE_ABI}, this package "
        f"expects {ENGINE_ABI}: reinstall skb"
    )

_CSRC = Path(__file__).resolve().parent.parent / "csrc"
if _CSRC.is_dir():
    _built = ffi.string(lib.skb_source_digest).decode()
    if _built != source_digest(_CSRC):  # pragma: no cover - stale build
        raise ImportError(
            "skb._core was built from other engine sources than the ones in "
            f"{_CSRC}: rebuild it with pip install -e ."
        )

__all__ = ["ffi", "lib"]
