"""Side-by-side benchmark on the embedded broker (a script, not a test).

Measures, in one run:
  1. end-to-end leads/s with one stream worker and one sink worker, into SQLite and into
     PostgreSQL (workers already running and joined; the clock runs from the first send
     to the last handoff in the store);
  2. the ceiling: a raw aiokafka consume -> orjson parse -> produce passthrough of the
     same messages on the same broker;
  3. submit -> queued latency p50/p95/p99 at a steady 500 leads/s (Kafka timestamp of the
     submitted record to the ledger's received_at written by the sink).

    python bench/pipeline.py [--leads 20000] [--rate 500] [--seconds 20] [--pg URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from schemas import HandoffEvent, SourcePosition  # noqa: E402
from sinks.models import HandoffRecord  # noqa: E402
from sinks.queue import recorded_event_ids  # noqa: E402
from sinks.store import create_schema, make_engine  # noqa: E402
from streams.client import key_of  # noqa: E402
from streams.core.settings import Settings, load_settings  # noqa: E402
from streams.demo.samples import sample_messages  # noqa: E402
from streams.embedded.broker import EmbeddedBroker  # noqa: E402
from streams.kafka.topics import ensure_topics  # noqa: E402
from streams.logic.pipeline import decide  # noqa: E402
from streams.logic.policy_file import load_policy  # noqa: E402
from tests.reliability.harness import Workers  # noqa: E402


def one_per_person(messages: list[bytes]) -> list[bytes]:
    """Give every lead its own email: the run measures the common path (a new person, a new row)."""
    out = []
    for index, message in enumerate(messages):
        try:
            lead = orjson.loads(message)
        except orjson.JSONDecodeError:
            out.append(message)
            continue
        if isinstance(lead, dict) and isinstance(lead.get("email"), str):
            lead["email"] = f"p{index}.{lead['email']}"
        out.append(orjson.dumps(lead))
    return out


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def expected_handoffs(messages: list[bytes]) -> set[str]:
    """Event ids the shipped policy hands to sales (computed offline)."""
    policy = load_policy(None)
    position = SourcePosition(topic="t", partition=0, offset=0)
    return {o.event_id for m in messages if isinstance(o := decide(m, position, policy), HandoffEvent)}


async def produce(
    bootstrap: str,
    topic: str,
    messages: list[bytes],
    rate: float | None = None,
) -> dict[str, float]:
    """Send messages (as fast as possible, or paced at ``rate``/s); return event_id -> send time."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2)
    await producer.start()
    sent: dict[str, float] = {}
    start = time.monotonic()
    try:
        futures = []
        for index, message in enumerate(messages):
            if rate:
                delay = start + index / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            key = key_of(message)
            sent[key.decode() if key else f"#{index}"] = time.time()
            futures.append(await producer.send(topic, message, key=key))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return sent


