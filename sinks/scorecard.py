"""The marketing–sales scorecard from the store: a period's numbers per group, the weekly trend,
and the groups whose acceptance rate is falling.

Handoffs count in the period their form was submitted in; submissions that never reached
sales (``lead_outcomes``) count by their submission or failure time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from sinks import scorecard_sql as sql
from sinks.models import LeadOutcome
from sinks.scorecard_numbers import Counted, GroupNumbers, percent
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


def _numbers(groups: dict[str, GroupNumbers], key: str) -> GroupNumbers:
    return groups.setdefault(key, GroupNumbers(key))


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
    objective_s: float | None = None,
) -> Scorecard:
    """The scorecard of handoffs submitted in [start, end) grouped ``by``; ``rep`` narrows it to one rep.

    The trend covers the ``weeks`` weeks (Monday to Sunday in ``tz``) up to ``trend_end`` (default
    ``end``); ``objective_s`` is the first-touch objective the targets measure against.
    """
    if by not in GROUPINGS:
        raise ValueError(f"cannot group the scorecard by {by!r}: use one of {', '.join(GROUPINGS)}")
    if session.get_bind().dialect.name == "postgresql":
        # Enough memory to group and sort a quarter's handoffs without spilling to disk.
        session.execute(text("SET LOCAL work_mem = '64MB'"))
    last = min(trend_end or end, end)
    starts = week_starts(last, weeks, tz) if weeks else []
    bounds = [as_utc(s) for s in starts]
    first = min([start, *bounds[:1]])
    b = sql.base(
        session,
        first=first,
        start=start,
        end=end,
        bounds=bounds,
        last=last,
        by=by,
        rep=rep,
        objective_s=objective_s,
    )
    keys = sql.rule_keys(session, first=first, end=end) if by == "rule" else None
    total = GroupNumbers("total")
    groups: dict[str, GroupNumbers] = {}
    trend = [GroupNumbers(s.date().isoformat()) for s in starts]
    per_group_weeks: dict[str, list[GroupNumbers]] = {}
    sql_by_queue: Counter[str] = Counter()
    for row in sql.counts(session, b, keys):
        counted = Counted(
            stage=row.stage, status=row.status, outcome=row.outcome, reason=row.reason,
            in_time=bool(row.in_time), within_objective=bool(row.within), bucket=row.bucket,
            breaches=int(row.breaches), count=int(row.n),
        )  # fmt: skip
        if row.tag in ("b", "q"):
            # Each handoff has one queue: these rows make the totals, whatever the grouping.
            if row.in_period:
                total.add_counted(counted)
                sql_by_queue[row.queue] += counted.count if counted.stage == "SQL" else 0
            if row.week >= 0:
                trend[row.week].add_counted(counted)
        if row.tag in ("b", "g"):
            if row.in_period:
                _numbers(groups, row.key).add_counted(counted)
            if row.week >= 0:
                weekly = per_group_weeks.setdefault(row.key, [GroupNumbers(row.key) for _ in starts])
                weekly[row.week].add_counted(counted)
    for (tag, part), (median, p90) in sql.quantiles(session, b, keys).items():
        target = total if tag == "t" else trend[int(part)] if tag == "w" else groups.get(part)
        if target is not None:
            target.median_touch_s, target.p90_touch_s = median, p90
    # Breaches concern the period only: a narrower scan than the trend's.
    period = sql.base(
        session, first=start, start=start, end=end, bounds=[], last=last, by=by, rep=rep, objective_s=None
    )
    for key, action, n in sql.breach_actions(session, period, keys):
        (total if key is None else _numbers(groups, key)).breach_actions[action] += n
    if rep is None:
        for group, kind, reason, n in sql.outcome_counts(session, start=start, end=end, by=by):
            for _ in range(n):
                total.add_outcome(kind, reason)
                # Only source, campaign and form are known before a lead reaches a queue.
                if group is not None:
                    _numbers(groups, group).add_outcome(kind, reason)
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
