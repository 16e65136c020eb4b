"""The `handoff` command line."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

import click

from streams.runtime.settings import Settings, load_settings


def _settings(**overrides: Any) -> Settings:
    return load_settings(**{k: v for k, v in overrides.items() if v is not None})


@click.group()
@click.version_option(package_name="handoff")
def main() -> None:
    """Handoff: route website leads to sales queues within seconds, with a reason for every decision."""


@main.command()
@click.option("--leads", "n", default=200, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--db", "database_url", default="sqlite:///handoff-demo.db", show_default=True)
@click.option("--timeout", default=120.0, show_default=True, help="Seconds to wait for all leads.")
@click.option("--seed", default=7, show_default=True)
@click.option("--logs", type=click.Path(path_type=Path), help="Write worker logs to this folder.")
def demo(n: int, database_url: str, timeout: float, seed: int, logs: Path | None) -> None:
    """Run the whole pipeline on the embedded broker and SQLite, send N sample leads, report."""
    from streams.runtime.demo import run_demo

    settings = _settings(database_url=database_url)
    sys.exit(run_demo(settings, leads=n, timeout_s=timeout, seed=seed, log_dir=logs))


def _wait_for_signal(stack: Any) -> None:
    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    while not stopping:
        failed = stack.failed()
        if failed:
            click.echo("stopping: " + "; ".join(failed), err=True)
            break
        time.sleep(0.2)


@main.command()
@click.option("--port", type=click.IntRange(1, 65535), help="Broker port (default: a free one).")
@click.option("--db", "database_url", help="Database URL (default: HANDOFF_DATABASE_URL).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 16))
@click.option("--sinks", default=1, show_default=True, type=click.IntRange(1, 16))
@click.option("--logs", type=click.Path(path_type=Path), help="Write worker logs to this folder.")
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Keep the broker's topics and offsets in this folder (default: memory only).")
def up(port: int | None, database_url: str | None, workers: int, sinks: int,
       logs: Path | None, data_dir: Path | None) -> None:
    """Run the embedded broker, stream workers and sink workers until SIGINT/SIGTERM.

    Without --data the embedded broker keeps everything in memory: stopping it loses the topics.
    """
    from sinks.store import create_schema, make_engine
    from streams.runtime.supervisor import Stack

    settings = _settings(database_url=database_url)
    engine = make_engine(settings.database_url)
    create_schema(engine)
    engine.dispose()
    stack = Stack(settings, embedded_port=port, workers=workers, sinks=sinks, log_dir=logs,
                  data_dir=data_dir)
    from streams.runtime.broker import BrokerError

    try:
        try:
            stack.start()
        except BrokerError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"bootstrap servers: {stack.settings.kafka_bootstrap_servers}")
        click.echo(f"database: {stack.settings.database_url}")
        click.echo("ready; Ctrl-C to stop", err=True)
        sys.stdout.flush()
        _wait_for_signal(stack)
    finally:
        stack.stop()
    click.echo("stopped", err=True)


@main.command()
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: a free one).")
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Keep topics and offsets in this folder (default: memory only).")
def broker(port: int | None, data_dir: Path | None) -> None:
    """Run the embedded broker alone until SIGINT/SIGTERM (memory only unless --data)."""
    from streams.runtime.broker import BrokerError, EmbeddedBroker
    from streams.runtime.topics import ensure_topics

    embedded = EmbeddedBroker(port, data_dir=data_dir)
    try:
        try:
            embedded.start()
        except BrokerError as exc:
            raise click.ClickException(str(exc)) from None
        ensure_topics(_settings(kafka_bootstrap_servers=embedded.bootstrap))
        click.echo(f"bootstrap servers: {embedded.bootstrap}")
        sys.stdout.flush()

        class _Proc:
            def failed(self) -> list[str]:
                proc = embedded.process
                return [] if proc is None or proc.poll() is None else [f"broker exited {proc.returncode}"]

        _wait_for_signal(_Proc())
    finally:
        embedded.stop()


@main.command()
def worker() -> None:
    """Run the stream workers (intake, qualification, routing) against the configured Kafka."""
    from streams.runtime.worker import run_stream_worker

    run_stream_worker(_settings())


@main.command()
def sink() -> None:
    """Run the sink workers (handoffs into the sales queue store) against the configured Kafka."""
    from streams.runtime.worker import run_sink_worker

    run_sink_worker(_settings())


def _read_messages(source: str) -> list[bytes]:
    data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    stripped = data.strip()
    if stripped.startswith(b"["):
        import orjson

        try:
            items = orjson.loads(stripped)
        except orjson.JSONDecodeError as exc:
            raise click.ClickException(f"{source}: not a JSON array: {exc}") from None
        return [orjson.dumps(item) for item in items]
    return [line.strip() for line in data.splitlines() if line.strip()]


@main.command()
@click.argument("source", default="-")
@click.option("--timeout", "timeout_s", default=10.0, show_default=True, type=click.FloatRange(0.5, 600),
              help="Seconds to wait for the broker to connect and to confirm each lead.")
def send(source: str, timeout_s: float) -> None:
    """Send JSON or JSON-lines leads from FILE (or stdin) to leads.submitted.

    Every line is sent as it is: one that is not a valid lead ends up in the dead-letter topic.
    Exits 1 with the reason when the broker does not confirm every lead; sending the same
    file again is safe, as the pipeline drops a repeated event_id.
    """
    from streams.client import DeliveryError, LeadProducer, key_of

    settings = _settings()
    messages = _read_messages(source)
    try:
        with LeadProducer(settings.kafka_servers, topic=settings.topic_submitted,
                          timeout_s=timeout_s) as producer:
            count = producer.send_many_raw((key_of(m), m) for m in messages)
    except DeliveryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"sent {count} leads to {settings.topic_submitted}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
def serve(host: str, port: int) -> None:
    """Run the HTTP service (lead intake, sales queue API and pages) until SIGINT/SIGTERM."""
    from streams.web.app import run_web

    def ready(url: str) -> None:
        click.echo(f"serving on {url}")
        sys.stdout.flush()

    run_web(_settings(), host=host, port=port, on_ready=ready)


@main.group()
def schemas() -> None:
    """Event schemas."""


@schemas.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def schemas_export(directory: Path) -> None:
    """Write a JSON Schema file for every event into DIRECTORY."""
    from schemas.export import json_schemas

    directory.mkdir(parents=True, exist_ok=True)
    for name, schema in json_schemas().items():
        path = directory / f"{name}.schema.json"
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", "utf-8")
        click.echo(str(path))


# Command groups that live in their own modules.
from streams.runtime import cli_extras  # noqa: E402

cli_extras.register(main)

if __name__ == "__main__":
    main()
