"""Where a lead is in the sales queue store: its row, what sales did, the deadlines it missed."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sinks.models import FeedbackRecord, HandoffRecord, QueueItem, SlaBreachRecord


@dataclass(frozen=True)
class StoredLead:
    """A queue row with its feedback and SLA history, oldest first."""

    item: QueueItem
    feedback: list[FeedbackRecord]
    breaches: list[SlaBreachRecord]


def stored_for(*, session: Session, event_ids: Collection[str]) -> dict[str, StoredLead]:
    """The queue row each event id landed on (a repeat visit lands on the row it joined)."""
    ledger = session.execute(
        select(HandoffRecord.event_id, HandoffRecord.queue_handoff_id).where(
            HandoffRecord.event_id.in_(event_ids)
        )
    ).all()
    rows: dict[str, str] = {str(e): str(h) for e, h in ledger}
    for first in session.scalars(select(QueueItem).where(QueueItem.event_id.in_(event_ids))):
        rows.setdefault(first.event_id, first.handoff_id)
    out: dict[str, StoredLead] = {}
    for event_id, handoff_id in rows.items():
        item = session.get(QueueItem, handoff_id)
        if item is None:
            continue
        feedback = list(
            session.scalars(
                select(FeedbackRecord)
                .where(FeedbackRecord.handoff_id == handoff_id)
                .order_by(FeedbackRecord.at)
            )
        )
        breaches = list(
            session.scalars(
                select(SlaBreachRecord)
                .where(SlaBreachRecord.handoff_id == handoff_id)
                .order_by(SlaBreachRecord.breached_at)
            )
        )
        out[event_id] = StoredLead(item, feedback, breaches)
    return out
