"""Prometheus metrics of the workers, plus lag gauges named as kafka-lag-exporter names them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from prometheus_client import Counter, Gauge, Histogram

from streams.runtime.lag_status import Status
from streams.runtime.lag_window import LagReport

# The submitted record's Kafka timestamp (ms), carried through routing to the sink.
SUBMITTED_HEADER = "handoff-submitted-ms"

OUTCOMES = Counter(
    "handoff_outcomes_total", "Input messages by outcome and reason "
    "(queue for handoffs, disposition for nurture, error code for dead letters).",
    ["outcome", "reason"])
DEAD_LETTERS = Counter("handoff_dead_letters_total", "Dead letters by error code.", ["error"])
SUBMIT_TO_QUEUED = Histogram(
    "handoff_submit_to_queued_seconds",
    "From the Kafka timestamp of the leads.submitted record to the sink's commit of its handoff.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300))
SINK_BATCH = Histogram(
    "handoff_sink_batch_seconds", "Time to write one batch to the sales queue store.",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
SINK_ROWS = Counter("handoff_sink_handoffs_total", "Handoffs applied by the sink, by result.", ["result"])
SINK_FAILURES = Counter("handoff_sink_write_failures_total", "Batches the store refused (retried).")

_LAG_LABELS = ["group", "topic", "partition"]
GROUP_LAG = Gauge("kafka_consumergroup_group_lag", "Group offset lag of a partition.", _LAG_LABELS)
GROUP_LAG_SECONDS = Gauge("kafka_consumergroup_group_lag_seconds",
                          "Estimated time lag of a partition (interpolated).", _LAG_LABELS)
GROUP_OFFSET = Gauge("kafka_consumergroup_group_offset", "Last committed group offset.", _LAG_LABELS)
LATEST_OFFSET = Gauge("kafka_partition_latest_offset", "Latest offset of a partition.",
                      ["topic", "partition"])
GROUP_MAX_LAG = Gauge("kafka_consumergroup_group_max_lag", "Max group offset lag.", ["group"])
GROUP_MAX_LAG_SECONDS = Gauge("kafka_consumergroup_group_max_lag_seconds", "Max group time lag.", ["group"])
GROUP_SUM_LAG = Gauge("kafka_consumergroup_group_sum_lag", "Sum of group offset lag.", ["group"])
GROUP_STATUS = Gauge("handoff_consumergroup_status",
                     "1 for the current Burrow-style status of a partition.", [*_LAG_LABELS, "status"])


def record_outcome(outcome: str, reason: str) -> None:
    """Count one input's outcome."""
    OUTCOMES.labels(outcome, reason).inc()
    if outcome == "dead_letter":
        DEAD_LETTERS.labels(reason).inc()


def submitted_ms(headers: Iterable[tuple[str, bytes]] | None) -> int | None:
    """Read the submitted timestamp header, if present and sane."""
    for key, value in headers or ():
        if key == SUBMITTED_HEADER:
            try:
                return int(value)
            except ValueError:
                return None
    return None


def publish_lag(reports: Sequence[LagReport]) -> None:
    """Set the lag gauges from ``LagReport`` rows (see ``streams.runtime.lag_window``)."""
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
