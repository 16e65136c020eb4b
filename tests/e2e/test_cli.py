"""The command line as a user runs it: demo, up + a plain Kafka client, clean shutdown."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kafka import KafkaProducer
from sqlalchemy import create_engine, text

from streams.embedded.broker import free_port
from tests.e2e.conftest import DemoRun

pytestmark = pytest.mark.e2e
HANDOFF = [sys.executable, "-m", "streams.cli"]


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text_ = (task / "children").read_text().split() if (task / "children").exists() else []
        for child in map(int, text_):
            found |= {child} | _children(child)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "zombie" not in status.read_text()


def test_demo_accounts_for_every_lead(demo_run: DemoRun) -> None:
    result = demo_run.result
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{demo_run.leads} leads sent, {demo_run.leads} accounted for" in result.stdout
    assert "OK: every lead is accounted for" in result.stdout
    with create_engine(f"sqlite:///{demo_run.db}").connect() as conn:
        assert conn.execute(text("select count(*) from sales_queue")).scalar_one() > demo_run.leads // 2


def test_up_takes_leads_from_any_kafka_client_and_stops_cleanly(tmp_path: Path) -> None:
    port, db = free_port(), tmp_path / "x.db"
    env = {**os.environ, "HANDOFF_STATE_DIR": str(tmp_path / "state")}
    proc = subprocess.Popen(
        [*HANDOFF, "up", "--port", str(port), "--db", f"sqlite:///{db}", "--logs", str(tmp_path / "logs")],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("bootstrap servers: 127.0.0.1:"), line
        bootstrap = line.split()[-1]
        assert bootstrap == f"127.0.0.1:{port}"

        lead = {
            "event_id": "up-1",
            "submitted_at": "2026-11-27T10:00:00+09:00",
            "form_id": "contact-sales",
            "email": "ｓａｔｏ＠ＡＣＭＥ．ｃｏ．ｊｐ",
            "country": "日本",
        }
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
        for _ in range(3):
            producer.send("leads.submitted", json.dumps(lead).encode()).get(timeout=10)
        producer.send("leads.submitted", b"not json at all").get(timeout=10)
        producer.close()
        # A second, unrelated client library (librdkafka) works the same way.
        from confluent_kafka import Producer

        rd = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
        rd.produce(
            "leads.submitted", json.dumps({**lead, "event_id": "up-2", "email": "suzuki@beta.co.jp"}).encode()
        )
        assert rd.flush(10) == 0

        engine = create_engine(f"sqlite:///{db}")
        deadline = time.monotonic() + 60
        count = 0
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                try:
                    count = conn.execute(text("select count(*) from sales_queue")).scalar_one()
                except Exception:  # noqa: BLE001 - the table appears when the sink starts
                    count = 0
            if count >= 2:
                break
            time.sleep(0.2)

        lag_env = {**env, "HANDOFF_KAFKA_BOOTSTRAP_SERVERS": bootstrap}
        deadline = time.monotonic() + 30
        while True:
            out = subprocess.run(
                [*HANDOFF, "lag", "--json"],
                env=lag_env,
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            ).stdout
            lag = json.loads(out)
            groups = {r["group"] for r in lag}
            if {"handoff-worker", "handoff-sink"} <= groups and all(r["lag"] == 0 for r in lag):
                break
            assert time.monotonic() < deadline, out
            time.sleep(0.5)
        submitted = [r for r in lag if r["topic"] == "leads.submitted"]
        assert sum(r["committed"] or 0 for r in submitted) == 5
        # Both groups have committed everything, so a duplicate, were dedupe broken, is stored by now.
        with engine.connect() as conn:
            rows = conn.execute(text("select email, queue, stage from sales_queue order by email")).all()
        engine.dispose()
        assert rows == [
            ("sato@acme.co.jp", "inside-sales", "SQL"),
            ("suzuki@beta.co.jp", "inside-sales", "SQL"),
        ]

        children = _children(proc.pid)
        assert len(children) >= 3  # broker, worker, sink
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
        assert time.monotonic() - started < 10
        assert proc.returncode == 0
        time.sleep(0.2)
        assert [p for p in children if _alive(p)] == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
