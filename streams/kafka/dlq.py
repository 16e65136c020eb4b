"""Read dead letters back from the dead-letter topic and turn them into messages to replay."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from kafka import KafkaConsumer, TopicPartition
from pydantic import ValidationError

from schemas import DeadLetter
from streams.kafka.offsets import end_offsets

__all__ = ["StoredDeadLetter", "payload_bytes", "read_dead_letters"]


@dataclass(frozen=True)
class StoredDeadLetter:
    """A dead letter and where it sits in the dead-letter topic (its id is ``partition:offset``)."""

    partition: int
    offset: int
    letter: DeadLetter

    @property
    def id(self) -> str:
        """The id `handoff dlq show|replay` take."""
        return f"{self.partition}:{self.offset}"


def payload_bytes(letter: DeadLetter) -> bytes:
    """The original message exactly as it arrived."""
    if letter.payload_encoding == "base64":
        return base64.b64decode(letter.payload)
    return letter.payload.encode("utf-8")


def read_dead_letters(
    bootstrap: str,
    topic: str,
    *,
    since: datetime | None = None,
    error: str | None = None,
    timeout_s: float = 30.0,
) -> Iterator[StoredDeadLetter]:
    """Yield every dead letter up to the current end of the topic, oldest first per partition."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        client_id="handoff-dlq",
        fetch_max_wait_ms=50,
        auto_offset_reset="earliest",
    )
    try:
        partitions = sorted(consumer.partitions_for_topic(topic) or ())
        ends = end_offsets(bootstrap, [(topic, p) for p in partitions])
        wanted = [TopicPartition(topic, p) for p in partitions if ends[(topic, p)] > 0]
        if not wanted:
            return
        consumer.assign(wanted)
        consumer.seek_to_beginning(*wanted)
        remaining = {tp.partition: ends[(topic, tp.partition)] for tp in wanted}
        deadline = time.monotonic() + timeout_s
        while remaining and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=200).items():
                for record in records:
                    if record.offset >= remaining.get(tp.partition, 0):
                        continue
                    if record.offset + 1 >= remaining[tp.partition]:
                        remaining.pop(tp.partition)
                    stored = _parse(record.partition, record.offset, record.value)
                    if stored is None:
                        continue
                    if since is not None and stored.letter.failed_at < since:
                        continue
                    if error is not None and stored.letter.error.value != error:
                        continue
                    yield stored
        if remaining:
            raise TimeoutError(f"dead-letter topic {topic} not read to its end within {timeout_s:g} s")
    finally:
        consumer.close(autocommit=False)


def _parse(partition: int, offset: int, value: bytes | None) -> StoredDeadLetter | None:
    try:
        return StoredDeadLetter(partition, offset, DeadLetter.model_validate_json(value or b""))
    except ValidationError:
        return None  # not one of ours: the dead-letter topic is plain Kafka, anyone may write
