"""Read a whole topic from the beginning to its current end, without a consumer group."""

from __future__ import annotations

import time

from kafka import KafkaConsumer, TopicPartition  # type: ignore[import-untyped,unused-ignore]

from schemas import SourcePosition
from schemas.errors import BrokerError, ConfigError
from streams.kafka.offsets import end_offsets


class NoSuchTopic(ConfigError, ValueError):
    """The topic asked for does not exist on the broker."""


class ReadTimedOut(BrokerError, TimeoutError):
    """The broker did not deliver a topic to its end in time."""


def read_topic(
    bootstrap: str,
    topic: str,
    *,
    timeout_s: float = 60.0,
) -> list[tuple[SourcePosition, bytes | None]]:
    """Return every record up to the high-watermark, partition by partition in offset order."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        client_id="handoff-replay",
        fetch_max_wait_ms=50,
    )
    try:
        partitions = sorted(consumer.partitions_for_topic(topic) or ())
        if not partitions:
            raise NoSuchTopic(f"no topic {topic!r} on {bootstrap}: check the name (HANDOFF_TOPIC_* settings)")
        ends = end_offsets(bootstrap, [(topic, p) for p in partitions])
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        out: dict[int, list[tuple[SourcePosition, bytes | None]]] = {p: [] for p in partitions}
        pending = {p for p in partitions if ends[(topic, p)] > 0}
        deadline = time.monotonic() + timeout_s
        while pending:
            if time.monotonic() > deadline:
                raise ReadTimedOut(
                    f"reading {topic} did not reach its end within {timeout_s:g} s; is the broker overloaded?"
                )
            for tp, records in consumer.poll(timeout_ms=200).items():
                end = ends[(topic, tp.partition)]
                for rec in records:
                    if rec.offset < end:
                        position = SourcePosition(topic=topic, partition=tp.partition, offset=rec.offset)
                        out[tp.partition].append((position, rec.value))
                if records and records[-1].offset + 1 >= end:
                    pending.discard(tp.partition)
                    consumer.pause(tp)
        return [item for p in partitions for item in out[p]]
    finally:
        consumer.close(autocommit=False)
