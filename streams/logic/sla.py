"""SLA breaches: what to do when nobody acted on a handoff before its deadline.

Read from the policy file's ``sla:`` section, for example::

    sla:
      max_breaches: 3              # after this many, only notify
      default: {action: reassign, extend_hours: 1}
      queues:
        enterprise: {action: escalate, to_queue: inside-sales, extend_hours: 2}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from schemas import SlaAction
from streams.logic.policy import Policy, PolicyError


class QueueSla(BaseModel):
    """What happens to a queue's handoffs past their deadline."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: SlaAction = SlaAction.NOTIFY
    to_queue: str | None = None
    extend_hours: float = Field(default=1.0, gt=0, le=720)

    @model_validator(mode="after")
    def _escalation_has_target(self) -> QueueSla:
        if (self.action == SlaAction.ESCALATE) != (self.to_queue is not None):
            raise ValueError("to_queue is required for action escalate, and only for it")
        return self


class SlaPolicy(BaseModel):
    """The policy's ``sla:`` section."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: QueueSla = Field(default_factory=QueueSla)
    queues: dict[str, QueueSla] = Field(default_factory=dict)
    max_breaches: int = Field(default=3, ge=1, le=100)

    def for_queue(self, queue: str) -> QueueSla:
        """The rule of one queue."""
        return self.queues.get(queue, self.default)


def sla_policy(policy: Policy) -> SlaPolicy:
    """Parse and check the ``sla:`` section; a missing section means notify only."""
    try:
        sla = SlaPolicy.model_validate(policy.sla or {})
    except ValidationError as exc:
        raise PolicyError(
            "\n".join(
                f"sla.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False)
            )
        ) from None
    named = set(sla.queues) | {q.to_queue for q in (sla.default, *sla.queues.values()) if q.to_queue}
    unknown = sorted(named - set(policy.queues))
    if unknown:
        raise PolicyError(f"sla: names queues with no entry under 'queues': {unknown}")
    return sla


@dataclass(frozen=True)
class Overdue:
    """A handoff past its deadline, as the check found it."""

    handoff_id: str
    queue: str
    owner: str | None
    due_at: datetime
    breaches: int


@dataclass(frozen=True)
class BreachDecision:
    """What to do about one missed deadline."""

    action: SlaAction
    to_owner: str | None
    to_queue: str
    new_due_at: datetime | None


def next_rep(roster: Sequence[str], owner: str | None) -> str | None:
    """The rep after ``owner`` in the roster (the first when the owner is not on it)."""
    if not roster:
        return None
    if owner is None or owner not in roster:
        return roster[0]
    return roster[(list(roster).index(owner) + 1) % len(roster)]


def decide_breach(
    item: Overdue, sla: SlaPolicy, rosters: Mapping[str, Sequence[str]], now: datetime
) -> BreachDecision:
    """Decide the action for a missed deadline; falls back to notify when it cannot act."""
    notify = BreachDecision(SlaAction.NOTIFY, item.owner, item.queue, None)
    if item.breaches + 1 >= sla.max_breaches:
        return notify
    rule = sla.for_queue(item.queue)
    due = now + timedelta(hours=rule.extend_hours)
    if rule.action == SlaAction.REASSIGN:
        rep = next_rep(rosters.get(item.queue, ()), item.owner)
        if rep is None or rep == item.owner:
            return notify  # nobody else to give it to
        return BreachDecision(SlaAction.REASSIGN, rep, item.queue, due)
    if rule.action == SlaAction.ESCALATE and rule.to_queue and rule.to_queue != item.queue:
        return BreachDecision(SlaAction.ESCALATE, None, rule.to_queue, due)
    return notify
