"""SLA breaches in the store: find overdue handoffs and act on each missed deadline exactly once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import Session

from schemas.errors import StoreError
from sinks.feedback import insert_or_ignore
from sinks.models import OPEN_STATUSES, QueueItem, SlaBreachRecord
from sinks.transitions import as_utc


def overdue(*, session: Session, now: datetime, limit: int = 200) -> list[QueueItem]:
    """Open or claimed handoffs past their deadline whose breach was not handled yet."""
    handled = exists().where(
        and_(
            SlaBreachRecord.handoff_id == QueueItem.handoff_id, SlaBreachRecord.due_at == QueueItem.sla_due_at
        )
    )
    return list(
        session.scalars(
            select(QueueItem)
            .where(QueueItem.status.in_(OPEN_STATUSES), QueueItem.sla_due_at <= now, ~handled)
            .order_by(QueueItem.sla_due_at)
            .limit(limit)
        )
    )


def apply_breach(
    *,
    session: Session,
    row: QueueItem,
    action: str,
    to_owner: str | None,
    to_queue: str,
    new_due_at: datetime | None,
    now: datetime,
) -> SlaBreachRecord | None:
    """Record the breach and move the handoff in one transaction; None when it was already handled.

    The unique (handoff_id, due_at) row makes a second check, concurrent or later,
    a no-op; the row update is guarded by the deadline and owner the check saw.
    """
    due_at = as_utc(row.sla_due_at)
    breach_id = session.scalar(
        insert_or_ignore(session)(SlaBreachRecord)
        .values(
            handoff_id=row.handoff_id,
            due_at=due_at,
            breached_at=now,
            breach=row.breaches + 1,
            action=action,
            from_owner=row.owner,
            to_owner=to_owner,
            from_queue=row.queue,
            to_queue=to_queue,
            new_due_at=new_due_at,
        )
        .on_conflict_do_nothing()
        .returning(SlaBreachRecord.id)
    )
    if breach_id is None:
        return None
    moved = to_owner != row.owner or to_queue != row.queue
    values: dict[str, object] = {"breaches": QueueItem.breaches + 1, "updated_at": now}
    if moved:
        values.update(owner=to_owner, queue=to_queue, status="open", claimed_at=None)
    if new_due_at is not None:
        values["sla_due_at"] = new_due_at
    owner_guard = QueueItem.owner.is_(None) if row.owner is None else QueueItem.owner == row.owner
    done = session.execute(
        update(QueueItem)
        .where(
            QueueItem.handoff_id == row.handoff_id,
            QueueItem.sla_due_at == due_at,
            QueueItem.status.in_(OPEN_STATUSES),
            owner_guard,
        )
        .values(**values)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        # A rep acted between the check and now: no breach after all.
        raise StaleBreach(row.handoff_id)
    return session.get(SlaBreachRecord, breach_id)


class StaleBreach(StoreError):
    """The handoff changed after the check saw it; roll back and look again."""
