"""The benchmark's Kafka side: sending leads, and the raw aiokafka passthrough (the ceiling)."""

from __future__ import annotations

import asyncio
import time
import uuid

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from kafka import KafkaConsumer
from kafka import TopicPartition as SyncPartition

from streams.client import key_of
from streams.core.settings import load_settings
from streams.kafka.envelopes import events_in
from streams.kafka.offsets import end_offsets
from streams.kafka.topics import ensure_topics


async def produce(
    bootstrap: str,
    topic: str,
    messages: list[bytes],
    rate: float | None = None,
) -> dict[str, float]:
    """Send messages (as fast as possible, or paced at ``rate``/s); return event_id -> send time."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2)
    await producer.start()
    sent: dict[str, float] = {}
    start = time.monotonic()
    try:
        futures = []
        for index, message in enumerate(messages):
            if rate:
                delay = start + index / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            key = key_of(message)
            sent[key.decode() if key else f"#{index}"] = time.time()
            futures.append(await producer.send(topic, message, key=key))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return sent


async def passthrough(bootstrap: str, messages: list[bytes]) -> float:
    """The ceiling: consume, parse and produce the same messages with raw aiokafka."""
    source, sink = f"bench-pt-{uuid.uuid4().hex[:8]}", f"bench-pt-out-{uuid.uuid4().hex[:8]}"
    settings = load_settings(kafka_bootstrap_servers=bootstrap)
    ensure_topics(settings, [source, sink])
    await produce(bootstrap, source, messages)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        fetch_max_wait_ms=10,
        max_partition_fetch_bytes=4 << 20,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2)
    await consumer.start()
    await producer.start()
    try:
        tps = [TopicPartition(source, p) for p in range(settings.kafka.partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        start, seen, futures = time.monotonic(), 0, []
        while seen < len(messages):
            for records in (await consumer.getmany(timeout_ms=100, max_records=5000)).values():
                for record in records:
                    try:
                        doc = orjson.loads(record.value)
                    except orjson.JSONDecodeError:
                        doc = None
                    futures.append(await producer.send(sink, orjson.dumps(doc), key=record.key))
                    seen += 1
        await asyncio.gather(*futures)
        return len(messages) / (time.monotonic() - start)
    finally:
        await consumer.stop()
        await producer.stop()


def record_times(bootstrap: str, topic: str, wanted: set[str], timeout_s: float = 60) -> dict[str, float]:
    """The Kafka timestamp (epoch seconds) of each wanted event's first record on a topic.

    The producer stamps a record when it is handed to the client, so the difference between
    two topics' stamps is the time a stage took, including its fetch wait.
    """
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=50
    )
    try:
        tps = [SyncPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        ends = end_offsets(bootstrap, [(topic, tp.partition) for tp in tps])
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        found: dict[str, float] = {}
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < ends[(topic, tp.partition)] for tp in tps):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic} not read to its end within {timeout_s:g} s")
            for records in consumer.poll(timeout_ms=100, max_records=5000).values():
                for record in records:
                    for value in events_in(record.value):  # several to a record on the routing topics
                        event_id = orjson.loads(value).get("event_id")
                        if event_id in wanted and event_id not in found:
                            found[event_id] = record.timestamp / 1000
        return found
    finally:
        consumer.close()
