"""A consumer's fetch wait that grows while nothing arrives and snaps back on the first record.

A broker that holds every Fetch for the full wait (the embedded one) turns a short wait
into a poll loop: 10 ms is ~100 fetches a second per consumer even with nothing to do.
Busy consumers keep the short wait (it bounds each hop's latency); one that has seen
nothing for ``idle_after_s`` asks the broker to hold its fetches for ``idle_ms``.
Consumers off the speed-to-lead path (rep feedback, stored outcomes) wait longer still:
nobody waits on them by the second, and every fetch an idle system makes costs CPU.
"""

from __future__ import annotations

import time
from typing import Any

from streams.core.settings import Settings

# While records flow, a consumer off the lead's path still takes them in batches this often.
OFF_PATH_BUSY_MS = 100


class IdleWait:
    """Switch an aiokafka consumer between its busy and its idle fetch wait."""

    def __init__(self, busy_ms: int, idle_ms: int, idle_after_s: float = 1.0) -> None:
        self.busy_ms = busy_ms
        self.idle_ms = max(idle_ms, busy_ms)
        self.idle_after_s = idle_after_s
        self._last_record = time.monotonic()
        self.idle = False

    @classmethod
    def of(cls, settings: Settings) -> IdleWait:
        """The waits configured in settings."""
        return cls(settings.kafka.fetch_max_wait_ms, settings.kafka.fetch_idle_wait_ms)

    @classmethod
    def off_path(cls, settings: Settings) -> IdleWait:
        """The waits of a consumer no lead's speed-to-lead waits on."""
        side = settings.kafka.fetch_side_wait_ms
        return cls(min(side, OFF_PATH_BUSY_MS), side)

    def note(self, consumer: Any, records: int) -> None:
        """Record how many records the last poll returned and set the wait of the next fetches."""
        now = time.monotonic()
        if records:
            self._last_record = now
            idle = False
        else:
            idle = now - self._last_record >= self.idle_after_s
        if idle != self.idle:
            self.idle = idle
            fetcher = getattr(consumer, "_fetcher", None)
            if fetcher is not None:
                # Read by aiokafka's fetcher each time it builds a Fetch request.
                fetcher._fetch_max_wait_ms = self.idle_ms if idle else self.busy_ms
