"""`handoff send`: leads from a file or stdin to leads.submitted (or, with --bulk, leads.bulk)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from streams.cli.options import counted, settings_from


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


@click.command()
@click.argument("source", default="-")
@click.option(
    "--timeout",
    "timeout_s",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.5, 600),
    help="Seconds to wait for the broker to connect and to confirm each lead.",
)
@click.option(
    "--bulk",
    is_flag=True,
    help="Send to the bulk lane (HANDOFF_TOPIC_BULK): decided only while no live lead waits.",
)
def send(source: str, timeout_s: float, bulk: bool) -> None:
    """Send JSON or JSON-lines leads from FILE (or stdin) to leads.submitted.

    Use --bulk for imports and uploaded lists, so they never delay leads from live forms.

    Every line is sent as it is: one that is not a valid lead ends up in the dead-letter topic.
    Exits 4 with the reason when the broker does not confirm every lead; sending the same
    file again is safe, as the pipeline drops a repeated event_id.
    """
    from streams.client import LeadProducer, key_of

    settings = settings_from()
    messages = _read_messages(source)
    topic = settings.topics.bulk if bulk else settings.topics.submitted
    # A broker that does not confirm is a DeliveryError: one line and exit 4, like every command.
    with LeadProducer(settings.kafka.servers, topic=topic, timeout_s=timeout_s) as producer:
        count = producer.send_many_raw((key_of(m), m) for m in messages)
    click.echo(f"sent {counted(count, 'lead')} to {topic}")
