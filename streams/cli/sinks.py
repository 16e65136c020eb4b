"""`handoff sinks check|test`: validate the sinks file, and send one sample event to a sink."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import click

from schemas.errors import ConfigError
from sinks.config import load_sinks
from sinks.contract import Answer, Delivered, Item, Refused
from sinks.sample import sample_handoff
from sinks.targets.build import build_target
from streams.cli.options import settings_from
from streams.consumers.sinks_run import settings_directory


@click.group()
def sinks() -> None:
    """Sinks beyond the SQL sales queue: CRMs, chat, mail and webhooks."""


@sinks.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
def sinks_check(file: Path | None) -> None:
    """Validate a sinks file (default: HANDOFF_SINKS_FILE); list every error with its line."""
    path = file or settings_from().sink.file
    if path is None:
        raise ConfigError("no sinks file: give FILE or set HANDOFF_SINKS_FILE")
    configs = load_sinks(path)
    for config in configs:
        missing = [v for v in config.secret_vars() if not os.environ.get(v)]
        note = f" (not set here: {', '.join(missing)})" if missing else ""
        events = ",".join(config.events)
        queues = ",".join(config.queues) if config.queues else "all queues"
        click.echo(f"{config.name}: {config.type}, {events}, {queues}, group {config.group}{note}")
    click.echo(f"ok: {len(configs)} sinks besides sales-queue")


def _describe(answer: Answer) -> str:
    if isinstance(answer, Delivered):
        return "delivered"
    if isinstance(answer, Refused):
        return f"refused for good ({answer.detail})"
    after = f", retry after {answer.after_s:g} s" if answer.after_s is not None else ""
    return f"retry later ({answer.detail}{after})"


@sinks.command("test")
@click.argument("name")
@click.option("--queue", default=None, help="Queue of the sample handoff (default: the sink's first).")
@click.option("--owner", default=None, help="Rep id of the policy to own the sample (mentions, owner ids).")
def sinks_test(name: str, queue: str | None, owner: str | None) -> None:
    """Send one sample handoff to the sink NAME and print what its target answered."""
    settings = settings_from()
    configs = {c.name: c for c in load_sinks(settings.sink.file)}
    if name not in configs:
        known = ", ".join(sorted(configs)) or "none"
        raise ConfigError(f"no sink named {name!r} in HANDOFF_SINKS_FILE (sinks: {known})")
    config = configs[name]
    event = sample_handoff(queue or (config.queues[0] if config.queues else "inside-sales"), owner)
    raw = event.model_dump_json().encode()
    target = build_target(config, settings_directory(settings))

    async def send() -> Answer:
        try:
            target.add(Item("handoff", event.handoff_id, raw, event))
            return (await target.flush())[0]
        finally:
            await target.close()

    answer = asyncio.run(send())
    click.echo(f"{name}: {_describe(answer)} (sample handoff {event.handoff_id})")
    if not isinstance(answer, Delivered):
        raise click.exceptions.Exit(1)
