"""Owner assignment inside a queue, and the response deadline counted in the owner's working hours.

The ledger is the queue's memory (turn, leads per rep, open leads per rep, account to
rep); it is plain JSON so it can live in a changelog-backed table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from schemas import Reason, Stage
from streams.logic.policy import Policy, QueueConfig, Rep
from streams.logic.reasons import shared_reason
from streams.logic.workhours import Calendar, add_working_hours

# Sticky-account memory per queue; the oldest accounts are forgotten first.
MAX_STICKY_ACCOUNTS = 50_000


@dataclass
class Ledger:
    """One queue's assignment memory."""

    cursor: int = 0
    assigned: dict[str, int] = field(default_factory=dict)
    open: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | int | None) -> Ledger:
        """Rebuild from table state (an int is the count kept by older workers)."""
        if not isinstance(data, Mapping):
            return cls(cursor=int(data or 0))
        return cls(
            int(data.get("cursor", 0)),
            dict(data.get("assigned", {})),
            dict(data.get("open", {})),
            dict(data.get("accounts", {})),
        )

    def to_json(self) -> dict[str, Any]:
        """Return the state as JSON-ready data."""
        return {
            "cursor": self.cursor,
            "assigned": self.assigned,
            "open": self.open,
            "accounts": self.accounts,
        }

    def record(self, owner: str, *, cursor: int | None, account_key: str | None) -> None:
        """Remember an assignment."""
        if cursor is not None:
            self.cursor = cursor
        self.assigned[owner] = self.assigned.get(owner, 0) + 1
        self.open[owner] = self.open.get(owner, 0) + 1
        if account_key:
            self.accounts.pop(account_key, None)
            self.accounts[account_key] = owner
            if len(self.accounts) > MAX_STICKY_ACCOUNTS:
                self.accounts.pop(next(iter(self.accounts)))

    def release(self, owner: str) -> None:
        """Forget one open lead of a rep (the lead was closed, accepted or rejected)."""
        if self.open.get(owner, 0) > 0:
            self.open[owner] -= 1


@dataclass(frozen=True)
class Assignment:
    """Who gets the lead, why, and where the rotation stands afterwards."""

    owner: str | None
    reason: Reason
    cursor: int | None = None


def round_robin(reps: list[str], assigned_so_far: int) -> str | None:
    """Return the rep whose turn it is after ``assigned_so_far`` assignments (no days off)."""
    return reps[assigned_so_far % len(reps)] if reps else None


def _available(name: str, reps: Mapping[str, Rep], now: datetime) -> bool:
    rep = reps.get(name)
    if rep is None:
        return False
    return not rep.out_of_office or not rep.away_on(now.astimezone(rep.zone()).date())


def _rotate(queue: QueueConfig, ledger: Ledger, ok: list[bool]) -> tuple[str, int] | None:
    n = len(queue.reps)
    for step in range(n):
        i = (ledger.cursor + step) % n
        if ok[i]:
            return queue.reps[i], (i + 1) % n
    return None


def choose_owner(
    queue: QueueConfig,
    reps: Mapping[str, Rep],
    ledger: Ledger,
    *,
    now: datetime,
    account_key: str | None = None,
    preassigned: str | None = None,
    open_counts: Mapping[str, int] | None = None,
) -> Assignment:
    """Pick the rep for the next lead of a queue (pure: the ledger is only read).

    ``open_counts`` are the reps' open leads for the capacity strategy (default: the
    ledger's own count of assignments).
    """
    strategy = queue.strategy
    if preassigned is not None:
        if _available(preassigned, reps, now):
            return Assignment(
                preassigned, shared_reason("assign.account_owner", detail=f"{preassigned} owns the account")
            )
        note = f"account owner {preassigned} is out of office; "
    else:
        note = ""
    ok = [_available(r, reps, now) for r in queue.reps]
    if strategy == "capacity":
        held = ledger.open if open_counts is None else open_counts
        ok = [
            a and (reps[r].capacity is None or held.get(r, 0) < (reps[r].capacity or 0))
            for a, r in zip(ok, queue.reps, strict=True)
        ]
    if not any(ok):
        why = "no reps in the queue" if not queue.reps else "every rep is away or at capacity"
        return Assignment(None, shared_reason("assign.unassigned", detail=note + why))
    if strategy == "sticky_account" and account_key:
        previous = ledger.accounts.get(account_key)
        if previous in queue.reps and ok[queue.reps.index(previous)]:
            return Assignment(
                previous,
                shared_reason("assign.sticky_account", detail=f"{note}{previous} had this account before"),
            )
    if strategy == "weighted":
        candidates = [r for r, a in zip(queue.reps, ok, strict=True) if a]
        owner = min(candidates, key=lambda r: (ledger.assigned.get(r, 0) + 1) / reps[r].weight)
        return Assignment(
            owner, shared_reason("assign.weighted", detail=f"{note}{owner} (weight {reps[owner].weight:g})")
        )
    picked = _rotate(queue, ledger, ok)
    assert picked is not None  # noqa: S101 - any(ok) above
    owner, cursor = picked
    return Assignment(owner, shared_reason(f"assign.{strategy}", detail=f"{note}{owner}'s turn"), cursor)


def calendar_for(policy: Policy, queue: QueueConfig | None, owner: str | None) -> Calendar:
    """Return the calendar a deadline is counted in: the owner's, else the queue's, else the default."""
    if owner is not None and owner in policy.reps:
        return policy.reps[owner]
    if queue is not None and queue.calendar is not None:
        return queue.calendar
    return policy.default_calendar


def sla_due(
    policy: Policy, queue: QueueConfig | None, stage: Stage, owner: str | None, qualified_at: datetime
) -> datetime:
    """Return when sales must have acted: SLA hours counted in working hours."""
    hours = queue.sla_hours.get(stage, 24.0) if queue is not None else 24.0
    return add_working_hours(qualified_at, hours, calendar_for(policy, queue, owner))
