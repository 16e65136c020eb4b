"""Burrow-style lag statuses and the interpolated time lag, from samples alone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.lag.collect import PartitionLag
from streams.lag.status import Sample, Status, evaluate_group, evaluate_partition, time_lag
from streams.lag.window import LagWindows, failing, render_report_table, report_as_json

pytestmark = pytest.mark.unit


def window(*points: tuple[int | None, int], step: float = 1.0) -> list[Sample]:
    """Samples one ``step`` apart from (committed, end) pairs."""
    return [Sample(at=100.0 + i * step, committed=c, end=e) for i, (c, e) in enumerate(points)]


@pytest.mark.parametrize(
    ("points", "group_committed", "expected"),
    [
        # Caught up, whatever else happens.
        ([(10, 10), (10, 10), (10, 10)], False, Status.OK),
        ([(None, 0), (None, 0)], False, Status.OK),
        # Consuming and keeping up, lag bouncing around.
        ([(0, 50), (40, 90), (80, 100)], True, Status.OK),
        ([(0, 50), (20, 60), (50, 80)], True, Status.OK),
        # Consuming, but lag grows at every sample: falling behind.
        ([(0, 50), (10, 70), (20, 95)], True, Status.WARN),
        ([(0, 50), (10, 60), (20, 75)], True, Status.WARN),
        # Lag steady (not growing) is not a warning.
        ([(0, 50), (10, 60), (20, 70)], True, Status.OK),
        # Stuck with lag while the group commits elsewhere.
        ([(5, 50), (5, 60), (5, 70)], True, Status.STALL),
        ([(None, 3), (None, 3)], True, Status.STALL),
        # Stuck with lag and the group committed nothing at all.
        ([(5, 50), (5, 50), (5, 50)], False, Status.STOP),
        ([(None, 3), (None, 9)], False, Status.STOP),
        # Offset went back: a reset or a replay, whatever the lag.
        ([(50, 60), (10, 60), (60, 60)], True, Status.REWIND),
        ([(50, 60), (None, 60)], True, Status.REWIND),
        # Too few samples to judge.
        ([(5, 50)], False, Status.OK),
        ([], False, Status.OK),
    ],
)
def test_partition_status(
    points: list[tuple[int | None, int]], group_committed: bool, expected: Status
) -> None:
    assert evaluate_partition(window(*points), group_committed=group_committed) is expected


def test_group_tells_a_stuck_partition_from_a_stopped_group() -> None:
    moving = window((0, 100), (30, 130), (60, 160))
    stuck = window((7, 40), (7, 45), (7, 50))
    assert evaluate_group({("t", 0): moving, ("t", 1): stuck}) == {
        ("t", 0): Status.OK,
        ("t", 1): Status.STALL,
    }
    frozen = window((60, 160), (60, 160), (60, 170))
    assert evaluate_group({("t", 0): frozen, ("t", 1): stuck}) == {
        ("t", 0): Status.STOP,
        ("t", 1): Status.STOP,
    }
    idle = window((60, 60), (60, 60), (60, 60))
    assert evaluate_group({("t", 0): idle}) == {("t", 0): Status.OK}


def test_time_lag_is_zero_without_lag() -> None:
    assert time_lag(window((10, 10), (20, 20))) == 0.0


def test_time_lag_interpolates_between_sampled_end_offsets() -> None:
    # End offset 100 at t=100, 200 at t=101, 300 at t=102: offset 150 appeared at t=100.5.
    samples = window((0, 100), (50, 200), (150, 300))
    assert time_lag(samples) == pytest.approx(1.5)


def test_time_lag_extrapolates_backwards_at_the_window_rate() -> None:
    # 100 records/s over the window; offset 50 is 50 records before the first sample.
    samples = window((40, 100), (45, 200), (50, 300))
    assert time_lag(samples) == pytest.approx(2.5)


def test_time_lag_of_a_quiet_topic_is_the_window_age() -> None:
    samples = window((5, 50), (5, 50), (5, 50), step=2.0)
    assert time_lag(samples) == pytest.approx(4.0)
    assert time_lag(window((5, 50))) is None
    assert time_lag([]) is None


def test_time_lag_when_the_commit_lies_inside_a_flat_stretch() -> None:
    # End moved 10 -> 20 between the first two samples, then stopped; offset 20 existed at t=101.
    samples = window((10, 10), (20, 20), (20, 25), (20, 25))
    assert time_lag(samples) == pytest.approx(2.0)


@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 5_000)), min_size=1, max_size=12))
def test_time_lag_is_never_negative_nor_beyond_reason(steps: list[tuple[int, int]]) -> None:
    end, committed, samples = 0, 0, []
    for i, (produced, consumed) in enumerate(steps):
        end += produced
        committed = min(end, committed + consumed)
        samples.append(Sample(at=float(i), committed=committed, end=end))
    estimate = time_lag(samples)
    assert estimate is None or estimate >= 0.0
    if samples[-1].lag == 0:
        assert estimate == 0.0
    status = evaluate_partition(samples, group_committed=True)
    assert status is not Status.REWIND  # committed never goes back here


def _row(group: str, partition: int, committed: int | None, end: int) -> PartitionLag:
    return PartitionLag(group, "leads", partition, committed, end, end - (committed or 0))


def test_windows_slide_and_report_the_worst_status_per_group() -> None:
    windows = LagWindows(size=3)
    for i in range(5):
        windows.add([_row("g", 0, 10 * i, 10 * i + 5), _row("g", 1, 2, 9), _row("h", 0, 4, 4)], at=float(i))
    reports = windows.report()
    assert [(r.group, r.partition, r.status) for r in reports] == [
        ("g", 0, Status.OK),
        ("g", 1, Status.STALL),
        ("h", 0, Status.OK),
    ]
    assert failing(reports)
    assert reports[0].committed == 40 and reports[0].lag == 5
    # The old samples slid out of the window: only t=2..4 count.
    assert reports[1].time_lag_s == pytest.approx(2.0)
    table = [line.split() for line in render_report_table(reports).splitlines()]
    assert table[0] == ["GROUP", "TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "TIME-LAG-S", "STATUS"]
    assert table[3] == ["g", "TOTAL", "12", "2.0", "STALL"]
    assert report_as_json(reports)[1]["status"] == "STALL"
    assert not failing(LagWindows().report())
    with pytest.raises(ValueError):
        LagWindows(0)
