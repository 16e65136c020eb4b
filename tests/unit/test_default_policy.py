"""The shipped policy reproduces DESIGN.md's defaults, end to end through decide()."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pytest

from schemas import DeadLetter, Disposition, HandoffEvent, NurtureEvent, SourcePosition, Stage
from streams.logic.assign import round_robin
from streams.logic.pipeline import Outcome, assign_owner, decide
from streams.logic.policy import PolicyError
from streams.logic.policy_file import load_policy, parse_policy

pytestmark = pytest.mark.unit
POLICY = load_policy()
NOW = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
POS = SourcePosition(topic="leads.submitted", partition=0, offset=0)


def run(**fields: Any) -> Outcome:
    lead = {
        "event_id": "e-1",
        "submitted_at": "2026-11-27T10:00:00+09:00",
        "form_id": "whitepaper",
        "email": "someone@acme-corp.com",
        **fields,
    }
    return decide(json.dumps(lead, ensure_ascii=False).encode(), POS, POLICY, NOW)


def rules(outcome: Outcome) -> set[str]:
    assert not isinstance(outcome, DeadLetter)
    return {r.rule for r in outcome.reasons}


def test_demo_request_from_business_email_is_sql_whatever_the_score() -> None:
    out = run(form_id="demo-request")
    assert isinstance(out, HandoffEvent)
    assert out.stage is Stage.SQL and out.score < 70
    assert "stage.sql.sales_request" in rules(out)
    assert out.queue == "inside-sales"


def test_demo_request_from_free_mail_is_not_automatically_sql() -> None:
    out = run(form_id="demo-request", email="taro@gmail.com")
    assert not (isinstance(out, HandoffEvent) and out.stage is Stage.SQL)


def test_high_score_is_sql_and_big_companies_go_to_enterprise() -> None:
    out = run(
        form_id="pricing",
        job_title="代表取締役社長",
        employees="1万人以上",
        country="日本",
        budget="500万円",
        timeline="3ヶ月以内",
        activity={"pricing_page_views": 3},
    )
    assert isinstance(out, HandoffEvent)
    assert out.score >= 70 and out.stage is Stage.SQL
    assert out.queue == "enterprise"
    assert out.fit + out.intent == out.score
    assert {"fit.seniority.executive", "fit.employees.1000+", "fit.target_country"} <= rules(out)


def test_sql_below_1000_employees_goes_to_inside_sales() -> None:
    out = run(form_id="contact-sales", employees="250-999")
    assert isinstance(out, HandoffEvent) and out.queue == "inside-sales"


def test_mql_band() -> None:
    out = run(
        form_id="whitepaper", job_title="Marketing Manager", employees=300, activity={"pricing_page_views": 1}
    )
    assert isinstance(out, HandoffEvent)
    assert 40 <= out.score < 70 and out.stage is Stage.MQL and out.queue == "inside-sales"


def test_low_score_goes_back_to_marketing() -> None:
    out = run(form_id="newsletter", email="hanako@yahoo.co.jp")
    assert isinstance(out, NurtureEvent)
    assert out.disposition is Disposition.NURTURE and out.score < 40


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({"honeypot": "http://spam.example"}, "disqualify.honeypot"),
        ({"email": "x1@mailinator.com"}, "disqualify.disposable_email"),
        ({"email": "test@example.com", "first_name": "test"}, "disqualify.test_data"),
    ],
)
def test_disqualifiers(fields: dict[str, Any], rule: str) -> None:
    out = run(form_id="demo-request", **fields)
    assert isinstance(out, NurtureEvent) and out.disposition is Disposition.DISQUALIFIED
    assert rule in rules(out)


def test_full_width_japanese_lead_is_normalised_in_the_handoff() -> None:
    out = run(
        form_id="contact-sales",
        email="ｔａｒｏ＠ＡＣＭＥ．ｃｏ．ｊｐ",
        phone="０３－１２３４－５６７８",
        country="日本",
        last_name="山田",
        first_name="太郎",
        company="株式会社アクメ",
    )
    assert isinstance(out, HandoffEvent)
    assert out.contact.email == "taro@acme.co.jp"
    assert out.contact.phone == "+81312345678"
    assert out.contact.country == "JP"
    assert out.contact.full_name == "山田 太郎"
    assert out.account.name == "株式会社アクメ"


def test_ids_are_deterministic_and_stable_per_person() -> None:
    a, b = run(form_id="demo-request"), run(form_id="demo-request")
    c = run(form_id="demo-request", event_id="e-2", email="SOMEONE@acme-corp.com")
    assert isinstance(a, HandoffEvent) and isinstance(b, HandoffEvent) and isinstance(c, HandoffEvent)
    assert a.handoff_id == b.handoff_id != c.handoff_id
    assert a.lead_id == c.lead_id and "someone" not in a.lead_id


def test_every_decision_carries_reasons_and_the_rules_version() -> None:
    out = run(form_id="pricing")
    assert not isinstance(out, DeadLetter)
    assert out.rules_version == POLICY.version and out.rules_version.startswith("default@")
    assert out.reasons


def test_round_robin_is_fair() -> None:
    reps = [f"rep{i}" for i in range(7)]
    counts = Counter(round_robin(reps, n) for n in range(10_000))
    mean = 10_000 / 7
    assert all(abs(c - mean) <= 1 for c in counts.values())
    assert round_robin([], 3) is None


def test_assign_owner_sets_owner_and_sla() -> None:
    out = run(form_id="demo-request")
    assert isinstance(out, HandoffEvent) and out.owner is None
    first, second = assign_owner(out, POLICY, 0), assign_owner(out, POLICY, 1)
    reps = POLICY.queues["inside-sales"].reps
    assert (first.owner, second.owner) == (reps[0], reps[1])
    assert first.sla_due_at > first.qualified_at


def test_policy_errors_name_the_file_and_field() -> None:
    with pytest.raises(PolicyError) as err:
        parse_policy("name: x\nthresholds: {sql: 150, mql: 40}\n", origin="mine.yaml")
    text = str(err.value)
    assert "mine.yaml" in text and "thresholds.sql" in text


def test_rules_version_changes_with_content() -> None:
    text = resources.files("streams.data").joinpath("default_policy.yaml").read_text("utf-8")
    changed = parse_policy(text.replace("sql: 70", "sql: 75"))
    assert changed.version != POLICY.version and changed.thresholds.sql == 75
