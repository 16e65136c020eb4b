"""Consumer-group lag: committed offsets against true end offsets.

End offsets come from the high-watermark of a Fetch response rather than from
ListOffsets, because some Kafka-compatible brokers (the embedded Tansu broker among
them) answer ListOffsets LATEST with the base offset of the newest batch plus one.
The Fetch high-watermark is correct on those brokers and on Apache Kafka alike.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kafka import KafkaAdminClient

from streams.kafka.offsets import end_offsets
from streams.lag.table import render_grouped

__all__ = [
    "PartitionLag",
    "collect_lag",
    "lag_as_json",
    "render_lag_table",
]

_CLIENT_ID = "handoff-lag"
_REQUEST_TIMEOUT_MS = 5_000


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
    return render_grouped(
        sorted(rows, key=lambda r: (r.group, r.topic, r.partition)),
        header=("GROUP", "TOPIC", "PARTITION", "COMMITTED", "END", "LAG"),
        numeric=(False, False, True, True, True, True),
        cells=lambda r: (r.group, r.topic, str(r.partition), _committed(r.committed), str(r.end), str(r.lag)),
        total=lambda group, mine: (group, "TOTAL", "", "", "", str(sum(r.lag for r in mine))),
    )


def _committed(offset: int | None) -> str:
    return "-" if offset is None else str(offset)


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
