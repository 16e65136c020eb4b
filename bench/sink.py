"""Measure the sink: rows/s and CPU µs per lead, into SQLite and PostgreSQL.

    .venv/bin/python bench/sink.py [--rows 5000] [--pg URL] [--per-row] [--path]
        [--batches 1,100,500] [--repeat N]
    .venv/bin/python bench/sink.py --paced 500 [--seconds 10]

Each batch is one transaction, as the sink writes it. One submission in ten comes
from a person who already has an open row, so the batch exercises both paths
(new row, attach to the open row). Every run starts from a freshly migrated database.
``--per-row`` also runs the first release's writer (one INSERT per handoff) for comparison.

``batch`` rows time ``record_handoffs`` alone; ``--path`` adds rows for the whole
per-record path of the sink process: the sales-queue sink loop polls Kafka records (the
handoff JSON as published, with the submitted header) from an in-memory stand-in of the
consumer, decodes each, writes the batch on its database thread and commits the offsets.
Only the broker and aiokafka's fetch decoding are left out. CPU is ``process_time`` (all
threads of this process), steadier than wall clock on a shared machine but still inflated
when the cores are oversubscribed; ``--repeat N`` prints the best of N runs (lowest CPU,
highest rows/s), as timeit does. rows/s is wall clock.

``--paced RATE`` measures latency instead: the sales-queue sink worker on the embedded
broker, handoffs sent at RATE/s, and p50/p95/p99 from each send to the sink's write of it
(the ledger's ``received_at``; wall clock, so noisy on a busy machine).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord, OffsetAndMetadata
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from schemas import Account, Contact, HandoffEvent, Reason, Source, Stage, Utm  # noqa: E402
from sinks.models import OPEN_STATUSES, HandoffRecord, QueueItem  # noqa: E402
from sinks.queue import record_handoffs  # noqa: E402
from sinks.store import create_schema, make_engine  # noqa: E402
from streams.consumers.sink import SinkWorker  # noqa: E402
from streams.consumers.sink_items import Record  # noqa: E402
from streams.core import metrics  # noqa: E402
from streams.core.settings import load_settings  # noqa: E402
from streams.embedded.broker import EmbeddedBroker  # noqa: E402
from streams.kafka.topics import ensure_topics  # noqa: E402

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def events(n: int) -> list[HandoffEvent]:
    """n handoffs; every tenth repeats an earlier person."""
    out = []
    for i in range(n):
        person = i - 5 if i % 10 == 9 else i
        out.append(
            HandoffEvent(
                handoff_id=str(uuid.uuid4()),
                event_id=f"bench-{i}-{uuid.uuid4().hex[:8]}",
                lead_id=f"lead_{person:024d}",
                queue="inside-sales",
                owner="tanaka.hiro",
                stage=Stage.SQL if i % 3 else Stage.MQL,
                score=60 + i % 40,
                fit=30,
                intent=30,
                account=Account(
                    name=f"株式会社ベンチ{person}", domain=f"b{person}.example.co.jp", employees=300
                ),
                reasons=[
                    Reason(rule="fit.business_email", points=15, detail="business domain"),
                    Reason(rule="intent.form.demo-request", points=30, detail="form demo-request"),
                ],
                rules_version="default@bench",
                contact=Contact(
                    email=f"p{person}@b{person}.example.co.jp",
                    full_name=f"山田 太郎{person}",
                    phone="+81312345678",
                    job_title="営業部長",
                    country="JP",
                ),
                source=Source(form_id="demo-request", utm=Utm(source="google", campaign="expo")),
                submitted_at=T0,
                qualified_at=T0,
                sla_due_at=T0 + timedelta(hours=1),
            )
        )
    return out


def per_row(*, session: Session, events: list[HandoffEvent], now: datetime) -> None:
    """The first release's writer: a ledger INSERT and an ORM flush per handoff."""
    from sqlalchemy import select
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    ins = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    seen = set(
        session.scalars(
            select(HandoffRecord.handoff_id).where(
                HandoffRecord.handoff_id.in_([e.handoff_id for e in events])
            )
        )
    )
    fresh = [e for e in events if e.handoff_id not in seen]
    open_rows = {
        r.lead_id: r
        for r in session.scalars(
            select(QueueItem)
            .where(QueueItem.lead_id.in_({e.lead_id for e in fresh}), QueueItem.status.in_(OPEN_STATUSES))
            .with_for_update()
        )
    }
    for e in fresh:
        row = open_rows.get(e.lead_id)
        session.execute(
            ins(HandoffRecord)
            .values(
                handoff_id=e.handoff_id,
                event_id=e.event_id,
                lead_id=e.lead_id,
                received_at=now,
                queue_handoff_id=row.handoff_id if row else e.handoff_id,
            )
            .on_conflict_do_nothing()
        )
        if row is None:
            row = QueueItem(
                handoff_id=e.handoff_id,
                lead_id=e.lead_id,
                event_id=e.event_id,
                queue=e.queue,
                owner=e.owner,
                stage=e.stage.value,
                score=e.score,
                status="open",
                email=e.contact.email,
                full_name=e.contact.full_name,
                company=e.account.name,
                country=e.contact.country,
                submitted_at=e.submitted_at,
                queued_at=now,
                sla_due_at=e.sla_due_at,
                updated_at=now,
                submissions=1,
                breaches=0,
                handoff=e.model_dump(mode="json"),
            )
            session.add(row)
            session.flush()
            open_rows[e.lead_id] = row
        else:
            row.submissions += 1
            row.score = max(row.score, e.score)


