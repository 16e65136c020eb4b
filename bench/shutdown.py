"""Measure how long `handoff up` takes to stop on Ctrl-C, and whether the workers noticed the broker go.

    .venv/bin/python bench/shutdown.py [--runs 3] [--settle 4]

Starts `handoff up` in its own process group, waits for `ready` plus --settle seconds (the
workers join their groups), sends SIGINT to the whole group as a terminal's Ctrl-C does,
and prints the seconds to exit and the warning/error lines the workers logged meanwhile.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one_run(settle_s: float) -> tuple[float, int, int]:
    """Seconds from SIGINT to exit, its exit code, and the workers' warning/error lines."""
    with tempfile.TemporaryDirectory() as tmp:
        logs = Path(tmp) / "logs"
        up = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "up", "--logs", str(logs), "--db", f"sqlite:///{tmp}/b.db"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert up.stderr is not None
        for line in up.stderr:
            if "ready" in line:
                break
        time.sleep(settle_s)
        started = time.monotonic()
        os.killpg(up.pid, signal.SIGINT)
        up.communicate(timeout=60)
        seconds = time.monotonic() - started
        noisy = sum(
            1
            for log in logs.glob("*.log")
            for line in log.read_text().splitlines()
            if '"level": "warning"' in line or '"level": "error"' in line
        )
        return seconds, up.returncode, noisy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle", type=float, default=4.0)
    args = parser.parse_args()
    results = [one_run(args.settle) for _ in range(args.runs)]
    for i, (seconds, code, noisy) in enumerate(results, 1):
        print(f"run {i}: stopped in {seconds:.2f} s, exit {code}, {noisy} warning/error log lines")
    times = [r[0] for r in results]
    print(
        f"stop time: median {statistics.median(times):.2f} s, max {max(times):.2f} s over {len(times)} runs"
    )


if __name__ == "__main__":
    main()
