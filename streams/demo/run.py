"""`handoff demo`: the whole pipeline on the embedded broker and SQLite, accounted lead by lead."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy.orm import Session

from sinks.config import load_sinks
from sinks.queue import count_by_queue, recorded_event_ids
from sinks.store import create_schema, make_engine
from streams.client import LeadProducer, key_of
from streams.core.settings import Settings
from streams.demo.samples import sample_messages
from streams.embedded.supervisor import Stack
from streams.lag.collect import collect_lag, render_lag_table


@dataclass
class Accounting:
    """Where every sent message ended up."""

    sent: dict[tuple[int, int], str | None] = field(default_factory=dict)  # position -> event_id
    handoffs: set[str] = field(default_factory=set)
    nurture: Counter[str] = field(default_factory=Counter)
    dead: Counter[str] = field(default_factory=Counter)
    accounted: set[tuple[int, int]] = field(default_factory=set)
    first_outcome_at: float | None = None
    last_outcome_at: float | None = None

    def account(self, position: tuple[int, int]) -> None:
        """Record that the message at ``position`` reached an outcome."""
        now = time.monotonic()
        self.first_outcome_at = self.first_outcome_at or now
        self.last_outcome_at = now
        self.accounted.add(position)

    def missing(self) -> int:
        """Messages with no outcome yet."""
        return len(self.sent) - len(self.accounted)


def _consume_outcomes(settings: Settings, acc: Accounting, deadline: float, stack: Stack) -> None:
    by_event = {eid: pos for pos, eid in acc.sent.items() if eid}
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka.servers,
        enable_auto_commit=False,
        group_id=None,
        fetch_max_wait_ms=50,
        client_id="handoff-demo",
    )
    topics = (settings.topics.handoff, settings.topics.nurture, settings.topics.dlq)
    parts = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or {0})]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    nurture_seen: set[str] = set()
    try:
        while acc.missing() and time.monotonic() < deadline and not stack.failed():
            for tp, records in consumer.poll(timeout_ms=200).items():
                for rec in records:
                    doc = orjson.loads(rec.value)
                    if tp.topic == settings.topics.dlq:
                        pos = (doc["source"]["partition"], doc["source"]["offset"])
                        if pos in acc.sent and pos not in acc.accounted:
                            acc.dead[doc["error"]] += 1
                            acc.account(pos)
                        continue
                    found = by_event.get(doc["event_id"])
                    if found is None or found in acc.accounted:
                        continue
                    acc.account(found)
                    if tp.topic == settings.topics.handoff:
                        acc.handoffs.add(doc["event_id"])
                    elif doc["event_id"] not in nurture_seen:
                        nurture_seen.add(doc["event_id"])
                        acc.nurture[doc["disposition"]] += 1
    finally:
        consumer.close()


def _wait_for_sink(settings: Settings, acc: Accounting, deadline: float, stack: Stack) -> set[str]:
    engine = make_engine(settings.database.url)
    wanted = sorted(acc.handoffs)
    stored: set[str] = set()
    try:
        while time.monotonic() < deadline and not stack.failed():
            with Session(engine) as session:
                stored = recorded_event_ids(session=session, event_ids=wanted)
            if len(stored) == len(wanted):
                break
            time.sleep(0.1)
        return stored
    finally:
        engine.dispose()


def _print_summary(settings: Settings, acc: Accounting, stored: int, started: float) -> None:
    engine = make_engine(settings.database.url)
    with Session(engine) as session:
        rows = count_by_queue(session=session)
    engine.dispose()
    total = len(acc.sent)
    seconds = (acc.last_outcome_at or time.monotonic()) - started
    print(f"\nHandoff demo: {total} leads sent, {len(acc.accounted)} accounted for in {seconds:.2f} s")
    if acc.first_outcome_at and acc.last_outcome_at and acc.last_outcome_at > acc.first_outcome_at:
        warm = acc.last_outcome_at - acc.first_outcome_at
        print(
            f"  first outcome {acc.first_outcome_at - started:.2f} s after the first send "
            f"(workers joining their groups), then {len(acc.accounted) / warm:.0f} leads/s\n"
        )
    counts: list[tuple[str, int]] = [("handed off to sales", len(acc.handoffs))]
    counts += sorted(acc.nurture.items())
    counts += [(f"dead letter: {error}", n) for error, n in sorted(acc.dead.items())]
    width = max(len(label) for label, _ in counts)  # one column, however long an error code is
    for index, (label, n) in enumerate(counts):
        stored_note = f"  (in the sales queue store: {stored})" if index == 0 else ""
        print(f"  {label:<{width}} {n:6d}{stored_note}")
    print("\nSales queues (rows; submissions include repeat visits attached to an open row):")
    print(f"  {'queue':<14}{'stage':<7}{'status':<9}{'rows':>6}{'submissions':>13}")
    for queue, stage, status, n, subs in rows:
        print(f"  {queue:<14}{stage:<7}{status:<9}{n:>6}{subs:>13}")


def _settled_lag(settings: Settings, timeout_s: float = 10.0) -> str:
    # The route group and the configured sinks too, each in its own group.
    groups = [
        settings.worker.group,
        settings.worker.route_group_id,
        settings.sink.group,
        *(c.group for c in load_sinks(settings.sink.file)),
    ]
    deadline = time.monotonic() + timeout_s
    while True:
        rows = collect_lag(settings.kafka.bootstrap_servers, groups=groups)
        settled = {r.group for r in rows} == set(groups) and not any(r.lag for r in rows)
        if settled or time.monotonic() > deadline:
            return render_lag_table(rows)
        time.sleep(0.25)


def run_demo(
    settings: Settings,
    *,
    leads: int,
    timeout_s: float = 120.0,
    seed: int = 7,
    log_dir: Path | None = None,
    before_stop: Callable[[int], None] | None = None,
) -> int:
    """Run the demo; 0 when every lead is accounted for and every handoff is in the store."""
    engine = make_engine(settings.database.url)
    create_schema(engine)
    engine.dispose()
    messages = sample_messages(leads, seed=seed)
    started = time.monotonic()
    with Stack(settings, log_dir=log_dir) as stack:
        settings = stack.settings
        print(f"embedded broker on {settings.kafka.bootstrap_servers}; database {settings.database.url}")
        acc = Accounting()
        t0 = time.monotonic()
        with LeadProducer(settings.kafka.servers, topic=settings.topics.submitted) as producer:
            sent = producer.send_many(settings.topics.submitted, [(key_of(m), m) for m in messages])
            for message, meta in zip(messages, sent, strict=True):
                key = key_of(message)
                acc.sent[(meta.partition, meta.offset)] = key.decode() if key else None
        deadline = time.monotonic() + timeout_s
        _consume_outcomes(settings, acc, deadline, stack)
        stored = _wait_for_sink(settings, acc, deadline, stack)
        failures = stack.failed()
        _print_summary(settings, acc, len(stored), t0)
        if before_stop is not None:
            before_stop(len(acc.handoffs))  # e.g. let the configured sinks deliver, and show it
        print("\nConsumer lag:")
        print(_settled_lag(settings))
    print(f"\n(total run time including start-up and shutdown: {time.monotonic() - started:.1f} s)")
    if failures:
        print("worker failures: " + "; ".join(failures))
    missing = acc.missing() + (len(acc.handoffs) - len(stored))
    if missing:
        print(f"FAILED: {missing} leads not accounted for")
        return 1
    print("OK: every lead is accounted for (handoff, nurture or dead letter).")
    return 0
