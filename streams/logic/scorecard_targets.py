"""Progress against the policy's scorecard targets: pure arithmetic on the period's numbers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from streams.logic.policy import ScorecardTargets

_MONTH_DAYS = 365.25 / 12


@dataclass(frozen=True)
class Progress:
    """One target: what was reached, what was agreed for the period, and whether it holds."""

    target: str  # msgid of the target's name
    subject: str  # the queue, or "" for the whole scorecard
    actual: float | None
    goal: float
    met: bool

    @property
    def pct_of_goal(self) -> float | None:
        """How far along the goal is, in percent (capped at nothing: 130 means 30 % over)."""
        if self.actual is None:
            return None
        return round(100 * self.actual / self.goal, 1) if self.goal else 100.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "target": self.target,
            "subject": self.subject,
            "actual": self.actual,
            "goal": self.goal,
            "met": self.met,
            "pct_of_goal": self.pct_of_goal,
        }


def prorated(monthly: int, start: datetime, end: datetime) -> float:
    """A monthly target scaled to the period's length (a calendar month counts as one)."""
    days = (end - start).total_seconds() / 86400
    months = 1.0 if 28 <= days <= 31 else days / _MONTH_DAYS
    return round(monthly * months, 1)


def progress(
    targets: ScorecardTargets,
    *,
    start: datetime,
    end: datetime,
    sql_by_queue: Mapping[str, int],
    accepted_pct: float | None,
    touched_within_objective: int,
    handed_off: int,
) -> list[Progress]:
    """Progress on every target the policy sets, queues in the policy's order.

    ``touched_within_objective`` counts the leads first touched within ``first_touch_hours``.
    """
    out = [
        Progress(
            "SQL delivered",
            queue,
            float(sql_by_queue.get(queue, 0)),
            goal,
            sql_by_queue.get(queue, 0) >= goal,
        )
        for queue, goal in ((q, prorated(n, start, end)) for q, n in targets.sql_per_month.items())
    ]
    if targets.acceptance_rate is not None:
        goal = targets.acceptance_rate
        out.append(Progress("Acceptance rate", "", accepted_pct, goal, (accepted_pct or 0) >= goal))
    if targets.first_touch_hours is not None:
        share = round(100 * touched_within_objective / handed_off, 1) if handed_off else None
        goal = targets.first_touch_share
        out.append(Progress("First touch in time", "", share, goal, (share or 0) >= goal))
    return out
