"""Sales queue operations: small keyword-only functions over a session.

Every state change is a conditional UPDATE guarded by the status (and owner) the
caller saw, so two reps racing for the same lead cannot both win, on SQLite or
PostgreSQL. Each change stores its feedback event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from schemas import Feedback, FeedbackAction
from sinks.feedback import record_feedback, set_applied
from sinks.handoffs import RecordResult, count_by_queue, record_handoffs, recorded_event_ids
from sinks.models import QueueItem
from sinks.transitions import InvalidTransition, NotFound, NotYours, QueueError, Transition, check_transition

__all__ = [
    "RecordResult",
    "act",
    "apply_feedback",
    "claim_next",
    "count_by_queue",
    "count_claimable",
    "count_items",
    "get_item",
    "list_items",
    "mark_status",
    "record_handoffs",
    "reassign",
    "recorded_event_ids",
]


def _filtered(
    stmt: Any,
    *,
    queue: str | None,
    owner: str | None,
    status: Collection[str] | None,
    visible_to: tuple[str, Collection[str]] | None,
) -> Any:
    if queue:
        stmt = stmt.where(QueueItem.queue == queue)
    if owner:
        stmt = stmt.where(QueueItem.owner == owner)
    if status:
        stmt = stmt.where(QueueItem.status.in_(list(status)))
    if visible_to is not None:
        # A rep sees their own leads, and the unassigned ones of the queues that list them.
        rep, queues = visible_to
        unassigned = QueueItem.owner.is_(None) & QueueItem.queue.in_(list(queues))
        stmt = stmt.where(or_(QueueItem.owner == rep, unassigned))
    return stmt


def list_items(
    *,
    session: Session,
    queue: str | None = None,
    owner: str | None = None,
    status: Collection[str] | None = None,
    limit: int = 100,
    offset: int = 0,
    visible_to: tuple[str, Collection[str]] | None = None,
) -> list[QueueItem]:
    """Queue rows matching the filters, most urgent first."""
    stmt = _filtered(select(QueueItem), queue=queue, owner=owner, status=status, visible_to=visible_to)
    stmt = stmt.order_by(QueueItem.sla_due_at, QueueItem.queued_at, QueueItem.handoff_id)
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def count_items(
    *,
    session: Session,
    queue: str | None = None,
    owner: str | None = None,
    status: Collection[str] | None = None,
    visible_to: tuple[str, Collection[str]] | None = None,
) -> int:
    """How many rows match the filters (for paging)."""
    base = select(func.count()).select_from(QueueItem)
    stmt = _filtered(base, queue=queue, owner=owner, status=status, visible_to=visible_to)
    return int(session.scalar(stmt) or 0)


def get_item(*, session: Session, handoff_id: str) -> QueueItem:
    """One queue row, or NotFound."""
    row = session.get(QueueItem, handoff_id, populate_existing=True)
    if row is None:
        raise NotFound(f"no handoff {handoff_id!r} in the sales queue")
    return row


def _changes(
    rule: Transition, action: FeedbackAction, row: QueueItem, by: str | None, reason: str | None, at: datetime
) -> dict[str, Any]:
    values: dict[str, Any] = {"status": rule.target, "updated_at": at}
    if action in (FeedbackAction.CLAIMED, FeedbackAction.ACCEPTED, FeedbackAction.REJECTED):
        values["owner"] = by or row.owner
        values["claimed_at"] = row.claimed_at or at
    if action in (FeedbackAction.ACCEPTED, FeedbackAction.REJECTED):
        values["decided_at"] = at
    if action in (FeedbackAction.CONTACTED, FeedbackAction.WON, FeedbackAction.LOST):
        values["first_touch_at"] = row.first_touch_at or at
    if rule.outcome:
        values["outcome"], values["closed_at"] = rule.outcome, at
    if reason:
        values["reason"] = reason
    return values


def _check_owner(row: QueueItem, action: FeedbackAction, by: str | None) -> None:
    if row.owner is not None and row.owner != by:
        raise NotYours(f"handoff {row.handoff_id} belongs to {row.owner}; {by} cannot mark it {action.value}")


def _transition(
    *,
    session: Session,
    row: QueueItem,
    action: FeedbackAction,
    by: str | None,
    reason: str | None,
    allowed_reasons: Collection[str] | None,
    at: datetime,
    enforce_owner: bool,
) -> None:
    rule = check_transition(
        handoff_id=row.handoff_id,
        status=row.status,
        action=action,
        reason=reason,
        allowed_reasons=allowed_reasons,
    )
    if enforce_owner:
        _check_owner(row, action, by)
    guard = [QueueItem.handoff_id == row.handoff_id, QueueItem.status == row.status]
    guard.append(QueueItem.owner.is_(None) if row.owner is None else QueueItem.owner == row.owner)
    done = session.execute(
        update(QueueItem).where(*guard).values(**_changes(rule, action, row, by, reason, at))
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        raise QueueError(f"handoff {row.handoff_id} changed while you acted on it; look again")


def act(
    *,
    session: Session,
    handoff_id: str,
    action: FeedbackAction,
    by: str,
    now: datetime,
    reason: str | None = None,
    allowed_reasons: Collection[str] | None = None,
) -> tuple[QueueItem, Feedback]:
    """Apply a rep's action to a handoff and record its feedback event; raises QueueError."""
    row = get_item(session=session, handoff_id=handoff_id)
    _transition(
        session=session,
        row=row,
        action=action,
        by=by,
        reason=reason,
        allowed_reasons=allowed_reasons,
        at=now,
        enforce_owner=True,
    )
    event = Feedback(handoff_id=handoff_id, action=action, reason=reason, by=by, at=now)
    record_feedback(session=session, event=event, now=now)
    return get_item(session=session, handoff_id=handoff_id), event


