"""Flow hashing: the kernel's jhash (Bob Jenkins' lookup3).

``SkBuff.get_hash()`` (skb_get_hash) hashes a packet's flow with it, and
``SkBuff.udp_flow_src_port()`` turns that hash into a tunnel's UDP source
port.  The kernel seeds the flow hash randomly at boot; the engine's seed is
fixed, so hashes and source ports are reproducible from run to run.
"""

from __future__ import annotations

import operator

from ._engine import lib

FLOW_HASH_SEED: int = lib.SKB_FLOW_HASH_SEED


def jhash(data, initval: int = 0) -> int:
    """jhash(key, length, initval): lookup3 over the bytes of ``data``."""
    data = bytes(memoryview(data).cast("B"))
    if type(initval) is not int:
        initval = operator.index(initval)
    return lib.jhash(data, len(data), initval)


__all__ = ["FLOW_HASH_SEED", "jhash"]
