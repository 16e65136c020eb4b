"""The whole pipeline on a real broker: workers and sinks as separate processes, a real database."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import select
from sqlalchemy.orm import Session

from sinks.models import HandoffRecord, QueueItem
from sinks.store import make_engine
from streams.client import LeadProducer, key_of
from streams.core.settings import Settings
from streams.embedded.supervisor import Stack
from streams.lag.collect import collect_lag
from tests.sales_factory import running_stack

pytestmark = pytest.mark.integration


def lead(event_id: str, **fields: Any) -> bytes:
    body = {
        "event_id": event_id,
        "submitted_at": "2026-11-27T10:00:00+09:00",
        "form_id": "demo-request",
        "email": f"{event_id}@acme-corp.co.jp",
        **fields,
    }
    return json.dumps(body, ensure_ascii=False).encode()


def read_topic(settings: Settings, topic: str, expect: int, timeout_s: float = 30) -> list[dict[str, Any]]:
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka.servers,
        group_id=None,
        enable_auto_commit=False,
        fetch_max_wait_ms=50,
    )
    parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(out) < expect and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=200).values():
                out.extend(json.loads(r.value) for r in records)
    finally:
        consumer.close()
    return out


def wait_for(predicate: Callable[[], bool], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


@pytest.fixture
def pipeline(settings_for: Callable[..., Settings], database_url: str, tmp_path: Any) -> Iterator[Stack]:
    with running_stack(settings_for(database_url=database_url), tmp_path / "logs") as stack:
        yield stack


def test_leads_flow_to_queue_nurture_and_dead_letters(pipeline: Stack) -> None:
    settings = pipeline.settings
    messages = [
        lead(
            "big",
            job_title="代表取締役",
            employees="1万人以上",
            country="日本",
            form_id="pricing",
            budget="1000万円",
            timeline="今すぐ",
            activity={"pricing_page_views": 4},
        ),
        lead("small", form_id="contact-sales", employees=40),
        lead("dup"),
        lead("dup"),
        lead("dup"),
        lead("spam", honeypot="buy now"),
        b'{"event_id": "broken", "email": ',
        lead("noemail").replace(b'"email"', b'"e_mail"'),
        "ｆｕｌｌ＠ＡＣＭＥ－ＣＯＲＰ．ＣＯ．ＪＰ".encode().join(
            [
                b'{"event_id":"fw","submitted_at":"2026-11-27T10:00:00+09:00","form_id":"demo-request",'
                b'"email":"',
                b'","phone":"\xef\xbc\x90\xef\xbc\x93-1234-5678","country":"JP"}',
            ]
        ),
    ]
    with LeadProducer(settings.kafka.servers, topic=settings.topics.submitted) as producer:
        assert producer.send_many_raw((key_of(m), m) for m in messages) == len(messages)

    engine = make_engine(settings.database.url)

    def queued() -> dict[str, QueueItem]:
        with Session(engine) as session:
            return {r.event_id: r for r in session.scalars(select(QueueItem))}

    wait_for(lambda: len(queued()) == 4)
    rows = queued()
    assert rows["big"].queue == "enterprise" and rows["big"].stage == "SQL"
    assert rows["small"].queue == "inside-sales"
    assert rows["fw"].email == "full@acme-corp.co.jp"
    assert rows["fw"].handoff["contact"]["phone"] == "+81312345678"
    assert all(r.owner for r in rows.values())
    with Session(engine) as session:
        assert sorted(session.scalars(select(HandoffRecord.event_id))) == ["big", "dup", "fw", "small"]
    engine.dispose()

    dead = read_topic(settings, settings.topics.dlq, 2)
    assert sorted(d["error"] for d in dead) == ["not_json", "schema_invalid"]
    assert all(d["source"]["topic"] == settings.topics.submitted for d in dead)
    invalid = next(d for d in dead if d["error"] == "schema_invalid")
    assert invalid["fields"] == ["email"] and invalid["event_id"] == "noemail"
    nurture = read_topic(settings, settings.topics.nurture, 1)
    assert [(n["event_id"], n["disposition"]) for n in nurture] == [("spam", "disqualified")]

    groups = [settings.worker.group, settings.sink.group]

    def drained() -> bool:
        rows = collect_lag(settings.kafka.bootstrap_servers, groups=groups)
        return {r.group for r in rows} == set(groups) and all(r.lag == 0 for r in rows)

    wait_for(drained, timeout_s=30)
