"""Keep the garbage collector's full collections out of speed-to-lead.

A full collection walks every container object the process tracks. Once started, a
stream worker tracks ~190,000 of them (modules, pydantic schemas, the policy, the
account index, Faust's app), almost all alive for the life of the process, and each full
collection paused its event loop for ~140 ms (measured at 500 leads/s), holding up every
lead in flight at that moment. Frozen objects are never walked again; objects made later
are collected as before, and reference counting still frees frozen ones.
"""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Collect what start-up left behind, then freeze the survivors out of later collections."""
    gc.collect()
    gc.freeze()
