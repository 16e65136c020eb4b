"""The marketing–sales scorecard from the store: a period's numbers per group, the weekly trend,
and the groups whose acceptance rate is falling.

Handoffs count in the period their form was submitted in; submissions that never reached
sales (``lead_outcomes``) count by their submission or failure time.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from sinks.models import LeadOutcome, QueueItem, SlaBreachRecord
from sinks.scorecard_numbers import GroupNumbers, Handed, percent
from sinks.transitions import as_utc

GROUPINGS = ("source", "campaign", "form", "rule", "queue", "rep")
NONE = "(none)"
UNASSIGNED = "(unassigned)"
# Falling acceptance: the last FALL_WEEKS against the FALL_WEEKS before, each with enough decisions.
FALL_WEEKS = 4
FALL_MIN_DECIDED = 5
FALL_POINTS = 10.0

_OUTCOME_KEY = {
    "source": LeadOutcome.utm_source,
    "campaign": LeadOutcome.utm_campaign,
    "form": LeadOutcome.form_id,
}


@dataclass
class Week:
    """One week of the trend (weeks start on Monday in the viewer's time zone)."""

    start: datetime
    numbers: GroupNumbers

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        n = self.numbers
        return {
            "week": self.start.date().isoformat(),
            "handed_off": n.handed_off,
            "sql": n.sql,
            "accepted": n.accepted,
            "rejected": n.rejected,
            "accepted_pct": n.accepted_pct,
            "median_first_touch_s": n.median_touch_s,
            "in_time_pct": n.in_time_pct,
        }


@dataclass(frozen=True)
class Falling:
    """A group whose acceptance rate dropped between the two halves of the trend's last weeks."""

    key: str
    before_pct: float
    after_pct: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"key": self.key, "before_pct": self.before_pct, "after_pct": self.after_pct}


@dataclass
class Scorecard:
    """Everything the scorecard page and command show for one period and grouping."""

    start: datetime
    end: datetime
    by: str
    rep: str | None
    total: GroupNumbers
    groups: list[GroupNumbers]
    weeks: list[Week] = field(default_factory=list)
    falling: list[Falling] = field(default_factory=list)
    # Sales-ready leads per queue in the period, for the monthly targets whatever the grouping.
    sql_by_queue: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "by": self.by,
            "rep": self.rep,
            "total": self.total.as_dict(),
            "distribution": self.total.distribution(),
            "groups": [g.as_dict() for g in self.groups],
            "weeks": [w.as_dict() for w in self.weeks],
            "falling": [f.as_dict() for f in self.falling],
            "sql_by_queue": dict(sorted(self.sql_by_queue.items())),
        }


def week_starts(end: datetime, weeks: int, tz: ZoneInfo) -> list[datetime]:
    """Mondays 00:00 (in ``tz``) of the ``weeks`` weeks up to the one holding the instant before ``end``."""
    last = (end - timedelta(microseconds=1)).astimezone(tz)
    monday = datetime(last.year, last.month, last.day, tzinfo=tz) - timedelta(days=last.weekday())
    # Wall-clock arithmetic, so a daylight-saving change keeps weeks on Monday midnight.
    return [
        datetime.combine((monday - timedelta(weeks=k)).date(), datetime.min.time(), tzinfo=tz)
        for k in range(weeks - 1, -1, -1)
    ]


def _keys(by: str, row: Row[Any]) -> Iterable[str]:
    if by == "rule":
        return sorted({r["rule"] for r in row.reasons or ()}) or [NONE]
    if by == "queue":
        return [row.queue]
    if by == "rep":
        return [row.owner or UNASSIGNED]
    value = {"source": row.utm_source, "campaign": row.utm_campaign, "form": row.form_id}[by]
    return [value or NONE]


def _handoff_rows(
    session: Session, *, start: datetime, end: datetime, by: str, rep: str | None
) -> list[Row[Any]]:
    q = QueueItem
    cols: list[Any] = [
        q.handoff_id, q.queue, q.owner, q.stage, q.status, q.reason, q.outcome, q.submitted_at,
        q.first_touch_at, q.sla_due_at, q.breaches, q.form_id, q.utm_source, q.utm_campaign,
    ]  # fmt: skip
    if by == "rule":
        cols.append(q.handoff["reasons"].label("reasons"))
    stmt = select(*cols).where(q.submitted_at >= start, q.submitted_at < end)
    if rep is not None:
        stmt = stmt.where(q.owner == rep)
    return list(session.execute(stmt))


def _breach_actions(session: Session, *, start: datetime, end: datetime) -> dict[str, list[str]]:
    stmt = (
        select(SlaBreachRecord.handoff_id, SlaBreachRecord.action)
        .join(QueueItem, QueueItem.handoff_id == SlaBreachRecord.handoff_id)
        .where(QueueItem.submitted_at >= start, QueueItem.submitted_at < end)
        .order_by(SlaBreachRecord.id)
    )
    out: dict[str, list[str]] = {}
    for handoff_id, action in session.execute(stmt):
        out.setdefault(handoff_id, []).append(action)
    return out


