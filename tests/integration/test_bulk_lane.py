"""The bulk lane: an import waiting in leads.bulk never holds up a live lead."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import orjson

from schemas import SourcePosition
from streams.client import LeadProducer, key_of
from streams.consumers.intake import IntakeWorker, RecentIds
from streams.core.settings import Settings
from streams.kafka.envelopes import events_in
from streams.kafka.topics import ensure_topics
from streams.logic.pipeline import Outcome, decide
from streams.logic.policy_file import load_policy
from tests.topic_reader import read_topic

BULK = 3000
DECIDE_S = 0.0004


def _lead(event_id: str, n: int) -> bytes:
    return orjson.dumps(
        {
            "event_id": event_id,
            "submitted_at": "2026-11-25T10:00:00+09:00",
            "form_id": "demo-request",
            "email": f"person{n}@company{n % 97}.example.com",
            "company": f"Company {n % 97}",
            "job_title": "CTO",
        }
    )


async def test_a_live_lead_is_decided_before_a_waiting_bulk_import(
    settings_for: Callable[..., Settings],
) -> None:
    settings = settings_for(bulk_batch_size=100)
    await asyncio.to_thread(ensure_topics, settings)
    bulk = [_lead(f"bulk-{n}", n) for n in range(BULK)]
    live = _lead("live-demo", BULK)
    with LeadProducer(settings.kafka.servers, topic=settings.topics.bulk) as producer:
        producer.send_bulk(((key_of(m), m) for m in bulk), topic=settings.topics.bulk)

    def send_live() -> None:
        with LeadProducer(settings.kafka.servers, topic=settings.topics.submitted) as producer:
            producer.send_many_raw([(key_of(live), live)])

    policy = load_policy()
    order: list[str] = []

    def observed(raw: bytes | None, position: SourcePosition) -> Outcome:
        # A decision takes at least DECIDE_S here, so a bulk batch lasts longer than the
        # fetch that brings the live lead, however fast deciding itself gets: the count
        # below measures the lane, not the speed of decide().
        time.sleep(DECIDE_S)
        outcome = decide(raw, position, policy)
        order.append(outcome.event_id or "")
        return outcome

    worker = IntakeWorker(settings, observed, RecentIds(), off_loop=False)
    task = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(60):
            while len(order) < 100:
                await asyncio.sleep(0.005)
            await asyncio.to_thread(send_live)
            sent_after = len(order)
            while len(order) < BULK + 1:
                await asyncio.sleep(0.1)
    finally:
        worker.stopping.set()
        await task

    # The import was well under way and fetched ahead; the live lead still went within a
    # few small bulk batches of being sent (those decided while the fetch that brings it
    # is in flight), not after the rest of the import.
    assert sent_after < BULK / 2
    assert order.index("live-demo") - sent_after <= 5 * 100
    topics = settings.topics
    decided = [
        orjson.loads(event)["event_id"]
        for topic in (topics.routing, topics.routing_bulk, topics.nurture, topics.dlq)
        for _, value in read_topic(settings.kafka.bootstrap_servers, topic)
        for event in events_in(value)  # handoffs to route go several to a record
    ]
    assert len(decided) == len(set(decided))
    assert set(decided) == {f"bulk-{n}" for n in range(BULK)} | {"live-demo"}
