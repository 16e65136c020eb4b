"""A scripted scorecard week: handoffs, rep actions, an SLA breach, nurture and dead letters."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from schemas import (
    Contact,
    DeadLetter,
    Disposition,
    ErrorCode,
    NurtureEvent,
    Reason,
    Source,
    SourcePosition,
    Stage,
    Utm,
)
from schemas import FeedbackAction as A
from sinks.models import QueueItem
from sinks.outcomes import record_outcomes
from sinks.queue import act, record_handoffs
from sinks.sla import apply_breach
from tests.sales_factory import T0, handoff

H = timedelta(hours=1)


def src(form: str, source: str | None = None, campaign: str | None = None) -> Source:
    return Source(form_id=form, utm=Utm(source=source, campaign=campaign))


def nurture(n: int, disposition: Disposition, source: str, rule: str, at: datetime = T0) -> NurtureEvent:
    return NurtureEvent(
        event_id=f"n-{n}",
        lead_id=f"lead-n{n}",
        disposition=disposition,
        reasons=[Reason(rule=rule, points=0)],
        score=10,
        fit=5,
        intent=5,
        rules_version="default@test",
        contact=Contact(email=f"n{n}@example.com"),
        source=src("whitepaper", source),
        submitted_at=at,
        decided_at=at,
    )


def script_week(engine: Engine) -> None:
    """A scripted week (2 November 2026) of handoffs, rep actions, a breach and early outcomes."""
    events = [
        handoff(1, source=src("demo-request", "google", "expo-tokyo"), sla_due_at=T0 + 4 * H),
        handoff(2, source=src("demo-request", "google", "expo-tokyo"), stage=Stage.MQL),
        handoff(3, source=src("whitepaper", "linkedin"), stage=Stage.MQL),
        handoff(4, source=src("whitepaper", "linkedin")),
        handoff(5, source=src("pricing"), queue="enterprise"),
        handoff(6, source=src("pricing"), queue="enterprise"),
        # The Monday before: only in the trend.
        handoff(7, source=src("pricing", "google"), submitted_at=T0 - 7 * 24 * H),
    ]
    with Session(engine) as session, session.begin():
        record_handoffs(session=session, events=events, now=T0)
        script: list[tuple[str, A, str, str | None, datetime]] = [
            ("h-0001", A.ACCEPTED, "aki", None, T0),
            ("h-0001", A.CONTACTED, "aki", None, T0 + H),
            ("h-0001", A.WON, "aki", None, T0 + 30 * H),
            ("h-0002", A.REJECTED, "aki", "spam", T0),
            ("h-0003", A.ACCEPTED, "ben", None, T0),
            ("h-0003", A.CONTACTED, "ben", None, T0 + 3 * H),
            ("h-0003", A.LOST, "ben", "price", T0 + 50 * H),
            ("h-0004", A.REJECTED, "ben", "not_a_fit", T0),
            ("h-0006", A.ACCEPTED, "cho", None, T0),
            ("h-0006", A.CONTACTED, "cho", None, T0),
            ("h-0007", A.ACCEPTED, "aki", None, T0),
        ]
        for hid, action, rep, reason, at in script:
            act(session=session, handoff_id=hid, action=action, by=rep, reason=reason, now=at)
        row = session.get_one(QueueItem, "h-0005")
        apply_breach(
            session=session, row=row, action="reassign", to_owner="cho", to_queue="enterprise",
            new_due_at=T0 + 2 * H, now=T0 + H,
        )  # fmt: skip
        record_outcomes(
            session=session,
            nurture=[
                nurture(1, Disposition.NURTURE, "google", "stage.none"),
                nurture(2, Disposition.DISQUALIFIED, "linkedin", "disqualify.disposable_email"),
                nurture(3, Disposition.DISQUALIFIED, "linkedin", "disqualify.honeypot"),
                nurture(4, Disposition.DUPLICATE, "google", "duplicate"),
                nurture(5, Disposition.NURTURE, "google", "stage.none", at=T0 - 30 * 24 * H),
            ],
            dead_letters=[
                DeadLetter(
                    error=ErrorCode.NOT_JSON,
                    detail="not JSON",
                    payload="{",
                    failed_at=T0,
                    source=SourcePosition(topic="leads.submitted", partition=0, offset=9),
                )  # fmt: skip
            ],
        )
