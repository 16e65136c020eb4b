"""Score a lead against the policy and decide where it goes, with a reason for every point."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schemas import Disposition, Reason, Stage
from streams.logic.conditions import FIELDS
from streams.logic.facts import lead_facts
from streams.logic.lead import Lead
from streams.logic.policy import Policy, Route, Rule


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


def _detail(template: str | None, names: list[str], facts: dict[str, Any]) -> str:
    if template:
        try:
            return template.format_map(_Blank(facts))
        except (ValueError, IndexError, AttributeError):
            return template
    return ", ".join(f"{n} {_show(facts.get(n))}" for n in names)


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def _show(value: Any) -> str:
    name = getattr(value, "name", None)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(name if name is not None and not isinstance(value, str) else value)


def _points(rule: Rule, facts: dict[str, Any]) -> Reason | None:
    if not rule.holds(facts):
        return None
    names = rule.when.names() if rule.when else []
    if rule.per is None:
        return Reason(rule=rule.rule, points=rule.points, detail=_detail(rule.detail, names, facts))
    count = int(facts.get(rule.per) or 0)
    if count <= 0:
        return None
    total = count * rule.points
    if rule.max is not None:
        total = min(total, rule.max) if rule.points >= 0 else max(total, rule.max)
    unit = rule.per.rsplit(".", 1)[-1].replace("_", " ")
    return Reason(rule=rule.rule, points=total, detail=rule.detail or f"{count} {unit}")


def score_reasons(facts: dict[str, Any], policy: Policy) -> list[Reason]:
    """Return the reasons of every rule that gives points (first per group)."""
    out: list[Reason] = []
    groups: set[str] = set()
    for rule in policy.rules:
        if rule.group is not None and rule.group in groups:
            continue
        reason = _points(rule, facts)
        if reason is not None:
            out.append(reason)
            if rule.group is not None:
                groups.add(rule.group)
    return out


def _part(policy: Policy, reasons: list[Reason], part: str, cap: int) -> int:
    kinds = {r.rule: r.score for r in policy.rules}
    return max(0, min(cap, sum(x.points for x in reasons if kinds.get(x.rule) == part)))


def route_queue(facts: dict[str, Any], policy: Policy) -> tuple[Route, str, str | None]:
    """Pick the first routing line that holds; return it, the queue and a pre-assigned owner."""
    for route in policy.routing:
        if not route.holds(facts):
            continue
        if route.account_owner:
            owner = facts.get("account.owner")
            queue = policy.rep_queue(owner) if owner else None
            if queue is not None:
                return route, queue, owner
            continue
        assert route.queue is not None  # noqa: S101 - checked when the policy loads
        return route, route.queue, None
    last = policy.routing[-1]
    return last, last.queue or next(iter(policy.queues)), None


def qualify(lead: Lead, policy: Policy) -> Decision:
    """Score a lead, choose its stage, and pick its queue."""
    facts = lead_facts(lead)
    reasons = score_reasons(facts, policy)
    fit = _part(policy, reasons, "fit", policy.caps.fit)
    intent = _part(policy, reasons, "intent", policy.caps.intent)
    score = min(100, fit + intent)
    reasons = list(lead.notes) + reasons
    blockers = [
        Reason(rule=d.rule, detail=_detail(d.detail, d.when.names(), facts))
        for d in policy.disqualify if d.holds(facts)
    ]
    if blockers:
        return Decision(Disposition.DISQUALIFIED, None, score, fit, intent, blockers + reasons)
    facts.update(score=score, fit=fit, intent=intent, stage=None)
    for rule in policy.stages:
        if rule.holds(facts):
            names = [n for n in (rule.when.names() if rule.when else []) if n in FIELDS]
            reasons.append(Reason(rule=rule.rule, detail=_detail(rule.detail, names, facts)))
            stage = rule.stage
            break
    else:
        reasons.append(Reason(rule="stage.nurture", detail=f"score {score}: no stage rule holds"))
        return Decision(Disposition.NURTURE, None, score, fit, intent, reasons)
    facts["stage"] = stage
    route, queue, owner = route_queue(facts, policy)
    detail = (f"account {facts['account.name']} is owned by {owner}" if owner
              else _detail(None, route.when.names(), facts) if route.when else "default queue")
    reasons.append(Reason(rule=route.rule, detail=detail))
    return Decision(None, stage, score, fit, intent, reasons, queue, owner)
