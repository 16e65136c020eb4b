"""Demo-like scorecard data: the demo's sample leads over twelve weeks, decided by the shipped policy,
then worked by scripted reps (accept, reject, contact, win, lose) at plausible delays."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from schemas import DeadLetter, FeedbackAction, HandoffEvent, NurtureEvent, SourcePosition
from sinks.outcomes import record_outcomes
from sinks.queue import act, record_handoffs
from sinks.sla import apply_breach, overdue
from streams.demo.samples import sample_messages
from streams.logic.pipeline import assign_owner, decide
from streams.logic.policy_file import load_policy

A = FeedbackAction
REJECTS = ("not_a_fit", "no_budget", "bad_contact_data", "student_or_job_seeker")


def _work(session: Session, event: HandoffEvent, rng: random.Random, weeks_ago: int) -> None:
    """One rep's handling of a lead; leads from one source are getting worse lately."""
    rep = event.owner or "sato.kenji"

    def do(action: FeedbackAction, at: datetime, reason: str | None = None) -> None:
        act(session=session, handoff_id=event.handoff_id, action=action, by=rep, reason=reason, now=at)

    start = event.submitted_at
    if rng.random() < 0.12:
        return  # not worked yet
    decided = start + timedelta(minutes=rng.lognormvariate(4.0, 1.0))
    source = event.source.utm.source or ""
    accept_odds = 0.3 if source == "event" and weeks_ago < 4 else 0.8
    if rng.random() > accept_odds:
        reason = rng.choice(REJECTS)
        act(
            session=session,
            handoff_id=event.handoff_id,
            action=A.REJECTED,
            by=rep,
            reason=reason,
            now=decided,
        )
        return
    do(A.ACCEPTED, decided)
    touched = decided + timedelta(minutes=rng.lognormvariate(3.0, 1.2))
    do(A.CONTACTED, touched)
    if rng.random() < 0.3:
        act(
            session=session,
            handoff_id=event.handoff_id,
            action=A.WON,
            by=rep,
            now=touched + timedelta(days=9),
        )
    elif rng.random() < 0.3:
        do(A.LOST, touched + timedelta(days=12), "timing")


def load_demo(engine: Engine, *, now: datetime, per_week: int = 60, weeks: int = 12) -> int:
    """Decide ``per_week`` sample leads a week for ``weeks`` weeks to ``now``, work them; count handoffs."""
    policy = load_policy()
    rng = random.Random(14)  # noqa: S311 - sample data
    count = 0
    with Session(engine) as session, session.begin():
        for k, day in ((k, d) for k in range(weeks - 1, -1, -1) for d in range(4, -1, -1)):
            day_now = now - timedelta(weeks=k, days=day)
            handoffs: list[HandoffEvent] = []
            nurture: list[NurtureEvent] = []
            letters: list[DeadLetter] = []
            raws = sample_messages(per_week // 5, seed=1000 + 10 * k + day, now=day_now)
            for offset, raw in enumerate(raws):
                position = SourcePosition(topic="leads.submitted", partition=k, offset=100 * day + offset)
                outcome = decide(raw, position, policy, day_now, at_submission=True)
                if isinstance(outcome, HandoffEvent):
                    handoffs.append(assign_owner(outcome, policy, count + len(handoffs)))
                elif isinstance(outcome, NurtureEvent):
                    nurture.append(outcome)
                else:
                    letters.append(outcome)
            record_handoffs(session=session, events=handoffs, now=day_now)
            record_outcomes(session=session, nurture=nurture, dead_letters=letters)
            for event in handoffs:
                _work(session, event, rng, k)
            count += len(handoffs)
        for row in overdue(session=session, now=now, limit=15):
            apply_breach(
                session=session, row=row, action="escalate", to_owner=row.owner, to_queue=row.queue,
                new_due_at=now + timedelta(hours=4), now=now,
            )  # fmt: skip
    return count
