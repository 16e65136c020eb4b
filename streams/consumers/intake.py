"""Intake: decide submitted leads in batches, live leads before bulk ones.

A plain aiokafka consumer in the stream worker group, separate from the Faust consumer
of the routing stage: a backlog of leads to decide can no longer hold up the routing
topic (one shared Faust fetcher stops delivering every topic once one agent's buffer is
full). Each batch's outputs are produced in one go (one record batch per partition; the
handoffs for one queue as one envelope, ``streams.kafka.envelopes``), and the batch's
offsets are committed only after the broker confirmed all of them; a failed send
rewinds to the committed offsets, so every lead ends in its outcome at least once (the
store writes idempotently). Offsets are committed every ``HANDOFF_COMMIT_INTERVAL_S``, on a
rebalance and on stop (``streams.consumers.rewind.Commits``), not after every batch.

``leads.bulk`` is consumed by the same consumer, but a bulk batch is only taken while
no record of ``leads.submitted`` is waiting in the fetch buffer, and it is small, so a
live lead never waits for more than one short bulk batch.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeAlias

import mode
from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from schemas import DeadLetter, HandoffEvent, NurtureEvent, SourcePosition
from streams.consumers.rewind import Commits, consume_batches, rewind_to_committed
from streams.core import metrics
from streams.core.settings import Settings
from streams.kafka.batch_send import BatchSender, Output, batch_producer
from streams.kafka.envelopes import pack
from streams.kafka.fetch_wait import IdleWait
from streams.kafka.group_consumer import group_consumer
from streams.logic.pipeline import Outcome

log = logging.getLogger(__name__)
Record: TypeAlias = "ConsumerRecord[bytes, bytes]"
Batch: TypeAlias = dict[TopicPartition, list[Record]]
#: Decide one raw message taken from a position.
Decide: TypeAlias = Callable[[bytes | None, SourcePosition], Outcome]
# Leads decided between two turns of the event loop (about 10 ms of work).
DECIDE_SLICE = 50


def decide_batch(records: Sequence[Record], decide: Decide) -> list[tuple[Record, Outcome]]:
    """Decide every record of a batch, in order."""
    out = []
    for record in records:
        position = SourcePosition(topic=record.topic, partition=record.partition, offset=record.offset)
        out.append((record, decide(record.value, position)))
    return out


async def decide_in_slices(records: Sequence[Record], decide: Decide) -> list[tuple[Record, Outcome]]:
    """``decide_batch`` on the event loop, giving the loop a turn every ``DECIDE_SLICE`` leads.

    The routing stage runs on the same loop, and a batch of 500 leads is about 0.1 s of
    deciding: without the turns, routing moved one step per intake batch, and in a burst
    rows stopped reaching the store for up to 0.9 s at a time once intake no longer
    waited for a commit after every batch.
    """
    out: list[tuple[Record, Outcome]] = []
    for start in range(0, len(records), DECIDE_SLICE):
        if start:
            await asyncio.sleep(0)
        out.extend(decide_batch(records[start : start + DECIDE_SLICE], decide))
    return out


def outcome_labels(outcome: Outcome) -> tuple[str, str]:
    """The outcome and reason an outcome is counted under (``handoff_outcomes_total``)."""
    if isinstance(outcome, DeadLetter):
        return "dead_letter", outcome.error.value
    if isinstance(outcome, NurtureEvent):
        return "nurture", outcome.disposition.value
    return "handoff", outcome.queue


class RecentIds:
    """The event ids intake handed on lately, so that a redelivered record is not emitted twice.

    Bounded: the least recently seen are forgotten first (the store's idempotent writes
    are the real guarantee). An id counts as handed on only once the broker has confirmed
    its outputs: the records of a batch whose send failed come back after the rewind, and
    must then go out, not be taken for repeats.
    """

    def __init__(self, size: int = 100_000) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, event_id: str) -> bool:
        if event_id in self._ids:
            self._ids.move_to_end(event_id)
            return True
        return False

    def remember(self, event_ids: Iterable[str]) -> None:
        """Note ids whose outputs the broker has confirmed."""
        for event_id in event_ids:
            self._ids[event_id] = None
            self._ids.move_to_end(event_id)
        while len(self._ids) > self.size:
            self._ids.popitem(last=False)


class IntakeWorker:
    """One member of the intake consumer group (the stream worker group)."""

    def __init__(self, settings: Settings, decide: Decide, recent: RecentIds, *, off_loop: bool) -> None:
        self.settings = settings
        self.decide = decide
        self.recent = recent
        self.off_loop = off_loop
        kafka = settings.kafka
        self.live_topic = settings.topics.submitted
        self.consumer = group_consumer(
            settings,
            group_id=settings.worker.group,
            client_id="handoff-intake",
            fetch_max_wait_ms=kafka.fetch_max_wait_ms,
            max_poll_records=settings.worker.intake_batch_size,
        )
        self.commits = Commits(self.consumer, "intake", settings.worker.commit_interval_s)
        self.consumer.subscribe([settings.topics.submitted, settings.topics.bulk], listener=self.commits)
        self.producer = batch_producer(kafka.servers, "handoff-intake")
        self.sender = BatchSender(self.producer)
        self.wait = IdleWait.of(settings)
        self.routing_topics = frozenset({settings.topics.routing, settings.topics.routing_bulk})
        self.stopping = asyncio.Event()

    def output(self, record: Record, outcome: Outcome) -> Output:
        """Say where an outcome goes."""
        topics = self.settings.topics
        if isinstance(outcome, DeadLetter):
            log.warning(
                "dead letter %s at %s/%s/%s: %s",
                outcome.error.value,
                record.topic,
                record.partition,
                record.offset,
                outcome.detail,
            )
            return topics.dlq, None, outcome.model_dump_json().encode(), []
        debug = log.isEnabledFor(logging.DEBUG)  # the contact is masked in the log, but cheap only when off
        if isinstance(outcome, NurtureEvent):
            if debug:
                log.debug("nurture %s (%s): %s", outcome.event_id, outcome.disposition.value,
                          outcome.contact.email)  # fmt: skip
            return topics.nurture, outcome.lead_id.encode(), outcome.model_dump_json().encode(), []
        assert isinstance(outcome, HandoffEvent)  # noqa: S101 - Outcome has three members
        if debug:
            log.debug("handoff %s to %s: %s, %s", outcome.event_id, outcome.queue, outcome.contact.email,
                      outcome.contact.phone)  # fmt: skip
        # The submitted record's timestamp rides along so the sink can time speed-to-lead.
        stamp = [(metrics.SUBMITTED_HEADER, str(record.timestamp).encode())]
        routing = topics.routing_bulk if record.topic == topics.bulk else topics.routing
        return routing, outcome.queue.encode(), outcome.model_dump_json().encode(), stamp

    async def next_batch(self) -> Batch:
        """Live records if any are buffered, else a small batch of whatever comes first."""
        live = [tp for tp in self.consumer.assignment() if tp.topic == self.live_topic]
        if live:
            batch: Batch = await self.consumer.getmany(*live, timeout_ms=0)
            if batch:
                return batch
        size = self.settings.worker.bulk_batch_size
        first: Batch = await self.consumer.getmany(timeout_ms=200, max_records=size)
        return first

    async def handle(self, batch: Batch) -> bool:
        """Decide, produce and commit one batch; False when it must be retried."""
        records = [r for part in batch.values() for r in part]
        if self.off_loop:
            decided = await asyncio.to_thread(decide_batch, records, self.decide)
        else:
            decided = await decide_in_slices(records, self.decide)
        outputs: list[Output] = []
        handed: dict[str, None] = {}  # the event ids this batch hands on, once each
        counted: list[tuple[str, str]] = []  # counted once the broker has confirmed the batch
        for record, outcome in decided:
            if not isinstance(outcome, DeadLetter):
                if outcome.event_id in handed or outcome.event_id in self.recent:
                    log.info("event %s seen before: idempotent no-op", outcome.event_id)
                    counted.append(("no_op", "seen_before"))
                    continue
                handed[outcome.event_id] = None
            outputs.append(self.output(record, outcome))
            counted.append(outcome_labels(outcome))
        outputs = pack(outputs, self.routing_topics)
        try:
            await self.sender.send_all(outputs)
        except KafkaError as exc:
            log.warning("intake outputs not confirmed (%s: %s); rewinding", type(exc).__name__, exc)
            await self.commits.commit()  # the batches before this one are written
            await rewind_to_committed(self.consumer)
            return False  # nothing of the batch counts as handed on: it comes back whole
        self.recent.remember(handed)
        for outcome_kind, reason in counted:
            metrics.record_outcome(outcome_kind, reason)
        self.commits.written(records)
        return True

    async def run(self) -> None:
        """Consume and decide until ``stopping`` is set or the task is cancelled."""
        try:
            await self.producer.start()
            await self.consumer.start()
            await consume_batches(
                self.consumer,
                self.next_batch,
                self.handle,
                wait=self.wait,
                stopping=self.stopping,
                max_backoff_s=self.settings.sink.retry_max_backoff_s,
                commits=self.commits,
            )
        finally:
            await self.commits.commit()
            await self.consumer.stop()
            await self.producer.stop()


class IntakeService(mode.Service):
    """Runs one intake consumer for as long as the stream worker runs."""

    def __init__(self, make: Callable[[], IntakeWorker], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.make = make
        self.worker: IntakeWorker | None = None

    @mode.Service.task
    async def _consume(self) -> None:
        self.worker = self.make()
        await self.worker.run()

    async def on_stop(self) -> None:
        """Let the consumer finish its batch and leave the group."""
        if self.worker is not None:
            self.worker.stopping.set()
