"""The scorecard as tables: the same rows for the page, its CSV downloads and the terminal.

Column titles are message ids; whoever shows a table translates them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sinks.scorecard import Scorecard
from sinks.scorecard_numbers import GroupNumbers
from streams.logic.scorecard_targets import Progress

Cell = str | int | float | None
TABLES = ("marketing", "sales", "distribution", "trend", "falling", "targets")


@dataclass(frozen=True)
class Table:
    """A titled table: ``name`` is its id in URLs, ``title`` and ``columns`` are message ids."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[list[Cell]]


def hours(seconds: float | None) -> float | None:
    """Seconds as hours with two decimals."""
    return None if seconds is None else round(seconds / 3600, 2)


def reasons(counts: Counter[str]) -> str:
    """Reason counts, most frequent first: ``spam 2; not_a_fit 1``."""
    return "; ".join(f"{k} {n}" for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _with_total(card: Scorecard) -> list[GroupNumbers]:
    return [*card.groups, card.total]


def marketing(card: Scorecard) -> Table:
    """Marketing's side: what came in and what sales made of it."""
    columns = (
        "Group", "Submissions", "Dead letters", "Disqualified", "Disqualified reasons", "Nurture",
        "Duplicates", "MQL", "SQL", "Handed off", "Accepted", "Accepted %", "Rejected", "Rejected reasons",
        "Won",
    )  # fmt: skip
    rows: list[list[Cell]] = [
        [
            g.key,
            g.submissions,
            g.dead_letters,
            g.disqualified,
            reasons(g.disqualified_by_reason),
            g.nurture,
            g.duplicates,
            g.mql,
            g.sql,
            g.handed_off,
            g.accepted,
            g.accepted_pct,
            g.rejected,
            reasons(g.rejected_by_reason),
            g.won,
        ]  # fmt: skip
        for g in _with_total(card)
    ]
    return Table("marketing", "Marketing: leads delivered", columns, rows)


def sales(card: Scorecard) -> Table:
    """Sales's side: how fast and how well the handed-off leads were worked."""
    columns = (
        "Group", "Handed off", "Median first touch (h)", "p90 first touch (h)", "Touched in time %",
        "SLA breaches", "Breach actions", "Accepted", "Won", "Won of accepted %",
    )  # fmt: skip
    rows: list[list[Cell]] = [
        [
            g.key,
            g.handed_off,
            hours(g.median_touch_s),
            hours(g.p90_touch_s),
            g.in_time_pct,
            g.breaches,
            reasons(g.breach_actions),
            g.accepted,
            g.won,
            g.won_of_accepted_pct,
        ]  # fmt: skip
        for g in _with_total(card)
    ]
    return Table("sales", "Sales: speed and outcome", columns, rows)


def distribution(card: Scorecard) -> Table:
    """How long leads waited for their first touch."""
    rows: list[list[Cell]] = [[bucket, n] for bucket, n in card.total.distribution().items()]
    return Table("distribution", "Time to first touch", ("Waited", "Leads"), rows)


def trend(card: Scorecard) -> Table:
    """Both sides week by week."""
    columns = ("Week", "Handed off", "SQL", "Accepted %", "Median first touch (h)", "Touched in time %")
    rows: list[list[Cell]] = [
        [
            w.start.date().isoformat(),
            w.numbers.handed_off,
            w.numbers.sql,
            w.numbers.accepted_pct,
            hours(w.numbers.median_touch_s),
            w.numbers.in_time_pct,
        ]  # fmt: skip
        for w in card.weeks
    ]
    return Table("trend", "Weekly trend", columns, rows)


def falling(card: Scorecard) -> Table:
    """The groups whose acceptance rate is falling."""
    rows: list[list[Cell]] = [[f.key, f.before_pct, f.after_pct] for f in card.falling]
    return Table(
        "falling", "Falling acceptance", ("Group", "Accepted % before", "Accepted % last 4 weeks"), rows
    )


def targets(progress: Sequence[Progress]) -> Table:
    """Progress on the agreed targets."""
    columns = ("Target", "Queue", "Reached", "Goal", "% of goal", "Met")
    rows: list[list[Cell]] = [
        [p.target, p.subject, p.actual, p.goal, p.pct_of_goal, "yes" if p.met else "no"] for p in progress
    ]
    return Table("targets", "Targets", columns, rows)


def all_tables(card: Scorecard, progress: Sequence[Progress]) -> dict[str, Table]:
    """Every table of the scorecard by name."""
    return {
        "marketing": marketing(card),
        "sales": sales(card),
        "distribution": distribution(card),
        "trend": trend(card),
        "falling": falling(card),
        "targets": targets(progress),
    }
