"""The scorecard's SQL: every count and order statistic computed in the database, on both backends.

The page must answer in under 2 s over a million handoffs, so rows never travel to Python:
one statement groups the period's handoffs into alike kinds, one picks the exact medians
and 90th percentiles with window functions, and small ones count breaches and early outcomes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Float,
    Integer,
    String,
    Subquery,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy import tuple_ as sql_tuple
from sqlalchemy.orm import Session

from sinks.models import HandoffRule, LeadOutcome, QueueItem, SlaBreachRecord
from sinks.scorecard_numbers import TOUCH_BUCKETS

NONE = "(none)"
UNASSIGNED = "(unassigned)"
_KEY = {"source": QueueItem.utm_source, "campaign": QueueItem.utm_campaign, "form": QueueItem.form_id}


def _seconds(session: Session, later: Any, earlier: Any) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.round(cast(func.extract("epoch", later - earlier), Float)), Float)
    return cast(func.round((func.julianday(later) - func.julianday(earlier)) * 86400.0), Float)


def _key_column(by: str) -> Any:
    if by == "queue":
        return QueueItem.queue
    if by == "rep":
        return func.coalesce(QueueItem.owner, UNASSIGNED)
    return func.coalesce(_KEY.get(by, QueueItem.queue), NONE)


def base(
    session: Session,
    *,
    first: datetime,
    start: datetime,
    end: datetime,
    bounds: Sequence[datetime],
    last: datetime,
    by: str,
    rep: str | None,
    objective_s: float | None,
) -> Subquery:
    """One row per handoff submitted in [first, end): what the scorecard counts about it."""
    q = QueueItem
    touch = _seconds(session, q.first_touch_at, q.submitted_at)
    touched = q.first_touch_at.is_not(None)
    upper = [(touched & (touch < limit), name) for name, limit in TOUCH_BUCKETS if limit != float("inf")]
    weeks = [
        (and_(q.submitted_at >= b, q.submitted_at < last), i) for i, b in reversed(list(enumerate(bounds)))
    ]
    within = touched & (touch <= objective_s) if objective_s is not None else literal(False)
    key = _key_column(by) if by != "rule" else literal(NONE)
    stmt = select(
        q.handoff_id.label("handoff_id"),
        key.label("key"),
        q.queue.label("queue"),
        q.stage.label("stage"),
        q.status.label("status"),
        q.outcome.label("outcome"),
        case((q.status == "rejected", q.reason), else_=None).label("reason"),
        q.breaches.label("breaches"),
        case((touched & (q.breaches == 0) & (q.first_touch_at <= q.sla_due_at), 1), else_=0).label("in_time"),
        case((within, 1), else_=0).label("within"),
        case((touched, touch), else_=None).label("touch"),
        case(*upper, (touched, TOUCH_BUCKETS[-1][0]), else_=None).label("bucket"),
        case((q.submitted_at >= start, 1), else_=0).label("in_period"),
        (case(*weeks, else_=-1) if weeks else literal(-1)).label("week"),
    ).where(q.submitted_at >= first, q.submitted_at < end)
    if rep is not None:
        stmt = stmt.where(q.owner == rep)
    return stmt.subquery("base")


def rule_keys(session: Session, *, first: datetime, end: datetime) -> CTE:
    """(handoff_id, rule) for the handoffs of [first, end)."""
    r, q = HandoffRule, QueueItem
    stmt = (
        select(r.handoff_id.label("handoff_id"), r.rule.label("rule"))
        .join(q, q.handoff_id == r.handoff_id)
        .where(q.submitted_at >= first, q.submitted_at < end)
    )
    return stmt.cte("rule_keys")


def _counted(b: Subquery, key: Any, queue: Any, source: Any, tag: str) -> Any:
    cols = (b.c.in_period, b.c.week, key, queue, b.c.stage, b.c.status, b.c.outcome, b.c.reason,
            b.c.in_time, b.c.within, b.c.bucket)  # fmt: skip
    return (
        select(literal(tag).label("tag"), *cols[:2], key.label("key"), queue.label("queue"), *cols[4:],
               cast(func.sum(b.c.breaches), Integer).label("breaches"), func.count().label("n"))
        .select_from(source)
        .group_by(*cols)
    )  # fmt: skip


def counts(session: Session, b: Subquery, keys: CTE | None) -> list[Any]:
    """Alike handoffs counted: tag ``b`` rows count for their group and the totals (one scan);
    with rules, tag ``g`` rows per rule and tag ``q`` rows (per queue) for the totals."""
    if keys is None:
        return list(session.execute(_counted(b, b.c.key, b.c.queue, b, "b")))
    by_rule = _counted(b, keys.c.rule, literal(""), b.join(keys, keys.c.handoff_id == b.c.handoff_id), "g")
    return list(session.execute(by_rule.union_all(_counted(b, b.c.queue, b.c.queue, b, "q"))))


def _ranked(b: Subquery, part: Any, where: Any, tag: str, source: Any) -> Any:
    return (
        select(
            literal(tag).label("tag"),
            cast(part, String).label("part"),
            b.c.touch.label("touch"),
            func.row_number().over(partition_by=part, order_by=b.c.touch).label("rn"),
            func.count().over(partition_by=part).label("n"),
        )
        .select_from(source)
        .where(b.c.touch.is_not(None), where)
    )


def _pg_quantiles(
    session: Session, b: Subquery, keys: CTE | None
) -> dict[tuple[str, str], tuple[float, float]]:
    """PostgreSQL's ordered-set aggregates, every grouping in one scan."""
    key, source = (
        (b.c.key, b) if keys is None else (keys.c.rule, b.join(keys, keys.c.handoff_id == b.c.handoff_id))
    )
    median = func.percentile_cont(0.5).within_group(b.c.touch)
    p90 = func.percentile_disc(0.9).within_group(b.c.touch)
    sets = func.grouping_sets(sql_tuple(b.c.in_period, key), sql_tuple(b.c.in_period), sql_tuple(b.c.week))
    stmt = (
        select(func.grouping(key).label("no_key"), func.grouping(b.c.week).label("no_week"), b.c.in_period,
               key.label("key"), b.c.week, median, p90)
        .select_from(source)
        .where(b.c.touch.is_not(None))
        .group_by(sets)
    )  # fmt: skip
    out: dict[tuple[str, str], tuple[float, float]] = {}
    for no_key, no_week, in_period, k, week, med, p in session.execute(stmt):
        if not no_week:
            if week >= 0:
                out[("w", str(week))] = (float(med), float(p))
        elif in_period == 1:
            out[("t", "total") if no_key else ("g", k)] = (float(med), float(p))
    return out


