"""SLA: act on handoffs nobody touched before their deadline, and re-send stuck outbox events.

A Faust timer rather than a stream agent: there is nothing to consume, only the
database to look at. Every worker may run it; the unique (handoff_id, due_at)
breach row makes each missed deadline act exactly once however many run it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import faust
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from sinks.models import QueueItem
from sinks.sla import StaleBreach, apply_breach, overdue
from sinks.store import make_engine
from sinks.transitions import as_utc
from streams.core.settings import Settings
from streams.kafka.producer import DeliveryError
from streams.kafka.publish import EventPublisher, relay_outbox
from streams.logic.policy_file import load_policy
from streams.logic.sla import Overdue, SlaPolicy, decide_breach, sla_policy

log = logging.getLogger(__name__)


class SlaChecker:
    """Finds overdue handoffs, applies the policy's action once per missed deadline."""

    def __init__(self, engine: Engine, sla: SlaPolicy, rosters: Mapping[str, Sequence[str]]) -> None:
        self.engine, self.sla, self.rosters = engine, sla, rosters

    def check(self, now: datetime | None = None) -> int:
        """Handle every overdue handoff; returns how many breaches this call handled."""
        now = now or datetime.now(UTC)
        with Session(self.engine) as session:
            found = [
                Overdue(r.handoff_id, r.queue, r.owner, as_utc(r.sla_due_at), r.breaches)
                for r in overdue(session=session, now=now)
            ]
        handled = 0
        for item in found:
            decision = decide_breach(item, self.sla, self.rosters, now)
            try:
                with Session(self.engine) as session, session.begin():
                    row = session.get_one(QueueItem, item.handoff_id)
                    if as_utc(row.sla_due_at) != item.due_at or row.owner != item.owner:
                        continue  # changed since we looked; the next check decides afresh
                    done = apply_breach(
                        session=session,
                        row=row,
                        action=decision.action.value,
                        to_owner=decision.to_owner,
                        to_queue=decision.to_queue,
                        new_due_at=decision.new_due_at,
                        now=now,
                    )
            except StaleBreach:
                continue
            if done is not None:
                handled += 1
                log.info(
                    "SLA breach %s: %s (%s -> %s)",
                    item.handoff_id,
                    decision.action.value,
                    item.owner,
                    decision.to_owner if decision.to_owner else decision.to_queue,
                )
        return handled


def checker_for(settings: Settings, engine: Engine) -> SlaChecker:
    """A checker using the configured policy's ``sla:`` section and queue rosters."""
    policy = load_policy(settings.policy.rules_file)
    return SlaChecker(engine, sla_policy(policy), {q: c.reps for q, c in policy.queues.items()})


def run_once(settings: Settings, checker: SlaChecker, publisher: EventPublisher) -> None:
    """One round: act on breaches, then put breaches and stuck feedback on their topics."""
    try:
        checker.check()
    except SQLAlchemyError as exc:
        # A database blip or a schema not migrated yet: try again next round rather than crash.
        log.warning("SLA check failed this round: %s", str(exc).splitlines()[0][:200])
        return
    try:
        relay_outbox(checker.engine, publisher, retry_after_s=settings.desk.outbox_retry_after_s)
    except DeliveryError as exc:
        log.warning("outbox not relayed this round: %s", exc)


def register(app: faust.App, settings: Settings) -> Any:
    """Attach the periodic SLA check to the app."""
    engine = make_engine(settings.database.url)
    checker = checker_for(settings, engine)
    publisher = EventPublisher(settings)

    @app.timer(settings.sla.check_interval_s, name="handoff.sla")  # type: ignore[untyped-decorator]
    async def sla_check() -> None:
        await asyncio.get_running_loop().run_in_executor(None, run_once, settings, checker, publisher)

    return sla_check
