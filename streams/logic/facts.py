"""The flat, named facts about a lead that policy conditions test."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from streams.logic.lead import Lead
from streams.logic.normalise import nfkc

_NO_BUDGET = re.compile(r"^(none|no|n/?a|unknown|tbd|undecided|0|なし|無し|未定|不明|ない|検討中)$", re.I)
_SOON = re.compile(
    r"(immediate|asap|now|this (week|month|quarter)|next (week|month)"
    r"|今すぐ|至急|すぐ|今月|来月|今期|今四半期)",
    re.I,
)
_SPAN = re.compile(r"(\d+)\s*(day|days|week|weeks|month|months|日|週|週間|か月|ヶ月|カ月|ケ月|ヵ月|月)", re.I)
_DAYS_PER_UNIT = {"day": 1, "days": 1, "日": 1, "week": 7, "weeks": 7, "週": 7, "週間": 7}


# Forms offer a few budget and timeline choices, so the same texts repeat across leads.
@lru_cache(maxsize=4096)
def budget_stated(budget: str | None) -> bool:
    """Whether the lead named a budget."""
    return bool(budget) and not _NO_BUDGET.match(nfkc(budget or ""))


@lru_cache(maxsize=4096)
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


def lead_facts(lead: Lead) -> dict[str, Any]:
    """Return every field a condition may test (see conditions.FIELDS)."""
    c, act, utm, known = lead.contact, lead.activity, lead.source.utm, lead.match.account
    return {
        "email": lead.email,
        "domain": lead.domain,
        "free_mail": lead.free_mail,
        "disposable": lead.disposable,
        "test_data": lead.test_data,
        "honeypot": lead.honeypot,
        "seniority": lead.seniority,
        "department": c.department,
        "job_title": c.job_title,
        "employees": lead.employees,
        "country": lead.country,
        "region": c.region,
        "company": lead.account.name,
        "phone": c.phone,
        "form": lead.source.form_id,
        "budget": lead.budget,
        "budget_stated": budget_stated(lead.budget),
        "timeline": lead.timeline,
        "timeline_within_quarter": timeline_within_quarter(lead.timeline),
        "message": lead.message,
        "utm.source": utm.source,
        "utm.medium": utm.medium,
        "utm.campaign": utm.campaign,
        "activity.page_views": act.page_views,
        "activity.pricing_page_views": act.pricing_page_views,
        "activity.content_downloads": act.content_downloads,
        "activity.webinar_attended": act.webinar_attended,
        "activity.email_clicks": act.email_clicks,
        "consent.marketing": lead.consent.marketing,
        "account.matched": known is not None,
        "account.match_confidence": lead.match.confidence if known else None,
        "account.owner": known.owner if known else None,
        "account.segment": known.segment if known else None,
        "account.industry": known.industry if known else None,
        "account.name": known.name if known else None,
        "account.domain": known.domain if known else None,
    }
