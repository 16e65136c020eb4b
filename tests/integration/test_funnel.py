"""Funnel numbers on a scripted scenario, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from schemas import Feedback, FeedbackAction, Reason, Source, Utm
from sinks.funnel import funnel
from sinks.queue import act, apply_feedback, claim_next, record_handoffs
from tests.sales_factory import T0, handoff, migrated

pytestmark = pytest.mark.integration
A = FeedbackAction
H = timedelta(hours=1)


def _src(form: str, source: str | None = None, campaign: str | None = None) -> Source:
    return Source(form_id=form, utm=Utm(source=source, campaign=campaign))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    big = [Reason(rule="fit.employees.1000+", points=15)]
    events = [
        handoff(1, source=_src("demo-request", "google", "expo-tokyo")),
        handoff(2, source=_src("demo-request", "google", "expo-tokyo")),
        handoff(3, source=_src("whitepaper", "linkedin")),
        handoff(4, source=_src("whitepaper", "linkedin")),
        handoff(5, source=_src("pricing"), queue="enterprise", reasons=big),
        handoff(6, source=_src("pricing"), queue="enterprise", reasons=big),
    ]
    engine = migrated(database_url)
    with Session(engine) as session, session.begin():
        record_handoffs(session=session, events=events, now=T0)
        # Submitted at T0 - 1 h; each step at an explicit time.
        script = [
            ("h-0001", A.ACCEPTED, None, T0),
            ("h-0001", A.CONTACTED, None, T0 + H),
            ("h-0001", A.WON, None, T0 + 30 * H),
            ("h-0002", A.REJECTED, "spam", T0),
            ("h-0003", A.ACCEPTED, None, T0),
            ("h-0003", A.CONTACTED, None, T0 + 3 * H),
            ("h-0003", A.LOST, "price", T0 + 50 * H),
            ("h-0004", A.REJECTED, "not_a_fit", T0),
            ("h-0006", A.ACCEPTED, None, T0),
            ("h-0006", A.CONTACTED, None, T0),
            ("h-0006", A.CONTACTED, None, T0 + 5 * H),
        ]
        for hid, action, reason, at in script:
            act(session=session, handoff_id=hid, action=action, by="rep", reason=reason, now=at)
        claim_next(session=session, queue="enterprise", rep="rep", now=T0)  # h-0005: claimed only
        # A report the row cannot take is kept but does not count.
        apply_feedback(
            session=session, now=T0, event=Feedback(handoff_id="h-0005", action=A.WON, by="crm", at=T0)
        )
    yield engine
    engine.dispose()


def _table(engine: Engine, by: str) -> dict[str, tuple[object, ...]]:
    with Session(engine) as session:
        rows = funnel(session=session, by=by)
    return {
        r.key: (
            r.handed_off,
            r.accepted,
            r.rejected,
            r.won,
            r.lost,
            dict(r.rejected_by_reason),
            dict(r.lost_by_reason),
            r.median_first_touch_s,
        )
        for r in rows
    }


def test_funnel_by_form_source_campaign_queue_and_rule(engine: Engine) -> None:
    assert _table(engine, "form") == {
        "demo-request": (2, 1, 1, 1, 0, {"spam": 1}, {}, 2 * 3600.0),
        "whitepaper": (2, 1, 1, 0, 1, {"not_a_fit": 1}, {"price": 1}, 4 * 3600.0),
        "pricing": (2, 1, 0, 0, 0, {}, {}, 1 * 3600.0),
    }
    assert _table(engine, "campaign") == {
        "(none)": (4, 2, 1, 0, 1, {"not_a_fit": 1}, {"price": 1}, 2.5 * 3600),
        "expo-tokyo": (2, 1, 1, 1, 0, {"spam": 1}, {}, 2 * 3600.0),
    }
    assert set(_table(engine, "source")) == {"google", "linkedin", "(none)"}
    assert _table(engine, "queue")["inside-sales"][:5] == (4, 2, 2, 1, 1)
    by_rule = _table(engine, "rule")
    assert by_rule["fit.employees.1000+"][:5] == (2, 1, 0, 0, 0)
    assert by_rule["intent.form.demo-request"][:5] == (4, 2, 2, 1, 1)
    with pytest.raises(ValueError, match="use one of rule, form"):
        _table(engine, "colour")
