"""CPU of idle processes, from /proc: the share of one core each used over a window."""

from __future__ import annotations

import os
import threading
import time


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its reaped children, in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        # The command name (field 2) may hold spaces; the fields after it are fixed.
        fields = stat.read().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def idle_cpu(pids: dict[str, int], seconds: float = 10.0) -> dict[str, float]:
    """Per process, the percent of one core used over ``seconds``."""
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    start = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - start
    return {name: 100 * (cpu_seconds(pid) - before[name]) / elapsed for name, pid in pids.items()}


def wait_quiet(
    pids: dict[str, int], below: float = 10.0, step_s: float = 0.5, timeout_s: float = 120.0
) -> float:
    """Block until these processes together use less than ``below`` % of a core; return the seconds waited.

    Work left over from one measurement (outcomes still being stored) must not load the next.
    """
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if sum(idle_cpu(pids, step_s).values()) < below:
            break
    return time.monotonic() - start


class CpuWindows:
    """Sample one process's CPU share per window of ``every_s`` seconds, on a thread, while in use."""

    def __init__(self, pid: int, every_s: float) -> None:
        self.pid, self.every_s = pid, every_s
        self.shares: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-windows", daemon=True)

    def _run(self) -> None:
        before, start = cpu_seconds(self.pid), time.monotonic()
        while not self._stop.wait(self.every_s):
            now, used = time.monotonic(), cpu_seconds(self.pid)
            self.shares.append(100 * (used - before) / (now - start))
            before, start = used, now

    def __enter__(self) -> CpuWindows:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
