"""Side-by-side benchmark on the embedded broker (a script, not a test).

For each store (SQLite, PostgreSQL) and each layout (1 stream worker + 1 sink, and
2 + 2), with the workers started and joined, it measures in one run:
  1. end-to-end leads/s of a burst of business leads sent as fast as aiokafka can (first
     send to the last handoff in the store), the longest time with no new row, and each
     process's CPU a lead over that time (from /proc);
  2. submit -> queued p50/p95/p99 at a steady rate (send time to the sink's received_at),
     and p50/p99 of each hop (intake, routing, the sink's write) from the records' stamps;
  3. a live demo request sent right after a bulk import landed in leads.bulk: its wait;
  4. the idle CPU of the broker and every worker over a quiet window (once quiet long enough
     for every fetch wait to have grown to its ceiling), from /proc, and then the wait of the
     first lead sent after that quiet window;
each measurement starting once the workers are quiet again after the one before;
and, once, the ceiling: a raw aiokafka consume -> orjson -> produce passthrough.

    python bench/pipeline.py [--leads 20000] [--rate 500] [--seconds 20] [--bulk 10000]
        [--idle 10] [--stores sqlite,postgresql] [--layouts 1x1,2x2] [--pg URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pipeline_idle import CpuWindows, cpu_seconds, idle_cpu, wait_quiet  # noqa: E402
from bench.pipeline_kafka import passthrough, produce, record_times  # noqa: E402
from bench.pipeline_leads import business_leads, expected_handoffs  # noqa: E402
from bench.pipeline_store import clear_store, queued_times, wait_for_count, wait_for_events  # noqa: E402
from sinks.store import create_schema, make_engine  # noqa: E402
from streams.core.sections import TopicSettings  # noqa: E402
from streams.core.settings import Settings, load_settings  # noqa: E402
from streams.embedded.broker import EmbeddedBroker  # noqa: E402
from streams.embedded.supervisor import EMBEDDED_HEARTBEAT_S, EMBEDDED_SESSION_S  # noqa: E402
from streams.kafka.fetch_wait import GROW_EVERY_S  # noqa: E402
from streams.kafka.topics import ensure_topics  # noqa: E402
from tests.reliability.harness import Workers  # noqa: E402

Args = argparse.Namespace
# Every topic of the settings, each made unique to the run.
TOPICS = tuple(TopicSettings.model_fields)
# The paced run is also reported per window of this many seconds.
WINDOW_S = 5.0


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def settings_for(bootstrap: str, database_url: str, state: Path) -> Settings:
    run = uuid.uuid4().hex[:8]
    return load_settings(
        kafka_bootstrap_servers=bootstrap,
        database_url=database_url,
        state_dir=str(state),
        worker_group=f"bench-worker-{run}",
        sink_group=f"bench-sink-{run}",
        session_timeout_s=EMBEDDED_SESSION_S,  # what `handoff up` runs on this broker
        heartbeat_interval_s=EMBEDDED_HEARTBEAT_S,
        **{f"topic_{t}": f"bench-{run}.{t}" for t in TOPICS},
    )


@contextmanager
def postgres_url(admin_url: str) -> Iterator[str]:
    """A fresh schema on the PostgreSQL server, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{admin_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def hops(bootstrap: str, topics: TopicSettings, url: str, sent: dict[str, float], wanted: set[str]) -> str:
    """p50 / p99 of each hop of the paced leads: intake, routing and the sink's write.

    From the Kafka timestamps of each lead's records on ``leads.routing`` and
    ``leads.handoff`` (stamped when the stage handed them to its producer) and the sink's
    ``received_at``: where a lead's time goes.
    """
    routed = record_times(bootstrap, topics.routing, wanted)
    handed = record_times(bootstrap, topics.handoff, wanted)
    queued = queued_times(url, wanted)
    ids = [e for e in wanted if e in routed and e in handed and e in queued and e in sent]
    cells = []
    for name, start, end in (("intake", sent, routed), ("routing", routed, handed), ("sink", handed, queued)):
        spans = [end[e] - start[e] for e in ids]
        cells.append(f"{name} {pct(spans, 50) * 1000:.0f} / {pct(spans, 99) * 1000:.0f}")
    return ", ".join(cells) + " ms"


def wait_for_all(bootstrap: str, topics: TopicSettings, url: str, wanted: set[str]) -> tuple[float, float]:
    """``wait_for_count`` of these handoffs; if some never come, end the run saying where each one stopped.

    Every lead must reach its outcome, so a missing one is a failure to look into, not a
    slow run: its records on the lead, routing and handoff topics show which stage lost it.
    """
    try:
        return wait_for_count(url, len(wanted))
    except TimeoutError as exc:
        missing = wanted - set(queued_times(url, wanted))
        path = (topics.submitted, topics.bulk, topics.routing, topics.routing_bulk, topics.handoff)
        seen = {topic: record_times(bootstrap, topic, missing) for topic in path}
        where = "; ".join(
            f"{event_id} on {', '.join(t for t in seen if event_id in seen[t]) or 'no topic'}"
            for event_id in sorted(missing)[:10]
        )
        raise SystemExit(f"bench: {exc}; {len(missing)} missing: {where}") from None


def by_window(queued: dict[str, float], sent: dict[str, float], broker_cpu: list[float]) -> str:
    """p99 submit -> queued of the leads sent in each window of the paced run, and the broker's CPU then.

    The embedded broker's fetch cost grows with the record batches a partition holds
    (``bench/broker_batches.py``), so a steady rate costs it more as the run goes on.
    """
    first = min(sent.values())
    windows: dict[int, list[float]] = {}
    for event_id, at in queued.items():
        windows.setdefault(int((sent[event_id] - first) // WINDOW_S), []).append(at - sent[event_id])
    cells = []
    for index in sorted(windows):
        share = f", {broker_cpu[index]:.0f} %" if index < len(broker_cpu) else ""
        cells.append(f"{pct(windows[index], 99) * 1000:.0f} ms{share}")
    return "; ".join(cells)


class Load:
    """The leads of every run, made once."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.burst = business_leads(args.leads, seed=1, tag="burst")
        self.burst_wanted = expected_handoffs(self.burst)
        self.paced = business_leads(int(args.rate * args.seconds), seed=2, tag="paced")
        self.paced_wanted = expected_handoffs(self.paced)
        self.bulk = business_leads(args.bulk, seed=3, tag="bulk")
        lives = business_leads(50, seed=4, tag="live")
        handed = expected_handoffs(lives)
        chosen = [(m, e) for m in lives for e in handed if f'"{e}"'.encode() in m]
        (self.live, self.live_id), (self.wake, self.wake_id) = chosen[0], chosen[1]


def measure(
    broker: EmbeddedBroker,
    url: str,
    state: Path,
    layout: tuple[int, int],
    load: Load,
    args: argparse.Namespace,
) -> dict[str, str]:
    """Start the workers of one layout on one store and run the four measurements."""
    settings = settings_for(broker.bootstrap, url, state)
    engine = make_engine(url)
    create_schema(engine)
    engine.dispose()
    clear_store(url)
    ensure_topics(settings)
    bootstrap, topics = broker.bootstrap, settings.topics
    workers = Workers(settings, state / "logs")
    names = [f"worker-{i}" for i in range(layout[0])] + [f"sink-{i}" for i in range(layout[1])]
    out: dict[str, str] = {}
    try:
        for name in names:
            workers.start(name)
        warm = business_leads(40, seed=99, tag=f"warm{uuid.uuid4().hex[:6]}")
        asyncio.run(produce(bootstrap, topics.submitted, warm))
        wait_for_events(url, expected_handoffs(warm), timeout_s=90)
        time.sleep(3 if layout[0] > 1 else 0.5)  # a second worker's rebalance settles

        clear_store(url)
        pids = {"broker": broker.process.pid} if broker.process else {}
        pids.update({name: workers.procs[name].pid for name in names})
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        start = time.monotonic()
        asyncio.run(produce(bootstrap, topics.submitted, load.burst))
        done, stall = wait_for_all(bootstrap, topics, url, load.burst_wanted)
        used = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
        rate = len(load.burst) / (done - start)
        out["burst"] = f"{rate:,.0f} leads/s"
        out["stall"] = f"{stall:.2f} s"
        say(f"  burst {out['burst']}, longest stall {out['stall']}")
        out["burst_cpu"] = ", ".join(f"{k} {v / len(load.burst) * 1e6:,.0f}" for k, v in used.items()) + " µs"
        say(f"  CPU a lead in the burst: {out['burst_cpu']}")

        # Each measurement starts on a settled system: the burst's nurture outcomes and
        # dead letters are still being stored after its last handoff.
        settled = wait_quiet(pids)
        clear_store(url)
        with CpuWindows(broker.process.pid if broker.process else os.getpid(), WINDOW_S) as broker_cpu:
            sent = asyncio.run(produce(bootstrap, topics.submitted, load.paced, args.rate))
        wait_for_all(bootstrap, topics, url, load.paced_wanted)
        queued = queued_times(url, set(sent))
        lat = [at - sent[event_id] for event_id, at in queued.items()]
        out["latency"] = " / ".join(f"{pct(lat, p) * 1000:.0f}" for p in (50, 95, 99)) + " ms"
        say(f"  p50/p95/p99 {out['latency']}")
        out["windows"] = by_window(queued, sent, broker_cpu.shares)
        say(f"  per {WINDOW_S:g} s of the paced run, p99 and broker CPU: {out['windows']}")
        out["hops"] = hops(bootstrap, topics, url, sent, load.paced_wanted)
        say(f"  per hop p50/p99: {out['hops']}")

        settled += wait_quiet(pids)
        clear_store(url)  # so the count below waits for the whole import, not the paced rows
        asyncio.run(produce(bootstrap, topics.bulk, load.bulk))
        sent_live = time.monotonic()
        asyncio.run(produce(bootstrap, topics.submitted, [load.live]))
        out["live"] = f"{wait_for_events(url, {load.live_id}, timeout_s=300) - sent_live:.2f} s"
        say(f"  live lead behind {len(load.bulk):,} bulk: {out['live']}")
        wait_for_all(bootstrap, topics, url, expected_handoffs(load.bulk) | {load.live_id})

        say(f"  waited {settled:.1f} s in all for the workers to settle before the paced run and the import")
        # Idle means quiet long enough for every consumer's fetch wait to have grown to its
        # ceiling (streams.kafka.fetch_wait); the first seconds of quiet poll more often.
        settle_s = 1 + 2 * GROW_EVERY_S + 2
        time.sleep(settle_s)
        cpu = idle_cpu(pids, args.idle)
        out["idle"] = f"{sum(cpu.values()):.1f} % (" + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items()) + ")"
        say(f"  idle CPU {out['idle']}")

        # The first lead after that quiet spell: every consumer is on its idle fetch wait.
        sent_wake = time.monotonic()
        asyncio.run(produce(bootstrap, topics.submitted, [load.wake]))
        out["wake"] = f"{wait_for_events(url, {load.wake_id}, timeout_s=60) - sent_wake:.2f} s"
        say(f"  first lead after {settle_s + args.idle:g} s quiet: {out['wake']}")
        out["rate"] = f"{rate:.6f}"
        return out
    finally:
        workers.stop()


def layouts_arg(text: str) -> list[tuple[int, int]]:
    """``--layouts``: comma-separated ``WORKERSxSINKS`` pairs, such as ``1x1,2x2``."""
    out = []
    for part in text.split(","):
        workers, x, sinks = part.strip().partition("x")
        if not (x and workers.isdigit() and sinks.isdigit() and int(workers) > 0 and int(sinks) > 0):
            raise argparse.ArgumentTypeError(f"{part!r} is not WORKERSxSINKS (such as 1x1 or 2x2)")
        out.append((int(workers), int(sinks)))
    return out


def stores_arg(text: str) -> list[str]:
    """``--stores``: comma-separated ``sqlite`` and ``postgresql``."""
    stores = [s.strip() for s in text.split(",")]
    unknown = [s for s in stores if s not in ("sqlite", "postgresql")]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown store {unknown[0]!r}: use sqlite and/or postgresql")
    return stores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the paced latency run")
    parser.add_argument("--bulk", type=int, default=10_000, help="leads in the bulk import")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of the idle CPU window")
    parser.add_argument("--stores", type=stores_arg, default="sqlite,postgresql")
    parser.add_argument(
        "--layouts", type=layouts_arg, default="1x1,2x2", help="stream workers x sink workers"
    )
    parser.add_argument(
        "--pg",
        default=os.environ.get("HANDOFF_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-ups on SIGTERM too
    load = Load(args)
    results: list[tuple[str, dict[str, str]]] = []
    with tempfile.TemporaryDirectory() as tmp, EmbeddedBroker() as broker:
        say("passthrough ...")
        ceiling = asyncio.run(passthrough(broker.bootstrap, load.burst))
        for store in args.stores:
            for layout in args.layouts:
                label = f"{store}, {layout[0]} stream + {layout[1]} sink"
                say(f"{label} ...")
                state = Path(tmp) / uuid.uuid4().hex[:6]
                if store == "sqlite":
                    results.append(
                        (label, measure(broker, f"sqlite:///{state}.db", state, layout, load, args))
                    )
                else:
                    with postgres_url(args.pg) as url:
                        results.append((label, measure(broker, url, state, layout, load, args)))
    print(
        f"\nHandoff pipeline benchmark: {args.leads:,} business leads per burst, {args.rate:.0f}/s for "
        f"{args.seconds:g} s paced, {args.bulk:,} in the bulk import; embedded broker (memory)"
    )
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"raw aiokafka passthrough, same broker and leads: {ceiling:,.0f} msg/s\n")
    print(
        "| layout | leads/s (ratio) | longest stall | p50 / p95 / p99 | p50 / p99 per hop | live behind bulk"
        " | idle CPU | first lead after quiet |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for label, r in results:
        ratio = float(r["rate"]) / ceiling
        cells = [
            label,
            f"{r['burst']} ({ratio:.2f})",
            r["stall"],
            r["latency"],
            r["hops"],
            r["live"],
            r["idle"],
            r["wake"],
        ]
        print("| " + " | ".join(cells) + " |")
    print(
        f"\nThe paced run per {WINDOW_S:g} s (p99 submit -> queued of the leads sent then, broker CPU then):"
    )
    for label, r in results:
        print(f"- {label}: {r['windows']}")
    print("\nCPU a lead in the burst, per process (from its first send until its last handoff was stored):")
    for label, r in results:
        print(f"- {label}: {r['burst_cpu']}")


if __name__ == "__main__":
    main()
