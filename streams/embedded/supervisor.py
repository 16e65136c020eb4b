"""Run the embedded broker, the stream workers and the sink workers as child processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from streams.core.settings import Settings
from streams.embedded.broker import EmbeddedBroker
from streams.embedded.durable import die_with_parent
from streams.kafka.topics import ensure_topics

# Fast group settings for the embedded broker, which answers JoinGroup only after
# half the session timeout (see the README's notes on the embedded broker).
EMBEDDED_ENV = {
    "HANDOFF_SESSION_TIMEOUT_S": "2.0",
    "HANDOFF_HEARTBEAT_INTERVAL_S": "0.5",
}


class Stack:
    """Broker (optional), stream worker and sink worker, stopped together within 10 s.

    With ``data_dir`` the embedded broker is durable (see ``streams.embedded.durable``).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        embedded_port: int | None = None,
        embedded: bool = True,
        workers: int = 1,
        sinks: int = 1,
        log_dir: Path | None = None,
        data_dir: Path | None = None,
    ) -> None:
        self.broker = EmbeddedBroker(embedded_port, data_dir=data_dir) if embedded else None
        self.settings = settings
        self.workers, self.sinks = workers, sinks
        self.log_dir = log_dir
        self.children: list[subprocess.Popen[bytes]] = []
        self._roles: dict[int, str] = {}

    def start(self) -> Stack:
        """Start everything and return once the topics exist and the workers are launched."""
        if self.broker is not None:
            self.broker.start()
            self.settings = self.settings.replace(
                kafka_bootstrap_servers=self.broker.bootstrap, session_timeout_s=2.0, heartbeat_interval_s=0.5
            )
        ensure_topics(self.settings)
        env = {**os.environ, **self.settings.to_env()}
        for role, count in (("worker", self.workers), ("sink", self.sinks)):
            for index in range(count):
                child = self._spawn(role, index, {**env, **self._metrics_env(role, index)})
                self._roles[child.pid] = f"{role}-{index}"
                self.children.append(child)
        return self

    def _metrics_env(self, role: str, index: int) -> dict[str, str]:
        """Give each child its own metrics port: workers from the base port up, then the sinks."""
        base = self.settings.ops.metrics_port
        if not base:
            return {}
        return {"HANDOFF_METRICS_PORT": str(base + index + (self.workers if role == "sink" else 0))}

    def _spawn(self, role: str, index: int, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
        log = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            log = open(self.log_dir / f"{role}-{index}.log", "ab")  # noqa: SIM115
        try:
            return subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "streams.cli", role],
                env=dict(env),
                stdout=log or subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
            )
        finally:
            if log is not None:
                log.close()  # the child holds its own descriptor

    def failed(self) -> list[str]:
        """Describe children that exited on their own."""
        return [
            f"{self._roles.get(p.pid, 'child')} exited with {p.returncode}"
            for p in self.children
            if p.poll() is not None
        ]

    def stop(self, timeout_s: float = 7.0) -> None:
        """SIGTERM the workers, SIGKILL stragglers, then stop the broker."""
        for proc in self.children:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for proc in self.children:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.children.clear()
        if self.broker is not None:
            self.broker.stop(timeout_s=2.0)

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
