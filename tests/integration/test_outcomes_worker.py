"""Nurture events and dead letters land in ``lead_outcomes`` once each, from the real broker."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas import DeadLetter, Disposition, ErrorCode, SourcePosition
from sinks.models import LeadOutcome
from streams.consumers.outcomes import OutcomesWorker
from streams.core.settings import Settings
from streams.kafka.producer import AsyncProducer
from streams.kafka.topics import ensure_topics
from tests.sales_factory import T0, migrated
from tests.scorecard_factory import nurture

pytestmark = pytest.mark.integration


async def test_outcomes_are_stored_once_and_refused_handoffs_are_not_counted(
    settings_for: Callable[..., Settings],
) -> None:
    settings = settings_for()
    ensure_topics(settings, [settings.topics.nurture, settings.topics.dlq], partitions=1)
    migrated(settings.database.url).dispose()
    letter = DeadLetter(
        error=ErrorCode.NOT_JSON, detail="not JSON", payload="{", failed_at=T0,
        source=SourcePosition(topic=settings.topics.submitted, partition=0, offset=3),
    )  # fmt: skip
    refused = letter.model_copy(
        update={"source": SourcePosition(topic=settings.topics.handoff, partition=0, offset=1)}
    )
    # After the refused one on the same partition: once it is stored, the refused one was read.
    last = letter.model_copy(
        update={"error": ErrorCode.TOO_LARGE, "source": letter.source.model_copy(update={"offset": 4})}
    )
    producer = AsyncProducer(settings.kafka.servers, timeout_s=10)
    event = nurture(1, Disposition.DISQUALIFIED, "linkedin", "disqualify.honeypot").model_dump_json().encode()
    for topic, value in [
        (settings.topics.nurture, event),
        (settings.topics.nurture, event),  # redelivered
        (settings.topics.nurture, b"not an event"),
        (settings.topics.dlq, letter.model_dump_json().encode()),
        (settings.topics.dlq, refused.model_dump_json().encode()),
        (settings.topics.dlq, last.model_dump_json().encode()),
    ]:
        await producer.send(topic, None, value)
    await producer.close()
    worker = OutcomesWorker(settings)
    task = asyncio.create_task(worker.run())
    engine = migrated(settings.database.url)
    try:
        for _ in range(200):
            with Session(engine) as session:
                rows = session.execute(
                    select(LeadOutcome.kind, LeadOutcome.reason, LeadOutcome.utm_source)
                ).all()
            if len(rows) >= 2:
                break
            await asyncio.sleep(0.1)
        worker.stopping.set()
        await asyncio.wait_for(task, 15)
    finally:
        engine.dispose()
    assert sorted(rows, key=str) == [
        ("dead_letter", "not_json", None),
        ("dead_letter", "too_large", None),
        ("disqualified", "disqualify.honeypot", "linkedin"),
    ]
