"""Compute the scorecard for the page and the command: one read of the store, targets from the policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from schemas.errors import StoreError
from sinks.scorecard import Scorecard, scorecard
from streams.logic.policy import Policy
from streams.logic.scorecard_targets import Progress, progress


@dataclass(frozen=True)
class Report:
    """A scorecard with the progress on the policy's targets."""

    card: Scorecard
    progress: list[Progress]
    tz: ZoneInfo


def _objective(policy: Policy) -> float | None:
    hours = policy.scorecard.first_touch_hours
    return None if hours is None else hours * 3600


def build_report(
    *,
    engine: Engine,
    policy: Policy,
    start: datetime,
    end: datetime,
    by: str,
    tz: ZoneInfo,
    rep: str | None = None,
    weeks: int = 12,
    now: datetime | None = None,
) -> Report:
    """Read the scorecard of [start, end) and measure it against the policy's targets.

    The trend ends with the current week (``now``), not with weeks still to come.
    """
    try:
        with Session(engine) as session:
            card = scorecard(
                session=session, start=start, end=end, by=by, tz=tz, rep=rep, weeks=weeks,
                trend_end=min(end, now or datetime.now(UTC)), objective_s=_objective(policy),
            )  # fmt: skip
    except (OperationalError, ProgrammingError) as exc:
        raise StoreError(
            f"cannot read the scorecard ({type(exc.orig).__name__}): if the database is not migrated, "
            "run `handoff db upgrade`"
        ) from None
    done = progress(
        policy.scorecard,
        start=start,
        end=end,
        sql_by_queue=card.sql_by_queue,
        accepted_pct=card.total.accepted_pct,
        touched_within_objective=card.total.touched_within_objective,
        handed_off=card.total.handed_off,
    )
    return Report(card, done, tz)
