"""The numbers of one scorecard group, and how a handoff or an early outcome adds to them."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# Upper bounds (seconds) of the first-touch distribution's buckets; the last is open-ended.
TOUCH_BUCKETS: tuple[tuple[str, float], ...] = (
    ("<5m", 5 * 60),
    ("5-15m", 15 * 60),
    ("15-60m", 3600),
    ("1-4h", 4 * 3600),
    ("4-24h", 24 * 3600),
    ("1-3d", 72 * 3600),
    (">3d", math.inf),
)
NOT_TOUCHED = "not touched"


def percent(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent, None when there is nothing to divide."""
    return round(100 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class Counted:
    """Handoffs alike in everything the scorecard counts, and how many there are (one SQL group)."""

    stage: str
    status: str
    outcome: str | None
    reason: str | None
    in_time: bool
    within_objective: bool
    bucket: str | None  # first-touch bucket; None when not touched
    breaches: int  # summed over the group
    count: int


@dataclass
class GroupNumbers:
    """Marketing's and sales's numbers for one group (or the total) over a period."""

    key: str
    dead_letters: int = 0
    disqualified: int = 0
    disqualified_by_reason: Counter[str] = field(default_factory=Counter)
    nurture: int = 0
    duplicates: int = 0
    mql: int = 0
    sql: int = 0
    accepted: int = 0
    rejected: int = 0
    rejected_by_reason: Counter[str] = field(default_factory=Counter)
    won: int = 0
    touched_in_time: int = 0
    breaches: int = 0
    breach_actions: Counter[str] = field(default_factory=Counter)
    touched: int = 0
    touched_within_objective: int = 0
    buckets: Counter[str] = field(default_factory=Counter)
    # Set from the store's order statistics (exact, computed in SQL).
    median_touch_s: float | None = None
    p90_touch_s: float | None = None

    @property
    def handed_off(self) -> int:
        """Leads that reached a sales queue."""
        return self.mql + self.sql

    @property
    def submissions(self) -> int:
        """Every submission: handed off, nurtured, disqualified, duplicate or dead-lettered."""
        return self.handed_off + self.nurture + self.disqualified + self.duplicates + self.dead_letters

    @property
    def accepted_pct(self) -> float | None:
        """Accepted share of the leads sales decided on."""
        return percent(self.accepted, self.accepted + self.rejected)

    @property
    def in_time_pct(self) -> float | None:
        """Share of handed-off leads first touched before their deadline."""
        return percent(self.touched_in_time, self.handed_off)

    @property
    def won_of_accepted_pct(self) -> float | None:
        """Won share of the accepted leads."""
        return percent(self.won, self.accepted)

    def distribution(self) -> dict[str, int]:
        """How many leads were first touched within each bucket, and how many not at all."""
        out = {name: self.buckets[name] for name, _ in TOUCH_BUCKETS}
        out[NOT_TOUCHED] = self.handed_off - self.touched
        return out

    def add_counted(self, row: Counted) -> None:
        """Count a group of alike handoffs."""
        n = row.count
        if row.stage == "SQL":
            self.sql += n
        else:
            self.mql += n
        if row.status == "rejected":
            self.rejected += n
            self.rejected_by_reason[row.reason or "(none)"] += n
        elif row.status in ("accepted", "closed"):
            self.accepted += n
        self.won += n if row.outcome == "won" else 0
        self.breaches += row.breaches
        if row.bucket is not None:
            self.touched += n
            self.buckets[row.bucket] += n
            self.touched_in_time += n if row.in_time else 0
            self.touched_within_objective += n if row.within_objective else 0

    def add_outcome(self, kind: str, reason: str | None) -> None:
        """Count one submission that never reached sales."""
        if kind == "dead_letter":
            self.dead_letters += 1
        elif kind == "disqualified":
            self.disqualified += 1
            self.disqualified_by_reason[reason or "(none)"] += 1
        elif kind == "duplicate":
            self.duplicates += 1
        else:
            self.nurture += 1

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form: every number of the group."""
        return {
            "key": self.key,
            "submissions": self.submissions,
            "dead_letters": self.dead_letters,
            "disqualified": self.disqualified,
            "disqualified_by_reason": dict(sorted(self.disqualified_by_reason.items())),
            "nurture": self.nurture,
            "duplicates": self.duplicates,
            "mql": self.mql,
            "sql": self.sql,
            "handed_off": self.handed_off,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "accepted_pct": self.accepted_pct,
            "rejected_by_reason": dict(sorted(self.rejected_by_reason.items())),
            "won": self.won,
            "won_of_accepted_pct": self.won_of_accepted_pct,
            "median_first_touch_s": self.median_touch_s,
            "p90_first_touch_s": self.p90_touch_s,
            "touched_in_time": self.touched_in_time,
            "in_time_pct": self.in_time_pct,
            "sla_breaches": self.breaches,
            "breach_actions": dict(sorted(self.breach_actions.items())),
        }
