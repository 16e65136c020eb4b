"""Writing handoffs into the sales queue: the sink's side of the store.

A batch costs a fixed handful of statements whatever its size: look up what is
already recorded, lock the open rows of the people in the batch, then one INSERT
for the ledger, one for the new queue rows and one for their rules, and an UPDATE
only for open rows that gained a submission. No ORM objects are loaded, the
statements are built once per dialect, and the event's JSON is stored as the model
serialises it (no dict and second serialisation).

- SQLite: executemany, which the driver runs row by row inside SQLite, and IN lists.
- PostgreSQL: each INSERT binds its whole batch as one JSON array that
  ``json_populate_recordset`` reads into the table's own column types (so an
  over-long value is refused, never cut short), and ids are looked up with
  ``= ANY(array)``: one parameter per statement, where an executemany sends and
  encodes a statement per row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar, cast

import orjson
from sqlalchemy import (
    ARRAY,
    Connection,
    Dialect,
    String,
    Table,
    any_,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from schemas import HandoffEvent, Stage
from schemas.errors import StoreError
from sinks.batch_insert import SqliteRows, recordset_insert
from sinks.models import OPEN_STATUSES, HandoffRecord, HandoffRule, QueueItem
from sinks.transitions import as_utc

T = TypeVar("T")
_CHUNK = 500  # bound parameters per IN list stay far below SQLite's limit
_QUEUE = cast(Table, QueueItem.__table__)
_LEDGER = cast(Table, HandoffRecord.__table__)
_RULES = cast(Table, HandoffRule.__table__)
# What an attached submission may change on the open row it joins.
_ATTACHED = ("submissions", "updated_at", "stage", "sla_due_at", "score")
_QUEUE_COLUMNS = (
    "handoff_id", "lead_id", "event_id", "queue", "owner", "stage", "score", "status", "email",
    "full_name", "company", "country", "submitted_at", "queued_at", "sla_due_at", "updated_at",
    "submissions", "handoff", "breaches", "form_id", "utm_source", "utm_campaign",
)  # fmt: skip
_LEDGER_COLUMNS = ("handoff_id", "event_id", "lead_id", "queue_handoff_id", "received_at")
_RULE_COLUMNS = ("handoff_id", "rule")
_Table = Literal["ledger", "queue", "rules"]


@dataclass
class RecordResult:
    """What a batch of handoffs did to the queue."""

    queued: int = 0
    attached: int = 0
    duplicates: int = 0


class ConcurrentWrite(StoreError):
    """Another writer recorded some of these handoffs meanwhile; retry the batch."""


class _Writes:
    """The batch's reads and writes for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        ledger, queue = _LEDGER.c, _QUEUE.c
        self.postgres = dialect.name == "postgresql"
        if self.postgres:
            ids = ARRAY(String)
            handoff_in = ledger.handoff_id == any_(bindparam("handoff_ids", type_=ids))
            event_in = ledger.event_id == any_(bindparam("event_ids", type_=ids))
            lead_in = queue.lead_id == any_(bindparam("leads", type_=ids))
        else:
            handoff_in = ledger.handoff_id.in_(bindparam("handoff_ids", expanding=True))
            event_in = ledger.event_id.in_(bindparam("event_ids", expanding=True))
            lead_in = queue.lead_id.in_(bindparam("leads", expanding=True))
        self.seen = select(ledger.handoff_id, ledger.event_id).where(or_(handoff_in, event_in))
        self.open_rows = (
            select(queue.lead_id, queue.handoff_id, *(queue[c] for c in _ATTACHED))
            .where(lead_in, queue.status.in_(OPEN_STATUSES))
            .order_by(queue.lead_id)
            .with_for_update()
        )
        self.attach = (
            update(_QUEUE)
            .where(queue.handoff_id == bindparam("row_id"))
            .values({c: bindparam(f"new_{c}") for c in _ATTACHED})
        )
        if self.postgres:
            self._recordsets = {
                "ledger": recordset_insert(
                    _LEDGER, _LEDGER_COLUMNS, " ON CONFLICT DO NOTHING RETURNING handoff_id"
                ),
                "queue": recordset_insert(_QUEUE, _QUEUE_COLUMNS),
                "rules": recordset_insert(_RULES, _RULE_COLUMNS),
            }
        else:
            self._sqlite = {
                "ledger": SqliteRows(dialect, _LEDGER, _LEDGER_COLUMNS, " ON CONFLICT DO NOTHING"),
                "queue": SqliteRows(dialect, _QUEUE, _QUEUE_COLUMNS),
                "rules": SqliteRows(dialect, _RULES, _RULE_COLUMNS),
            }
        # No IN list longer than SQLite allows parameters; PostgreSQL takes any array.
        self._chunk = 1 << 30 if self.postgres else _CHUNK

    def recorded(self, conn: Connection, handoff_ids: list[str], event_ids: list[str]) -> list[Any]:
        """(handoff_id, event_id) of the ledger rows with any of these ids."""
        found: list[Any] = []
        for start in range(0, len(handoff_ids), self._chunk):
            end = start + self._chunk
            found.extend(conn.execute(self.seen, {"handoff_ids": handoff_ids[start:end],
                                                  "event_ids": event_ids[start:end]}))  # fmt: skip
        return found

    def lock_open(self, conn: Connection, leads: list[str]) -> list[Any]:
        """The open rows of these people, locked until the transaction ends."""
        found: list[Any] = []
        for start in range(0, len(leads), self._chunk):
            found.extend(
                conn.execute(self.open_rows, {"leads": leads[start : start + self._chunk]}).mappings()
            )
        return found

    def add(self, conn: Connection, table: _Table, rows: list[dict[str, Any]]) -> int:
        """Insert a batch of rows into the ledger, the queue or the rules; how many were new."""
        if not self.postgres:
            return self._sqlite[table].run(conn, rows)
        if table == "queue":  # the event's JSON goes in as the document it is
            rows = [row | {"handoff": orjson.Fragment(row["handoff"])} for row in rows]
        # Aware datetimes as RFC 3339, which timestamptz reads.
        result = conn.execute(self._recordsets[table], {"rows": orjson.dumps(rows).decode()})
        return len(result.all()) if table == "ledger" else int(result.rowcount)