def run(url: str, batch: int, rows: int, writer: object = record_handoffs) -> tuple[float, float]:
    """Rows per second and CPU µs per row writing ``rows`` handoffs in batches of ``batch``."""
    engine = make_engine(url)
    create_schema(engine)
    data = events(rows)
    _settle()
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, rows, batch):
        with Session(engine) as session, session.begin():
            writer(session=session, events=data[start : start + batch], now=T0)  # type: ignore[operator]
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    gc.unfreeze()
    check_stored(engine, rows)
    engine.dispose()
    return rows / elapsed, cpu / rows * 1e6


def _settle() -> None:
    """Keep the benchmark's own prepared events out of the garbage collector's scans.

    The sink holds one batch at a time; thousands of prepared events alive for the whole
    run would make every collection scan them and charge that to the sink.
    """
    gc.collect()
    gc.freeze()


def check_stored(engine: Engine, rows: int) -> None:
    """Stop the benchmark if any handoff is missing from the ledger."""
    with engine.connect() as conn:
        stored = conn.execute(text("select count(*) from handoff_ledger")).scalar()
    if stored != rows:
        raise SystemExit(f"only {stored} of {rows} handoffs stored")


class Feed:
    """The consumer the sink loop polls, holding the records in memory; stops the loop when drained."""

    def __init__(self, records: list[Record], stopping: asyncio.Event) -> None:
        self.records = records
        self.stopping = stopping
        self.committed: dict[TopicPartition, int] = {}
        self._tps = {TopicPartition(r.topic, r.partition) for r in records}

    def subscribe(self, topics: list[str]) -> None:
        pass

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    def assignment(self) -> set[TopicPartition]:
        return self._tps

    def pause(self, *tps: TopicPartition) -> None:
        pass

    def resume(self, *tps: TopicPartition) -> None:
        pass

    async def getmany(
        self, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[Record]]:
        taken, self.records = self.records[: max_records or 500], self.records[max_records or 500 :]
        if not taken:
            self.stopping.set()
        batch: dict[TopicPartition, list[Record]] = {}
        for record in taken:
            batch.setdefault(TopicPartition(record.topic, record.partition), []).append(record)
        return batch

    async def commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        self.committed.update({tp: o.offset for tp, o in offsets.items()})


def kafka_records(data: list[HandoffEvent], topic: str, partitions: int = 3) -> list[Record]:
    """The handoffs as the sink reads them from ``leads.handoff``: keyed by lead, JSON as published."""
    offsets = [0] * partitions
    out: list[Record] = []
    submitted = str(int(time.time() * 1000)).encode()
    for event in data:
        key = event.lead_id.encode()
        partition = sum(key) % partitions
        value = event.model_dump_json().encode()
        out.append(
            ConsumerRecord(
                topic,
                partition,
                offsets[partition],
                0,
                0,
                key,
                value,
                None,
                len(key),
                len(value),
                [(metrics.SUBMITTED_HEADER, submitted)],
            )  # fmt: skip
        )
        offsets[partition] += 1
    return out


def run_path(url: str, batch: int, rows: int, _writer: object = None) -> tuple[float, float]:
    """Rows per second and CPU µs per row through the sales-queue sink loop, Kafka record to commit."""
    settings = load_settings(database_url=url, sink_batch_size=batch, kafka_bootstrap_servers="127.0.0.1:9")
    records = kafka_records(events(rows), settings.topics.handoff)
    engine = make_engine(url)
    create_schema(engine)

    async def drive() -> tuple[float, float]:
        worker = SinkWorker(settings)
        feed = Feed(records, worker.stopping)
        await worker.loop.consumer.stop()  # never started: the feed stands in for it
        worker.loop.consumer = feed
        _settle()
        started, cpu = time.perf_counter(), time.process_time()
        await worker.loop.run()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        gc.unfreeze()
        if sum(feed.committed.values()) != rows:
            raise SystemExit(f"committed {sum(feed.committed.values())} of {rows} records")
        return rows / elapsed, cpu / rows * 1e6

    try:
        result = asyncio.run(drive())
        check_stored(engine, rows)
    finally:
        engine.dispose()
    return result


