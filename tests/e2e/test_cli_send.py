"""`handoff send` as a user runs it: against the session broker and against no broker."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from streams.core.settings import Settings
from streams.kafka.topics import ensure_topics
from tests.topic_reader import read_topic

pytestmark = pytest.mark.e2e


def _handoff(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **env},
    )


def test_send_delivers_every_line(settings_for: Callable[..., Settings], tmp_path: Path) -> None:
    settings = settings_for()
    ensure_topics(settings, [settings.topics.submitted], partitions=2)
    leads = tmp_path / "leads.jsonl"
    leads.write_text(
        "\n".join(
            json.dumps({"event_id": f"cli-{i}", "form_id": "pricing", "email": f"user{i}@kougyou.co.jp"})
            for i in range(3)
        )
        + "\nnot json\n",
        "utf-8",
    )
    done = _handoff(settings.to_env(), "send", str(leads), "--timeout", "5")
    assert done.returncode == 0, done.stderr
    assert f"sent 4 leads to {settings.topics.submitted}" in done.stdout
    records = read_topic(settings.kafka.bootstrap_servers, settings.topics.submitted)
    keys = sorted(k or b"" for k, _ in records)
    assert keys == [b"", b"cli-0", b"cli-1", b"cli-2"]  # the bad line goes on, for the dead-letter topic


def test_send_without_a_broker_fails_with_the_fix(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{sock.getsockname()[1]}"
    leads = tmp_path / "leads.json"
    leads.write_text('[{"form_id": "pricing", "email": "a@kougyou.co.jp"}]', "utf-8")
    done = _handoff({"HANDOFF_KAFKA_BOOTSTRAP_SERVERS": address}, "send", str(leads), "--timeout", "1")
    assert done.returncode == 4  # a dependency cannot be reached (see `handoff --help`)
    assert address in done.stderr and "HANDOFF_KAFKA_BOOTSTRAP_SERVERS" in done.stderr
    assert "Traceback" not in done.stderr
