"""The durable embedded broker: stop and restart it mid-stream; workers reconnect and nothing is lost."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from sinks.store import create_schema, make_engine
from streams.core.settings import Settings, load_settings
from streams.demo.samples import sample_messages
from streams.embedded.broker import BrokerStartError, EmbeddedBroker
from streams.kafka.offsets import end_offsets
from streams.kafka.topics import ensure_topics
from tests.reliability.harness import Outcomes, Workers, send, wait_until_accounted, wait_until_stored

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(600)]


def _produce_concurrently(bootstrap: str, topic: str, tag: str, producers: int = 3, each: int = 250) -> None:
    def run(index: int) -> None:
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2)
        try:
            futures = [
                producer.send(topic, key=f"{tag}-{index}-{i}".encode(), value=b"lead") for i in range(each)
            ]
            producer.flush()
            for future in futures:
                future.get(30)
        finally:
            producer.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(producers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _keys(bootstrap: str, topic: str, partitions: int) -> list[bytes]:
    ends = end_offsets(bootstrap, [(topic, p) for p in range(partitions)])
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    keys: list[bytes] = []
    try:
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        deadline = time.monotonic() + 20
        while len(keys) < sum(ends.values()) and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=300).values():
                keys.extend(r.key for r in records)
    finally:
        consumer.close(autocommit=False)
    return keys


def test_durable_storage_keeps_every_acknowledged_record(tmp_path: Path) -> None:
    # Concurrent producers race for offsets; a restart must not reuse them.
    broker = EmbeddedBroker(data_dir=tmp_path / "data").start()
    try:
        ensure_topics(load_settings(kafka_bootstrap_servers=broker.bootstrap), ["t"], partitions=4)
        _produce_concurrently(broker.bootstrap, "t", "before")
        broker.stop()
        broker = EmbeddedBroker(broker.port, data_dir=tmp_path / "data").start()
        _produce_concurrently(broker.bootstrap, "t", "after")
        keys = _keys(broker.bootstrap, "t", 4)
    finally:
        broker.stop()
    assert len(keys) == len(set(keys)) == 1500


def test_one_broker_per_data_folder(tmp_path: Path) -> None:
    with (
        EmbeddedBroker(data_dir=tmp_path / "data"),
        pytest.raises(BrokerStartError, match="one broker per data folder"),
    ):
        EmbeddedBroker(data_dir=tmp_path / "data").start()


@pytest.mark.parametrize("leads", [1_000, pytest.param(5_000, marks=pytest.mark.slow)])
def test_broker_restart_mid_stream_loses_nothing(
    leads: int,
    settings_for: Callable[..., Settings],
    tmp_path: Path,
) -> None:
    data = tmp_path / "broker-data"
    broker = EmbeddedBroker(data_dir=data).start()
    settings = settings_for(kafka_bootstrap_servers=broker.bootstrap)
    engine = make_engine(settings.database.url)
    create_schema(engine)
    engine.dispose()
    ensure_topics(settings)
    workers = Workers(settings, tmp_path / "logs")
    outcomes: Outcomes | None = None
    try:
        workers.start("worker-0")
        workers.start("sink-0")
        messages = sample_messages(leads, seed=17)  # made while the workers start
        sent = send(settings, messages[: leads // 2])
        first = Outcomes(settings)
        deadline = time.monotonic() + 60
        while len(first.handoffs) < leads // 8 and time.monotonic() < deadline:
            first.poll()
        first.close()
        assert len(first.handoffs) >= leads // 8, "the pipeline never got going"
        ends_before = end_offsets(
            broker.bootstrap, [(settings.topics.submitted, p) for p in range(settings.kafka.partitions)]
        )
        broker.stop()
        time.sleep(2.0)  # the workers notice: connections refused, retries
        broker = EmbeddedBroker(broker.port, data_dir=data).start()
        ends_after = end_offsets(broker.bootstrap, list(ends_before))
        assert ends_after == ends_before, "records lost in the restart"
        sent |= send(settings, messages[leads // 2 :])
        outcomes = Outcomes(settings)
        missing = wait_until_accounted(outcomes, sent, workers, timeout_s=180)
        assert missing == [], f"{len(missing)} of {leads} leads have no outcome"
        state = wait_until_stored(settings.database.url, outcomes, timeout_s=60)
        # Each handoff is in the store exactly once, or set aside by the sink as a dead letter.
        assert state.ledger_event_ids == set(outcomes.handoffs) - outcomes.sink_dead
        assert outcomes.sink_dead <= set(outcomes.handoffs)
        assert state.open_rows_per_lead_max == 1
        assert state.submissions == len(state.ledger_event_ids)
        print(
            f"\n{leads} leads across a broker restart: {len(state.ledger_event_ids)} handoffs stored, "
            f"{len(outcomes.sink_dead)} refused by the store and dead-lettered"
        )
        assert not workers.dead()
    finally:
        workers.stop()
        if outcomes is not None:
            outcomes.close()
        broker.stop()
