"""The batch writer under concurrency and odd input, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from schemas import Stage
from sinks.handoffs import ConcurrentWrite, RecordResult
from sinks.models import HandoffRecord, QueueItem
from sinks.queue import record_handoffs
from tests.sales_factory import T0, handoff

pytestmark = pytest.mark.integration


def test_two_writers_with_the_same_batch_store_it_once(engine: Engine) -> None:
    batch = [handoff(n) for n in range(60)] + [handoff(100 + n, lead_id=f"lead-{n:04d}") for n in range(10)]
    results: list[RecordResult] = []
    retries: list[str] = []
    barrier = threading.Barrier(2)

    def writer() -> None:
        barrier.wait(timeout=30)
        while True:  # what the sink does: a failed batch is retried from the committed offsets
            try:
                with Session(engine) as session, session.begin():
                    results.append(record_handoffs(session=session, events=batch, now=T0))
                return
            except (ConcurrentWrite, DBAPIError) as exc:
                retries.append(type(exc).__name__)

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted((r.queued, r.attached, r.duplicates) for r in results) == [(0, 0, 70), (60, 10, 0)]
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(QueueItem)) == 60
        assert session.scalar(select(func.sum(QueueItem.submissions))) == 70
        assert session.scalar(select(func.count()).select_from(HandoffRecord)) == 70


def test_a_batch_attaches_repeats_and_skips_reused_event_ids(engine: Engine) -> None:
    mql = handoff(1, stage=Stage.MQL, score=50)
    repeat_sql = handoff(2, lead_id="lead-0001", stage=Stage.SQL, score=85)
    same_event = handoff(3, event_id="e-0001")  # another handoff id for an event already taken
    with Session(engine) as session, session.begin():
        first = record_handoffs(session=session, events=[mql, repeat_sql, same_event, mql], now=T0)
    assert (first.queued, first.attached, first.duplicates) == (1, 1, 2)
    with Session(engine) as session, session.begin():
        again = record_handoffs(session=session, events=[same_event, repeat_sql], now=T0)
    assert (again.queued, again.attached, again.duplicates) == (0, 0, 2)
    with Session(engine) as session:
        row = session.get_one(QueueItem, "h-0001")
        assert (row.stage, row.score, row.submissions) == ("SQL", 85, 2)
        assert row.sla_due_at == min(mql.sla_due_at, repeat_sql.sla_due_at)
        assert session.get(QueueItem, "h-0003") is None
