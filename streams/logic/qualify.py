"""Score a lead against the policy and decide where it goes, with a reason for every point."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from schemas import Disposition, Reason, Stage
from streams.logic.lead import Lead
from streams.logic.normalise import nfkc
from streams.logic.policy import PerCount, Policy, Route

_NO_BUDGET = re.compile(r"^(none|no|n/?a|unknown|tbd|undecided|0|なし|無し|未定|不明|ない|検討中)$", re.I)
_SOON = re.compile(
    r"(immediate|asap|now|this (week|month|quarter)|next (week|month)"
    r"|今すぐ|至急|すぐ|今月|来月|今期|今四半期)",
    re.I,
)
_SPAN = re.compile(r"(\d+)\s*(day|days|week|weeks|month|months|日|週|週間|か月|ヶ月|カ月|ケ月|ヵ月|月)", re.I)
_DAYS_PER_UNIT = {"day": 1, "日": 1, "week": 7, "週": 7, "週間": 7}


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


def budget_stated(budget: str | None) -> bool:
    """Whether the lead named a budget."""
    return bool(budget) and not _NO_BUDGET.match(nfkc(budget or ""))


def timeline_within_quarter(timeline: str | None) -> bool:
    """Whether the stated timeline is 90 days or sooner."""
    if not timeline:
        return False
    text = nfkc(timeline).lower()
    if _SOON.search(text):
        return True
    spans = _SPAN.findall(text)
    if not spans:
        return False
    # A range such as "1-3 months" counts by its upper end.
    unit = spans[-1][1].lower()
    upper = max(int(n) for n in re.findall(r"\d+", text))
    return upper * _DAYS_PER_UNIT.get(unit, 30) <= 92


def _per_count(rule: str, count: int, cfg: PerCount, what: str) -> Reason | None:
    if count <= 0 or cfg.each == 0:
        return None
    return Reason(rule=rule, points=min(cfg.max, count * cfg.each), detail=f"{count} {what}")


def _fit(lead: Lead, policy: Policy) -> list[Reason]:
    cfg = policy.fit
    out: list[Reason] = []
    if not lead.free_mail:
        out.append(Reason(rule="fit.business_email", points=cfg.business_email,
                          detail=f"business domain {lead.domain}"))
    else:
        out.append(Reason(rule="fit.free_mail", points=0, detail=f"free-mail domain {lead.domain}"))
    level = lead.seniority.name
    if cfg.seniority.get(level):
        out.append(Reason(rule=f"fit.seniority.{level.lower()}", points=cfg.seniority[level],
                          detail=f"job title reads as {level.lower()}"))
    if lead.employees is not None:
        for band in cfg.employees:
            if lead.employees >= band.min:
                out.append(Reason(rule=f"fit.employees.{band.min}+", points=band.points,
                                  detail=f"{lead.employees} employees"))
                break
    if lead.country and lead.country in cfg.target_countries.countries:
        out.append(Reason(rule="fit.target_country", points=cfg.target_countries.points,
                          detail=f"country {lead.country}"))
    return out


def _intent(lead: Lead, policy: Policy) -> list[Reason]:
    cfg = policy.intent
    out: list[Reason] = []
    form = lead.source.form_id
    if cfg.forms.get(form):
        out.append(Reason(rule=f"intent.form.{form}", points=cfg.forms[form], detail=f"form {form}"))
    act = lead.activity
    for reason in (
        _per_count("intent.pricing_page_views", act.pricing_page_views, cfg.pricing_page_views,
                   "pricing page views"),
        _per_count("intent.content_downloads", act.content_downloads, cfg.content_downloads,
                   "content downloads"),
    ):
        if reason:
            out.append(reason)
    if budget_stated(lead.budget):
        out.append(Reason(rule="intent.budget_stated", points=cfg.budget_stated, detail="budget stated"))
    if timeline_within_quarter(lead.timeline):
        out.append(Reason(rule="intent.timeline_within_quarter", points=cfg.timeline_within_quarter,
                          detail="buying within a quarter"))
    if act.webinar_attended:
        out.append(Reason(rule="intent.webinar_attended", points=cfg.webinar_attended,
                          detail="attended a webinar"))
    return out


def _disqualifiers(lead: Lead, policy: Policy) -> list[Reason]:
    cfg = policy.disqualify
    out: list[Reason] = []
    if cfg.honeypot and lead.honeypot:
        out.append(Reason(rule="disqualify.honeypot", detail="hidden honeypot field was filled"))
    if cfg.disposable_email and lead.disposable:
        out.append(Reason(rule="disqualify.disposable_email", detail=f"disposable domain {lead.domain}"))
    if cfg.test_data and lead.test_data:
        out.append(Reason(rule="disqualify.test_data", detail="looks like test data"))
    return out


def route_queue(lead: Lead, stage: Stage, routing: list[Route]) -> Route:
    """Pick the first routing line the lead matches."""
    for route in routing:
        if route.stage is not None and route.stage != stage:
            continue
        if route.min_employees is not None and (lead.employees or 0) < route.min_employees:
            continue
        if route.countries is not None and lead.country not in route.countries:
            continue
        return route
    return routing[-1]


def qualify(lead: Lead, policy: Policy) -> Decision:
    """Score a lead, choose its stage, and pick its queue."""
    fit_reasons, intent_reasons = _fit(lead, policy), _intent(lead, policy)
    fit = min(policy.fit.cap, sum(r.points for r in fit_reasons))
    intent = min(policy.intent.cap, sum(r.points for r in intent_reasons))
    score = min(100, fit + intent)
    reasons = fit_reasons + intent_reasons
    blockers = _disqualifiers(lead, policy)
    if blockers:
        return Decision(Disposition.DISQUALIFIED, None, score, fit, intent, blockers + reasons)
    stage: Stage | None = None
    if score >= policy.thresholds.sql:
        stage = Stage.SQL
        reasons.append(Reason(rule="stage.sql", detail=f"score {score} >= {policy.thresholds.sql}"))
    elif lead.source.form_id in policy.sales_ready_forms and not lead.free_mail:
        stage = Stage.SQL
        reasons.append(Reason(rule="stage.sql.sales_request",
                              detail=f"{lead.source.form_id} from a business email"))
    elif score >= policy.thresholds.mql:
        stage = Stage.MQL
        reasons.append(Reason(rule="stage.mql", detail=f"score {score} >= {policy.thresholds.mql}"))
    if stage is None:
        reasons.append(Reason(rule="stage.nurture", detail=f"score {score} < {policy.thresholds.mql}"))
        return Decision(Disposition.NURTURE, None, score, fit, intent, reasons)
    route = route_queue(lead, stage, policy.routing)
    reasons.append(Reason(rule=f"route.{route.queue}", detail=_route_detail(route)))
    return Decision(None, stage, score, fit, intent, reasons, route.queue)


def _route_detail(route: Route) -> str:
    parts = [f"stage {route.stage}" if route.stage else "",
             f"{route.min_employees}+ employees" if route.min_employees is not None else "",
             f"country in {route.countries}" if route.countries else ""]
    return ", ".join(p for p in parts if p) or "default queue"
