"""`handoff lag` statuses against a real consumer that stalls, stops and rewinds on the session broker."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

from streams.cli.main import main
from streams.kafka.topics import ensure_topics
from tests.conftest import Kafka

pytestmark = pytest.mark.integration


class Traffic:
    """A producer writing to both partitions and a consumer that only makes progress on partition 0."""

    def __init__(self, bootstrap: str, topic: str, group: str) -> None:
        self.topic, self.stop_producing, self.stop_consuming = topic, threading.Event(), threading.Event()
        self.committed = threading.Event()  # the group has its first commit: `handoff lag` can read it
        self.producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
        self.consumer = KafkaConsumer(
            bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False, fetch_max_wait_ms=50
        )
        self.tps = [TopicPartition(topic, 0), TopicPartition(topic, 1)]
        self.threads = [
            threading.Thread(target=self._produce, daemon=True),
            threading.Thread(target=self._consume, daemon=True),
        ]

    def _produce(self) -> None:
        while not self.stop_producing.wait(0.05):
            for partition in (0, 1):
                self.producer.send(self.topic, b"lead", partition=partition)
            self.producer.flush()

    def _consume(self) -> None:
        self.consumer.assign(self.tps)
        self.consumer.seek_to_beginning(*self.tps)
        # Partition 1 takes two records and then hangs on the third (a poison message, say).
        self.consumer.commit({self.tps[1]: OffsetAndMetadata(2, None, -1)})
        self.committed.set()
        self.consumer.pause(self.tps[1])
        while not self.stop_consuming.is_set():
            if self.consumer.poll(timeout_ms=100):
                self.consumer.commit(
                    {self.tps[0]: OffsetAndMetadata(self.consumer.position(self.tps[0]), None, -1)}
                )

    def __enter__(self) -> Traffic:
        for thread in self.threads:
            thread.start()
        assert self.committed.wait(30), "the consumer never committed"
        return self

    def halt_consumer(self) -> None:
        self.stop_consuming.set()
        self.threads[1].join(5)

    def __exit__(self, *exc: object) -> None:
        self.stop_producing.set()
        self.halt_consumer()
        self.threads[0].join(5)
        self.producer.close(timeout=5)
        self.consumer.close(autocommit=False)


@pytest.fixture
def lag_cli(kafka: Kafka) -> Iterator[Callable[..., tuple[int, dict[int, dict[str, object]]]]]:
    runner = CliRunner()

    def run(group: str, *extra: str) -> tuple[int, dict[int, dict[str, object]]]:
        result = runner.invoke(
            main,
            ["lag", "--json", "--group", group, "--samples", "4", "--interval", "0.4", *extra],
            env={"HANDOFF_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap},
        )
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        return result.exit_code, {row["partition"]: row for row in json.loads(result.output)}

    yield run


LagCli = Callable[..., tuple[int, dict[int, dict[str, Any]]]]


def test_lag_reports_stall_stop_and_rewind(
    settings_for: Callable[..., object], unique: Callable[[str], str], kafka: Kafka, lag_cli: LagCli
) -> None:
    settings = settings_for(partitions=2)
    topic, group = settings.topics.submitted, unique("lag-status")  # type: ignore[attr-defined]
    ensure_topics(settings, [topic])  # type: ignore[arg-type]
    with Traffic(kafka.bootstrap, topic, group) as traffic:
        code, rows = lag_cli(group)
        assert code == 2
        assert rows[1]["status"] == "STALL"
        assert rows[1]["committed"] == 2 and rows[1]["lag"] > 0
        assert rows[0]["status"] in {"OK", "WARN"}
        assert rows[1]["time_lag_s"] is not None and rows[1]["time_lag_s"] > 0

        traffic.halt_consumer()
        code, rows = lag_cli(group)
        assert code == 2
        assert rows[0]["status"] == "STOP" and rows[1]["status"] == "STOP"

    # Everything consumed and committed: nothing to report, exit 0.
    done = KafkaConsumer(bootstrap_servers=kafka.bootstrap, group_id=group, enable_auto_commit=False)
    tps = [TopicPartition(topic, 0), TopicPartition(topic, 1)]
    try:
        done.assign(tps)
        done.seek_to_end(*tps)
        from streams.kafka.offsets import end_offsets

        ends = end_offsets(kafka.bootstrap, [(topic, 0), (topic, 1)])
        done.commit({tp: OffsetAndMetadata(ends[(topic, tp.partition)], None, -1) for tp in tps})
        code, rows = lag_cli(group, "--samples", "2")
        assert code == 0
        assert {r["status"] for r in rows.values()} == {"OK"} and {r["lag"] for r in rows.values()} == {0}

        # An operator resets partition 0 to the start while the lag command watches.
        runner_done = threading.Timer(0.5, lambda: done.commit({tps[0]: OffsetAndMetadata(0, None, -1)}))
        runner_done.start()
        code, rows = lag_cli(group)
        runner_done.join()
        assert rows[0]["status"] == "REWIND"
        assert code == 0  # a rewind is worth a look, not an alert
    finally:
        done.close(autocommit=False)
