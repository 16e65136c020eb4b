"""Small commands as a user runs them: schema export, configuration errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
HANDOFF = [sys.executable, "-m", "streams.cli"]


def test_schemas_export_writes_one_file_per_event(tmp_path: Path) -> None:
    out = subprocess.run(
        [*HANDOFF, "schemas", "export", str(tmp_path / "s")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    files = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert files == [
        "dead-letter.v1.schema.json",
        "erasure.v1.schema.json",
        "feedback.v1.schema.json",
        "handoff.v1.schema.json",
        "lead-submitted.v1.schema.json",
        "nurture.v1.schema.json",
        "sla-breach.v1.schema.json",
    ]
    assert len(out.stdout.splitlines()) == 7
    lead = json.loads((tmp_path / "s" / "lead-submitted.v1.schema.json").read_text())
    assert lead["$id"] == "urn:handoff:schema:lead-submitted.v1"
    assert {"utm", "activity", "consent", "honeypot"} <= set(lead["properties"])


def test_a_bad_setting_stops_with_the_variable_named(tmp_path: Path) -> None:
    env = {**os.environ, "HANDOFF_KAFKA_BOOTSTRAP_SERVERS": "no-port-here", "HANDOFF_PARTITIONS": "0"}
    result = subprocess.run(
        [*HANDOFF, "lag"], env=env, capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path
    )
    assert result.returncode != 0
    assert "HANDOFF_KAFKA_BOOTSTRAP_SERVERS" in result.stderr
    assert "HANDOFF_PARTITIONS" in result.stderr
    assert "Traceback" not in result.stderr
