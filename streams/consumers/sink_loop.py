"""The one consumer loop every configured sink runs: its own group, commits only what its target took.

Each sink polls its topics in its own group (``handoff-sink-NAME``), hands a batch of at
most the target's limit to the target, and then, per record: delivered is done, refused
for good becomes a dead letter on ``leads.dlq`` (sink, status, a short excerpt), retry
later is sent again after an exponential backoff (at least its Retry-After). Offsets
move past a batch only once every record of it is done (committed every
``HANDOFF_COMMIT_INTERVAL_S``, on a rebalance and on stop), so a crash or a stop mid-batch
redelivers the batch with the same idempotency keys. While it waits, the loop keeps
polling with its partitions paused, so the group does not drop it for being slow.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError
from pydantic import ValidationError

from schemas import DeadLetter, ErrorCode
from sinks.config import SinkBase
from sinks.contract import Delivered, EventKind, Item, Refused, RetryLater, TargetSink
from streams.consumers.rewind import Commits
from streams.consumers.sink_items import Record, dead_letter, item_of, queue_of, topics_of, unreadable
from streams.core import metrics
from streams.core.settings import Settings
from streams.kafka.fetch_wait import IdleWait
from streams.kafka.group_consumer import group_consumer

log = logging.getLogger(__name__)
FIRST_BACKOFF_S = 0.2
# A Retry-After longer than this is cut short: the loop must keep polling its group.
MAX_RETRY_AFTER_S = 300.0


@dataclass(frozen=True)
class LoopSpec:
    """What a loop consumes: its sink's name and group, the kinds of event, the queues.

    ``within_s`` > 0 lets a batch take what the consumer already holds, for at most that long,
    up to the target's limit.
    """

    name: str
    group: str
    events: list[EventKind]
    queues: list[str] | None = None
    within_s: float = 0.0

    @classmethod
    def of(cls, config: SinkBase) -> LoopSpec:
        """The spec of a sink of the sinks file."""
        return cls(config.name, config.group, list(config.events), config.queues)


class SinkLoop:
    """Consume a sink's events, deliver them to its target, dead-letter the refused, commit."""

    def __init__(
        self, settings: Settings, spec: LoopSpec, target: TargetSink, stopping: asyncio.Event
    ) -> None:
        self.settings, self.spec, self.target, self.stopping = settings, spec, target, stopping
        self.name, self.group, self.queues = spec.name, spec.group, spec.queues
        self.kinds = topics_of(settings, spec.events)
        busy_ms = settings.kafka.fetch_max_wait_ms if spec.within_s else 50
        self.consumer = group_consumer(
            settings,
            group_id=self.group,
            client_id=self.group,
            fetch_max_wait_ms=busy_ms,
            max_poll_records=target.batch_limit,
        )
        self.commits = Commits(self.consumer, f"sink {self.name}", settings.worker.commit_interval_s)
        # An idle sink asks the broker to hold its fetches longer (see streams.kafka.fetch_wait).
        self._fetch_wait = IdleWait(busy_ms, settings.kafka.fetch_idle_wait_ms)
        self._dlq: AIOKafkaProducer | None = None
        self.started = False

    def _count(self, result: str, n: int = 1) -> None:
        if n:
            metrics.TARGET_RECORDS.labels(self.name, result).inc(n)

    async def run(self) -> None:
        """Poll, deliver and commit until ``stopping`` is set."""
        self.consumer.subscribe(list(self.kinds), listener=self.commits)
        await self.consumer.start()
        self.started = True
        log.info("sink %s consuming %s in group %s", self.name, sorted(self.kinds), self.group)
        try:
            while not self.stopping.is_set():
                await self.commits.commit_due()
                records = await self._poll()
                if not records:
                    continue
                if await self._deliver(records):
                    self.commits.written(records)
                else:
                    await self._rewind(records)
        finally:
            await self.commits.commit()
            await self.consumer.stop()
            if self._dlq is not None:
                await self._dlq.stop()
            await self.target.close()

    async def _poll(self) -> list[Record]:
        """Up to the target's limit of records; with ``within_s``, also what is already buffered.

        A sink that is caught up writes what the fetch returned at once: it takes more only
        while the consumer already holds it, so batches grow under load by themselves and
        ``within_s`` bounds how long a batch keeps growing.
        """
        limit = self.target.batch_limit
        batch = await self.consumer.getmany(timeout_ms=200, max_records=limit)
        records = [r for rs in batch.values() for r in rs]
        self._fetch_wait.note(self.consumer, len(records))
        if records and self.spec.within_s:
            deadline = asyncio.get_running_loop().time() + self.spec.within_s
            while len(records) < limit and asyncio.get_running_loop().time() < deadline:
                more = await self.consumer.getmany(timeout_ms=0, max_records=limit - len(records))
                if not more:
                    break
                records.extend(r for rs in more.values() for r in rs)
        return records

    async def _deliver(self, records: list[Record]) -> bool:
        """Send the batch until every record is delivered or dead-lettered; False when stopped first."""
        pending: list[Item] = []
        for record in records:
            try:
                item = item_of(record, self.kinds[record.topic])
            except ValidationError as exc:
                if not await self._dead_letter(unreadable(record, self.name, exc)):
                    return False
                continue
            if self.queues is not None and queue_of(item) not in (None, *self.queues):
                continue  # not this sink's queue: done without sending
            pending.append(item)
        attempt = 0
        while pending:
            for item in pending:
                self.target.add(item)
            answers = await self.target.flush()
            retry: list[Item] = []
            wait = 0.0
            delivered = 0
            for item, answer in zip(pending, answers, strict=True):
                if isinstance(answer, Delivered):
                    delivered += 1
                elif isinstance(answer, Refused):
                    self._count("refused")
                    letter = dead_letter(
                        item.ref, self.name, answer.detail, answer.status, ErrorCode(answer.code)
                    )
                    if not await self._dead_letter(letter):
                        retry.append(item)
                else:
                    assert isinstance(answer, RetryLater)  # noqa: S101 - the three answers
                    retry.append(item)
                    wait = max(wait, min(answer.after_s or 0.0, MAX_RETRY_AFTER_S))
                    log.warning("sink %s: %s will be sent again: %s", self.name, item.key, answer.detail)
            self._count("delivered", delivered)
            pending = retry
            if not pending:
                return True
            self._count("retried", len(pending))
            backoff = min(FIRST_BACKOFF_S * 2**attempt, self.settings.sink.retry_max_backoff_s)
            attempt += 1
            if not await self._wait(max(backoff, wait)):
                return False
        return True

    async def _wait(self, seconds: float) -> bool:
        """Wait while still polling the group (partitions paused); False when asked to stop."""
        paused = self.consumer.assignment()
        self.consumer.pause(*paused)
        deadline = asyncio.get_running_loop().time() + seconds
        try:
            while not self.stopping.is_set():
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    return True
                # Partitions assigned meanwhile are not paused: put back what they returned.
                for tp, got in (await self.consumer.getmany(timeout_ms=int(min(left, 0.5) * 1000))).items():
                    self.consumer.seek(tp, got[0].offset)
            return False
        finally:
            self.consumer.resume(*[tp for tp in paused if tp in self.consumer.assignment()])

    async def _dead_letter(self, letter: DeadLetter) -> bool:
        """Send a letter and wait for the broker; False when it did not confirm."""
        try:
            if self._dlq is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self.settings.kafka.servers, acks="all", client_id=f"{self.group}-dlq"
                )
                try:
                    await producer.start()
                except KafkaError:
                    await producer.stop()
                    raise
                self._dlq = producer
            await self._dlq.send_and_wait(self.settings.topics.dlq, letter.model_dump_json().encode())
        except KafkaError as exc:
            log.warning("sink %s could not dead-letter %s (%s); keeping it", self.name, letter.source, exc)
            return False
        self._count("dead_lettered")
        log.error("sink %s dead-lettered %s: %s", self.name, letter.source, letter.detail)
        return True

    async def _rewind(self, records: list[Record]) -> None:
        """Stopping mid-batch: seek back so nothing undelivered is skipped by this consumer."""
        firsts: dict[TopicPartition, int] = {}
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            firsts[tp] = min(firsts.get(tp, record.offset), record.offset)
        for tp, offset in firsts.items():
            if tp in self.consumer.assignment():
                self.consumer.seek(tp, offset)
