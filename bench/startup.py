"""Measure `handoff up`: cold start to first lead in the queue, then warm per-lead latency.

    .venv/bin/python bench/startup.py [--warm 20]

Prints seconds from launching `handoff up` to the bootstrap line, to the first lead's row in
sales_queue, and the warm submit-to-row latency (the lead is produced with kafka-python, the row
is polled from SQLite every 5 ms).
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kafka import KafkaProducer
from sqlalchemy import create_engine, text


def lead(i: int) -> bytes:
    return json.dumps(
        {
            "event_id": f"bench-{i}-{time.time_ns()}",
            "submitted_at": "2026-11-27T10:00:00+09:00",
            "form_id": "contact-sales",
            "email": f"rep{i}@acme.co.jp",
        }
    ).encode()


def wait_row(engine, event_id: str, timeout_s: float = 60) -> float:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with engine.connect() as conn:
                if conn.execute(
                    text("select 1 from handoff_ledger where event_id = :e"), {"e": event_id}
                ).first():
                    return time.monotonic()
        except Exception:  # noqa: BLE001 - table not created yet
            pass
        time.sleep(0.005)
    raise TimeoutError(event_id)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warm", type=int, default=20)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    db = f"sqlite:///{tmp}/bench.db"
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streams.cli", "up", "--db", db],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=tmp,
    )
    try:
        assert proc.stdout is not None
        bootstrap = proc.stdout.readline().split()[-1]
        t_boot = time.monotonic()
        engine = create_engine(db)
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
        first = lead(0)
        producer.send("leads.submitted", first).get(timeout=10)
        t_first = wait_row(engine, json.loads(first)["event_id"])
        warm: list[float] = []
        for i in range(1, args.warm + 1):
            msg = lead(i)
            sent = time.monotonic()
            producer.send("leads.submitted", msg).get(timeout=10)
            warm.append(wait_row(engine, json.loads(msg)["event_id"]) - sent)
        producer.close()
        engine.dispose()
    finally:
        proc.send_signal(signal.SIGTERM)
        stop = time.monotonic()
        proc.wait(timeout=20)
        stopped = time.monotonic() - stop
    print(f"launch -> bootstrap address printed : {t_boot - t0:6.2f} s")
    print(f"launch -> first lead in sales_queue : {t_first - t0:6.2f} s (cold start)")
    print(
        f"warm submit -> row, {len(warm)} leads      : median {statistics.median(warm) * 1000:.0f} ms, "
        f"max {max(warm) * 1000:.0f} ms"
    )
    print(f"SIGTERM -> all processes stopped     : {stopped:6.2f} s")


if __name__ == "__main__":
    main()
