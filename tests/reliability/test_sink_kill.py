"""A sink worker SIGKILLed mid-batch: the batch comes again with the same idempotency keys, nothing lost."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kafka import KafkaProducer

from streams.core.settings import Settings
from streams.kafka.topics import ensure_topics
from tests import standins
from tests.reliability.harness import Workers
from tests.sales_factory import handoff
from tests.standins_crm import Salesforce

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(180)]


@pytest.fixture
def salesforce() -> Iterator[Salesforce]:
    """The stand-in on its own loop in a thread, as a remote service runs beside the workers."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    sf = Salesforce()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(sf.start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait(10)
    yield sf
    asyncio.run_coroutine_threadsafe(sf.close(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def wait_for(check: Callable[[], bool], within_s: float, what: str) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        assert time.monotonic() < deadline, f"not within {within_s:g} s: {what}"
        time.sleep(0.1)


def test_a_killed_sink_resends_the_batch_with_the_same_keys(
    settings_for: Callable[..., Settings],
    salesforce: Salesforce,
    tmp_path: Path,
    unique: Callable[[str], str],
) -> None:
    sinks_file = tmp_path / "sinks.yaml"
    sinks_file.write_text(
        f"""sinks:
  - {{name: {unique("sf")}, type: salesforce, instance_url: "{salesforce.url}",
     client_id_env: SF_ID, client_secret_env: SF_SECRET}}
""",
        encoding="utf-8",
    )
    settings = settings_for(sinks_file=str(sinks_file), partitions=2)
    ensure_topics(settings)
    events = [handoff(n) for n in range(1, 41)]
    producer = KafkaProducer(bootstrap_servers=settings.kafka.servers, acks="all")
    for e in events:
        producer.send(settings.topics.handoff, e.model_dump_json().encode(), key=e.handoff_id.encode())
    producer.flush()
    producer.close()
    salesforce.stall_first_s = 20.0  # the first upsert hangs: the worker is mid-batch when killed
    workers = Workers(settings, tmp_path / "logs")
    secrets = {"SF_ID": standins.SF_CLIENT_ID, "SF_SECRET": standins.SF_CLIENT_SECRET}
    try:
        workers.start("sink-0", **secrets)
        wait_for(lambda: len(salesforce.attempts) >= 1, 60, "the first batch reached Salesforce")
        in_flight = set(salesforce.attempts[0])
        workers.kill("sink-0")
        workers.start("sink-0", **secrets)
        wanted = {e.handoff_id for e in events}
        wait_for(lambda: set(salesforce.stored) == wanted, 90, "every lead upserted after the restart")
        assert workers.dead() == []
    finally:
        workers.stop()
    resent = {key for attempt in salesforce.attempts[1:] for key in attempt}
    assert in_flight and in_flight <= resent  # the same external ids, so the upsert lands on the same Leads
    assert len(salesforce.stored) == len(wanted) and salesforce.violations == []
