"""Consumer-group lag against a real embedded Tansu broker."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from kafka import (
    KafkaAdminClient,
    KafkaConsumer,
    KafkaProducer,
    TopicPartition,
)
from kafka.admin import NewTopic
from kafka.structs import OffsetAndMetadata

from streams.kafka.offsets import end_offsets
from streams.lag.collect import (
    PartitionLag,
    collect_lag,
    lag_as_json,
    render_lag_table,
)
from tests.conftest import Kafka

pytestmark = pytest.mark.integration


@pytest.fixture
def bootstrap(kafka: Kafka) -> str:
    """The session's broker."""
    return kafka.bootstrap


def _unique(prefix: str) -> str:
    """Return a name that no other test run uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _create_topic(bootstrap: str, partitions: int) -> str:
    """Create a fresh topic with the given partition count and return its name."""
    name = _unique("lag-topic")
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5_000)
    try:
        admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        admin.close()
    return name


def _produce(bootstrap: str, topic: str, counts: dict[int, int]) -> None:
    """Send counts[p] records to each partition p, batched by linger."""
    # A long linger packs each partition's records into one batch, which is the case
    # where the broker's ListOffsets LATEST answer goes wrong.
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=100, batch_size=1 << 20)
    try:
        for partition, count in counts.items():
            for i in range(count):
                key = f"lead-{partition}-{i}".encode()
                producer.send(topic, key=key, value=b'{"n": %d}' % i, partition=partition)
        producer.flush(timeout=10)
    finally:
        producer.close(timeout=5)


def _group_consumer(bootstrap: str, topic: str, group: str) -> KafkaConsumer:
    """Return a subscribed consumer in a fresh group with fast group timeouts."""
    return KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=2_000,
        heartbeat_interval_ms=500,
    )


def _consume(consumer: KafkaConsumer, count: int, timeout_s: float = 15.0) -> int:
    """Consume exactly count records (fewer only on timeout) and return how many."""
    seen = 0
    deadline = time.monotonic() + timeout_s
    while seen < count and time.monotonic() < deadline:
        batch = consumer.poll(timeout_ms=200, max_records=count - seen)
        seen += sum(len(records) for records in batch.values())
    return seen


def test_end_offsets_match_records_produced(bootstrap: str) -> None:
    topic = _create_topic(bootstrap, 3)
    partitions = [(topic, p) for p in range(3)]
    assert end_offsets(bootstrap, partitions) == {(topic, 0): 0, (topic, 1): 0, (topic, 2): 0}

    _produce(bootstrap, topic, {0: 60, 1: 40})
    assert end_offsets(bootstrap, partitions) == {(topic, 0): 60, (topic, 1): 40, (topic, 2): 0}

    _produce(bootstrap, topic, {2: 1})
    assert end_offsets(bootstrap, [(topic, 2)]) == {(topic, 2): 1}
    assert end_offsets(bootstrap, []) == {}
    with pytest.raises(TimeoutError, match=topic):
        end_offsets(bootstrap, partitions, timeout_s=0)


def test_end_offsets_rejects_unknown_topic_without_creating_it(bootstrap: str) -> None:
    missing = _unique("lag-missing")
    with pytest.raises(ValueError, match=missing):
        end_offsets(bootstrap, [(missing, 0)], timeout_s=2.0)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5_000)
    try:
        assert missing not in admin.list_topics()
    finally:
        admin.close()


def test_collect_lag_follows_group_commits(bootstrap: str) -> None:
    topic = _create_topic(bootstrap, 1)
    group = _unique("lag-group")
    _produce(bootstrap, topic, {0: 100})
    consumer = _group_consumer(bootstrap, topic, group)
    try:
        assert _consume(consumer, 30) == 30
        consumer.commit()
        expected = PartitionLag(group, topic, 0, committed=30, end=100, lag=70)
        assert collect_lag(bootstrap, groups=[group]) == [expected]
        assert expected in collect_lag(bootstrap)

        assert _consume(consumer, 70) == 70
        consumer.commit()
        assert collect_lag(bootstrap, groups=[group]) == [
            PartitionLag(group, topic, 0, committed=100, end=100, lag=0)
        ]
    finally:
        consumer.close(autocommit=False)


def test_collect_lag_reports_uncommitted_partitions_of_a_committed_topic(
    bootstrap: str,
) -> None:
    topic = _create_topic(bootstrap, 2)
    group = _unique("lag-group")
    _produce(bootstrap, topic, {0: 10, 1: 7})
    # A manual commit on assigned partitions needs no group join, so this stays fast.
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    try:
        consumer.assign([TopicPartition(topic, 0)])
        consumer.commit({TopicPartition(topic, 0): OffsetAndMetadata(4, None, -1)})
    finally:
        consumer.close(autocommit=False)
    assert collect_lag(bootstrap, groups=[group]) == [
        PartitionLag(group, topic, 0, committed=4, end=10, lag=6),
        PartitionLag(group, topic, 1, committed=None, end=7, lag=7),
    ]
    assert collect_lag(bootstrap, groups=[_unique("lag-no-such-group")]) == []


def test_json_and_table_name_group_and_topic(bootstrap: str) -> None:
    topic = _create_topic(bootstrap, 2)
    group = _unique("lag-group")
    _produce(bootstrap, topic, {0: 5, 1: 3})
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    try:
        consumer.assign([TopicPartition(topic, 0), TopicPartition(topic, 1)])
        consumer.commit(
            {
                TopicPartition(topic, 0): OffsetAndMetadata(2, None, -1),
                TopicPartition(topic, 1): OffsetAndMetadata(3, None, -1),
            }
        )
    finally:
        consumer.close(autocommit=False)
    rows = collect_lag(bootstrap, groups=[group])

    as_json = lag_as_json(rows)
    assert json.loads(json.dumps(as_json)) == as_json
    assert as_json[0] == {
        "group": group,
        "topic": topic,
        "partition": 0,
        "committed": 2,
        "end": 5,
        "lag": 3,
    }

    table = render_lag_table(rows).splitlines()
    assert table[0].split() == ["GROUP", "TOPIC", "PARTITION", "COMMITTED", "END", "LAG"]
    assert table[1].split() == [group, topic, "0", "2", "5", "3"]
    assert table[2].split() == [group, topic, "1", "3", "3", "0"]
    assert table[3].split() == [group, "TOTAL", "3"]
    assert len({len(line) for line in table[:3]}) == 1


def test_table_totals_each_group_and_marks_missing_commits() -> None:
    rows = [
        PartitionLag("b-group", "leads", 0, committed=None, end=12, lag=12),
        PartitionLag("a-group", "leads", 1, committed=5, end=9, lag=4),
        PartitionLag("a-group", "leads", 0, committed=1, end=2, lag=1),
    ]
    lines = [line.split() for line in render_lag_table(rows).splitlines()]
    assert lines[1:] == [
        ["a-group", "leads", "0", "1", "2", "1"],
        ["a-group", "leads", "1", "5", "9", "4"],
        ["a-group", "TOTAL", "5"],
        ["b-group", "leads", "0", "-", "12", "12"],
        ["b-group", "TOTAL", "12"],
    ]
    assert lag_as_json(rows)[0]["committed"] is None
    assert render_lag_table([]) == "no committed consumer-group offsets"
