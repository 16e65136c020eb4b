"""Open leads per rep come from the sales queue store (what the capacity strategy caps)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from sinks.models import QueueItem
from sinks.store import create_schema, make_engine
from streams.desk.workload import Workload, load_open_counts
from streams.logic.assign import Ledger, choose_owner
from streams.logic.policy import QueueConfig, Rep

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def _row(i: int, owner: str | None, status: str) -> QueueItem:
    return QueueItem(
        handoff_id=f"h{i}",
        lead_id=f"l{i}",
        event_id=f"e{i}",
        queue="q",
        owner=owner,
        stage="SQL",
        score=80,
        status=status,
        submitted_at=NOW,
        queued_at=NOW,
        sla_due_at=NOW,
        updated_at=NOW,
        submissions=1,
        handoff={},
    )


def test_capacity_counts_open_rows_in_the_store(database_url: str) -> None:
    engine = make_engine(database_url)
    create_schema(engine)
    try:
        with Session(engine) as session, session.begin():
            session.add_all(
                [
                    _row(1, "ann", "open"),
                    _row(2, "ann", "claimed"),
                    _row(3, "ann", "closed"),
                    _row(4, "bob", "rejected"),
                    _row(5, None, "open"),
                ]
            )
    finally:
        engine.dispose()
    workload = Workload()
    workload.refresh(load_open_counts(database_url))
    assert workload.open_counts("q", ["ann", "bob"]) == {"ann": 2, "bob": 0}
    reps = {n: Rep(capacity=2) for n in ("ann", "bob")}
    queue = QueueConfig(reps=["ann", "bob"], strategy="capacity")
    choice = choose_owner(queue, reps, Ledger(), now=NOW, open_counts=workload.open_counts("q", queue.reps))
    assert choice.owner == "bob"
    workload.assigned("q", "bob")
    workload.assigned("q", "bob")
    held = workload.open_counts("q", queue.reps)
    assert choose_owner(queue, reps, Ledger(), now=NOW, open_counts=held).owner is None
