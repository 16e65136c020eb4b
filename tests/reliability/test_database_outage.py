"""PostgreSQL unreachable mid-stream: the sink holds its offsets, retries, and loses nothing."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from streams.core.settings import Settings
from streams.demo.samples import sample_messages
from streams.kafka.topics import ensure_topics
from tests.conftest import PG_URL
from tests.reliability.conftest import pg_schema_url
from tests.reliability.harness import Outcomes, Workers, queue_state, send, wait_until_accounted
from tests.reliability.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(600)]


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    url = make_url(PG_URL)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    yield proxy
    proxy.close()


@pytest.mark.parametrize(
    ("leads", "outage_s"), [(2_000, 8.0), pytest.param(10_000, 30.0, marks=pytest.mark.slow)]
)
def test_database_outage_loses_nothing_and_recovers(
    leads: int,
    outage_s: float,
    settings_for: Callable[..., Settings],
    pg_schema: str,
    proxy: TcpProxy,
    tmp_path: Path,
) -> None:
    through_proxy = make_url(PG_URL).set(port=proxy.port).render_as_string(hide_password=False)
    database_url = pg_schema_url(through_proxy, pg_schema)
    settings = settings_for(database_url=database_url, sink_retry_max_backoff_s=2.0)
    ensure_topics(settings)
    workers = Workers(settings, tmp_path / "logs")
    outcomes = Outcomes(settings)
    try:
        workers.start("worker-0")
        workers.start("sink-0")
        messages = sample_messages(leads, seed=5)  # made while the workers start
        sent = send(settings, messages[: leads // 2])
        deadline = time.monotonic() + 60
        while len(queue_state(database_url).ledger_event_ids) < leads // 8:
            assert time.monotonic() < deadline, "the sink never got going"
            time.sleep(0.2)
        proxy.cut()
        cut_at = time.monotonic()
        sent |= send(settings, messages[leads // 2 :])
        assert wait_until_accounted(outcomes, sent, workers, timeout_s=120) == []
        handed_off = set(outcomes.handoffs)
        time.sleep(max(0.0, outage_s - (time.monotonic() - cut_at)))
        proxy.restore()
        restored_at = time.monotonic()
        before = len(queue_state(database_url).ledger_event_ids)
        resumed_after: float | None = None
        while True:
            state = queue_state(database_url)
            if resumed_after is None and len(state.ledger_event_ids) > before:
                resumed_after = time.monotonic() - restored_at
            if handed_off <= state.ledger_event_ids or time.monotonic() - restored_at > 90:
                break
            time.sleep(0.1)
        finished_after = time.monotonic() - restored_at
        print(
            f"\nPostgreSQL cut for {outage_s:.0f} s with {len(handed_off) - before} handoffs outstanding: "
            f"writes resumed {resumed_after if resumed_after is not None else float('nan'):.2f} s "
            f"after recovery, all {len(handed_off)} in the store {finished_after:.2f} s after"
        )
        assert handed_off - state.ledger_event_ids == set()
        assert state.ledger_event_ids == handed_off
        assert state.open_rows_per_lead_max == 1
        assert state.submissions == len(handed_off)
        assert not workers.dead()
    finally:
        workers.stop()
        outcomes.close()
