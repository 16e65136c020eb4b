"""What `handoff up` shows of a worker that died: its last error lines, readable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streams.embedded.supervisor import tail

pytestmark = pytest.mark.unit


def test_the_last_error_lines_of_a_json_log_are_shown_readably(tmp_path: Path) -> None:
    log = tmp_path / "worker-0.log"
    lines = [
        {"level": "info", "logger": "faust.worker", "msg": "Starting..."},
        {
            "level": "error",
            "logger": "streams.worker",
            "msg": "policy rejected",
            "error": "Traceback (most recent call last):\n  ...\nPolicyError: rules.yaml:3: bad stage",
        },
        {"level": "info", "logger": "faust.worker", "msg": "Stopping..."},
    ]
    log.write_text("\n".join(json.dumps(x) for x in lines) + "\nplain text from a crash\n")
    assert tail(log) == ["error streams.worker: policy rejected (PolicyError: rules.yaml:3: bad stage)"]


def test_without_errors_the_last_lines_are_shown(tmp_path: Path) -> None:
    log = tmp_path / "sink-0.log"
    log.write_text("".join(f"line {i}\n" for i in range(9)))
    assert tail(log, lines=3) == ["line 6", "line 7", "line 8"]
    assert tail(tmp_path / "missing.log") == []
