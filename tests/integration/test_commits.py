"""Commits of written batches: held for the interval, then committed; at once on a rebalance and on stop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from streams.consumers.rewind import Commits
from tests.conftest import Kafka

pytestmark = pytest.mark.integration


def member(kafka: Kafka, group: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=2000,
        heartbeat_interval_ms=500,
    )


async def fill(kafka: Kafka, topic: str, partitions: int, per_partition: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await producer.start()
    try:
        for i in range(per_partition):
            for p in range(partitions):
                await producer.send_and_wait(topic, f"{p}-{i}".encode(), partition=p)
    finally:
        await producer.stop()


async def take(consumer: AIOKafkaConsumer, wanted: int) -> dict[TopicPartition, list[object]]:
    got: dict[TopicPartition, list[object]] = {}
    for _ in range(40):
        for tp, records in (await consumer.getmany(timeout_ms=500)).items():
            got.setdefault(tp, []).extend(records)
        if sum(map(len, got.values())) >= wanted:
            return got
    raise AssertionError(f"only {sum(map(len, got.values()))} of {wanted} records arrived")


async def committed(consumer: AIOKafkaConsumer, tps: list[TopicPartition]) -> dict[int, int | None]:
    return {tp.partition: await consumer.committed(tp) for tp in tps}


@asynccontextmanager
async def subscribed(
    kafka: Kafka, unique: Callable[[str], str], partitions: int, per_partition: int, every_s: float
) -> AsyncIterator[tuple[AIOKafkaConsumer, Commits, list[TopicPartition]]]:
    """A fresh filled topic and one started member of a fresh group, with its Commits as listener."""
    topic = kafka.create_topic(unique("commits"), partitions)
    await fill(kafka, topic, partitions, per_partition)
    consumer = member(kafka, unique("group"))
    commits = Commits(consumer, "test", every_s=every_s)
    consumer.subscribe([topic], listener=commits)
    await consumer.start()
    try:
        yield consumer, commits, [TopicPartition(topic, p) for p in range(partitions)]
    finally:
        await consumer.stop()


async def test_written_batches_are_committed_once_the_interval_has_passed(
    kafka: Kafka, unique: Callable[[str], str]
) -> None:
    async with subscribed(kafka, unique, 2, 3, every_s=0.6) as (consumer, commits, tps):
        batch = await take(consumer, 6)
        commits.written(records[0] for records in batch.values())
        await commits.commit()  # as on a stop: at once
        assert await committed(consumer, tps) == {0: 1, 1: 1}
        commits.written(r for records in batch.values() for r in records)
        await commits.commit_due()
        assert await committed(consumer, tps) == {0: 1, 1: 1}  # not yet: the interval holds it
        await asyncio.sleep(0.7)
        await commits.commit_due()
        assert await committed(consumer, tps) == {0: 3, 1: 3}
        assert not commits.pending


async def test_interval_zero_commits_every_batch_and_stop_commits_what_is_written(
    kafka: Kafka, unique: Callable[[str], str]
) -> None:
    async with subscribed(kafka, unique, 1, 4, every_s=0) as (consumer, every, tps):
        batch = await take(consumer, 4)
        every.written(batch[tps[0]][:2])
        await every.commit_due()
        assert await committed(consumer, tps) == {0: 2}
        # Then a stop: committed without waiting for the interval.
        held = Commits(consumer, "test", every_s=3600)
        held.written(batch[tps[0]])
        await held.commit_due()
        assert await committed(consumer, tps) == {0: 2}
        await held.commit()
        assert await committed(consumer, tps) == {0: 4}


async def test_a_rebalance_commits_what_the_member_wrote_of_the_partitions_it_gives_up(
    kafka: Kafka, unique: Callable[[str], str]
) -> None:
    topic = kafka.create_topic(unique("commits"), 2)
    tps = [TopicPartition(topic, p) for p in range(2)]
    await fill(kafka, topic, 2, 5)
    group = unique("group")
    first = member(kafka, group)
    commits = Commits(first, "test", every_s=3600)  # only the rebalance can commit here
    first.subscribe([topic], listener=commits)
    await first.start()
    second = member(kafka, group)
    try:
        batch = await take(first, 10)
        commits.written(r for records in batch.values() for r in records)
        second.subscribe([topic])
        await second.start()
        # The second member joining makes the first give partitions up (and commit them).
        for _ in range(40):
            await first.getmany(timeout_ms=250)
            if second.assignment():
                break
            await asyncio.sleep(0.1)
        assert second.assignment()
        assert await committed(second, tps) == {0: 5, 1: 5}
    finally:
        await second.stop()
        await first.stop()
