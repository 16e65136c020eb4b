"""A consumer's fetch wait that grows while nothing arrives and snaps back on the first record.

The embedded broker holds a Fetch that finds no data for the consumer's whole wait (at
most 1.5 s), looking again at half the time left each time; a record written meanwhile
goes out at the next look, so it waits up to half the fetch wait. A short wait therefore
bounds each hop's latency, but turns an idle consumer into a poll loop: 10 ms is ~100
fetches a second per consumer with nothing to do, and every fetch costs the broker and
the worker CPU. So a consumer that has seen nothing for ``idle_after_s`` fetches at
``FIRST_IDLE_MS`` and doubles the wait every ``GROW_EVERY_S`` quiet seconds up to its idle
wait: a lead shortly after a busy spell still goes on within ~0.1 s a hop, a system quiet
for longer polls a few times a second at most. Consumers off the speed-to-lead path (rep
feedback, stored outcomes) wait longer still: nobody waits on them by the second.
"""

from __future__ import annotations

import time
from typing import Any

from streams.core.settings import Settings

# While records flow, a consumer off the lead's path still takes them in batches this often.
OFF_PATH_BUSY_MS = 100
# The fetch wait after the first quiet second, and how often it doubles while quiet lasts.
FIRST_IDLE_MS = 250
GROW_EVERY_S = 10.0
# How often aiokafka's fetcher task wakes when nothing else wakes it (its default is 200 ms).
# A finished fetch, a seek, a new assignment and a resumed partition wake it at once; the
# timer only costs an idle worker CPU.
FETCHER_WAKE_MS = 1000


class IdleWait:
    """Set an aiokafka consumer's fetch wait from how long it has seen no records."""

    def __init__(
        self, busy_ms: int, idle_ms: int, idle_after_s: float = 1.0, first_idle_ms: int = FIRST_IDLE_MS
    ) -> None:
        self.busy_ms = busy_ms
        self.idle_ms = max(idle_ms, busy_ms)
        self.first_idle_ms = max(first_idle_ms, busy_ms)
        self.idle_after_s = idle_after_s
        self._last_record = time.monotonic()
        self.wait_ms = busy_ms

    @classmethod
    def of(cls, settings: Settings) -> IdleWait:
        """The waits configured in settings."""
        return cls(settings.kafka.fetch_max_wait_ms, settings.kafka.fetch_idle_wait_ms)

    @classmethod
    def off_path(cls, settings: Settings) -> IdleWait:
        """The waits of a consumer no lead's speed-to-lead waits on."""
        side = settings.kafka.fetch_side_wait_ms
        return cls(min(side, OFF_PATH_BUSY_MS), side, first_idle_ms=side)

    def wait_after(self, quiet_s: float) -> int:
        """The fetch wait, in ms, for a consumer that has seen nothing for ``quiet_s`` seconds."""
        if quiet_s < self.idle_after_s:
            return self.busy_ms
        doublings = int((quiet_s - self.idle_after_s) // GROW_EVERY_S)
        grown = self.first_idle_ms << min(doublings, 16)
        return min(grown, self.idle_ms)

    def note(self, consumer: Any, records: int) -> None:
        """Record how many records the last poll returned and set the wait of the next fetches."""
        now = time.monotonic()
        if records:
            self._last_record = now
        wait_ms = self.wait_after(now - self._last_record)
        if wait_ms != self.wait_ms:
            self.wait_ms = wait_ms
            fetcher = getattr(consumer, "_fetcher", None)
            if fetcher is not None:
                # Read by aiokafka's fetcher each time it builds a Fetch request.
                fetcher._fetch_max_wait_ms = wait_ms
