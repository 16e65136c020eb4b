"""Keep a sliding window of lag samples per group/topic/partition and report statuses from it."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from streams.lag.collect import PartitionLag
from streams.lag.status import FAILING, Sample, Status, evaluate_group, time_lag

__all__ = ["LagReport", "LagWindows", "render_report_table", "report_as_json"]


@dataclass(frozen=True)
class LagReport:
    """Lag of one group on one partition with its status over the window."""

    group: str
    topic: str
    partition: int
    committed: int | None
    end: int
    lag: int
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
    if not reports:
        return "no committed consumer-group offsets"
    header = ("GROUP", "TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "TIME-LAG-S", "STATUS")
    lines: list[tuple[str, ...]] = [header]
    order = list(Status)
    for index, row in enumerate(reports):
        committed = "-" if row.committed is None else str(row.committed)
        lines.append(
            (
                row.group,
                row.topic,
                str(row.partition),
                committed,
                str(row.end),
                str(row.lag),
                _seconds(row.time_lag_s),
                row.status.value,
            )
        )
        if index + 1 == len(reports) or reports[index + 1].group != row.group:
            mine = [r for r in reports if r.group == row.group]
            times = [r.time_lag_s for r in mine if r.time_lag_s is not None]
            worst = max((r.status for r in mine), key=order.index)
            lines.append(
                (
                    row.group,
                    "TOTAL",
                    "",
                    "",
                    "",
                    str(sum(r.lag for r in mine)),
                    _seconds(max(times) if times else None),
                    worst.value,
                )
            )
    widths = [max(len(line[col]) for line in lines) for col in range(len(header))]
    numeric = (False, False, True, True, True, True, True, False)
    return "\n".join(
        "  ".join(
            cell.rjust(w) if num else cell.ljust(w)
            for cell, w, num in zip(line, widths, numeric, strict=True)
        ).rstrip()
        for line in lines
    )
