"""`handoff up` as a user runs it: refuses to start on a bad setup, reports a dying worker, stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner, Result

from streams.cli.main import main
from streams.desk.account_index import ACCOUNTS_POLL_S

pytestmark = pytest.mark.e2e
HANDOFF = [sys.executable, "-m", "streams.cli"]
T = TypeVar("T")


def _up(tmp_path: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*HANDOFF, "up", *args],
        cwd=tmp_path,
        env={**os.environ, "HANDOFF_DATABASE_URL": f"sqlite:///{tmp_path / 'up.db'}", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives it
    )


def _wait_ready(proc: subprocess.Popen[str]) -> None:
    assert proc.stderr is not None
    for line in proc.stderr:
        if "ready" in line:
            return
    raise AssertionError(f"never ready; exit {proc.wait()}")


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


@pytest.fixture
def answering_port() -> Iterator[int]:
    """A loopback port where something already accepts connections (another broker, say)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield int(server.getsockname()[1])


def test_up_refuses_a_bad_policy_and_a_port_that_answers(tmp_path: Path, answering_port: int) -> None:
    (tmp_path / "bad.yaml").write_text("version: 1\nrules: [\n")
    bad_policy = _up(tmp_path, HANDOFF_RULES_FILE=str(tmp_path / "bad.yaml"))
    taken = _up(tmp_path, "--port", str(answering_port))
    for proc, expected in ((bad_policy, "invalid policy"), (taken, f"--port {answering_port}")):
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 1, err
        assert expected in err
        assert "ready;" not in err and "Traceback" not in err
        assert err.startswith("handoff: ")


def test_a_worker_that_dies_stops_up_with_its_name_and_a_non_zero_exit(tmp_path: Path) -> None:
    up = _up(tmp_path)
    try:
        _wait_ready(up)
        worker = next(p for p in _children(up.pid) if _cmdline(p).endswith("streams.cli worker "))
        os.kill(worker, signal.SIGKILL)
        _, err = up.communicate(timeout=30)
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGKILL)
    assert up.returncode == 1, err
    assert "handoff: worker-0 exited with -9" in err
    assert "Traceback" not in err and "stopped\n" not in err


def _handoff_row(db: Path, event_id: str, timeout_s: float = 30) -> tuple[str | None, str]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with sqlite3.connect(db) as conn:
            row = conn.execute(
                "select owner, handoff from sales_queue where event_id = ?", (event_id,)
            ).fetchone()
        if row:
            return row[0], row[1]
        time.sleep(0.3)
    raise AssertionError(f"{event_id} never reached the sales queue")


