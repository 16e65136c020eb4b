"""Sink: write handoffs into the sales queue store, committing offsets only after the database.

A plain aiokafka consumer rather than a Faust agent: it polls a batch, writes it in
one transaction, then commits exactly the offsets it wrote. A failed write seeks
back to the last committed offsets and retries with backoff, so nothing is skipped.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TypeAlias

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord, OffsetAndMetadata

from schemas import HandoffEvent
from sinks.migrate import require_current
from sinks.queue import RecordResult
from sinks.store import create_schema, make_engine
from sinks.writer import SalesQueueSink
from streams.consumers.rewind import rewind_to_committed
from streams.consumers.sink_poison import POISON_STRIKES, is_transient, sink_dead_letter, write_one_by_one
from streams.core import metrics
from streams.core.settings import Settings
from streams.kafka.fetch_wait import IdleWait

log = logging.getLogger(__name__)
Record: TypeAlias = "ConsumerRecord[bytes, bytes]"


def _handoff_of(record: Record) -> HandoffEvent:
    return HandoffEvent.model_validate_json(record.value or b"")


class SinkWorker:
    """One sink consumer in the sink group."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_engine(settings.database.url)
        self.writer: SalesQueueSink[Record] = SalesQueueSink(self.engine, handoff_of=_handoff_of)
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka.servers,
            group_id=settings.sink.group,
            client_id="handoff-sink",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=int(settings.kafka.session_timeout_s * 1000),
            heartbeat_interval_ms=int(settings.kafka.heartbeat_interval_s * 1000),
            fetch_max_wait_ms=settings.kafka.fetch_max_wait_ms,
            max_poll_records=settings.sink.batch_size,
        )
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="handoff-sink-db")
        self._next: dict[TopicPartition, int] = {}
        self.stopping = asyncio.Event()
        self.started = False
        self.healthy = True
        self._strikes = 0
        self._dlq: AIOKafkaProducer | None = None

    async def ready(self) -> tuple[bool, str]:
        """Ready once consuming, and while the last write to the store succeeded."""
        if not self.started:
            return False, "starting"
        if not self.healthy:
            return False, "the sales queue store refused the last write; retrying"
        return True, f"{len(self.consumer.assignment())} partitions assigned"

    async def _write_and_commit(self) -> bool:
        """Write the buffer, then commit; on failure rewind to the committed offsets."""
        if not self.writer.size:
            return True
        offsets = dict(self._next)
        before = dataclasses.replace(self.writer.totals)
        items = self.writer.pending()
        started = time.perf_counter()
        try:
            written = await asyncio.get_running_loop().run_in_executor(self._db, self.writer.flush)
        except Exception as exc:  # noqa: BLE001 - any database failure is retried from Kafka
            metrics.SINK_FAILURES.inc()
            self.healthy = False
            self._strikes = 0 if is_transient(exc) else self._strikes + 1
            if self._strikes >= POISON_STRIKES:
                self._next.clear()
                return await self._set_poison_aside(items, offsets, before)
            log.warning(
                "sink write failed (%s: %s); rewinding to committed offsets",
                type(exc).__name__,
                str(exc)[:200],
            )
            await rewind_to_committed(self.consumer)
            return False
        finally:
            self._next.clear()
        self._strikes = 0
        metrics.SINK_BATCH.observe(time.perf_counter() - started)
        self.healthy = True
        try:
            await self.consumer.commit({tp: OffsetAndMetadata(o, "") for tp, o in offsets.items()})
        except KafkaError as exc:
            # The rows are in; a redelivery after a rebalance is absorbed by the idempotent upsert.
            log.warning("sink commit failed after a successful write: %s", exc)
        self._observe(written, before)
        log.debug("sink wrote %d handoffs", len(written))
        return True

    async def _set_poison_aside(
        self, items: list[Record], offsets: dict[TopicPartition, int], before: RecordResult
    ) -> bool:
        """Write the batch one by one, dead-letter what the store refuses, then commit."""
        self._strikes = 0
        try:
            refused = await asyncio.get_running_loop().run_in_executor(
                self._db, write_one_by_one, self.writer, items
            )
        except Exception as exc:  # noqa: BLE001 - the store went away meanwhile: retry later
            log.warning("sink write failed (%s); rewinding to committed offsets", type(exc).__name__)
            await rewind_to_committed(self.consumer)
            return False
        try:
            await self._dead_letter(refused)
        except KafkaError as exc:
            # Nothing is committed: the batch comes again, and what was written is a no-op then.
            log.warning("sink could not dead-letter refused handoffs (%s); rewinding", exc)
            self._strikes = POISON_STRIKES
            await rewind_to_committed(self.consumer)
            return False
        self.healthy = True
        try:
            await self.consumer.commit({tp: OffsetAndMetadata(o, "") for tp, o in offsets.items()})
        except KafkaError as exc:
            log.warning("sink commit failed after a successful write: %s", exc)
        refused_ids = {id(record) for record, _ in refused}
        self._observe([r for r in items if id(r) not in refused_ids], before)
        return True

    async def _dead_letter(self, refused: list[tuple[Record, BaseException]]) -> None:
        """Send each refused handoff to the dead-letter topic and wait for the broker."""
        if not refused:
            return
        if self._dlq is None:
            producer = AIOKafkaProducer(
                bootstrap_servers=self.settings.kafka.servers, acks="all", client_id="handoff-sink-dlq"
            )
            try:
                await producer.start()
            except KafkaError:
                await producer.stop()
                raise
            self._dlq = producer
        for record, error in refused:
            letter = sink_dead_letter(record, error)
            await self._dlq.send_and_wait(self.settings.topics.dlq, letter.model_dump_json().encode())
            metrics.SINK_ROWS.labels("dead_letter").inc()
            log.error(
                "sink dead-lettered the handoff at %s/%s/%s: %s",
                record.topic,
                record.partition,
                record.offset,
                letter.detail,
            )

    def _observe(self, written: list[Record], before: RecordResult) -> None:
        """Count what the batch did and how long each lead took from submission to the queue."""
        totals = self.writer.totals
        metrics.SINK_ROWS.labels("queued").inc(totals.queued - before.queued)
        metrics.SINK_ROWS.labels("attached").inc(totals.attached - before.attached)
        metrics.SINK_ROWS.labels("duplicate").inc(totals.duplicates - before.duplicates)
        now_ms = time.time() * 1000
        for record in written:
            submitted = metrics.submitted_ms(record.headers)
            if submitted is not None:
                metrics.SUBMIT_TO_QUEUED.observe(max(0.0, now_ms - submitted) / 1000)

    async def run(self) -> None:
        """Consume, write and commit until asked to stop."""
        if self.settings.database.url.startswith("sqlite"):
            create_schema(self.engine)  # a scratch SQLite file: run the migrations here
        worker = self

        class _Revoke(ConsumerRebalanceListener):  # type: ignore[misc]
            async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
                if not await worker._write_and_commit():
                    worker.writer.clear()

            async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
                log.info("sink assigned %s", sorted(f"{tp.topic}/{tp.partition}" for tp in assigned))

        self.consumer.subscribe([self.settings.topics.handoff], listener=_Revoke())
        await self.consumer.start()
        self.started = True
        delay = 0.1
        within_ms = int(self.settings.sink.batch_within_s * 1000)
        self._wait = IdleWait.of(self.settings)
        try:
            while not self.stopping.is_set():
                batch = await self.consumer.getmany(
                    timeout_ms=within_ms, max_records=self.settings.sink.batch_size
                )
                self._wait.note(self.consumer, len(batch))
                for tp, records in batch.items():
                    for record in records:
                        self.writer.add(tp.partition, record)
                    self._next[tp] = records[-1].offset + 1
                if not self.writer.size:
                    continue
                if (
                    self.writer.size < self.settings.sink.batch_size
                    and self.writer.age() < self.settings.sink.batch_within_s
                ):
                    continue
                if await self._write_and_commit():
                    delay = 0.1
                else:
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.settings.sink.retry_max_backoff_s)
            await self._write_and_commit()
        finally:
            await self.consumer.stop()
            if self._dlq is not None:
                await self._dlq.stop()
            self._db.shutdown(wait=True)
            self.engine.dispose()


async def run_sink(settings: Settings) -> None:
    """Run one sink worker until SIGINT/SIGTERM."""
    if not settings.database.url.startswith("sqlite"):
        # PostgreSQL is migrated ahead of time (`handoff db upgrade`); refuse an older schema.
        engine = make_engine(settings.database.url)
        try:
            require_current(engine)
        finally:
            engine.dispose()
    worker = SinkWorker(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, worker.stopping.set)
    runner = None
    if settings.ops.metrics_port:
        from streams.core.metrics_http import start_metrics_server

        runner = await start_metrics_server(
            settings.ops.metrics_port, worker.ready, host=settings.ops.metrics_host
        )
    try:
        await worker.run()
    finally:
        if runner is not None:
            await runner.cleanup()
