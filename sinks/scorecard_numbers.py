"""The numbers of one scorecard group, and how a handoff or an early outcome adds to them."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
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


def p90(values: list[float]) -> float | None:
    """The 90th percentile by nearest rank: the value 90 % of the list is at or below."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def bucket_of(seconds: float) -> str:
    """The first-touch bucket a wait falls into."""
    return next(name for name, upper in TOUCH_BUCKETS if seconds < upper)


@dataclass
class Handed:
    """What the scorecard needs of one handoff row."""

    stage: str
    status: str
    reason: str | None
    outcome: str | None
    submitted_at: datetime
    first_touch_at: datetime | None
    sla_due_at: datetime
    breaches: int


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
    touch_seconds: list[float] = field(default_factory=list, repr=False)

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

    @property
    def median_touch_s(self) -> float | None:
        """Median seconds from submission to first touch, over touched leads."""
        return statistics.median(self.touch_seconds) if self.touch_seconds else None

    @property
    def p90_touch_s(self) -> float | None:
        """90th percentile of seconds from submission to first touch."""
        return p90(self.touch_seconds)

    def distribution(self) -> dict[str, int]:
        """How many leads were first touched within each bucket, and how many not at all."""
        counts = Counter(bucket_of(s) for s in self.touch_seconds)
        out = {name: counts[name] for name, _ in TOUCH_BUCKETS}
        out[NOT_TOUCHED] = self.handed_off - len(self.touch_seconds)
        return out

    def add_handoff(self, row: Handed) -> None:
        """Count one handoff row."""
        if row.stage == "SQL":
            self.sql += 1
        else:
            self.mql += 1
        if row.status == "rejected":
            self.rejected += 1
            self.rejected_by_reason[row.reason or "(none)"] += 1
        elif row.status in ("accepted", "closed"):
            self.accepted += 1
        self.won += row.outcome == "won"
        self.breaches += row.breaches
        if row.first_touch_at is not None:
            self.touch_seconds.append((row.first_touch_at - row.submitted_at).total_seconds())
            self.touched_in_time += row.breaches == 0 and row.first_touch_at <= row.sla_due_at

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
