"""Fixtures of the end-to-end tests: one full demo run, shared by the tests that read its output."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class DemoRun:
    """A finished `handoff demo`: what it printed, its database and its log files."""

    result: subprocess.CompletedProcess[str]
    db: Path
    logs: Path
    leads: int
    seed: int


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """Run `handoff demo` once with debug logs to files (about 10 s), for every test that reads it."""
    where = tmp_path_factory.mktemp("demo")
    db, logs, leads, seed = where / "demo.db", where / "logs", 200, 7
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "streams.cli",
            "demo",
            "--leads",
            str(leads),
            "--seed",
            str(seed),
            "--db",
            f"sqlite:///{db}",
            "--logs",
            str(logs),
        ],
        cwd=where,
        env={**os.environ, "HANDOFF_LOG_LEVEL": "debug"},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    return DemoRun(result, db, logs, leads, seed)
