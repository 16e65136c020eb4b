"""Open leads per rep, from the sales queue store plus what was assigned since the last look."""

from __future__ import annotations

import logging
from collections import Counter

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from sinks.store import make_engine
from sinks.workload import open_by_owner

log = logging.getLogger(__name__)


def load_open_counts(database_url: str) -> dict[tuple[str, str], int] | None:
    """Read open leads per (queue, owner); None when the store cannot be read."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return open_by_owner(session=session)
    except SQLAlchemyError as exc:
        log.warning("open leads per rep not loaded (%s); capacity counts assignments only",
                    type(exc).__name__)
        return None
    finally:
        engine.dispose()


class Workload:
    """The store's count at the last refresh plus this worker's assignments since then.

    Handoffs still on their way to the store at a refresh are missed until the next one,
    so a rep can briefly exceed their capacity by the leads in flight.
    """

    def __init__(self) -> None:
        self._stored: dict[tuple[str, str], int] = {}
        self._since: Counter[tuple[str, str]] = Counter()

    def refresh(self, stored: dict[tuple[str, str], int] | None) -> None:
        """Take a new count from the store (None: keep counting from the old one)."""
        if stored is not None:
            self._stored, self._since = stored, Counter()

    def assigned(self, queue: str, owner: str | None) -> None:
        """Count an assignment made by this worker."""
        if owner is not None:
            self._since[(queue, owner)] += 1

    def open_counts(self, queue: str, reps: list[str]) -> dict[str, int]:
        """Open leads of each rep of a queue."""
        return {r: self._stored.get((queue, r), 0) + self._since[(queue, r)] for r in reps}
