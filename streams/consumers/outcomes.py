"""Keep the submissions that never reached sales (nurture, disqualified, duplicates, dead letters)
in the store, so the scorecard counts every submission; commits only after the database.

A plain aiokafka consumer in its own group (``<sink group>-outcomes``): it polls a batch of
``leads.nurture`` and ``leads.dlq``, stores it in one transaction (a replay is a no-op),
then commits; a failed write rewinds to the committed offsets and tries again.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError
from sqlalchemy.orm import Session

from schemas import DeadLetter, NurtureEvent
from sinks.outcomes import record_outcomes
from sinks.store import make_engine
from streams.consumers.rewind import rewind_to_committed
from streams.core.settings import Settings
from streams.kafka.fetch_wait import IdleWait
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
        self.consumer.subscribe([self.settings.topics.nurture, self.settings.topics.dlq])
        await self.consumer.start()
        loop = asyncio.get_running_loop()
        delay = 0.1
        try:
            while not self.stopping.is_set():
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
                    await rewind_to_committed(self.consumer)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.settings.sink.retry_max_backoff_s)
                    continue
                delay = 0.1
                try:
                    await self.consumer.commit()
                except KafkaError as exc:
                    # The rows are in; a redelivery is a no-op on the event id.
                    log.warning("outcomes commit failed after a successful write: %s", exc)
        finally:
            await self.consumer.stop()
            self._db.shutdown(wait=True)
            self.engine.dispose()
