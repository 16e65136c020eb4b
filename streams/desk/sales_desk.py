"""What a rep does with a queue, shared by the CLI, the JSON API and the pages.

Each action commits the queue row and its feedback event in one transaction, then
publishes the event to ``leads.feedback``. If the broker does not confirm, the action
still stands: the event waits in the outbox and the SLA worker re-sends it.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from schemas import Erasure, Feedback, FeedbackAction
from sinks import queue as ops
from sinks.erase import ErasureResult, erase_person
from sinks.funnel import FunnelRow, funnel
from sinks.store import make_engine
from streams.core.settings import Settings
from streams.desk.lead_view import view
from streams.kafka.producer import DeliveryError
from streams.kafka.publish import EventPublisher
from streams.logic.lead import lead_id_for
from streams.logic.normalise import normalise_email
from streams.logic.policy import Policy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Done:
    """The row after an action, and whether its feedback event reached the topic."""

    item: dict[str, Any]
    published: bool


class SalesDesk:
    """Queue operations with feedback publishing, over one engine and one producer."""

    def __init__(
        self, settings: Settings, *, engine: Engine | None = None, publisher: EventPublisher | None = None
    ) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings.database.url)
        self._owns_engine = engine is None
        self.publisher = publisher or EventPublisher(settings)
        self._policy: Policy | None = None

    def reasons(self, action: FeedbackAction) -> Collection[str] | None:
        """The reason codes an action accepts (None: it takes none)."""
        if action == FeedbackAction.REJECTED:
            return self.settings.desk.reject_reasons
        if action == FeedbackAction.LOST:
            return self.settings.desk.lost_reasons
        return None

    def items(
        self,
        *,
        queue: str | None = None,
        owner: str | None = None,
        status: Collection[str] | None = None,
        limit: int = 100,
        offset: int = 0,
        visible_to: tuple[str, Collection[str]] | None = None,
    ) -> list[dict[str, Any]]:
        """Rows matching the filters, most urgent first (``visible_to``: only what that rep may see)."""
        with Session(self.engine) as session:
            rows = ops.list_items(
                session=session,
                queue=queue,
                owner=owner,
                status=status,
                limit=limit,
                offset=offset,
                visible_to=visible_to,
            )
            return [view(r) for r in rows]

    def count(
        self,
        *,
        queue: str | None = None,
        owner: str | None = None,
        status: Collection[str] | None = None,
        visible_to: tuple[str, Collection[str]] | None = None,
    ) -> int:
        """How many rows match the filters."""
        with Session(self.engine) as session:
            return ops.count_items(
                session=session, queue=queue, owner=owner, status=status, visible_to=visible_to
            )

    @property
    def policy(self) -> Policy:
        """The qualification policy (rosters and reps' time zones), read once."""
        if self._policy is None:
            from streams.logic.policy_file import load_policy

            self._policy = load_policy(self.settings.policy.rules_file)
        return self._policy

    def claim_most_urgent(self, *, queues: Collection[str], rep: str) -> Done | None:
        """Claim the most urgent open lead across ``queues`` for ``rep``."""
        waiting = self.items(status=("open",), limit=1, visible_to=(rep, queues))
        for queue in dict.fromkeys(i["queue"] for i in waiting):
            done = self.claim_next(queue=queue, rep=rep)
            if done is not None:
                return done
        # Someone took it meanwhile: fall back to each queue in turn.
        for queue in queues:
            done = self.claim_next(queue=queue, rep=rep)
            if done is not None:
                return done
        return None

    def claimable(self, *, queue: str, rep: str) -> int:
        """How many open leads ``rep`` could claim next in ``queue``."""
        with Session(self.engine) as session:
            return ops.count_claimable(session=session, queue=queue, rep=rep)

    def item(self, handoff_id: str) -> dict[str, Any]:
        """One row; raises NotFound."""
        with Session(self.engine) as session:
            return view(ops.get_item(session=session, handoff_id=handoff_id))

    def _publish(self, event: Feedback) -> bool:
        try:
            self.publisher.send_feedback(self.engine, [event])
        except DeliveryError as exc:
            log.warning("feedback for %s recorded but not published yet: %s", event.handoff_id, exc)
            return False
        return True

    def claim_next(self, *, queue: str, rep: str) -> Done | None:
        """Claim the most urgent open lead of a queue for ``rep``."""
        with Session(self.engine) as session, session.begin():
            claimed = ops.claim_next(session=session, queue=queue, rep=rep, now=datetime.now(UTC))
            if claimed is None:
                return None
            item, event = view(claimed[0]), claimed[1]
        return Done(item, self._publish(event))

    def act(self, *, handoff_id: str, action: FeedbackAction, rep: str, reason: str | None = None) -> Done:
        """Accept, reject, mark contacted, won or lost; raises QueueError with the reason."""
        with Session(self.engine) as session, session.begin():
            row, event = ops.act(
                session=session,
                handoff_id=handoff_id,
                action=action,
                by=rep,
                reason=reason,
                allowed_reasons=self.reasons(action),
                now=datetime.now(UTC),
            )
            item = view(row)
        return Done(item, self._publish(event))

    def reassign(self, *, handoff_id: str, owner: str) -> dict[str, Any]:
        """Move a lead still being worked to another rep; raises QueueError."""
        with Session(self.engine) as session, session.begin():
            return view(
                ops.reassign(session=session, handoff_id=handoff_id, owner=owner, now=datetime.now(UTC))
            )

    def funnel(self, by: str) -> list[FunnelRow]:
        """Funnel statistics grouped by rule, form, source, campaign or queue."""
        with Session(self.engine) as session:
            return funnel(session=session, by=by)

    def erase(self, email: str) -> tuple[ErasureResult, Erasure]:
        """Erase a person by email and announce it on the erasure topic (raises DeliveryError)."""
        address = normalise_email(email)
        lead_id = lead_id_for(address)
        now = datetime.now(UTC)
        with Session(self.engine) as session, session.begin():
            result = erase_person(session=session, lead_id=lead_id, email=address, now=now)
        event = Erasure(lead_id=lead_id, requested_at=now, handoffs=result.queue_rows)
        self.publisher.send(self.settings.topics.erasure, [(lead_id, event.model_dump_json().encode())])
        return result, event

    def close(self) -> None:
        """Release the producer and, when this desk made it, the engine."""
        self.publisher.close()
        if self._owns_engine:
            self.engine.dispose()

    def __enter__(self) -> SalesDesk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
