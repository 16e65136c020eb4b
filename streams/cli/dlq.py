"""`handoff dlq list|show|replay`: inspect dead letters and send repaired ones through again."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click

from schemas import ErrorCode
from streams.cli.options import counted
from streams.core.settings import load_settings
from streams.kafka.dlq import StoredDeadLetter, payload_bytes, read_dead_letters

F = TypeVar("F", bound=Callable[..., Any])
_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(value: str | None, now: datetime | None = None) -> datetime | None:
    """Read ``--since``: a duration back from now (``90s``, ``15m``, ``2h``, ``7d``) or an ISO time."""
    if value is None:
        return None
    match = _DURATION.match(value.strip())
    if match:
        amount, unit = match.groups()
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[unit]: int(amount)})
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: use a duration like 15m/2h/7d or an ISO time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_filters = [
    click.option("--since", help="Only dead letters newer than this (15m, 2h, 7d or an ISO time)."),
    click.option(
        "--error", "error", type=click.Choice([e.value for e in ErrorCode]), help="Only this error code."
    ),
]


def _with_filters(func: F) -> F:
    for option in reversed(_filters):
        func = option(func)
    return func


def _letters(since: str | None, error: str | None) -> list[StoredDeadLetter]:
    from streams.kafka.reach import require_broker

    settings = load_settings()
    require_broker(settings.kafka.bootstrap_servers)
    return list(
        read_dead_letters(
            settings.kafka.bootstrap_servers, settings.topics.dlq, since=parse_since(since), error=error
        )
    )


@click.group()
def dlq() -> None:
    """Dead letters: list them, show one, replay repaired ones into leads.submitted."""


@dlq.command("list")
@_with_filters
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines (payloads left out).")
def dlq_list(since: str | None, error: str | None, as_json: bool) -> None:
    """List dead letters: id, time, error code, event id and the failing field paths."""
    letters = _letters(since, error)
    for stored in letters:
        doc = stored.letter
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "id": stored.id,
                        "failed_at": doc.failed_at.isoformat(),
                        "error": doc.error.value,
                        "event_id": doc.event_id,
                        "fields": doc.fields,
                        "detail": doc.detail,
                    }
                )
            )
        else:
            click.echo(
                f"{stored.id:<10} {doc.failed_at:%Y-%m-%d %H:%M:%S}  {doc.error.value:<15} "
                f"{doc.event_id or '-':<30} {','.join(doc.fields) or '-'}"
            )
    if not as_json:
        click.echo(counted(len(letters), "dead letter"), err=True)


def _find(ids: tuple[str, ...], since: str | None, error: str | None) -> list[StoredDeadLetter]:
    letters = _letters(since, error)
    if not ids:
        return letters
    by_id = {s.id: s for s in letters}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise click.ClickException(
            f"no dead letter with id {', '.join(missing)} (ids are PARTITION:OFFSET, see `handoff dlq list`)"
        )
    return [by_id[i] for i in ids]


@dlq.command("show")
@click.argument("dead_letter_id")
def dlq_show(dead_letter_id: str) -> None:
    """Print one dead letter: what failed, where it came from, then the payload as it arrived."""
    stored = _find((dead_letter_id,), None, None)[0]
    doc = stored.letter
    click.echo(
        f"id:       {stored.id}\nerror:    {doc.error.value}\ndetail:   {doc.detail}\n"
        f"fields:   {', '.join(doc.fields) or '-'}\nevent_id: {doc.event_id or '-'}\n"
        f"source:   {doc.source.topic}/{doc.source.partition}/{doc.source.offset}\n"
        f"failed:   {doc.failed_at.isoformat()}\npayload ({doc.payload_encoding}):"
    )
    sys.stdout.buffer.write(payload_bytes(doc) + b"\n")


@dlq.command("replay")
@click.argument("ids", nargs=-1)
@_with_filters
@click.option(
    "--file",
    "fixed",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Send this repaired message instead of the stored payload (one id only).",
)
@click.option("--edit", is_flag=True, help="Repair each payload in $EDITOR before sending it.")
@click.option("--dry-run", is_flag=True, help="Say what would be sent, send nothing.")
def dlq_replay(
    ids: tuple[str, ...], since: str | None, error: str | None, fixed: Path | None, edit: bool, dry_run: bool
) -> None:
    """Send dead letters (by id, or all matching the filters) back where they were read.

    Leads go back to leads.submitted, handoffs the store refused back to leads.handoff. A
    message that still fails lands in the dead-letter topic again under a new id; one that
    passes is processed like any other (a repeated event_id is an idempotent no-op).
    """
    from streams.client import LeadProducer

    settings = load_settings()
    if not ids and since is None and error is None:
        raise click.UsageError("name dead-letter ids or narrow with --since/--error")
    chosen = _find(ids, since, error)
    if fixed is not None and len(chosen) != 1:
        raise click.UsageError("--file repairs exactly one dead letter: name its id")
    messages: list[tuple[str, str, bytes]] = []
    for stored in chosen:
        body = payload_bytes(stored.letter)
        if fixed is not None:
            body = fixed.read_bytes().strip()
        elif edit:
            edited = click.edit(body.decode("utf-8", "replace"), extension=".json")
            if edited is None:
                click.echo(f"{stored.id}: unchanged, skipped", err=True)
                continue
            body = edited.strip().encode()
        messages.append(
            (stored.id, _replay_topic(stored, settings.topics.submitted, settings.topics.handoff), body)
        )
    if dry_run:
        for dead_id, topic, _body in messages:
            click.echo(f"would replay {dead_id} to {topic}")
        return
    # A broker that does not confirm is a DeliveryError: one line and exit 4, like every command.
    for topic in sorted({t for _i, t, _b in messages}):
        with LeadProducer(settings.kafka.servers, topic=topic) as producer:
            producer.send_many_raw(
                (_key(topic == settings.topics.handoff, body), body) for _i, t, body in messages if t == topic
            )
    click.echo(f"replayed {counted(len(messages), 'dead letter')}")


def _replay_topic(stored: StoredDeadLetter, submitted: str, handoff: str) -> str:
    """Leads go back to intake; a handoff the store refused goes back to the sink."""
    return handoff if stored.letter.source.topic == handoff else submitted


def _key(is_handoff: bool, body: bytes) -> bytes | None:
    """Handoffs are keyed by person (lead_id), leads by event_id."""
    from streams.client import key_of

    if not is_handoff:
        return key_of(body)
    try:
        lead_id = json.loads(body).get("lead_id")
    except ValueError:
        return None
    return lead_id.encode() if isinstance(lead_id, str) else None
