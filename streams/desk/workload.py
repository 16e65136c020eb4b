"""Open leads per rep, from the sales queue store plus what was assigned since the last look."""

from __future__ import annotations

from collections import Counter

from sinks.store import read_or
from sinks.workload import open_by_owner


def load_open_counts(database_url: str) -> dict[tuple[str, str], int] | None:
    """Read open leads per (queue, owner); None when the store cannot be read."""
    return read_or(
        database_url,
        lambda session: open_by_owner(session=session),
        fallback=None,
        what="open leads per rep",
        meanwhile="capacity counts assignments only",
    )


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
