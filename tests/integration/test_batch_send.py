"""Batches produced one record batch per partition: keys land where a plain send puts them, in order."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from streams.kafka.batch_send import BatchSender, Output, batch_producer
from tests.conftest import Kafka

pytestmark = pytest.mark.integration


async def test_records_keep_their_partition_order_and_headers(
    kafka: Kafka, unique: Callable[[str], str]
) -> None:
    topic = kafka.create_topic(unique("batch-send"), 4)
    keys = [f"queue-{i % 7}".encode() for i in range(300)]
    outputs: list[Output] = [
        (topic, key, f"v{i}".encode(), [("h", str(i).encode())]) for i, key in enumerate(keys)
    ]
    outputs += [(topic, None, f"keyless{i}".encode(), []) for i in range(8)]

    producer = batch_producer(kafka.bootstrap, "test-batch-send")
    plain = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka.bootstrap, auto_offset_reset="earliest")
    await producer.start()
    await plain.start()
    try:
        await BatchSender(producer).send_all(outputs)
        # Where the ordinary per-record send puts each key: the same partitioner.
        expected: dict[bytes, int] = {}
        for key in set(keys):
            expected[key] = (await plain.send_and_wait(topic, b"x", key=key)).partition
        await consumer.start()
        seen: list[tuple[int, bytes | None, bytes, list[tuple[str, bytes]]]] = []
        while len([r for r in seen if r[2] != b"x"]) < len(outputs):
            for records in (await consumer.getmany(timeout_ms=500)).values():
                seen.extend((r.partition, r.key, r.value or b"", list(r.headers)) for r in records)
    finally:
        await consumer.stop()
        await plain.stop()
        await producer.stop()

    ours = [r for r in seen if r[2] != b"x"]
    assert all(partition == expected[key] for partition, key, _, _ in ours if key is not None)
    for part in range(4):
        values = [int(v[1:]) for p, k, v, _ in ours if p == part and k is not None]
        assert values == sorted(values)  # in the order given, within each partition
    headers = {v: h for _, _, v, h in ours}
    assert headers[b"v42"] == [("h", b"42")]
    keyless = {p for p, k, _, _ in ours if k is None}
    assert len(keyless) > 1  # keyless records are spread, not all on one partition
