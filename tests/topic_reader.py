"""Read a topic to its true end, so a test can prove what did and did not reach it."""

from __future__ import annotations

import time

from kafka import KafkaConsumer, TopicPartition

from streams.kafka.offsets import end_offsets


def read_topic(bootstrap: str, topic: str) -> list[tuple[bytes | None, bytes]]:
    """Every record of the topic up to its high-watermark."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=50
    )
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        ends = end_offsets(bootstrap, [(topic, tp.partition) for tp in tps])
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        out: list[tuple[bytes | None, bytes]] = []
        deadline = time.monotonic() + 20
        while any(consumer.position(tp) < ends[(topic, tp.partition)] for tp in tps):
            assert time.monotonic() < deadline, "topic not read to its end within 20 s"
            for records in consumer.poll(timeout_ms=100).values():
                out.extend((r.key, r.value) for r in records)
        return out
    finally:
        consumer.close()
