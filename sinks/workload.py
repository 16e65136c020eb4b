"""How many open leads each rep holds: what the `capacity` strategy caps."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sinks.models import OPEN_STATUSES, QueueItem


def open_by_owner(*, session: Session) -> dict[tuple[str, str], int]:
    """Return open or claimed rows per (queue, owner)."""
    rows = session.execute(
        select(QueueItem.queue, QueueItem.owner, func.count())
        .where(QueueItem.status.in_(OPEN_STATUSES), QueueItem.owner.is_not(None))
        .group_by(QueueItem.queue, QueueItem.owner)
    )
    return {(queue, owner or ""): int(n) for queue, owner, n in rows}