_WRITES: dict[str, _Writes] = {}


def _writes(dialect: Dialect) -> _Writes:
    """The batch's statements for one dialect, built once so their compiled form is reused."""
    if dialect.name not in _WRITES:
        _WRITES[dialect.name] = _Writes(dialect)
    return _WRITES[dialect.name]


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
        # The model's own JSON: one serialisation instead of a dict and json.dumps.
        "handoff": event.model_dump_json(),
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
    conn: Connection, sql: _Writes, events: Sequence[HandoffEvent], result: RecordResult
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
    seen = sql.recorded(conn, [e.handoff_id for e in unique], [e.event_id for e in unique])
    if seen:
        seen_ids = {handoff_id for handoff_id, _ in seen}
        seen_events = {event_id for _, event_id in seen}
        fresh = [e for e in unique if e.handoff_id not in seen_ids and e.event_id not in seen_events]
    else:
        fresh = unique
    result.duplicates += len(events) - len(fresh)
    return fresh


def record_handoffs(*, session: Session, events: Sequence[HandoffEvent], now: datetime) -> RecordResult:
    """Apply handoffs idempotently: new people get a row, people with an open row get attached."""
    if now.tzinfo is None:
        raise ValueError("naive datetime: every Handoff timestamp carries a time zone")
    result = RecordResult()
    conn = session.connection()
    sql = _writes(conn.dialect)
    fresh = _fresh(conn, sql, events, result)
    if not fresh:
        return result
    # Sorted, so two writers lock the open rows of the same people in the same order.
    existing = {row["lead_id"]: dict(row) for row in sql.lock_open(conn, sorted({e.lead_id for e in fresh}))}
    before = {lead: row["submissions"] for lead, row in existing.items()}
    new_rows: dict[str, dict[str, Any]] = {}
    rules: list[dict[str, Any]] = []
    ledger: list[dict[str, Any]] = []
    for event in fresh:
        lead = event.lead_id
        target = existing.get(lead) or new_rows.get(lead)
        if target is None:
            target = new_rows[lead] = _new_row(event, now)
            rules.extend(
                {"handoff_id": event.handoff_id, "rule": rule}
                for rule in sorted({reason.rule for reason in event.reasons})
            )
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
    written = sql.add(conn, "ledger", ledger)
    if written != len(ledger):
        raise ConcurrentWrite(f"{len(ledger) - written} handoffs were recorded by another writer")
    if new_rows:
        sql.add(conn, "queue", list(new_rows.values()))
        if rules:
            sql.add(conn, "rules", rules)
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
