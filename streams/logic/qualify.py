"""Score a lead against the policy and decide where it goes, with a reason for every point."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from schemas import Disposition, Reason, Stage
from streams.logic.conditions import FIELDS, PLACEHOLDER, Predicate
from streams.logic.facts import lead_facts
from streams.logic.lead import Lead
from streams.logic.policy import Policy, Route, Rule
from streams.logic.reasons import shared_reason


@dataclass(frozen=True)
class Decision:
    """The policy's verdict on one lead."""

    disposition: Disposition | None  # None means: hand off to sales
    stage: Stage | None
    score: int
    fit: int
    intent: int
    reasons: list[Reason] = field(default_factory=list)
    queue: str | None = None
    owner: str | None = None  # set when the route pre-assigns the account owner


Formatter = Callable[[dict[str, Any]], str]


@functools.lru_cache(maxsize=1024)
def _formatter(template: str | None, names: tuple[str, ...]) -> Formatter:
    """Compile a detail text: its ``{field}`` placeholders, or "field value, …" without a template."""
    if template:
        # split() alternates literal text and placeholder names: "a {x} b" -> ["a ", "x", " b"].
        parts = PLACEHOLDER.split(template)
        if len(parts) == 1:
            return lambda facts: template
        if len(parts) == 3:
            head, name, tail = parts
            return lambda facts: head + _show(facts.get(name)) + tail
        literals, fields = parts[0::2], parts[1::2]

        def fill(facts: dict[str, Any]) -> str:
            out = [literals[0]]
            for name, literal in zip(fields, literals[1:], strict=True):
                out += (_show(facts.get(name)), literal)
            return "".join(out)

        return fill
    return lambda facts: ", ".join([f"{n} {_show(facts.get(n))}" for n in names])


def _show(value: Any) -> str:
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    name = getattr(value, "name", None)
    return str(name if name is not None and not isinstance(value, str) else value)


@dataclass(frozen=True)
class _Step:
    """A policy line compiled for speed: its condition, and what it says."""

    item: Any  # Rule, Disqualifier, StageRule or Route
    test: Predicate
    names: tuple[str, ...]
    detail: Formatter


@dataclass(frozen=True)
class _Points:
    """A scoring rule compiled for speed."""

    rule: str
    test: Predicate
    group: str | None
    points: int
    per: str | None
    max: int | None
    unit: str
    detail: Formatter
    fixed: str | None  # the detail text of a counted rule, when the policy gives one
    # A run of rules of one group that each test one field for one value ("form: pricing"):
    # a lookup of the lead's value instead of a test per rule.
    field: str = ""
    text: bool = False
    choices: dict[Any, _Points] | None = None


@dataclass(frozen=True)
class Plan:
    """A policy compiled once: plain predicates instead of models."""

    rules: tuple[_Points, ...]
    disqualify: tuple[_Step, ...]
    stages: tuple[_Step, ...]
    routing: tuple[_Step, ...]
    kinds: dict[str, str]


_PLANS: dict[str, Plan] = {}


def _step(item: Any, template: str | None) -> _Step:
    names = tuple(item.names())
    return _Step(item, item.predicate(), names, _formatter(template, names))


def _points_of(rule: Rule) -> _Points:
    names = tuple(rule.names())
    unit = rule.per.rsplit(".", 1)[-1].replace("_", " ") if rule.per else ""
    return _Points(
        rule.rule,
        rule.predicate(),
        rule.group,
        rule.points,
        rule.per,
        rule.max,
        unit,
        _formatter(rule.detail, names),
        rule.detail,
    )


def _choice(step: _Points, rule: Rule) -> tuple[str, Any] | None:
    """The field and the value a rule tests for, if that is all its condition says."""
    if step.per is not None or step.group is None or rule.when is None:
        return None
    return rule.when.single_value()


def _scoring_steps(rules: Sequence[Rule]) -> tuple[_Points, ...]:
    """Compile the scoring rules, folding runs of one group's one-value tests into lookups."""
    out: list[_Points] = []
    run: list[tuple[_Points, str, Any]] = []

    def flush() -> None:
        if len(run) < 2:
            out.extend(step for step, _, _ in run)
        else:
            first, name, _ = run[0]
            choices: dict[Any, _Points] = {}
            for step, _, value in run:
                choices.setdefault(value, step)  # the first rule that holds wins
            out.append(dataclasses.replace(first, field=name, text=FIELDS[name] == "str", choices=choices))
        run.clear()

    for rule in rules:
        step = _points_of(rule)
        choice = _choice(step, rule)
        if choice is not None and run and (run[0][0].group, run[0][1]) == (step.group, choice[0]):
            run.append((step, *choice))
            continue
        flush()
        if choice is not None:
            run.append((step, *choice))
        else:
            out.append(step)
    flush()
    return tuple(out)


