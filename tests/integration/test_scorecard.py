"""Scorecard numbers on a scripted week, checked against hand-computed values, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from schemas import FeedbackAction as A
from sinks.queue import act, record_handoffs
from sinks.scorecard import Falling, scorecard
from tests.sales_factory import handoff, migrated
from tests.scorecard_factory import H, script_week, src

pytestmark = pytest.mark.integration
TOKYO = ZoneInfo("Asia/Tokyo")
# The week of T0 (Monday 2 November 2026) in Tokyo.
START = datetime(2026, 11, 2, tzinfo=TOKYO)
END = datetime(2026, 11, 9, tzinfo=TOKYO)


@pytest.fixture
def week(database_url: str) -> Iterator[Engine]:
    engine = migrated(database_url)
    script_week(engine)
    yield engine
    engine.dispose()


def _card(engine: Engine, by: str, **kw: Any) -> Any:
    with Session(engine) as session:
        return scorecard(session=session, start=START, end=END, by=by, tz=TOKYO, weeks=2, **kw)


def _row(g: Any) -> tuple[Any, ...]:
    d = g.as_dict()
    return tuple(d[k] for k in COLUMNS)


COLUMNS = (
    "submissions", "dead_letters", "disqualified", "disqualified_by_reason", "nurture", "duplicates",
    "mql", "sql", "handed_off", "accepted", "rejected", "accepted_pct", "rejected_by_reason", "won",
    "won_of_accepted_pct", "median_first_touch_s", "p90_first_touch_s", "touched_in_time", "in_time_pct",
    "sla_breaches", "breach_actions",
)  # fmt: skip
DQ = {"disqualify.disposable_email": 1, "disqualify.honeypot": 1}


def test_every_number_of_the_week_by_source(week: Engine) -> None:
    card = _card(week, "source")
    assert _row(card.total) == (
        11, 1, 2, DQ, 1, 1, 2, 4, 6, 3, 2, 60.0, {"not_a_fit": 1, "spam": 1}, 1,
        33.3, 7200.0, 14400.0, 2, 33.3, 1, {"reassign": 1},
    )  # fmt: skip
    assert {g.key: _row(g) for g in card.groups} == {
        "google": (4, 0, 0, {}, 1, 1, 1, 1, 2, 1, 1, 50.0, {"spam": 1}, 1, 100.0, 7200.0, 7200.0, 1, 50.0, 0, {}),  # noqa: E501
        "linkedin": (4, 0, 2, DQ, 0, 0, 1, 1, 2, 1, 1, 50.0, {"not_a_fit": 1}, 0, 0.0, 14400.0, 14400.0, 0, 0.0, 0, {}),  # noqa: E501
        "(none)": (3, 1, 0, {}, 0, 0, 0, 2, 2, 1, 0, 100.0, {}, 0, 0.0, 3600.0, 3600.0, 1, 50.0, 1, {"reassign": 1}),  # noqa: E501
    }  # fmt: skip
    assert [g.key for g in card.groups] == ["google", "linkedin", "(none)"]
    assert card.as_dict()["distribution"] == {
        "<5m": 0, "5-15m": 0, "15-60m": 0, "1-4h": 2, "4-24h": 1, "1-3d": 0, ">3d": 0, "not touched": 3,
    }  # fmt: skip


def test_trend_weeks_start_on_monday_in_the_viewers_zone(week: Engine) -> None:
    weeks = [w.as_dict() for w in _card(week, "form").weeks]
    assert [(w["week"], w["handed_off"], w["accepted"], w["rejected"]) for w in weeks] == [
        ("2026-10-26", 1, 1, 0),
        ("2026-11-02", 6, 3, 2),
    ]
    assert weeks[1]["median_first_touch_s"] == 7200.0


def test_groups_by_rep_queue_form_and_rule(week: Engine) -> None:
    rep_card = _card(week, "rep")
    by_rep = {g.key: (g.handed_off, g.accepted, g.rejected, g.won, g.submissions) for g in rep_card.groups}
    # Leads that never reached sales have no rep: they count in the total only.
    assert by_rep == {"aki": (2, 1, 1, 1, 2), "ben": (2, 1, 1, 0, 2), "cho": (2, 1, 0, 0, 2)}
    assert rep_card.total.submissions == 11
    by_queue = {g.key: (g.handed_off, g.sql, g.breaches) for g in _card(week, "queue").groups}
    assert by_queue == {"inside-sales": (4, 2, 0), "enterprise": (2, 2, 1)}
    by_form = {g.key: g.submissions for g in _card(week, "form").groups}
    assert by_form == {"demo-request": 2, "whitepaper": 6, "pricing": 2, "(none)": 1}
    rule_card = _card(week, "rule")
    by_rule = {
        g.key: (g.handed_off, g.median_touch_s, g.p90_touch_s, dict(g.breach_actions))
        for g in rule_card.groups
    }
    both = (6, 7200.0, 14400.0, {"reassign": 1})
    assert by_rule == {"fit.business_email": both, "intent.form.demo-request": both}
    # Every handoff has both rules: the total counts each handoff once.
    assert (rule_card.total.handed_off, rule_card.total.submissions, rule_card.total.breaches) == (6, 11, 1)
    with pytest.raises(ValueError, match="use one of source, campaign"):
        _card(week, "colour")


def test_a_rep_sees_only_their_own_numbers(week: Engine) -> None:
    card = _card(week, "source", rep="ben")
    assert (card.total.handed_off, card.total.submissions, card.total.disqualified) == (2, 2, 0)
    assert [g.key for g in card.groups] == ["linkedin"]


def test_falling_acceptance_compares_the_last_four_weeks_with_the_four_before(database_url: str) -> None:
    engine = migrated(database_url)
    monday = datetime(2026, 9, 7, 1, tzinfo=UTC)  # 10:00 in Tokyo
    events, script = [], []
    for n in range(1, 25):
        source = "google" if n <= 12 else "linkedin"
        early = n % 12 < 6
        at = monday + timedelta(weeks=(n % 6) // 2 + (0 if early else 4))
        events.append(handoff(n, source=src("pricing", source), submitted_at=at, sla_due_at=at + H))
        # google: all accepted early, one in six late; linkedin: always half.
        accept = n % 2 == 0 if source == "linkedin" else early or n % 12 == 6
        script.append(
            (f"h-{n:04d}", A.ACCEPTED if accept else A.REJECTED, None if accept else "not_a_fit", at)
        )
    with Session(engine) as session, session.begin():
        record_handoffs(session=session, events=events, now=monday)
        for hid, action, reason, at in script:
            act(session=session, handoff_id=hid, action=action, by="aki", reason=reason, now=at + H)
        card = scorecard(
            session=session,
            start=monday,
            end=datetime(2026, 11, 2, tzinfo=TOKYO),
            by="source",
            tz=TOKYO,
            weeks=8,
        )
    engine.dispose()
    assert card.falling == [Falling("google", 100.0, 16.7)]
    assert [w.numbers.handed_off for w in card.weeks] == [4, 4, 4, 0, 4, 4, 4, 0]


def test_migration_0005_fills_the_scorecard_columns_of_existing_handoffs(database_url: str) -> None:
    from sqlalchemy import select, text

    from sinks.migrate import upgrade
    from sinks.models import HandoffRule, QueueItem
    from sinks.store import make_engine

    engine = make_engine(database_url)
    upgrade(engine, "0003")
    old = handoff(1, source=src("webinar", "linkedin", "spring")).model_dump(mode="json")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO sales_queue (handoff_id, lead_id, event_id, queue, stage, score, status, "
                "submitted_at, queued_at, sla_due_at, updated_at, submissions, handoff, breaches) VALUES "
                "('h-0001', 'lead-0001', 'e-0001', 'inside-sales', 'SQL', 80, 'open', :at, :at, :at, :at, 1, "
                ":handoff, 0)"
            ),
            {"at": START, "handoff": json.dumps(old)},
        )
    upgrade(engine)
    with Session(engine) as session:
        row = session.get_one(QueueItem, "h-0001")
        assert (row.form_id, row.utm_source, row.utm_campaign) == ("webinar", "linkedin", "spring")
        rules = session.scalars(select(HandoffRule.rule).order_by(HandoffRule.rule)).all()
    engine.dispose()
    assert rules == ["fit.business_email", "intent.form.demo-request"]
