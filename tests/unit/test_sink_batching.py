"""How the sink loop forms a batch: a caught-up sink writes at once, a busy one takes what is buffered."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from sinks.contract import DELIVERED, Answer, Item, TargetSink
from streams.consumers.sink_items import Record
from streams.consumers.sink_loop import LoopSpec, SinkLoop
from streams.core.settings import load_settings
from tests.sales_factory import handoff

pytestmark = pytest.mark.unit
TOPIC = "leads.handoff"


def record(offset: int) -> Record:
    value = handoff(offset).model_dump_json().encode()
    return ConsumerRecord(TOPIC, 0, offset, 0, 0, None, value, None, 0, len(value), [])


class Buffered:
    """A consumer whose fetches return the given chunks, one per poll, then nothing."""

    def __init__(self, *chunks: list[Record]) -> None:
        self.chunks = list(chunks)
        self.timeouts: list[int] = []

    async def getmany(
        self, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[Record]]:
        self.timeouts.append(timeout_ms)
        if not self.chunks:
            await asyncio.sleep(timeout_ms / 1000)
            return {}
        chunk = self.chunks.pop(0)
        taken, rest = chunk[:max_records], chunk[max_records:]
        if rest:
            self.chunks.insert(0, rest)
        return {TopicPartition(TOPIC, 0): taken}


class Taker(TargetSink):
    batch_limit = 10

    async def send(self, items: list[Item]) -> list[Answer]:
        return [DELIVERED] * len(items)


async def loop_over(consumer: Buffered, within_s: float) -> SinkLoop:
    settings = load_settings(kafka_bootstrap_servers="127.0.0.1:9", topic_handoff=TOPIC)
    loop = SinkLoop(settings, LoopSpec("q", "g", ["handoff"], None, within_s), Taker(), asyncio.Event())
    await loop.consumer.stop()  # never started: the stand-in answers the polls
    loop.consumer = consumer
    return loop


async def test_a_caught_up_sink_writes_what_arrived_without_waiting_for_a_fuller_batch() -> None:
    consumer = Buffered([record(1), record(2), record(3)])
    loop = await loop_over(consumer, within_s=5.0)
    started = time.monotonic()
    batch = await loop._poll()
    assert [r.offset for r in batch] == [1, 2, 3]
    assert time.monotonic() - started < 1.0  # not the 5 s the batch may take at most
    assert consumer.timeouts[1:] == [0]  # it only asked for what was already fetched


async def test_a_busy_sink_takes_what_is_buffered_up_to_its_limit() -> None:
    consumer = Buffered(
        [record(1), record(2)], [record(n) for n in range(3, 9)], [record(n) for n in range(9, 15)]
    )
    loop = await loop_over(consumer, within_s=5.0)
    first = await loop._poll()
    assert [r.offset for r in first] == list(range(1, 11))  # three fetches, cut at the limit of 10
    second = await loop._poll()
    assert [r.offset for r in second] == [11, 12, 13, 14]
