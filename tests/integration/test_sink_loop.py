"""Every sink its own group on the real broker: once per key, outages ridden out, refusals dead-lettered.

One broker-backed run drives a webhook, Salesforce, kintone and a Slack sink side by side
with the SQL sales queue sink, so the suite pays for one set of group joins.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from schemas import DeadLetter, HandoffEvent
from sinks.models import QueueItem
from streams.consumers.sink import SinkWorker
from streams.consumers.sinks_run import build_loops, keep_running
from streams.core.settings import Settings
from streams.kafka.topics import ensure_topics
from streams.lag.collect import collect_lag
from tests import standins
from tests.sales_factory import handoff
from tests.standins_crm import Kintone, Salesforce
from tests.topic_reader import read_topic


async def eventually(check: Callable[[], bool], within_s: float, what: str) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        assert time.monotonic() < deadline, f"not within {within_s:g} s: {what}"
        await asyncio.sleep(0.1)


async def publish(settings: Settings, events: list[HandoffEvent]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka.servers, acks="all")
    await producer.start()
    try:
        for e in events:
            await producer.send(
                settings.topics.handoff, e.model_dump_json().encode(), key=e.handoff_id.encode()
            )
        await producer.flush()
    finally:
        await producer.stop()


def queued(settings: Settings, worker: SinkWorker) -> int:
    with Session(worker.engine) as session:
        return int(session.scalar(select(func.count()).select_from(QueueItem)) or 0)


def count(sink: str, result: str) -> float:
    value = REGISTRY.get_sample_value("handoff_target_sink_records_total", {"sink": sink, "result": result})
    return value or 0.0


@pytest.mark.parametrize(
    "down_s", [pytest.param(2.0, id="down-2s"), pytest.param(10.0, id="down-10s", marks=pytest.mark.slow)]
)
async def test_sinks_deliver_every_handoff_once_ride_out_an_outage_and_dead_letter_refusals(
    settings_for: Callable[..., Settings],
    tmp_path: Path,
    unique: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
    down_s: float,
) -> None:
    hook, slack = standins.webhook(), standins.slack()
    sf, kin = Salesforce(), Kintone("handoff_id")
    for s in (hook, slack, sf, kin):
        await s.start()
    monkeypatch.setenv("HOOK_SECRET", standins.WEBHOOK_SECRET)
    monkeypatch.setenv("SF_ID", standins.SF_CLIENT_ID)
    monkeypatch.setenv("SF_SECRET", standins.SF_CLIENT_SECRET)
    monkeypatch.setenv("KINTONE_TOKEN", standins.KINTONE_TOKEN)
    monkeypatch.setenv("SLACK_URL", slack.url + standins.SLACK_PATH)
    names = {k: unique(k) for k in ("hook", "sf", "kin", "slack")}
    sinks_file = tmp_path / "sinks.yaml"
    sinks_file.write_text(
        f"""sinks:
  - {{name: {names["hook"]}, type: webhook, url: "{hook.url}/handoff", secret_env: HOOK_SECRET}}
  - {{name: {names["sf"]}, type: salesforce, instance_url: "{sf.url}",
     client_id_env: SF_ID, client_secret_env: SF_SECRET}}
  - {{name: {names["kin"]}, type: kintone, base_url: "{kin.url}", app: {standins.KINTONE_APP},
     token_env: KINTONE_TOKEN, update_key: handoff_id, fields: {{会社名: company, メール: contact.email}}}}
  - {{name: {names["slack"]}, type: slack, webhook_url_env: SLACK_URL, queues: [enterprise]}}
""",
        encoding="utf-8",
    )
    settings = settings_for(sinks_file=str(sinks_file), sink_retry_max_backoff_s=1.0)
    ensure_topics(settings)
    first = [handoff(n) for n in range(1, 31)] + [handoff(31, queue="enterprise")]
    later = [handoff(n) for n in range(32, 52)]
    everyone = {e.handoff_id for e in first + later}
    hook.forced.append((429, {"Retry-After": "1"}, "{}"))
    hook.refuse.add("h-0007")  # the receiver answers 400: dead letter, and the partition moves on
    sf.refuse.add("taro8@c8.example.co.jp")  # a per-record error inside a 200
    kin.refuse.add("h-0009")

    worker = SinkWorker(settings)
    loops = build_loops(settings, worker.stopping)
    tasks = [asyncio.create_task(worker.run()), *(asyncio.create_task(keep_running(lp)) for lp in loops)]
    try:
        await publish(settings, first)
        await eventually(lambda: len(hook.stored) == 30, 30, "the webhook got the first batch")
        await hook.down()
        await publish(settings, later)
        # The SQL queue takes the later handoffs while the webhook is down.
        await eventually(
            lambda: queued(settings, worker) == len(everyone), 15, "the SQL queue took every handoff"
        )
        assert len(hook.stored) == 30
        # ...and so do the other sinks: one target down holds back no other.
        await eventually(lambda: set(sf.stored) == everyone - {"h-0008"}, 15, "Salesforce kept going")
        await asyncio.sleep(down_s)
        await hook.start()
        await eventually(lambda: set(hook.stored) == everyone - {"h-0007"}, 30, "the webhook caught up")
        await eventually(lambda: set(sf.stored) == everyone - {"h-0008"}, 30, "Salesforce got every lead")
        await eventually(lambda: set(kin.stored) == everyone - {"h-0009"}, 30, "kintone got every record")
        await eventually(lambda: len(slack.stored) == 1, 30, "Slack got the enterprise lead only")
        await eventually(
            lambda: count(names["hook"], "dead_lettered") == 1, 10, "the refusal was dead-lettered"
        )
        await eventually(lambda: count(names["kin"], "dead_lettered") == 1, 10, "kintone's refusal")
        await eventually(lambda: count(names["sf"], "dead_lettered") == 1, 10, "Salesforce's refusal")
        await asyncio.sleep(0.5)
    finally:
        worker.stopping.set()
        for task in tasks:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 20)
        for s in (hook, slack, sf, kin):
            await s.close()

    for s in (hook, slack, sf, kin):
        assert s.violations == []
    # Once per idempotency key: nothing was sent twice after the target confirmed it.
    assert max(hook.seen.values()) == max(sf.seen.values()) == max(kin.seen.values()) == 1
    assert max(sf.batch_sizes) <= 200 and max(kin.batch_sizes) <= 100
    assert count(names["hook"], "retried") >= 2  # the 429, then the outage
    letters = [
        DeadLetter.model_validate_json(v)
        for _, v in read_topic(settings.kafka.bootstrap_servers, settings.topics.dlq)
    ]
    by_sink = {letter.sink: letter for letter in letters}
    assert by_sink[names["hook"]].status == 400 and "h-0007" in by_sink[names["hook"]].payload
    assert by_sink[names["sf"]].status == 200 and "INVALID_EMAIL_ADDRESS" in by_sink[names["sf"]].detail
    assert by_sink[names["kin"]].status == 400 and standins.KINTONE_TOKEN not in by_sink[names["kin"]].detail
    assert all(letter.error.value == "sink_refused" for letter in letters)
    # Each sink committed everything in its own group; `handoff lag` shows them.
    groups = [f"handoff-sink-{n}" for n in names.values()]
    lag = collect_lag(settings.kafka.bootstrap_servers, groups=groups)
    assert {row.group for row in lag} == set(groups)
    assert all(row.committed == row.end for row in lag)
