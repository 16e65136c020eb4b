"""Lag gauges, named as kafka-lag-exporter names them, set from lag reports."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import Gauge

from streams.lag.status import Status
from streams.lag.window import LagReport

_LAG_LABELS = ["group", "topic", "partition"]
GROUP_LAG = Gauge("kafka_consumergroup_group_lag", "Group offset lag of a partition.", _LAG_LABELS)
GROUP_LAG_SECONDS = Gauge(
    "kafka_consumergroup_group_lag_seconds", "Estimated time lag of a partition (interpolated).", _LAG_LABELS
)
GROUP_OFFSET = Gauge("kafka_consumergroup_group_offset", "Last committed group offset.", _LAG_LABELS)
LATEST_OFFSET = Gauge(
    "kafka_partition_latest_offset", "Latest offset of a partition.", ["topic", "partition"]
)
GROUP_MAX_LAG = Gauge("kafka_consumergroup_group_max_lag", "Max group offset lag.", ["group"])
GROUP_MAX_LAG_SECONDS = Gauge("kafka_consumergroup_group_max_lag_seconds", "Max group time lag.", ["group"])
GROUP_SUM_LAG = Gauge("kafka_consumergroup_group_sum_lag", "Sum of group offset lag.", ["group"])
GROUP_STATUS = Gauge(
    "handoff_consumergroup_status",
    "1 for the current Burrow-style status of a partition.",
    [*_LAG_LABELS, "status"],
)
LAG_FAMILIES = tuple(
    g._name  # noqa: SLF001 - the family name prometheus_client derived
    for g in (
        GROUP_LAG,
        GROUP_LAG_SECONDS,
        GROUP_OFFSET,
        LATEST_OFFSET,
        GROUP_MAX_LAG,
        GROUP_MAX_LAG_SECONDS,
        GROUP_SUM_LAG,
        GROUP_STATUS,
    )
)


def publish_lag(reports: Sequence[LagReport]) -> None:
    """Set the lag gauges from ``LagReport`` rows (see ``streams.lag.window``)."""
    groups: dict[str, list[LagReport]] = {}
    for r in reports:
        labels = (r.group, r.topic, str(r.partition))
        GROUP_LAG.labels(*labels).set(r.lag)
        if r.time_lag_s is not None:
            GROUP_LAG_SECONDS.labels(*labels).set(r.time_lag_s)
        if r.committed is not None:
            GROUP_OFFSET.labels(*labels).set(r.committed)
        LATEST_OFFSET.labels(r.topic, str(r.partition)).set(r.end)
        for status in Status:
            GROUP_STATUS.labels(*labels, status.value).set(1 if r.status is status else 0)
        groups.setdefault(r.group, []).append(r)
    for group, rows in groups.items():
        GROUP_MAX_LAG.labels(group).set(max(r.lag for r in rows))
        GROUP_SUM_LAG.labels(group).set(sum(r.lag for r in rows))
        times = [r.time_lag_s for r in rows if r.time_lag_s is not None]
        GROUP_MAX_LAG_SECONDS.labels(group).set(max(times) if times else 0)