def pg_schema_url(base: str) -> tuple[str, object]:
    """A fresh schema in PostgreSQL, and a function that drops it."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{base}?options=-csearch_path%3D{schema}", drop


def paced(url: str, rate: float, seconds: float) -> list[float]:
    """Seconds from send to the sink's write of each handoff sent at ``rate``/s to a real broker."""
    with EmbeddedBroker() as broker:
        run = uuid.uuid4().hex[:8]
        settings = load_settings(
            kafka_bootstrap_servers=broker.bootstrap,
            database_url=url,
            session_timeout_s=2.0,
            heartbeat_interval_s=0.5,
            sink_group=f"bench-sink-{run}",
            topic_handoff=f"bench-{run}.handoff",
            topic_nurture=f"bench-{run}.nurture",
            topic_dlq=f"bench-{run}.dlq",
        )
        ensure_topics(settings)
        engine = make_engine(url)
        create_schema(engine)
        warm, data = events(20), events(int(rate * seconds))

        def stored() -> int:
            with engine.connect() as conn:
                return int(conn.execute(text("select count(*) from handoff_ledger")).scalar() or 0)

        async def drive() -> dict[str, float]:
            worker = SinkWorker(settings)
            task = asyncio.create_task(worker.run())
            producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all", linger_ms=2)
            await producer.start()
            try:
                for event in warm:  # the group joined and the first writes done
                    await producer.send(settings.topics.handoff, event.model_dump_json().encode())
                while stored() < len(warm):
                    await asyncio.sleep(0.1)
                sent: dict[str, float] = {}
                start = time.monotonic()
                for index, event in enumerate(data):
                    delay = start + index / rate - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    sent[event.event_id] = time.time()
                    await producer.send(settings.topics.handoff, event.model_dump_json().encode())
                await producer.flush()
                while stored() < len(warm) + len(data):
                    await asyncio.sleep(0.1)
                return sent
            finally:
                await producer.stop()
                worker.stopping.set()
                await task

        sent = asyncio.run(drive())
        with engine.connect() as conn:
            received = conn.execute(text("select event_id, received_at from handoff_ledger")).all()
        engine.dispose()
    at: dict[str, Any] = dict(received)
    parse = datetime.fromisoformat
    return [
        (at[e] if isinstance(at[e], datetime) else parse(at[e]).replace(tzinfo=UTC)).timestamp() - t
        for e, t in sent.items()
    ]


def report_paced(args: argparse.Namespace) -> None:
    """Print send -> written percentiles of a paced run on SQLite and PostgreSQL."""
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("sqlite", "postgresql"):
            url, drop = (f"sqlite:///{tmp}/paced.db", None) if name == "sqlite" else pg_schema_url(args.pg)
            try:
                lat = sorted(paced(url, args.paced, args.seconds))
            finally:
                if drop:
                    drop()  # type: ignore[operator]
            p50, p95, p99 = (lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000 for p in (50, 95, 99))
            print(
                f"{name:<12}{args.paced:.0f}/s for {args.seconds:g} s: send -> written"
                f" p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms (wall clock)",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000, help="rows per run (batch size 1 writes a fifth)")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--per-row", action="store_true", help="also time the first release's writer")
    parser.add_argument("--path", action="store_true", help="also time the whole sink loop per record")
    parser.add_argument("--batches", default="1,100,500", help="batch sizes, comma-separated")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each row; the best is printed")
    parser.add_argument(
        "--paced", type=float, default=0, help="instead: send this many handoffs/s to a real broker"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the --paced run")
    args = parser.parse_args()
    if args.paced:
        report_paced(args)
        return
    writers: list[tuple[str, object, Callable[..., tuple[float, float]]]] = [("batch", record_handoffs, run)]
    if args.per_row:
        writers.append(("per-row", per_row, run))
    if args.path:
        writers.append(("path", None, run_path))
    print(f"{'database':<12}{'writer':<9}{'batch':>7}{'rows':>8}{'rows/s':>10}{'cpu µs/lead':>13}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("sqlite", "postgresql"):
            for batch in (int(b) for b in args.batches.split(",")):
                rows = max(args.rows // 5, 1) if batch == 1 else args.rows
                for label, writer, measure in writers:
                    rate, cpu_us = 0.0, float("inf")
                    for run_no in range(args.repeat):
                        if name == "sqlite":
                            url, drop = f"sqlite:///{tmp}/bench-{batch}-{label}-{run_no}.db", None
                        else:
                            try:
                                url, drop = pg_schema_url(args.pg)
                            except Exception as exc:  # noqa: BLE001
                                print(f"{name:<12}skipped: {str(exc).splitlines()[0][:80]}")
                                return
                        try:
                            got_rate, got_cpu = measure(url, batch, rows, writer)
                        finally:
                            if drop:
                                drop()  # type: ignore[operator]
                        rate, cpu_us = max(rate, got_rate), min(cpu_us, got_cpu)
                    print(f"{name:<12}{label:<9}{batch:>7}{rows:>8}{rate:>10.0f}{cpu_us:>13.0f}", flush=True)


if __name__ == "__main__":
    main()
