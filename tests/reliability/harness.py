"""Worker processes, lead accounting and database checks shared by the fault-injection tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sinks.models import OPEN_STATUSES, HandoffRecord, QueueItem
from sinks.store import make_engine
from streams.client import LeadProducer, key_of
from streams.core.settings import Settings
from streams.embedded.durable import die_with_parent


class Workers:
    """Stream and sink workers as separate OS processes, as `handoff worker|sink` runs them."""

    def __init__(self, settings: Settings, log_dir: Path) -> None:
        self.env = {**os.environ, **settings.to_env(), "HANDOFF_LOG_LEVEL": "warning"}
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        log_dir.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, **env: str) -> None:
        """Start (or restart) the process ``name``: ``worker-N`` or ``sink-N``."""
        role = name.split("-")[0]
        with open(self.log_dir / f"{name}.log", "ab") as log:
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", "streams.cli", role],
                env={**self.env, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,  # noqa: PLW1509
            )

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown hooks, no final commit."""
        proc = self.procs[name]
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def dead(self) -> list[str]:
        """Processes that exited without being asked to."""
        return [f"{name} exited {p.returncode}" for name, p in self.procs.items() if p.poll() is not None]

    def stop(self) -> None:
        """SIGKILL everything still running and reap it.

        The test has read what it checks by now, and a clean stop (about 2 s of Faust
        shutdown per worker) is what the `handoff up` tests check; nothing here relies on it.
        """
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
        for proc in self.procs.values():
            proc.wait(10)


def send(settings: Settings, messages: Iterable[bytes]) -> dict[tuple[int, int], str | None]:
    """Send raw messages keyed by their event_id; return position -> event_id."""
    sent: dict[tuple[int, int], str | None] = {}
    with LeadProducer(settings.kafka.servers, topic=settings.topics.submitted, timeout_s=30) as producer:
        keyed = [(key_of(m), m) for m in messages]
        for (key, _), meta in zip(keyed, producer.send_many(settings.topics.submitted, keyed), strict=True):
            sent[(meta.partition, meta.offset)] = key.decode("utf-8", "replace") if key else None
    return sent


def _norm(event_id: str) -> str:
    return unicodedata.normalize("NFKC", event_id).strip()


@dataclass
class Outcomes:
    """What the pipeline emitted, read incrementally from the outcome topics."""

    settings: Settings
    handoffs: dict[str, int] = field(default_factory=dict)  # event_id -> times emitted
    lead_of: dict[str, str] = field(default_factory=dict)  # handed-off event_id -> lead_id
    nurtured: set[str] = field(default_factory=set)
    dead: set[tuple[int, int]] = field(default_factory=set)  # source positions
    sink_dead: set[str] = field(default_factory=set)  # event ids of handoffs the store refused
    _consumer: KafkaConsumer | None = None

    def poll(self, timeout_ms: int = 200) -> None:
        """Read whatever arrived since the last call."""
        if self._consumer is None:
            s = self.settings
            self._consumer = KafkaConsumer(
                bootstrap_servers=s.kafka.servers,
                group_id=None,
                enable_auto_commit=False,
                fetch_max_wait_ms=50,
            )
            topics = (s.topics.handoff, s.topics.nurture, s.topics.dlq)
            tps = [
                TopicPartition(t, p)
                for t in topics
                for p in sorted(self._consumer.partitions_for_topic(t) or {0})
            ]
            self._consumer.assign(tps)
            self._consumer.seek_to_beginning(*tps)
        for tp, records in self._consumer.poll(timeout_ms=timeout_ms, max_records=50_000).items():
            for rec in records:
                doc = orjson.loads(rec.value)
                if tp.topic == self.settings.topics.dlq:
                    if doc["source"]["topic"] == self.settings.topics.submitted:
                        self.dead.add((doc["source"]["partition"], doc["source"]["offset"]))
                    elif doc["source"]["topic"] == self.settings.topics.handoff:
                        self.sink_dead.add(orjson.loads(doc["payload"])["event_id"])
                elif tp.topic == self.settings.topics.handoff:
                    self.handoffs[doc["event_id"]] = self.handoffs.get(doc["event_id"], 0) + 1
                    self.lead_of[doc["event_id"]] = doc["lead_id"]
                else:
                    self.nurtured.add(doc["event_id"])

    def missing(self, sent: dict[tuple[int, int], str | None]) -> list[tuple[int, int]]:
        """Sent positions with no outcome (a repeated event_id counts as its first one's)."""
        return [
            pos
            for pos, eid in sent.items()
            if pos not in self.dead
            and not (eid and (_norm(eid) in self.handoffs or _norm(eid) in self.nurtured))
        ]

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close(autocommit=False)


def wait_until_accounted(
    outcomes: Outcomes, sent: dict[tuple[int, int], str | None], workers: Workers | None, timeout_s: float
) -> list[tuple[int, int]]:
    """Poll the outcome topics until every sent message has one; return those still missing."""
    deadline = time.monotonic() + timeout_s
    missing = outcomes.missing(sent)
    while missing and time.monotonic() < deadline:
        assert workers is None or not workers.dead(), workers.dead()
        outcomes.poll()
        missing = outcomes.missing(sent)
    return missing


@dataclass(frozen=True)
class QueueState:
    """What the sales queue store holds."""

    ledger_event_ids: set[str]
    rows: int
    submissions: int
    open_rows_per_lead_max: int


def queue_state(database_url: str) -> QueueState:
    """Read the ledger and the queue (one query each)."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            ledger = set(session.scalars(select(HandoffRecord.event_id)))
            rows, subs = session.execute(
                select(func.count(), func.coalesce(func.sum(QueueItem.submissions), 0))
            ).one()
            per_lead = session.execute(
                select(func.count())
                .where(QueueItem.status.in_(OPEN_STATUSES))
                .group_by(QueueItem.lead_id)
                .order_by(func.count().desc())
                .limit(1)
            ).scalar()
        return QueueState(ledger, int(rows), int(subs), int(per_lead or 0))
    finally:
        engine.dispose()


def wait_until_stored(database_url: str, outcomes: Outcomes, timeout_s: float) -> QueueState:
    """Wait until every handoff emitted is in the store or was dead-lettered by the sink."""
    deadline = time.monotonic() + timeout_s
    while True:
        outcomes.poll(timeout_ms=100)
        state = queue_state(database_url)
        if (
            set(outcomes.handoffs) <= state.ledger_event_ids | outcomes.sink_dead
            or time.monotonic() > deadline
        ):
            return state
        time.sleep(0.2)


def wait_for_ledger(database_url: str, event_ids: set[str], timeout_s: float) -> QueueState:
    """Wait until the sink has applied every one of ``event_ids``."""
    deadline = time.monotonic() + timeout_s
    while True:
        state = queue_state(database_url)
        if event_ids <= state.ledger_event_ids or time.monotonic() > deadline:
            return state
        time.sleep(0.25)