def _cli(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    """Run a command in-process, through the same entry point and error handling as `handoff`."""
    return CliRunner().invoke(main, list(args), env=env, input=stdin)


def _trace(env: dict[str, str], *args: str) -> list[dict[str, Any]] | None:
    """The trace reports, once the lead has an outcome."""
    done = _cli(env, "trace", *args, "--json")
    assert done.exit_code in (0, 3), done.output
    reports: list[dict[str, Any]] = json.loads(done.stdout) if done.exit_code == 0 else []
    return (
        reports if reports and all(o["kind"] != "pending" for r in reports for o in r["outcomes"]) else None
    )


def _wait_for(get: Callable[[], T | None], timeout_s: float = 30) -> T:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = get()
        if found is not None:
            return found
        time.sleep(0.3)
    raise AssertionError("not within the time")


def _send(env: dict[str, str], *leads: dict[str, str]) -> None:
    sent = _cli(env, "send", stdin="\n".join(json.dumps(x, ensure_ascii=False) for x in leads))
    assert sent.exit_code == 0, sent.output


def test_running_up_applies_imported_accounts_and_ctrl_c_stops_workers_before_the_broker(
    tmp_path: Path,
) -> None:
    logs, db = tmp_path / "logs", tmp_path / "up.db"
    up = _up(tmp_path, "--logs", str(logs))
    try:
        assert up.stdout is not None
        servers = up.stdout.readline().split(": ", 1)[1].strip()
        _wait_ready(up)
        env = {
            **os.environ,
            "HANDOFF_DATABASE_URL": f"sqlite:///{db}",
            "HANDOFF_KAFKA_BOOTSTRAP_SERVERS": servers,
        }
        when = "2026-11-25T10:00:00+09:00"
        _send(
            env,
            {
                "form_id": "demo-request",
                "event_id": "before",
                "submitted_at": when,
                "email": "ken@acme-robotics.co.jp",
            },
            {"form_id": "newsletter", "event_id": "letter", "submitted_at": when, "email": "x.y@gmail.com"},
            {"form_id": "demo-request", "event_id": "broken", "email": "no-date@acme-robotics.co.jp"},
        )
        _handoff_row(db, "before")  # the workers run (and have read the accounts table: empty)
        accounts = tmp_path / "accounts.csv"
        accounts.write_text(
            "domain,name,owner,employees,industry,country\n"
            "toyota-shokki.co.jp,株式会社豊田自動織機,suzuki.yui,70000,Machinery,JP\n",
            "utf-8",
        )
        imported = _cli(env, "accounts", "import", str(accounts))
        assert imported.exit_code == 0 and "within 2 s" in imported.stdout, imported.output
        time.sleep(2 * ACCOUNTS_POLL_S + 0.5)
        lead = {"form_id": "whitepaper", "submitted_at": when, "job_title": "部長", "country": "日本"}
        _send(env, {**lead, "event_id": "after", "email": "taro@toyota-shokki.co.jp"})
        owner, stored = _handoff_row(db, "after")
        assert owner == "suzuki.yui" and json.loads(stored)["account"]["matched"] is True

        # What happened to each lead, asked the way a user would.
        traced = _wait_for(lambda: _trace(env, "--email", "ＴＡＲＯ＠ＴＯＹＯＴＡ－ＳＨＯＫＫＩ．ｃｏ．ｊｐ"))
        assert traced[0]["event_id"] == "after" and traced[0]["submitted"][0]["at"].startswith(
            "leads.submitted/"
        )
        assert (
            traced[0]["outcomes"][0]["kind"] == "handoff"
            and traced[0]["outcomes"][0]["owner"] == "suzuki.yui"
        )
        assert traced[0]["now"]["owner"] == "suzuki.yui" and traced[0]["now"]["status"] == "open"
        assert any(r.startswith("account") or "account" in r for r in traced[0]["outcomes"][0]["reasons"])
        letter = _wait_for(lambda: _trace(env, "letter"))[0]["outcomes"][0]
        assert letter["kind"] == "nurture" and letter["disposition"] and letter["reasons"]
        broken = _wait_for(lambda: _trace(env, "broken"))[0]["outcomes"][0]
        assert broken["kind"] == "dead_letter" and broken["error"] == "schema_invalid"
        listed = _cli(env, "nurture", "list")
        assert "letter" in listed.stdout and listed.stderr.strip().endswith("nurtured lead"), listed.output
        unknown = _cli(env, "trace", "nosuch")
        assert unknown.exit_code == 3 and unknown.stderr.startswith("handoff: no record of event id nosuch")

        started = time.monotonic()
        os.killpg(up.pid, signal.SIGINT)  # what Ctrl-C at a terminal does
        _, err = up.communicate(timeout=30)
        print(f"stopped in {time.monotonic() - started:.2f} s")
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGKILL)
            up.wait()
    assert up.returncode == 0, err
    assert err.rstrip().endswith("stopped")
    for name in ("worker-0.log", "sink-0.log"):
        lines = (logs / name).read_text().splitlines()
        # A broker stopped first would leave the workers logging connection errors.
        bad = [x for x in lines if '"level": "error"' in x or '"level": "warning"' in x]
        assert not [x for x in bad if "dead letter" not in x], name
