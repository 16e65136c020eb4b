"""The lead-intelligence commands as a user runs them; the policy cases end to end through `handoff up`."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from streams.cli.main import main

pytestmark = pytest.mark.e2e

HANDOFF = [sys.executable, "-m", "streams.cli"]
WHEN = "2026-11-25T10:00:00+09:00"


@dataclass(frozen=True)
class Ran:
    """What a command printed and how it exited."""

    returncode: int
    stdout: str
    stderr: str


def handoff(*args: str, env: dict[str, str], stdin: bytes | None = None) -> Ran:
    """Run a command in-process, through the same entry point and error handling as `handoff`.

    Exactly ``env``: variables it leaves out are unset for the run. `handoff up` below runs
    as its own process.
    """
    only: dict[str, str | None] = {k: None for k in os.environ if k not in env} | dict(env)
    done = CliRunner().invoke(main, list(args), env=only, input=stdin)
    return Ran(done.exit_code, done.stdout, done.stderr)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HANDOFF_")}
    return {
        **clean,
        "HANDOFF_STATE_DIR": str(tmp_path / "state"),
        "HANDOFF_DATABASE_URL": f"sqlite:///{tmp_path}/handoff.db",
    }


def lead(event_id: str, email: str, **fields: Any) -> dict[str, Any]:
    return {"event_id": event_id, "submitted_at": WHEN, "form_id": "whitepaper", "email": email, **fields}


LEADS = [
    lead("e-demo", "ken@acme-robotics.co.jp", form_id="demo-request"),
    lead("e-big", "ann@bigcorp.co.jp", form_id="demo-request", employees="1000-4999"),
    lead("e-mql", "bob@widgets.co.jp", job_title="Manager", country="JP", activity={"pricing_page_views": 2}),
    lead("e-low", "x.y@gmail.com", form_id="newsletter"),
    lead("e-spam", "eve@spam-corp.co.jp", form_id="demo-request", honeypot="http://x"),
    lead("e-temp", "t@mailinator.com", form_id="demo-request"),
    lead("e-account", "ｔａｒｏ＠ＴＯＹＯＴＡ－ＳＨＯＫＫＩ．ｃｏ．ｊｐ", job_title="部長", country="日本"),
]


def test_rules_check_exit_codes(tmp_path: Path, env: dict[str, str]) -> None:
    ok = handoff("rules", "check", env=env)
    assert ok.returncode == 0 and ok.stdout.startswith("ok: default@")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nstages:\n  - {rule: s, stage: HOT}\nrouting:\n  - {rule: r, queue: q}\nqueues: {}\n",
        "utf-8",
    )
    failed = handoff("rules", "check", str(bad), env=env)
    assert failed.returncode == 1
    lines = failed.stderr.strip().splitlines()
    assert f"{bad}:3: stages.0.stage: Input should be 'MQL' or 'SQL'" in lines
    assert f"{bad}:5: routing.0.queue: no queue 'q' under 'queues'" in lines
    assert any(line.startswith(f"{bad}:6: queues:") for line in lines)


def test_simulate_and_shadow_from_a_file(tmp_path: Path, env: dict[str, str]) -> None:
    leads = tmp_path / "leads.jsonl"
    leads.write_bytes(b"\n".join(orjson.dumps(x) for x in LEADS))
    current = handoff("rules", "simulate", "--leads", str(leads), "--json", env=env)
    assert current.returncode == 0, current.stderr
    summary = json.loads(current.stdout)
    assert summary["outcomes"] == {"handoff": 4, "nurture": 1, "disqualified": 2}
    candidate = tmp_path / "candidate.yaml"
    policy = (Path(__file__).parents[2] / "streams/data/default_policy.yaml").read_text("utf-8")
    candidate.write_text(
        policy.replace(
            "when: {stage: SQL, employees: {gte: 1000}}}", "when: {stage: SQL, employees: {gte: 5000}}}"
        ),
        "utf-8",
    )
    shadow = handoff(
        "rules",
        "simulate",
        "--rules",
        str(candidate),
        "--leads",
        str(leads),
        "--against",
        "streams/data/default_policy.yaml",
        env=env,
    )
    assert shadow.returncode == 0, shadow.stderr
    # e-big changes queue; two later inside-sales leads only move along the rotation.
    assert "3 of 7 leads would change" in shadow.stdout
    assert "2 leads whose only change is a rotation shift" in shadow.stdout
    assert "e-big" in shadow.stdout and "queue enterprise -> inside-sales" in shadow.stdout


def test_policy_cases_end_to_end_through_handoff_up(tmp_path: Path, env: dict[str, str]) -> None:
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "domain,name,owner,employees,industry,country\n"
        "toyota-shokki.co.jp,株式会社豊田自動織機,suzuki.yui,70000,Machinery,JP\n",
        "utf-8",
    )
    imported = handoff("accounts", "import", str(accounts), env=env)
    assert imported.returncode == 0 and "1 new" in imported.stdout, imported.stderr
    up = subprocess.Popen(
        [*HANDOFF, "up", "--logs", str(tmp_path / "logs")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert up.stdout is not None
        first = up.stdout.readline()
        assert first.startswith("bootstrap servers: "), first
        env = {**env, "HANDOFF_KAFKA_BOOTSTRAP_SERVERS": first.split(": ", 1)[1].strip()}
        # Plus a crowd for the inside-sales rotation.
        crowd = [lead(f"e-crowd-{i}", f"rep{i}@crowd-{i}.co.jp", form_id="demo-request") for i in range(28)]
        sent = handoff("send", "-", env=env, stdin=b"\n".join(orjson.dumps(x) for x in LEADS + crowd))
        assert sent.returncode == 0, sent.stderr
        rows: dict[str, tuple[str, str, str, str]] = {}
        deadline = time.monotonic() + 90
        while len(rows) < 32 and time.monotonic() < deadline:
            time.sleep(0.5)
            with sqlite3.connect(tmp_path / "handoff.db") as db:
                rows = {
                    r[0]: r[1:]
                    for r in db.execute("select event_id, queue, stage, owner, handoff from sales_queue")
                }
        replay = handoff(
            "rules",
            "simulate",
            "--from-topic",
            "leads.submitted",
            "--json",
            "--db",
            env["HANDOFF_DATABASE_URL"],
            env=env,
        )
    finally:
        up.send_signal(signal.SIGINT)
        up.wait(timeout=30)
        if up.stdout is not None:
            up.stdout.close()
    owners = Counter(v[2] for v in rows.values() if v[0] == "inside-sales")
    assert sorted(owners) == ["james.miller", "takahashi.mei", "tanaka.hiro", "watanabe.sho"]
    assert max(owners.values()) - min(owners.values()) <= 1, owners
    assert {k: v[:2] for k, v in rows.items() if not k.startswith("e-crowd")} == {
        "e-demo": ("inside-sales", "SQL"),
        "e-big": ("enterprise", "SQL"),
        "e-mql": ("inside-sales", "MQL"),
        "e-account": ("enterprise", "MQL"),
    }
    account_handoff = json.loads(rows["e-account"][3])
    assert rows["e-account"][2] == "suzuki.yui"
    assert account_handoff["account"]["matched"] is True
    assert account_handoff["account"]["match_confidence"] == 1.0
    assert all(json.loads(v[3])["sla_due_at"] for v in rows.values())
    assert replay.returncode == 0, replay.stderr
    replayed = json.loads(replay.stdout)
    assert replayed["outcomes"] == {"handoff": 32, "nurture": 1, "disqualified": 2}
    assert {(q["queue"], q["stage"]) for q in replayed["queues"]} == {v[:2] for v in rows.values()}
