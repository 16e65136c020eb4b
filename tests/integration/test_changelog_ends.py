"""The routing stage's table recovery learns a changelog's true end, even where ListOffsets is short."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, cast

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from yarl import URL

from streams.kafka.batch_send import BatchSender, batch_producer
from streams.kafka.faust_transport import _ConsumerThread
from tests.conftest import Kafka

pytestmark = pytest.mark.integration


def consumer_thread(bootstrap: str, consumer: AIOKafkaConsumer) -> Any:
    """Faust's consumer thread of the routing stage, around a started consumer (no app needed)."""
    thread = cast(Any, object.__new__(_ConsumerThread))
    thread._consumer = consumer
    thread.consumer = SimpleNamespace(in_transaction=False)
    thread.transport = SimpleNamespace(url=[URL(f"kafka://{bootstrap}")], default_port=9092)
    return thread


async def test_changelog_ends_come_from_a_fetch_not_from_list_offsets(
    kafka: Kafka, unique: Callable[[str], str]
) -> None:
    topic = kafka.create_topic(unique("assignments-changelog"), 2)
    producer = batch_producer(kafka.bootstrap, "test-changelog-ends")
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap)
    await producer.start()
    await consumer.start()
    try:
        sender = BatchSender(producer)
        # Two multi-record batches on partition 0 (as a table's writes of one routed batch
        # go out), nothing on partition 1.
        for round_ in range(2):
            await sender.send_all([(topic, b"queue-a", f"{round_}-{i}".encode(), []) for i in range(5)])
        parts = [TopicPartition(topic, 0), TopicPartition(topic, 1)]
        written = next(p for p in parts if p.partition == sender._partition([0, 1], b"queue-a"))
        listed = await consumer.end_offsets(parts)
        ends = await consumer_thread(kafka.bootstrap, consumer)._highwaters(parts)
    finally:
        await consumer.stop()
        await producer.stop()

    assert ends[written] == 10
    assert ends[next(p for p in parts if p != written)] == 0
    # Never below what ListOffsets said (on this broker it says the newest batch's base + 1).
    assert all(ends[p] >= (listed[p] or 0) for p in parts)