def claim_next(*, session: Session, queue: str, rep: str, now: datetime) -> tuple[QueueItem, Feedback] | None:
    """Claim the open lead due soonest in ``queue`` (unassigned or already the rep's), or None.

    PostgreSQL skips rows other claimers hold locked; SQLite runs the claim as one
    conditional UPDATE, which takes the database's single write lock.
    """
    candidates = (
        select(QueueItem.handoff_id)
        .where(
            QueueItem.queue == queue,
            QueueItem.status == "open",
            or_(QueueItem.owner.is_(None), QueueItem.owner == rep),
        )
        .order_by(QueueItem.sla_due_at, QueueItem.queued_at, QueueItem.handoff_id)
        .limit(1)
    )
    claim = {"status": "claimed", "owner": rep, "claimed_at": now, "updated_at": now}
    if session.get_bind().dialect.name == "postgresql":
        handoff_id = session.scalar(candidates.with_for_update(skip_locked=True))
        if handoff_id is None:
            return None
        session.execute(update(QueueItem).where(QueueItem.handoff_id == handoff_id).values(**claim))
    else:
        handoff_id = session.scalar(
            update(QueueItem)
            .where(QueueItem.handoff_id == candidates.scalar_subquery(), QueueItem.status == "open")
            .values(**claim)
            .returning(QueueItem.handoff_id)
        )
        if handoff_id is None:
            return None
    event = Feedback(handoff_id=handoff_id, action=FeedbackAction.CLAIMED, by=rep, at=now)
    record_feedback(session=session, event=event, now=now)
    return get_item(session=session, handoff_id=handoff_id), event


def apply_feedback(*, session: Session, event: Feedback, now: datetime) -> str:
    """Apply a feedback event read from the topic, once: 'applied', 'duplicate' or 'ignored'.

    Events are facts reported by sales tools, so ownership is not enforced; an
    event its row cannot take (unknown handoff, out of order) is kept but not applied.
    """
    if not record_feedback(session=session, event=event, now=now, published=True):
        return "duplicate"
    row = session.get(QueueItem, event.handoff_id, populate_existing=True)
    try:
        if row is None:
            raise NotFound(event.handoff_id)
        _transition(
            session=session,
            row=row,
            action=event.action,
            by=event.by,
            reason=event.reason,
            allowed_reasons=None,
            at=event.at,
            enforce_owner=False,
        )
    except QueueError:
        set_applied(session=session, event=event, applied=False)
        return "ignored"
    return "applied"


def mark_status(*, session: Session, handoff_id: str, status: str, now: datetime) -> bool:
    """Set a queue row's status; True when the row exists."""
    res = session.execute(
        update(QueueItem).where(QueueItem.handoff_id == handoff_id).values(status=status, updated_at=now)
    )
    return bool(res.rowcount)  # type: ignore[attr-defined]


def count_claimable(*, session: Session, queue: str, rep: str) -> int:
    """Open rows in a queue that ``rep`` could claim next."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(QueueItem)
            .where(
                QueueItem.queue == queue,
                QueueItem.status == "open",
                or_(QueueItem.owner.is_(None), QueueItem.owner == rep),
            )
        )
        or 0
    )


def reassign(*, session: Session, handoff_id: str, owner: str, now: datetime) -> QueueItem:
    """Give a lead that is still being worked to another rep (a manager's move); raises QueueError."""
    row = get_item(session=session, handoff_id=handoff_id)
    if row.status not in ("open", "claimed", "accepted"):
        raise InvalidTransition(f"handoff {handoff_id} is {row.status}: only leads still being worked move")
    guard = [QueueItem.handoff_id == handoff_id, QueueItem.status == row.status]
    guard.append(QueueItem.owner.is_(None) if row.owner is None else QueueItem.owner == row.owner)
    done = session.execute(update(QueueItem).where(*guard).values(owner=owner, updated_at=now))
    if not done.rowcount:  # type: ignore[attr-defined]
        raise QueueError(f"handoff {handoff_id} changed while you acted on it; look again")
    return get_item(session=session, handoff_id=handoff_id)
