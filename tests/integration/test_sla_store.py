"""SLA breaches on real databases: each missed deadline acts exactly once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from schemas import FeedbackAction
from sinks.models import QueueItem, SlaBreachRecord
from sinks.queue import act, record_handoffs
from streams.agents.sla import SlaChecker
from streams.logic.sla import SlaPolicy
from tests.sales_factory import T0, handoff

pytestmark = pytest.mark.integration

ROSTERS = {"enterprise": ["sato", "suzuki", "emily"], "inside-sales": ["tanaka", "mei"]}
POLICY = SlaPolicy.model_validate(
    {
        "default": {"action": "reassign", "extend_hours": 1},
        "queues": {"enterprise": {"action": "escalate", "to_queue": "inside-sales", "extend_hours": 2}},
    }
)


def _row(engine: Engine, hid: str) -> QueueItem:
    with Session(engine, expire_on_commit=False) as session:
        return session.get_one(QueueItem, hid)


def _breaches(engine: Engine) -> list[tuple[str, str, str | None, str | None, int]]:
    with Session(engine) as session:
        rows = session.scalars(select(SlaBreachRecord).order_by(SlaBreachRecord.id))
        return [(r.handoff_id, r.action, r.from_owner, r.to_owner, r.breach) for r in rows]


def test_a_breach_reassigns_exactly_once_under_concurrent_checks(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        record_handoffs(
            session=session,
            now=T0,
            events=[
                handoff(1, owner="sato", queue="enterprise"),
                handoff(2, owner="tanaka"),
                handoff(120, owner="mei"),
            ],
        )  # due in two hours: not breached yet
    checker = SlaChecker(engine, POLICY, ROSTERS)
    now = T0 + timedelta(minutes=30)
    counts: list[int] = []
    barrier = threading.Barrier(6)

    def run() -> None:
        barrier.wait(timeout=30)
        counts.append(checker.check(now))

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(counts) == 2
    assert sorted(_breaches(engine)) == [
        ("h-0001", "escalate", "sato", None, 1),
        ("h-0002", "reassign", "tanaka", "mei", 1),
    ]
    escalated, reassigned = _row(engine, "h-0001"), _row(engine, "h-0002")
    assert (escalated.queue, escalated.owner, escalated.status) == ("inside-sales", None, "open")
    assert (reassigned.queue, reassigned.owner, reassigned.breaches) == ("inside-sales", "mei", 1)
    # Checking again at the same moment, or a little later, does nothing more.
    assert checker.check(now) == 0
    assert checker.check(now + timedelta(minutes=20)) == 0
    assert _row(engine, "h-0120").owner == "mei"


def test_a_missed_new_deadline_is_a_new_breach_and_acting_in_time_is_none(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        record_handoffs(
            session=session, now=T0, events=[handoff(1, owner="tanaka"), handoff(2, owner="tanaka")]
        )
        act(session=session, handoff_id="h-0002", action=FeedbackAction.ACCEPTED, by="tanaka", now=T0)
    checker = SlaChecker(engine, POLICY, ROSTERS)
    assert checker.check(T0 + timedelta(minutes=5)) == 1
    # The new owner also misses the extended deadline: the lead moves on again, once.
    later = T0 + timedelta(hours=2)
    assert checker.check(later) == 1
    assert checker.check(later) == 0
    assert [b[1:] for b in _breaches(engine)] == [
        ("reassign", "tanaka", "mei", 1),
        ("reassign", "mei", "tanaka", 2),
    ]
    # The third missed deadline reaches max_breaches (3): notify only, and only once.
    assert checker.check(later + timedelta(hours=2)) == 1
    assert checker.check(later + timedelta(hours=3)) == 0
    assert _breaches(engine)[-1][1:] == ("notify", "tanaka", "tanaka", 3)
    with Session(engine) as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(SlaBreachRecord)
                .where(SlaBreachRecord.handoff_id == "h-0002")
            )
            == 0
        )
