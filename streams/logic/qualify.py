"""Score a lead against the policy and decide where it goes, with a reason for every point."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from schemas import Disposition, Reason, Stage
from streams.logic.conditions import PLACEHOLDER, Predicate
from streams.logic.facts import lead_facts
from streams.logic.lead import Lead
from streams.logic.policy import Policy, Route, Rule, StageRule


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


@functools.lru_cache(maxsize=8192)
def _cached_reason(rule: str, points: int, detail: str) -> Reason:
    return Reason(rule=rule, points=points, detail=detail)


def _reason(*, rule: str, points: int = 0, detail: str = "") -> Reason:
    """Return the (immutable, shared) reason; the same few repeat across many leads."""
    return _cached_reason(rule, points, detail)


def _detail(template: str | None, names: Sequence[str], facts: dict[str, Any]) -> str:
    if template:
        return PLACEHOLDER.sub(lambda m: _show(facts.get(m[1])), template)
    return ", ".join(f"{n} {_show(facts.get(n))}" for n in names)


def _show(value: Any) -> str:
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


@dataclass(frozen=True)
class Plan:
    """A policy compiled once: plain predicates instead of models."""

    rules: tuple[_Step, ...]
    disqualify: tuple[_Step, ...]
    stages: tuple[_Step, ...]
    routing: tuple[_Step, ...]
    kinds: dict[str, str]


_PLANS: dict[str, Plan] = {}


def _stage_steps(policy: Policy) -> tuple[_Step, ...]:
    out = []
    for rule in policy.stages:
        test, names = rule.predicate(), tuple(rule.names())
        if rule.threshold:
            floor, when = policy.thresholds.of(rule.stage), test

            def test(facts: Any, floor: int = floor, when: Predicate = when) -> bool:
                return bool(facts["score"] >= floor and when(facts))

            names = ("score", *(n for n in names if n != "score"))
        out.append(_Step(rule, test, names))
    return tuple(out)


def _stage_detail(rule: StageRule, policy: Policy, names: Sequence[str], facts: dict[str, Any]) -> str:
    if rule.detail or not rule.threshold:
        return _detail(rule.detail, names, facts)
    rest = _detail(None, [n for n in names if n != "score"], facts)
    head = f"score {facts['score']} >= {policy.thresholds.of(rule.stage)}"
    return f"{head}, {rest}" if rest else head


def plan_for(policy: Policy) -> Plan:
    """Compile the policy, once per version (the version is a hash of its content)."""
    plan = _PLANS.get(policy.version) if policy.version else None
    if plan is None:

        def steps(items: list[Any]) -> tuple[_Step, ...]:
            return tuple(_Step(i, i.predicate(), tuple(i.names())) for i in items)

        plan = Plan(
            steps(policy.rules),
            steps(policy.disqualify),
            _stage_steps(policy),
            steps(policy.routing),
            {r.rule: r.score for r in policy.rules},
        )
        if policy.version:
            if len(_PLANS) > 64:
                _PLANS.clear()
            _PLANS[policy.version] = plan
    return plan


def _points(step: _Step, facts: dict[str, Any]) -> Reason | None:
    rule: Rule = step.item
    if not step.test(facts):
        return None
    if rule.per is None:
        return _reason(rule=rule.rule, points=rule.points, detail=_detail(rule.detail, step.names, facts))
    count = int(facts.get(rule.per) or 0)
    if count <= 0:
        return None
    total = count * rule.points
    if rule.max is not None:
        total = min(total, rule.max) if rule.points >= 0 else max(total, rule.max)
    unit = rule.per.rsplit(".", 1)[-1].replace("_", " ")
    return _reason(rule=rule.rule, points=total, detail=rule.detail or f"{count} {unit}")


def score_reasons(facts: dict[str, Any], plan: Plan) -> list[Reason]:
    """Return the reasons of every rule that gives points (first per group)."""
    out: list[Reason] = []
    groups: set[str] = set()
    for step in plan.rules:
        group = step.item.group
        if group is not None and group in groups:
            continue
        reason = _points(step, facts)
        if reason is not None:
            out.append(reason)
            if group is not None:
                groups.add(group)
    return out


def _part(plan: Plan, reasons: list[Reason], part: str, cap: int) -> int:
    return max(0, min(cap, sum(x.points for x in reasons if plan.kinds.get(x.rule) == part)))


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
    reasons = list(lead.notes) + reasons
    blockers = [
        _reason(rule=d.item.rule, detail=_detail(d.item.detail, d.names, facts))
        for d in plan.disqualify
        if d.test(facts)
    ]
    if blockers:
        return Decision(Disposition.DISQUALIFIED, None, score, fit, intent, blockers + reasons)
    facts.update(score=score, fit=fit, intent=intent, stage=None)
    for step in plan.stages:
        if step.test(facts):
            reasons.append(
                _reason(rule=step.item.rule, detail=_stage_detail(step.item, policy, step.names, facts))
            )
            stage: Stage = step.item.stage
            break
    else:
        reasons.append(_reason(rule="stage.nurture", detail=f"score {score}: no stage rule holds"))
        return Decision(Disposition.NURTURE, None, score, fit, intent, reasons)
    facts["stage"] = stage
    route, queue, owner = route_queue(facts, policy, plan)
    detail = (
        f"account {facts['account.name']} is owned by {owner}"
        if owner
        else _detail(None, route.names, facts)
        if route.names
        else "default queue"
    )
    reasons.append(_reason(rule=route.item.rule, detail=detail))
    return Decision(None, stage, score, fit, intent, reasons, queue, owner)
