"""Working a sales queue on real SQLite and PostgreSQL: claims, transitions, reasons."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from schemas import FeedbackAction as A
from sinks.models import FeedbackRecord
from sinks.queue import act, apply_feedback, claim_next, list_items, record_handoffs
from sinks.transitions import DEFAULT_REJECT_REASONS, BadReason, InvalidTransition, NotFound, NotYours
from tests.sales_factory import T0, handoff

pytestmark = pytest.mark.integration


def _load(engine: Engine, *events: object) -> None:
    with Session(engine) as session, session.begin():
        record_handoffs(session=session, events=list(events), now=T0)  # type: ignore[arg-type]


def _claim(engine: Engine, queue: str, rep: str) -> str | None:
    with Session(engine) as session, session.begin():
        got = claim_next(session=session, queue=queue, rep=rep, now=T0)
        return got[0].handoff_id if got else None


def _act(engine: Engine, hid: str, action: A, by: str, reason: str | None = None) -> str:
    with Session(engine) as session, session.begin():
        row, _ = act(
            session=session,
            handoff_id=hid,
            action=action,
            by=by,
            reason=reason,
            allowed_reasons=DEFAULT_REJECT_REASONS,
            now=T0 + timedelta(minutes=5),
        )
        return row.status


def test_claim_next_takes_the_most_urgent_lead_that_is_free_or_mine(engine: Engine) -> None:
    _load(engine, handoff(3), handoff(1, owner="sato"), handoff(2), handoff(9, queue="enterprise"))
    assert _claim(engine, "inside-sales", "tanaka") == "h-0002"  # h-0001 belongs to sato
    assert _claim(engine, "inside-sales", "sato") == "h-0001"
    assert _claim(engine, "inside-sales", "tanaka") == "h-0003"
    assert _claim(engine, "inside-sales", "tanaka") is None
    with Session(engine) as session:
        mine = list_items(session=session, owner="tanaka", status=["claimed"])
        assert [r.handoff_id for r in mine] == ["h-0002", "h-0003"]
        claims = session.scalars(
            select(FeedbackRecord.handoff_id).where(FeedbackRecord.action == "claimed")
        ).all()
        assert sorted(claims) == ["h-0001", "h-0002", "h-0003"]


def test_transitions_are_enforced_with_clear_errors(engine: Engine) -> None:
    _load(engine, handoff(1), handoff(2))
    assert _claim(engine, "inside-sales", "tanaka") == "h-0001"
    with pytest.raises(NotYours, match="belongs to tanaka"):
        _act(engine, "h-0001", A.ACCEPTED, "sato")
    with pytest.raises(InvalidTransition, match="it is claimed .*allowed from accepted"):
        _act(engine, "h-0001", A.WON, "tanaka")
    with pytest.raises(BadReason, match="needs a reason: one of not_a_fit"):
        _act(engine, "h-0001", A.REJECTED, "tanaka")
    with pytest.raises(BadReason, match="unknown rejected reason 'meh'"):
        _act(engine, "h-0001", A.REJECTED, "tanaka", "meh")
    with pytest.raises(NotFound):
        _act(engine, "h-9999", A.ACCEPTED, "tanaka")
    assert _act(engine, "h-0001", A.ACCEPTED, "tanaka") == "accepted"
    assert _act(engine, "h-0001", A.CONTACTED, "tanaka") == "accepted"
    assert _act(engine, "h-0001", A.WON, "tanaka") == "closed"
    with pytest.raises(InvalidTransition, match="it is closed"):
        _act(engine, "h-0001", A.LOST, "tanaka", "price")
    # An open, unassigned lead can be rejected straight away, with a reason from the list.
    assert _act(engine, "h-0002", A.REJECTED, "sato", "student_or_job_seeker") == "rejected"
    with pytest.raises(InvalidTransition, match="it is rejected"):
        _act(engine, "h-0002", A.ACCEPTED, "sato")


def test_twenty_concurrent_claimers_never_get_the_same_lead(engine: Engine) -> None:
    _load(engine, *(handoff(n) for n in range(30)))
    barrier = threading.Barrier(20)
    got: list[str | None] = [None] * 20
    errors: list[BaseException] = []

    def claimer(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            got[i] = _claim(engine, "inside-sales", f"rep-{i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    claimed = [g for g in got if g is not None]
    assert len(claimed) == 20
    assert len(set(claimed)) == 20
    # The 20 most urgent ones, whoever got which.
    assert set(claimed) == {f"h-{n:04d}" for n in range(20)}
    with Session(engine) as session:
        owners = {r.handoff_id: r.owner for r in list_items(session=session, status=["claimed"])}
    assert {owners[h] for h in claimed} == {f"rep-{i}" for i in range(20)}


def test_feedback_from_the_topic_applies_once(engine: Engine) -> None:
    from schemas import Feedback

    _load(engine, handoff(1))
    accepted = Feedback(handoff_id="h-0001", action=A.ACCEPTED, by="crm", at=T0)
    won = Feedback(handoff_id="h-0001", action=A.WON, by="crm", at=T0 + timedelta(days=3))
    early = Feedback(handoff_id="h-0001", action=A.CONTACTED, by="crm", at=T0 - timedelta(days=1))
    unknown = Feedback(handoff_id="h-4040", action=A.ACCEPTED, by="crm", at=T0)
    with Session(engine) as session, session.begin():
        results = [
            apply_feedback(session=session, event=e, now=T0) for e in (accepted, accepted, won, won, unknown)
        ]
    assert results == ["applied", "duplicate", "applied", "duplicate", "ignored"]
    with Session(engine) as session, session.begin():
        # A redelivery after the row moved on changes nothing.
        assert apply_feedback(session=session, event=accepted, now=T0) == "duplicate"
        assert apply_feedback(session=session, event=early, now=T0) == "ignored"
    with Session(engine) as session:
        row = list_items(session=session)[0]
        assert (row.status, row.outcome) == ("closed", "won")
        stored = session.scalars(select(FeedbackRecord.applied).order_by(FeedbackRecord.at)).all()
        assert sorted(stored) == [False, False, True, True]
