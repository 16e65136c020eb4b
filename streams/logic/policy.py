"""The qualification policy: a YAML file both marketing and sales can read.

Rules give fit or intent points when their condition holds, disqualifiers send junk
back, stages turn a score into MQL/SQL, the routing table picks a queue, and each
queue names its reps and how it shares leads among them. The models are here; reading
a file is in ``streams.logic.policy_file``, the cross-checks in ``streams.logic.policy_checks``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas import Stage
from schemas.errors import PolicyError as PolicyError
from streams.logic.conditions import Condition, FieldName, Predicate
from streams.logic.workhours import Calendar


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _always(facts: Any) -> bool:
    return True


class _Guarded(_Strict):
    """Anything with an optional `when:` condition."""

    when: Condition | None = None

    def predicate(self) -> Predicate:
        """Compile the condition (no condition: always true); callers keep the result."""
        return self.when.compile() if self.when is not None else _always

    def names(self) -> list[str]:
        """Return the fields the condition reads."""
        return self.when.names() if self.when is not None else []


class Rule(_Guarded):
    """Points to fit or intent when the condition holds (or per unit of a counted field)."""

    rule: str = Field(min_length=1, max_length=100)
    score: Literal["fit", "intent"]
    points: int = Field(ge=-100, le=100)
    per: FieldName | None = None
    max: int | None = Field(default=None, ge=-100, le=100)
    group: str | None = None
    detail: str | None = None


class Disqualifier(_Guarded):
    """Junk that never reaches sales."""

    rule: str = Field(min_length=1, max_length=100)
    when: Condition
    detail: str | None = None


class StageRule(_Guarded):
    """A way to reach a stage; the first that holds wins, none means nurture.

    ``threshold: true`` adds "score at least the stage's threshold" to the condition.
    """

    rule: str = Field(min_length=1, max_length=100)
    stage: Stage
    threshold: bool = False
    detail: str | None = None


class Thresholds(_Strict):
    """Score needed for each stage (used by stage rules with ``threshold: true``)."""

    sql: int = Field(default=70, ge=0, le=100)
    mql: int = Field(default=40, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.mql > self.sql:
            raise ValueError("the mql threshold must not exceed the sql threshold")
        return self

    def of(self, stage: Stage) -> int:
        """Return the threshold of a stage."""
        return self.sql if stage is Stage.SQL else self.mql


class Route(_Guarded):
    """One line of the routing table; the first line that holds wins."""

    rule: str = Field(min_length=1, max_length=100)
    queue: str | None = None
    # Route to the queue of the matched account's owner, and pre-assign that owner.
    account_owner: bool = False


class Rep(Calendar):
    """A sales rep: their calendar, share of leads and capacity."""

    weight: float = Field(default=1.0, gt=0, le=1000)
    capacity: int | None = Field(default=None, ge=0)
    # Where the sinks reach the rep: a Slack member id (U…), a mail address, CRM owner ids.
    slack: str | None = None
    email: str | None = None
    salesforce_user_id: str | None = None
    hubspot_owner_id: str | None = None


Strategy = Literal["round_robin", "weighted", "capacity", "sticky_account"]


class QueueConfig(_Strict):
    """A sales queue: its reps, how leads are shared, and the response deadline per stage."""

    reps: list[str] = Field(default_factory=list)
    strategy: Strategy = "round_robin"
    sla_hours: dict[Stage, float] = Field(default_factory=lambda: {Stage.SQL: 4.0, Stage.MQL: 24.0})
    calendar: Calendar | None = None  # for leads nobody could be assigned


class Caps(_Strict):
    """Largest fit and intent parts; the score is their sum, at most 100."""

    fit: int = Field(default=50, ge=0, le=100)
    intent: int = Field(default=50, ge=0, le=100)


class ScorecardTargets(_Strict):
    """What marketing and sales agreed to deliver, shown as progress on the scorecard."""

    # Sales-ready (SQL) leads marketing delivers each month, per queue.
    sql_per_month: dict[str, int] = Field(default_factory=dict)
    # Share (percent) of decided leads sales should accept.
    acceptance_rate: float | None = Field(default=None, ge=0, le=100)
    # Sales first touches this share (percent) of handed-off leads within this many hours.
    first_touch_hours: float | None = Field(default=None, gt=0, le=24 * 30)
    first_touch_share: float = Field(default=90, ge=0, le=100)

    @model_validator(mode="after")
    def _positive(self) -> ScorecardTargets:
        bad = [queue for queue, n in self.sql_per_month.items() if n < 0]
        if bad:
            raise ValueError(f"sql_per_month must not be negative (queue {bad[0]!r})")
        return self


class Policy(_Strict):
    """A complete, versioned qualification policy."""

    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    caps: Caps = Field(default_factory=Caps)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    disqualify: list[Disqualifier] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    stages: list[StageRule] = Field(min_length=1)
    routing: list[Route] = Field(min_length=1)
    queues: dict[str, QueueConfig] = Field(min_length=1)
    reps: dict[str, Rep] = Field(default_factory=dict)
    default_calendar: Calendar = Field(default_factory=Calendar)
    # What to do when a handoff breaches its SLA; validated by the SLA module.
    sla: dict[str, Any] | None = None
    scorecard: ScorecardTargets = Field(default_factory=ScorecardTargets)
    version: str = ""

    def rep_queue(self, rep: str) -> str | None:
        """Return the first queue that lists the rep."""
        return next((name for name, q in self.queues.items() if rep in q.reps), None)
