"""Writing handoffs into the sales queue: the sink's side of the store.

A batch costs a fixed handful of statements whatever its size: look up what is
already recorded, lock the open rows of the people in the batch, then one
multi-row INSERT for the ledger, one for the new queue rows, and an UPDATE only
for open rows that gained a submission.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Table, func, insert, or_, select
from sqlalchemy.orm import Session

from schemas import HandoffEvent, Stage
from schemas.errors import StoreError
from sinks.feedback import insert_or_ignore
from sinks.models import OPEN_STATUSES, HandoffRecord, HandoffRule, QueueItem
from sinks.transitions import as_utc

T = TypeVar("T")
_CHUNK = 500  # bound parameters per IN list stay far below SQLite's limit


@dataclass
class RecordResult:
    """What a batch of handoffs did to the queue."""

    queued: int = 0
    attached: int = 0
    duplicates: int = 0


class ConcurrentWrite(StoreError):
    """Another writer recorded some of these handoffs meanwhile; retry the batch."""


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _new_row(event: HandoffEvent, now: datetime) -> dict[str, Any]:
    return {
        "handoff_id": event.handoff_id,
        "lead_id": event.lead_id,
        "event_id": event.event_id,
        "queue": event.queue,
        "owner": event.owner,
        "stage": event.stage.value,
        "score": event.score,
        "status": "open",
        "email": event.contact.email,
        "full_name": event.contact.full_name or None,
        "company": event.account.name,
        "country": event.contact.country,
        "submitted_at": as_utc(event.submitted_at),
        "queued_at": now,
        "sla_due_at": as_utc(event.sla_due_at),
        "updated_at": now,
        "submissions": 1,
        "handoff": event.model_dump(mode="json"),
        "breaches": 0,
        "form_id": event.source.form_id,
        "utm_source": event.source.utm.source,
        "utm_campaign": event.source.utm.campaign,
    }


def _attach(row: Any, event: HandoffEvent, now: datetime) -> None:
    """A repeat submission of a person with an open row: count it, upgrade stage and deadline."""
    row["submissions"] += 1
    row["updated_at"] = now
    if event.stage == Stage.SQL and row["stage"] != Stage.SQL.value:
        row["stage"] = Stage.SQL.value
        row["sla_due_at"] = min(as_utc(row["sla_due_at"]), as_utc(event.sla_due_at))
    row["score"] = max(row["score"], event.score)


def _fresh(session: Session, events: Sequence[HandoffEvent], result: RecordResult) -> list[HandoffEvent]:
    """Events not recorded yet, one per handoff id and per event id."""
    unique: list[HandoffEvent] = []
    handoff_ids: set[str] = set()
    event_ids: set[str] = set()
    for event in events:  # the first of each handoff id and event id, in arrival order
        if event.handoff_id not in handoff_ids and event.event_id not in event_ids:
            handoff_ids.add(event.handoff_id)
            event_ids.add(event.event_id)
            unique.append(event)
    seen_ids: set[str] = set()
    seen_events: set[str] = set()
    for chunk in _chunks(unique):
        for handoff_id, event_id in session.execute(
            select(HandoffRecord.handoff_id, HandoffRecord.event_id).where(
                or_(
                    HandoffRecord.handoff_id.in_([e.handoff_id for e in chunk]),
                    HandoffRecord.event_id.in_([e.event_id for e in chunk]),
                )
            )
        ):
            seen_ids.add(handoff_id)
            seen_events.add(event_id)
    fresh = [e for e in unique if e.handoff_id not in seen_ids and e.event_id not in seen_events]
    result.duplicates += len(events) - len(fresh)
    return fresh


def record_handoffs(*, session: Session, events: Sequence[HandoffEvent], now: datetime) -> RecordResult:
    """Apply handoffs idempotently: new people get a row, people with an open row get attached."""
    result = RecordResult()
    fresh = _fresh(session, events, result)
    if not fresh:
        return result
    leads = sorted({e.lead_id for e in fresh})
    open_rows: dict[str, QueueItem] = {}
    for chunk in _chunks(leads):
        open_rows.update(
            (row.lead_id, row)
            for row in session.scalars(
                select(QueueItem)
                .where(QueueItem.lead_id.in_(chunk), QueueItem.status.in_(OPEN_STATUSES))
                .with_for_update()
            )
        )
    existing = {
        lead: {c: getattr(row, c) for c in ("submissions", "updated_at", "stage", "sla_due_at", "score")}
        for lead, row in open_rows.items()
    }
    new_rows: dict[str, dict[str, Any]] = {}
    ledger: list[dict[str, Any]] = []
    for event in fresh:
        target = existing.get(event.lead_id) or new_rows.get(event.lead_id)
        if target is None:
            target = new_rows[event.lead_id] = _new_row(event, now)
            result.queued += 1
        else:
            _attach(target, event, now)
            result.attached += 1
        ledger.append(
            {
                "handoff_id": event.handoff_id,
                "event_id": event.event_id,
                "lead_id": event.lead_id,
                "received_at": now,
                "queue_handoff_id": open_rows[event.lead_id].handoff_id
                if event.lead_id in open_rows
                else new_rows[event.lead_id]["handoff_id"],
            }
        )
    # executemany form: compiled once, sent as multi-row INSERTs by the driver layer.
    conn = session.connection()
    written = set(
        conn.execute(
            insert_or_ignore(session)(HandoffRecord.__table__)
            .on_conflict_do_nothing()
            .returning(HandoffRecord.handoff_id),
            ledger,
        ).scalars()
    )
    if len(written) != len(ledger):
        raise ConcurrentWrite(f"{len(ledger) - len(written)} handoffs were recorded by another writer")
    if new_rows:
        conn.execute(insert(cast(Table, QueueItem.__table__)), list(new_rows.values()))
        rules = [
            {"handoff_id": row["handoff_id"], "rule": rule}
            for row in new_rows.values()
            for rule in sorted({reason["rule"] for reason in row["handoff"]["reasons"]})
        ]
        if rules:
            conn.execute(insert(cast(Table, HandoffRule.__table__)), rules)
    for lead, values in existing.items():
        row = open_rows[lead]
        if values["submissions"] != row.submissions:
            for column, value in values.items():
                setattr(row, column, value)
    session.flush()
    return result


def count_by_queue(*, session: Session) -> list[tuple[str, str, str, int, int]]:
    """Return (queue, stage, status, rows, submissions) for a summary."""
    stmt = (
        select(
            QueueItem.queue, QueueItem.stage, QueueItem.status, func.count(), func.sum(QueueItem.submissions)
        )
        .group_by(QueueItem.queue, QueueItem.stage, QueueItem.status)
        .order_by(QueueItem.queue, QueueItem.stage, QueueItem.status)
    )
    return [(q, s, st, int(n), int(m or 0)) for q, s, st, n, m in session.execute(stmt)]


def recorded_event_ids(*, session: Session, event_ids: Sequence[str]) -> set[str]:
    """Return which of these event ids the sink has applied."""
    found: set[str] = set()
    for chunk in _chunks(event_ids):
        found.update(session.scalars(select(HandoffRecord.event_id).where(HandoffRecord.event_id.in_(chunk))))
    return found
