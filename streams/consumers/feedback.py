"""Feedback: apply what sales did (``leads.feedback``) to the queue rows and the funnel, once.

The same consumer applies erasure requests from ``leads.erasure``, so a person erased
in another system (a CRM, the marketing platform) is erased here too.

A plain aiokafka consumer, like the sink and for the same reason: offsets are
committed only after the batch is in the database, and a failed write rewinds to
the committed offsets. (Faust acks a record when it is taken, even if the write
after it fails.) It runs as a task of the stream worker and has its own group.
Feedback may be redelivered or arrive twice (the desk publishes, the outbox
re-sends): each event is stored under a content-derived id and applied once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeAlias

import faust
import mode
from aiokafka import ConsumerRecord, TopicPartition
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from schemas import Erasure, Feedback
from sinks.erase import erase_person
from sinks.queue import apply_feedback
from sinks.store import make_engine
from streams.consumers.rewind import commit_written, consume_batches, rewind_to_committed
from streams.core.settings import Settings
from streams.kafka.fetch_wait import IdleWait
from streams.kafka.group_consumer import group_consumer

log = logging.getLogger(__name__)
Record: TypeAlias = "ConsumerRecord[bytes, bytes]"


def _apply_one(session: Session, record: Record, erasures: str, now: datetime) -> str:
    if record.topic == erasures:
        erasure = Erasure.model_validate_json(record.value or b"")
        result = erase_person(session=session, lead_id=erasure.lead_id, now=now)
        return "erased" if result.queue_rows else "erased_before"
    event = Feedback.model_validate_json(record.value or b"")
    return apply_feedback(session=session, event=event, now=now)


def apply_batch(engine: Engine, records: list[Record], erasures: str = "") -> Counter[str]:
    """Apply a batch of feedback and erasure records in one transaction; counts per outcome."""
    outcomes: Counter[str] = Counter()
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        for record in records:
            try:
                outcomes[_apply_one(session, record, erasures, now)] += 1
            except ValidationError as exc:
                # Retrying cannot fix it; say where it is so it can be repaired and replayed.
                log.error(
                    "malformed event at %s/%d/%d: %d errors",
                    record.topic,
                    record.partition,
                    record.offset,
                    exc.error_count(),
                )
                outcomes["malformed"] += 1
    return outcomes


class FeedbackWorker:
    """One member of the feedback consumer group."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings.database.url)
        self.wait = IdleWait.off_path(settings)  # no lead waits on feedback by the second
        self.consumer = group_consumer(
            settings,
            settings.topics.feedback,
            settings.topics.erasure,
            group_id=settings.worker.feedback_group_id,
            client_id="handoff-feedback",
            fetch_max_wait_ms=self.wait.busy_ms,
            max_poll_records=500,
        )
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="handoff-feedback-db")
        self.totals: Counter[str] = Counter()
        self.stopping = asyncio.Event()

    async def _handle(self, batch: dict[TopicPartition, list[Record]]) -> bool:
        records = [r for part in batch.values() for r in part]
        try:
            outcomes = await asyncio.get_running_loop().run_in_executor(
                self._db, apply_batch, self.engine, records, self.settings.topics.erasure
            )
        except Exception as exc:  # noqa: BLE001 - any database failure is retried from Kafka
            log.warning("feedback write failed (%s: %s); rewinding", type(exc).__name__, str(exc)[:200])
            await rewind_to_committed(self.consumer)
            return False
        self.totals.update(outcomes)
        await commit_written(self.consumer, batch, "feedback")
        return True

    async def run(self) -> None:
        """Consume and apply until ``stopping`` is set or the task is cancelled."""
        try:
            # Inside the try: a stop that lands while joining the group must still close the consumer.
            await self.consumer.start()
            await consume_batches(
                self.consumer,
                lambda: self.consumer.getmany(timeout_ms=200, max_records=500),
                self._handle,
                wait=self.wait,
                stopping=self.stopping,
                max_backoff_s=self.settings.sink.retry_max_backoff_s,
            )
        finally:
            await self.consumer.stop()
            self._db.shutdown(wait=True)


class FeedbackService(mode.Service):
    """Runs one feedback consumer for as long as the stream worker runs."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.worker: FeedbackWorker | None = None

    @mode.Service.task
    async def _consume(self) -> None:
        self.worker = FeedbackWorker(self.settings)
        try:
            await self.worker.run()
        finally:
            self.worker.engine.dispose()

    async def on_stop(self) -> None:
        """Let the consumer finish its batch and leave the group."""
        if self.worker is not None:
            self.worker.stopping.set()


def register(app: faust.App, settings: Settings) -> Any:
    """Run a feedback consumer alongside the stream agents, started and stopped with the app."""
    return app.add_dependency(FeedbackService(settings))