def clear_store(url: str) -> None:
    """Empty the ledger and the queue, so counting rows counts only what comes next."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM handoff_ledger"))
            conn.execute(text("DELETE FROM sales_queue"))
    finally:
        engine.dispose()


def wait_for_store(url: str, wanted: set[str], timeout_s: float = 600) -> float:
    """Block until every wanted handoff is in the ledger; return the time it was seen.

    Counts ledger rows, so the caller empties the store first; the count is cheap enough
    to poll every 50 ms without slowing the sink it is watching.
    """
    engine = make_engine(url)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            with Session(engine) as session:
                count = session.scalar(text("SELECT count(*) FROM handoff_ledger"))
            if count is not None and count >= len(wanted):
                return time.monotonic()
            time.sleep(0.05)
        raise TimeoutError(f"only {count} of {len(wanted)} handoffs reached the store")
    finally:
        engine.dispose()


def wait_for_events(url: str, wanted: set[str], timeout_s: float) -> None:
    """Block until these very handoffs are in the ledger (the warm-up's proof of a joined pipeline)."""
    engine = make_engine(url)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            with Session(engine) as session:
                found = recorded_event_ids(session=session, event_ids=sorted(wanted))
            if found >= wanted:
                return
            time.sleep(0.05)
        raise TimeoutError(f"only {len(found)} of {len(wanted)} warm-up handoffs reached the store")
    finally:
        engine.dispose()


def latencies(url: str, sent: dict[str, float]) -> list[float]:
    """Seconds from send to the sink's write, per handoff."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.execute(select(HandoffRecord.event_id, HandoffRecord.received_at)).all()
    finally:
        engine.dispose()
    out = []
    for event_id, received in rows:
        if event_id in sent:
            received_at: datetime = received
            out.append(received_at.timestamp() - sent[event_id])
    return out


def settings_for(bootstrap: str, database_url: str, state: Path) -> Settings:
    run = uuid.uuid4().hex[:8]
    names = {
        f"topic_{t}": f"bench-{run}.{t}"
        for t in ("submitted", "handoff", "nurture", "dlq", "feedback", "sla", "routing")
    }
    return load_settings(
        kafka_bootstrap_servers=bootstrap,
        database_url=database_url,
        state_dir=str(state),
        worker_group=f"bench-worker-{run}",
        sink_group=f"bench-sink-{run}",
        session_timeout_s=2.0,
        heartbeat_interval_s=0.5,
        **names,
    )


def pipeline_run(
    bootstrap: str,
    database_url: str,
    messages: list[bytes],
    wanted: set[str],
    state: Path,
    rate: float | None = None,
) -> tuple[float, list[float]]:
    """Start a worker and a sink, warm them up, send; return (leads/s, latencies)."""
    settings = settings_for(bootstrap, database_url, state)
    engine = make_engine(database_url)
    create_schema(engine)
    engine.dispose()
    # A store reused from an earlier run (the PostgreSQL schema is) already holds more rows
    # than the warm-up sends: wait for the warm-up's own handoffs, or the measured run starts
    # while the workers are still importing and joining their groups, and that start-up
    # (seconds) lands in the latencies.
    clear_store(database_url)
    ensure_topics(settings)
    workers = Workers(settings, state / "logs")
    try:
        workers.start("worker-0")
        workers.start("sink-0")
        warm = sample_messages(20, seed=99)
        warm_wanted = expected_handoffs(warm)
        asyncio.run(produce(bootstrap, settings.topics.submitted, warm))
        wait_for_events(database_url, warm_wanted, timeout_s=60)
        clear_store(database_url)  # leave only the measured run in the ledger
        start = time.monotonic()
        sent = asyncio.run(produce(bootstrap, settings.topics.submitted, messages, rate))
        done = wait_for_store(database_url, wanted)
        return len(messages) / (done - start), latencies(database_url, sent)
    finally:
        workers.stop()


async def passthrough(bootstrap: str, messages: list[bytes]) -> float:
    """The ceiling: consume, parse and produce the same messages with raw aiokafka."""
    source, sink = f"bench-pt-{uuid.uuid4().hex[:8]}", f"bench-pt-out-{uuid.uuid4().hex[:8]}"
    settings = load_settings(kafka_bootstrap_servers=bootstrap)
    ensure_topics(settings, [source, sink])
    await produce(bootstrap, source, messages)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        fetch_max_wait_ms=10,
        max_partition_fetch_bytes=4 << 20,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2)
    await consumer.start()
    await producer.start()
    try:
        tps = [TopicPartition(source, p) for p in range(settings.kafka.partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        start, seen, futures = time.monotonic(), 0, []
        while seen < len(messages):
            for records in (await consumer.getmany(timeout_ms=100, max_records=5000)).values():
                for record in records:
                    try:
                        doc = orjson.loads(record.value)
                    except orjson.JSONDecodeError:
                        doc = None
                    futures.append(await producer.send(sink, orjson.dumps(doc), key=record.key))
                    seen += 1
        await asyncio.gather(*futures)
        return len(messages) / (time.monotonic() - start)
    finally:
        await consumer.stop()
        await producer.stop()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the paced latency run")
    parser.add_argument(
        "--pg",
        default=os.environ.get("HANDOFF_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    )
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-ups on SIGTERM too
    messages = one_per_person(sample_messages(args.leads, seed=1))
    wanted = expected_handoffs(messages)
    paced = one_per_person(sample_messages(int(args.rate * args.seconds), seed=2))
    paced_wanted = expected_handoffs(paced)
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp, EmbeddedBroker() as broker:
        state = Path(tmp)
        say("passthrough ...")
        ceiling = asyncio.run(passthrough(broker.bootstrap, messages))
        rows.append(("raw aiokafka passthrough (ceiling)", f"{ceiling:,.0f} msg/s"))
        say(f"ceiling {ceiling:,.0f} msg/s; end to end into SQLite ...")
        sqlite_rate, _ = pipeline_run(broker.bootstrap, f"sqlite:///{tmp}/bench.db", messages, wanted, state)
        rows.append(("end to end into SQLite", f"{sqlite_rate:,.0f} leads/s ({sqlite_rate / ceiling:.1%})"))
        pg_url = None
        try:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.pg)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            pg_url = f"{args.pg}?options=-csearch_path%3D{schema}"
        except Exception as exc:  # noqa: BLE001 - report and go on without PostgreSQL
            rows.append(("end to end into PostgreSQL", f"skipped: {type(exc).__name__}"))
        if pg_url:
            try:
                say("end to end into PostgreSQL ...")
                pg_rate, _ = pipeline_run(broker.bootstrap, pg_url, messages, wanted, state)
                say(f"{pg_rate:,.0f} leads/s; paced run into PostgreSQL ...")
                rows.append(
                    ("end to end into PostgreSQL", f"{pg_rate:,.0f} leads/s ({pg_rate / ceiling:.1%})")
                )
                _, lat = pipeline_run(broker.bootstrap, pg_url, paced, paced_wanted, state, rate=args.rate)
                rows.append(
                    (
                        f"submit->queued at {args.rate:.0f} leads/s (PostgreSQL)",
                        f"p50 {pct(lat, 50) * 1000:.1f} ms, p95 {pct(lat, 95) * 1000:.1f} ms, "
                        f"p99 {pct(lat, 99) * 1000:.1f} ms (n={len(lat)})",
                    )
                )
            finally:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
        say("paced run into SQLite ...")
        _, lat = pipeline_run(
            broker.bootstrap, f"sqlite:///{tmp}/paced.db", paced, paced_wanted, state, rate=args.rate
        )
        rows.append(
            (
                f"submit->queued at {args.rate:.0f} leads/s (SQLite)",
                f"p50 {pct(lat, 50) * 1000:.1f} ms, p95 {pct(lat, 95) * 1000:.1f} ms, "
                f"p99 {pct(lat, 99) * 1000:.1f} ms (n={len(lat)})",
            )
        )
    print(
        f"\nHandoff pipeline benchmark: {args.leads:,} sample leads, embedded broker (memory), "
        f"1 stream worker + 1 sink worker"
    )
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}\n")
    width = max(len(name) for name, _ in rows)
    print(f"| {'measure':<{width}} | result |\n|{'-' * (width + 2)}|--------|")
    for name, value in rows:
        print(f"| {name:<{width}} | {value} |")
    print(f"\n(statistics: median of {len(lat)} latencies = {statistics.median(lat) * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
