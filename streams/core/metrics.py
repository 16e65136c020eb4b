"""Prometheus metrics of the pipeline: outcomes, dead letters, speed to lead, sink batches."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client import Counter, Histogram

# The submitted record's Kafka timestamp (ms), carried through routing to the sink.
SUBMITTED_HEADER = "handoff-submitted-ms"

OUTCOMES = Counter(
    "handoff_outcomes_total",
    "Input messages by outcome and reason "
    "(queue for handoffs, disposition for nurture, error code for dead letters).",
    ["outcome", "reason"],
)
DEAD_LETTERS = Counter("handoff_dead_letters_total", "Dead letters by error code.", ["error"])
SUBMIT_TO_QUEUED = Histogram(
    "handoff_submit_to_queued_seconds",
    "From the Kafka timestamp of the leads.submitted record to the sink's commit of its handoff.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
SINK_BATCH = Histogram(
    "handoff_sink_batch_seconds",
    "Time to write one batch to the sales queue store.",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
SINK_ROWS = Counter("handoff_sink_handoffs_total", "Handoffs applied by the sink, by result.", ["result"])
SINK_FAILURES = Counter("handoff_sink_write_failures_total", "Batches the store refused (retried).")
INTAKE_REQUESTS = Counter(
    "handoff_intake_requests_total",
    "Lead intake requests by form (a configured form id, else 'unknown') and HTTP status.",
    ["form", "status"],
)
INTAKE_SECONDS = Histogram(
    "handoff_intake_request_seconds",
    "Time to answer a lead intake request, including Kafka's confirmation of an accepted lead.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

# The families each kind of process fills; a process shows only its own (see metrics_http).
STREAM_WORKER_FAMILIES = ("handoff_outcomes", "handoff_dead_letters")
SINK_FAMILIES = (
    "handoff_submit_to_queued_seconds",
    "handoff_sink_batch_seconds",
    "handoff_sink_handoffs",
    "handoff_sink_write_failures",
)
INTAKE_FAMILIES = ("handoff_intake_requests", "handoff_intake_request_seconds")


# Each label pair's child, looked up once: ``labels()`` costs more than the count itself,
# and intake counts every lead (queues, dispositions and error codes are few).
_OUTCOME_CHILDREN: dict[tuple[str, str], Any] = {}


def record_outcome(outcome: str, reason: str) -> None:
    """Count one input's outcome."""
    child = _OUTCOME_CHILDREN.get((outcome, reason))
    if child is None:
        child = _OUTCOME_CHILDREN[outcome, reason] = OUTCOMES.labels(outcome, reason)
    child.inc()
    if outcome == "dead_letter":
        DEAD_LETTERS.labels(reason).inc()


def submitted_stamp(headers: Iterable[tuple[str, bytes]] | Mapping[str, bytes] | None) -> bytes | None:
    """The submitted timestamp header as it was written, if present (pairs or a mapping)."""
    items = headers.items() if isinstance(headers, Mapping) else (headers or ())
    return next((value for key, value in items if key == SUBMITTED_HEADER), None)


def submitted_ms(headers: Iterable[tuple[str, bytes]] | None) -> int | None:
    """Read the submitted timestamp header, if present and sane."""
    value = submitted_stamp(headers)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


# Every configured sink (and its target) by name: delivered, retried, refused, dead_lettered.
TARGET_RECORDS = Counter(
    "handoff_target_sink_records_total", "Events each sink sent, retried, or saw refused.", ["sink", "result"]
)