def _handed(row: Row[Any]) -> Handed:
    return Handed(
        stage=row.stage,
        status=row.status,
        reason=row.reason,
        outcome=row.outcome,
        submitted_at=as_utc(row.submitted_at),
        first_touch_at=as_utc(row.first_touch_at) if row.first_touch_at is not None else None,
        sla_due_at=as_utc(row.sla_due_at),
        breaches=row.breaches,
    )


def _count_outcomes(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    by: str,
    total: GroupNumbers,
    groups: dict[str, GroupNumbers],
) -> None:
    key_col = _OUTCOME_KEY.get(by)
    cols: list[Any] = [LeadOutcome.kind, LeadOutcome.reason]
    if key_col is not None:
        cols.append(key_col.label("key"))
    stmt = select(*cols).where(LeadOutcome.at >= start, LeadOutcome.at < end)
    for row in session.execute(stmt):
        total.add_outcome(row.kind, row.reason)
        # Only source, campaign and form are known before a lead reaches a queue.
        if key_col is not None:
            key = row.key or NONE
            groups.setdefault(key, GroupNumbers(key)).add_outcome(row.kind, row.reason)


def _falling(per_group_weeks: dict[str, list[GroupNumbers]]) -> list[Falling]:
    out: list[Falling] = []
    for key, weeks in per_group_weeks.items():
        before = weeks[-2 * FALL_WEEKS : -FALL_WEEKS]
        after = weeks[-FALL_WEEKS:]
        b_acc, b_dec = sum(w.accepted for w in before), sum(w.accepted + w.rejected for w in before)
        a_acc, a_dec = sum(w.accepted for w in after), sum(w.accepted + w.rejected for w in after)
        if b_dec < FALL_MIN_DECIDED or a_dec < FALL_MIN_DECIDED:
            continue
        b_pct, a_pct = percent(b_acc, b_dec), percent(a_acc, a_dec)
        if b_pct is not None and a_pct is not None and b_pct - a_pct >= FALL_POINTS:
            out.append(Falling(key, b_pct, a_pct))
    return sorted(out, key=lambda f: (f.after_pct - f.before_pct, f.key))


def scorecard(
    *,
    session: Session,
    start: datetime,
    end: datetime,
    by: str,
    tz: ZoneInfo,
    rep: str | None = None,
    weeks: int = 12,
    trend_end: datetime | None = None,
) -> Scorecard:
    """The scorecard of handoffs submitted in [start, end) grouped ``by``; ``rep`` narrows it to one rep.

    The trend covers the ``weeks`` weeks (Monday to Sunday in ``tz``) up to ``trend_end`` (default ``end``).
    """
    if by not in GROUPINGS:
        raise ValueError(f"cannot group the scorecard by {by!r}: use one of {', '.join(GROUPINGS)}")
    last = min(trend_end or end, end)
    starts = week_starts(last, weeks, tz) if weeks else []
    bounds = [as_utc(s) for s in starts]
    first = min([start, *bounds[:1]])
    total = GroupNumbers("total")
    groups: dict[str, GroupNumbers] = {}
    trend = [GroupNumbers(s.date().isoformat()) for s in starts]
    per_group_weeks: dict[str, list[GroupNumbers]] = {}
    breach_actions = _breach_actions(session, start=start, end=end)
    sql_by_queue: Counter[str] = Counter()
    for row in _handoff_rows(session, start=first, end=end, by=by, rep=rep):
        handed = _handed(row)
        keys = list(_keys(by, row))
        if handed.submitted_at >= start:
            actions = breach_actions.get(row.handoff_id, ())
            sql_by_queue[row.queue] += handed.stage == "SQL"
            for numbers in (total, *(groups.setdefault(k, GroupNumbers(k)) for k in keys)):
                numbers.add_handoff(handed)
                numbers.breach_actions.update(actions)
        week = bisect_right(bounds, handed.submitted_at) - 1
        if week >= 0 and handed.submitted_at < last:
            trend[week].add_handoff(handed)
            for k in keys:
                per_group_weeks.setdefault(k, [GroupNumbers(k) for _ in starts])[week].add_handoff(handed)
    if rep is None:
        _count_outcomes(session, start=start, end=end, by=by, total=total, groups=groups)
    ordered = sorted(groups.values(), key=lambda g: (-g.submissions, g.key))
    return Scorecard(
        start=start,
        end=end,
        by=by,
        rep=rep,
        total=total,
        groups=ordered,
        weeks=[Week(s, n) for s, n in zip(starts, trend, strict=True)],
        falling=_falling(per_group_weeks),
        sql_by_queue=sql_by_queue,
    )
