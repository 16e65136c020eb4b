"""The feedback table: what sales did, keyed by a content-derived id, and the outbox of ``leads.feedback``."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from schemas import Feedback
from sinks.models import FeedbackRecord, SlaBreachRecord
from sinks.transitions import as_utc

_FEEDBACK_NAMESPACE = uuid.UUID("2d3f0a52-4c8e-4f5b-a0c4-6b1f9e7d2a31")


def feedback_id_for(event: Feedback) -> str:
    """Same event, same id: a redelivered or re-published event lands on the same row."""
    at = as_utc(event.at).isoformat(timespec="microseconds")
    key = "|".join((event.handoff_id, event.action.value, at, event.by or "", event.reason or ""))
    return str(uuid.uuid5(_FEEDBACK_NAMESPACE, key))


def insert_or_ignore(session: Session):  # type: ignore[no-untyped-def]
    """The dialect's INSERT that supports ON CONFLICT DO NOTHING."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def record_feedback(
    *,
    session: Session,
    event: Feedback,
    now: datetime,
    applied: bool = True,
    published: bool = False,
) -> bool:
    """Store a feedback event once; True when it was new."""
    stmt = (
        insert_or_ignore(session)(FeedbackRecord)
        .values(
            feedback_id=feedback_id_for(event),
            handoff_id=event.handoff_id,
            action=event.action.value,
            reason=event.reason,
            by=event.by,
            at=as_utc(event.at),
            applied=applied,
            recorded_at=now,
            published_at=now if published else None,
        )
        .on_conflict_do_nothing()
        .returning(FeedbackRecord.feedback_id)
    )
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT that did nothing.
    return session.scalar(stmt) is not None


def set_applied(*, session: Session, event: Feedback, applied: bool) -> None:
    """Note whether a stored event changed its queue row."""
    session.execute(
        update(FeedbackRecord)
        .where(FeedbackRecord.feedback_id == feedback_id_for(event))
        .values(applied=applied)
    )


def event_of(row: FeedbackRecord) -> Feedback:
    """The event a stored row stands for."""
    return Feedback(
        handoff_id=row.handoff_id, action=row.action, reason=row.reason, by=row.by, at=as_utc(row.at)
    )


def unpublished_feedback(*, session: Session, before: datetime, limit: int = 500) -> list[Feedback]:
    """Feedback recorded before ``before`` that is not on the topic yet (oldest first)."""
    rows = session.scalars(
        select(FeedbackRecord)
        .where(FeedbackRecord.published_at.is_(None), FeedbackRecord.recorded_at < before)
        .order_by(FeedbackRecord.recorded_at)
        .limit(limit)
    )
    return [event_of(row) for row in rows]


def mark_feedback_published(*, session: Session, events: list[Feedback], now: datetime) -> None:
    """Note that these events are on the topic."""
    ids = [feedback_id_for(e) for e in events]
    if ids:
        session.execute(
            update(FeedbackRecord).where(FeedbackRecord.feedback_id.in_(ids)).values(published_at=now)
        )


def unpublished_breaches(*, session: Session, before: datetime, limit: int = 500) -> list[SlaBreachRecord]:
    """SLA breaches handled before ``before`` that are not on the topic yet."""
    return list(
        session.scalars(
            select(SlaBreachRecord)
            .where(SlaBreachRecord.published_at.is_(None), SlaBreachRecord.breached_at < before)
            .order_by(SlaBreachRecord.id)
            .limit(limit)
        )
    )


def mark_breaches_published(*, session: Session, ids: list[int], now: datetime) -> None:
    """Note that these breaches are on the topic."""
    if ids:
        session.execute(update(SlaBreachRecord).where(SlaBreachRecord.id.in_(ids)).values(published_at=now))
