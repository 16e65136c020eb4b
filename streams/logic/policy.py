"""The qualification policy: a YAML file both marketing and sales can read.

Rules give fit or intent points when their condition holds, disqualifiers send junk
back, stages turn a score into MQL/SQL, the routing table picks a queue, and each
queue names its reps and how it shares leads among them.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from schemas import Stage
from streams.logic.conditions import FIELDS, PLACEHOLDER, Condition, FieldName, Predicate
from streams.logic.workhours import Calendar
from streams.logic.yamlmarks import YamlSyntaxError, line_of, load_with_lines


class PolicyError(ValueError):
    """The policy file is invalid; the message names the file, line and field of every error."""


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
    version: str = ""

    def rep_queue(self, rep: str) -> str | None:
        """Return the first queue that lists the rep."""
        return next((name for name, q in self.queues.items() if rep in q.reps), None)


def _items(data: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    value = data.get(key)
    return [(i, x) for i, x in enumerate(value) if isinstance(x, dict)] if isinstance(value, list) else []


def _cross_check(data: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """Find what single fields cannot check (unknown queues and reps, duplicates), on the raw data.

    Works on the raw mapping so these errors are reported together with field errors.
    """
    errors: list[tuple[tuple[str | int, ...], str]] = []
    queues: dict[str, Any] = data["queues"] if isinstance(data.get("queues"), dict) else {}
    reps: dict[str, Any] = data["reps"] if isinstance(data.get("reps"), dict) else {}
    routing = _items(data, "routing")
    for i, route in routing:
        if route.get("queue") is None and not route.get("account_owner"):
            errors.append((("routing", i), "a routing line needs a queue (or account_owner: true)"))
        # Values of the wrong type are reported by field validation; only names are checked here.
        if isinstance(route.get("queue"), str) and route["queue"] not in queues:
            errors.append((("routing", i, "queue"), f"no queue {route['queue']!r} under 'queues'"))
    if routing:
        i, last = routing[-1]
        if last.get("when") is not None or last.get("queue") is None:
            errors.append((("routing", i),
                           "the last routing line must be a catch-all: a queue and no condition"))
    for name, queue in queues.items():
        names = queue.get("reps") if isinstance(queue, dict) else None
        for i, rep in enumerate(names if isinstance(names, list) else []):
            if isinstance(rep, str) and rep not in reps:
                errors.append((("queues", name, "reps", i), f"rep {rep!r} is not listed under 'reps'"))
    for section in ("disqualify", "rules", "stages", "routing"):
        seen: set[Any] = set()
        for i, item in _items(data, section):
            rule = item.get("rule")
            if isinstance(rule, str) and rule in seen:
                errors.append(((section, i, "rule"), f"duplicate rule name {rule!r}"))
            seen.add(rule if isinstance(rule, str) else None)
    for section in ("disqualify", "rules", "stages"):
        for i, item in _items(data, section):
            detail = item.get("detail")
            for name in PLACEHOLDER.findall(detail) if isinstance(detail, str) else []:
                if name not in FIELDS:
                    errors.append(((section, i, "detail"), f"unknown field {{{name}}} in the detail text"))
    for i, rule in _items(data, "rules"):
        per = rule.get("per")
        if isinstance(per, str) and per in FIELDS and FIELDS[per] not in ("int", "bool"):
            errors.append((("rules", i, "per"), f"per needs a count field; {per} is not one"))
    return errors


DEFAULT_POLICY = "default_policy.yaml"


def _content_hash(data: Any) -> str:
    canonical = json.dumps(_text_keys(data), sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def _text_keys(value: Any) -> Any:
    """Make every mapping key text, so keys of mixed types still sort (YAML allows `1000:`)."""
    if isinstance(value, dict):
        return {str(k): _text_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_text_keys(v) for v in value]
    return value


def _fmt(origin: str, line: int | None, loc: tuple[str | int, ...], msg: str) -> str:
    where = f"{origin}:{line}" if line else origin
    return f"{where}: {'.'.join(str(p) for p in loc) or '(top)'}: {msg}"


def parse_policy(text: str, *, origin: str = "<policy>") -> Policy:
    """Validate policy YAML; the version is the name plus a hash of the content."""
    try:
        data, lines, duplicates = load_with_lines(text)
    except YamlSyntaxError as exc:
        raise PolicyError(_fmt(origin, exc.line, (), f"not valid YAML: {exc}")) from None
    if not isinstance(data, dict):
        raise PolicyError(f"{origin}:1: (top): expected a mapping at the top level")
    data.pop("version", None)
    problems: list[tuple[int | None, tuple[str | int, ...], str]] = [
        (line, path, "duplicate key (YAML would silently keep only the last one)")
        for path, line in duplicates
    ]
    problems += [(line_of(loc, lines), loc, msg) for loc, msg in _cross_check(data)]
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        problems += [(line_of(e["loc"], lines), _visible(e["loc"], lines),
                      e["msg"].removeprefix("Value error, "))
                     for e in exc.errors(include_url=False)]
    if problems:
        problems.sort(key=lambda p: p[0] or 0)
        raise PolicyError("\n".join(_fmt(origin, line, loc, msg) for line, loc, msg in problems))
    return policy.model_copy(update={"version": f"{policy.name}@{_content_hash(data)}"})


def _visible(loc: tuple[str | int, ...], lines: dict[tuple[str, ...], int]) -> tuple[str | int, ...]:
    """Drop the location steps that are not keys in the file (validator internals)."""
    path: tuple[str, ...] = ()
    shown: list[str | int] = []
    for step in loc:
        if (*path, str(step)) in lines:
            path = (*path, str(step))
            shown.append(step)
        elif step not in ("fields", "[key]") and not str(step).startswith(("function-", "[")):
            shown.append(step)
    return tuple(shown)


def load_policy(path: Path | None = None) -> Policy:
    """Load the policy from a file, or the default policy shipped in the package."""
    if path is None:
        text = resources.files("streams.data").joinpath(DEFAULT_POLICY).read_text("utf-8")
        return parse_policy(text, origin=DEFAULT_POLICY)
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_policy(text, origin=str(path))
