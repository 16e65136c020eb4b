"""The feedback consumer applies events from ``leads.feedback`` once, even when they come twice."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest
from kafka import KafkaProducer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from schemas import Erasure, Feedback, FeedbackAction
from sinks.models import FeedbackRecord, QueueItem
from sinks.queue import record_handoffs
from streams.consumers.feedback import FeedbackWorker
from streams.core.settings import Settings
from streams.kafka.topics import ensure_topics
from tests.sales_factory import T0, handoff, migrated

pytestmark = pytest.mark.integration


async def test_redelivered_feedback_is_applied_once_and_erasures_apply(
    settings_for: Callable[..., Settings], unique: Callable[[str], str]
) -> None:
    settings = settings_for(topic_erasure=unique("leads.erasure"))
    ensure_topics(settings, [settings.topics.feedback, settings.topics.erasure], partitions=2)
    engine = migrated(settings.database.url)
    with Session(engine) as session, session.begin():
        record_handoffs(session=session, now=T0, events=[handoff(1), handoff(2)])
    crm = [
        Feedback(handoff_id="h-0001", action=FeedbackAction.ACCEPTED, by="crm", at=T0),
        Feedback(handoff_id="h-0001", action=FeedbackAction.CONTACTED, by="crm", at=T0 + timedelta(hours=2)),
        Feedback(
            handoff_id="h-0001",
            action=FeedbackAction.LOST,
            reason="price",
            by="crm",
            at=T0 + timedelta(days=9),
        ),
        Feedback(handoff_id="h-0002", action=FeedbackAction.WON, by="crm", at=T0),  # not accepted
    ]
    producer = KafkaProducer(bootstrap_servers=settings.kafka.servers, acks="all")
    for event in crm + crm[:3]:  # the first three arrive twice
        producer.send(
            settings.topics.feedback, key=event.handoff_id.encode(), value=event.model_dump_json().encode()
        )
    producer.send(settings.topics.feedback, key=b"h-0002", value=b"{not json")
    # Another system erased person 2: twice, as at-least-once delivery allows.
    erasure = Erasure(lead_id="lead-0002", requested_at=T0, handoffs=1).model_dump_json().encode()
    for _ in range(2):
        producer.send(settings.topics.erasure, key=b"lead-0002", value=erasure)
    producer.flush()
    producer.close()

    worker = FeedbackWorker(settings, engine)
    task = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(30):
            while sum(worker.totals.values()) < 10:
                await asyncio.sleep(0.1)
    finally:
        worker.stopping.set()
        await task
    assert worker.totals == {
        "applied": 3,
        "duplicate": 3,
        "ignored": 1,
        "malformed": 1,
        "erased": 1,
        "erased_before": 1,
    }
    with Session(engine) as session:
        row = session.get_one(QueueItem, "h-0001")
        assert (row.status, row.outcome, row.reason) == ("closed", "lost", "price")
        erased = session.get_one(QueueItem, "h-0002")
        assert (erased.status, erased.outcome, erased.email) == ("closed", "erased", None)
        assert session.scalar(select(func.count()).select_from(FeedbackRecord)) == 4
    engine.dispose()
