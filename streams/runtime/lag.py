"""Consumer-group lag: committed offsets against true end offsets.

End offsets come from the high-watermark of a Fetch response rather than from
ListOffsets, because some Kafka-compatible brokers (the embedded Tansu broker among
them) answer ListOffsets LATEST with the base offset of the newest batch plus one.
The Fetch high-watermark is correct on those brokers and on Apache Kafka alike.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

__all__ = [
    "PartitionLag",
    "collect_lag",
    "end_offsets",
    "lag_as_json",
    "render_lag_table",
]

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


@dataclass(frozen=True)
class PartitionLag:
    """Lag of one consumer group on one topic partition.

    ``committed`` is None when the group has no commit for the partition (it has
    commits for other partitions of the same topic); ``lag`` then equals ``end``,
    i.e. every record in the partition counts as outstanding.
    """

    group: str
    topic: str
    partition: int
    committed: int | None
    end: int
    lag: int


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


def collect_lag(
    bootstrap: str,
    *,
    groups: Sequence[str] | None = None,
    timeout_s: float = 10.0,
) -> list[PartitionLag]:
    """Return committed vs end offset per group/topic/partition (all groups when None).

    For each topic a group has committed on, every partition of that topic is
    reported. Groups without commits, and topics that no longer exist, yield no
    rows. Rows are sorted by group, topic, partition; ``timeout_s`` bounds the wait for
    high-watermarks.
    """
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id=_CLIENT_ID,
        request_timeout_ms=_REQUEST_TIMEOUT_MS,
        bootstrap_timeout_ms=int(timeout_s * 1000),
    )
    try:
        group_ids = sorted(set(groups)) if groups is not None else _list_group_ids(admin)
        committed = {group: _committed_offsets(admin, group) for group in group_ids}
        topics = sorted({topic for offsets in committed.values() for topic, _ in offsets})
        partition_ids = _partition_ids(admin, topics)
    finally:
        admin.close()

    wanted: dict[str, list[tuple[str, int]]] = {}
    for group, offsets in committed.items():
        group_topics = sorted({topic for topic, _ in offsets if topic in partition_ids})
        wanted[group] = [(t, p) for t in group_topics for p in partition_ids[t]]
    # Committed offsets are read before end offsets: the high-watermark only grows and
    # a commit never passes it, so lag cannot come out negative from this race.
    ends = end_offsets(
        bootstrap,
        {tp for tps in wanted.values() for tp in tps},
        timeout_s=timeout_s,
    )
    rows: list[PartitionLag] = []
    for group, tps in wanted.items():
        for topic, partition in tps:
            done = committed[group].get((topic, partition))
            end = ends[(topic, partition)]
            rows.append(
                PartitionLag(
                    group=group,
                    topic=topic,
                    partition=partition,
                    committed=done,
                    end=end,
                    lag=end - (done if done is not None else 0),
                )
            )
    rows.sort(key=lambda r: (r.group, r.topic, r.partition))
    return rows


def lag_as_json(rows: Sequence[PartitionLag]) -> list[dict[str, object]]:
    """Return the rows as JSON-ready dicts; ``committed`` is None without a commit."""
    return [dataclasses.asdict(row) for row in rows]


def render_lag_table(rows: Sequence[PartitionLag]) -> str:
    """Render an aligned plain-text table with a line totalling the lag of each group."""
    header = ("GROUP", "TOPIC", "PARTITION", "COMMITTED", "END", "LAG")
    if not rows:
        return "no committed consumer-group offsets"
    lines: list[tuple[str, ...]] = [header]
    ordered = sorted(rows, key=lambda r: (r.group, r.topic, r.partition))
    for index, row in enumerate(ordered):
        committed = "-" if row.committed is None else str(row.committed)
        lines.append(
            (row.group, row.topic, str(row.partition), committed, str(row.end), str(row.lag))
        )
        if index + 1 == len(ordered) or ordered[index + 1].group != row.group:
            total = sum(r.lag for r in ordered if r.group == row.group)
            lines.append((row.group, "TOTAL", "", "", "", str(total)))
    widths = [max(len(line[col]) for line in lines) for col in range(len(header))]
    # Names read best left-aligned, numbers right-aligned.
    numeric = (False, False, True, True, True, True)
    out = []
    for line in lines:
        cells = [
            cell.rjust(width) if is_num else cell.ljust(width)
            for cell, width, is_num in zip(line, widths, numeric, strict=True)
        ]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


def _list_group_ids(admin: Any) -> list[str]:
    """Return the ids of all consumer groups the cluster knows, sorted."""
    return sorted({str(group["group_id"]) for group in admin.list_groups()})


def _committed_offsets(admin: Any, group: str) -> dict[tuple[str, int], int]:
    """Return the group's committed offsets, leaving out partitions without a commit."""
    offsets = admin.list_group_offsets(group).get(group, {})
    result: dict[tuple[str, int], int] = {}
    for tp, meta in offsets.items():
        # Brokers report "no commit" for a requested partition as offset -1.
        if meta is not None and int(meta.offset) >= 0:
            result[(str(tp.topic), int(tp.partition))] = int(meta.offset)
    return result


def _partition_ids(admin: Any, topics: Sequence[str]) -> dict[str, list[int]]:
    """Return sorted partition ids per topic, omitting topics that do not exist."""
    if not topics:
        return {}
    result: dict[str, list[int]] = {}
    for topic in admin.describe_topics(list(topics)):
        if int(topic["error_code"]) != 0 or not topic["partitions"]:
            continue
        result[str(topic["name"])] = sorted(int(p["partition_index"]) for p in topic["partitions"])
    return result
