"""Writing handoffs into the sales queue: the sink's side of the store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from schemas import HandoffEvent, Stage
from sinks.models import OPEN_STATUSES, HandoffRecord, QueueItem
from sinks.transitions import as_utc


@dataclass
class RecordResult:
    """What a batch of handoffs did to the queue."""

    queued: int = 0
    attached: int = 0
    duplicates: int = 0


def _insert(session: Session):  # type: ignore[no-untyped-def]
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _row_from(event: HandoffEvent, now: datetime) -> QueueItem:
    return QueueItem(
        handoff_id=event.handoff_id, lead_id=event.lead_id, event_id=event.event_id,
        queue=event.queue, owner=event.owner, stage=event.stage.value, score=event.score,
        status="open", email=event.contact.email, full_name=event.contact.full_name or None,
        company=event.account.name, country=event.contact.country,
        submitted_at=as_utc(event.submitted_at), queued_at=now, sla_due_at=as_utc(event.sla_due_at),
        updated_at=now, submissions=1, handoff=event.model_dump(mode="json"),
    )


def record_handoffs(
    *, session: Session, events: Sequence[HandoffEvent], now: datetime
) -> RecordResult:
    """Apply handoffs idempotently: new people get a row, people with an open row get attached."""
    result = RecordResult()
    unique = list({e.handoff_id: e for e in events}.values())
    result.duplicates = len(events) - len(unique)
    seen = set(session.scalars(
        select(HandoffRecord.handoff_id).where(
            HandoffRecord.handoff_id.in_([e.handoff_id for e in unique]))
    ))
    fresh = [e for e in unique if e.handoff_id not in seen]
    result.duplicates += len(unique) - len(fresh)
    if not fresh:
        return result
    open_rows = {
        row.lead_id: row
        for row in session.scalars(
            select(QueueItem)
            .where(QueueItem.lead_id.in_({e.lead_id for e in fresh}),
                   QueueItem.status.in_(OPEN_STATUSES))
            .with_for_update()
        )
    }
    insert = _insert(session)
    for event in fresh:
        ledger = insert(HandoffRecord).values(
            handoff_id=event.handoff_id, event_id=event.event_id, lead_id=event.lead_id,
            queue_handoff_id=open_rows[event.lead_id].handoff_id
            if event.lead_id in open_rows else event.handoff_id,
            received_at=now,
        ).on_conflict_do_nothing()
        if session.execute(ledger).rowcount == 0:  # type: ignore[attr-defined]
            result.duplicates += 1  # same event_id under another handoff id
            continue
        row = open_rows.get(event.lead_id)
        if row is None:
            row = _row_from(event, now)
            session.add(row)
            session.flush()
            open_rows[event.lead_id] = row
            result.queued += 1
            continue
        row.submissions += 1
        row.updated_at = now
        if event.stage == Stage.SQL and row.stage != Stage.SQL.value:
            row.stage, row.sla_due_at = Stage.SQL.value, min(as_utc(row.sla_due_at), as_utc(event.sla_due_at))
        row.score = max(row.score, event.score)
        result.attached += 1
    return result


def count_by_queue(*, session: Session) -> list[tuple[str, str, str, int, int]]:
    """Return (queue, stage, status, rows, submissions) for a summary."""
    stmt = (
        select(QueueItem.queue, QueueItem.stage, QueueItem.status, func.count(),
               func.sum(QueueItem.submissions))
        .group_by(QueueItem.queue, QueueItem.stage, QueueItem.status)
        .order_by(QueueItem.queue, QueueItem.stage, QueueItem.status)
    )
    return [(q, s, st, int(n), int(m or 0)) for q, s, st, n, m in session.execute(stmt)]


def recorded_event_ids(*, session: Session, event_ids: Sequence[str]) -> set[str]:
    """Return which of these event ids the sink has applied."""
    found: set[str] = set()
    for start in range(0, len(event_ids), 500):
        chunk = event_ids[start:start + 500]
        found.update(session.scalars(
            select(HandoffRecord.event_id).where(HandoffRecord.event_id.in_(chunk))))
    return found

