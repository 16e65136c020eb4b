"""The SQL sales queue as a sink target: one transaction per batch, poison handoffs set aside.

A failed write is answered "retry later" for the whole batch (the loop commits nothing and
sends it again with backoff). A failure other than a lost connection that repeats
``POISON_STRIKES`` times splits the batch: each handoff is written on its own, and the ones
the store still refuses are answered "refused" (dead letters, ``processing_failed``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from schemas import HandoffEvent
from sinks.contract import DELIVERED, Answer, Item, Refused, RetryLater, TargetSink
from sinks.queue import RecordResult
from sinks.store import make_engine
from sinks.writer import SalesQueueSink
from streams.consumers.sink_poison import POISON_STRIKES, is_transient, write_one_by_one
from streams.core import metrics
from streams.core.settings import Settings

log = logging.getLogger(__name__)
NAME = "sales-queue"


def _handoff_of(item: Item) -> HandoffEvent:
    # The loop has parsed the record already (and dead-lettered what does not parse).
    assert isinstance(item.event, HandoffEvent)  # noqa: S101 - the loop gives this sink handoffs only
    return item.event


class SalesQueueTarget(TargetSink):
    """Handoffs into the sales queue store."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.batch_limit = settings.sink.batch_size
        self.engine = make_engine(settings.database.url)
        self.writer: SalesQueueSink[Item] = SalesQueueSink(self.engine, handoff_of=_handoff_of)
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="handoff-sink-db")
        self.healthy = True
        self._strikes = 0

    async def send(self, items: list[Item]) -> list[Answer]:
        """Write the batch in one transaction; answer for each handoff."""
        for item in items:
            self.writer.add(item.ref.partition, item)
        before = dataclasses.replace(self.writer.totals)
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        try:
            written = await loop.run_in_executor(self._db, self.writer.flush)
        except Exception as exc:  # noqa: BLE001 - any database failure is retried from Kafka
            metrics.SINK_FAILURES.inc()
            self.healthy = False
            self._strikes = 0 if is_transient(exc) else self._strikes + 1
            if self._strikes >= POISON_STRIKES:
                return await self._set_poison_aside(items, before)
            log.warning("sink write failed (%s: %s); retrying", type(exc).__name__, str(exc)[:200])
            return [RetryLater(f"the store refused the batch: {type(exc).__name__}")] * len(items)
        self._strikes = 0
        self.healthy = True
        metrics.SINK_BATCH.observe(time.perf_counter() - started)
        self._observe(written, before)
        return [DELIVERED] * len(items)

    async def _set_poison_aside(self, records: list[Item], before: RecordResult) -> list[Answer]:
        """Write one by one; refuse what the store still refuses."""
        self._strikes = 0
        try:
            refused = await asyncio.get_running_loop().run_in_executor(
                self._db, write_one_by_one, self.writer, records
            )
        except Exception as exc:  # noqa: BLE001 - the store went away meanwhile: retry later
            log.warning("sink write failed (%s); retrying", type(exc).__name__)
            return [RetryLater(f"the store went away: {type(exc).__name__}")] * len(records)
        self.healthy = True
        errors = {id(record): error for record, error in refused}
        answers: list[Answer] = []
        for record in records:
            error = errors.get(id(record))
            if error is None:
                answers.append(DELIVERED)
                continue
            metrics.SINK_ROWS.labels("dead_letter").inc()
            # The error's type only: the store's message may hold PII.
            detail = f"the sales queue store refused this handoff: {type(error).__name__}"
            answers.append(Refused(None, detail, code="processing_failed"))
        self._observe([r for r in records if id(r) not in errors], before)
        return answers

    def _observe(self, written: list[Item], before: RecordResult) -> None:
        """Count what the batch did and how long each lead took from submission to the queue."""
        totals = self.writer.totals
        metrics.SINK_ROWS.labels("queued").inc(totals.queued - before.queued)
        metrics.SINK_ROWS.labels("attached").inc(totals.attached - before.attached)
        metrics.SINK_ROWS.labels("duplicate").inc(totals.duplicates - before.duplicates)
        now_ms = time.time() * 1000
        for item in written:
            submitted = metrics.submitted_ms(item.ref.headers)
            if submitted is not None:
                metrics.SUBMIT_TO_QUEUED.observe(max(0.0, now_ms - submitted) / 1000)

    async def close(self) -> None:
        """Finish the last write and release the database."""
        self._db.shutdown(wait=True)
        self.engine.dispose()
