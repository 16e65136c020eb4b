"""The shipped policy reproduces the DESIGN.md defaults, case by case (English and Japanese)."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pytest

from schemas import DeadLetter, HandoffEvent, NurtureEvent
from streams.logic.assign import Ledger
from streams.logic.pipeline import assign_owner, decide
from streams.logic.policy_file import load_policy, parse_policy
from tests.unit.leads import POS, raw

pytestmark = pytest.mark.unit

POLICY = load_policy()
POLICY_TEXT = resources.files("streams.data").joinpath("default_policy.yaml").read_text("utf-8")
NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)

# (case, lead fields, expected outcome ("nurture", "disqualified", "dlq" or "queue/STAGE"),
#  a rule that must appear)
CASES: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "demo request from business email is SQL whatever the score",
        {"form_id": "demo-request"},
        "inside-sales/SQL",
        "stage.sql.sales_request",
    ),
    (
        "contact-sales from business email is SQL",
        {"form_id": "contact-sales", "country": "US"},
        "inside-sales/SQL",
        "stage.sql.sales_request",
    ),
    (
        "demo request from free mail is not automatically SQL",
        {"form_id": "demo-request", "email": "hanako@gmail.com"},
        "nurture",
        "stage.nurture",
    ),
    (
        "demo request from Japanese carrier mail is free mail",
        {"form_id": "demo-request", "email": "hanako@docomo.ne.jp", "job_title": "部長", "country": "JP"},
        "inside-sales/MQL",
        "stage.mql",
    ),
    (
        "score 70 or more is SQL",
        {"form_id": "pricing", "job_title": "CEO", "employees": 300, "country": "US"},
        "inside-sales/SQL",
        "stage.sql",
    ),
    (
        "score 40-69 is MQL",
        {
            "form_id": "whitepaper",
            "job_title": "Marketing Manager",
            "country": "JP",
            "activity": {"pricing_page_views": 2},
        },
        "inside-sales/MQL",
        "stage.mql",
    ),
    ("below 40 is nurture", {"form_id": "newsletter", "email": "x.y@gmail.com"}, "nurture", "stage.nurture"),
    (
        "SQL with 1000+ employees goes to enterprise",
        {"form_id": "demo-request", "employees": "1000-4999"},
        "enterprise/SQL",
        "route.enterprise",
    ),
    (
        "SQL with 999 employees stays in inside-sales",
        {"form_id": "demo-request", "employees": 999},
        "inside-sales/SQL",
        "route.inside-sales",
    ),
    (
        "MQL with 5000 employees is inside-sales (enterprise takes SQL only)",
        {"form_id": "whitepaper", "employees": 5000, "country": "JP"},
        "inside-sales/MQL",
        "route.inside-sales",
    ),
    (
        "honeypot is disqualified",
        {"form_id": "demo-request", "honeypot": "http://spam"},
        "disqualified",
        "disqualify.honeypot",
    ),
    (
        "disposable email is disqualified",
        {"form_id": "demo-request", "email": "a@mailinator.com"},
        "disqualified",
        "disqualify.disposable_email",
    ),
    (
        "test data is disqualified",
        {"form_id": "demo-request", "email": "test@test.com"},
        "disqualified",
        "disqualify.test_data",
    ),
    (
        "Japanese test name is disqualified",
        {"form_id": "demo-request", "last_name": "テスト"},
        "disqualified",
        "disqualify.test_data",
    ),
    (
        "full-width Japanese enterprise lead",
        {
            "form_id": "ｄｅｍｏ－ｒｅｑｕｅｓｔ",
            "email": "ｔａｒｏ＠ＴＯＹＯＴＡ－ＳＨＯＫＫＩ．ｃｏ．ｊｐ",
            "company": "株式会社豊田自動織機",
            "job_title": "代表取締役社長",
            "employees": "１万人以上",
            "country": "日本",
            "phone": "０３－１２３４－５６７８",
        },
        "enterprise/SQL",
        "fit.seniority.executive",
    ),
    (
        "Japanese 部長 scores as director",
        {"job_title": "営業部 部長", "country": "JP", "employees": 60},
        "inside-sales/MQL",
        "fit.seniority.director",
    ),
    (
        "Japanese timeline and budget count as intent",
        {
            "form_id": "pricing",
            "timeline": "３ヶ月以内",
            "budget": "５００万円",
            "job_title": "課長",
            "country": "日本",
            "employees": "約300名",
        },
        "inside-sales/SQL",
        "intent.timeline_within_quarter",
    ),
    (
        "未定 budget is not a stated budget",
        {"form_id": "webinar", "budget": "未定", "country": "JP"},
        "nurture",
        "stage.nurture",
    ),
    ("an invalid email is a dead letter", {"email": "not-an-email"}, "dlq", ""),
]


def _outcome(event: HandoffEvent | NurtureEvent | DeadLetter) -> str:
    if isinstance(event, DeadLetter):
        return "dlq"
    if isinstance(event, NurtureEvent):
        return event.disposition.value
    return f"{event.queue}/{event.stage.value}"


@pytest.mark.parametrize(("fields", "expected", "rule"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_default_policy_case(fields: dict[str, Any], expected: str, rule: str) -> None:
    event = decide(raw(**fields), POS, POLICY, NOW)
    assert _outcome(event) == expected, getattr(event, "reasons", event)
    if rule:
        assert rule in [r.rule for r in event.reasons]  # type: ignore[union-attr]
        assert event.rules_version == POLICY.version  # type: ignore[union-attr]


def test_budget_not_stated_gives_no_budget_points() -> None:
    event = decide(raw(form_id="webinar", budget="未定", country="JP"), POS, POLICY, NOW)
    assert "intent.budget_stated" not in [r.rule for r in event.reasons]  # type: ignore[union-attr]


def test_score_is_fit_plus_intent_each_capped() -> None:
    event = decide(
        raw(
            form_id="demo-request",
            job_title="CEO",
            employees=5000,
            country="JP",
            timeline="今すぐ",
            budget="1000万円",
            activity={"pricing_page_views": 9, "content_downloads": 9, "webinar_attended": True},
        ),
        POS,
        POLICY,
        NOW,
    )
    assert isinstance(event, HandoffEvent)
    assert (event.fit, event.intent, event.score) == (50, 50, 100)


def test_every_handoff_gets_an_owner_and_a_working_hours_deadline() -> None:
    event = decide(raw(form_id="demo-request"), POS, POLICY, NOW)
    assert isinstance(event, HandoffEvent)
    owned = assign_owner(event, POLICY, Ledger())
    assert owned.owner == "tanaka.hiro"
    # Wednesday 10:00 Tokyo, 1 working hour for an SQL in inside-sales.
    assert owned.sla_due_at == datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    assert owned.reasons[-1].rule == "assign.round_robin"


def test_thresholds_move_the_stage_boundaries() -> None:
    lead = raw(form_id="pricing", job_title="CEO", employees=300, country="US")  # score 70
    stricter = parse_policy(
        POLICY_TEXT.replace("thresholds: {sql: 70, mql: 40}", "thresholds: {sql: 75, mql: 40}")
    )
    before, after = decide(lead, POS, POLICY, NOW), decide(lead, POS, stricter, NOW)
    assert isinstance(before, HandoffEvent) and isinstance(after, HandoffEvent)
    assert (before.stage.value, after.stage.value) == ("SQL", "MQL")
    assert [r.detail for r in before.reasons if r.rule == "stage.sql"] == ["score 70 >= 70"]
    assert [r.detail for r in after.reasons if r.rule == "stage.mql"] == ["score 70 >= 40"]
    assert stricter.version != POLICY.version


def test_assign_owner_also_takes_a_count_of_earlier_leads() -> None:
    event = decide(raw(form_id="demo-request"), POS, POLICY, NOW)
    assert isinstance(event, HandoffEvent)
    reps = POLICY.queues["inside-sales"].reps
    assert [assign_owner(event, POLICY, n).owner for n in range(5)] == [*reps, reps[0]]


def test_detail_text_names_the_lead_values() -> None:
    text = POLICY_TEXT.replace(
        'detail: "business domain {domain}"', 'detail: "{domain} ({account.name}, {country}, {seniority})"'
    )
    policy = parse_policy(text)
    event = decide(raw(job_title="CTO", country="JP"), POS, policy, NOW)
    reason = next(r for r in event.reasons if r.rule == "fit.business_email")  # type: ignore[union-attr]
    assert reason.detail == "acme-robotics.co.jp (, JP, EXECUTIVE)"
