"""Funnel statistics for marketing: what sales did with the leads each rule, form, source,
campaign and queue produced. Computed from the stored feedback, so they survive restarts."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sinks.models import FeedbackRecord, QueueItem
from sinks.transitions import as_utc

DIMENSIONS = ("rule", "form", "source", "campaign", "queue")
_TOUCHES = ("contacted", "won", "lost")
NONE = "(none)"


@dataclass
class FunnelRow:
    """The funnel of one rule, form, source, campaign or queue."""

    key: str
    handed_off: int = 0
    accepted: int = 0
    rejected: int = 0
    won: int = 0
    lost: int = 0
    rejected_by_reason: Counter[str] = field(default_factory=Counter)
    lost_by_reason: Counter[str] = field(default_factory=Counter)
    touch_seconds: list[float] = field(default_factory=list, repr=False)

    @property
    def median_first_touch_s(self) -> float | None:
        """Median seconds from form submission to the first contact, over touched leads."""
        return statistics.median(self.touch_seconds) if self.touch_seconds else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "key": self.key,
            "handed_off": self.handed_off,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "won": self.won,
            "lost": self.lost,
            "rejected_by_reason": dict(sorted(self.rejected_by_reason.items())),
            "lost_by_reason": dict(sorted(self.lost_by_reason.items())),
            "median_first_touch_s": self.median_first_touch_s,
        }


def _keys(by: str, queue: str, handoff: dict[str, Any]) -> Iterable[str]:
    source = handoff.get("source") or {}
    utm = source.get("utm") or {}
    if by == "rule":
        return sorted({r["rule"] for r in handoff.get("reasons") or ()}) or [NONE]
    if by == "form":
        return [source.get("form_id") or NONE]
    if by == "source":
        return [utm.get("source") or NONE]
    if by == "campaign":
        return [utm.get("campaign") or NONE]
    return [queue]


def _outcomes(session: Session) -> dict[str, dict[tuple[str, str | None], datetime]]:
    """handoff_id -> {(action, reason): first time}, over applied feedback only."""
    stmt = (
        select(
            FeedbackRecord.handoff_id,
            FeedbackRecord.action,
            FeedbackRecord.reason,
            func.min(FeedbackRecord.at),
        )
        .where(FeedbackRecord.applied.is_(True))
        .group_by(FeedbackRecord.handoff_id, FeedbackRecord.action, FeedbackRecord.reason)
    )
    out: dict[str, dict[tuple[str, str | None], datetime]] = defaultdict(dict)
    for handoff_id, action, reason, at in session.execute(stmt):
        out[handoff_id][(action, reason)] = as_utc(at)
    return out


def funnel(*, session: Session, by: str) -> list[FunnelRow]:
    """Funnel rows grouped ``by`` one of DIMENSIONS, most handoffs first."""
    if by not in DIMENSIONS:
        raise ValueError(f"cannot group the funnel by {by!r}: use one of {', '.join(DIMENSIONS)}")
    outcomes = _outcomes(session)
    rows: dict[str, FunnelRow] = {}
    stmt = select(QueueItem.handoff_id, QueueItem.queue, QueueItem.handoff)
    for handoff_id, queue, handoff in session.execute(stmt.execution_options(yield_per=1000)):
        done = outcomes.get(handoff_id, {})
        actions = {action for action, _ in done}
        touches = [at for (action, _), at in done.items() if action in _TOUCHES]
        submitted = as_utc(datetime.fromisoformat(handoff["submitted_at"]))
        for key in _keys(by, queue, handoff):
            row = rows.setdefault(key, FunnelRow(key))
            row.handed_off += 1
            row.accepted += "accepted" in actions
            row.rejected += "rejected" in actions
            row.won += "won" in actions
            row.lost += "lost" in actions
            for action, reason in done:
                if action == "rejected":
                    row.rejected_by_reason[reason or NONE] += 1
                elif action == "lost":
                    row.lost_by_reason[reason or NONE] += 1
            if touches:
                row.touch_seconds.append((min(touches) - submitted).total_seconds())
    return sorted(rows.values(), key=lambda r: (-r.handed_off, r.key))
