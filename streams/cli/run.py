"""`handoff demo`, `up`, `broker`, `worker` and `sink`: run the pipeline."""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click

from schemas.errors import HandoffError
from streams.cli.options import settings_from


@click.command()
@click.option("--leads", "n", default=200, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--db", "database_url", default="sqlite:///handoff-demo.db", show_default=True)
@click.option("--timeout", default=120.0, show_default=True, help="Seconds to wait for all leads.")
@click.option("--seed", default=7, show_default=True)
@click.option("--logs", type=click.Path(path_type=Path), help="Write worker logs to this folder.")
@click.option(
    "--sinks",
    "sinks_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Also run the sinks of this file (as HANDOFF_SINKS_FILE).",
)
@click.option(
    "--catch", is_flag=True, help="Send each handoff to a local catcher as webhook, Slack and Teams."
)
def demo(
    n: int,
    database_url: str,
    timeout: float,
    seed: int,
    logs: Path | None,
    sinks_file: Path | None,
    catch: bool,
) -> None:
    """Run the whole pipeline on the embedded broker and SQLite, send N sample leads, report."""
    from streams.cli.preflight import preflight
    from streams.demo.run import run_demo

    if not catch:
        settings = settings_from(database_url=database_url, sinks_file=sinks_file)
        preflight(settings, broker_port=None, children=2)
        sys.exit(run_demo(settings, leads=n, timeout_s=timeout, seed=seed, log_dir=logs))
    from streams.demo.catcher import Catcher, show_catch

    catcher = Catcher()
    catcher.start()
    try:
        os.environ.update(catcher.env())  # the sink worker inherits the catcher's URLs and secret
        with tempfile.TemporaryDirectory() as folder:
            settings = settings_from(database_url=database_url, sinks_file=catcher.sinks_file(Path(folder)))
            preflight(settings, broker_port=None, children=2)
            code = run_demo(
                settings, leads=n, timeout_s=timeout, seed=seed, log_dir=logs, before_stop=show_catch(catcher)
            )
    finally:
        catcher.stop()
    sys.exit(code)


def _wait_for_signal(stack: Any) -> HandoffError | None:
    """Wait for SIGINT/SIGTERM; return the failure of a child that exits before that."""
    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    while not stopping:
        failure: HandoffError | None = stack.failure()
        if failure is not None:
            click.echo("stopping: a process of the stack exited", err=True)
            return failure
        time.sleep(0.2)
    return None


@click.command()
@click.option("--port", type=click.IntRange(1, 65535), help="Broker port (default: a free one).")
@click.option("--db", "database_url", help="Database URL (default: HANDOFF_DATABASE_URL).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 16))
@click.option("--sinks", default=1, show_default=True, type=click.IntRange(1, 16))
@click.option("--logs", type=click.Path(path_type=Path), help="Write worker logs to this folder.")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the broker's topics and offsets in this folder (default: memory only).",
)
def up(
    port: int | None,
    database_url: str | None,
    workers: int,
    sinks: int,
    logs: Path | None,
    data_dir: Path | None,
) -> None:
    """Run the embedded broker, stream workers and sink workers until SIGINT/SIGTERM.

    Without --data the embedded broker keeps everything in memory: stopping it loses the topics.
    """
    from sinks.store import create_schema, make_engine
    from streams.cli.preflight import preflight
    from streams.embedded.supervisor import Stack

    settings = settings_from(database_url=database_url)
    preflight(settings, broker_port=port, children=workers + sinks)
    engine = make_engine(settings.database.url)
    try:
        create_schema(engine)
    finally:
        engine.dispose()
    stack = Stack(settings, embedded_port=port, workers=workers, sinks=sinks, log_dir=logs, data_dir=data_dir)
    try:
        stack.start()
        click.echo(f"bootstrap servers: {stack.settings.kafka.bootstrap_servers}")
        click.echo(f"database: {stack.settings.database.url}")
        click.echo("ready; Ctrl-C to stop", err=True)
        sys.stdout.flush()
        failure = _wait_for_signal(stack)
    finally:
        stack.stop()
    if failure is not None:
        raise failure
    click.echo("stopped", err=True)


@click.command()
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: a free one).")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep topics and offsets in this folder (default: memory only).",
)
def broker(port: int | None, data_dir: Path | None) -> None:
    """Run the embedded broker alone until SIGINT/SIGTERM (memory only unless --data)."""
    from schemas.errors import BrokerError
    from streams.cli.preflight import require_free_port
    from streams.embedded.broker import EmbeddedBroker
    from streams.kafka.topics import ensure_topics

    if port is not None:
        require_free_port(port, "--port")
    embedded = EmbeddedBroker(port, data_dir=data_dir)
    try:
        embedded.start()
        ensure_topics(settings_from(kafka_bootstrap_servers=embedded.bootstrap))
        click.echo(f"bootstrap servers: {embedded.bootstrap}")
        sys.stdout.flush()

        class _Proc:
            def failure(self) -> HandoffError | None:
                proc = embedded.process
                if proc is None or proc.poll() is None:
                    return None
                return BrokerError(f"the broker exited with {proc.returncode}")

        failure = _wait_for_signal(_Proc())
    finally:
        embedded.stop()
    if failure is not None:
        raise failure


@click.command()
def worker() -> None:
    """Run the stream workers (intake, qualification, routing) against the configured Kafka."""
    from streams.kafka.reach import require_broker
    from streams.worker import run_stream_worker

    settings = settings_from()
    require_broker(settings.kafka.bootstrap_servers)
    run_stream_worker(settings)


@click.command()
def sink() -> None:
    """Run the sink workers (handoffs into the sales queue store) against the configured Kafka."""
    from sinks.preflight import require_store
    from streams.kafka.reach import require_broker
    from streams.worker import run_sink_worker

    settings = settings_from()
    if not settings.database.url.startswith("sqlite"):
        require_store(settings.database.url)  # SQLite files are migrated by the sink itself
    require_broker(settings.kafka.bootstrap_servers)
    run_sink_worker(settings)
