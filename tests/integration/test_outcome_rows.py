"""Nurture events and dead letters as rows of ``lead_outcomes``: once each, in one statement a batch."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from schemas import DeadLetter, Disposition, ErrorCode, SourcePosition
from sinks.models import LeadOutcome
from sinks.outcomes import record_outcomes
from tests.sales_factory import T0
from tests.scorecard_factory import nurture

pytestmark = pytest.mark.integration


def _letter(offset: int, event_id: str | None = None) -> DeadLetter:
    return DeadLetter(
        error=ErrorCode.NOT_JSON, detail="not JSON", payload="{", failed_at=T0 + timedelta(minutes=offset),
        source=SourcePosition(topic="leads.submitted", partition=1, offset=offset), event_id=event_id,
    )  # fmt: skip


def test_every_outcome_is_stored_once_and_a_replay_adds_nothing(engine: Engine) -> None:
    events = [nurture(n, Disposition.NURTURE, "google", "nurture.low_score") for n in range(300)]
    events.append(events[7])  # the same event twice in one batch
    letters = [_letter(5), _letter(6, event_id="e-6")]
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with Session(engine) as session, session.begin():
        assert record_outcomes(session=session, nurture=events, dead_letters=letters) == 302
    assert sum("lead_outcomes" in s for s in statements) == 1  # one INSERT for the whole batch
    with Session(engine) as session, session.begin():
        assert record_outcomes(session=session, nurture=events[:10], dead_letters=letters) == 0
    with Session(engine) as session:
        rows = {r.event_id: r for r in session.scalars(select(LeadOutcome))}
    assert len(rows) == 302
    first = rows["n-0"]
    assert (first.kind, first.reason, first.form_id, first.utm_source, first.at) == (
        "nurture", "nurture.low_score", "whitepaper", "google", T0,
    )  # fmt: skip
    assert (rows["dlq:leads.submitted:1:5"].kind, rows["e-6"].reason) == ("dead_letter", "not_json")
    assert rows["e-6"].at == T0 + timedelta(minutes=6)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite keeps any length
def test_a_value_longer_than_its_column_is_refused_not_cut(engine: Engine) -> None:
    long = nurture(1, Disposition.NURTURE, "x" * 230, "nurture.low_score")  # the column holds 200
    with pytest.raises(DBAPIError), Session(engine) as session, session.begin():
        record_outcomes(session=session, nurture=[long])
