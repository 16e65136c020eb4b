"""The sales queue store on SQLite and PostgreSQL: idempotent, one open row per person."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from sqlalchemy import Engine, Table, func, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from schemas import HandoffEvent, SourcePosition
from sinks.models import HandoffRecord, HandoffRule, QueueItem
from sinks.queue import record_handoffs
from sinks.writer import SalesQueueSink
from streams.logic.pipeline import assign_owner, decide
from streams.logic.policy_file import load_policy

pytestmark = pytest.mark.integration

# The mapped class's table, typed as the Table it is.
sales_queue = cast(Table, QueueItem.__table__)
POLICY = load_policy()
NOW = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)


def handoff(
    event_id: str, email: str = "taro@acme.co.jp", form_id: str = "demo-request", **extra: object
) -> HandoffEvent:
    raw = json.dumps(
        {
            "event_id": event_id,
            "submitted_at": "2026-11-27T10:00:00+09:00",
            "form_id": form_id,
            "email": email,
            **extra,
        }
    ).encode()
    out = decide(raw, SourcePosition(topic="t", partition=0, offset=0), POLICY, NOW)
    assert isinstance(out, HandoffEvent)
    return assign_owner(out, POLICY, 0)


def write(engine: Engine, events: list[HandoffEvent]) -> tuple[int, int, int]:
    with Session(engine) as session, session.begin():
        r = record_handoffs(session=session, events=events, now=NOW)
    return r.queued, r.attached, r.duplicates


def rows(engine: Engine) -> list[QueueItem]:
    with Session(engine) as session:
        return list(session.scalars(select(QueueItem).order_by(QueueItem.queued_at)))


def test_replaying_the_same_handoffs_changes_nothing(engine: Engine) -> None:
    batch = [handoff("e1"), handoff("e2", email="hanako@beta.co.jp")]
    assert write(engine, batch) == (2, 0, 0)
    before = [(r.handoff_id, r.submissions, r.updated_at) for r in rows(engine)]
    assert write(engine, batch) == (0, 0, 2)
    assert write(engine, batch + batch) == (0, 0, 4)
    assert [(r.handoff_id, r.submissions, r.updated_at) for r in rows(engine)] == before


def test_a_second_submission_attaches_to_the_open_row(engine: Engine) -> None:
    first = handoff(
        "e1", form_id="whitepaper", job_title="部長", employees=300, activity={"pricing_page_views": 2}
    )
    second = handoff("e2", form_id="demo-request")
    assert write(engine, [first]) == (1, 0, 0)
    assert write(engine, [second]) == (0, 1, 0)
    (row,) = rows(engine)
    assert row.handoff_id == first.handoff_id and row.submissions == 2
    assert row.stage == "SQL"  # the newer, stronger signal upgrades the open row
    with Session(engine) as session:
        ledger = {r.event_id: r.queue_handoff_id for r in session.scalars(select(HandoffRecord))}
    assert ledger == {"e1": first.handoff_id, "e2": first.handoff_id}
    assert write(engine, [second]) == (0, 0, 1)  # and attaching is idempotent too
    assert rows(engine)[0].submissions == 2


def test_same_person_twice_in_one_batch_gives_one_row(engine: Engine) -> None:
    assert write(engine, [handoff("e1"), handoff("e2"), handoff("e3", email="other@beta.jp")]) == (2, 1, 0)
    assert sorted(r.submissions for r in rows(engine)) == [1, 2]


def test_a_closed_row_does_not_absorb_new_submissions(engine: Engine) -> None:
    write(engine, [handoff("e1")])
    with Session(engine) as session, session.begin():
        session.execute(sales_queue.update().values(status="rejected"))
    assert write(engine, [handoff("e2")]) == (1, 0, 0)
    assert sorted(r.status for r in rows(engine)) == ["open", "rejected"]


def test_the_store_refuses_two_open_rows_for_one_person(engine: Engine) -> None:
    write(engine, [handoff("e1")])
    clone = handoff("e9")
    with Session(engine) as session:
        session.add(
            QueueItem(
                handoff_id=clone.handoff_id,
                lead_id=clone.lead_id,
                event_id="e9",
                queue="x",
                owner=None,
                stage="SQL",
                score=1,
                status="claimed",
                email=None,
                full_name=None,
                company=None,
                country=None,
                submitted_at=NOW,
                queued_at=NOW,
                sla_due_at=NOW,
                updated_at=NOW,
                submissions=1,
                handoff={},
            )
        )
        with pytest.raises(IntegrityError):
            session.commit()


def test_row_carries_the_contract_columns(engine: Engine) -> None:
    event = handoff("e1", last_name="山田", first_name="太郎", country="日本", company="株式会社アクメ")
    write(engine, [event])
    (row,) = rows(engine)
    assert (row.queue, row.owner, row.stage, row.status) == ("inside-sales", event.owner, "SQL", "open")
    assert (row.email, row.full_name, row.company, row.country) == (
        "taro@acme.co.jp",
        "山田 太郎",
        "株式会社アクメ",
        "JP",
    )
    assert HandoffEvent.model_validate(row.handoff) == event
    assert row.sla_due_at - NOW <= timedelta(hours=24)


def test_writer_clears_its_buffer_even_when_the_write_fails(engine: Engine) -> None:
    sink: SalesQueueSink[HandoffEvent] = SalesQueueSink(engine, handoff_of=lambda e: e)
    sink.add(0, handoff("e1"))
    sink.add(1, handoff("e2", email="b@beta.jp"))
    assert sink.size == 2 and len(sink.flush()) == 2 and sink.size == 0
    engine.dispose()
    with Session(engine) as session, session.begin():
        sales_queue.drop(session.connection())
    sink.add(0, handoff("e3", email="c@gamma.jp"))
    with pytest.raises(Exception):  # noqa: B017 - any database error
        sink.flush()
    assert sink.size == 0  # the consumer rewinds to committed offsets and reads it again
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(HandoffRecord)) == 2


def test_a_value_longer_than_its_column_is_refused_or_kept_whole_never_cut_short(engine: Engine) -> None:
    long_queue = "q" * 150  # the column holds 100
    event = handoff("e1").model_copy(update={"queue": long_queue})
    try:
        write(engine, [event])
    except DBAPIError:
        stored = rows(engine)
        assert stored == []  # refused: the sink sets it aside as a poison handoff
    else:
        (row,) = rows(engine)  # SQLite does not enforce a length
        assert row.queue == long_queue


def test_a_batch_stores_each_event_as_the_document_it_is_and_its_rules(engine: Engine) -> None:
    events = [handoff(f"e{n}", email=f"p{n}@acme{n}.co.jp") for n in range(5)]
    assert write(engine, events) == (5, 0, 0)
    stored = {row.handoff_id: row for row in rows(engine)}
    with Session(engine) as session:
        rules = set(session.execute(select(HandoffRule.handoff_id, HandoffRule.rule)))
    for event in events:
        row = stored[event.handoff_id]
        assert row.handoff == event.model_dump(mode="json")
        assert (row.submitted_at, row.queued_at, row.updated_at) == (event.submitted_at, NOW, NOW)
    assert rules == {(e.handoff_id, reason.rule) for e in events for reason in e.reasons}
    with Session(engine) as session:  # times compare in SQL as the store's own type writes them
        same_time = select(func.count()).where(QueueItem.queued_at == NOW, QueueItem.sla_due_at >= NOW)
        assert session.scalar(same_time) == 5
        assert session.scalar(select(func.count()).where(HandoffRecord.received_at == NOW)) == 5
