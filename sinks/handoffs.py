"""Writing handoffs into the sales queue: the sink's side of the store.

A batch costs a fixed handful of statements whatever its size: look up what is
already recorded, lock the open rows of the people in the batch, then one
executemany INSERT for the ledger, one for the new queue rows and one for their
rules, and an UPDATE only for open rows that gained a submission. Everything runs
on the session's connection with SQLAlchemy Core statements built once per dialect
(so the compiled form is cached), never loading ORM objects.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, TypeVar, cast

from sqlalchemy import JSON, Dialect, Table, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable
from sqlalchemy.types import TypeDecorator

from schemas import HandoffEvent, Stage
from schemas.errors import StoreError
from sinks.models import OPEN_STATUSES, HandoffRecord, HandoffRule, QueueItem
from sinks.transitions import as_utc

T = TypeVar("T")
_CHUNK = 500  # bound parameters per IN list stay far below SQLite's limit
_QUEUE = cast(Table, QueueItem.__table__)
_LEDGER = cast(Table, HandoffRecord.__table__)
_RULES = cast(Table, HandoffRule.__table__)
# What an attached submission may change on the open row it joins.
_ATTACHED = ("submissions", "updated_at", "stage", "sla_due_at", "score")


@dataclass
class RecordResult:
    """What a batch of handoffs did to the queue."""

    queued: int = 0
    attached: int = 0
    duplicates: int = 0


class ConcurrentWrite(StoreError):
    """Another writer recorded some of these handoffs meanwhile; retry the batch."""


class _SerialisedJSON(TypeDecorator[str]):
    """A JSON column bound from a document already serialised (the event's own JSON text)."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None


@dataclass(frozen=True)
class _Statements:
    seen: Executable
    open_rows: Executable
    ledger: Executable
    queue: Executable
    rules: Executable
    attach: Executable


@cache
def _statements(dialect: str) -> _Statements:
    """The batch's statements for one dialect, built once so their compiled form is reused."""
    ins = pg_insert if dialect == "postgresql" else sqlite_insert
    ledger = _LEDGER.c
    queue = _QUEUE.c
    return _Statements(
        seen=select(ledger.handoff_id, ledger.event_id).where(
            or_(
                ledger.handoff_id.in_(bindparam("handoff_ids", expanding=True)),
                ledger.event_id.in_(bindparam("event_ids", expanding=True)),
            )
        ),
        open_rows=select(queue.lead_id, queue.handoff_id, *(queue[c] for c in _ATTACHED))
        .where(queue.lead_id.in_(bindparam("leads", expanding=True)), queue.status.in_(OPEN_STATUSES))
        .with_for_update(),
        ledger=ins(_LEDGER).on_conflict_do_nothing().returning(ledger.handoff_id),
        queue=insert(_QUEUE).values(handoff=bindparam("handoff_json", type_=_SerialisedJSON())),
        rules=insert(_RULES),
        attach=update(_QUEUE)
        .where(queue.handoff_id == bindparam("row_id"))
        .values({c: bindparam(f"new_{c}") for c in _ATTACHED}),
    )


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _new_row(event: HandoffEvent, now: datetime) -> dict[str, Any]:
    account, contact, source = event.account, event.contact, event.source
    return {
        "handoff_id": event.handoff_id,
        "lead_id": event.lead_id,
        "event_id": event.event_id,
        "queue": event.queue,
        "owner": event.owner,
        "stage": event.stage.value,
        "score": event.score,
        "status": "open",
        "email": contact.email,
        "full_name": contact.full_name or None,
        "company": account.name,
        "country": contact.country,
        "submitted_at": as_utc(event.submitted_at),
        "queued_at": now,
        "sla_due_at": as_utc(event.sla_due_at),
        "updated_at": now,
        "submissions": 1,
        # The model's own JSON, as published: one serialisation instead of a dict and json.dumps.
        "handoff_json": event.model_dump_json(),
        "breaches": 0,
        "form_id": source.form_id,
        "utm_source": source.utm.source,
        "utm_campaign": source.utm.campaign,
    }


def _attach(row: dict[str, Any], event: HandoffEvent, now: datetime) -> None:
    """A repeat submission of a person with an open row: count it, upgrade stage and deadline."""
    row["submissions"] += 1
    row["updated_at"] = now
    if event.stage == Stage.SQL and row["stage"] != Stage.SQL.value:
        row["stage"] = Stage.SQL.value
        row["sla_due_at"] = min(as_utc(row["sla_due_at"]), as_utc(event.sla_due_at))
    row["score"] = max(row["score"], event.score)


def _fresh(
    session: Session, sql: _Statements, events: Sequence[HandoffEvent], result: RecordResult
) -> list[HandoffEvent]:
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
    conn = session.connection()
    for chunk in _chunks(unique):
        params = {"handoff_ids": [e.handoff_id for e in chunk], "event_ids": [e.event_id for e in chunk]}
        for handoff_id, event_id in conn.execute(sql.seen, params):
            seen_ids.add(handoff_id)
            seen_events.add(event_id)
    if not seen_ids:
        fresh = unique
    else:
        fresh = [e for e in unique if e.handoff_id not in seen_ids and e.event_id not in seen_events]
    result.duplicates += len(events) - len(fresh)
    return fresh


def record_handoffs(*, session: Session, events: Sequence[HandoffEvent], now: datetime) -> RecordResult:
    """Apply handoffs idempotently: new people get a row, people with an open row get attached."""
    result = RecordResult()
    sql = _statements(session.get_bind().dialect.name)
    fresh = _fresh(session, sql, events, result)
    if not fresh:
        return result
    conn = session.connection()
    # Sorted, so two writers lock the open rows of the same people in the same order.
    leads = sorted({e.lead_id for e in fresh})
    existing: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(leads):
        for row in conn.execute(sql.open_rows, {"leads": list(chunk)}).mappings():
            existing[row["lead_id"]] = dict(row)
    before = {lead: row["submissions"] for lead, row in existing.items()}
    new_rows: dict[str, dict[str, Any]] = {}
    first_of: dict[str, HandoffEvent] = {}  # the event each new row was made from
    ledger: list[dict[str, Any]] = []
    for event in fresh:
        lead = event.lead_id
        target = existing.get(lead) or new_rows.get(lead)
        if target is None:
            target = new_rows[lead] = _new_row(event, now)
            first_of[lead] = event
            result.queued += 1
        else:
            _attach(target, event, now)
            result.attached += 1
        ledger.append(
            {
                "handoff_id": event.handoff_id,
                "event_id": event.event_id,
                "lead_id": lead,
                "received_at": now,
                "queue_handoff_id": target["handoff_id"],
            }
        )
    written = set(conn.execute(sql.ledger, ledger).scalars())
    if len(written) != len(ledger):
        raise ConcurrentWrite(f"{len(ledger) - len(written)} handoffs were recorded by another writer")
    if new_rows:
        conn.execute(sql.queue, list(new_rows.values()))
        rules = [
            {"handoff_id": event.handoff_id, "rule": rule}
            for event in first_of.values()
            for rule in sorted({reason.rule for reason in event.reasons})
        ]
        if rules:
            conn.execute(sql.rules, rules)
    attached = [
        {"row_id": row["handoff_id"], **{f"new_{c}": row[c] for c in _ATTACHED}}
        for lead, row in existing.items()
        if row["submissions"] != before[lead]
    ]
    if attached:
        conn.execute(sql.attach, attached)
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
