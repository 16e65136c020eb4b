"""Submissions that never reached sales, kept so the scorecard can count every submission."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import orjson
from sqlalchemy import Connection, Dialect, Table
from sqlalchemy.orm import Session

from schemas import DeadLetter, NurtureEvent
from sinks.batch_insert import SqliteRows, recordset_insert
from sinks.models import LeadOutcome
from sinks.transitions import as_utc

DEAD_LETTER = "dead_letter"
_TABLE = cast(Table, LeadOutcome.__table__)
_COLUMNS = ("event_id", "kind", "reason", "form_id", "utm_source", "utm_campaign", "at")
_INSERTS: dict[str, Callable[[Connection, list[dict[str, Any]]], int]] = {}


def _nurture_row(event: NurtureEvent) -> dict[str, Any]:
    # A disqualified lead's first reason is the disqualifier that caught it.
    reason = event.reasons[0].rule if event.reasons else None
    return {
        "event_id": event.event_id,
        "kind": event.disposition.value,
        "reason": reason,
        "form_id": event.source.form_id,
        "utm_source": event.source.utm.source,
        "utm_campaign": event.source.utm.campaign,
        "at": as_utc(event.submitted_at),
    }


def _dead_letter_row(letter: DeadLetter) -> dict[str, Any]:
    where = letter.source
    return {
        # Without an event id the position on the topic is what makes the letter unique.
        "event_id": letter.event_id or f"dlq:{where.topic}:{where.partition}:{where.offset}",
        "kind": DEAD_LETTER,
        "reason": letter.error.value,
        "form_id": None,
        "utm_source": None,
        "utm_campaign": None,
        "at": as_utc(letter.failed_at),
    }


def _insert(dialect: Dialect) -> Callable[[Connection, list[dict[str, Any]]], int]:
    """The dialect's batch INSERT that skips rows already stored and says how many were new."""
    if dialect.name not in _INSERTS:
        if dialect.name == "postgresql":
            stmt = recordset_insert(_TABLE, _COLUMNS, " ON CONFLICT DO NOTHING RETURNING event_id")

            def insert(conn: Connection, rows: list[dict[str, Any]]) -> int:
                # Aware datetimes as RFC 3339, which timestamptz reads.
                return len(conn.execute(stmt, {"rows": orjson.dumps(rows).decode()}).all())

            _INSERTS[dialect.name] = insert
        else:
            _INSERTS[dialect.name] = SqliteRows(dialect, _TABLE, _COLUMNS, " ON CONFLICT DO NOTHING").run
    return _INSERTS[dialect.name]


def record_outcomes(
    *, session: Session, nurture: Sequence[NurtureEvent] = (), dead_letters: Sequence[DeadLetter] = ()
) -> int:
    """Store nurture events and dead letters once each (replays change nothing); return how many were new."""
    rows = [_nurture_row(e) for e in nurture] + [_dead_letter_row(d) for d in dead_letters]
    if not rows:
        return 0
    conn = session.connection()
    return _insert(conn.dialect)(conn, rows)
