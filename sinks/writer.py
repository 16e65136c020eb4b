"""The batch writer behind the sink consumer (Quix Streams' sink contract).

``add()`` buffers per partition; ``flush()`` writes everything buffered in one
transaction and clears the buffers in a ``finally``. The consumer commits offsets
only after a successful flush and rewinds to the committed offsets after a failed one.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Generic, TypeVar

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from schemas import HandoffEvent
from sinks.queue import RecordResult, record_handoffs

T = TypeVar("T")
log = logging.getLogger(__name__)


class SalesQueueSink(Generic[T]):
    """Buffers handoffs per partition and writes them in one transaction."""

    def __init__(self, engine: Engine, *, handoff_of: Callable[[T], HandoffEvent]) -> None:
        self.engine = engine
        self._handoff_of = handoff_of
        self._buffers: dict[int, list[T]] = defaultdict(list)
        self._oldest: float | None = None
        self.totals = RecordResult()
        self.invalid = 0

    def add(self, partition: int, item: T) -> None:
        """Buffer one item read from ``partition``."""
        if self._oldest is None:
            self._oldest = time.monotonic()
        self._buffers[partition].append(item)

    @property
    def size(self) -> int:
        """Number of buffered items."""
        return sum(len(b) for b in self._buffers.values())

    def age(self) -> float:
        """Seconds since the oldest buffered item arrived."""
        return 0.0 if self._oldest is None else time.monotonic() - self._oldest

    def pending(self) -> list[T]:
        """Everything buffered, partition by partition."""
        return [item for part in sorted(self._buffers) for item in self._buffers[part]]

    def write(self, items: Sequence[T]) -> RecordResult:
        """Write items in one transaction; raises on failure, leaving the buffer intact."""
        events: list[HandoffEvent] = []
        for item in items:
            try:
                events.append(self._handoff_of(item))
            except ValidationError as exc:
                # Retrying cannot fix a malformed event; skip it loudly instead of stalling.
                self.invalid += 1
                log.error("skipped a malformed handoff event: %d errors", exc.error_count())
        with Session(self.engine) as session, session.begin():
            result = record_handoffs(session=session, events=events, now=datetime.now(UTC))
        return result

    def clear(self) -> None:
        """Drop everything buffered."""
        self._buffers.clear()
        self._oldest = None

    def flush(self) -> list[T]:
        """Write the buffer in one transaction and clear it, whether or not the write succeeded.

        On failure the caller must rewind its consumer to the committed offsets.
        """
        items = self.pending()
        if not items:
            return []
        try:
            result = self.write(items)
        finally:
            self.clear()
        self.totals.queued += result.queued
        self.totals.attached += result.attached
        self.totals.duplicates += result.duplicates
        return items
