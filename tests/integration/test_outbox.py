"""Events recorded while the broker was away reach their topics later, once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas import FeedbackAction, SlaBreach
from sinks.models import FeedbackRecord, SlaBreachRecord
from sinks.queue import act, record_handoffs
from streams.agents.sla import SlaChecker
from streams.core.settings import Settings
from streams.kafka.publish import EventPublisher, relay_outbox
from streams.kafka.topics import ensure_topics
from streams.logic.sla import SlaPolicy
from tests.conftest import Kafka
from tests.sales_factory import T0, handoff, migrated, read_topic

pytestmark = pytest.mark.integration


def test_the_outbox_relays_feedback_and_breaches(settings_for: Callable[..., Settings], kafka: Kafka) -> None:
    settings = settings_for()
    ensure_topics(settings, [settings.topics.feedback, settings.topics.sla], partitions=2)
    engine = migrated(settings.database.url)
    with Session(engine) as session, session.begin():
        record_handoffs(session=session, now=T0, events=[handoff(1, owner="tanaka"), handoff(2)])
        # Recorded, never published (as if the broker had not answered).
        act(
            session=session,
            handoff_id="h-0002",
            action=FeedbackAction.REJECTED,
            by="mei",
            reason="spam",
            now=T0,
        )
    sla = SlaPolicy.model_validate({"default": {"action": "reassign"}})
    assert SlaChecker(engine, sla, {"inside-sales": ["tanaka", "mei"]}).check(T0 + timedelta(hours=1)) == 1

    publisher = EventPublisher(settings)
    try:
        assert relay_outbox(engine, publisher, retry_after_s=0) == (1, 1)
        assert relay_outbox(engine, publisher, retry_after_s=0) == (0, 0)
    finally:
        publisher.close()
    with Session(engine) as session:
        assert None not in session.scalars(select(FeedbackRecord.published_at)).all()
        assert None not in session.scalars(select(SlaBreachRecord.published_at)).all()
    engine.dispose()

    [(key, feedback)] = read_topic(kafka.bootstrap, settings.topics.feedback, until=1)
    assert (key, feedback["action"], feedback["reason"]) == ("h-0002", "rejected", "spam")
    [(key, raw)] = read_topic(kafka.bootstrap, settings.topics.sla, until=1)
    breach = SlaBreach.model_validate(raw)
    assert key == "h-0001"
    assert (breach.action, breach.from_owner, breach.to_owner) == ("reassign", "tanaka", "mei")
    assert breach.breach == 1
    assert breach.due_at == T0 + timedelta(minutes=1)
    assert breach.new_due_at == T0 + timedelta(hours=2)
