"""The fetch wait of a consumer: short while records flow, growing while it sees none."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from streams.core.settings import load_settings
from streams.kafka.fetch_wait import IdleWait


@pytest.mark.parametrize(
    ("quiet_s", "wait_ms"),
    [(0.0, 10), (0.99, 10), (1.0, 250), (10.9, 250), (11.0, 500), (21.0, 1000), (3600.0, 1000)],
)
def test_the_wait_doubles_while_quiet_up_to_the_idle_wait(quiet_s: float, wait_ms: int) -> None:
    assert IdleWait(10, 1000).wait_after(quiet_s) == wait_ms


def test_an_idle_wait_below_the_first_step_is_the_ceiling() -> None:
    assert IdleWait(10, 100).wait_after(60.0) == 100
    assert IdleWait(10, 0).wait_after(60.0) == 10  # no idle wait: always the busy one


def test_off_path_consumers_go_straight_to_their_wait() -> None:
    wait = IdleWait.off_path(load_settings(fetch_side_wait_ms=1500))
    assert (wait.busy_ms, wait.wait_after(0.5), wait.wait_after(1.0)) == (100, 100, 1500)


def test_the_first_record_brings_the_busy_wait_back(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    wait = IdleWait(10, 1000)
    consumer = SimpleNamespace(_fetcher=SimpleNamespace(_fetch_max_wait_ms=10))
    seen = []
    for step_s, records in [(0.5, 0), (1.0, 0), (10.0, 0), (10.0, 0), (0.1, 3), (0.5, 0)]:
        clock[0] += step_s
        wait.note(consumer, records)
        seen.append(consumer._fetcher._fetch_max_wait_ms)
    assert seen == [10, 250, 500, 1000, 10, 10]