def _stage_steps(policy: Policy) -> tuple[_Step, ...]:
    out = []
    for rule in policy.stages:
        test, names = rule.predicate(), tuple(rule.names())
        detail = _formatter(rule.detail, names)
        if rule.threshold:
            floor, when = policy.thresholds.of(rule.stage), test

            def test(facts: Any, floor: int = floor, when: Predicate = when) -> bool:
                return bool(facts["score"] >= floor and when(facts))

            names = ("score", *(n for n in names if n != "score"))
            if not rule.detail:
                detail = _threshold_detail(floor, _formatter(None, tuple(n for n in names if n != "score")))
        out.append(_Step(rule, test, names, detail))
    return tuple(out)


def _threshold_detail(floor: int, rest: Formatter) -> Formatter:
    def detail(facts: dict[str, Any]) -> str:
        head = f"score {facts['score']} >= {floor}"
        more = rest(facts)
        return f"{head}, {more}" if more else head

    return detail


def plan_for(policy: Policy) -> Plan:
    """Compile the policy, once per version (the version is a hash of its content)."""
    plan = _PLANS.get(policy.version) if policy.version else None
    if plan is None:
        plan = Plan(
            _scoring_steps(policy.rules),
            tuple(_step(d, d.detail) for d in policy.disqualify),
            _stage_steps(policy),
            tuple(_step(r, None) for r in policy.routing),  # a route's reason lists the fields it read
            {r.rule: r.score for r in policy.rules},
        )
        if policy.version:
            if len(_PLANS) > 64:
                _PLANS.clear()
            _PLANS[policy.version] = plan
    return plan


def score_reasons(facts: dict[str, Any], plan: Plan) -> list[Reason]:
    """Return the reasons of every rule that gives points (first per group)."""
    out: list[Reason] = []
    groups: set[str] = set()
    for line in plan.rules:
        group = line.group
        if group is not None and group in groups:
            continue
        if line.choices is not None:
            value = facts.get(line.field)
            if value is None or value == "":
                continue
            found = line.choices.get(str(value).casefold() if line.text else value)
            if found is None:
                continue
            step = found
        elif line.test(facts):
            step = line
        else:
            continue
        if step.per is None:
            out.append(shared_reason(step.rule, step.points, step.detail(facts)))
        else:
            count = int(facts.get(step.per) or 0)
            if count <= 0:
                continue
            total = count * step.points
            if step.max is not None:
                total = min(total, step.max) if step.points >= 0 else max(total, step.max)
            out.append(shared_reason(step.rule, total, step.fixed or f"{count} {step.unit}"))
        if group is not None:
            groups.add(group)
    return out


def _part(plan: Plan, reasons: list[Reason], part: str, cap: int) -> int:
    kinds = plan.kinds
    return max(0, min(cap, sum([x.points for x in reasons if kinds.get(x.rule) == part])))


def route_queue(facts: dict[str, Any], policy: Policy, plan: Plan) -> tuple[_Step, str, str | None]:
    """Pick the first routing line that holds; return it, the queue and a pre-assigned owner."""
    for step in plan.routing:
        route: Route = step.item
        if not step.test(facts):
            continue
        if route.account_owner:
            owner = facts.get("account.owner")
            queue = policy.rep_queue(owner) if owner else None
            if queue is not None:
                return step, queue, owner
            continue
        assert route.queue is not None  # noqa: S101 - checked when the policy loads
        return step, route.queue, None
    last = plan.routing[-1]
    return last, last.item.queue or next(iter(policy.queues)), None


def qualify(lead: Lead, policy: Policy) -> Decision:
    """Score a lead, choose its stage, and pick its queue."""
    plan = plan_for(policy)
    facts = lead_facts(lead)
    reasons = score_reasons(facts, plan)
    fit = _part(plan, reasons, "fit", policy.caps.fit)
    intent = _part(plan, reasons, "intent", policy.caps.intent)
    score = min(100, fit + intent)
    reasons = [*lead.notes, *reasons]
    blockers = [shared_reason(d.item.rule, 0, d.detail(facts)) for d in plan.disqualify if d.test(facts)]
    if blockers:
        return Decision(Disposition.DISQUALIFIED, None, score, fit, intent, blockers + reasons)
    facts.update(score=score, fit=fit, intent=intent, stage=None)
    for step in plan.stages:
        if step.test(facts):
            reasons.append(shared_reason(step.item.rule, 0, step.detail(facts)))
            stage: Stage = step.item.stage
            break
    else:
        reasons.append(shared_reason("stage.nurture", 0, f"score {score}: no stage rule holds"))
        return Decision(Disposition.NURTURE, None, score, fit, intent, reasons)
    facts["stage"] = stage
    route, queue, owner = route_queue(facts, policy, plan)
    detail = (
        f"account {facts['account.name']} is owned by {owner}"
        if owner
        else route.detail(facts)
        if route.names
        else "default queue"
    )
    reasons.append(shared_reason(route.item.rule, 0, detail))
    return Decision(None, stage, score, fit, intent, reasons, queue, owner)
