"""Publish recorded events to Kafka (acks=all) and re-send whatever the outbox tables still hold."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from schemas import Feedback, SlaBreach
from sinks.feedback import (
    mark_breaches_published,
    mark_feedback_published,
    unpublished_breaches,
    unpublished_feedback,
)
from sinks.models import QueueItem, SlaBreachRecord
from sinks.transitions import as_utc
from streams.core.settings import Settings
from streams.kafka.producer import Producer

log = logging.getLogger(__name__)


class EventPublisher:
    """Publishes the desk's and the SLA checker's events, connecting on first use."""

    def __init__(self, settings: Settings, *, timeout_s: float = 5.0) -> None:
        self.settings = settings
        self.timeout_s = timeout_s
        self._producer: Producer | None = None

    def send(self, topic: str, messages: Sequence[tuple[str, bytes]]) -> None:
        """Send keyed messages and wait until the broker has all of them (DeliveryError if not)."""
        if not messages:
            return
        if self._producer is None:
            self._producer = Producer(
                self.settings.kafka.servers, timeout_s=self.timeout_s, client_id="handoff-sales", linger_ms=2
            )
        self._producer.send_many(topic, [(key.encode(), value) for key, value in messages])

    def send_feedback(self, engine: Engine, events: Sequence[Feedback]) -> None:
        """Publish feedback keyed by handoff_id, then mark it published in the outbox."""
        self.send(
            self.settings.topics.feedback, [(e.handoff_id, e.model_dump_json().encode()) for e in events]
        )
        with Session(engine) as session, session.begin():
            mark_feedback_published(session=session, events=list(events), now=datetime.now(UTC))

    def close(self) -> None:
        """Flush and disconnect."""
        if self._producer is not None:
            self._producer.close()
            self._producer = None


def breach_event(record: SlaBreachRecord, row: QueueItem | None) -> SlaBreach:
    """The ``leads.sla`` event of a stored breach."""
    return SlaBreach(
        handoff_id=record.handoff_id,
        lead_id=row.lead_id if row else "",
        due_at=as_utc(record.due_at),
        stage=row.stage if row else "MQL",
        status=row.status if row else "unknown",
        breached_at=as_utc(record.breached_at),
        breach=record.breach,
        action=record.action,
        from_owner=record.from_owner,
        to_owner=record.to_owner,
        from_queue=record.from_queue,
        to_queue=record.to_queue,
        new_due_at=as_utc(record.new_due_at) if record.new_due_at else None,
    )


def relay_outbox(engine: Engine, publisher: EventPublisher, *, retry_after_s: float) -> tuple[int, int]:
    """Publish SLA breaches not yet on the topic and feedback stuck in the outbox; (feedback, breaches)."""
    now = datetime.now(UTC)
    with Session(engine) as session:
        feedback = unpublished_feedback(session=session, before=now - timedelta(seconds=retry_after_s))
        records = unpublished_breaches(session=session, before=now + timedelta(seconds=1))
        breaches = [breach_event(r, session.get(QueueItem, r.handoff_id)) for r in records]
        ids = [r.id for r in records]
    if feedback:
        publisher.send_feedback(engine, feedback)
        log.info("re-sent %d feedback events from the outbox", len(feedback))
    if breaches:
        publisher.send(
            publisher.settings.topics.sla, [(b.handoff_id, b.model_dump_json().encode()) for b in breaches]
        )
        with Session(engine) as session, session.begin():
            mark_breaches_published(session=session, ids=ids, now=datetime.now(UTC))
    return len(feedback), len(breaches)
