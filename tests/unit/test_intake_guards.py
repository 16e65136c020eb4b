"""Rate limiting and the event-id window of the HTTP intake, on a fake clock."""

from __future__ import annotations

import pytest

from streams.web.guard import RateLimiter, SeenWindow

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_says_how_long_to_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(rate_per_s=0.5, burst=3, clock=clock)
    assert [limiter.take("203.0.113.9") for _ in range(3)] == [0, 0, 0]
    wait = limiter.take("203.0.113.9")
    assert wait == pytest.approx(2.0)
    assert RateLimiter.retry_after(wait) == "2"
    assert limiter.take("198.51.100.1") == 0  # other clients have their own bucket


def test_bucket_refills_over_time_but_not_beyond_burst() -> None:
    clock = Clock()
    limiter = RateLimiter(rate_per_s=1.0, burst=2, clock=clock)
    limiter.take("a"), limiter.take("a")
    clock.now += 1.0
    assert limiter.take("a") == 0
    assert limiter.take("a") > 0
    clock.now += 3600
    assert [limiter.take("a") for _ in range(3)][:2] == [0, 0]


def test_pending_looks_without_spending() -> None:
    clock = Clock()
    limiter = RateLimiter(rate_per_s=1.0, burst=1, clock=clock)
    assert limiter.pending("a") == 0 and limiter.pending("a") == 0
    limiter.take("a")
    assert limiter.pending("a") == pytest.approx(1.0)
    clock.now += 1.0
    assert limiter.pending("a") == 0


def test_retry_after_is_at_least_one_second() -> None:
    assert RateLimiter.retry_after(0.01) == "1"
    assert RateLimiter.retry_after(2.2) == "3"


def test_forgetting_clients_keeps_memory_bounded() -> None:
    limiter = RateLimiter(rate_per_s=1.0, burst=1, max_clients=2, clock=Clock())
    for client in ("a", "b", "c"):
        limiter.take(client)
    assert len(limiter._buckets) == 2
    assert limiter.take("a") == 0  # forgotten, so it starts again with a full bucket


def test_seen_window_forgets_after_the_window() -> None:
    clock = Clock()
    seen = SeenWindow(window_s=60, clock=clock)
    seen.add("ev-1")
    clock.now += 30
    seen.add("ev-2")
    assert "ev-1" in seen and "ev-2" in seen
    clock.now += 31
    assert "ev-1" not in seen and "ev-2" in seen


def test_seen_window_is_bounded_and_can_be_disabled() -> None:
    seen = SeenWindow(window_s=60, max_items=2, clock=Clock())
    for event_id in ("a", "b", "c"):
        seen.add(event_id)
    assert "a" not in seen and "b" in seen and "c" in seen
    off = SeenWindow(window_s=0, clock=Clock())
    off.add("a")
    assert "a" not in off
