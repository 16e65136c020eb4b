"""Keep the submissions that never reached sales (nurture, disqualified, duplicates, dead letters)
in the store, so the scorecard counts every submission; commits only after the database.

A plain aiokafka consumer in its own group (``<sink group>-outcomes``): it polls a batch of
``leads.nurture`` and ``leads.dlq``, stores it in one transaction (a replay is a no-op),
then commits (every ``HANDOFF_COMMIT_INTERVAL_S``, on a rebalance and on stop); a failed
write rewinds to the committed offsets and tries again. While records flow it takes a batch
at most every 100 ms: each fetch costs the embedded broker about a millisecond of CPU,
and at a few hundred nurture events a second a consumer that fetched again as soon as it
had stored a batch made some 30 fetches and commits a second for nobody waiting.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError
from sqlalchemy.orm import Session

from schemas import DeadLetter, NurtureEvent
from sinks.outcomes import record_outcomes
from sinks.store import make_engine
from streams.consumers.rewind import Commits, rewind_to_committed
from streams.core.settings import Settings
from streams.kafka.fetch_wait import OFF_PATH_BUSY_MS, IdleWait
from streams.kafka.group_consumer import group_consumer

log = logging.getLogger(__name__)


class OutcomesWorker:
    """Store nurture events and dead letters for the scorecard."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_engine(settings.database.url)
        self._fetch_wait = IdleWait.off_path(settings)  # stored for the scorecard; no lead waits on it
        self.consumer = group_consumer(
            settings,
            group_id=f"{settings.sink.group}-outcomes",
            client_id="handoff-outcomes",
            fetch_max_wait_ms=self._fetch_wait.busy_ms,
        )
        self.commits = Commits(self.consumer, "outcomes", settings.worker.commit_interval_s)
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="handoff-outcomes-db")
        self.stopping = asyncio.Event()
        self.stored = 0

    def _decode(
        self, records: list[ConsumerRecord[bytes, bytes]]
    ) -> tuple[list[NurtureEvent], list[DeadLetter]]:
        nurture: list[NurtureEvent] = []
        letters: list[DeadLetter] = []
        for record in records:
            try:
                if record.topic == self.settings.topics.nurture:
                    nurture.append(NurtureEvent.model_validate_json(record.value or b""))
                    continue
                letter = DeadLetter.model_validate_json(record.value or b"")
            except ValidationError:
                # Not ours to repair: counting skips it, the topic keeps it.
                log.warning("outcomes skipped an unreadable record at %s/%s/%s", record.topic,
                            record.partition, record.offset)  # fmt: skip
                continue
            # A handoff the store refused was handed off, not a failed submission.
            if letter.source.topic != self.settings.topics.handoff:
                letters.append(letter)
        return nurture, letters

    def _store(self, nurture: list[NurtureEvent], letters: list[DeadLetter]) -> int:
        with Session(self.engine) as session, session.begin():
            return record_outcomes(session=session, nurture=nurture, dead_letters=letters)

    async def run(self) -> None:
        """Consume, store and commit until asked to stop."""
        topics = [self.settings.topics.nurture, self.settings.topics.dlq]
        self.consumer.subscribe(topics, listener=self.commits)
        await self.consumer.start()
        loop = asyncio.get_running_loop()
        delay = 0.1
        try:
            while not self.stopping.is_set():
                await self.commits.commit_due()
                polled = loop.time()
                batch = await self.consumer.getmany(timeout_ms=500, max_records=self.settings.sink.batch_size)
                records = [r for rs in batch.values() for r in rs]
                self._fetch_wait.note(self.consumer, len(records))
                if not records:
                    continue
                try:
                    self.stored += await loop.run_in_executor(self._db, self._store, *self._decode(records))
                except Exception as exc:  # noqa: BLE001 - any database failure is retried from Kafka
                    log.warning(
                        "outcomes write failed (%s); rewinding to committed offsets", type(exc).__name__
                    )
                    await self.commits.commit()  # what was stored before this batch
                    await rewind_to_committed(self.consumer)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.settings.sink.retry_max_backoff_s)
                    continue
                delay = 0.1
                # The rows are in; a redelivery before the commit is a no-op on the event id.
                self.commits.written(records)
                await asyncio.sleep(max(0.0, polled + OFF_PATH_BUSY_MS / 1000 - loop.time()))
        finally:
            await self.commits.commit()
            await self.consumer.stop()
            self._db.shutdown(wait=True)
            self.engine.dispose()
