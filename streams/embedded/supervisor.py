"""Run the embedded broker, the stream workers and the sink workers as child processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from schemas.errors import HandoffError
from streams.core.settings import Settings
from streams.embedded.broker import EmbeddedBroker
from streams.embedded.durable import die_with_parent
from streams.kafka.topics import ensure_topics

# Fast group settings for the embedded broker, which answers JoinGroup only after half the
# session timeout (see the README's notes on the embedded broker). The heartbeat is the
# longest a session allows (a third of it): each one costs an idle system broker CPU.
EMBEDDED_SESSION_S = 2.0
EMBEDDED_HEARTBEAT_S = 0.66


# Workers get this long to finish their batch and commit after SIGTERM before SIGKILL.
WORKER_STOP_S = 1.8
TAIL_LINES = 5


class ChildFailed(HandoffError):
    """A worker of the stack exited on its own; the message carries its last error lines."""


def _readable(line: str) -> str:
    """A JSON log line as ``level logger: message (last line of the error)``; others as they are."""
    try:
        doc = json.loads(line)
    except ValueError:
        return line
    if not isinstance(doc, dict) or "msg" not in doc:
        return line
    error = str(doc.get("error") or "").strip().splitlines()
    return f"{doc.get('level', '')} {doc.get('logger', '')}: {doc['msg']}" + (
        f" ({error[-1]})" if error else ""
    )


def tail(path: Path, lines: int = TAIL_LINES) -> list[str]:
    """The last error or warning lines of a log file, made readable (else its last lines)."""
    try:
        text = path.read_text("utf-8", errors="replace")
    except OSError:
        return []
    readable = [_readable(line) for line in text.splitlines() if line.strip()]
    bad = [x for x in readable if x.startswith(("critical ", "error ", "warning ", "Traceback", "  "))]
    return (bad or readable)[-lines:]


class Stack:
    """Broker (optional), stream worker and sink worker, stopped together: workers first.

    With ``data_dir`` the embedded broker is durable (see ``streams.embedded.durable``).
    Children run in their own sessions, so a Ctrl-C at a terminal (SIGINT to the whole
    foreground process group) reaches only this process, which then stops the workers
    before the broker they need to commit to.
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
        self._scratch: Path | None = None
        self.children: list[subprocess.Popen[bytes]] = []
        self._roles: dict[int, str] = {}
        self._logs: dict[int, Path] = {}

    def start(self) -> Stack:
        """Start everything and return once the topics exist and the workers are launched."""
        if self.broker is not None:
            self.broker.start()
            self.settings = self.settings.replace(
                kafka_bootstrap_servers=self.broker.bootstrap,
                session_timeout_s=EMBEDDED_SESSION_S,
                heartbeat_interval_s=EMBEDDED_HEARTBEAT_S,
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

    def _log_folder(self) -> Path:
        """Where children log: --logs, else a scratch folder removed on stop (read when one dies)."""
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            return self.log_dir
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix="handoff-logs-"))
        return self._scratch

    def _spawn(self, role: str, index: int, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
        path = self._log_folder() / f"{role}-{index}.log"
        with open(path, "ab") as log:  # the child keeps its own descriptor
            child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "streams.cli", role],
                env=dict(env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
            )
        self._logs[child.pid] = path
        return child

    def failed(self) -> list[str]:
        """Describe children that exited on their own."""
        return [
            f"{self._roles.get(p.pid, 'child')} exited with {p.returncode}"
            for p in self.children
            if p.poll() is not None
        ]

    def failure(self) -> ChildFailed | None:
        """The error for children that exited on their own, with their last log lines."""
        dead = [p for p in self.children if p.poll() is not None]
        if (
            self.broker is not None
            and self.broker.process is not None
            and self.broker.process.poll() is not None
        ):
            broker = f"the broker exited with {self.broker.process.returncode}"
        else:
            broker = ""
        if not dead and not broker:
            return None
        parts = [broker] if broker else []
        for proc in dead:
            name = self._roles.get(proc.pid, "child")
            lines = tail(self._logs[proc.pid]) if proc.pid in self._logs else []
            where = (
                f" (log: {self._logs[proc.pid]})"
                if self.log_dir is not None and proc.pid in self._logs
                else ""
            )
            parts.append(f"{name} exited with {proc.returncode}{where}" + "".join(f"\n  {x}" for x in lines))
        return ChildFailed("; ".join(parts))

    def stop(self, timeout_s: float = WORKER_STOP_S) -> None:
        """SIGTERM the workers, SIGKILL stragglers after ``timeout_s``, then stop the broker."""
        for proc in self.children:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for proc in self.children:
            try:
                proc.wait(max(0.05, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.children.clear()
        if self.broker is not None:
            self.broker.stop(timeout_s=0.5)
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
