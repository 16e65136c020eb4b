"""Replay leads through a policy offline, exactly as the workers would, and compare two policies.

The same functions as the live pipeline run here (``prepare`` + ``judge`` is ``decide``,
then ``assign_owner`` per queue in arrival order), decided as of each lead's submission
time so a replay is reproducible.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from schemas import DeadLetter, HandoffEvent, NurtureEvent, Reason, SourcePosition
from streams.logic.assign import Ledger
from streams.logic.enrich import Enricher
from streams.logic.lead import Lead
from streams.logic.pipeline import assign_owner, judge, prepare
from streams.logic.policy import Policy

Prepared = Lead | DeadLetter


@dataclass(frozen=True)
class Row:
    """What one input message became."""

    key: str  # event id, or the input position for a message without one
    outcome: str  # handoff, nurture, disqualified, dead_letter, duplicate
    queue: str | None = None
    stage: str | None = None
    owner: str | None = None
    score: int | None = None
    reasons: tuple[Reason, ...] = ()


def prepare_all(
    messages: Iterable[tuple[SourcePosition, bytes | None]],
    enrichers: Sequence[Enricher] = (),
) -> list[Prepared]:
    """Decode, normalise and enrich every message once (independent of the policy)."""
    now = datetime.now(UTC)
    return [prepare(raw, position, now, enrichers) for position, raw in messages]


def row_of(outcome: HandoffEvent | NurtureEvent | DeadLetter | None, key: str) -> Row:
    """Summarise one outcome (None: a duplicate event id, an idempotent no-op)."""
    if outcome is None:
        return Row(key, "duplicate")
    if isinstance(outcome, DeadLetter):
        return Row(key, "dead_letter", reasons=(Reason(rule=f"dlq.{outcome.error.value}"),))
    if isinstance(outcome, NurtureEvent):
        return Row(key, outcome.disposition.value, score=outcome.score, reasons=tuple(outcome.reasons))
    return Row(
        key,
        "handoff",
        outcome.queue,
        outcome.stage.value,
        outcome.owner,
        outcome.score,
        tuple(outcome.reasons),
    )


def run(prepared: Sequence[Prepared], policy: Policy) -> list[Row]:
    """Decide every prepared lead under the policy, assigning owners as the route stage would."""
    ledgers: dict[str, Ledger] = {}
    seen: set[str] = set()
    rows: list[Row] = []
    for i, lead in enumerate(prepared):
        if isinstance(lead, DeadLetter):
            rows.append(row_of(lead, lead.event_id or f"#{i}"))
            continue
        if lead.event_id in seen:
            rows.append(row_of(None, lead.event_id))
            continue
        seen.add(lead.event_id)
        # The owner is assigned right below, and that sets the deadline.
        outcome = judge(lead, policy, lead.submitted_at, deadline=False)
        if isinstance(outcome, HandoffEvent):
            outcome = assign_owner(outcome, policy, ledgers.setdefault(outcome.queue, Ledger()))
        rows.append(row_of(outcome, lead.event_id))
    return rows


@dataclass
class Summary:
    """Counts per outcome, queue and stage, per rule, and a score histogram."""

    total: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    queues: Counter[tuple[str, str]] = field(default_factory=Counter)
    owners: Counter[tuple[str, str]] = field(default_factory=Counter)
    rule_hits: Counter[str] = field(default_factory=Counter)
    rule_points: Counter[str] = field(default_factory=Counter)
    histogram: Counter[int] = field(default_factory=Counter)  # bucket start (0, 10, … 90) -> count


def summarise(rows: Sequence[Row]) -> Summary:
    """Count what a run produced."""
    s = Summary(total=len(rows))
    for row in rows:
        s.outcomes[row.outcome] += 1
        if row.queue is not None:
            s.queues[(row.queue, row.stage or "")] += 1
            s.owners[(row.queue, row.owner or "(unassigned)")] += 1
        if row.score is not None:
            s.histogram[min(90, row.score // 10 * 10)] += 1
        for reason in row.reasons:
            s.rule_hits[reason.rule] += 1
            s.rule_points[reason.rule] += reason.points
    return s


@dataclass(frozen=True)
class Change:
    """One lead whose outcome, queue, stage or owner differs between two policies."""

    key: str
    before: Row
    after: Row
    why: str
    # Same decision, other owner: earlier changes moved the queue's rotation along.
    rotation_only: bool = False


def _rules(row: Row) -> dict[str, int]:
    return {r.rule: r.points for r in row.reasons if not r.rule.startswith("assign.")}


def explain(before: Row, after: Row) -> str:
    """Say why a lead's result changed: score, rules gained, lost or re-weighted."""
    parts: list[str] = []
    if before.score != after.score:
        parts.append(f"score {before.score} -> {after.score}")
    old, new = _rules(before), _rules(after)
    parts += [f"+{r}" + (f" ({p:+d})" if p else "") for r, p in new.items() if r not in old]
    parts += [f"-{r}" + (f" ({-p:+d})" if p else "") for r, p in old.items() if r not in new]
    parts += [f"{r} {old[r]} -> {p}" for r, p in new.items() if r in old and old[r] != p]
    if not parts and before.owner != after.owner:
        parts.append(f"same decision; the rotation in {after.queue} shifted after earlier changes")
    return "; ".join(parts) or "assignment differs"


def _rotation_only(before: Row, after: Row) -> bool:
    return (before.outcome, before.queue, before.stage) == (
        after.outcome,
        after.queue,
        after.stage,
    ) and _rules(before) == _rules(after)


def diff(before: Sequence[Row], after: Sequence[Row]) -> list[Change]:
    """Return the leads whose outcome, queue, stage or owner would change; decisions first."""
    out: list[Change] = []
    for a, b in zip(before, after, strict=True):
        if (a.outcome, a.queue, a.stage, a.owner) != (b.outcome, b.queue, b.stage, b.owner):
            out.append(Change(a.key, a, b, explain(a, b), _rotation_only(a, b)))
    return sorted(out, key=lambda c: c.rotation_only)
