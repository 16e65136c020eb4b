"""True end offsets of topic partitions, read from a Fetch response's high-watermark.

Some Kafka-compatible brokers (the embedded Tansu broker among them) answer ListOffsets
LATEST with the base offset of the newest batch plus one; the Fetch high-watermark is
correct on those brokers and on Apache Kafka alike.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from kafka import KafkaConsumer, TopicPartition

_CLIENT_ID = "handoff-lag"
_REQUEST_TIMEOUT_MS = 5_000
# Only the high-watermark is wanted: let the broker answer at once rather than wait for
# data, and keep any record data that comes along small.
_FETCH_MIN_BYTES = 0
_FETCH_MAX_WAIT_MS = 100
_MAX_PARTITION_FETCH_BYTES = 1_024
_FETCH_MAX_BYTES = 1_048_576
# poll() returns early only for records, so keep slices short to notice empty partitions.
_POLL_SLICE_S = 0.02


def end_offsets(
    bootstrap: str,
    partitions: Iterable[tuple[str, int]],
    *,
    timeout_s: float = 10.0,
) -> dict[tuple[str, int], int]:
    """Return true end offsets, read from the Fetch high-watermark.

    Uses a group-less consumer that never commits. Raises ValueError for partitions
    that do not exist and TimeoutError naming the partitions whose high-watermark was
    not learned within ``timeout_s``.
    """
    wanted = sorted(set(partitions))
    if not wanted:
        return {}
    tps = [TopicPartition(topic, partition) for topic, partition in wanted]
    deadline = time.monotonic() + timeout_s
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id=_CLIENT_ID,
        group_id=None,
        enable_auto_commit=False,
        # Intent only: kafka-python 3.0.12 does not pass this on to its metadata
        # requests, hence the existence check before assign() below.
        allow_auto_create_topics=False,
        # Safety net if a broker rejects the start position: reset and fetch again.
        auto_offset_reset="earliest",
        fetch_min_bytes=_FETCH_MIN_BYTES,
        fetch_max_wait_ms=_FETCH_MAX_WAIT_MS,
        max_partition_fetch_bytes=_MAX_PARTITION_FETCH_BYTES,
        fetch_max_bytes=_FETCH_MAX_BYTES,
        # Records are discarded unread, so skip the pure-Python checksum over them.
        check_crcs=False,
        request_timeout_ms=_REQUEST_TIMEOUT_MS,
    )
    try:
        # Assigning a missing topic makes the client request its metadata with
        # auto-creation on, which recreates deleted topics on brokers that allow it.
        partition_ids = {topic: consumer.partitions_for_topic(topic) for topic, _ in wanted}
        unknown = [f"{t}[{p}]" for t, p in wanted if p not in partition_ids[t]]
        if unknown:
            raise ValueError(f"unknown topic partitions: {', '.join(unknown)}")
        consumer.assign(tps)
        # ListOffsets LATEST is never past the true end, even on brokers that get it
        # wrong, so it is a valid start that transfers no records on Apache Kafka and
        # at most the newest batch elsewhere; the answer itself is not trusted.
        consumer.seek_to_end(*tps)
        found: dict[tuple[str, int], int] = {}
        pending = tps
        while True:
            still_pending = []
            for tp in pending:
                highwater = consumer.highwater(tp)
                if highwater is None:
                    still_pending.append(tp)
                else:
                    found[(str(tp.topic), int(tp.partition))] = int(highwater)
                    # Stop fetching a partition once its high-watermark is known.
                    consumer.pause(tp)
            pending = still_pending
            if not pending:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                missing = ", ".join(f"{tp.topic}[{tp.partition}]" for tp in pending)
                raise TimeoutError(f"no high-watermark within {timeout_s:g}s for: {missing}")
            # One record per poll: the high-watermark is recorded when a fetched
            # partition is first read, so this learns it without decoding whole batches.
            consumer.poll(timeout_ms=int(min(remaining, _POLL_SLICE_S) * 1000) or 1, max_records=1)
    finally:
        consumer.close(autocommit=False)