def quantiles(session: Session, b: Subquery, keys: CTE | None) -> dict[tuple[str, str], tuple[float, float]]:
    """(tag, part) -> (median, p90) of first-touch seconds: per group, in total and per week.

    The median averages the two middle values of an even count; the 90th percentile is the
    nearest rank. PostgreSQL has aggregates for both; elsewhere window functions pick the ranks.
    """
    if session.get_bind().dialect.name == "postgresql" and keys is None:
        return _pg_quantiles(session, b, keys)
    if keys is None:
        per_group = _ranked(b, b.c.key, b.c.in_period == 1, "g", b)
    else:
        per_group = _ranked(
            b, keys.c.rule, b.c.in_period == 1, "g", b.join(keys, keys.c.handoff_id == b.c.handoff_id)
        )
    ranked = per_group.union_all(
        _ranked(b, literal("total"), b.c.in_period == 1, "t", b), _ranked(b, b.c.week, b.c.week >= 0, "w", b)
    ).subquery()
    n, rn = ranked.c.n, ranked.c.rn
    picks = select(ranked.c.tag, ranked.c.part, ranked.c.touch, rn, n).where(
        or_(rn == (n + 1) // 2, rn == n // 2 + 1, rn == (9 * n + 9) // 10)
    )
    found: dict[tuple[str, str], dict[int, float]] = {}
    sizes: dict[tuple[str, str], int] = {}
    for tag, part, touch, r, size in session.execute(picks):
        found.setdefault((tag, part), {})[r] = float(touch)
        sizes[(tag, part)] = size
    out = {}
    for key, values in found.items():
        size = sizes[key]
        median = (values[(size + 1) // 2] + values[size // 2 + 1]) / 2
        out[key] = (median, values[(9 * size + 9) // 10])
    return out


def breach_actions(session: Session, b: Subquery, keys: CTE | None) -> list[tuple[str | None, str, int]]:
    """(group, action, count) of the SLA breaches of the period's handoffs; group None is the total."""
    S = SlaBreachRecord  # noqa: N806 - a short alias keeps the joins readable
    joined = S.__table__.join(b, S.handoff_id == b.c.handoff_id)
    key = b.c.key
    if keys is not None:
        joined, key = joined.join(keys, keys.c.handoff_id == b.c.handoff_id), keys.c.rule
    per_group = (
        select(literal("g"), key, S.action, func.count())
        .select_from(joined)
        .where(b.c.in_period == 1)
        .group_by(key, S.action)
    )
    rows = session.execute(per_group)
    out: list[tuple[str | None, str, int]] = []
    totals: dict[str, int] = {}
    for _tag, k, action, n in rows:
        out.append((k, action, int(n)))
        totals[action] = totals.get(action, 0) + int(n)
    if keys is None:
        # Each breach is in exactly one group: the total is their sum.
        out += [(None, action, n) for action, n in totals.items()]
    else:
        total = select(S.action, func.count()).select_from(
            S.__table__.join(b, S.handoff_id == b.c.handoff_id)
        )
        total = total.where(b.c.in_period == 1).group_by(S.action)
        out += [(None, action, int(n)) for action, n in session.execute(total)]
    return out


def outcome_counts(
    session: Session, *, start: datetime, end: datetime, by: str
) -> list[tuple[str | None, str, str | None, int]]:
    """(group or None, kind, reason, count) of the submissions of [start, end) that never reached sales."""
    o = LeadOutcome
    column = {"source": o.utm_source, "campaign": o.utm_campaign, "form": o.form_id}.get(by)
    key = func.coalesce(column, NONE) if column is not None else literal(None, String)
    stmt = (
        select(key, o.kind, o.reason, func.count())
        .where(o.at >= start, o.at < end)
        .group_by(key, o.kind, o.reason)
    )
    return [(k, kind, reason, int(n)) for k, kind, reason, n in session.execute(stmt)]
