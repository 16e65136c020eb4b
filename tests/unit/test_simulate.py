"""Offline simulation and shadow comparison, checked by hand on a small batch."""

from __future__ import annotations

from importlib import resources

import pytest

from schemas import SourcePosition
from streams.cli.simulate_report import render_diff, render_summary
from streams.logic.policy_file import load_policy, parse_policy
from streams.logic.simulate import diff, prepare_all, run, summarise
from tests.unit.leads import raw

pytestmark = pytest.mark.unit

CURRENT = load_policy()
TEXT = resources.files("streams.data").joinpath("default_policy.yaml").read_text("utf-8")
ENTERPRISE_LINE = "when: {stage: SQL, employees: {gte: 1000}}}"
CANDIDATE = parse_policy(TEXT.replace(ENTERPRISE_LINE, "when: {stage: SQL, employees: {gte: 5000}}}"))

BATCH = [
    raw(event_id="A", form_id="demo-request", employees=2000),
    raw(
        event_id="B",
        form_id="whitepaper",
        job_title="Manager",
        country="JP",
        activity={"pricing_page_views": 2},
    ),
    raw(event_id="C", form_id="demo-request", email="c@gmail.com"),
    raw(event_id="D", form_id="demo-request", employees=300),
    raw(event_id="A", form_id="demo-request", employees=2000),
    b"{not json",
]


def _prepared() -> list:  # type: ignore[type-arg]
    return prepare_all((SourcePosition(topic="f", partition=0, offset=i), m) for i, m in enumerate(BATCH))


def test_run_assigns_like_the_route_stage() -> None:
    rows = run(_prepared(), CURRENT)
    got = [(r.key, r.outcome, r.queue, r.stage, r.owner) for r in rows]
    assert got == [
        ("A", "handoff", "enterprise", "SQL", "sato.kenji"),
        ("B", "handoff", "inside-sales", "MQL", "tanaka.hiro"),
        ("C", "nurture", None, None, None),
        ("D", "handoff", "inside-sales", "SQL", "takahashi.mei"),
        ("A", "duplicate", None, None, None),
        ("#5", "dead_letter", None, None, None),
    ]
    summary = summarise(rows)
    assert summary.outcomes == {"handoff": 3, "nurture": 1, "duplicate": 1, "dead_letter": 1}
    assert summary.rule_hits["stage.sql.sales_request"] == 2
    text = render_summary(summary, CURRENT.version)
    assert ["enterprise", "SQL", "1"] in [line.split() for line in text.splitlines()]


def test_shadow_diff_lists_exactly_the_changed_leads_and_why() -> None:
    prepared = _prepared()
    changes = diff(run(prepared, CURRENT), run(prepared, CANDIDATE))
    got = [(c.key, c.before.queue, c.after.queue, c.after.owner, c.rotation_only) for c in changes]
    assert got == [
        ("A", "enterprise", "inside-sales", "tanaka.hiro", False),
        ("B", "inside-sales", "inside-sales", "takahashi.mei", True),
        ("D", "inside-sales", "inside-sales", "watanabe.sho", True),
    ]
    assert changes[0].why == "+route.inside-sales; -route.enterprise"
    report = render_diff(changes, 6, CURRENT.version, CANDIDATE.version, limit=10)
    assert "3 of 6 leads would change" in report
    assert "queue enterprise -> inside-sales" in report
    assert "2 leads whose only change is a rotation shift not listed" in report


def test_same_policy_changes_nothing() -> None:
    prepared = _prepared()
    assert diff(run(prepared, CURRENT), run(prepared, CURRENT)) == []
