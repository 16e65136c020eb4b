"""The pipeline benchmark's warm-up wait, on a store reused from an earlier run."""

from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime
from types import ModuleType

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from schemas import HandoffEvent, SourcePosition
from sinks.models import HandoffRecord, QueueItem
from sinks.queue import record_handoffs
from streams.logic.pipeline import assign_owner, decide
from streams.logic.policy_file import load_policy

pytestmark = pytest.mark.integration
POLICY = load_policy()
NOW = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)


def _bench() -> ModuleType:
    """The pipeline benchmark's store helpers."""
    return importlib.import_module("bench.pipeline_store")


def handoff(event_id: str) -> HandoffEvent:
    raw = json.dumps(
        {
            "event_id": event_id,
            "submitted_at": "2026-11-27T10:00:00+09:00",
            "form_id": "demo-request",
            "email": f"{event_id}@acme.co.jp",
        }
    ).encode()
    out = decide(raw, SourcePosition(topic="t", partition=0, offset=0), POLICY, NOW)
    assert isinstance(out, HandoffEvent)
    return assign_owner(out, POLICY, 0)


def write(engine: Engine, events: list[HandoffEvent]) -> None:
    with Session(engine) as session, session.begin():
        record_handoffs(session=session, events=events, now=NOW)


def test_warm_up_is_not_satisfied_by_an_earlier_runs_rows(engine: Engine, database_url: str) -> None:
    bench = _bench()
    write(engine, [handoff(f"earlier-{i}") for i in range(5)])
    warm = {"warm-1", "warm-2"}
    # Five rows of an earlier run outnumber the warm-up: a row count would pass already.
    with pytest.raises(TimeoutError, match="only 0 of 2 handoffs"):
        bench.wait_for_events(database_url, warm, timeout_s=0.2)
    write(engine, [handoff("warm-1")])
    with pytest.raises(TimeoutError, match="only 1 of 2 handoffs"):
        bench.wait_for_events(database_url, warm, timeout_s=0.2)
    write(engine, [handoff("warm-2")])
    bench.wait_for_events(database_url, warm, timeout_s=5)


def test_clear_store_leaves_only_what_comes_next(engine: Engine, database_url: str) -> None:
    bench = _bench()
    write(engine, [handoff(f"earlier-{i}") for i in range(3)])
    bench.clear_store(database_url)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(HandoffRecord)) == 0
        assert session.scalar(select(func.count()).select_from(QueueItem)) == 0
    write(engine, [handoff("next-1")])
    _, stall = bench.wait_for_count(database_url, 1, timeout_s=5)
    assert stall == 0
