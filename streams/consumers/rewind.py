"""Shared by the consumers that write (to the database, or to other topics) and commit by hand."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
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
    offsets = {tp: OffsetAndMetadata(rs[-1].offset + 1, "") for tp, rs in batch.items()}
    try:
        await consumer.commit(offsets)
    except KafkaError as exc:
        log.warning("%s commit failed after the write (redelivery is harmless): %s", what, exc)


async def consume_batches(
    consumer: AIOKafkaConsumer,
    poll: Callable[[], Awaitable[Mapping[TopicPartition, Sequence[Any]]]],
    handle: Callable[[Any], Awaitable[bool]],
    *,
    wait: IdleWait,
    stopping: asyncio.Event,
    max_backoff_s: float,
) -> None:
    """Poll and handle batches until ``stopping`` is set; back off while ``handle`` says retry."""
    delay = 0.1
    while not stopping.is_set():
        batch = await poll()
        wait.note(consumer, len(batch))
        if not batch:
            continue
        if await handle(batch):
            delay = 0.1
        else:
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_backoff_s)
