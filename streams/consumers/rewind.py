"""Shared by the consumers that write (to the database, or to other topics) and commit by hand."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import OffsetAndMetadata

from streams.kafka.fetch_wait import IdleWait

log = logging.getLogger(__name__)


async def rewind_to_committed(consumer: AIOKafkaConsumer) -> None:
    """Seek every assigned partition back to its committed offset, so nothing unwritten is skipped."""
    for tp in consumer.assignment():
        committed = await consumer.committed(tp)
        if committed is None:
            await consumer.seek_to_beginning(tp)
        else:
            consumer.seek(tp, committed)


async def commit_written(
    consumer: AIOKafkaConsumer, batch: Mapping[TopicPartition, Sequence[Any]], what: str
) -> None:
    """Commit past a batch whose effects are already written; a failed commit only means redelivery."""
    await _commit(consumer, {tp: OffsetAndMetadata(rs[-1].offset + 1, "") for tp, rs in batch.items()}, what)


async def _commit(
    consumer: AIOKafkaConsumer, offsets: Mapping[TopicPartition, OffsetAndMetadata], what: str
) -> None:
    try:
        await consumer.commit(dict(offsets))
    except KafkaError as exc:
        log.warning("%s commit failed after the write (redelivery is harmless): %s", what, exc)


class Commits(ConsumerRebalanceListener):  # type: ignore[misc]
    """Offsets past written batches, committed at most every ``every_s`` seconds.

    A commit after every batch is a broker round trip a batch, and while leads trickle in
    most batches hold one or two: at 500 leads/s the workers made 140-190 commits a second
    (nearly half of the sink's requests), each awaited before the next batch. Offsets only ever move past
    batches whose effects are written, so a crash between two commits redelivers at most
    ``every_s`` of batches, which the writes absorb (they are idempotent). A rebalance
    commits what is written before the partitions go (this is the consumer's rebalance
    listener), and so does ``commit()`` when the consumer stops or rewinds. ``every_s`` 0
    commits after every batch.
    """

    def __init__(self, consumer: AIOKafkaConsumer, what: str, every_s: float) -> None:
        self.consumer, self.what, self.every_s = consumer, what, every_s
        self.pending: dict[TopicPartition, int] = {}
        self._last = time.monotonic()

    def written(self, records: Iterable[Any]) -> None:
        """Note records (of any partitions) whose effects are written."""
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            self.pending[tp] = max(self.pending.get(tp, 0), record.offset + 1)

    async def commit_due(self) -> None:
        """Commit what is written if the interval has passed since the last commit."""
        if self.pending and time.monotonic() - self._last >= self.every_s:
            await self.commit()

    async def commit(self, partitions: Iterable[TopicPartition] | None = None) -> None:
        """Commit what is written now (of ``partitions``, or all); a failure only means redelivery."""
        chosen = self.pending if partitions is None else set(partitions)
        assigned = self.consumer.assignment()
        offsets = {tp: OffsetAndMetadata(self.pending[tp], "") for tp in chosen if tp in self.pending}
        for tp in offsets:
            del self.pending[tp]
        offsets = {tp: o for tp, o in offsets.items() if tp in assigned}
        self._last = time.monotonic()
        if offsets:
            await _commit(self.consumer, offsets, self.what)

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        """Commit what is written of the partitions this member gives up."""
        await self.commit(revoked)

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        """Nothing to do: a new partition starts from its committed offset."""


async def consume_batches(
    consumer: AIOKafkaConsumer,
    poll: Callable[[], Awaitable[Mapping[TopicPartition, Sequence[Any]]]],
    handle: Callable[[Any], Awaitable[bool]],
    *,
    wait: IdleWait,
    stopping: asyncio.Event,
    max_backoff_s: float,
    commits: Commits | None = None,
) -> None:
    """Poll and handle batches until ``stopping`` is set; back off while ``handle`` says retry.

    With ``commits``, what ``handle`` noted as written is committed when due (also after
    an empty poll, so a quiet consumer commits its last batches within the interval).
    """
    delay = 0.1
    while not stopping.is_set():
        if commits is not None:
            await commits.commit_due()
        batch = await poll()
        wait.note(consumer, len(batch))
        if not batch:
            continue
        if await handle(batch):
            delay = 0.1
        else:
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_backoff_s)
