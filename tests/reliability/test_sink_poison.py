"""A handoff the store refuses every time becomes a dead letter; its partition keeps moving."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from sinks.store import create_schema, make_engine
from streams.core.settings import Settings
from streams.demo.samples import sample_messages
from streams.kafka.topics import ensure_topics
from tests.reliability.harness import Outcomes, Workers, queue_state, send, wait_for_ledger

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(300)]


# SQLite by default: the open-row upgrade tripped there. PostgreSQL's upgrade of an open row
# stays in the default suite through test_sink_store.
@pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)], indirect=True
)
def test_a_refused_handoff_is_set_aside_not_retried_forever(
    settings_for: Callable[..., Settings],
    database_url: str,
    tmp_path: Path,
) -> None:
    settings = settings_for(database_url=database_url, partitions=1, sink_retry_max_backoff_s=0.5)
    engine = make_engine(database_url)
    create_schema(engine)
    engine.dispose()
    ensure_topics(settings)
    base = orjson.loads(sample_messages(1, seed=4)[0])
    for key in ("activity", "timeline", "budget", "employees"):
        base.pop(key, None)
    # The same person twice: first marketing-qualified, then asking for a demo. Upgrading the
    # open row is the path most likely to trip over the store (it did, on SQLite).
    first = base | {"event_id": "poison-1", "form_id": "whitepaper"}
    second = base | {"event_id": "poison-2", "form_id": "demo-request"}
    others = [orjson.loads(m) for m in sample_messages(30, seed=8)[:30]]
    workers = Workers(settings, tmp_path / "logs")
    outcomes = Outcomes(settings)
    try:
        workers.start("worker-0")
        workers.start("sink-0")
        send(settings, [orjson.dumps(first)])
        wait_for_ledger(database_url, {"poison-1"}, timeout_s=60)
        send(settings, [orjson.dumps(second), *(orjson.dumps(o) for o in others)])
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            outcomes.poll()
            handed = set(outcomes.handoffs)
            stored = queue_state(database_url).ledger_event_ids
            if "poison-2" in handed and handed <= stored | outcomes.sink_dead:
                break
        assert "poison-2" in outcomes.handoffs
        print(f"\nrefused by the store and dead-lettered: {sorted(outcomes.sink_dead) or 'none'}")
        # Every handoff is either in the store or set aside as a dead letter: none is stuck.
        assert set(outcomes.handoffs) <= stored | outcomes.sink_dead
        assert set(outcomes.handoffs) - {"poison-2"} <= stored
        assert not workers.dead()
    finally:
        workers.stop()
        outcomes.close()
