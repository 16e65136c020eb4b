"""Keep a sliding window of lag samples per group/topic/partition and report statuses from it."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from streams.lag.collect import PartitionLag
from streams.lag.status import FAILING, Sample, Status, evaluate_group, time_lag
from streams.lag.table import render_grouped

__all__ = ["LagReport", "LagWindows", "render_report_table", "report_as_json"]


@dataclass(frozen=True)
class LagReport(PartitionLag):
    """Lag of one group on one partition with its status over the window."""

    status: Status
    time_lag_s: float | None


class LagWindows:
    """The last ``size`` samples of every partition of every group seen."""

    def __init__(self, size: int = 10) -> None:
        if size < 1:
            raise ValueError("a window holds at least one sample")
        self.size = size
        self._windows: dict[str, dict[tuple[str, int], deque[Sample]]] = defaultdict(dict)

    def add(self, rows: Iterable[PartitionLag], at: float) -> None:
        """Record one look at the cluster taken at ``at`` (seconds, wall clock)."""
        for row in rows:
            windows = self._windows[row.group]
            window = windows.setdefault((row.topic, row.partition), deque(maxlen=self.size))
            window.append(Sample(at=at, committed=row.committed, end=row.end))

    def report(self) -> list[LagReport]:
        """Judge every partition from its window; sorted by group, topic, partition."""
        out: list[LagReport] = []
        for group, windows in self._windows.items():
            frozen = {tp: list(window) for tp, window in windows.items()}
            statuses = evaluate_group(frozen)
            for (topic, partition), window in frozen.items():
                newest = window[-1]
                out.append(
                    LagReport(
                        group=group,
                        topic=topic,
                        partition=partition,
                        committed=newest.committed,
                        end=newest.end,
                        lag=newest.lag,
                        status=statuses[(topic, partition)],
                        time_lag_s=time_lag(window),
                    )
                )
        out.sort(key=lambda r: (r.group, r.topic, r.partition))
        return out


def failing(reports: Sequence[LagReport]) -> bool:
    """True when any partition is STALL or STOP."""
    return any(r.status in FAILING for r in reports)


def report_as_json(reports: Sequence[LagReport]) -> list[dict[str, object]]:
    """JSON-ready dicts (status as its name, time lag rounded to ms)."""
    out = []
    for report in reports:
        doc = asdict(report)
        doc["status"] = report.status.value
        doc["time_lag_s"] = None if report.time_lag_s is None else round(report.time_lag_s, 3)
        out.append(doc)
    return out


def _seconds(value: float | None) -> str:
    return "?" if value is None else f"{value:.1f}"


def render_report_table(reports: Sequence[LagReport]) -> str:
    """An aligned table with a line per group giving total lag, max time lag and worst status."""
    order = list(Status)

    def total(group: str, mine: list[LagReport]) -> tuple[str, ...]:
        times = [r.time_lag_s for r in mine if r.time_lag_s is not None]
        worst = max((r.status for r in mine), key=order.index)
        lag = str(sum(r.lag for r in mine))
        return (group, "TOTAL", "", "", "", lag, _seconds(max(times) if times else None), worst.value)

    return render_grouped(
        reports,
        header=("GROUP", "TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "TIME-LAG-S", "STATUS"),
        numeric=(False, False, True, True, True, True, True, False),
        cells=lambda r: (
            r.group,
            r.topic,
            str(r.partition),
            "-" if r.committed is None else str(r.committed),
            str(r.end),
            str(r.lag),
            _seconds(r.time_lag_s),
            r.status.value,
        ),
        total=total,
    )
