"""Prometheus metrics, scraped from running worker processes and from the HTTP service."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata
from prometheus_client.parser import text_string_to_metric_families

from sinks.store import create_schema, make_engine
from streams.core.settings import Settings
from streams.demo.samples import sample_messages
from streams.embedded.broker import free_port
from streams.kafka.topics import ensure_topics
from streams.web import ops
from streams.web.app import build_desk_app, build_web_app
from tests.reliability.harness import Outcomes, Workers, send, wait_for_ledger, wait_until_accounted

pytestmark = pytest.mark.integration


def scrape(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Parse the Prometheus text format into {(sample name, labels): value}."""
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def total(metrics: dict[tuple[str, Any], float], name: str, **labels: str) -> float:
    return sum(
        v
        for (n, lbl), v in metrics.items()
        if n == name and all(dict(lbl).get(k) == w for k, w in labels.items())
    )


def test_worker_and_sink_metrics_count_every_lead(
    settings_for: Callable[..., Settings],
    tmp_path: Path,
) -> None:
    settings = settings_for()
    engine = make_engine(settings.database.url)
    create_schema(engine)
    engine.dispose()
    ensure_topics(settings)
    worker_port, sink_port = free_port(), free_port()
    workers = Workers(settings, tmp_path / "logs")
    outcomes = Outcomes(settings)
    try:
        workers.start("worker-0", HANDOFF_METRICS_PORT=str(worker_port))
        workers.start("sink-0", HANDOFF_METRICS_PORT=str(sink_port))
        sent = send(settings, [*sample_messages(60, seed=23), b"not json", b'{"event_id": "m-1"}'])
        assert wait_until_accounted(outcomes, sent, workers, timeout_s=60) == []
        wait_for_ledger(settings.database.url, set(outcomes.handoffs), timeout_s=30)
        deadline = time.monotonic() + 10
        while True:  # the sink observes latency right after its commit
            sink = scrape(get(sink_port, "/metrics")[1])
            if (
                total(sink, "handoff_submit_to_queued_seconds_count") >= len(outcomes.handoffs)
                or time.monotonic() > deadline
            ):
                break
            time.sleep(0.2)
        worker = scrape(get(worker_port, "/metrics")[1])
        assert total(worker, "handoff_outcomes_total", outcome="handoff") == len(outcomes.handoffs)
        assert total(worker, "handoff_outcomes_total", outcome="nurture") == len(outcomes.nurtured)
        assert total(worker, "handoff_dead_letters_total") == len(outcomes.dead) > 0
        assert total(worker, "handoff_outcomes_total", outcome="dead_letter", reason="not_json") == total(
            worker, "handoff_dead_letters_total", error="not_json"
        )
        assert total(sink, "handoff_submit_to_queued_seconds_count") == len(outcomes.handoffs)
        assert total(sink, "handoff_sink_handoffs_total", result="queued") + total(
            sink, "handoff_sink_handoffs_total", result="attached"
        ) == len(outcomes.handoffs)
        assert total(sink, "handoff_sink_batch_seconds_count") >= 1
        # A lead takes more than no time and less than a minute from form to queue.
        assert 0 < total(sink, "handoff_submit_to_queued_seconds_sum") < 60 * len(outcomes.handoffs)
        for port in (worker_port, sink_port):
            assert get(port, "/health")[0] == 200
            status, body = get(port, "/ready")
            assert status == 200, body
    finally:
        workers.stop()
        outcomes.close()


async def test_service_exports_lag_gauges_and_readiness(
    settings_for: Callable[..., Settings],
    tmp_path: Path,
) -> None:
    settings = settings_for(lag_interval_s=0.2)
    ensure_topics(settings, [settings.topics.submitted])
    producer = KafkaProducer(bootstrap_servers=settings.kafka.servers)
    for _ in range(7):
        producer.send(settings.topics.submitted, b"{}", partition=1)
    producer.flush()
    producer.close()
    committer = KafkaConsumer(
        bootstrap_servers=settings.kafka.servers, group_id=settings.worker.group, enable_auto_commit=False
    )
    tp = TopicPartition(settings.topics.submitted, 1)
    committer.assign([tp])
    committer.commit({tp: OffsetAndMetadata(3, None, -1)})
    committer.close(autocommit=False)

    # The desk listener, signed in as the local user (no sign-in is allowed on loopback).
    client = TestClient(TestServer(build_desk_app(settings.replace(desk_auth="none"))))
    await client.start_server()
    try:
        labels = {"group": settings.worker.group, "topic": settings.topics.submitted, "partition": "1"}
        metrics: dict[tuple[str, Any], float] = {}
        for _ in range(100):
            metrics = scrape(await (await client.get("/metrics")).text())
            if total(metrics, "handoff_consumergroup_status", status="STOP", **labels) == 1:
                break
            await __import__("asyncio").sleep(0.1)
        assert total(metrics, "kafka_consumergroup_group_lag", **labels) == 4
        assert total(metrics, "kafka_consumergroup_group_offset", **labels) == 3
        assert (
            total(metrics, "kafka_partition_latest_offset", topic=settings.topics.submitted, partition="1")
            == 7
        )
        assert total(metrics, "kafka_consumergroup_group_sum_lag", group=settings.worker.group) == 4
        assert total(metrics, "kafka_consumergroup_group_lag_seconds", **labels) > 0
        assert total(metrics, "handoff_consumergroup_status", status="STOP", **labels) == 1
        ready = await client.get("/ready")
        assert ready.status == 200, await ready.text()
    finally:
        await client.close()

    down = settings.replace(database_url=f"sqlite:///{tmp_path}/no/such/dir/x.db")
    client = TestClient(TestServer(build_web_app(down, parts=(ops,))))
    await client.start_server()
    try:
        ready = await client.get("/ready")
        assert ready.status == 503
        assert "database" in (await ready.json())["detail"]
    finally:
        await client.close()
