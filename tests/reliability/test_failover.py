"""Scale-out and failover: two stream workers and two sink workers, one of each SIGKILLed mid-stream."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from schemas import HandoffEvent, SourcePosition
from sinks.store import create_schema, make_engine
from streams.core.settings import Settings
from streams.demo.samples import sample_messages
from streams.kafka.topics import ensure_topics
from streams.logic.pipeline import decide
from streams.logic.policy_file import load_policy
from tests.conftest import PG_URL
from tests.reliability.conftest import pg_schema_url
from tests.reliability.harness import (
    Outcomes,
    Workers,
    queue_state,
    send,
    wait_for_ledger,
    wait_until_accounted,
)

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(600)]


def _check_store(database_url: str, outcomes: Outcomes) -> None:
    """Every handoff applied once: one ledger entry each, one open row per person, no extra rows."""
    handed_off = set(outcomes.handoffs)
    state = wait_for_ledger(database_url, handed_off, timeout_s=60)
    assert handed_off - state.ledger_event_ids == set()
    assert state.ledger_event_ids == handed_off
    assert state.open_rows_per_lead_max == 1
    assert state.rows == len(set(outcomes.lead_of.values()))
    assert state.submissions == len(handed_off)


@pytest.mark.parametrize("leads", [2_000, pytest.param(10_000, marks=pytest.mark.slow)])
def test_sigkill_a_stream_worker_and_a_sink_worker_mid_stream(
    leads: int,
    settings_for: Callable[..., Settings],
    pg_schema: str,
    tmp_path: Path,
) -> None:
    database_url = pg_schema_url(PG_URL, pg_schema)
    settings = settings_for(database_url=database_url, sink_retry_max_backoff_s=2.0)
    ensure_topics(settings)
    workers = Workers(settings, tmp_path / "logs")
    outcomes = Outcomes(settings)
    half = leads // 2
    try:
        for name in ("worker-0", "worker-1", "sink-0", "sink-1"):
            workers.start(name)
        messages = sample_messages(leads, seed=11)  # made while the workers start
        sent = send(settings, messages[:half])
        deadline = time.monotonic() + 90
        while len(outcomes.handoffs) < half // 4 and time.monotonic() < deadline:
            outcomes.poll()
        assert len(outcomes.handoffs) >= half // 4, "the pipeline never got going"
        workers.kill("worker-1")
        workers.kill("sink-1")
        sent |= send(settings, messages[half:])
        time.sleep(1.0)
        workers.start("worker-1")
        workers.start("sink-1")
        missing = wait_until_accounted(outcomes, sent, workers, timeout_s=180)
        assert missing == [], f"{len(missing)} of {leads} leads have no outcome"
        _check_store(database_url, outcomes)
        redelivered = sum(n - 1 for n in outcomes.handoffs.values())
        print(
            f"\n{leads} leads: {len(outcomes.handoffs)} handoffs, {len(outcomes.nurtured)} nurtured, "
            f"{len(outcomes.dead)} dead letters; {redelivered} handoffs emitted twice "
            "(at-least-once), absorbed by the store"
        )
        assert not workers.dead()
    finally:
        workers.stop()
        outcomes.close()


def _handed_off(messages: list[bytes]) -> list[bytes]:
    """The messages the shipped policy hands to sales."""
    policy = load_policy(None)
    position = SourcePosition(topic="t", partition=0, offset=0)
    return [m for m in messages if isinstance(decide(m, position, policy), HandoffEvent)]


# The store's dedupe on SQLite is in the default suite too (test_sink_store replays every
# handoff on both databases); across a worker restart, PostgreSQL is enough by default.
@pytest.mark.parametrize(
    "database_url", [pytest.param("sqlite", marks=pytest.mark.slow), "postgresql"], indirect=True
)
def test_the_same_event_three_times_makes_one_row(
    settings_for: Callable[..., Settings],
    database_url: str,
    tmp_path: Path,
) -> None:
    settings = settings_for(database_url=database_url)
    engine = make_engine(database_url)
    create_schema(engine)
    engine.dispose()
    ensure_topics(settings)
    lead, marker = _handed_off(sample_messages(40, seed=3))[:2]
    event_id = orjson.loads(lead)["event_id"]
    marker_id = orjson.loads(marker)["event_id"]
    workers = Workers(settings, tmp_path / "logs")
    try:
        workers.start("worker-0")
        workers.start("sink-0")
        send(settings, [lead])
        assert event_id in wait_for_ledger(database_url, {event_id}, 60).ledger_event_ids
        # A restart forgets the workers' in-memory idempotency cache: only the store can dedupe now.
        workers.kill("worker-0")
        workers.start("worker-0")
        send(settings, [lead, lead, marker])
        state = wait_for_ledger(database_url, {event_id, marker_id}, 60)
        assert marker_id in state.ledger_event_ids
        assert state.rows == 2
        assert state.submissions == 2
        assert queue_state(database_url).ledger_event_ids == {event_id, marker_id}
    finally:
        workers.stop()
