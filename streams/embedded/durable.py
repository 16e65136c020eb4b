"""Durable storage for the embedded broker: an S3 endpoint over a local folder.

The broker's S3 storage engine keeps topics, records and committed offsets as objects
under ``DIR/tansu``. It allocates offsets with conditional PUTs, so the endpoint must
honour ``If-None-Match``/``If-Match``: ``streams.embedded.s3_folder`` does and is the
default. ``rclone serve s3`` (``HANDOFF_BROKER_S3_SERVER=rclone``, from the ``durable``
extra) ignores them, and then the broker loses acknowledged records: measured, 3
concurrent producers kept 1,003 of 1,500 records, and after a restart new records
overwrote old ones. It stays selectable only to reproduce that. A lock file keeps one
broker per folder: two would corrupt each other's watermarks.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import IO

from schemas.errors import BrokerError

BUCKET = "tansu"
# The endpoint listens on loopback only; the key pair just satisfies the S3 protocol.
_ACCESS_KEY, _SECRET_KEY = "handoff", "handoff-local-only"


class DurableError(BrokerError):
    """The durable storage could not be started."""


def die_with_parent() -> None:
    """Ask Linux to SIGTERM this child when its parent dies, so no server outlives its owner."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def rclone_binary() -> Path:
    """Locate rclone (installed by the ``durable`` extra), or explain how to get it."""
    candidates = [Path(sysconfig.get_path("scripts")) / "rclone", Path(sys.executable).parent / "rclone"]
    found = shutil.which("rclone")
    for path in [*candidates, *([Path(found)] if found else [])]:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    raise DurableError('the durable broker needs rclone: run "pip install handoff[durable]" to fix it')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class S3Folder:
    """``rclone serve s3`` over ``directory``, holding the folder's lock while it runs."""

    def __init__(self, directory: Path, server: str | None = None) -> None:
        self.directory = directory.resolve()
        self.server = server or os.environ.get("HANDOFF_BROKER_S3_SERVER", "folder")
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._lock: IO[str] | None = None

    def broker_env(self) -> dict[str, str]:
        """Environment for a broker started with ``--storage-engine s3://tansu/``."""
        return {
            "AWS_ACCESS_KEY_ID": _ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": _SECRET_KEY,
            "AWS_DEFAULT_REGION": "auto",
            "AWS_ENDPOINT": f"http://127.0.0.1:{self.port}",
            "AWS_ALLOW_HTTP": "true",
        }

    def _take_lock(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        lock = open(self.directory / "broker.lock", "a+")  # noqa: SIM115 - held while running
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            lock.close()
            raise DurableError(
                f"{self.directory} is in use by {holder}: one broker per data folder"
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"pid {os.getpid()}\n")
        lock.flush()
        self._lock = lock

    def start(self, timeout_s: float = 10.0) -> S3Folder:
        """Lock the folder, start rclone and wait until it accepts connections."""
        self._take_lock()
        (self.directory / BUCKET).mkdir(exist_ok=True)
        command = (
            [
                str(rclone_binary()),
                "serve",
                "s3",
                str(self.directory),
                "--addr",
                f"127.0.0.1:{self.port}",
                "--auth-key",
                f"{_ACCESS_KEY},{_SECRET_KEY}",
                "--config",
                os.devnull,
                "--log-level",
                "ERROR",
            ]
            if self.server == "rclone"
            else [sys.executable, "-m", "streams.embedded.s3_folder", str(self.directory), str(self.port)]
        )
        self.process = subprocess.Popen(  # noqa: S603 - fixed binary, no shell
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # stopped after the broker, never by a terminal's Ctrl-C
            preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise DurableError(f"rclone exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise DurableError(f"rclone did not listen on 127.0.0.1:{self.port} within {timeout_s:g} s")

    def stop(self) -> None:
        """Stop rclone and release the folder."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None
