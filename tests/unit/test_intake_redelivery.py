"""A batch whose outputs the broker did not confirm is decided and sent again in full.

Intake remembers the event ids it has handed on, so that a redelivered record (after a
rebalance, or a retried send that did land) is not emitted twice. An id may only count as
handed on once the broker has confirmed its outputs: a send that failed rewinds the
consumer, and the same records come back to be sent again. The outcome counters move
then too, so a batch sent twice is counted once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

import orjson
from aiokafka import TopicPartition
from aiokafka.errors import KafkaTimeoutError
from prometheus_client import REGISTRY

from schemas import SourcePosition
from streams.consumers.intake import IntakeWorker, RecentIds
from streams.core.settings import load_settings
from streams.kafka.batch_send import Output
from streams.kafka.envelopes import events_in
from streams.logic.pipeline import Outcome, decide
from streams.logic.policy_file import load_policy

POLICY = load_policy(None)


def lead(index: int) -> bytes:
    return orjson.dumps(
        {
            "event_id": f"redeliver-{index}",
            "submitted_at": "2026-11-25T01:00:00+00:00",
            "form_id": "demo-request" if index % 2 else "whitepaper",
            "email": f"person{index}@firm{index}.example.com",
            "first_name": f"Name{index}",
            "last_name": "Smith",
            "company": f"Acme {index}",
            "job_title": "CTO" if index % 2 else "Engineer",
            "country": "US",
            "employees": 800,
        }
    )


def decide_one(raw: bytes | None, position: SourcePosition) -> Outcome:
    return decide(raw, position, POLICY)


class FlakySender:
    """Refuses the first ``failures`` sends (as a broker timeout), then keeps what it is given."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[Output] = []

    async def send_all(self, outputs: Sequence[Output]) -> None:
        if self.failures:
            self.failures -= 1
            raise KafkaTimeoutError()
        self.sent.extend(outputs)


def counted() -> float:
    """Every outcome intake has counted so far, no-ops included."""
    return sum(
        sample.value
        for metric in REGISTRY.collect()
        if metric.name == "handoff_outcomes"
        for sample in metric.samples
        if sample.name == "handoff_outcomes_total"
    )


def event_ids(outputs: Sequence[Output]) -> list[str]:
    return [orjson.loads(value)["event_id"] for _, _, value, _ in outputs for value in events_in(value)]


def batch(topic: str, n: int) -> dict[TopicPartition, list[Any]]:
    records = [
        SimpleNamespace(topic=topic, partition=0, offset=i, value=lead(i), timestamp=1_764_032_400_000 + i)
        for i in range(n)
    ]
    return {TopicPartition(topic, 0): records}


@asynccontextmanager
async def intake_sending_to(sender: FlakySender) -> AsyncIterator[IntakeWorker]:
    """An intake worker, never started (no broker needed), whose outputs go to ``sender``."""
    worker = IntakeWorker(load_settings(), decide_one, RecentIds(), off_loop=False)
    worker.sender = sender  # type: ignore[assignment]
    try:
        yield worker
    finally:
        await worker.consumer.stop()
        await worker.producer.stop()


async def test_a_batch_whose_send_failed_is_sent_in_full_when_it_comes_back() -> None:
    sender = FlakySender(failures=1)
    async with intake_sending_to(sender) as worker:
        records = batch(worker.settings.topics.submitted, 6)
        before = counted()
        assert await worker.handle(records) is False  # not confirmed: the consumer rewinds
        assert sender.sent == []
        assert counted() == before
        assert await worker.handle(records) is True  # the same records, redelivered
        assert sorted(event_ids(sender.sent)) == sorted(f"redeliver-{i}" for i in range(6))
        assert counted() == before + 6
        # Handed on now: a further redelivery (a rebalance, say) emits nothing again.
        assert await worker.handle(records) is True
        assert len(event_ids(sender.sent)) == 6
        assert counted() == before + 12  # six idempotent no-ops


async def test_a_repeat_within_one_batch_is_emitted_once() -> None:
    sender = FlakySender(failures=0)
    async with intake_sending_to(sender) as worker:
        ((tp, rs),) = batch(worker.settings.topics.submitted, 3).items()
        again = SimpleNamespace(**{**vars(rs[1]), "offset": 3})  # the same event id, sent twice
        assert await worker.handle({tp: [*rs, again]}) is True
        assert sorted(event_ids(sender.sent)) == ["redeliver-0", "redeliver-1", "redeliver-2"]
