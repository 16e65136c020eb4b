"""Handoff events and migrated databases for the sales-side tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from schemas import Account, Contact, HandoffEvent, Reason, Source, Stage, Utm
from sinks.store import create_schema, make_engine
from streams.core.settings import Settings
from streams.embedded.supervisor import Stack

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def handoff(n: int, **over: Any) -> HandoffEvent:
    """A handoff for person ``n``, due ``n`` minutes after T0 (so lower n is more urgent)."""
    fields: dict[str, Any] = {
        "handoff_id": f"h-{n:04d}",
        "event_id": f"e-{n:04d}",
        "lead_id": f"lead-{n:04d}",
        "account": Account(name=f"株式会社テスト{n}", domain=f"c{n}.example.co.jp", employees=500),
        "queue": "inside-sales",
        "owner": None,
        "stage": Stage.SQL,
        "score": 80,
        "fit": 40,
        "intent": 40,
        "reasons": [
            Reason(rule="fit.business_email", points=15, detail=f"business domain c{n}.jp"),
            Reason(rule="intent.form.demo-request", points=30),
        ],
        "rules_version": "default@test",
        "contact": Contact(
            email=f"taro{n}@c{n}.example.co.jp",
            full_name=f"山田 太郎{n}",
            phone="+81312345678",
            job_title="営業部長",
            country="JP",
        ),
        "source": Source(
            form_id="demo-request",
            page_url="https://example.jp/demo?email=x",
            utm=Utm(source="google", campaign="expo-tokyo"),
        ),
        "submitted_at": T0 - timedelta(hours=1),
        "qualified_at": T0,
        "sla_due_at": T0 + timedelta(minutes=n),
    }
    fields.update(over)
    return HandoffEvent(**fields)


def migrated(url: str) -> Engine:
    """An engine on a database brought to the newest schema by the migrations."""
    engine = make_engine(url)
    create_schema(engine)
    return engine


@contextmanager
def running_stack(settings: Settings, log_dir: Path) -> Iterator[Stack]:
    """Stream and sink workers on the settings' broker and a migrated database; none may fail meanwhile."""
    migrated(settings.database.url).dispose()
    with Stack(settings, embedded=False, log_dir=log_dir) as stack:
        yield stack
        assert not stack.failed(), stack.failed()


def read_topic(
    bootstrap: str, topic: str, *, until: int, timeout_s: float = 20.0
) -> list[tuple[str, dict[str, Any]]]:
    """Read a topic from the beginning until ``until`` records arrived (or the deadline passed)."""
    import time

    import orjson
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=50
    )
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or {0})]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        out: list[tuple[str, dict[str, Any]]] = []
        deadline = time.monotonic() + timeout_s
        while len(out) < until and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=200).values():
                out.extend((r.key.decode(), orjson.loads(r.value)) for r in records)
        return out
    finally:
        consumer.close()
