"""Start-up's objects leave the collector's walk; garbage made before is still collected."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from streams.core.heap import settle_heap


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("unfrozen")
def test_survivors_are_frozen_and_cycles_left_by_start_up_are_freed() -> None:
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    kept = [_Node() for _ in range(100)]
    del a, b
    settle_heap()
    assert gone() is None  # the cycle was collected, not frozen
    assert gc.get_freeze_count() >= len(kept)
    assert all(gc.is_tracked(node) for node in kept)
