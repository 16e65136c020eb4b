"""What the benchmark reads from the store: rows, their times, and the longest pause between them."""

from __future__ import annotations

import time

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from sinks.models import HandoffRecord
from sinks.queue import recorded_event_ids
from sinks.store import make_engine


def clear_store(url: str) -> None:
    """Empty the ledger and the queue, so counting rows counts only what comes next."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM handoff_ledger"))
            conn.execute(text("DELETE FROM sales_queue"))
    finally:
        engine.dispose()


def wait_for_count(url: str, wanted: int, timeout_s: float = 600, quiet_s: float = 60) -> tuple[float, float]:
    """Block until ``wanted`` ledger rows exist; return (time seen, longest time without a new row).

    The caller empties the store first; the count is polled every 50 ms. The stall clock
    starts at the first row, so start-up of the burst is not counted as a stall. Gives up
    (TimeoutError) after ``timeout_s``, or once ``quiet_s`` pass without a new row.
    """
    engine = make_engine(url)
    deadline = time.monotonic() + timeout_s
    last, last_change, longest = 0, time.monotonic(), 0.0
    try:
        while time.monotonic() < deadline and time.monotonic() - last_change < quiet_s:
            with Session(engine) as session:
                count = session.scalar(text("SELECT count(*) FROM handoff_ledger")) or 0
            now = time.monotonic()
            if count != last:
                if last:
                    longest = max(longest, now - last_change)
                last, last_change = count, now
            if count >= wanted:
                return now, longest
            time.sleep(0.05)
        raise TimeoutError(f"only {last} of {wanted} handoffs reached the store")
    finally:
        engine.dispose()


def wait_for_events(url: str, wanted: set[str], timeout_s: float) -> float:
    """Block until these very handoffs are in the ledger; return the time they were seen."""
    engine = make_engine(url)
    deadline = time.monotonic() + timeout_s
    found: set[str] = set()
    try:
        while time.monotonic() < deadline:
            with Session(engine) as session:
                found = recorded_event_ids(session=session, event_ids=sorted(wanted))
            if found >= wanted:
                return time.monotonic()
            time.sleep(0.01)
        raise TimeoutError(f"only {len(found)} of {len(wanted)} handoffs reached the store")
    finally:
        engine.dispose()


def queued_times(url: str, wanted: set[str]) -> dict[str, float]:
    """The sink's ``received_at`` (epoch seconds) of each wanted handoff."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.execute(select(HandoffRecord.event_id, HandoffRecord.received_at)).all()
    finally:
        engine.dispose()
    return {event_id: received.timestamp() for event_id, received in rows if event_id in wanted}
