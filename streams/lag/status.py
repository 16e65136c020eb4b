"""Burrow-style consumer status over a sliding window of lag samples (pure: samples in, statuses out).

A *sample* is what one look at the cluster shows for one partition: when, the group's
committed offset and the partition's end offset. Over the window of the last samples:

- ``REWIND``: the committed offset went back between two samples (a reset or a replay).
- ``STOP``: lag > 0 and the group committed nothing anywhere during the window: its
  consumers are gone or hung.
- ``STALL``: lag > 0 and this partition's committed offset did not move while the group
  committed progress elsewhere: a consumer is alive but stuck on this partition.
- ``WARN``: the committed offset moves, but lag grew over the window and never shrank:
  the consumers are falling behind.
- ``OK``: otherwise, including no lag at all and windows too short to judge (< 2 samples).

Kafka's OffsetFetch does not say *when* a group committed, so "no commits" is read as
"no committed offset of the group changed", which is what at-least-once consumers that
commit only after progress (ours) look like. A group with a single partition that is
stuck therefore shows as ``STOP``, not ``STALL``.

The time lag is estimated the way kafka-lag-exporter does it: the sampled end offsets
and their sample times form a table of "offset X existed at time T"; the time at which
the committed offset was produced is interpolated from it, and the time lag is the
newest sample's time minus that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Sample", "Status", "evaluate_group", "evaluate_partition", "time_lag"]


class Status(StrEnum):
    """Health of one partition of a consumer group, worst last."""

    OK = "OK"
    WARN = "WARN"
    REWIND = "REWIND"
    STALL = "STALL"
    STOP = "STOP"


# Statuses that mean "a lead is not moving": `handoff lag` exits 2 on these.
FAILING = frozenset({Status.STALL, Status.STOP})


@dataclass(frozen=True)
class Sample:
    """One observation of one partition: time (s), committed offset (None: none yet), end offset."""

    at: float
    committed: int | None
    end: int

    @property
    def lag(self) -> int:
        """Records not yet consumed at this sample."""
        return max(0, self.end - (self.committed or 0))


def _moved(window: Sequence[Sample]) -> bool:
    """True when the committed offset changed anywhere in the window."""
    return len({s.committed for s in window}) > 1


def evaluate_partition(window: Sequence[Sample], *, group_committed: bool) -> Status:
    """Judge one partition from its samples, oldest first.

    ``group_committed`` says whether any partition of the same group moved its committed
    offset during the window.
    """
    if len(window) < 2:
        return Status.OK
    for older, newer in zip(window, window[1:], strict=False):
        if older.committed is not None and (newer.committed is None or newer.committed < older.committed):
            return Status.REWIND
    if window[-1].lag == 0:
        return Status.OK
    if not _moved(window):
        return Status.STALL if group_committed else Status.STOP
    lags = [s.lag for s in window]
    growing = all(b >= a for a, b in zip(lags, lags[1:], strict=False)) and lags[-1] > lags[0]
    return Status.WARN if growing else Status.OK


def evaluate_group(windows: Mapping[tuple[str, int], Sequence[Sample]]) -> dict[tuple[str, int], Status]:
    """Judge every (topic, partition) of one group from its windows of samples."""
    group_committed = any(_moved(window) for window in windows.values())
    return {tp: evaluate_partition(window, group_committed=group_committed) for tp, window in windows.items()}


def time_lag(window: Sequence[Sample]) -> float | None:
    """Estimate how old (s) the next unconsumed record is at the newest sample.

    0 without lag; None when no sample shows lag but the newest does and nothing can be
    said (a single sample). When the committed offset is older than every sampled end
    offset, the rate over the window extrapolates backwards; when the end offset never
    moved, the age of the oldest sample is the best lower bound.
    """
    if not window:
        return None
    newest = window[-1]
    if newest.lag == 0:
        return 0.0
    target = newest.committed or 0
    points = [(s.end, s.at) for s in window]
    # The first sample at which the end offset had reached the target, bracketed by the one before.
    for (end_a, at_a), (end_b, at_b) in zip(points, points[1:], strict=False):
        if end_a <= target <= end_b and end_b > end_a:
            produced = at_a + (target - end_a) * (at_b - at_a) / (end_b - end_a)
            return max(0.0, newest.at - produced)
    first_end, first_at = points[0]
    if target >= first_end:
        # Between samples that did not move: it existed by the first of them.
        return max(0.0, newest.at - first_at)
    last_end, last_at = points[-1]
    if len(points) < 2 or last_end == first_end or last_at == first_at:
        return None if len(points) < 2 else max(0.0, newest.at - first_at)
    rate = (last_end - first_end) / (last_at - first_at)
    produced = first_at - (first_end - target) / rate
    return max(0.0, newest.at - produced)
